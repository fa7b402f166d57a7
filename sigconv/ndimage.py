"""Multidimensional filters, as in :mod:`scipy.ndimage`.

Each function takes the same arguments as its namesake in ``scipy.ndimage`` and returns the same
shape and dtype, so that ``from sigconv import ndimage`` can replace ``from scipy import ndimage``.
Two keyword-only extras are added: ``workers`` (threads; None = all cores, 1 = the calling thread)
and ``device`` (``'cpu'``, ``'gpu'``, ``'auto'``; ``'gpu'`` raises :class:`sigconv.GpuUnavailableError`
where no adapter answers).

How each filter runs in the Rust core (:mod:`sigconv._core`):

* ``correlate``/``convolve``: the SIMD direct correlation with ndimage's boundaries;
* ``correlate1d``, ``gaussian_filter``, ``uniform_filter``, and ``minimum``/``maximum`` with a
  ``size`` (or an all-true footprint): separable passes, one per axis, SIMD across the rows of
  the array (any axis reads contiguous rows); long box windows use running sums, long min/max
  windows the van Herk/Gil-Werman algorithm (three comparisons per sample whatever the size);
* ``median_filter``: for rectangular windows of 1, 3, 5 or 7 samples per axis over one or two
  axes, SIMD min/max networks across output pixels; otherwise a per-pixel selection.

dtypes: float32 is computed in float32, everything else in float64 for the linear filters (the
result cast to the output dtype as scipy does: integers truncate toward zero); min, max and median
compare in the input's own type (integers exactly, through int64).

On the GPU (``device='gpu'``, float32, and float64 where the adapter offers it): the linear
filters as one 1-D correlation per axis; minimum and maximum as one exact pass per axis; the median
(and any rank) over at most two axes with a footprint of at most 64 samples, sorted per output
(equal to the CPU's values). ``'auto'`` keeps minimum, maximum and median on the CPU.

NaN: the linear filters spread a NaN over every output whose window holds it (box windows
longer than 12 run on running sums, as scipy's do, which carry a NaN on along the rest of its
line; the sums are exact, so the means do not depend on where a line starts). For minimum,
maximum and median filters an output whose window holds a NaN is NaN (scipy's results there depend
on its algorithms' comparison order and are not reproduced).
"""

import numbers
import warnings

import numpy as np

from sigconv import _core, _dask
from sigconv import _ndsupport as _nd
from sigconv.signal import _device, _workers

__all__ = [
    "correlate1d",
    "convolve1d",
    "correlate",
    "convolve",
    "uniform_filter1d",
    "uniform_filter",
    "gaussian_filter1d",
    "gaussian_filter",
    "median_filter",
    "minimum_filter1d",
    "minimum_filter",
    "maximum_filter1d",
    "maximum_filter",
]

# Window lengths per axis that median_filter's SIMD networks cover (rust/cpu/median_networks.rs).
_NETWORK_SIZES = (1, 3, 5, 7)


# ----------------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------------


