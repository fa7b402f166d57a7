"""sigconv's demo: denoise a noisy 1-D chirp and a noisy 2-D image with :mod:`sigconv.signal`,
check each result against :mod:`scipy.signal`, and time both in the same run.

    python -m sigconv.demo [--repeats N] [--seed S]

The data are made here (seeded): a linear chirp of 1,000,000 samples with white noise, smoothed by a
Gaussian kernel with ``convolve(..., mode='same')``; and a 2048 x 2048 float32 image of shapes with
noise, filtered by a 2-D Gaussian with ``convolve2d`` and ``convolve``. Printed: shapes, dtypes,
kernel sizes, the method each library picks, the signal-to-noise ratio before and after, the largest
difference from scipy, and sigconv's speed-up over scipy (median of a few calls after a warm-up).
Exits with status 1 if a result differs from scipy's by more than the dtype's tolerance.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

# Largest difference from scipy accepted, relative to the largest output value.
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}
NEEDED = ("convolve", "convolve2d", "choose_conv_method")


def timed(fn, repeats: int, budget_s: float = 8.0):
    """``(median ms, calls timed, result)``: a warm-up call (whose result is returned), then up
    to ``repeats`` timed calls, fewer when they would not fit in ``budget_s`` seconds (none when
    the warm-up call alone took longer: then it is the one timing)."""
    t0 = time.perf_counter()
    result = fn()
    warm = time.perf_counter() - t0
    if warm >= budget_s:  # too slow to repeat: the warm-up call is the timing
        return warm * 1e3, 1, result
    n = max(1, min(repeats, int((budget_s - warm) / max(warm, 1e-9))))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, n, result


def gaussian_1d(sigma: float, dtype=np.float64) -> np.ndarray:
    """A normalised Gaussian of ``2 * ceil(4 sigma) + 1`` taps."""
    r = int(np.ceil(4 * sigma))
    t = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return (g / g.sum()).astype(dtype)


def snr_db(clean: np.ndarray, estimate: np.ndarray) -> float:
    clean = clean.astype(np.float64)
    noise = estimate.astype(np.float64) - clean
    return 10 * np.log10(np.sum(clean**2) / np.sum(noise**2))


def psnr_db(clean: np.ndarray, estimate: np.ndarray, peak: float = 1.0) -> float:
    mse = np.mean((estimate.astype(np.float64) - clean.astype(np.float64)) ** 2)
    return 10 * np.log10(peak**2 / mse)


def chirp_signal(rng, n=1_000_000, f0=5.0, f1=2000.0, noise=0.5):
    """A linear chirp from ``f0`` to ``f1`` Hz over one second sampled at ``n`` Hz, and a noisy copy."""
    t = np.arange(n) / n
    clean = np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) * t**2))
    return clean, clean + noise * rng.standard_normal(n)


def shapes_image(rng, size=2048, noise=0.15):
    """A float32 image in [0, 1] of a gradient, rectangles, discs and a ring; and a noisy copy."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = 0.2 + 0.2 * xx
    for _ in range(12):
        x0, y0 = rng.uniform(0, 0.8, 2)
        w, h = rng.uniform(0.05, 0.2, 2)
        img[(xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)] = rng.uniform(0.4, 0.9)
    for _ in range(12):
        cx, cy, r = *rng.uniform(0.1, 0.9, 2), rng.uniform(0.02, 0.1)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0.0, 1.0)
    d = np.hypot(xx - 0.5, yy - 0.5)
    img[(d > 0.3) & (d < 0.32)] = 1.0
    img = img.astype(np.float32)
    noisy = img + noise * rng.standard_normal(img.shape, dtype=np.float32)
    return img, noisy


def compare(name, ours, ref, ok: list) -> str:
    """One line on the difference of ``ours`` from scipy's ``ref``; appends a failure to ``ok``."""
    if ours.shape != ref.shape or ours.dtype != ref.dtype:
        ok.append(f"{name}: shape/dtype {ours.shape} {ours.dtype}, scipy {ref.shape} {ref.dtype}")
        return "MISMATCH in shape or dtype"
    err = float(np.max(np.abs(ours.astype(np.float64) - ref.astype(np.float64))))
    rel = err / float(np.max(np.abs(ref)))
    good = rel <= TOLERANCE[ours.dtype]
    if not good:
        ok.append(f"{name}: max |sigconv - scipy| = {err:.2e} (relative {rel:.1e})")
    return f"max |sigconv - scipy| = {err:.1e} (relative {rel:.1e}) {'OK' if good else 'MISMATCH'}"


