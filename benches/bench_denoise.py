#!/usr/bin/env python
"""Benchmark sigconv.denoise.fill_missing against scipy and OpenCV, all timed in the same run.

    python benches/bench_denoise.py [--quick] [--out DIR]

Workloads: a smooth 2048 x 2048 float32 image with noise, and

* ``10% lost``: 10% of the pixels lost at random (3 x 3 box window, and a Gaussian window sigma=2);
* ``large holes``: a few discs of radius 40 to 150 lost (about 118,000 pixels; 3 x 3 box: the holes
  fill from their rims over about a hundred passes).

Implementations:

* ``sigconv fill_missing`` (all cores, and ``workers=1``);
* ``scipy normalized conv``: the same algorithm from scipy.ndimage.convolve, two convolutions per
  pass (values times validity, and validity) over the whole image, passes until every pixel is filled;
* ``cv2.inpaint TELEA`` (radius 3), where OpenCV is installed: another algorithm (fast marching), so
  its error against the reference says how far its fill is from normalized convolution, not whether
  it is right.

Each time is the median of several calls after a warm-up call (fewer calls for slow peers: a time
budget per measurement). The reference is the scipy normalized convolution in float64; a sigconv
result off by more than 1e-4 (relative) makes the script exit with status 1. Ratios are
``peer ms / sigconv ms``: above 1, sigconv is faster. Output: a table on stdout, and in ``--out``
(default ``bench-results/``) ``bench_denoise.json`` and ``bench_denoise.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

SHAPE = (2048, 2048)
PEERS = ("numpy", "scipy", "cv2")
TOL = 1e-4


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, a shorter time budget")
    p.add_argument("--out", type=Path, default=Path("bench-results"),
                   help="folder for the JSON and PNG (default: bench-results/)")
    p.add_argument("--repeats", type=int, help="timed calls per measurement (default 7, quick 3)")
    p.add_argument("--budget", type=float,
                   help="seconds per measurement before repeats are cut (default 15, quick 3)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.repeats = a.repeats or (3 if a.quick else 7)
    a.budget = a.budget or (3.0 if a.quick else 15.0)
    return a


def scipy_normalized_convolution(x, lost, w, dtype):
    """Normalized convolution with scipy.ndimage, pass after pass over the whole image."""
    import scipy.ndimage as nd

    v = np.where(lost, 0, x).astype(dtype)
    valid = (~lost).astype(dtype)
    w = w.astype(dtype)
    while True:
        num = nd.convolve(v * valid, w, mode="constant")
        den = nd.convolve(valid, w, mode="constant")
        new = (valid == 0) & (den > 0)
        if not new.any():
            break
        v[new] = num[new] / den[new]
        valid[new] = 1
    v[valid == 0] = np.nan
    return v


def image(rng):
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]] / SHAPE[0]
    smooth = np.sin(6 * xx) * np.cos(4 * yy) + 0.5 * np.sin(15 * (xx + yy))
    return (smooth + 0.05 * rng.standard_normal(SHAPE)).astype(np.float32)


def discs():
    lost = np.zeros(SHAPE, dtype=bool)
    yy, xx = np.ogrid[: SHAPE[0], : SHAPE[1]]
    for cy, cx, r in [(500, 500, 100), (1500, 700, 60), (1000, 1600, 150), (300, 1700, 40)]:
        lost |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return lost


def run(rows, failures, args, workload, impls, reference, primary):
    print(f"  {workload}: ", end="", flush=True)
    out = []
    for name, fn, check in impls:
        try:
            t = H.measure(fn, repeats=args.repeats, budget_s=args.budget)
        except Exception as e:  # a failure is a row, not a crash
            t = H.skipped(f"error: {type(e).__name__}: {e}"[:120])
        err = rel = None
        if t.result is not None:
            err, rel = H.errors(np.nan_to_num(t.result, nan=1e9), reference)
            if check and not rel <= TOL:
                t.note = (t.note + "; " if t.note else "") + "WRONG: rel err over tolerance"
            elif not check:
                t.note = (t.note + "; " if t.note else "") + "other algorithm: error is a distance"
        t.result = None
        if name.startswith("sigconv") and (t.ms is None or "WRONG" in t.note):
            failures.append(f"{workload} / {name}: {t.note}")
        out.append(H.record(t, workload=workload, impl=name, max_abs_err=err, rel_err=rel))
        print(".", end="", flush=True)
    base = next((r["ms"] for r in out if r["impl"] == primary), None)
    for r in out:
        r["ratio"] = r["ms"] / base if (r["ms"] and base) else None
    print()
    rows += out


COLUMNS = [
    ("impl", "implementation", None),
    ("ms", "ms (median)", H.fmt_ms),
    ("runs", "runs", str),
    ("ratio", "peer/sigconv", H.fmt_ratio),
    ("max_abs_err", "max abs err", H.fmt_err),
    ("note", "note", lambda s: s or ""),
]


def main(argv=None) -> int:
    args = parse_args(argv)
    import sigconv
    from sigconv import denoise, kernels

    cv2 = H.optional_import("cv2")
    env = H.environment(PEERS)
    H.print_environment(env)
    threads = sigconv.info()["threads"]
    rng = np.random.default_rng(args.seed)
    x = image(rng)
    cases = [
        ("10% lost, 3x3 box", rng.random(SHAPE) < 0.10, np.ones((3, 3)), {"size": 3}),
        ("10% lost, gaussian sigma=2", rng.random(SHAPE) < 0.10, kernels.gaussian(2.0, 2),
         {"sigma": 2.0}),
        ("large holes, 3x3 box", discs(), np.ones((3, 3)), {"size": 3}),
    ]
    rows, failures = [], []
    t0 = time.perf_counter()
    for label, lost, w, kw in cases:
        print(f"{label}: {lost.sum()} lost pixels")
        ref = scipy_normalized_convolution(x.astype(np.float64), lost, w, np.float64)
        impls = [
            ("sigconv fill_missing", lambda lost=lost, kw=kw: denoise.fill_missing(x, lost, **kw),
             True),
            ("sigconv workers=1",
             lambda lost=lost, kw=kw: denoise.fill_missing(x, lost, workers=1, **kw), True),
            ("scipy normalized conv",
             lambda lost=lost, w=w: scipy_normalized_convolution(x, lost, w, np.float32), True),
        ]
        if cv2 is not None and kw.get("size") == 3:
            m8 = lost.astype(np.uint8)
            impls.append(("cv2.inpaint TELEA r=3",
                          lambda m8=m8: cv2.inpaint(x, m8, 3, cv2.INPAINT_TELEA), False))
        run(rows, failures, args, label, impls, ref, "sigconv fill_missing")

    print(f"\n== fill_missing, 2048x2048 float32 ({env['cpu']}, {threads} threads); "
          "reference: scipy normalized convolution in float64")
    for workload in dict.fromkeys(r["workload"] for r in rows):
        H.print_table([r for r in rows if r["workload"] == workload], COLUMNS, title=workload)
    groups = list(dict.fromkeys(r["workload"] for r in rows))
    names = [n for n in dict.fromkeys(r["impl"] for r in rows) if n != "sigconv fill_missing"]
    series = {n: [next((r["ratio"] for r in rows if r["impl"] == n and r["workload"] == g), None)
                  for g in groups] for n in names}
    payload = {"benchmark": "bench_denoise", "quick": args.quick, "repeats": args.repeats,
               "budget_s": args.budget, "seed": args.seed, "environment": env, "rows": rows}
    print(f"\nsaved {H.save_json(args.out / 'bench_denoise.json', payload)}")
    png = H.bar_chart(args.out / "bench_denoise.png",
                      [{"title": "fill_missing 2048x2048 float32: peer time / sigconv time",
                        "groups": groups, "series": series}])
    print(f"saved {png}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return H.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
