#!/usr/bin/env bash
# Runs every test: installs what is missing, then the self-checks (rustfmt, clippy for the native
# and the wasm32 build), the native suite (unit + integration tests on the real datasets,
# flex/ndarray parity, the shipped models), the page's trunk build, and the browser tests in
# headless Chromium (WebGPU on SwiftShader, and without WebGPU).
# Native builds share one feature set and target/, so each profile is compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATLAS_NEED_BROWSER=1
source scripts/setup.sh
source scripts/setup-web.sh

echo "== self-checks: cargo fmt, clippy (native and wasm32)"
cargo fmt --all --check
cargo clippy --release --all-targets --features ndarray -- -D warnings
cargo clippy --release --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings

# Every step has a time limit (about twice what it takes on a fresh 2-core machine), so a hang
# fails the run with the step's name instead of stalling it.
limited() {
  local limit=$1 rc=0
  shift
  timeout "$limit" "$@" || rc=$?
  if [ "$rc" = 124 ]; then echo "test.sh: '$*' did not finish within $limit s" >&2; fi
  return "$rc"
}
echo "== native tests (release profile, burn-flex + burn-ndarray)"
limited 3600 cargo test --release --features ndarray

echo "== the page: trunk build (wasm32, burn-wgpu + burn-flex)"
limited 2400 trunk build

echo "== browser tests (headless Chromium)"
limited 1800 node tests/browser/run.mjs
