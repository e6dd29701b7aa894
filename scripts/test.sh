#!/usr/bin/env bash
# Runs every test: installs what is missing, then the native suite (unit + integration tests on
# the real dataset, flex/ndarray parity) and a check that the core compiles for wasm32.
# All builds share target/ and one feature set, so each profile is compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

echo "== wasm32: the core library compiles for the browser"
cargo check --release --target wasm32-unknown-unknown --lib --no-default-features

echo "== native tests (release profile, burn-flex + burn-ndarray)"
cargo test --release --features ndarray
