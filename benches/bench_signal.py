#!/usr/bin/env python
"""Benchmark sigconv.signal against numpy, scipy, OpenCV and torch, all timed in the same run.

    python benches/bench_signal.py [--quick] [--out DIR] [--only 1d,2d,threads]

Workloads (seeded random data, mode 'same'):

* 1-D float64, N = 1,000,000, kernel lengths 3, 33, 513, 8193: ``sigconv.signal.convolve`` (auto)
  against ``numpy.convolve``, ``scipy.signal.convolve`` (auto) and ``scipy.signal.oaconvolve``;
* 2-D float32, 2048 x 2048, kernels 3x3, 7x7, 15x15, 31x31: ``sigconv.signal.convolve2d`` (and
  ``sigconv.signal.convolve``) against ``scipy.signal.convolve2d``, ``scipy.signal.convolve``,
  ``scipy.ndimage.convolve`` (mode='constant'), OpenCV ``cv2.filter2D`` (flipped kernel,
  BORDER_CONSTANT) and ``torch.nn.functional.conv2d`` (flipped kernel, padding k//2) where installed;
* threads: sigconv with ``workers=1`` against all cores, on the 2-D 7x7 and 1-D 513 workloads.

Each time is the median of several calls after a warm-up call; slow peers get fewer calls (a time
budget per measurement) and direct peers above ``--max-gmac`` are skipped, which the table says.
Ratios are ``peer ms / sigconv ms``: above 1, sigconv is faster. Every result, peers' included, is
checked against one reference (float64; numpy.convolve in 1-D, scipy.signal.fftconvolve in 2-D):
a result off by more than the dtype's tolerance is marked WRONG, and a wrong or failing sigconv
result makes the script exit with status 1. Output: a table on stdout, and in ``--out`` (default
``bench-results/``) ``bench_signal.json`` and ``bench_signal.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

N_1D = 1_000_000
TAPS_1D = (3, 33, 513, 8193)
SHAPE_2D = (2048, 2048)
SIZES_2D = (3, 7, 15, 31)
TOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}
PEERS = ("numpy", "scipy", "cv2", "torch")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats, a shorter time budget, skip direct peers over 1 GMAC")
    p.add_argument("--out", type=Path, default=Path("bench-results"),
                   help="folder for the JSON and PNG (default: bench-results/)")
    p.add_argument("--only", default="1d,2d,threads",
                   help="comma-separated sections to run among 1d, 2d, threads")
    p.add_argument("--repeats", type=int, help="timed calls per measurement (default 7, quick 3)")
    p.add_argument("--budget", type=float,
                   help="seconds per measurement before repeats are cut (default 15, quick 3)")
    p.add_argument("--max-gmac", type=float,
                   help="skip direct (non-FFT) peers above this many 1e9 multiply-adds "
                        "(default 20, quick 1)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.repeats = a.repeats or (3 if a.quick else 7)
    a.budget = a.budget or (3.0 if a.quick else 15.0)
    a.max_gmac = a.max_gmac if a.max_gmac is not None else (1.0 if a.quick else 20.0)
    a.only = {s.strip() for s in a.only.split(",") if s.strip()}
    unknown = a.only - {"1d", "2d", "threads"}
    if unknown:
        p.error(f"--only accepts 1d, 2d, threads; got {sorted(unknown)}")
    return a


class Bench:
    """Runs implementations on workloads and keeps the rows."""

    def __init__(self, args):
        self.args = args
        self.rows: list[dict] = []
        self.failures: list[str] = []

    def run(self, section, workload, impls, reference, dtype, macs, primary):
        """Times each ``(name, fn, direct)`` of ``impls``; returns the rows of this workload.

        ``direct``: the implementation does every multiply-add (no FFT), so it is skipped above
        ``--max-gmac``. ``primary`` names the sigconv row the ratios divide by.
        """
        a = self.args
        print(f"  {workload}: ", end="", flush=True)
        rows = []
        for name, fn, direct in impls:
            if direct and macs > a.max_gmac * 1e9:
                t = H.skipped(f"skipped: {macs / 1e9:.1f} GMAC direct > --max-gmac {a.max_gmac:g}")
            else:
                try:
                    t = H.measure(fn, repeats=a.repeats, budget_s=a.budget)
                except Exception as e:  # a peer's or sigconv's failure is a row, not a crash
                    t = H.skipped(f"error: {type(e).__name__}: {e}"[:120])
            err = rel = None
            if t.result is not None:
                err, rel = H.errors(t.result, reference)
                if not rel <= TOL[np.dtype(dtype)]:
                    t.note = (t.note + "; " if t.note else "") + "WRONG: rel err over tolerance"
            t.result = None
            if name.startswith("sigconv") and (t.ms is None or "WRONG" in t.note):
                self.failures.append(f"{workload} / {name}: {t.note}")
            rows.append(H.record(t, section=section, workload=workload, impl=name,
                                 max_abs_err=err, rel_err=rel, dtype=str(np.dtype(dtype))))
            print(".", end="", flush=True)
        base = next((r["ms"] for r in rows if r["impl"] == primary), None)
        for r in rows:
            r["ratio"] = r["ms"] / base if (r["ms"] and base) else None
        print()
        self.rows += rows
        return rows


def bench_1d(b: Bench, rng, S, threads):
    import scipy.signal as ss

    x = rng.standard_normal(N_1D)
    for taps in TAPS_1D:
        k = rng.standard_normal(taps)
        ref = np.convolve(x, k, "same")
        method = S.choose_conv_method(x, k, mode="same")
        impls = [
            ("sigconv convolve", lambda: S.convolve(x, k, "same"), False),
            ("numpy.convolve", lambda: np.convolve(x, k, "same"), True),
            ("scipy.signal.convolve", lambda: ss.convolve(x, k, "same"), False),
            ("scipy.signal.oaconvolve", lambda: ss.oaconvolve(x, k, "same"), False),
        ]
        rows = b.run("1d", f"1-D K={taps}", impls, ref, np.float64, N_1D * taps,
                     "sigconv convolve")
        rows[0]["note"] = (rows[0]["note"] + "; " if rows[0]["note"] else "") + f"method {method}"


def bench_2d(b: Bench, rng, S, threads):
    import scipy.ndimage as nd
    import scipy.signal as ss

    cv2 = H.optional_import("cv2")
    torch = H.optional_import("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    im = rng.random(SHAPE_2D, dtype=np.float32)
    for size in SIZES_2D:
        k = rng.standard_normal((size, size)).astype(np.float32)
        kflip = np.ascontiguousarray(k[::-1, ::-1])
        ref = ss.fftconvolve(im.astype(np.float64), k.astype(np.float64), "same")
        impls = [
            ("sigconv convolve2d", lambda: S.convolve2d(im, k, "same"), False),
            ("sigconv convolve", lambda: S.convolve(im, k, "same"), False),
            ("scipy.signal.convolve2d", lambda: ss.convolve2d(im, k, "same"), True),
            ("scipy.signal.convolve", lambda: ss.convolve(im, k, "same"), False),
            ("scipy.ndimage.convolve", lambda: nd.convolve(im, k, mode="constant"), True),
        ]
        if cv2 is not None:
            impls.append(("cv2.filter2D", lambda: cv2.filter2D(
                im, -1, kflip, borderType=cv2.BORDER_CONSTANT), False))
        if torch is not None:
            ti = torch.from_numpy(im)[None, None]
            tk = torch.from_numpy(kflip)[None, None]

            def run_torch(ti=ti, tk=tk, pad=size // 2):
                with torch.inference_mode():
                    return torch.nn.functional.conv2d(ti, tk, padding=pad)[0, 0].numpy()

            impls.append(("torch conv2d", run_torch, False))
        b.run("2d", f"2-D {size}x{size}", impls, ref, np.float32, im.size * size * size,
              "sigconv convolve2d")


def bench_threads(b: Bench, rng, S, threads):
    """sigconv with workers=1 against workers=all cores; ratio = 1-thread ms / all-cores ms."""
    import scipy.signal as ss

    if threads < 2:
        print(f"  threads: skipped, sigconv sees {threads} core")
        return
    im = rng.random(SHAPE_2D, dtype=np.float32)
    k7 = rng.standard_normal((7, 7)).astype(np.float32)
    x = rng.standard_normal(N_1D)
    k513 = rng.standard_normal(513)
    cases = [
        ("2-D 7x7 convolve2d", lambda w: S.convolve2d(im, k7, "same", workers=w),
         ss.fftconvolve(im.astype(np.float64), k7.astype(np.float64), "same"), np.float32,
         im.size * 49),
        ("1-D K=513 convolve", lambda w: S.convolve(x, k513, "same", workers=w),
         np.convolve(x, k513, "same"), np.float64, N_1D * 513),
    ]
    for label, fn, ref, dtype, macs in cases:
        impls = [
            ("sigconv workers=1", lambda fn=fn: fn(1), False),
            (f"sigconv workers={threads}", lambda fn=fn: fn(threads), False),
        ]
        rows = b.run("threads", f"threads {label}", impls, ref, dtype, macs,
                     f"sigconv workers={threads}")
        # report the speed-up from threads: 1-thread time / all-threads time
        for r in rows:
            r["ratio"] = (rows[0]["ms"] / r["ms"]) if (rows[0]["ms"] and r["ms"]) else None


COLUMNS = [
    ("impl", "implementation", None),
    ("ms", "ms (median)", H.fmt_ms),
    ("runs", "runs", str),
    ("ratio", "peer/sigconv", H.fmt_ratio),
    ("max_abs_err", "max abs err", H.fmt_err),
    ("rel_err", "rel err", H.fmt_err),
    ("note", "note", lambda s: s or ""),
]


def report(b: Bench, env: dict, args) -> None:
    for section, title in [
        ("1d", "1-D float64, N=1,000,000, mode='same' (reference: numpy.convolve in float64)"),
        ("2d", "2-D float32, 2048x2048, mode='same' (reference: scipy.signal.fftconvolve in "
               "float64); peer/sigconv divides by sigconv convolve2d"),
        ("threads", "Threads: sigconv workers=1 against all cores; the ratio column is "
                    "1-thread ms / this row's ms"),
    ]:
        rows = [r for r in b.rows if r["section"] == section]
        if not rows:
            continue
        print(f"\n== {title}")
        for workload in dict.fromkeys(r["workload"] for r in rows):
            cols = [c if c[0] != "ratio" or section != "threads"
                    else ("ratio", "speed-up", H.fmt_ratio) for c in COLUMNS]
            H.print_table([r for r in rows if r["workload"] == workload], cols, title=workload)

    panels = []
    for section, title, skip in [
        ("1d", "1-D float64, N=1e6, mode 'same': peer time / sigconv.signal.convolve time",
         {"sigconv convolve"}),
        ("2d", "2-D float32, 2048x2048, mode 'same': peer time / sigconv.signal.convolve2d time",
         {"sigconv convolve2d", "sigconv convolve"}),
    ]:
        rows = [r for r in b.rows if r["section"] == section]
        if not rows:
            continue
        groups = list(dict.fromkeys(r["workload"].split(" ", 1)[1] for r in rows))
        names = [n for n in dict.fromkeys(r["impl"] for r in rows) if n not in skip]
        series = {n: [next((r["ratio"] for r in rows if r["impl"] == n
                            and r["workload"].endswith(" " + g)), None) for g in groups]
                  for n in names}
        panels.append({"title": title, "groups": groups, "series": series})
    trows = [r for r in b.rows if r["section"] == "threads"]
    if trows:
        groups = list(dict.fromkeys(r["workload"].replace("threads ", "") for r in trows))
        multi = [r for r in trows if r["impl"] != "sigconv workers=1"]
        panels.append({
            "title": "sigconv thread scaling: time with workers=1 / time with all cores",
            "groups": groups,
            "series": {multi[0]["impl"] if multi else "all cores":
                       [r["ratio"] for r in multi]},
            "ylabel": "speed-up from threads",
            "log": False,
        })
    out = args.out
    payload = {"benchmark": "bench_signal", "quick": args.quick, "repeats": args.repeats,
               "budget_s": args.budget, "max_gmac": args.max_gmac, "seed": args.seed,
               "environment": env, "rows": b.rows}
    json_path = H.save_json(out / "bench_signal.json", payload)
    print(f"\nsaved {json_path}")
    if panels:
        sc = env.get("sigconv", {})
        png = H.bar_chart(out / "bench_signal.png", panels,
                          title=f"sigconv {sc.get('version', '?')} vs peers on {env['cpu']} "
                                f"({env['cores']} cores, SIMD {sc.get('simd', '?')})")
        print(f"saved {png}")


def main(argv=None) -> int:
    args = parse_args(argv)
    import sigconv
    import sigconv.signal as S

    env = H.environment(PEERS)
    H.print_environment(env)
    threads = sigconv.info()["threads"]
    mode = "quick" if args.quick else "full"
    print(f"mode {mode}: up to {args.repeats} timed calls after a warm-up, {args.budget:g} s "
          f"budget per measurement, direct peers skipped over {args.max_gmac:g} GMAC")
    b = Bench(args)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    for section, fn in [("1d", bench_1d), ("2d", bench_2d), ("threads", bench_threads)]:
        if section in args.only:
            fn(b, rng, S, threads)
    report(b, env, args)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return H.report_failures(b.failures)


if __name__ == "__main__":
    sys.exit(main())
