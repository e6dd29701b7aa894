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

echo "== native tests (release profile, burn-flex + burn-ndarray)"
cargo test --release --features ndarray

echo "== the page: trunk build (wasm32, burn-wgpu + burn-flex)"
trunk build

echo "== browser tests (headless Chromium)"
node tests/browser/run.mjs
