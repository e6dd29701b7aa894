#!/usr/bin/env bash
# Runs every test: installs what is missing, then rustfmt, the native suite (unit + integration
# tests on the real datasets, flex/ndarray parity, the shipped models), the page's trunk build,
# and the browser tests in headless Chromium (WebGPU on SwiftShader, and without WebGPU).
#
# Built for 2 cores and a fresh machine (CI), where compiling is most of the time:
# - Clippy lints the crate inside the two builds (clippy-driver wraps rustc for this workspace's
#   crates only, warnings denied), so no profile is compiled twice: a separate `cargo clippy`
#   checks every dependency again (~4 minutes on 2 cores). Native builds share one feature set.
# - The page's build (its tools first on a fresh machine, then trunk: wasm32, fat LTO, wasm-opt)
#   runs in the background from the start, beside the native build and tests: both builds have
#   long stretches on one core (a crate's front end, the LTO link, wasm-opt), and their target
#   folders (target/release, target/wasm32-unknown-unknown/web) have separate locks. Its output
#   goes to target/test-logs/page.log and is printed when the native tests end.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATLAS_NEED_BROWSER=1
source scripts/setup.sh

logs=target/test-logs
mkdir -p "$logs"
# Background steps are stopped when this script ends, whichever way: the job and its children
# (timeout passes the signal on to the build it runs).
trap 'for j in $(jobs -p); do pkill -P "$j" 2>/dev/null; kill "$j" 2>/dev/null; done; true' EXIT

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

# What `cargo clippy -- -D warnings` sets up, given to the two builds (not to the tools).
CLIPPY=(RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
  CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
# The native suite's build: release, with burn-wgpu (GPU training, tested on whatever Vulkan
# adapter the machine has: lavapipe where it has no GPU) and burn-ndarray, which the suite only
# uses as the parity
# test's reference (8 images), left unoptimised: so it compiles in 1 minute instead of 8 (its
# generic kernels were the native build's longest crate on 2 cores), and runs the test in 16 s.
# No line tables (the release profile keeps them for profiling): less to emit and to link into
# the suite's 15 test programs.
SUITE=(--release --features ndarray,wgpu --config 'profile.release.package.burn-ndarray.opt-level=0'
  --config profile.release.debug=false)

echo "== self-check: cargo fmt"
cargo fmt --all --check

echo "== the page's tools and build, in the background (output: $logs/page.log)"
(
  limited 2400 bash -c 'source scripts/setup.sh && source scripts/setup-web.sh'
  source scripts/setup-web.sh
  echo "== the page, linted by clippy: trunk build (wasm32, burn-wgpu + burn-flex)"
  # Three wasm crates: ~29 minutes on a fresh 2-core machine, ~46 on one of the same kind that
  # ran about half as fast (2026-12-06), past the 2400 s this step had: the native build's limit.
  limited 3600 env "${CLIPPY[@]}" trunk build
) >"$logs/page.log" 2>&1 &
page=$!

echo "== native build, linted by clippy (release profile, burn-flex + burn-ndarray unoptimised)"
limited 3600 env "${CLIPPY[@]}" cargo test "${SUITE[@]}" --no-run

echo "== native tests"
limited 3600 env "${CLIPPY[@]}" cargo test "${SUITE[@]}" 2>&1 | tee "$logs/native.log"

echo "== the page's tools and build"
finish "the page's tools or build" "$page" "$logs/page.log"
source scripts/setup-web.sh

echo "== self-check: the page's JavaScript against its JSDoc types (tsc --noEmit, www/tsconfig.json)"
limited 300 tsc --noEmit -p www

echo "== browser tests (headless Chromium)"
limited 1800 node tests/browser/run.mjs
