"""The ``sigconv`` command line (also ``python -m sigconv``): ``demo``, ``filter``, ``denoise``,
``train``, ``bench`` and ``info``. ``sigconv COMMAND --help`` describes each.

Errors in what the user gave (unknown options, bad values, missing or unreadable files) print one
line ``sigconv ...: error: ...`` on stderr and exit with status 2 (usage) or 1 (data), without a
traceback.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main", "build_parser", "CliError"]

EXAMPLES = """examples:
  sigconv demo                                   # the tour: report in ./sigconv-report
  sigconv filter gaussian in.png out.png --sigma 2
  sigconv filter convolve in.npy out.npy --kernel sobel:axis=0 --mode nearest
  sigconv filter median song.wav out.wav --size 5
  sigconv denoise fill scan.tif filled.tif --mask lost.png
  sigconv denoise savgol data.csv smooth.csv --window 21 --polyorder 3
  sigconv train --model lenet5 --dataset digits --epochs 20 --out runs/lenet
  sigconv bench --quick
  sigconv info
"""

FILES_HELP = """files: .npy (any array), .npz (an archive of one array), .csv (1-D/2-D numbers), .wav
(rate and dtype kept; each channel filtered along time), .png/.jpg/.tif (greyscale or colour; each
colour channel filtered; the frames of a multi-frame TIFF one by one).
The output format follows the output's extension; the result is stored in the input's dtype
(integers rounded and clipped to their range) unless --dtype says otherwise."""


class CliError(Exception):
    """A user error: printed as one line, exit status 1."""


class _UsageError(Exception):
    """An argparse error, printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# ---- option types --------------------------------------------------------------------------------