def ratio(r: float) -> str:
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def speed_line(ours_name, ours, peer_name, peer, n_ours, n_peer) -> str:
    runs = f"median of {n_ours}" + (f"/{n_peer}" if n_peer != n_ours else "")
    return (f"{ours_name} {ours:.1f} ms, {peer_name} {peer:.1f} ms ({runs}) "
            f"-> {ratio(peer / ours)} {'faster' if peer >= ours else 'slower'}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sigconv.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="timed calls after the warm-up (default 5)")
    p.add_argument("--seed", type=int, default=2024)
    args = p.parse_args(argv)

    import scipy
    import scipy.signal as ss

    import sigconv
    import sigconv.signal as S

    missing = [n for n in NEEDED if not hasattr(S, n)]
    if missing:
        print(f"sigconv.signal lacks {', '.join(missing)}: this build has no signal functions yet",
              file=sys.stderr)
        return 2

    info = sigconv.info()
    print(f"sigconv {info['version']}: SIMD {info['simd']}, {info['threads']} threads "
          f"(numpy {np.__version__}, scipy {scipy.__version__})")
    rng = np.random.default_rng(args.seed)
    failures: list = []
    speedups = []
    t_start = time.perf_counter()

    # --- 1-D: a noisy chirp, smoothed ---------------------------------------------------------
    clean, noisy = chirp_signal(rng)
    g = gaussian_1d(20.0)
    print(f"\n1-D: chirp 5 Hz -> 2 kHz, {noisy.shape[0]:,} samples {noisy.dtype} "
          f"with white noise (sigma 0.5), seed {args.seed}")
    print(f"  kernel: Gaussian, sigma 20 samples, {g.size} taps; convolve(x, kernel, mode='same')")
    m_ours = S.choose_conv_method(noisy, g, mode="same")
    m_scipy = ss.choose_conv_method(noisy, g, mode="same")
    print(f"  method: sigconv picks '{m_ours}', scipy picks '{m_scipy}'")
    t_ours, n_ours, y = timed(lambda: S.convolve(noisy, g, mode="same"), args.repeats)
    t_sp, n_sp, y_ref = timed(lambda: ss.convolve(noisy, g, mode="same"), args.repeats)
    print(f"  output: {y.dtype} {y.shape}; SNR {snr_db(clean, noisy):.1f} dB noisy -> "
          f"{snr_db(clean, y):.1f} dB smoothed")
    print("  " + compare("1-D convolve", y, y_ref, failures))
    print("  time: " + speed_line("sigconv.signal.convolve", t_ours, "scipy.signal.convolve",
                                  t_sp, n_ours, n_sp))
    speedups.append(("1-D convolve", t_sp / t_ours))

    # --- 2-D: a noisy image, filtered ---------------------------------------------------------
    img, noisy_img = shapes_image(rng)
    g1 = gaussian_1d(1.5, np.float32)
    g2 = np.outer(g1, g1).astype(np.float32)
    print(f"\n2-D: image of shapes {noisy_img.shape[0]}x{noisy_img.shape[1]} {noisy_img.dtype} "
          f"with noise (sigma 0.15), seed {args.seed}")
    print(f"  kernel: Gaussian, sigma 1.5 px, {g2.shape[0]}x{g2.shape[1]} {g2.dtype}; mode 'same'")
    m_ours = S.choose_conv_method(noisy_img, g2, mode="same")
    m_scipy = ss.choose_conv_method(noisy_img, g2, mode="same")
    print(f"  convolve method: sigconv picks '{m_ours}', scipy picks '{m_scipy}'; "
          "convolve2d is direct in both")
    t_ours, n_ours, z = timed(lambda: S.convolve2d(noisy_img, g2, mode="same"), args.repeats)
    t_sp, n_sp, z_ref = timed(lambda: ss.convolve2d(noisy_img, g2, mode="same"), args.repeats)
    print(f"  output: {z.dtype} {z.shape}; PSNR {psnr_db(img, noisy_img):.1f} dB noisy -> "
          f"{psnr_db(img, z):.1f} dB filtered")
    print("  convolve2d: " + compare("2-D convolve2d", z, z_ref, failures))
    print("  convolve2d time: " + speed_line("sigconv", t_ours, "scipy", t_sp, n_ours, n_sp))
    speedups.append(("2-D convolve2d", t_sp / t_ours))
    t_ours, n_ours, w = timed(lambda: S.convolve(noisy_img, g2, mode="same"), args.repeats)
    t_sp, n_sp, w_ref = timed(lambda: ss.convolve(noisy_img, g2, mode="same"), args.repeats)
    print("  convolve:   " + compare("2-D convolve", w, w_ref, failures))
    print("  convolve time:   " + speed_line("sigconv", t_ours, "scipy", t_sp, n_ours, n_sp))
    speedups.append(("2-D convolve", t_sp / t_ours))

    print("\nspeed-up over scipy.signal in this run: "
          + ", ".join(f"{name} {ratio(s)}" for name, s in speedups)
          + f"  (demo took {time.perf_counter() - t_start:.0f} s)")
    if failures:
        print("\nFAILED: sigconv differs from scipy beyond tolerance:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
