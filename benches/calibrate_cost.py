#!/usr/bin/env python
"""Fit the constants of sigconv's cost model (rust/ops/cost.rs) to timings of sigconv's own kernels.

    python benches/calibrate_cost.py [--repeats 5]

Times ``method='direct'``, ``'fft'`` (one whole transform) and ``'oa'`` (overlap-add blocks) on the
calling thread (``workers=1``) over a grid of 1-D and 2-D float32/float64 shapes, fits

    direct  = outputs * (taps * A * bytes * width + B)
    fft     = transforms * points * (log2(points) * C + D) * (bytes / 4) ** E

by least squares on the logarithms, and prints the constants beside the ones compiled in, and each
case's measured time against the model's, so that a wrong pick by ``method='auto'`` shows. Timings on
a shared machine are noisy: the best of several calls is used.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import least_squares

from sigconv import _core

CASES_1D = [(1_000_000, 3), (1_000_000, 33), (1_000_000, 129), (200_000, 513), (200_000, 2049),
            (100_000, 8193), (20_000, 20_000)]
CASES_2D = [((1024, 1024), 3), ((1024, 1024), 7), ((1024, 1024), 15), ((512, 512), 31),
            ((512, 512), 63), ((2048, 2048), 31), ((256, 256), 256)]


def fast_len(n):
    m = max(n, 1)
    while True:
        r = m
        for p in (2, 3, 5, 7):
            while r % p == 0:
                r //= p
        if r == 1:
            return m
        m += 1


def best_seconds(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    direct_rows, fft_rows = [], []
    cases = [((n,), (k,)) for n, k in CASES_1D] + [(s, (k, k)) for s, k in CASES_2D]
    for dtype in (np.float32, np.float64):
        for xs, ks in cases:
            x = rng.standard_normal(xs).astype(dtype)
            k = rng.standard_normal(ks).astype(dtype)
            outputs, taps = float(np.prod(xs)), float(np.prod(ks))
            nbytes = np.dtype(dtype).itemsize
            if outputs * taps < 2e9:
                t = best_seconds(lambda: _core.convolve(x, k, "same", "fill", 0.0, "direct", 1),
                                 args.repeats)
                direct_rows.append((outputs, taps, nbytes, t, xs, ks))
            # whole transform: circular length per axis as rust/cpu/fft.rs chooses it for 'same'
            lens = [fast_len(n + m - 1 - (m - 1) // 2) for n, m in zip(xs, ks)]
            points = float(np.prod(lens))
            t = best_seconds(lambda: _core.convolve(x, k, "same", "fill", 0.0, "fft", 1),
                             args.repeats)
            fft_rows.append((3.0, points, nbytes, t, xs, ks))
            print(f"  {np.dtype(dtype).name} {xs} * {ks}: timed", flush=True)

    def direct_model(c, r):
        outputs, taps, nbytes = r[0], r[1], r[2]
        return outputs * (taps * c[0] * 1e-12 * nbytes + c[1] * 1e-10)

    def fft_model(c, r):
        transforms, points, nbytes = r[0], r[1], r[2]
        return transforms * points * (np.log2(points) * c[0] * 1e-11 + c[1] * 1e-10) * (
            nbytes / 4) ** c[2]

    def fit(model, rows, start):
        res = least_squares(lambda c: [np.log(model(c, r) / r[3]) for r in rows], start,
                            bounds=(0, np.inf))
        return res.x

    cd = fit(direct_model, direct_rows, [6.0, 3.0])
    cf = fit(fft_model, fft_rows, [11.0, 5.0, 0.5])
    print("\nfitted (AVX-512 widths; compare rust/ops/cost.rs):")
    print(f"  DIRECT_SECONDS_PER_MAC_BYTE = {cd[0]:.2f}e-12")
    print(f"  DIRECT_SECONDS_PER_OUTPUT   = {cd[1]:.2f}e-10")
    print(f"  FFT_SECONDS_PER_POINT_LOG   = {cf[0]:.2f}e-11")
    print(f"  FFT_SECONDS_PER_POINT       = {cf[1]:.2f}e-10")
    print(f"  FFT_F64_EXPONENT            = {cf[2]:.2f}   (f64 / f32 = 2 ** this)")
    print("\ncase                               measured ms   model ms")
    for name, model, c, rows in (("direct", direct_model, cd, direct_rows),
                                 ("fft", fft_model, cf, fft_rows)):
        for r in rows:
            label = f"{name} {'f32' if r[2] == 4 else 'f64'} {r[4]} * {r[5]}"
            print(f"  {label:<34} {r[3] * 1e3:10.2f} {model(c, r) * 1e3:10.2f}")


if __name__ == "__main__":
    main()