def _axis(axis, ndim):
    """One axis as a non-negative int (ValueError naming `axis` otherwise)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer; got axis={axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis={axis} is out of range for an array of {ndim} dimensions")
    return int(axis) % ndim


def _size(size, name="size"):
    """A window length: an integer >= 1."""
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
        if isinstance(size, numbers.Real) and float(size).is_integer():
            size = int(size)
        else:
            raise ValueError(f"{name} must be a positive integer; got {name}={size!r}")
    if size < 1:
        raise ValueError(f"{name} must be at least 1; got {name}={size!r}")
    if size > np.iinfo(np.intp).max:
        raise ValueError(f"{name} is too large; got {name}={size!r}")
    return int(size)


def _cval(cval):
    if not isinstance(cval, numbers.Real) or isinstance(cval, (bool, np.bool_)):
        try:
            return float(np.asarray(cval).item())
        except (TypeError, ValueError) as e:
            raise ValueError(f"cval must be a real number; got cval={cval!r}") from e
    return float(cval)


def _start(size, origin):
    """Offset of window sample 0 from its output sample: scipy centres a window of `size` at
    ``size // 2 + origin``."""
    return -(size // 2) - origin


def _float_input(arr):
    """The array the linear filters compute on: C-contiguous float32 or float64."""
    return np.ascontiguousarray(arr, dtype=_nd.compute_dtype(arr.dtype))


def _ordered_input(arr):
    """The array min/max/median compare: float32/float64 as they are (float16 as float32),
    integers and bools through int64 (uint64 shifted by 2**63 so that order is kept), and the
    function that maps the result back to the input dtype."""
    dt = arr.dtype
    if dt.kind == "f":
        work = np.float32 if dt.itemsize <= 4 else np.float64
        return np.ascontiguousarray(arr, dtype=work), lambda r: r.astype(dt, copy=False)
    if dt == np.uint64:
        shift = np.uint64(1 << 63)
        work = np.ascontiguousarray(arr ^ shift).view(np.int64)
        return work, lambda r: (r.view(np.uint64) ^ shift)
    return np.ascontiguousarray(arr, dtype=np.int64), lambda r: r.astype(dt, copy=False)


def _ordered_cval(cval, arr):
    """`cval` in the type min/max/median compare in (scipy converts it to the input's type)."""
    if arr.dtype.kind == "f":
        return cval
    if not np.isfinite(cval):
        return 0.0
    value = int(np.asarray(cval).astype(arr.dtype))  # C conversion, as scipy's
    if arr.dtype == np.uint64:
        value -= 1 << 63
    return float(value)


def _done(result, output, arr):
    """Casts to the output dtype (scipy's rules) and writes into `output` when it is an array."""
    return _nd.finish(result, output, arr)


def _ordered_done(result, back, output, arr):
    """A min/max/median result in the input dtype, then into `output` (a dtype or an array)."""
    result = back(result)
    dtype, out = _nd.output_for(output, arr)
    if out is None:
        return result.astype(dtype, copy=False)
    out[...] = result
    return out


def _linear_passes(arr, passes, cval, output, workers, device):
    """Runs linear passes ``(axis, op, weights, size, start, mode)``. When the output dtype is not
    the compute dtype, scipy casts after every pass (each writes the output array): so do we."""
    dtype, given = _nd.output_for(output, arr)
    compute = _nd.compute_dtype(arr.dtype)
    if not passes:
        return _done(np.array(arr, copy=True), output, arr)
    if dtype == compute:
        src = _float_input(arr)
        out = _writable_output(output, arr, src)
        if out is not None:
            return _core.filter_axes(src, passes, cval, workers, device, out=out)
        rows = _nd.rows_wanted()
        if rows is not None and device == "cpu" and given is None and arr.ndim:
            # only the rows a caller asked for (see _ndsupport.only_rows)
            return _core.filter_axes(src, passes, cval, workers, device, rows=rows,
                                     out=_nd.rows_into())
        res = _core.filter_axes(src, passes, cval, workers, device)
        return _done(res, output, arr)
    cur = arr
    for p in passes:
        res = _core.filter_axes(_float_input(cur), [p], cval, workers, device)
        cur = _nd.finish(res, dtype, cur)
    return _done(cur, output, arr)


def _writable_output(output, arr, src):
    """`output` when it is an array the passes can write directly (no result array, no copy):
    of `src`'s dtype (the one computed in), C-contiguous, writeable, sharing no memory with
    `src`; else None."""
    _, out = _nd.output_for(output, arr)
    if (out is not None and out.dtype == src.dtype and out.flags.c_contiguous
            and out.flags.writeable and not np.may_share_memory(out, src)):
        return out
    return None


def _extreme_passes(arr, passes, cval, output, workers, device):
    work, back = _ordered_input(arr)
    if not passes:
        return _ordered_done(work.copy(), back, output, arr)
    out = _writable_output(output, arr, work) if work.dtype == arr.dtype else None
    if out is not None:
        return _core.filter_axes(work, passes, _ordered_cval(cval, arr), workers, device, out=out)
    res = _core.filter_axes(work, passes, _ordered_cval(cval, arr), workers, device)
    return _ordered_done(res, back, output, arr)


def _footprint_array(footprint, axes, ndim):
    fp = np.asarray(footprint, dtype=bool)
    if fp.ndim != len(axes):
        raise ValueError(
            f"footprint must have one dimension per filtered axis ({len(axes)}); "
            f"got footprint of shape {fp.shape}"
        )
    if fp.size == 0:
        raise ValueError(f"footprint must not be empty; got footprint of shape {fp.shape}")
    if not fp.any():
        raise ValueError("All-zero footprint is not supported: footprint selects no sample")
    return fp


def _expand(fp, axes, ndim):
    """The footprint with length-1 axes where an axis is not filtered."""
    shape = [1] * ndim
    for i, a in enumerate(axes):
        shape[a] = fp.shape[i]
    order = np.argsort(axes)
    fp = np.transpose(fp, order) if len(axes) > 1 else fp
    return np.ascontiguousarray(fp.reshape(shape))


def _single_mode(mode, what):
    if not isinstance(mode, str) and np.iterable(mode):
        raise ValueError(
            f"mode must be a single string for {what} (a sequence of modes needs a separable "
            f"filter); got mode={mode!r}"
        )
    return _nd.check_mode(mode)


# ----------------------------------------------------------------------------------------------------
# Correlation and convolution
# ----------------------------------------------------------------------------------------------------


def _weights1d(weights):
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"weights must be real numbers; got dtype {w.dtype}")
    if w.ndim != 1 or w.shape[0] < 1:
        raise ValueError(f"weights must be a non-empty 1-D array; got shape {w.shape}")
    return w.astype(np.float64)


