#!/usr/bin/env python
"""Benchmark sigconv.nn.functional pooling and resampling against torch and numpy, same run.

    python benches/bench_pooling.py [--quick] [--out DIR]

Workloads (seeded random float32, NCHW):

* max_pool2d kernel 2, stride 2 on (32, 64, 112, 112): sigconv (with and without
  ``return_indices``) against ``torch.nn.functional.max_pool2d`` (where installed, same threads)
  and a numpy reshape-max;
* avg_pool2d kernel 2, stride 2 on the same input: against torch and a numpy reshape-mean;
* bilinear interpolate x2 on (8, 64, 112, 112): against torch.

Each time is the median of several calls after a warm-up call (benches/_harness.py). Ratios are
``peer ms / sigconv ms`` (above 1: sigconv is faster), divided by the first sigconv row of each
workload. Every result is checked against the numpy reference (torch's for bilinear); a wrong or
failing sigconv result makes the script exit with status 1. Output: a table on stdout and
``bench_pooling.json`` in ``--out`` (default ``bench-results/``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

POOL_SHAPE = (32, 64, 112, 112)
INTERP_SHAPE = (8, 64, 112, 112)
TOL = 1e-5


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, shorter budget")
    p.add_argument("--out", type=Path, default=Path("bench-results"))
    p.add_argument("--repeats", type=int)
    p.add_argument("--budget", type=float)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.repeats = a.repeats or (3 if a.quick else 7)
    a.budget = a.budget or (3.0 if a.quick else 15.0)
    return a


def run(rows, failures, args, workload, impls, reference):
    print(f"  {workload}: ", end="", flush=True)
    mine = []
    for name, fn in impls:
        try:
            t = H.measure(fn, repeats=args.repeats, budget_s=args.budget)
        except Exception as e:  # a failure is a row, not a crash
            t = H.skipped(f"error: {type(e).__name__}: {e}"[:120])
        err = rel = None
        if t.result is not None:
            res = t.result[0] if isinstance(t.result, tuple) else t.result
            err, rel = H.errors(res, reference)
            if not rel <= TOL:
                t.note = (t.note + "; " if t.note else "") + "WRONG: rel err over tolerance"
        t.result = None
        if name.startswith("sigconv") and (t.ms is None or "WRONG" in t.note):
            failures.append(f"{workload} / {name}: {t.note}")
        mine.append(H.record(t, workload=workload, impl=name, max_abs_err=err, rel_err=rel))
        print(".", end="", flush=True)
    base = mine[0]["ms"]
    for r in mine:
        r["ratio"] = r["ms"] / base if (r["ms"] and base) else None
    print()
    rows += mine


def main(argv=None) -> int:
    args = parse_args(argv)
    import sigconv
    from sigconv.nn import functional as F

    torch = H.optional_import("torch")
    env = H.environment(("numpy", "torch"))
    H.print_environment(env)
    threads = sigconv.info()["threads"]
    if torch is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(args.seed)
    rows, failures = [], []
    t0 = time.perf_counter()

    x = rng.random(POOL_SHAPE, dtype=np.float32)
    n, c, h, w = POOL_SHAPE
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    ref_max = blocks.max(axis=(3, 5))
    ref_avg = blocks.mean(axis=(3, 5), dtype=np.float64)
    tx = torch.from_numpy(x) if torch is not None else None

    def torch_call(f):
        def call():
            with torch.inference_mode():
                out = f()
                return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()
        return call

    impls = [("sigconv max_pool2d", lambda: F.max_pool2d(x, 2)),
             ("sigconv max_pool2d return_indices", lambda: F.max_pool2d(x, 2, return_indices=True)),
             ("sigconv max_pool2d workers=1", lambda: F.max_pool2d(x, 2, workers=1))]
    if torch is not None:
        impls += [("torch max_pool2d", torch_call(lambda: torch.nn.functional.max_pool2d(tx, 2))),
                  ("torch max_pool2d return_indices", torch_call(
                      lambda: torch.nn.functional.max_pool2d(tx, 2, return_indices=True)))]
    impls.append(("numpy reshape-max", lambda: x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))))
    run(rows, failures, args, "max_pool2d k2 s2 (32,64,112,112)", impls, ref_max)

    impls = [("sigconv avg_pool2d", lambda: F.avg_pool2d(x, 2))]
    if torch is not None:
        impls.append(("torch avg_pool2d", torch_call(lambda: torch.nn.functional.avg_pool2d(tx, 2))))
    impls.append(("numpy reshape-mean",
                  lambda: x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))))
    run(rows, failures, args, "avg_pool2d k2 s2 (32,64,112,112)", impls, ref_avg)
    del x, blocks, tx

    xi = rng.random(INTERP_SHAPE, dtype=np.float32)
    ref = F.interpolate(xi.astype(np.float64), scale_factor=2, mode="bilinear")
    impls = [("sigconv interpolate bilinear x2",
              lambda: F.interpolate(xi, scale_factor=2, mode="bilinear"))]
    if torch is not None:
        txi = torch.from_numpy(xi)
        impls.append(("torch interpolate bilinear x2", torch_call(
            lambda: torch.nn.functional.interpolate(txi, scale_factor=2, mode="bilinear"))))
    run(rows, failures, args, "bilinear x2 (8,64,112,112)", impls, ref)

    cols = [("impl", "implementation", None), ("ms", "ms (median)", H.fmt_ms),
            ("runs", "runs", str), ("ratio", "peer/sigconv", H.fmt_ratio),
            ("rel_err", "rel err", H.fmt_err), ("note", "note", lambda s: s or "")]
    for workload in dict.fromkeys(r["workload"] for r in rows):
        H.print_table([r for r in rows if r["workload"] == workload], cols, title=workload)
    path = H.save_json(args.out / "bench_pooling.json",
                       {"benchmark": "bench_pooling", "quick": args.quick, "environment": env,
                        "rows": rows})
    print(f"\nsaved {path}\ntotal {time.perf_counter() - t0:.0f} s")
    return H.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
