#!/usr/bin/env bash
# Serves the explorer with the shipped models on http://127.0.0.1:8080 (trunk serve: rebuilds
# on changes). Installs what a fresh Debian machine with Rust and Node lacks first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/setup-web.sh
exec trunk serve "$@"
