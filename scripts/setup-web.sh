#!/usr/bin/env bash
# Installs the page's pinned build and test tools where missing (idempotent; sourced by
# scripts/serve.sh and scripts/test.sh after scripts/setup.sh):
#   trunk 0.21.14 and wasm-bindgen-cli 0.2.130 (cargo install, ~17 min once),
#   binaryen 132 (wasm-opt) and playwright-core from package-lock.json (npm ci),
#   Debian's chromium for the browser tests (only when ATLAS_NEED_BROWSER=1).
set -euo pipefail

TRUNK_VERSION=0.21.14
BINDGEN_VERSION=0.2.130

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

if ! have_version wasm-bindgen "$BINDGEN_VERSION"; then
  echo "setup: installing wasm-bindgen-cli $BINDGEN_VERSION (about 6 minutes)"
  # Not --locked: its lock file names a crate version this registry lacks.
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION"
fi
if ! have_version trunk "$TRUNK_VERSION"; then
  echo "setup: installing trunk $TRUNK_VERSION (about 11 minutes)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
  echo "setup: npm ci (binaryen 132, playwright-core)"
  npm ci --no-audit --no-fund
fi
# Debian's wasm-opt 108 produces a module that fails in browsers: npm's binaryen goes first.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

if [ "${ATLAS_NEED_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium"
  apt_install chromium
fi

# trunk builds offline; fetch the crate's dependencies once so that works on a fresh clone.
cargo fetch --target wasm32-unknown-unknown >/dev/null