@_dask.dispatch(_dask.ndimage_sized)
@_dask.rows_alone
def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                workers=None, device="cpu"):
    """Correlate an array with 1-D weights along one axis.

    ``out[i] = sum_j weights[j] * ext(input)[i + j - len(weights) // 2 - origin]`` along `axis`,
    where ``ext`` extends the input by `mode`.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    weights : array_like
        1-D weights.
    axis : int, optional
        The axis filtered (default -1).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap', 'grid-constant', 'grid-mirror', 'grid-wrap'}, optional
        How the input is extended beyond its edges (default 'reflect').
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int, optional
        Shifts the window: 0 centres it.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> from sigconv import ndimage
    >>> ndimage.correlate1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([ 8, 26,  8, 12,  7, 28, 36,  9])
    """
    arr = _nd.as_input(input)
    w = _weights1d(weights)
    workers, device = _workers(workers), _device(device)
    if arr.ndim == 0:
        raise ValueError("input must have at least one dimension; got a 0-d array")
    ax = _axis(axis, arr.ndim)
    mode = _nd.check_mode(mode)
    origin = _nd.check_origin(origin, len(w))
    passes = [(ax, "correlate", list(w), len(w), _start(len(w), origin), mode)]
    return _linear_passes(arr, passes, _cval(cval), output, workers, device)


@_dask.dispatch(_dask.ndimage_sized)
@_dask.rows_alone
def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
               workers=None, device="cpu"):
    """Convolve an array with 1-D weights along one axis.

    The same as :func:`correlate1d` with the weights reversed (and the origin mirrored, as
    scipy.ndimage.convolve1d does).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    weights : array_like
        1-D weights.
    axis : int, optional
        The axis filtered (default -1).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int, optional
        Shifts the window: 0 centres it.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> from sigconv import ndimage
    >>> ndimage.convolve1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([14, 24,  4, 13, 12, 36, 27,  0])
    """
    w = _weights1d(weights)
    origin = _nd.check_origin(origin, len(w))
    origin = -origin - (0 if len(w) % 2 else 1)
    return correlate1d(input, w[::-1], axis, output, mode, cval, origin, workers=workers,
                       device=device)


