#!/usr/bin/env bash
# Runs on the GPU device machine, in one call (issue 5's real-GPU measurements), after
# scripts/device_kit.sh prepared .device_kit/ here:
#   run(command="bash scripts/device_check.sh", carry=[".device_kit"], timeout_s=540)
# It installs the Vulkan loader, puts the abi3 extension into sigconv/, checks that sigconv finds
# the GPU, runs the GPU tests, then benches/bench_gpu.py (8192 x 8192 correlation, 3x3 and 15x15,
# against sigconv's CPU path) and benches/bench_gpu_train.py (the VGG block's step against torch on
# CUDA), each output under $OUT. Locally, `PY=.venv/bin/python bash scripts/device_check.sh --quick`
# tries the same steps on lavapipe with small sizes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KIT=.device_kit
PY="${PY:-python3}"
OUT="${OUT:-bench-results/device}"
mkdir -p "$OUT"
QUICK=()
[ "${1:-}" = "--quick" ] && QUICK=(--size 512)
if [ "$(id -u)" = 0 ] && ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in "$KIT"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES="$ICD"
cp "$KIT/_core.abi3.so" sigconv/_core.abi3.so
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
step() { echo "== $1"; shift; timeout 400 "$@" 2>&1 | tee -a "$OUT/device_check.log"; }
step "adapter" "$PY" -c "import sigconv, json; print(json.dumps(sigconv.info(), indent=1, default=str))"
step "GPU tests" "$PY" -m pytest -q -x -p no:cacheprovider tests/python/test_gpu.py \
    tests/python/test_gpu_resident.py tests/python/test_gpu_tensor_ops.py
step "correlation" "$PY" benches/bench_gpu.py --repeats 3 --out "$OUT" "${QUICK[@]}"
step "VGG block step" "$PY" benches/bench_gpu_train.py --repeats 5 --out "$OUT" \
    ${QUICK:+--size 8}
rm -f sigconv/_core.abi3.so
