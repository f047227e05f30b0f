/// The app's own commands, each with a generated `allow-*` permission. Listing them here turns
/// off Tauri's "every app command is allowed" default: a window gets only what
/// `capabilities/default.json` grants.
const COMMANDS: &[&str] = &[
    "start",
    "overview",
    "set_balance_alert",
    "record_movement",
    "open_demo",
    "import_bills",
    "set_import_settle",
    "import_in_currency",
    "review_facets",
    "review_lines",
    "review_groups",
    "original_row",
    "review_diff",
    "review_mark",
    "review_marks",
    "reviewer",
    "set_reviewer",
    "reconciliation",
    "add_invoice",
    "add_assertion",
    "sign_off",
    "add_fx_rate",
    "fx_rates",
    "convert_amount",
    "export_review",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
