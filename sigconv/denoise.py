"""Cleaning signals and images: filling lost samples, and short names for the everyday filters.

* :func:`fill_missing` replaces lost samples or pixels (a mask, or NaN) from their valid neighbours
  by normalized convolution, iterated until holes wider than the window are filled.
* :func:`moving_average`, :func:`gaussian`, :func:`median`, :func:`wiener`, :func:`savgol`: short
  names for the everyday smoothing of 1-D signals and 2-D images, each one call into
  :mod:`sigconv.ndimage` or :mod:`sigconv.signal` (which behave as scipy's).

Python checks the arguments and builds the weights; the Rust core (:mod:`sigconv._core`) runs every
pass over the samples.
"""

import numbers
import warnings

import numpy as np

from sigconv import _core, _dask, _ndsupport, kernels
from sigconv import ndimage as _ndimage
from sigconv import signal as _signal
from sigconv.signal import _device, _workers

__all__ = ["fill_missing", "moving_average", "gaussian", "median", "wiener", "savgol"]


def _window(x_ndim, size, sigma, kernel, truncate):
    """The weights as a convolution kernel (float64, non-negative, at least one positive), and
    its factors per axis when it is separable (box and Gaussian windows), else None."""
    if kernel is not None and sigma is not None:
        raise ValueError("give either sigma or kernel, not both; got sigma and kernel")
    if kernel is not None:
        w = np.asarray(kernel)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"kernel must be a real numeric array; got dtype {w.dtype}")
        w = w.astype(np.float64)
        if w.ndim != x_ndim:
            raise ValueError(
                f"kernel must have one axis per axis of x ({x_ndim}); got kernel.shape={w.shape}"
            )
        if w.size == 0:
            raise ValueError(f"kernel must not be empty; got kernel.shape={w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise ValueError(
                "kernel weights must be finite and non-negative, with at least one positive"
            )
        return w, None
    if sigma is not None:
        sigmas = _ndsupport.per_axis(sigma, x_ndim, "sigma")
        factors = [kernels.gaussian(s, truncate=truncate) for s in sigmas]
    else:
        sizes = _ndsupport.per_axis(size, x_ndim, "size")
        for s in sizes:
            if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral) or s < 1:
                raise ValueError(
                    f"size must be a positive integer or one per axis; got size={size!r}"
                )
        factors = [np.ones(int(s)) for s in sizes]
    w = factors[0]
    for f in factors[1:]:
        w = np.multiply.outer(w, f)
    return w, factors