def _correlate_nd(input, weights, output, mode, cval, origin, axes, flip, workers, device):
    arr = _nd.as_input(input)
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"weights must be real numbers; got dtype {w.dtype}")
    workers, device = _workers(workers), _device(device)
    axes = _nd.check_axes(axes, arr.ndim)
    if w.ndim != len(axes):
        raise ValueError(
            f"weights must have one dimension per filtered axis ({len(axes)}); "
            f"got weights of shape {w.shape}"
        )
    if 0 in w.shape:
        raise ValueError(f"weights must not be empty; got weights of shape {w.shape}")
    mode = _single_mode(mode, "correlate and convolve")
    origins = _nd.per_axis(origin, len(axes), "origin")
    origins = [_nd.check_origin(o, s) for o, s in zip(origins, w.shape)]
    if flip:
        w = w[(slice(None, None, -1),) * w.ndim]
        origins = [-o - (0 if s % 2 else 1) for o, s in zip(origins, w.shape)]
    full_w = _expand(w, axes, arr.ndim).astype(_nd.compute_dtype(arr.dtype))
    start = [0] * arr.ndim
    for a, o, s in zip(axes, origins, w.shape):
        start[a] = _start(s, o)
    dtype, _ = _nd.output_for(output, arr)
    if arr.size == 0:
        return _done(np.zeros(arr.shape, _nd.compute_dtype(arr.dtype)), output, arr)
    res = _core.correlate(_float_input(arr), full_w, start, mode, _cval(cval), None, workers,
                          device)
    return _done(res, output, arr)


@_dask.dispatch(_dask.ndimage_sized)
def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
              workers=None, device="cpu"):
    """Multidimensional correlation.

    ``out[i] = sum_j weights[j] * ext(input)[i + j - shape(weights) // 2 - origin]`` over every
    filtered axis.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    weights : array_like
        Weights, one dimension per filtered axis.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> a = np.arange(16.).reshape(4, 4)
    >>> ndimage.correlate(a, np.ones((2, 2)), mode="constant")
    array([[ 0.,  1.,  3.,  5.],
           [ 4., 10., 14., 18.],
           [12., 26., 30., 34.],
           [20., 42., 46., 50.]])
    """
    return _correlate_nd(input, weights, output, mode, cval, origin, axes, False, workers, device)


@_dask.dispatch(_dask.ndimage_sized)
def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
             workers=None, device="cpu"):
    """Multidimensional convolution: :func:`correlate` with the weights reversed on every axis
    (and the origin mirrored, as scipy.ndimage.convolve does).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    weights : array_like
        Weights, one dimension per filtered axis.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> a = np.array([[1, 2, 0, 0], [5, 3, 0, 4], [0, 0, 0, 7], [9, 3, 0, 0]])
    >>> k = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    >>> ndimage.convolve(a, k, mode="constant", cval=0.0)
    array([[11, 10,  7,  4],
           [10,  3, 11, 11],
           [15, 12, 14,  7],
           [12,  3,  7,  0]])
    """
    return _correlate_nd(input, weights, output, mode, cval, origin, axes, True, workers, device)


# ----------------------------------------------------------------------------------------------------
# Box and Gaussian filters
# ----------------------------------------------------------------------------------------------------


@_dask.dispatch(_dask.ndimage_sized)
@_dask.rows_alone
def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None, device="cpu"):
    """The mean over a window of `size` samples along one axis.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int
        Window length (at least 1).
    axis : int, optional
        The axis filtered (default -1).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int, optional
        Shifts the window: 0 centres it.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> from sigconv import ndimage
    >>> ndimage.uniform_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3)
    array([4, 3, 4, 1, 4, 6, 6, 3])
    """
    arr = _nd.as_input(input)
    size = _size(size)
    workers, device = _workers(workers), _device(device)
    if arr.ndim == 0:
        raise ValueError("input must have at least one dimension; got a 0-d array")
    ax = _axis(axis, arr.ndim)
    mode = _nd.check_mode(mode)
    origin = _nd.check_origin(origin, size)
    passes = [(ax, "mean", [], size, _start(size, origin), mode)]
    return _linear_passes(arr, passes, _cval(cval), output, workers, device)


