"""A quick benchmark of sigconv against scipy (and OpenCV where installed), timed in the same run:
``sigconv bench`` prints it, the demo charts it. The full suites are the scripts in ``benches/``
(``sigconv bench --full`` runs them from a source checkout).

Workloads (seeded data; sizes scaled down by ``scale``):

* ``convolve 1-D K=33`` / ``K=513``: float64, 1,000,000 samples, ``signal.convolve(mode='same')``
  against ``scipy.signal.convolve`` (its own method choice);
* ``convolve2d 7x7``: float32 1024 x 1024, ``signal.convolve2d(mode='same')`` against
  ``scipy.signal.convolve2d`` and ``cv2.filter2D`` (flipped kernel, zero border);
* ``gaussian sigma 2``, ``uniform 5``, ``median 5``, ``maximum 3``: float32 2048 x 2048 (the median
  1024 x 1024), ``sigconv.ndimage`` against ``scipy.ndimage`` and OpenCV's ``GaussianBlur``,
  ``blur``, ``medianBlur`` and ``dilate`` (reflecting or replicating borders, as close to
  ndimage's as OpenCV has);
* ``fill_missing 10%``: float32 1024 x 1024 with 10% of the pixels lost, 3 x 3 window, against the
  same normalized convolution from ``scipy.ndimage.uniform_filter`` (one pass; the valid pixels
  kept).

Each time is the median of ``repeats`` calls after a warm-up call (:func:`sigconv._harness.measure`,
time-boxed). sigconv's result is checked against scipy's (relative error at most 1e-4 in float32);
peers other than scipy are timed only. Ratios are ``peer ms / sigconv ms``: above 1, sigconv is
faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from sigconv import _harness as H
from sigconv import _progress

__all__ = ["Workload", "workloads", "run", "print_results", "chart", "TOLERANCE"]

TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


@dataclass
class Workload:
    """One benchmark case: ``ours`` is sigconv's call, ``scipy`` the reference call, ``peers``
    other implementations by name (timed, not checked)."""

    name: str
    ours: Callable
    scipy: Callable
    peers: dict


def _size(n, scale):
    return max(16, int(n * scale))


def workloads(scale: float = 1.0, seed: int = 0, only=None) -> list:
    """The workloads at ``scale`` times their full size (``only``: names containing any of these)."""
    import scipy.ndimage as sn
    import scipy.signal as ss

    from sigconv import denoise, kernels, ndimage, signal

    cv2 = H.optional_import("cv2")
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(_size(1_000_000, scale))
    big = rng.random((_size(2048, scale),) * 2, dtype=np.float32)
    mid = np.ascontiguousarray(big[: _size(1024, scale), : _size(1024, scale)])
    lost = rng.random(mid.shape) < 0.1
    holes = np.where(lost, np.float32(np.nan), mid)
    out = []

    for k in (33, 513):
        taps = np.hanning(k + 2)[1:-1]
        taps /= taps.sum()
        out.append(Workload(f"convolve 1-D K={k}", lambda t=taps: signal.convolve(x1, t, mode="same"),
                            lambda t=taps: ss.convolve(x1, t, mode="same"), {}))

    k7 = kernels.gaussian(1.2, 2, radius=3, dtype=np.float32)
    peers = {}
    if cv2 is not None:
        flipped = np.ascontiguousarray(k7[::-1, ::-1])
        peers["cv2"] = lambda: cv2.filter2D(mid, -1, flipped, borderType=cv2.BORDER_CONSTANT)
    out.append(Workload("convolve2d 7x7", lambda: signal.convolve2d(mid, k7, mode="same"),
                        lambda: ss.convolve2d(mid, k7, mode="same"), peers))

    def cv(fn):
        return {"cv2": fn} if cv2 is not None else {}

    out.append(Workload("gaussian sigma 2", lambda: ndimage.gaussian_filter(big, 2.0),
                        lambda: sn.gaussian_filter(big, 2.0),
                        cv(lambda: cv2.GaussianBlur(big, (17, 17), 2.0, borderType=cv2.BORDER_REFLECT))))
    out.append(Workload("uniform 5", lambda: ndimage.uniform_filter(big, 5), lambda: sn.uniform_filter(big, 5),
                        cv(lambda: cv2.blur(big, (5, 5), borderType=cv2.BORDER_REFLECT))))
    out.append(Workload("median 5", lambda: ndimage.median_filter(mid, 5), lambda: sn.median_filter(mid, 5),
                        cv(lambda: cv2.medianBlur(mid, 5))))
    out.append(Workload("maximum 3", lambda: ndimage.maximum_filter(big, 3), lambda: sn.maximum_filter(big, 3),
                        cv(lambda: cv2.dilate(big, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REFLECT))))

    def scipy_fill():
        # one pass of normalized convolution: mean of the valid neighbours in the 3 x 3 window
        valid = (~lost).astype(np.float32)
        num = sn.uniform_filter(np.where(lost, 0, mid), 3, mode="constant")
        den = sn.uniform_filter(valid, 3, mode="constant")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(lost, num / den, mid)

    out.append(Workload("fill_missing 10%", lambda: denoise.fill_missing(holes), scipy_fill, {}))
    if only:
        out = [w for w in out if any(o in w.name for o in only)]
    return out


def _error(ours, ref) -> float:
    """Relative max error where both are finite (the one-pass scipy fill leaves NaN in holes with
    no valid neighbour; sigconv fills them in later passes)."""
    ours = np.asarray(ours, np.float64)
    ref = np.asarray(ref, np.float64)
    if ours.shape != ref.shape:
        return float("inf")
    keep = np.isfinite(ref)
    return H.errors(ours[keep], ref[keep])[1]


def run(scale: float = 1.0, repeats: int = 5, budget_s: float = 4.0, seed: int = 0, only=None, progress=True) -> list:
    """Times every workload; returns one dict per workload: ``name``, ``sigconv_ms``, ``scipy_ms``,
    ``<peer>_ms``, ``scipy_ratio`` / ``<peer>_ratio`` (peer ms / sigconv ms), ``error`` (relative,
    against scipy) and ``ok`` (error within tolerance)."""
    cases = workloads(scale, seed, only)
    bar = _progress.Bar(len(cases), "bench", enabled=progress)
    rows = []
    for w in cases:
        bar.show(w.name)
        ours = H.measure(w.ours, repeats, budget_s)
        ref = H.measure(w.scipy, repeats, budget_s)
        dtype = np.asarray(ours.result).dtype
        err = _error(ours.result, ref.result)
        row = {"name": w.name, "sigconv_ms": ours.ms, "scipy_ms": ref.ms, "scipy_ratio": ref.ms / ours.ms,
               "error": err, "ok": bool(err <= TOLERANCE.get(dtype, 1e-9)), "runs": ours.runs}
        for peer, fn in w.peers.items():
            t = H.measure(fn, repeats, budget_s)
            row[f"{peer}_ms"], row[f"{peer}_ratio"] = t.ms, t.ms / ours.ms
        rows.append(row)
        bar.step(f"{w.name}: {H.fmt_ratio(row['scipy_ratio'])} scipy")
    bar.close()
    return rows


def _peers(rows) -> list:
    names = []
    for r in rows:
        for k in r:
            if k.endswith("_ratio") and k[: -len("_ratio")] not in names:
                names.append(k[: -len("_ratio")])
    return names


def print_results(rows, out=None, title: Optional[str] = None) -> None:
    """The results as a table: times, ratios per peer, error against scipy."""
    cols = [("name", "workload", None), ("sigconv_ms", "sigconv ms", H.fmt_ms)]
    for p in _peers(rows):
        cols += [(f"{p}_ms", f"{p} ms", H.fmt_ms), (f"{p}_ratio", f"vs {p}", H.fmt_ratio)]
    cols += [("error", "rel. error", H.fmt_err), ("ok", "ok", lambda v: "yes" if v else "NO")]
    H.print_table(rows, cols, title=title or "sigconv against its peers (ratio = peer ms / sigconv ms)", out=out)


def chart(rows, path, title: str = "sigconv speed-up (peer time / sigconv time, same run)"):
    """A bar chart of the ratios (PNG at ``path``)."""
    panel = {"title": "above 1: sigconv is faster", "groups": [r["name"].replace(" ", "\n", 1) for r in rows],
             "series": {p: [r.get(f"{p}_ratio") for r in rows] for p in _peers(rows)}}
    return H.bar_chart(path, [panel], title=title)
