#!/usr/bin/env bash
# Installs what Billfold's build and tests need when it is missing; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchains are the machine's (this script installs packages and tools, not compilers):
# say plainly what is missing rather than fail later in the middle of a build.
command -v cargo >/dev/null 2>&1 || { echo "setup: Billfold needs Rust (cargo, via rustup: https://rustup.rs)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Billfold's UI needs Node.js 20 or newer with npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

need_apt=()
for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev \
           webkit2gtk-driver xvfb xauth pkg-config build-essential; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

if [ -f ui/package-lock.json ]; then
  if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    # `npm ci` first (exactly the lock). A registry mirror that serves only this platform's
    # optional packages (rollup and esbuild ship one per platform) yields a lock that `npm ci`
    # calls out of sync; then `npm install` installs the same locked versions.
    (cd ui && { npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund; })
  fi
fi

# The WebDriver bridge the end-to-end tests use (Tauri 2's; from crates.io, built once).
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --version "^2"
fi