@_dask.dispatch(_dask.ndimage_sized)
@_dask.rows_alone
def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
                   workers=None, device="cpu"):
    """The mean over a box of `size` samples per axis: one :func:`uniform_filter1d` pass per
    filtered axis.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int or sequence of int, optional
        Box length per filtered axis (default 3).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str or sequence of str, optional
        How the input is extended beyond its edges, per axis (default 'reflect').
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> ndimage.uniform_filter(np.arange(9.).reshape(3, 3), size=3)
    array([[1.33333333, 2.        , 2.66666667],
           [3.33333333, 4.        , 4.66666667],
           [5.33333333, 6.        , 6.66666667]])
    """
    arr = _nd.as_input(input)
    workers, device = _workers(workers), _device(device)
    axes = _nd.check_axes(axes, arr.ndim)
    sizes = [_size(s) for s in _nd.per_axis(size, len(axes), "size")]
    origins = _nd.per_axis(origin, len(axes), "origin")
    modes = [_nd.check_mode(m) for m in _nd.per_axis(mode, len(axes), "mode")]
    passes = []
    for a, s, o, m in zip(axes, sizes, origins, modes):
        o = _nd.check_origin(o, s)
        if s > 1:
            passes.append((a, "mean", [], s, _start(s, o), m))
    return _linear_passes(arr, passes, _cval(cval), output, workers, device)


def _gaussian_kernel1d(sigma, order, radius):
    """scipy.ndimage's Gaussian (derivative) kernel of `radius`, as weights for a convolution."""
    exponent_range = np.arange(order + 1)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x**2)
    phi_x = phi_x / phi_x.sum()
    if order == 0:
        return phi_x
    # f(x) = q(x) * phi(x); q' + q * p' as a matrix acting on q's coefficients (p' = -x / sigma^2)
    q = np.zeros(order + 1)
    q[0] = 1
    D = np.diag(exponent_range[1:], 1)
    P = np.diag(np.ones(order) / -sigma2, -1)
    Q_deriv = D + P
    for _ in range(order):
        q = Q_deriv.dot(q)
    q = (x[:, None] ** exponent_range).dot(q)
    return q * phi_x


def _gaussian_pass(axis, sigma, order, mode, truncate, radius):
    if isinstance(sigma, (bool, np.bool_)) or not isinstance(sigma, numbers.Real):
        raise ValueError(f"sigma must be a positive number; got sigma={sigma!r}")
    sd = float(sigma)
    if not np.isfinite(sd) or sd <= 0:
        raise ValueError(f"sigma must be a positive number; got sigma={sigma!r}")
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Integral) or order < 0:
        raise ValueError(f"order must be a non-negative integer; got order={order!r}")
    if not isinstance(truncate, numbers.Real) or not np.isfinite(truncate):
        raise ValueError(f"truncate must be a finite number; got truncate={truncate!r}")
    lw = int(truncate * sd + 0.5)
    if radius is not None:
        if isinstance(radius, (bool, np.bool_)) or not isinstance(radius, numbers.Integral) \
                or radius < 0:
            raise ValueError(f"radius must be a non-negative integer; got radius={radius!r}")
        lw = int(radius)
    if lw < 0:
        raise ValueError(f"truncate * sigma gives a negative radius; got truncate={truncate!r}")
    # A correlation with the kernel reversed (the Gaussian itself is symmetric).
    w = _gaussian_kernel1d(sd, int(order), lw)[::-1]
    return (axis, "correlate", list(w), len(w), -lw, mode)