@_dask.dispatch(_dask.fill_missing)
def fill_missing(
    x,
    mask=None,
    size=3,
    *,
    sigma=None,
    kernel=None,
    mode="constant",
    truncate=4.0,
    max_iter=None,
    workers=None,
    device="cpu",
):
    r"""Fill lost samples or pixels from their valid neighbours (normalized convolution).

    Each lost sample :math:`p` gets the weighted mean of the valid samples in its window,

    .. math::

        x[p] \leftarrow \frac{\sum_m w[m]\, v[p - m]\, x[p - m]}{\sum_m w[m]\, v[p - m]}

    where :math:`v` is 1 on valid samples and 0 on lost ones and :math:`w` the window's weights
    (centred as scipy.ndimage.convolve centres them). A lost sample with no valid sample in its
    window waits: passes repeat, each reading only the result of the previous one, so holes wider
    than the window fill from their rims inward. Valid samples are returned unchanged, bit for bit.

    Parameters
    ----------
    x : array_like
        Signal (1-D), image (2-D) or any N-d array of real numbers.
    mask : array_like of bool, optional
        True where a sample is lost; its value in `x` is ignored (it may be anything, NaN included).
        By default, the NaN samples of `x` are the lost ones.
    size : int or sequence of int, optional
        Width of the box window (uniform weights) on every axis, or one per axis (default 3).
        Ignored when `sigma` or `kernel` is given.
    sigma : float or sequence of float, optional
        Gaussian weights of this standard deviation instead of the box (radius
        ``int(truncate * sigma + 0.5)``, as :func:`sigconv.kernels.gaussian`).
    kernel : array_like, optional
        Explicit non-negative weights, one axis per axis of `x`, applied as a convolution kernel.
    mode : {'constant', 'reflect', 'nearest', 'mirror', 'wrap'}, optional
        What the window reads beyond the edges. ``'constant'`` (default): nothing; outside the array
        counts as lost. The others extend values and validity together, as scipy.ndimage's modes
        (``'grid-*'`` aliases accepted).
    truncate : float, optional
        Radius of the Gaussian in standard deviations (default 4.0), with `sigma`.
    max_iter : int, optional
        The most passes. By default, as many as it takes.
    workers : int, optional
        Threads: None for all cores, 1 for the calling thread only.
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute; ``'gpu'`` raises :class:`sigconv.GpuUnavailableError` (no GPU backend yet).

    Returns
    -------
    ndarray
        A new array of the shape of `x`: float32 for float32 input, float64 otherwise. Lost samples
        that no pass reached (after `max_iter` passes, or with a kernel that never reaches them) are
        NaN.

    Raises
    ------
    ValueError
        If every sample is lost, for a mask of another shape, or bad `size`, `sigma`, `kernel`,
        `mode` or `max_iter`.
    TypeError
        For a non-real `x`, or a mask that is not boolean.

    Warns
    -----
    RuntimeWarning
        When, without `max_iter`, some lost samples cannot be reached by the window.

    Notes
    -----
    Every filled value is a weighted mean of valid values, so it lies between their minimum and
    maximum. With a symmetric window, a lost sample whose valid neighbours are placed symmetrically
    about it is restored exactly on a linear ramp. The work grows with the number of lost samples
    (times the window), not with the size of the array.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import denoise
    >>> denoise.fill_missing([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, 7.0])
    array([1., 2., 3., 3., 5., 7., 7.])
    >>> img = np.arange(16.0).reshape(4, 4)
    >>> lost = np.zeros((4, 4), dtype=bool)
    >>> lost[1, 2] = True
    >>> float(denoise.fill_missing(img, lost)[1, 2])
    6.0
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must be an array of real numbers; got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis; got a 0-d array")
    dtype = _ndsupport.compute_dtype(x.dtype)
    if mask is None:
        lost = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
    else:
        lost = np.asarray(mask)
        if lost.dtype != np.bool_:
            raise TypeError(f"mask must be a boolean array; got dtype {lost.dtype}")
        if lost.shape != x.shape:
            raise ValueError(f"mask has shape {lost.shape}; expected the shape of x, {x.shape}")
    mode = _ndsupport.check_mode(mode)
    if max_iter is not None and (
        isinstance(max_iter, (bool, np.bool_))
        or not isinstance(max_iter, numbers.Integral)
        or max_iter < 1
    ):
        raise ValueError(f"max_iter must be None or a positive integer; got max_iter={max_iter!r}")
    w, factors = _window(x.ndim, size, sigma, kernel, truncate)
    workers, device = _workers(workers), _device(device)
    if x.size == 0:
        return np.empty(x.shape, dtype)
    if lost.all():
        raise ValueError(
            f"every sample of x is lost ({x.size} of {x.size}); there is nothing to fill from"
        )
    out, unfilled = _fill(x, lost, w, factors, mode, max_iter, "auto", workers, device)
    if unfilled and max_iter is None:
        warnings.warn(
            f"{unfilled} lost samples cannot be reached by the window and are left NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    return out


def _dense_first_pass(n_lost, size, w, factors):
    """The core's 'auto' choice of the first pass (rust/cpu/fill.rs): two whole-array SIMD
    correlations ('dense') rather than sums at each lost sample, when lost samples are many."""
    taps = sum(len(f) for f in factors) if factors is not None else w.size
    return 2 * n_lost * w.size > size * (6 + taps // 4)


def _fill(x, lost, w, factors, mode, max_iter, first_pass, workers, device):
    """The core's passes: `w` the convolution kernel (and its per-axis `factors` or None); returns
    the filled array and the number of lost samples left unfilled."""
    dtype = _ndsupport.compute_dtype(x.dtype)
    # Convolution kernel -> correlation taps: flipped, first tap reading p + k // 2 - (k - 1).
    taps = np.ascontiguousarray(w[(slice(None, None, -1),) * w.ndim], dtype=dtype)
    start = [k // 2 - (k - 1) for k in w.shape]
    if factors is not None:
        factors = [np.ascontiguousarray(f[::-1], dtype=dtype) for f in factors]
    out, _, unfilled = _core.fill_missing(
        np.ascontiguousarray(x, dtype=dtype),
        np.ascontiguousarray(lost),
        taps,
        start,
        factors,
        mode,
        None if max_iter is None else int(max_iter),
        first_pass,
        workers,
        device,
    )
    return out, unfilled


# ----------------------------------------------------------------------------------------------------
# Short names for the everyday filters
# ----------------------------------------------------------------------------------------------------


def _floating(x):
    """`x` as an array; integers and bools as float64 (a mean of integers is not an integer)."""
    x = x if _dask.is_dask(x) else np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def moving_average(x, size, *, mode="reflect", workers=None, device="cpu"):
    """Moving average over a window of `size` samples on every axis (a box filter).

    ``sigconv.ndimage.uniform_filter(x, size, mode=mode)``, with integer input averaged in float64.

    Parameters
    ----------
    x : array_like
        Signal or image.
    size : int or sequence of int
        Window length, on every axis or one per axis.
    mode : str, optional
        Boundary, as scipy.ndimage (default ``'reflect'``).
    workers, device
        As everywhere in sigconv.

    Returns
    -------
    ndarray
        Same shape; float32 stays float32, other input gives float64.

    Examples
    --------
    >>> from sigconv import denoise
    >>> denoise.moving_average([0.0, 0.0, 3.0, 0.0, 0.0], 3)
    array([0., 1., 1., 1., 0.])
    """
    return _ndimage.uniform_filter(_floating(x), size, mode=mode, workers=workers, device=device)


def gaussian(x, sigma, *, mode="reflect", truncate=4.0, workers=None, device="cpu"):
    """Gaussian smoothing with standard deviation `sigma` (in samples) on every axis.

    ``sigconv.ndimage.gaussian_filter(x, sigma, mode=mode, truncate=truncate)``, with integer input
    smoothed in float64.

    Parameters
    ----------
    x : array_like
        Signal or image.
    sigma : float or sequence of float
        Standard deviation, on every axis or one per axis.
    mode : str, optional
        Boundary, as scipy.ndimage (default ``'reflect'``).
    truncate : float, optional
        Kernel radius in standard deviations (default 4.0).
    workers, device
        As everywhere in sigconv.

    Returns
    -------
    ndarray
        Same shape; float32 stays float32, other input gives float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import denoise
    >>> np.round(denoise.gaussian([0.0, 0.0, 1.0, 0.0, 0.0], 1.0), 3)
    array([0.058, 0.242, 0.399, 0.242, 0.058])
    """
    return _ndimage.gaussian_filter(
        _floating(x), sigma, mode=mode, truncate=truncate, workers=workers, device=device
    )


def median(x, size, *, mode="reflect", workers=None, device="cpu"):
    """Median over a window of `size` samples on every axis: removes impulse (salt-and-pepper)
    noise while keeping edges.

    ``sigconv.ndimage.median_filter(x, size=size, mode=mode)``; the dtype is kept.

    Parameters
    ----------
    x : array_like
        Signal or image.
    size : int or sequence of int
        Window length, on every axis or one per axis.
    mode : str, optional
        Boundary, as scipy.ndimage (default ``'reflect'``).
    workers, device
        As everywhere in sigconv.

    Examples
    --------
    >>> from sigconv import denoise
    >>> denoise.median([1.0, 1.0, 9.0, 1.0, 1.0], 3)
    array([1., 1., 1., 1., 1.])
    """
    return _ndimage.median_filter(x, size=size, mode=mode, workers=workers, device=device)


def wiener(x, size=None, noise=None, *, workers=None, device="cpu"):
    """Adaptive Wiener filter: each sample pulled toward its local mean by how much the local
    variance exceeds the noise.

    ``sigconv.signal.wiener(x, size, noise)`` (scipy.signal.wiener's ``mysize``: default 3 on every
    axis; ``noise``: default the mean of the local variances).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import denoise
    >>> np.round(denoise.wiener([1.0, 2.0, 1.0, 5.0, 1.0, 2.0, 1.0]), 3)
    array([1.   , 1.333, 1.916, 3.81 , 1.916, 1.333, 1.   ])
    """
    return _signal.wiener(x, size, noise, workers=workers, device=device)


def savgol(x, window_length, polyorder, *, deriv=0, axis=-1, mode="interp", workers=None,
           device="cpu"):
    """Savitzky-Golay smoothing: a least-squares polynomial of `polyorder` fitted in each window of
    `window_length` samples along `axis` (keeps peak heights better than a moving average).

    ``sigconv.signal.savgol_filter(x, window_length, polyorder, deriv=deriv, axis=axis, mode=mode)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import denoise
    >>> np.round(denoise.savgol([2.0, 2.0, 5.0, 2.0, 1.0, 0.0, 1.0, 4.0, 9.0], 5, 2), 4)
    array([1.6571, 3.1714, 3.5429, 2.8571, 0.6571, 0.1714, 1.    , 4.    , 9.    ])
    """
    return _signal.savgol_filter(
        x, window_length, polyorder, deriv=deriv, axis=axis, mode=mode, workers=workers,
        device=device,
    )
