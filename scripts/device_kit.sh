#!/usr/bin/env bash
# Prepares here what a GPU device machine needs for scripts/device_check.sh (issue 5's real-GPU
# figures): the extension built for any CPython from 3.11 on (abi3; the device machine has Python
# 3.12 with numpy, scipy, pytest and torch, but no Rust and no network) and the Vulkan loader's
# package. Everything lands in .device_kit/ (ignored by git), which the device tool's `run` takes
# with carry=[".device_kit"]; see scripts/device_check.sh for the command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KIT=.device_kit
mkdir -p "$KIT/debs"
PYO3_PYTHON="${PYO3_PYTHON:-$PWD/.venv/bin/python}" cargo build --release --lib \
    --features python,pyo3/extension-module,pyo3/abi3-py311 --target-dir target/abi3
cp target/abi3/release/libsigconv.so "$KIT/_core.abi3.so"
strip "$KIT/_core.abi3.so" 2>/dev/null || true
if ! ls "$KIT"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    (cd "$KIT/debs" && apt-get download -qq libvulkan1)
fi
du -sh "$KIT"