@_dask.dispatch(_dask.ndimage_gaussian)
@_dask.rows_alone
def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, workers=None, device="cpu"):
    """Gaussian filter (or its derivative) along one axis.

    Correlates with ``exp(-x**2 / (2 sigma**2))`` (normalised to sum 1), sampled on
    ``x = -r .. r`` with ``r = int(truncate * sigma + 0.5)`` (or `radius`); ``order > 0`` uses
    that derivative of the Gaussian.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    sigma : float
        Standard deviation, in samples (positive).
    axis : int, optional
        The axis filtered (default -1).
    order : int, optional
        0: smooth; 1, 2, ...: that derivative of the Gaussian.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    truncate : float, optional
        Kernel radius in standard deviations (default 4).
    radius : int, optional
        Kernel radius in samples, overriding `truncate`.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> np.round(ndimage.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1), 4)
    array([1.427 , 2.0678, 3.    , 3.9322, 4.573 ])
    """
    arr = _nd.as_input(input)
    workers, device = _workers(workers), _device(device)
    if arr.ndim == 0:
        raise ValueError("input must have at least one dimension; got a 0-d array")
    ax = _axis(axis, arr.ndim)
    mode = _nd.check_mode(mode)
    passes = [_gaussian_pass(ax, sigma, order, mode, truncate, radius)]
    return _linear_passes(arr, passes, _cval(cval), output, workers, device)


@_dask.dispatch(_dask.ndimage_gaussian)
@_dask.rows_alone
def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                    radius=None, axes=None, workers=None, device="cpu"):
    """Multidimensional Gaussian filter: one :func:`gaussian_filter1d` pass per filtered axis
    (axes whose sigma is 0 are left as they are).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    sigma : float or sequence of float
        Standard deviation per filtered axis, in samples.
    order : int or sequence of int, optional
        Derivative order per axis (default 0).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str or sequence of str, optional
        How the input is extended beyond its edges, per axis (default 'reflect').
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    truncate : float, optional
        Kernel radius in standard deviations (default 4).
    radius : int or sequence of int, optional
        Kernel radius in samples per axis, overriding `truncate`.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> a = np.zeros((5, 5), np.float32)
    >>> a[2, 2] = 1
    >>> out = ndimage.gaussian_filter(a, sigma=1)
    >>> out.dtype, round(float(out.sum()), 5), round(float(out[2, 2]), 4)
    (dtype('float32'), 1.0, 0.1592)
    """
    arr = _nd.as_input(input)
    workers, device = _workers(workers), _device(device)
    axes = _nd.check_axes(axes, arr.ndim)
    n = len(axes)
    sigmas = _nd.per_axis(sigma, n, "sigma")
    orders = _nd.per_axis(order, n, "order")
    modes = [_nd.check_mode(m) for m in _nd.per_axis(mode, n, "mode")]
    radii = _nd.per_axis(radius, n, "radius")
    passes = []
    for a, s, o, m, r in zip(axes, sigmas, orders, modes, radii):
        if isinstance(s, numbers.Real) and not isinstance(s, (bool, np.bool_)) and s <= 1e-15:
            continue  # scipy skips axes with no smoothing
        passes.append(_gaussian_pass(a, s, o, m, truncate, r))
    return _linear_passes(arr, passes, _cval(cval), output, workers, device)


# ----------------------------------------------------------------------------------------------------
# Minimum and maximum
# ----------------------------------------------------------------------------------------------------


def _extreme1d(input, size, axis, output, mode, cval, origin, op, workers, device):
    arr = _nd.as_input(input)
    size = _size(size)
    workers, device = _workers(workers), _device(device)
    if arr.ndim == 0:
        raise ValueError("input must have at least one dimension; got a 0-d array")
    ax = _axis(axis, arr.ndim)
    mode = _nd.check_mode(mode)
    origin = _nd.check_origin(origin, size)
    passes = [(ax, op, [], size, _start(size, origin), mode)] if size > 1 else []
    return _extreme_passes(arr, passes, _cval(cval), output, workers, device)


@_dask.dispatch(_dask.ndimage_sized)
def minimum_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None, device="cpu"):
    """The minimum over a window of `size` samples along one axis (van Herk/Gil-Werman for long
    windows: constant cost per sample).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int
        Window length (at least 1).
    axis : int, optional
        The axis filtered (default -1).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int, optional
        Shifts the window: 0 centres it.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `input`.

    Examples
    --------
    >>> from sigconv import ndimage
    >>> ndimage.minimum_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3)
    array([2, 0, 0, 0, 1, 1, 0, 0])
    """
    return _extreme1d(input, size, axis, output, mode, cval, origin, "min", workers, device)


