"""sigconv's demo (``sigconv demo``; also ``python -m sigconv.demo``): on data it makes itself
(seeded) or that ships with its dependencies, it

1. smooths a noisy chirp (1,000,000 samples) with a Gaussian by ``signal.convolve(mode='same')``;
2. filters a noisy 2048 x 2048 float32 image of shapes with a 13 x 13 Gaussian (``convolve2d``,
   ``convolve``) and denoises it (``denoise.gaussian``, ``median``, ``wiener``);
3. fills lost pixels (30% at random and a few holes) with ``denoise.fill_missing``;
4. trains LeNet-5 on scikit-learn's 8x8 digits and 5. a 1-D CNN on MNIST-1D (generated locally);
6. benchmarks sigconv against scipy (and OpenCV) in the same run (:mod:`sigconv.benchmark`);

checking every filtering result against scipy's, and writes a report folder (default
``sigconv-report``): PNG plots (signals before and after, filter frequency responses, images, learned
filters, feature maps, training curves, the speed-up chart), ``results.json`` and an ``index.html`` /
``index.md`` that link them with the key numbers. Exits with status 1 if a result differs from scipy's
beyond the dtype's tolerance. ``--quick`` runs everything on small data in seconds (for tests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from sigconv import _harness as H

# Largest difference from scipy accepted, relative to the largest output value.
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}

# Sizes and training budgets, full and --quick.
FULL = dict(n=1_000_000, image=2048, crop=320, limit=None, digits_epochs=30, mnist1d_epochs=12,
            bench_scale=1.0, bench_repeats=5)
QUICK = dict(n=20_000, image=192, crop=96, limit=300, digits_epochs=2, mnist1d_epochs=2,
             bench_scale=0.05, bench_repeats=1)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The demo's options (shared by ``sigconv demo`` and ``python -m sigconv.demo``)."""
    p.add_argument("--out", type=Path, default=Path("sigconv-report"),
                   help="report folder (default ./sigconv-report; created, files in it overwritten)")
    p.add_argument("--quick", action="store_true", help="small data, short training: seconds, for tests")
    p.add_argument("--repeats", type=_positive_int, default=None,
                   help="timed calls after the warm-up per measurement (default 5, quick 1)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the generated data (default 2024)")


