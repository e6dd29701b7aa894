#!/usr/bin/env bash
# Installs what a fresh Debian machine with Rust lacks for building and testing Latent Atlas.
# Idempotent: each step checks first. Sourced by scripts/test.sh and scripts/demo.sh.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Fashion-MNIST's four IDX files (the loader also accepts --data DIR or $LATENT_ATLAS_DATA).
if [ -z "${LATENT_ATLAS_DATA:-}" ] && [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  echo "setup: installing dataset-fashion-mnist"
  apt_install dataset-fashion-mnist
fi

# A Vulkan driver for the GPU training tests (tests/gpu_training.rs): where the machine has none,
# Mesa's lavapipe, a software Vulkan (slow, but the code path a GPU runs).
# Only for the test command (scripts/test.sh sets ATLAS_NEED_BROWSER).
if [ "${ATLAS_NEED_BROWSER:-}" = 1 ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  echo "setup: installing mesa-vulkan-drivers (lavapipe)"
  apt_install mesa-vulkan-drivers
fi

# The library core is also checked for the browser target.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The test command's self-checks.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    echo "setup: adding the $component component"
    rustup component add "$component"
  fi
done