@_dask.dispatch(_dask.ndimage_sized)
def maximum_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None, device="cpu"):
    """The maximum over a window of `size` samples along one axis (van Herk/Gil-Werman for long
    windows: constant cost per sample).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int
        Window length (at least 1).
    axis : int, optional
        The axis filtered (default -1).
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int, optional
        Shifts the window: 0 centres it.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `input`.

    Examples
    --------
    >>> from sigconv import ndimage
    >>> ndimage.maximum_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3)
    array([8, 8, 8, 4, 9, 9, 9, 9])
    """
    return _extreme1d(input, size, axis, output, mode, cval, origin, "max", workers, device)


def _footprint_or_size(size, footprint, axes, ndim):
    """scipy's rule: footprint wins over size (with a warning); one of them is needed. Returns
    ``(sizes, None)`` for a full box, or ``(None, footprint)`` for a general one."""
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=4)
    if footprint is None:
        if size is None:
            raise ValueError("size or footprint must be given; got size=None and footprint=None")
        return [_size(s) for s in _nd.per_axis(size, len(axes), "size")], None
    fp = _footprint_array(footprint, axes, ndim)
    if fp.all():
        return list(fp.shape), None
    return None, fp


def _extreme_filter(input, size, footprint, output, mode, cval, origin, axes, op, workers, device):
    arr = _nd.as_input(input)
    workers, device = _workers(workers), _device(device)
    axes = _nd.check_axes(axes, arr.ndim)
    sizes, fp = _footprint_or_size(size, footprint, axes, arr.ndim)
    cval = _cval(cval)
    if sizes is not None:
        origins = _nd.per_axis(origin, len(axes), "origin")
        modes = [_nd.check_mode(m) for m in _nd.per_axis(mode, len(axes), "mode")]
        passes = []
        for a, s, o, m in zip(axes, sizes, origins, modes):
            o = _nd.check_origin(o, s)
            if s > 1:
                passes.append((a, op, [], s, _start(s, o), m))
        return _extreme_passes(arr, passes, cval, output, workers, device)
    mode = _single_mode(mode, "a footprint that is not a full box")
    origins = _nd.per_axis(origin, len(axes), "origin")
    origins = [_nd.check_origin(o, s) for o, s in zip(origins, fp.shape)]
    count = int(fp.sum())
    return _rank(arr, fp, axes, origins, 0 if op == "min" else count - 1, mode, cval, output,
                 workers, device)


@_dask.dispatch(_dask.ndimage_sized)
def minimum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                   origin=0, *, axes=None, workers=None, device="cpu"):
    """The minimum over a window: a box of `size` per axis (separable passes), or the samples
    where `footprint` is true.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int or sequence of int, optional
        Box length per filtered axis (ignored, with a warning, when `footprint` is given).
    footprint : array_like of bool, optional
        The window's shape, one dimension per filtered axis.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str or sequence of str, optional
        How the input is extended beyond its edges (per axis for a box; default 'reflect').
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> ndimage.minimum_filter(np.arange(9).reshape(3, 3), size=2)
    array([[0, 0, 1],
           [0, 0, 1],
           [3, 3, 4]])
    """
    return _extreme_filter(input, size, footprint, output, mode, cval, origin, axes, "min",
                           workers, device)


@_dask.dispatch(_dask.ndimage_sized)
def maximum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                   origin=0, *, axes=None, workers=None, device="cpu"):
    """The maximum over a window: a box of `size` per axis (separable passes), or the samples
    where `footprint` is true.

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int or sequence of int, optional
        Box length per filtered axis (ignored, with a warning, when `footprint` is given).
    footprint : array_like of bool, optional
        The window's shape, one dimension per filtered axis.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str or sequence of str, optional
        How the input is extended beyond its edges (per axis for a box; default 'reflect').
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> ndimage.maximum_filter(np.arange(9).reshape(3, 3), footprint=[[0, 1], [1, 0]])
    array([[0, 1, 2],
           [3, 3, 4],
           [6, 6, 7]])
    """
    return _extreme_filter(input, size, footprint, output, mode, cval, origin, axes, "max",
                           workers, device)