def _positive_int(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return v


# ---- data and measures -----------------------------------------------------------------------
def gaussian_1d(sigma: float, dtype=np.float64) -> np.ndarray:
    """A normalised Gaussian of ``2 * ceil(4 sigma) + 1`` taps."""
    r = int(np.ceil(4 * sigma))
    t = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return (g / g.sum()).astype(dtype)


def snr_db(clean: np.ndarray, estimate: np.ndarray) -> float:
    clean = clean.astype(np.float64)
    noise = estimate.astype(np.float64) - clean
    return float(10 * np.log10(np.sum(clean**2) / np.sum(noise**2)))


def psnr_db(clean: np.ndarray, estimate: np.ndarray, peak: float = 1.0) -> float:
    mse = np.mean((estimate.astype(np.float64) - clean.astype(np.float64)) ** 2)
    return float(10 * np.log10(peak**2 / mse))


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


def lost_pixels(rng, shape, fraction=0.3, holes=4):
    """A mask of lost pixels: ``fraction`` at random plus ``holes`` discs (radius 1-3% of the side)."""
    mask = rng.random(shape) < fraction
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    for _ in range(holes):
        cy, cx = rng.uniform(0.15, 0.85, 2) * shape
        r = rng.uniform(0.01, 0.03) * shape[0]
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return mask


def busiest_window(img, k, steps=6):
    """The ``k x k`` window (on a grid of candidates) where the image varies most: slices."""
    best, where = -1.0, (0, 0)
    for i in np.linspace(0, img.shape[0] - k, steps).astype(int):
        for j in np.linspace(0, img.shape[1] - k, steps).astype(int):
            v = float(img[i : i + k, j : j + k].std())
            if v > best:
                best, where = v, (i, j)
    return slice(where[0], where[0] + k), slice(where[1], where[1] + k)


class Checks:
    """Differences from scipy: :meth:`compare` returns a line and records failures."""

    def __init__(self):
        self.failures = []
        self.rows = []

    def compare(self, name, ours, ref, input_dtype=None) -> str:
        """``input_dtype``: float32 input bounds the precision of a float64 result (e.g. wiener's
        local variance); the tolerance is then float32's."""
        if ours.shape != ref.shape or ours.dtype != ref.dtype:
            self.failures.append(f"{name}: shape/dtype {ours.shape} {ours.dtype}, scipy {ref.shape} {ref.dtype}")
            self.rows.append((name, "shape/dtype MISMATCH"))
            return "MISMATCH in shape or dtype"
        err, rel = H.errors(ours, ref)
        tol = TOLERANCE.get(ours.dtype, 1e-9)
        if input_dtype is not None:
            tol = max(tol, TOLERANCE.get(np.dtype(input_dtype), 1e-9))
        good = rel <= tol
        if not good:
            self.failures.append(f"{name}: max |sigconv - scipy| = {err:.2e} (relative {rel:.1e})")
        self.rows.append((name, f"{rel:.1e} {'OK' if good else 'MISMATCH'}"))
        return f"max |sigconv - scipy| = {err:.1e} (relative {rel:.1e}) {'OK' if good else 'MISMATCH'}"


def speed(ours: H.Timing, peer: H.Timing) -> str:
    return f"sigconv {ours.ms:.1f} ms, scipy {peer.ms:.1f} ms -> {H.fmt_ratio(peer.ms / ours.ms)}"


# ---- plots -----------------------------------------------------------------------------------
def _plt():
    from sigconv import plot

    return plot._plt()


def _save(fig, folder, name):
    fig.savefig(folder / name, dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return name


def plot_signal(folder, clean, noisy, smooth, rate):
    plt = _plt()
    n = len(clean)
    w = max(200, n // 500)
    fig, axes = plt.subplots(2, 1, figsize=(10, 5.5))
    for ax, start, label in ((axes[0], n // 10, "low frequencies"), (axes[1], n - w - 1, "high frequencies")):
        t = np.arange(start, start + w) / rate * 1e3
        ax.plot(t, noisy[start : start + w], color="0.75", lw=0.6, label="noisy input")
        ax.plot(t, clean[start : start + w], "k--", lw=1, label="clean chirp")
        ax.plot(t, smooth[start : start + w], color="C0", lw=1.4, label="sigconv: Gaussian convolve")
        ax.set_title(f"chirp near {label}")
        ax.set_xlabel("time (ms)")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save(fig, folder, "signal_before_after.png")


def plot_responses(folder, responses, rate, band):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    for name, h in responses.items():
        nfft = 1 << int(np.ceil(np.log2(max(len(h) * 16, 1 << 16))))
        mag = np.abs(np.fft.rfft(h, nfft))
        f = np.fft.rfftfreq(nfft, 1 / rate)
        ax.semilogx(f[1:], 20 * np.log10(np.maximum(mag[1:], 1e-8)), label=f"{name} ({len(h)} taps)")
    ax.axvspan(*band, color="C2", alpha=0.12, label="chirp band")
    ax.set_ylim(-80, 5)
    ax.set_xlim(rate / 1e5, rate / 2)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("gain (dB)")
    ax.set_title("frequency responses of the smoothing filters (from their impulse responses)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return _save(fig, folder, "filter_responses.png")


def plot_images(folder, name, panels, title):
    plt = _plt()
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.5 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (label, img) in zip(axes.flat, panels):
        cmap = plt.get_cmap("gray").with_extremes(bad="red")  # lost pixels (NaN) in red
        ax.imshow(np.ma.masked_invalid(img), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, folder, name)


def plot_model(folder, prefix, result, sample, what):
    from sigconv import plot

    plt = _plt()
    names = []
    for kind, fn in (("curves", lambda p: plot.training_curves(result.history, p, title=f"training curves: {what}")),
                     ("filters", lambda p: plot.filters(result.model, p, title=f"learned first-layer filters: {what}")),
                     ("feature_maps", lambda p: plot.feature_maps(result.model, sample, path=p,
                                                                    title=f"first-layer feature maps of one test input: {what}"))):
        name = f"{prefix}_{kind}.png"
        plt.close(fn(folder / name))
        names.append(name)
    return names


# ---- the demo --------------------------------------------------------------------------------
class _Steps:
    def __init__(self, total):
        self.total, self.i, self.t0 = total, 0, time.perf_counter()

    def __call__(self, title):
        self.i += 1
        print(f"\n[{self.i}/{self.total}] {title}  ({time.perf_counter() - self.t0:.0f} s)", flush=True)


def run(out: Path, quick=False, repeats=None, seed=2024) -> int:
    import scipy
    import scipy.ndimage as sn
    import scipy.signal as ss

    import sigconv
    from sigconv import _report, benchmark, denoise, zoo
    from sigconv import ndimage as N
    from sigconv import signal as S

    cfg = QUICK if quick else FULL
    repeats = repeats or cfg["bench_repeats"]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = sigconv.info()
    head = (f"sigconv {info['version']}: SIMD {info['simd']}, {info['threads']} threads "
            f"(numpy {np.__version__}, scipy {scipy.__version__}){' [quick]' if quick else ''}")
    print(head)
    rng = np.random.default_rng(seed)
    checks = Checks()
    sections, results = [], {"environment": head, "quick": quick, "seed": seed}
    step = _Steps(7)
    t_start = time.perf_counter()

    # --- 1-D: a noisy chirp, smoothed ---------------------------------------------------------
    step("1-D: smoothing a noisy chirp")
    clean, noisy = chirp_signal(rng, cfg["n"])
    rate = cfg["n"]  # one second of signal
    g = gaussian_1d(20.0)
    print(f"  chirp 5 Hz -> 2 kHz, {noisy.size:,} samples {noisy.dtype}, white noise sigma 0.5; "
          f"Gaussian sigma 20 samples ({g.size} taps), convolve(mode='same')")
    m_ours, m_sp = S.choose_conv_method(noisy, g, mode="same"), ss.choose_conv_method(noisy, g, mode="same")
    t_ours = H.measure(lambda: S.convolve(noisy, g, mode="same"), repeats)
    t_sp = H.measure(lambda: ss.convolve(noisy, g, mode="same"), repeats)
    y = t_ours.result
    snr0, snr1 = snr_db(clean, noisy), snr_db(clean, y)
    line = checks.compare("1-D convolve", y, t_sp.result)
    print(f"  method: sigconv '{m_ours}', scipy '{m_sp}'; SNR {snr0:.1f} dB -> {snr1:.1f} dB; {line}")
    print(f"  time: {speed(t_ours, t_sp)}")
    impulse = np.zeros(4 * g.size + 1)
    impulse[impulse.size // 2] = 1.0
    c = impulse.size // 2
    responses = {
        "Gaussian sigma 20": S.convolve(impulse, g, mode="same")[c - g.size // 2 : c + g.size // 2 + 1],
        "moving average 69": denoise.moving_average(impulse, 69, mode="constant")[c - 34 : c + 35],
        "Savitzky-Golay 161, order 3": denoise.savgol(impulse, 161, 3, mode="constant")[c - 80 : c + 81],
    }
    figs = [(plot_signal(out, clean, noisy, y, rate), "noisy chirp, clean chirp and sigconv's smoothed output, "
             "in a window at the start (low frequencies) and at the end (2 kHz)"),
            (plot_responses(out, responses, rate, (5.0, 2000.0)), "gain of the smoothing filters against "
             "frequency (sampling rate = number of samples per second); the shaded band is the chirp's")]
    results["signal"] = {"samples": noisy.size, "taps": g.size, "snr_in_db": snr0, "snr_out_db": snr1,
                         "sigconv_ms": t_ours.ms, "scipy_ms": t_sp.ms}
    sections.append(_report.Section(
        "1-D: a noisy chirp, smoothed",
        [f"A linear chirp from 5 Hz to 2 kHz, {noisy.size:,} samples in one second, with white noise; "
         f"smoothed by sigconv.signal.convolve(x, gaussian, mode='same'), sigma 20 samples ({g.size} taps). "
         f"sigconv picks the '{m_ours}' method, scipy '{m_sp}'."],
        [("SNR noisy -> smoothed", f"{snr0:.1f} dB -> {snr1:.1f} dB"), ("difference from scipy", line),
         ("time", speed(t_ours, t_sp))], figs))

    # --- 2-D: a noisy image, filtered and denoised --------------------------------------------
    step("2-D: filtering and denoising a noisy image")
    img, noisy_img = shapes_image(rng, cfg["image"])
    g1 = gaussian_1d(1.5, np.float32)
    g2 = np.outer(g1, g1).astype(np.float32)
    print(f"  image of shapes {noisy_img.shape[0]}x{noisy_img.shape[1]} {noisy_img.dtype}, noise sigma 0.15; "
          f"Gaussian {g2.shape[0]}x{g2.shape[1]}, mode 'same'")
    rows = []
    for name, ours, ref in (
        ("convolve2d", lambda: S.convolve2d(noisy_img, g2, mode="same"), lambda: ss.convolve2d(noisy_img, g2, mode="same")),
        ("convolve", lambda: S.convolve(noisy_img, g2, mode="same"), lambda: ss.convolve(noisy_img, g2, mode="same")),
        ("denoise.gaussian(2)", lambda: denoise.gaussian(noisy_img, 2.0), lambda: sn.gaussian_filter(noisy_img, 2.0)),
        ("denoise.median(5)", lambda: denoise.median(noisy_img, 5), lambda: sn.median_filter(noisy_img, 5)),
        ("denoise.wiener(5)", lambda: denoise.wiener(noisy_img, 5), lambda: ss.wiener(noisy_img, 5)),
    ):
        t_o, t_s = H.measure(ours, repeats), H.measure(ref, repeats)
        line = checks.compare(f"2-D {name}", t_o.result, t_s.result, noisy_img.dtype)
        p = psnr_db(img, t_o.result)
        rows.append((name, t_o, t_s, p, line))
        print(f"  {name:20s} PSNR {p:5.1f} dB; {line}; {speed(t_o, t_s)}")
    p0 = psnr_db(img, noisy_img)
    k = cfg["crop"]
    crop = busiest_window(img, k)
    panels = [("clean", img[crop]), (f"noisy {p0:.1f} dB", noisy_img[crop])]
    panels += [(f"{name} {p:.1f} dB", r.result[crop]) for name, r, _, p, _ in rows if name != "convolve"]
    fig = plot_images(out, "image_denoise.png", panels, f"denoising (a {k}x{k} window of {img.shape[0]}x{img.shape[1]}; PSNR of the whole image)")
    results["image"] = {"size": img.shape[0], "psnr_noisy_db": p0,
                        "filters": {n: {"psnr_db": p, "sigconv_ms": a.ms, "scipy_ms": b.ms} for n, a, b, p, _ in rows}}
    sections.append(_report.Section(
        "2-D: a noisy image, filtered and denoised",
        [f"A {img.shape[0]} x {img.shape[1]} float32 image of shapes with Gaussian noise (sigma 0.15), filtered "
         "with a 13 x 13 Gaussian (convolve2d, convolve) and denoised by sigconv.denoise; each result is "
         "compared with scipy's."],
        [("PSNR noisy", f"{p0:.1f} dB")] + [(f"{n}: PSNR, difference from scipy, time", f"{p:.1f} dB; {ln}; {speed(a, b)}")
                                           for n, a, b, p, ln in rows],
        [(fig, "clean, noisy and denoised image (a window at full resolution)")]))

    # --- lost pixels ----------------------------------------------------------------------------
    step("filling lost pixels")
    mask = lost_pixels(rng, img.shape)
    holes = np.where(mask, np.float32(np.nan), img)
    t_fill = H.measure(lambda: denoise.fill_missing(holes), repeats)
    filled = t_fill.result
    err = np.abs(filled - img)[mask]
    p_fill = psnr_db(img[mask], filled[mask])
    print(f"  {mask.mean():.0%} of the pixels lost (random and {4} holes); fill_missing (3x3 window): "
          f"PSNR {p_fill:.1f} dB on the lost pixels, mean |error| {err.mean():.3f}; {t_fill.ms:.1f} ms")
    fig = plot_images(out, "image_fill.png", [("lost pixels (red)", holes[crop]), ("filled", filled[crop]),
                                              ("clean", img[crop])], "fill_missing: normalized convolution")
    results["fill"] = {"lost_fraction": float(mask.mean()), "psnr_lost_db": p_fill, "sigconv_ms": t_fill.ms,
                       "all_filled": bool(np.isfinite(filled).all())}
    sections.append(_report.Section(
        "Lost pixels filled",
        [f"{mask.mean():.0%} of the clean image's pixels lost (at random, and {4} round holes); "
         "denoise.fill_missing gives each the mean of its valid 3 x 3 neighbours, in passes until the holes "
         "are filled from their rims."],
        [("PSNR on the lost pixels", f"{p_fill:.1f} dB"), ("mean |error|", f"{err.mean():.4f}"),
         ("time", f"{t_fill.ms:.1f} ms"), ("every pixel filled", str(results["fill"]["all_filled"]))],
        [(fig, "the image with its lost pixels in red, filled by sigconv, and the original")]))

    # --- CNNs -------------------------------------------------------------------------------------
    for prefix, model, dataset, epochs, what in (("digits", "lenet5", "digits", cfg["digits_epochs"], "LeNet-5 on the 8x8 digits"),
                                                 ("mnist1d", "cnn1d", "mnist1d", cfg["mnist1d_epochs"], "1-D CNN on MNIST-1D")):
        step(f"training {what} ({epochs} epochs)")
        t0 = time.perf_counter()
        r = zoo.run(model, dataset, epochs=epochs, limit=cfg["limit"], progress=True)
        secs = time.perf_counter() - t0
        acc = r.metrics["acc"]
        print(f"  held-out accuracy {acc:.1%} on {len(r.y_test)} samples after {epochs} epochs ({secs:.1f} s)")
        names = plot_model(out, prefix, r, r.x_test[0], what)
        results[prefix] = {"model": model, "epochs": epochs, "accuracy": acc, "test_samples": len(r.y_test), "seconds": secs}
        sections.append(_report.Section(
            f"Training: {what}",
            [f"{r.recipe.description}, trained from scratch (Adam, lr {r.recipe.lr}, batch {r.recipe.batch_size}, "
             f"{epochs} epochs), scored on held-out data."],
            [("held-out accuracy", f"{acc:.1%} ({len(r.y_test)} samples)"), ("training time", f"{secs:.1f} s")],
            list(zip(names, ["loss and accuracy per epoch, training and held-out data",
                             "the first convolution's learned kernels",
                             "the first convolution's outputs for one held-out input"]))))

    # --- benchmark ----------------------------------------------------------------------------
    step("benchmark against scipy (same run)")
    rows_b = benchmark.run(scale=cfg["bench_scale"], repeats=repeats, budget_s=2.0 if not quick else 0.5)
    benchmark.print_results(rows_b)
    for r in rows_b:
        if not r["ok"]:
            checks.failures.append(f"benchmark {r['name']}: relative error {r['error']:.1e} against scipy")
    chart = out / "speedup.png"
    benchmark.chart(rows_b, chart)
    results["benchmark"] = rows_b
    sections.append(_report.Section(
        "Speed-up against scipy and OpenCV",
        ["Each workload timed for sigconv and its peers in this run (median of several calls after a warm-up); "
         "ratio = peer time / sigconv time, above 1 sigconv is faster. sigconv's results are checked against scipy's."],
        [(r["name"], f"sigconv {H.fmt_ms(r['sigconv_ms'])} ms; " + ", ".join(
            f"{p} {H.fmt_ratio(r[p + '_ratio'])}" for p in ("scipy", "cv2") if p + "_ratio" in r)) for r in rows_b],
        [(chart.name, "speed-up of sigconv over each peer, per workload (log scale)")]))

    # --- report ---------------------------------------------------------------------------------
    step("writing the report")
    total = time.perf_counter() - t_start
    results["seconds"] = total
    results["failures"] = checks.failures
    (out / "results.json").write_text(json.dumps(results, indent=2, default=float) + "\n")
    status = ("all results agree with scipy" if not checks.failures
              else "FAILED: " + "; ".join(checks.failures))
    intro = [head, f"Seed {seed}; the demo took {total:.0f} s. {status}.",
             "Numbers: results.json."]
    sections.append(_report.Section("Checks against scipy", [], checks.rows))
    paths = _report.write_index(out, "sigconv demo report", intro, sections)
    print(f"\nreport: {paths[0]} (and index.md, {len(list(out.glob('*.png')))} PNG files, results.json); "
          f"demo took {total:.0f} s")
    if checks.failures:
        print("\nFAILED: sigconv differs from scipy beyond tolerance:", file=sys.stderr)
        for f in checks.failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sigconv.demo", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    args = p.parse_args(argv)
    return run(args.out, quick=args.quick, repeats=args.repeats, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())
