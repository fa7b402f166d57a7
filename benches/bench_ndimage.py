#!/usr/bin/env python
"""Benchmark sigconv.ndimage (and sigconv.signal.medfilt2d) against scipy and OpenCV, all timed
in the same run.

    python benches/bench_ndimage.py [--quick] [--out DIR] [--only gauss,uniform,median,max]

Workloads, on one seeded 2048 x 2048 float32 image:

* Gaussian, sigma 2 and 8 (truncate 4: 17 and 65 taps): ``sigconv.ndimage.gaussian_filter``
  against ``scipy.ndimage.gaussian_filter`` and ``cv2.GaussianBlur`` (ksize 17 / 65,
  BORDER_REFLECT, which is ndimage's 'reflect');
* uniform, size 5, and size 31 on the image in float64 (running sums): ``uniform_filter``
  against ``scipy.ndimage.uniform_filter`` and ``cv2.blur``;
* median 3, 5, 7: ``median_filter`` against ``scipy.ndimage.median_filter``,
  ``scipy.signal.medfilt2d`` (sigconv's ``signal.medfilt2d`` beside it) and ``cv2.medianBlur``
  (float32 only for sizes 3 and 5; its border replicates, so its result is checked away from the
  edges only);
* maximum, size 3: ``maximum_filter`` against ``scipy.ndimage.maximum_filter`` and ``cv2.dilate``.

Each time is the median of several calls after a warm-up call (slow peers get fewer calls: a
time budget per measurement). Ratios are ``peer ms / sigconv ms``: above 1, sigconv is faster.
Every result is checked against scipy's (in float64 where scipy computes in float64) and its
error printed; a wrong or failing sigconv result makes the script exit with status 1. Output: a
table on stdout, ``bench_ndimage.json`` and ``bench_ndimage.png`` in ``--out``
(default ``bench-results/``).
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
SECTIONS = ("gauss", "uniform", "median", "max")
# targets of the issue: OpenCV's times measured earlier on this machine (ms)
# Workloads beyond issue 3's list, reported without its targets.
UNTARGETED = {"uniform 31 float64"}
OPENCV_MS = {"gaussian sigma=2": 6.0, "gaussian sigma=8": 23.0, "uniform 5": 3.5,
             "median 3": 2.4, "median 5": 11.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, a shorter time budget")
    p.add_argument("--out", type=Path, default=Path("bench-results"))
    p.add_argument("--only", default=",".join(SECTIONS),
                   help="comma-separated sections among " + ", ".join(SECTIONS))
    p.add_argument("--repeats", type=int, help="timed calls per measurement (default 9, quick 3)")
    p.add_argument("--budget", type=float, help="seconds per measurement (default 10, quick 3)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.repeats = a.repeats or (3 if a.quick else 9)
    a.budget = a.budget or (3.0 if a.quick else 10.0)
    a.only = {s.strip() for s in a.only.split(",") if s.strip()}
    unknown = a.only - set(SECTIONS)
    if unknown:
        p.error(f"--only accepts {', '.join(SECTIONS)}; got {sorted(unknown)}")
    return a


class Bench:
    def __init__(self, args):
        self.args = args
        self.rows: list[dict] = []
        self.failures: list[str] = []

    def run(self, section, workload, impls, reference, tol, primary):
        """Times each ``(name, fn, crop)``; ``crop`` trims that many edge pixels before the
        error check (for peers whose border rule differs)."""
        a = self.args
        print(f"  {workload}: ", end="", flush=True)
        rows = []
        for name, fn, crop in impls:
            try:
                t = H.measure(fn, repeats=a.repeats, budget_s=a.budget)
            except Exception as e:
                t = H.skipped(f"error: {type(e).__name__}: {e}"[:120])
            err = rel = None
            if t.result is not None:
                res, ref = np.asarray(t.result), reference
                if crop:
                    res, ref = res[crop:-crop, crop:-crop], ref[crop:-crop, crop:-crop]
                err, rel = H.errors(res, ref)
                if not rel <= tol:
                    t.note = (t.note + "; " if t.note else "") + "WRONG: rel err over tolerance"
                if crop:
                    t.note = (t.note + "; " if t.note else "") + f"checked {crop} px from the edges"
            t.result = None
            if name.startswith("sigconv") and (t.ms is None or "WRONG" in t.note):
                self.failures.append(f"{workload} / {name}: {t.note}")
            rows.append(H.record(t, section=section, workload=workload, impl=name,
                                 max_abs_err=err, rel_err=rel))
            print(".", end="", flush=True)
        base = next((r["ms"] for r in rows if r["impl"] == primary), None)
        for r in rows:
            r["ratio"] = r["ms"] / base if (r["ms"] and base) else None
        print()
        self.rows += rows


def main(argv=None) -> int:
    args = parse_args(argv)
    import scipy.ndimage as nd
    import scipy.signal as ss

    import sigconv
    from sigconv import ndimage as sn
    from sigconv import signal as S

    cv2 = H.optional_import("cv2")
    env = H.environment(PEERS)
    H.print_environment(env)
    threads = sigconv.info()["threads"]
    if cv2 is not None:
        cv2.setNumThreads(threads)
    print(f"up to {args.repeats} timed calls after a warm-up, {args.budget:g} s budget each")
    im = np.random.default_rng(args.seed).random(SHAPE, dtype=np.float32)
    b = Bench(args)
    t0 = time.perf_counter()
    if "gauss" in args.only:
        for sigma in (2, 8):
            ksize = 2 * int(4 * sigma + 0.5) + 1
            ref = nd.gaussian_filter(im.astype(np.float64), sigma)
            impls = [("sigconv gaussian_filter", lambda s=sigma: sn.gaussian_filter(im, s), 0),
                     ("scipy.ndimage.gaussian_filter", lambda s=sigma: nd.gaussian_filter(im, s), 0)]
            if cv2 is not None:
                impls.append(("cv2.GaussianBlur", lambda s=sigma, k=ksize: cv2.GaussianBlur(
                    im, (k, k), s, borderType=cv2.BORDER_REFLECT), 0))
            b.run("gauss", f"gaussian sigma={sigma}", impls, ref, 1e-5, "sigconv gaussian_filter")
    if "uniform" in args.only:
        ref = nd.uniform_filter(im.astype(np.float64), 5)
        impls = [("sigconv uniform_filter", lambda: sn.uniform_filter(im, 5), 0),
                 ("scipy.ndimage.uniform_filter", lambda: nd.uniform_filter(im, 5), 0)]
        if cv2 is not None:
            impls.append(("cv2.blur", lambda: cv2.blur(im, (5, 5), borderType=cv2.BORDER_REFLECT), 0))
        b.run("uniform", "uniform 5", impls, ref, 1e-5, "sigconv uniform_filter")
        # Long float64 windows: running sums (exact double-doubles in sigconv).
        im64 = im.astype(np.float64)
        ref = nd.uniform_filter(im64, 31)
        impls = [("sigconv uniform_filter", lambda: sn.uniform_filter(im64, 31), 0),
                 ("scipy.ndimage.uniform_filter", lambda: nd.uniform_filter(im64, 31), 0)]
        if cv2 is not None:
            impls.append(("cv2.blur", lambda: cv2.blur(im64, (31, 31),
                                                       borderType=cv2.BORDER_REFLECT), 0))
        b.run("uniform", "uniform 31 float64", impls, ref, 1e-12, "sigconv uniform_filter")
    if "median" in args.only:
        for size in (3, 5, 7):
            impls = [("sigconv median_filter", lambda s=size: sn.median_filter(im, s), 0),
                     ("sigconv signal.medfilt2d", lambda s=size: S.medfilt2d(im, s), None),
                     ("scipy.ndimage.median_filter", lambda s=size: nd.median_filter(im, s), 0),
                     ("scipy.signal.medfilt2d", lambda s=size: ss.medfilt2d(im, s), None)]
            if cv2 is not None and size <= 5:  # float32 medianBlur supports only 3 and 5
                impls.append(("cv2.medianBlur", lambda s=size: cv2.medianBlur(im, s), size))
            # one reference per border rule: ndimage 'reflect' for median_filter, zeros for medfilt2d
            rows_before = len(b.rows)
            ref = nd.median_filter(im, size)
            zref = ss.medfilt2d(im, size)
            main_impls = [(n, f, c) for n, f, c in impls if c is not None]
            b.run("median", f"median {size}", main_impls, ref, 0.0, "sigconv median_filter")
            zero_impls = [(n, f, 0) for n, f, c in impls if c is None]
            b.run("median", f"median {size} zero-padded (medfilt2d)", zero_impls, zref, 0.0,
                  "sigconv signal.medfilt2d")
            base = next(r["ms"] for r in b.rows[rows_before:] if r["impl"] == "sigconv median_filter")
            for r in b.rows[rows_before:]:
                r["ratio_vs_median_filter"] = r["ms"] / base if (r["ms"] and base) else None
    if "max" in args.only:
        ref = nd.maximum_filter(im, 3)
        impls = [("sigconv maximum_filter", lambda: sn.maximum_filter(im, 3), 0),
                 ("scipy.ndimage.maximum_filter", lambda: nd.maximum_filter(im, 3), 0)]
        if cv2 is not None:
            kernel = np.ones((3, 3), np.uint8)
            impls.append(("cv2.dilate", lambda: cv2.dilate(im, kernel,
                                                           borderType=cv2.BORDER_REFLECT), 0))
        b.run("max", "maximum 3", impls, ref, 0.0, "sigconv maximum_filter")
    report(b, env, args)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return H.report_failures(b.failures)


COLUMNS = [
    ("impl", "implementation", None),
    ("ms", "ms (median)", H.fmt_ms),
    ("runs", "runs", str),
    ("ratio", "peer/sigconv", H.fmt_ratio),
    ("max_abs_err", "max abs err", H.fmt_err),
    ("note", "note", lambda s: s or ""),
]


def report(b, env, args):
    print("\n== 2048x2048 float32 (but the float64 row); peer/sigconv divides by the sigconv row"
          " of each table")
    for workload in dict.fromkeys(r["workload"] for r in b.rows):
        H.print_table([r for r in b.rows if r["workload"] == workload], COLUMNS, title=workload)
    print("\n== Targets (issue 3): at least OpenCV's speed where it has the op, >= 20x scipy.ndimage,"
          " median 7 >= 100x scipy")
    for workload in dict.fromkeys(r["workload"] for r in b.rows):
        rows = [r for r in b.rows if r["workload"] == workload]
        mine = rows[0]
        sp = next((r for r in rows if r["impl"].startswith("scipy.ndimage")), None)
        cv = next((r for r in rows if r["impl"].startswith("cv2")), None)
        parts = [f"{workload}: sigconv {H.fmt_ms(mine['ms'])} ms"]
        targeted = workload not in UNTARGETED
        if sp and sp["ratio"]:
            need = 100 if workload == "median 7" else 20
            verdict = f" ({'met' if sp['ratio'] >= need else 'NOT met'}: >= {need}x)"
            parts.append(f"{H.fmt_ratio(sp['ratio'])} vs scipy.ndimage{verdict * targeted}")
        if cv and cv["ratio"]:
            verdict = f" ({'met' if cv['ratio'] >= 1 else 'NOT met'} in this run)"
            parts.append(f"{H.fmt_ratio(cv['ratio'])} vs {cv['impl']}{verdict * targeted}")
        if not targeted:
            parts.append("no issue target (float64)")
        if workload in OPENCV_MS and mine["ms"]:
            parts.append(f"issue's OpenCV figure {OPENCV_MS[workload]:g} ms")
        print("  " + "; ".join(parts))
    groups = list(dict.fromkeys(r["workload"] for r in b.rows))
    names = [n for n in dict.fromkeys(r["impl"] for r in b.rows) if not n.startswith("sigconv")]
    series = {n: [next((r["ratio"] for r in b.rows if r["impl"] == n and r["workload"] == g), None)
                  for g in groups] for n in names}
    payload = {"benchmark": "bench_ndimage", "quick": args.quick, "repeats": args.repeats,
               "budget_s": args.budget, "seed": args.seed, "environment": env, "rows": b.rows}
    print(f"\nsaved {H.save_json(args.out / 'bench_ndimage.json', payload)}")
    sc = env.get("sigconv", {})
    png = H.bar_chart(args.out / "bench_ndimage.png",
                      [{"title": "2048x2048 float32: peer time / sigconv time", "groups": groups,
                        "series": series}],
                      title=f"sigconv {sc.get('version', '?')} ndimage on {env['cpu']} "
                            f"({env['cores']} cores, SIMD {sc.get('simd', '?')})")
    print(f"saved {png}")


if __name__ == "__main__":
    sys.exit(main())
