#!/usr/bin/env bash
# Runs every test: installs what is missing, then rustfmt, the native suite (unit + integration
# tests on the real datasets, flex/ndarray parity, the shipped models), the page's trunk build,
# and the browser tests in headless Chromium (WebGPU on SwiftShader, and without WebGPU).
#
# Built for 2 cores and a fresh machine (CI), where compiling is most of the time:
# - Clippy lints the crate inside the two builds (clippy-driver wraps rustc for this workspace's
#   crates only, warnings denied), so no profile is compiled twice: a separate `cargo clippy`
#   checks every dependency again (~4 minutes on 2 cores). Native builds share one feature set
#   and target/.
# - Work that leaves a core idle overlaps other work: the page's tools (trunk, wasm-bindgen-cli)
#   compile while the native suite does, and the page's wasm32 build (whose wasm-opt pass runs
#   on one core for ~5 minutes) runs while the native tests do. Their output goes to
#   target/test-logs/ and is printed when they end.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATLAS_NEED_BROWSER=1
source scripts/setup.sh

logs=target/test-logs
mkdir -p "$logs"
# Background steps are stopped when this script ends, whichever way.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# Every step has a time limit (about twice what it takes on a fresh 2-core machine), so a hang
# fails the run with the step's name instead of stalling it.
limited() {
  local limit=$1 rc=0
  shift
  timeout "$limit" "$@" || rc=$?
  if [ "$rc" = 124 ]; then echo "test.sh: '$*' did not finish within $limit s" >&2; fi
  return "$rc"
}
# Waits for background step $1 (pid $2, output in $3) and prints its output.
finish() {
  local rc=0
  wait "$2" || rc=$?
  cat "$3"
  if [ "$rc" != 0 ]; then echo "test.sh: $1 failed (exit $rc); its output is above" >&2; fi
  return "$rc"
}

echo "== the page's tools, in the background (output: $logs/tools.log)"
limited 2400 bash -c 'source scripts/setup.sh && source scripts/setup-web.sh' >"$logs/tools.log" 2>&1 &
tools=$!

echo "== self-check: cargo fmt"
cargo fmt --all --check
# What `cargo clippy -- -D warnings` sets up, applied to the builds below (not to the tools).
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

echo "== native build, linted by clippy (release profile, burn-flex + burn-ndarray)"
limited 3600 cargo test --release --features ndarray --no-run

echo "== the page's tools"
finish "installing the page's tools" "$tools" "$logs/tools.log"
source scripts/setup-web.sh

echo "== native tests, with the page's build in the background (output: $logs/page.log)"
# cargo holds target/'s lock while it checks the build is fresh, then lets go while the tests
# run; the page's build starts after that, so neither waits on the other.
rm -f "$logs/native.log"
(
  for _ in $(seq 600); do grep -q "Running" "$logs/native.log" 2>/dev/null && break; sleep 0.5; done
  limited 2400 trunk build
) >"$logs/page.log" 2>&1 &
page=$!
limited 3600 cargo test --release --features ndarray 2>&1 | tee "$logs/native.log"

echo "== the page, linted by clippy: trunk build (wasm32, burn-wgpu + burn-flex)"
finish "the page's build" "$page" "$logs/page.log"

echo "== browser tests (headless Chromium)"
limited 1800 node tests/browser/run.mjs
