"""GPU against CPU: 2-D correlation of a float32 image (scipy.signal.correlate2d, mode 'same').

Times, in the same run, sigconv's CPU path (all cores), sigconv on device='gpu' end to end (numpy in,
numpy out: the call returns only after the device has finished and the result is copied back), and
OpenCV's cv2.filter2D where installed. The GPU call is then broken down into upload, compute and
download (``_core.gpu_correlate_profiled``, which drains the device between the phases).

Image size: 8192 x 8192 on a real GPU, 2048 x 2048 on a CPU adapter (Mesa's lavapipe), or --size.

    .venv/bin/python benches/bench_gpu.py [--size N] [--repeats R] [--out DIR]
"""

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

from sigconv import _core, signal  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--kernels", type=int, nargs="+", default=[3, 15])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per measurement at most")
    ap.add_argument("--out", type=Path, default=Path("bench-results"))
    args = ap.parse_args()

    env = _harness.environment(["numpy", "cv2"])
    _harness.print_environment(env)
    adapter = _core.gpu_adapter()
    if adapter is None:
        print(f"no GPU adapter: {_core.gpu_unavailable_reason()}")
        return 0
    print(f"GPU: {adapter['name']} ({adapter['type']}, {adapter['backend']}, {adapter['driver']})")
    size = args.size or (2048 if adapter["type"] == "cpu" else 8192)
    cv2 = _harness.optional_import("cv2")

    rng = np.random.default_rng(0)
    img = rng.random((size, size), dtype=np.float32)
    rows, failed = [], False
    for n in args.kernels:
        k = rng.standard_normal((n, n)).astype(np.float32)
        ref = signal.correlate2d(img.astype(np.float64), k.astype(np.float64), "same")
        cpu = _harness.measure(lambda: signal.correlate2d(img, k, "same"), args.repeats, args.budget)
        gpu = _harness.measure(lambda: signal.correlate2d(img, k, "same", device="gpu"),
                               args.repeats, args.budget)
        # the same correlation by the core's geometry: start -(n // 2) on both axes ('same', odd n)
        phases = []
        for _ in range(max(1, min(args.repeats, gpu.runs))):
            out, t = _core.gpu_correlate_profiled(img, k, [-(n // 2)] * 2, "fill", 0.0)
            phases.append(t)
        phase = {p: statistics.median(t[p] for t in phases) * 1e3 for p in phases[0]}
        if cv2 is not None:
            # filter2D correlates, anchored at the centre, zero border: correlate2d 'same'
            peer = _harness.measure(
                lambda: cv2.filter2D(img, -1, k, borderType=cv2.BORDER_CONSTANT),
                args.repeats, args.budget)
        else:
            peer = _harness.skipped("cv2 not installed")
        errs = {name: _harness.errors(t.result, ref)[1] for name, t in
                (("cpu", cpu), ("gpu", gpu), ("cv2", peer)) if t.result is not None}
        errs["gpu_profiled"] = _harness.errors(out, ref)[1]
        if max(errs["gpu"], errs["gpu_profiled"], errs["cpu"]) > 1e-4:
            failed = True
        rows.append({
            "kernel": f"{n}x{n}", "cpu_ms": cpu.ms, "gpu_ms": gpu.ms,
            "speedup": cpu.ms / gpu.ms if gpu.ms else None,
            "upload_ms": phase["upload"], "compute_ms": phase["compute"],
            "download_ms": phase["download"],
            "compute_speedup": cpu.ms / phase["compute"] if phase["compute"] else None,
            "cv2_ms": peer.ms, "gpu_err": errs["gpu"], "cpu_err": errs["cpu"],
            "note": "; ".join(x for x in (cpu.note, gpu.note, peer.note) if x),
        })
    ms, ratio, err = _harness.fmt_ms, _harness.fmt_ratio, _harness.fmt_err
    _harness.print_table(rows, [
        ("kernel", "kernel", None), ("cpu_ms", "sigconv cpu ms", ms),
        ("gpu_ms", "gpu ms (end to end)", ms), ("speedup", "cpu/gpu", ratio),
        ("upload_ms", "upload ms", ms), ("compute_ms", "compute ms", ms),
        ("download_ms", "download ms", ms), ("compute_speedup", "cpu/gpu compute", ratio),
        ("cv2_ms", "cv2.filter2D ms", ms), ("gpu_err", "gpu rel err", err),
        ("note", "note", None),
    ], title=f"correlate2d 'same', float32 {size}x{size}, on {adapter['name']}")
    path = _harness.save_json(args.out / "bench_gpu.json",
                              {"environment": env, "adapter": adapter, "size": size, "rows": rows})
    print(f"\nwritten: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
