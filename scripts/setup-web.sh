#!/usr/bin/env bash
# Installs the page's pinned build and test tools where missing (idempotent; sourced by
# scripts/serve.sh and scripts/test.sh after scripts/setup.sh):
#   trunk 0.21.14 (its own lock file) and wasm-bindgen-cli 0.2.130 (the crate checked by its
#   sha256, built with scripts/tools/wasm-bindgen-cli-0.2.130.lock), ~8 minutes once on 2 cores,
#   binaryen 132 (wasm-opt), esbuild (trunk's hook bundles the page's scripts with it),
#   playwright-core and typescript from package-lock.json (npm ci),
#   Debian's chromium for the browser tests (only when ATLAS_NEED_BROWSER=1).
set -euo pipefail

TRUNK_VERSION=0.21.14
BINDGEN_VERSION=0.2.130
BINDGEN_SHA256=c37f6904387d19a319525c74af274c73912f3871c35555aa49f3ea64ebb2fc7a

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

# The tools spend seconds per build, so they are compiled for compile speed: no LTO (trunk's
# own release profile asks for fat LTO in one codegen unit, most of its build time on 2 cores),
# parallel codegen, opt-level 1, no TLS (trunk builds offline, and nothing here downloads).
install_tool() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false \
    cargo install --quiet --no-default-features "$@"
}

if ! have_version wasm-bindgen "$BINDGEN_VERSION"; then
  echo "setup: building wasm-bindgen-cli $BINDGEN_VERSION with its pinned lock file (about 3 minutes on 2 cores)"
  # The crate's own lock file names a ureq that needs a webpki-roots this registry lacks, so
  # it is built from its source (checked against crates.io's sha256) with our lock file.
  src=$(mktemp -d)
  node -e 'fetch(process.argv[1]).then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.arrayBuffer(); })
    .then((b) => require("fs").writeFileSync(process.argv[2], Buffer.from(b)))' \
    "https://static.crates.io/crates/wasm-bindgen-cli/wasm-bindgen-cli-$BINDGEN_VERSION.crate" "$src/crate.tgz"
  echo "$BINDGEN_SHA256  $src/crate.tgz" | sha256sum -c --quiet
  tar xzf "$src/crate.tgz" -C "$src"
  cp "scripts/tools/wasm-bindgen-cli-$BINDGEN_VERSION.lock" "$src/wasm-bindgen-cli-$BINDGEN_VERSION/Cargo.lock"
  install_tool --locked --path "$src/wasm-bindgen-cli-$BINDGEN_VERSION" --bin wasm-bindgen
  rm -rf "$src"
fi
if ! have_version trunk "$TRUNK_VERSION"; then
  echo "setup: building trunk $TRUNK_VERSION (about 5 minutes on 2 cores)"
  install_tool --locked trunk --version "$TRUNK_VERSION"
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/esbuild ]; then
  echo "setup: npm ci (binaryen 132, esbuild, playwright-core, typescript)"
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