# ----------------------------------------------------------------------------------------------------
# Median
# ----------------------------------------------------------------------------------------------------


def _rank(arr, fp, axes, origins, rank, mode, cval, output, workers, device):
    """Rank `rank` over footprint `fp` (one dimension per axis in `axes`) by the core."""
    ndim = arr.ndim
    full_fp = _expand(fp, axes, ndim)
    start = [0] * ndim
    for a, o, s in zip(axes, origins, fp.shape):
        start[a] = _start(s, o)
    work, back = _ordered_input(arr)
    c = _ordered_cval(cval, arr)
    fshape = list(full_fp.shape)
    big = [d for d in range(ndim) if fshape[d] > 1]
    trailing = list(range(ndim - len(big), ndim))
    network = (full_fp.all() and rank == fp.size // 2
               and all(fshape[d] in _NETWORK_SIZES for d in big))
    if 1 <= len(big) <= 2 and big != trailing and (network or device == "gpu"):
        # The SIMD networks and the GPU kernel filter the last two axes: bring the filtered axes
        # there.
        perm = [d for d in range(ndim) if d not in big] + big
        inv = np.argsort(perm)
        work = np.ascontiguousarray(work.transpose(perm))
        res = _core.rank_filter(work, full_fp.transpose(perm).ravel().tolist(),
                                [fshape[d] for d in perm], rank, [start[d] for d in perm], mode, c,
                                workers, device)
        res = res.transpose(inv)
    else:
        res = _core.rank_filter(work, full_fp.ravel().tolist(), fshape, rank, start, mode, c,
                                workers, device)
    return _ordered_done(res, back, output, arr)


@_dask.dispatch(_dask.ndimage_sized)
def median_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                  origin=0, *, axes=None, workers=None, device="cpu"):
    """The median over a window: a box of `size` per axis, or the samples where `footprint` is
    true. With an even number of samples, the upper of the two middle values (scipy's rank
    ``n // 2``).

    Parameters
    ----------
    input : array_like
        Real input of any number of dimensions.
    size : int or sequence of int, optional
        Box length per filtered axis (ignored, with a warning, when `footprint` is given).
    footprint : array_like of bool, optional
        The window's shape, one dimension per filtered axis.
    output : array or dtype, optional
        Where to put the result, or its dtype (default: the input's dtype).
    mode : str, optional
        How the input is extended beyond its edges (default 'reflect'); see :func:`correlate1d`.
    cval : float, optional
        The value beyond the edges for mode 'constant' (default 0).
    origin : int or sequence of int, optional
        Shifts the window per axis: 0 centres it.
    axes : int or sequence of int, optional
        The filtered axes (default: all).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `input`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import ndimage
    >>> ndimage.median_filter(np.array([[1, 9, 2], [8, 3, 7], [4, 6, 5]]), size=3)
    array([[3, 3, 3],
           [4, 5, 5],
           [4, 5, 5]])
    """
    arr = _nd.as_input(input)
    workers, device = _workers(workers), _device(device)
    axes = _nd.check_axes(axes, arr.ndim)
    if arr.ndim == 0:
        raise ValueError("input must have at least one dimension; got a 0-d array")
    sizes, fp = _footprint_or_size(size, footprint, axes, arr.ndim)
    if fp is None:
        fp = np.ones(sizes, dtype=bool)
    mode = _single_mode(mode, "median_filter")
    origins = _nd.per_axis(origin, len(axes), "origin")
    origins = [_nd.check_origin(o, s) for o, s in zip(origins, fp.shape)]
    rank = int(fp.sum()) // 2
    return _rank(arr, fp, axes, origins, rank, mode, _cval(cval), output, workers, device)