def _number(kind, low=None, strict=False, what="number"):
    def convert(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if kind is float and not np.isfinite(v):
            raise argparse.ArgumentTypeError(f"expected a finite {what}, got {text!r}")
        if low is not None and (v <= low if strict else v < low):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    convert.__name__ = what  # argparse names the type in its messages
    return convert


positive_int = _number(int, 0, True, "a positive integer")
nonneg_int = _number(int, 0, False, "a non-negative integer")
positive_float = _number(float, 0.0, True, "a positive number")
real = _number(float, what="a number")

DTYPES = ("keep", "uint8", "uint16", "int16", "int32", "float32", "float64")
NDIMAGE_MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror", "grid-wrap")
SAVGOL_MODES = ("interp", "mirror", "constant", "nearest", "wrap")
FILL_MODES = ("constant", "reflect", "nearest", "mirror", "wrap")

# Options that filters take, by name: (flags, argparse keywords).
OPTIONS = {
    "sigma": (("--sigma",), dict(type=positive_float, default=1.0, help="Gaussian standard deviation in samples (default 1.0)")),
    "truncate": (("--truncate",), dict(type=positive_float, default=4.0, help="Gaussian radius in sigmas (default 4.0)")),
    "size": (("--size",), dict(type=positive_int, default=3, help="window width on every axis (default 3)")),
    "kernel": (("--kernel",), dict(required=True, metavar="NAME[:K=V,...]|FILE.npy",
                                   help="a kernel of sigconv.kernels, e.g. sobel:axis=0, gaussian:sigma=2, "
                                        "laplacian, box:size=5 (ndim follows the data), or a .npy array")),
    "window": (("--window",), dict(type=positive_int, required=True, help="window length (odd, > polyorder)")),
    "polyorder": (("--polyorder",), dict(type=nonneg_int, required=True, help="degree of the fitted polynomial")),
    "deriv": (("--deriv",), dict(type=nonneg_int, default=0, help="derivative order (default 0: smoothing)")),
    "axis": (("--axis",), dict(type=int, default=-1, help="axis (of each channel) to filter along (default -1)")),
    "noise": (("--noise",), dict(type=positive_float, default=None, help="noise power (default: the mean local variance)")),
    "mask": (("--mask",), dict(metavar="FILE", help="file whose non-zero samples mark the lost ones (shape of the data "
                                                     "or of one channel)")),
    "lost_value": (("--lost-value",), dict(type=real, metavar="V", help="samples equal to V are the lost ones")),
    "fill_sigma": (("--sigma",), dict(type=positive_float, default=None, dest="fill_sigma",
                                      help="Gaussian weights of this sigma instead of the box window")),
    "max_iter": (("--max-iter",), dict(type=positive_int, default=None, help="most passes (default: until filled)")),
    "cval": (("--cval",), dict(type=real, default=0.0, help="value beyond the edges with --mode constant (default 0)")),
}


def _kw(a, *names):
    return {n: getattr(a, n) for n in names}


def _engine(a):
    return {"workers": a.workers, "device": a.device}


# name -> (help, function(x, args, kernel, mask), option names, modes or None)
def _filters():
    from sigconv import ndimage as N
    from sigconv import signal as S

    nd = ("cval",)
    return {
        "gaussian": ("Gaussian filter (ndimage.gaussian_filter)",
                     lambda x, a: N.gaussian_filter(x, a.sigma, mode=a.mode, cval=a.cval, truncate=a.truncate, **_engine(a)),
                     ("sigma", "truncate") + nd, NDIMAGE_MODES),
        "uniform": ("box average (ndimage.uniform_filter)",
                    lambda x, a: N.uniform_filter(x, a.size, mode=a.mode, cval=a.cval, **_engine(a)), ("size",) + nd, NDIMAGE_MODES),
        "median": ("median filter (ndimage.median_filter)",
                   lambda x, a: N.median_filter(x, a.size, mode=a.mode, cval=a.cval, **_engine(a)), ("size",) + nd, NDIMAGE_MODES),
        "minimum": ("minimum filter, erosion (ndimage.minimum_filter)",
                    lambda x, a: N.minimum_filter(x, a.size, mode=a.mode, cval=a.cval, **_engine(a)), ("size",) + nd, NDIMAGE_MODES),
        "maximum": ("maximum filter, dilation (ndimage.maximum_filter)",
                    lambda x, a: N.maximum_filter(x, a.size, mode=a.mode, cval=a.cval, **_engine(a)), ("size",) + nd, NDIMAGE_MODES),
        "convolve": ("convolution with a kernel (ndimage.convolve)",
                     lambda x, a: N.convolve(x, _kernel(a.kernel, x.ndim), mode=a.mode, cval=a.cval, **_engine(a)),
                     ("kernel",) + nd, NDIMAGE_MODES),
        "correlate": ("correlation with a kernel (ndimage.correlate)",
                      lambda x, a: N.correlate(x, _kernel(a.kernel, x.ndim), mode=a.mode, cval=a.cval, **_engine(a)),
                      ("kernel",) + nd, NDIMAGE_MODES),
        "savgol": ("Savitzky-Golay filter along one axis (signal.savgol_filter)",
                   lambda x, a: S.savgol_filter(x, a.window, a.polyorder, deriv=a.deriv, axis=a.axis, mode=a.mode,
                                                cval=a.cval, **_engine(a)),
                   ("window", "polyorder", "deriv", "axis") + nd, SAVGOL_MODES),
    }


def _denoisers():
    from sigconv import denoise as D

    return {
        "fill": ("fill lost samples from valid neighbours (denoise.fill_missing); lost = NaN, or --mask, "
                 "or --lost-value",
                 lambda x, a, mask: D.fill_missing(x, mask, a.size, sigma=a.fill_sigma, mode=a.mode,
                                                   max_iter=a.max_iter, **_engine(a)),
                 ("mask", "lost_value", "size", "fill_sigma", "max_iter"), FILL_MODES),
        "moving-average": ("moving average (denoise.moving_average)",
                           lambda x, a, m: D.moving_average(x, a.size, mode=a.mode, **_engine(a)), ("size",), NDIMAGE_MODES),
        "gaussian": ("Gaussian smoothing (denoise.gaussian)",
                     lambda x, a, m: D.gaussian(x, a.sigma, mode=a.mode, truncate=a.truncate, **_engine(a)),
                     ("sigma", "truncate"), NDIMAGE_MODES),
        "median": ("median (denoise.median)", lambda x, a, m: D.median(x, a.size, mode=a.mode, **_engine(a)),
                   ("size",), NDIMAGE_MODES),
        "wiener": ("Wiener filter (denoise.wiener)", lambda x, a, m: D.wiener(x, a.size, a.noise, **_engine(a)),
                   ("size", "noise"), None),
        "savgol": ("Savitzky-Golay smoothing along one axis (denoise.savgol)",
                   lambda x, a, m: D.savgol(x, a.window, a.polyorder, deriv=a.deriv, axis=a.axis, mode=a.mode, **_engine(a)),
                   ("window", "polyorder", "deriv", "axis"), SAVGOL_MODES),
    }


# ---- kernels, channels, files ----------------------------------------------------------------------
def _kernel(spec: str, ndim: int) -> np.ndarray:
    """A kernel from ``NAME[:key=value,...]`` (sigconv.kernels) or a ``.npy`` file."""
    from sigconv import io, kernels

    if spec.lower().endswith(".npy"):
        return io.read(spec).array
    name, _, params = spec.partition(":")
    if name not in kernels.__all__:
        raise CliError(f"--kernel: unknown kernel {name!r}; choose one of {', '.join(kernels.__all__)}, or a .npy file")
    kwargs = {}
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, val = item.partition("=")
        if not eq:
            raise CliError(f"--kernel {spec}: expected key=value, got {item!r}")
        try:
            kwargs[key.strip()] = ast.literal_eval(val.strip())
        except (ValueError, SyntaxError):
            kwargs[key.strip()] = val.strip()  # a bare word: a string such as x or y
    fn = getattr(kernels, name)
    accepted = [p for p in inspect.signature(fn).parameters if p != "dtype"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise CliError(f"--kernel {name}: unknown parameter {', '.join(unknown)}; it takes {', '.join(accepted)}")
    if "ndim" in accepted and "ndim" not in kwargs:
        kwargs["ndim"] = ndim
    try:
        return fn(**kwargs)
    except (TypeError, ValueError) as e:
        raise CliError(f"--kernel {spec}: {e}") from None


def _library(fn, *args):
    """Runs a library call; its ValueError/TypeError (bad values, named by the library) become CliError."""
    from sigconv import GpuUnavailableError

    try:
        return fn(*args)
    except (ValueError, TypeError, GpuUnavailableError) as e:
        raise CliError(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__) from None


def _per_part(fn, arr, axes):
    """``fn(part, take)`` on each part of ``arr`` cut along ``axes`` (an image stack's frames, a
    colour image's or a ``.wav``'s channels), the results stacked back; ``take(m)`` cuts the same
    part out of an array shaped like ``arr``. With no axes, ``fn(arr, identity)``."""
    if not axes:
        return fn(arr, lambda m: m)
    ax, rest = axes[0], [a - (a > axes[0]) for a in axes[1:]]
    parts = []
    for i in range(arr.shape[ax]):
        def inner(part, take, i=i):
            return fn(part, lambda m: take(np.take(m, i, axis=ax)))
        parts.append(_per_part(inner, np.ascontiguousarray(np.take(arr, i, axis=ax)), rest))
    return np.stack(parts, axis=ax)


def _parts(data):
    """The axes a file's data is filtered apart along: frames, then channels."""
    return [ax for ax in (data.frame_axis, data.channel_axis) if ax is not None]


def _same_file(a, b) -> bool:
    try:
        return os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False


def _load_input(a):
    from sigconv import io

    if _same_file(a.input, a.output):
        raise CliError(f"{a.output}: is the input file; write the result to another file")
    io.format_of(a.output)  # an unknown output extension fails before any work
    data = io.read(a.input)
    if data.array.dtype.kind not in "biuf":
        raise CliError(f"{a.input}: holds {data.array.dtype} data; the filters take real numbers")
    return data


def _save_output(a, data, result):
    from sigconv import io

    dtype = data.array.dtype if a.dtype == "keep" else np.dtype(a.dtype)
    if dtype == np.bool_:
        dtype = np.dtype(np.uint8)
    out = io.cast(result, dtype)
    rate = a.rate if a.rate is not None else data.rate
    io.write(a.output, out, rate=rate, frames=data.frame_axis is not None)
    return out


def _working(arr):
    return arr.astype(np.float32 if arr.dtype == np.float32 else np.float64)


def _describe(a, names):
    parts = []
    for n in names:
        v = getattr(a, OPTIONS[n][1].get("dest", n), None)
        if n == "cval" and getattr(a, "mode", None) not in ("constant", "grid-constant"):
            continue
        if v is not None and n not in ("mask",):
            parts.append(f"{OPTIONS[n][0][0].lstrip('-')} {v}")
    if getattr(a, "mode", None):
        parts.append(f"mode {a.mode}")
    return ", ".join(parts)


# ---- commands --------------------------------------------------------------------------------------
def cmd_filter(a) -> int:
    name, (_, fn, names, _) = a.name, _filters()[a.name]
    data = _load_input(a)
    x = _working(data.array)
    t0 = time.perf_counter()
    y = _library(lambda: _per_part(lambda part, _: fn(part, a), x, _parts(data)))
    secs = time.perf_counter() - t0
    out = _save_output(a, data, y)
    print(f"{a.output}: {name} ({_describe(a, names)}) of {a.input}, {out.dtype} {out.shape}, {secs * 1e3:.1f} ms")
    return 0


def _lost_mask(a, data):
    """The lost samples for ``denoise fill``: from --mask, --lost-value, or None (NaN)."""
    from sigconv import io

    if a.mask is not None and a.lost_value is not None:
        raise CliError("--mask and --lost-value: give one of them")
    if a.lost_value is not None:
        return data.array == a.lost_value
    if a.mask is None:
        if data.array.dtype.kind != "f":
            raise CliError(f"{a.input}: {data.array.dtype} data has no NaN to fill; mark the lost samples "
                           "with --mask FILE or --lost-value V")
        return None
    m = io.read(a.mask).array
    shape = data.array.shape
    # the data's shape, or it without its channel and/or frame axes (one mask for all of them)
    for dropped in ([], [data.channel_axis], [data.frame_axis], [data.frame_axis, data.channel_axis]):
        if None in dropped:
            continue
        if m.shape == tuple(s for i, s in enumerate(shape) if i not in dropped):
            return np.broadcast_to(np.expand_dims(m != 0, tuple(dropped)), shape)
    raise CliError(f"--mask {a.mask}: shape {m.shape} does not match the data's {shape}")


def cmd_denoise(a) -> int:
    name, (_, fn, names, _) = a.name, _denoisers()[a.name]
    data = _load_input(a)
    mask = _lost_mask(a, data) if name == "fill" else None
    x = _working(data.array)
    t0 = time.perf_counter()

    def one(part, take):
        return fn(part, a, None if mask is None else np.ascontiguousarray(take(mask)))

    y = _library(lambda: _per_part(one, x, _parts(data)))
    secs = time.perf_counter() - t0
    out = _save_output(a, data, y)
    extra = ""
    if name == "fill":
        lost = int(np.isnan(x).sum()) if mask is None else int(mask.sum())
        left = int(np.isnan(y).sum())
        extra = f"; {lost} lost samples" + (f", {left} out of reach left NaN" if left else ", all filled")
    print(f"{a.output}: {name} ({_describe(a, names)}) of {a.input}, {out.dtype} {out.shape}, {secs * 1e3:.1f} ms{extra}")
    return 0


def cmd_train(a) -> int:
    import sigconv
    from sigconv import plot, zoo

    r = _library(zoo.recipe, a.model, a.dataset)
    epochs = a.epochs or r.epochs
    out = Path(a.out) if a.out else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CliError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    print(f"training {r.description}: {epochs} epochs, batch {a.batch_size or r.batch_size}, "
          f"Adam lr {a.lr or r.lr}, seed {a.seed}, layers on {a.device}", flush=True)
    t0 = time.perf_counter()
    res = _library(lambda: zoo.run(a.model, a.dataset, epochs=epochs, batch_size=a.batch_size, lr=a.lr,
                                   seed=a.seed, limit=a.limit, progress=not a.quiet, device=a.device))
    secs = time.perf_counter() - t0
    if "acc" in res.metrics:
        score = f"held-out accuracy {res.metrics['acc']:.2%} ({len(res.y_test)} samples)"
    else:
        score = (f"held-out PSNR {res.metrics['psnr_db']:.1f} dB (noisy input {res.metrics['noisy_psnr_db']:.1f} dB, "
                 f"{len(res.y_test)} samples)")
    print(f"{score}; trained in {secs:.1f} s")
    if out is not None:
        sigconv.save(res.model, out / "model.npz")
        sigconv.save(res.model.state_dict(), out / "state_dict.npz")
        plot._plt().close(res.history.plot(out / "curves.png", title=r.description))
        plot._plt().close(plot.filters(res.model, out / "filters.png"))
        metrics = {"model": a.model, "dataset": a.dataset, "epochs": epochs, "seconds": secs, **res.metrics,
                   "history": res.history.history}
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n")
        print(f"saved {out}/model.npz (sigconv.load), state_dict.npz, curves.png, filters.png, metrics.json")
    return 0


def _bench_scripts():
    root = Path(__file__).resolve().parent.parent / "benches"
    return sorted(root.glob("bench_*.py")) + sorted(root.glob("train_accuracy.py"))


def cmd_bench(a) -> int:
    import subprocess

    from sigconv import _harness as H
    from sigconv import benchmark

    if a.full:
        scripts = [s for s in _bench_scripts() if not a.only or any(o in s.stem for o in a.only)]
        if not scripts:
            raise CliError("--full runs the scripts in benches/ of a source checkout, and none "
                           f"{'matches --only' if a.only else 'was found next to the package'}")
        failed = []
        for i, s in enumerate(scripts, 1):
            cmd = [sys.executable, str(s)] + (["--quick"] if a.quick and "--quick" in s.read_text() else [])
            if a.out:
                cmd += ["--out", str(a.out)]
            print(f"\n[{i}/{len(scripts)}] {' '.join(cmd)}", flush=True)
            if subprocess.call(cmd, cwd=s.parent.parent) != 0:
                failed.append(s.name)
        if failed:
            raise CliError(f"benchmark scripts failed: {', '.join(failed)}")
        return 0
    if a.only and not benchmark.workloads(0.001, only=a.only):
        names = ", ".join(w.name for w in benchmark.workloads(0.001))
        raise CliError(f"--only {' '.join(a.only)}: no workload matches; they are: {names}")
    env = H.environment(["numpy", "scipy", "cv2"])
    H.print_environment(env)
    scale, repeats = (0.25, 3) if a.quick else (1.0, 5)
    rows = benchmark.run(scale=a.scale or scale, repeats=a.repeats or repeats, budget_s=1.0 if a.quick else 4.0,
                         only=a.only)
    benchmark.print_results(rows)
    if a.out:
        out = Path(a.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CliError(f"--out {out}: cannot create the folder ({e.strerror})") from None
        H.save_json(out / "bench.json", {"environment": env, "rows": rows})
        benchmark.chart(rows, out / "bench.png")
        print(f"wrote {out}/bench.json and {out}/bench.png")
    bad = [r["name"] for r in rows if not r["ok"]]
    if bad:
        raise CliError(f"sigconv's result differs from scipy's in: {', '.join(bad)}")
    return 0


def cmd_info(a) -> int:
    import sigconv
    from sigconv import _harness as H

    info = sigconv.info()
    versions = {}
    for name in ("numpy", "scipy", "matplotlib", "PIL", "sklearn", "cv2", "torch"):
        mod = H.optional_import(name)
        versions[name] = getattr(mod, "__version__", "?") if mod else None
    if a.json:
        print(json.dumps({**info, "python": sys.version.split()[0], "versions": versions}, indent=2))
        return 0
    print(f"sigconv {info['version']} (Python {sys.version.split()[0]})")
    print(f"SIMD level: {info['simd']}")
    print(f"threads: {info['threads']} (workers=None uses them all; os.cpu_count() = {os.cpu_count()})")
    print("devices:")
    for d in info["devices"]:
        extra = f", driver {d['driver']}" if d.get("driver") else ""
        print(f"  {d['device']}: {d['name']} ({d['type']}, {d['backend']}, float64 {'yes' if d['f64'] else 'no'}{extra})")
    if len(info["devices"]) == 1:
        from sigconv import _core

        print(f"  gpu: none ({_core.gpu_unavailable_reason() or 'no adapter'})")
    print("packages: " + ", ".join(f"{k} {v}" if v else f"{k} (not installed)" for k, v in versions.items()))
    return 0


def cmd_demo(a) -> int:
    from sigconv import demo

    try:
        Path(a.out).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CliError(f"--out {a.out}: cannot create the folder ({e.strerror})") from None
    return demo.run(a.out, quick=a.quick, repeats=a.repeats, seed=a.seed)


# ---- the parser ------------------------------------------------------------------------------------
def _file_command(sub, name, table, func, what):
    p = sub.add_parser(name, help=f"{what} a file (.npy .npz .csv .wav .png .jpg .tif)",
                       description=f"{what.capitalize()} a file with one of these methods; "
                                   f"'sigconv {name} METHOD --help' lists its options.\n\n{FILES_HELP}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    methods = p.add_subparsers(dest="name", metavar="METHOD", required=True, parser_class=_Parser)
    for method, (help_text, _, names, modes) in table.items():
        m = methods.add_parser(method, help=help_text, description=f"{help_text}.\n\n{FILES_HELP}",
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        m.add_argument("input", help="file to read")
        m.add_argument("output", help="file to write (format from its extension)")
        for n in names:
            flags, kw = OPTIONS[n]
            m.add_argument(*flags, **kw)
        if modes:
            m.add_argument("--mode", choices=modes, default=modes[0], help=f"what lies beyond the edges (default {modes[0]})")
        m.add_argument("--dtype", choices=DTYPES, default="keep", help="stored dtype (default: the input's)")
        m.add_argument("--rate", type=positive_int, help="sample rate for a .wav output (default: the input's)")
        m.add_argument("--workers", type=positive_int, help="threads (default: all cores)")
        m.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu", help="where to compute (default cpu)")
        m.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    from sigconv import __version__, demo, zoo

    p = _Parser(prog="sigconv", description="sigconv: fast convolution, filtering, denoising and small CNNs "
                "(a Rust core behind scipy-compatible Python).", epilog=EXAMPLES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"sigconv {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("demo", help="the tour: filter, fill, denoise, train, benchmark; writes a report folder",
                       description=demo.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_arguments(d)
    d.set_defaults(func=cmd_demo)

    _file_command(sub, "filter", _filters(), cmd_filter, "filter")
    _file_command(sub, "denoise", _denoisers(), cmd_denoise, "denoise")

    pairs = ", ".join(f"{m} on {ds}" for m, ds in zoo.RECIPES)
    t = sub.add_parser("train", help="train a model of the zoo on a data set (offline)",
                       description=f"Train a model from sigconv.models on an offline data set, print progress and "
                                   f"the held-out score. Valid pairs: {pairs}.")
    t.add_argument("--model", required=True, choices=zoo.MODELS)
    t.add_argument("--dataset", required=True, choices=list(zoo.DATASETS))
    t.add_argument("--epochs", type=positive_int, help="passes over the data (default: the recipe's)")
    t.add_argument("--batch-size", type=positive_int, help="samples per step (default: the recipe's)")
    t.add_argument("--lr", type=positive_float, help="Adam's learning rate (default: the recipe's)")
    t.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling (default 0)")
    t.add_argument("--limit", type=positive_int, help="use only the first N samples of each split (quick runs)")
    t.add_argument("--out", help="folder for model.npz, state_dict.npz, curves.png, filters.png, metrics.json")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    t.add_argument("--device", choices=["cpu", "gpu", "auto"], default="cpu",
                   help="where the convolution and pooling layers compute (default cpu; tensors stay "
                        "in host memory)")
    t.set_defaults(func=cmd_train)

    b = sub.add_parser("bench", help="benchmark against scipy / OpenCV in the same run",
                       description="Time sigconv and its peers on the same data in the same run and print "
                                   "the ratios (peer ms / sigconv ms; above 1 sigconv is faster). "
                                   "--full runs the full scripts of benches/ (source checkout).")
    b.add_argument("--quick", action="store_true", help="smaller data and fewer repeats")
    b.add_argument("--full", action="store_true", help="run benches/*.py instead (minutes)")
    b.add_argument("--only", nargs="+", metavar="NAME", help="workloads (or scripts, with --full) whose name contains NAME")
    b.add_argument("--repeats", type=positive_int, help="timed calls per measurement")
    b.add_argument("--scale", type=positive_float, help="data size relative to the full workloads")
    b.add_argument("--out", help="folder for bench.json and bench.png")
    b.set_defaults(func=cmd_bench)

    i = sub.add_parser("info", help="versions, threads, SIMD level, GPU adapters",
                       description="Versions, threads, the SIMD level picked and the devices sigconv can use.")
    i.add_argument("--json", action="store_true", help="as JSON")
    i.set_defaults(func=cmd_info)
    return p


def main(argv=None) -> int:
    """Runs the command line on ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from sigconv import io

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        print(e, file=sys.stderr)
        return 2
    except SystemExit as e:  # --help and --version exit through argparse
        return e.code if isinstance(e.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except (CliError, io.DataFileError) as e:
        print(f"sigconv {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sigconv: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
