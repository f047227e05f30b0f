/// The app's own commands, each with a generated `allow-*` permission. Listing them here turns
/// off Tauri's "every app command is allowed" default: a window gets only what
/// `capabilities/default.json` grants.
const COMMANDS: &[&str] = &[
    "scopes",
    "overview",
    "bill_lines",
    "set_balance_alert",
    "record_movement",
    "open_demo",
    "import_bills",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
