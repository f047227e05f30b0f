# Billfold: the two commands of the README are `make run` and `make test`.
# Each installs what it needs when missing (scripts/setup.sh: apt packages, npm packages,
# tauri-driver), so a fresh Debian machine needs nothing else.

SHELL := /bin/bash
# A build cache outside the clone, so CI (a fresh clone each time) does not rebuild Tauri from zero.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/billfold/target
export CARGO_TERM_COLOR ?= never

.PHONY: run test setup test-core test-ui test-e2e lint ui-build

setup:
	scripts/setup.sh

## Opens the desktop app (on a demo ledger when the user has none yet).
run: setup ui-build
	BILLFOLD_DEMO_IF_NEW=1 cargo run --release -p billfold-desktop

## Every test: core, UI, end-to-end in the real window, and lints.
test: setup lint test-core test-ui test-e2e

# Clippy compiles the desktop crate, whose `generate_context!` needs the built UI (ui/dist).
lint: ui-build
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

test-core:
	cargo test -p billfold

# ---- desktop and UI (owned by the desktop work) ----
.PHONY: bindings test-desktop perf-desktop
# tauri-driver lands in ~/.cargo/bin, which a fresh shell may not have on PATH.
TAURI_DRIVER ?= $(shell command -v tauri-driver 2>/dev/null || echo $(HOME)/.cargo/bin/tauri-driver)
export TAURI_DRIVER

ui-build: setup
	cd ui && npm run build

## UI unit tests (Vitest, mock backend), then the shell's own tests: the generated TypeScript
## bindings in ui/src/bindings must match the Rust transport types (`make bindings` rewrites them).
test-ui:
	cd ui && npm run typecheck && npm test
	cargo test --release -p billfold-desktop

bindings:
	UPDATE_BINDINGS=1 cargo test --release -p billfold-desktop --lib bindings_are_fresh

## The real release app (bundled UI, custom protocol) in a real window under Xvfb, driven by
## tauri-driver + WebKitWebDriver; each test prepares its own ledger with the `billfold` CLI.
## Writes assets/screenshot.png (the demo ledger's overview) and assets/screenshot-bills.png
## (its Bills page).
test-e2e: ui-build
	cargo build --release -p billfold -p billfold-desktop
	cargo fmt --manifest-path tests-e2e/Cargo.toml -- --check
	cargo clippy --manifest-path tests-e2e/Cargo.toml --all-targets -- -D warnings
	xvfb-run -a -s "-screen 0 1280x900x24" \
	  cargo test --manifest-path tests-e2e/Cargo.toml -- --test-threads=1 --nocapture

## Start-up, memory and IPC payloads of the real window (docs/DESKTOP.md, "Measured"):
## BILLFOLD_E2E_RUNS=N opens it N times and prints medians and ranges; BILLFOLD_E2E_LEDGER=FILE
## (with BILLFOLD_E2E_AT=TIME) measures that ledger too.
perf-desktop: ui-build
	cargo build --release -p billfold -p billfold-desktop
	xvfb-run -a -s "-screen 0 1280x900x24" \
	  cargo test --manifest-path tests-e2e/Cargo.toml --test performance -- --test-threads=1 --nocapture \
	  $(if $(BILLFOLD_E2E_LEDGER),--include-ignored,)
