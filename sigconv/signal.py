"""Convolution and correlation of N-dimensional arrays, as in :mod:`scipy.signal`.

Each function here takes the same arguments and returns the same shapes and dtypes as its namesake in
``scipy.signal``, so that changing ``from scipy import signal`` to ``from sigconv import signal`` keeps a
script working. Two keyword-only extras are added to every function: ``workers`` (threads) and
``device``.

Python owns the arguments: it checks option strings, normalises shapes, axes and dtypes, and hands the
compiled core (:mod:`sigconv._core`) only real arrays of one dtype among float32, float64 and int64.
The smoothing filters (``medfilt``, ``medfilt2d``, ``wiener``, ``savgol_filter``) run on the
:mod:`sigconv.ndimage` kernels (SIMD median networks, separable running means, the correlate pass).

Everything else is built from those real convolutions:

* integers and bools are convolved exactly in int64 (wrapping modulo 2**64, which is exact modulo the
  width of the result type) and cast to numpy's result type, as scipy's direct method would give;
* float16 is computed in float32, float32 stays float32;
* complex arrays go through the real kernels by bilinearity,
  ``(a + ib) * (c + id) = (a*c - b*d) + i(a*d + b*c)``: four real convolutions, two when one side is real.
"""

import math
import numbers
import os
import time
import warnings

import numpy as np

from sigconv import _core, _dask, _exact

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "convolve2d",
    "correlate2d",
    "choose_conv_method",
    "correlation_lags",
    "medfilt",
    "medfilt2d",
    "wiener",
    "savgol_filter",
]

_MODES = ("full", "same", "valid")
_METHODS = ("auto", "direct", "fft")
_BOUNDARIES = ("fill", "pad", "wrap", "circular", "symm", "symmetric")
_DEVICES = ("cpu", "gpu", "auto")

# dtype kinds sigconv computes with: bool, signed and unsigned integers, floats, complex.
_NUMERIC_KINDS = "biufc"

# Integers take the FFT (float64, then rounded) under method='auto' only while
# max|in1| * max|in2| * min(in1.size, in2.size) stays below this bound, far inside float64's exact
# range, so that rounding always recovers the exact integer (scipy uses 2**52 - 1).
_FFT_EXACT_INT_BOUND = 2**32


# ----------------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------------


def _option(name, value, accepted):
    """`value` if it is one of the `accepted` strings, else a ValueError naming all three."""
    if not isinstance(value, str) or value not in accepted:
        listed = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"Acceptable {name} flags are {listed}; got {name}={value!r}")
    return value


def _workers(workers):
    """None (all cores) or a positive thread count; negative counts back from the CPU count + 1."""
    if workers is None:
        return None
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, numbers.Integral):
        raise ValueError(f"workers must be None or a non-zero integer; got workers={workers!r}")
    cpus = os.cpu_count() or 1
    count = int(workers) if workers > 0 else cpus + 1 + int(workers)
    if workers == 0 or count <= 0:
        raise ValueError(
            f"workers must be None, a positive integer, or a negative one down to -{cpus} "
            f"(counting back from the {cpus} CPUs); got workers={workers!r}"
        )
    # More threads than CPUs only oversubscribe (the results do not depend on the count); capping
    # them, as scipy.fft does, keeps workers=10**12 from spawning threads without end.
    return min(count, cpus)


def _device(device):
    """Checks `device`; 'gpu' is asked of the core, which raises GpuUnavailableError when no adapter
    is usable (paths that return before reaching the core still raise)."""
    _option("device", device, _DEVICES)
    return _core.check_device(device)


def _arrays(in1, in2):
    """Both inputs as numpy arrays (views where they already are), of numeric dtypes."""
    in1, in2 = np.asarray(in1), np.asarray(in2)
    for name, a in (("in1", in1), ("in2", in2)):
        if a.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(
                f"{name} has dtype {a.dtype}, which sigconv.signal does not convolve; "
                "use bool, integer, floating or complex arrays"
            )
    return in1, in2


def _same_ndim(in1, in2):
    if in1.ndim != in2.ndim:
        raise ValueError(
            f"in1 and in2 should have the same dimensionality; got {in1.ndim} and {in2.ndim}"
        )


def _reverse_and_conj(x):
    """`x` reversed along every axis (a view), conjugated if complex."""
    x = x[(slice(None, None, -1),) * x.ndim]
    return x.conj() if x.dtype.kind == "c" else x


# ----------------------------------------------------------------------------------------------------
# dtypes: which real type the core computes in, and the split of complex arrays into real parts
# ----------------------------------------------------------------------------------------------------


def _part_dtype(dtype):
    """The core dtype that computes results of `dtype` (for complex, that of each real part)."""
    if dtype.kind in "biu":
        return np.dtype(np.int64)
    part = dtype if dtype.kind == "f" else np.finfo(dtype).dtype  # complex -> its real part's type
    return np.dtype(np.float32 if part.itemsize <= 4 else np.float64)


def _fft_dtype(in1, in2):
    """fftconvolve's result dtype: integers and bools become float64, float16 float32 (as scipy.fft)."""

    def floated(dt):
        if dt.kind in "biu":
            return np.dtype(np.float64)
        return np.dtype(np.float32) if dt == np.float16 else dt

    return np.result_type(floated(in1.dtype), floated(in2.dtype))


def _parts(x, part):
    """Real and imaginary parts of `x` as `part` arrays (views when possible); imaginary None if real."""
    if x.dtype.kind == "c":
        return x.real.astype(part, copy=False), x.imag.astype(part, copy=False)
    return x.astype(part, copy=False), None


def _fill_scalar(fillvalue, dtype):
    """`fillvalue` converted to `dtype` as scipy's convolve2d does: a scalar or one-element array."""
    fill = np.asarray(fillvalue)
    if fill.size != 1:
        raise ValueError(
            "fillvalue must be a scalar or an array with one element; "
            f"got an array of shape {fill.shape}"
        )
    value = fill.reshape(()).item()
    try:
        if isinstance(value, complex) and dtype.kind != "c":
            if value.imag != 0:
                raise TypeError("a complex value for a real result")
            value = value.real
        return np.array(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(
            f"could not convert fillvalue={fillvalue!r} to the output dtype {dtype}"
        ) from e


def _bilinear(conv, a, b, fill, out_dtype):
    """``conv`` (one real convolution of two arrays of one core dtype, with a fill value) extended to
    bool, integer, float16, complex, ... inputs, with the result cast to `out_dtype`.

    Complex inputs use ``(ar + i ai) * (br + i bi) = (ar*br - ai*bi) + i(ar*bi + ai*br)``.
    """
    part = _part_dtype(out_dtype)
    ar, ai = _parts(a, part)
    br, bi = _parts(b, part)
    fr, fi = _parts(fill, part)
    fr, fi = fr.item(), (0 if fi is None else fi.item())
    if ai is None and fi != 0:
        ai = np.zeros_like(ar)  # a real input extended by a complex fill value
    real = conv(ar, br, fr)
    imag = None if ai is None else conv(ai, br, fi)
    if bi is not None:
        cross = conv(ar, bi, fr)
        imag = cross if imag is None else imag + cross
        if ai is not None:
            real -= conv(ai, bi, fi)
    if imag is None:
        return real.astype(out_dtype, copy=False)
    out = np.empty(real.shape, out_dtype)
    out.real, out.imag = real, imag
    return out


def _run(a, b, mode, method, boundary="fill", fillvalue=0, workers=None, device="cpu"):
    """Convolution of `a` and `b` (same ndim, non-empty) by the core with `method` 'direct' or 'fft',
    with numpy's result dtype and scipy's handling of integers and NaN under the FFT."""
    out_dtype = np.result_type(a, b)
    if device == "gpu" and out_dtype.kind in "biu":
        raise TypeError(
            "device='gpu' computes in float32 (and float64 where the adapter offers it); got "
            f"inputs of dtype {out_dtype}: convert them to float32, or use device='cpu'"
        )
    if method == "direct":

        def conv(x, k, f):
            return _core.convolve(x, k, mode, boundary, f, "direct", workers, device)

        return _bilinear(conv, a, b, _fill_scalar(fillvalue, out_dtype), out_dtype)

    # The FFT computes in floating point; integers and bools in float64, then rounded (like scipy).
    work_dtype = out_dtype if out_dtype.kind in "fc" else np.dtype(np.float64)

    def conv(x, k, f):
        return _core.convolve(x, k, mode, "fill", 0.0, "fft", workers, device)

    out = _bilinear(conv, a, b, np.zeros((), work_dtype), work_dtype)
    first = out.reshape(-1)[0]
    if np.isnan(first) or np.isinf(first):  # scipy looks at the first sample only
        warnings.warn(
            "Use of fft convolution on input with NAN or inf results in NAN or inf output. "
            "Consider using method='direct' instead.",
            RuntimeWarning,
            stacklevel=3,
        )
    if out_dtype.kind in "biu":
        # via int64, so that results beyond the result type wrap exactly as the direct method's do
        return np.rint(out).astype(np.int64).astype(out_dtype)
    return out.astype(out_dtype, copy=False)


# ----------------------------------------------------------------------------------------------------
# convolve, correlate
# ----------------------------------------------------------------------------------------------------


@_dask.dispatch(_dask.conv("nd"))
def convolve(in1, in2, mode="full", method="auto", *, workers=None, device="cpu"):
    r"""Convolve two N-dimensional arrays.

    .. math::

        \mathrm{out}[n] = \sum_m \mathrm{in1}[m]\, \mathrm{in2}[n - m]

    summed over every ``m`` where both factors exist (zero outside ``in1``), ``n`` a multi-index.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with as many dimensions as `in1`.
    mode : {'full', 'valid', 'same'}, optional
        ``'full'``: the whole convolution, of shape ``in1.shape + in2.shape - 1``.
        ``'valid'``: only the outputs that do not rely on zero-padding, of shape
        ``|in1.shape - in2.shape| + 1``; one input must be at least as large as the other in every
        dimension (they are swapped when `in2` is the larger). ``'same'``: the shape of `in1`, centred
        on the full output (offset ``(in2.shape - 1) // 2``).
    method : {'auto', 'direct', 'fft'}, optional
        ``'direct'`` sums the products (exact for integers); ``'fft'`` multiplies spectra (floats; for
        integers, rounded); ``'auto'`` asks :func:`choose_conv_method`.
    workers : int, optional
        Threads to use: None for all cores, 1 for the calling thread only, negative ``-k`` for
        ``os.cpu_count() + 1 - k``.
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute. ``'gpu'`` raises :class:`sigconv.GpuUnavailableError` when no GPU is usable.

    Returns
    -------
    out : ndarray
        The convolution, of dtype ``np.result_type(in1, in2)``. 0-d inputs give their product.

    Warns
    -----
    RuntimeWarning
        With ``method='fft'``, when the output starts with NaN or inf (a NaN or inf input spreads
        over the whole FFT output; the direct method keeps it to the windows that touch it).

    See Also
    --------
    scipy.signal.convolve : the reference this function follows.
    correlate, fftconvolve, convolve2d

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> signal.convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> signal.convolve(np.array([1, 2, 3]), np.array([1, 1]), mode='same')
    array([1, 3, 5])
    """
    in1, in2 = _arrays(in1, in2)
    mode = _option("mode", mode, _MODES)
    method = _option("method", method, _METHODS)
    workers, device = _workers(workers), _device(device)
    _same_ndim(in1, in2)
    if in1.ndim == 0:  # scipy returns the product, a numpy scalar
        return _run(in1.reshape(1), in2.reshape(1), mode, "direct", workers=workers, device=device)[0]
    if in1.size == 0 or in2.size == 0:
        return _empty_convolution(in1, in2, mode)
    if device == "gpu":
        method = "direct"  # the GPU runs the direct kernel, whatever the method
    elif method == "auto":
        method = choose_conv_method(in1, in2, mode)
    return _run(in1, in2, mode, method, workers=workers, device=device)


def _empty_convolution(in1, in2, mode):
    """convolve/correlate with an empty input, as scipy answers: an empty `in1` in 'same' mode gives an
    empty result of its shape; anything else is an error."""
    _core.valid_swap_needed(mode, list(in1.shape), list(in2.shape))  # the 'valid' size error first
    if mode == "same" and in1.size == 0 and in2.size != 0:
        return np.empty(in1.shape, np.result_type(in1, in2))
    raise ValueError(
        f"in1 and in2 must not be empty in {mode!r} mode; got shapes {in1.shape} and {in2.shape}"
    )


@_dask.dispatch(_dask.conv("nd"))
def correlate(in1, in2, mode="full", method="auto", *, workers=None, device="cpu"):
    r"""Cross-correlate two N-dimensional arrays.

    .. math::

        \mathrm{out}[n] = \sum_m \mathrm{in1}[m + n - s]\, \overline{\mathrm{in2}[m]}

    which is ``convolve(in1, in2[::-1, ..., ::-1].conj(), mode, method)``; ``s`` is the shift of `mode`
    (``in2.shape - 1`` for 'full').

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with as many dimensions as `in1`.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output, as in :func:`convolve`.
    method : {'auto', 'direct', 'fft'}, optional
        As in :func:`convolve`.
    workers : int, optional
        Threads, as in :func:`convolve`.
    device : {'cpu', 'gpu', 'auto'}, optional
        As in :func:`convolve`.

    Returns
    -------
    out : ndarray
        The cross-correlation, of dtype ``np.result_type(in1, in2)``.

    See Also
    --------
    scipy.signal.correlate : the reference this function follows.
    correlation_lags : the lag of each output sample (1-D).

    Examples
    --------
    >>> from sigconv import signal
    >>> signal.correlate([1, 2, 3], [0, 1, 0.5])
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    in1, in2 = _arrays(in1, in2)
    return convolve(
        in1, _reverse_and_conj(in2), mode, method, workers=workers, device=device
    )


# ----------------------------------------------------------------------------------------------------
# fftconvolve, oaconvolve
# ----------------------------------------------------------------------------------------------------


def _fft_axes(in1, in2, axes):
    """scipy's axes rules: all axes by default; unique, in range, not empty when given; axes where
    either input has length 1 need no transform and are dropped; the others must broadcast."""
    if axes is None:
        axes = list(range(in1.ndim))
    else:
        items = [axes] if np.ndim(axes) == 0 else list(np.asarray(axes).ravel())
        if not all(isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_))
                   for a in items):
            raise ValueError(f"axes must be an integer or a sequence of integers; got axes={axes!r}")
        if not items:
            raise ValueError("when provided, axes cannot be empty")
        if any(not -in1.ndim <= a < in1.ndim for a in items):
            raise ValueError(f"axes={axes!r} exceeds the dimensionality {in1.ndim} of the inputs")
        axes = [int(a) % in1.ndim for a in items]
        if len(set(axes)) != len(axes):
            raise ValueError(f"all axes must be unique; got axes={items!r}")
    axes = sorted(a for a in axes if in1.shape[a] != 1 and in2.shape[a] != 1)
    for d in range(in1.ndim):
        if d not in axes and in1.shape[d] != in2.shape[d] and 1 not in (in1.shape[d], in2.shape[d]):
            raise ValueError(
                f"incompatible shapes for in1 and in2: {in1.shape} and {in2.shape} "
                f"(axis {d} is not convolved, so they must be equal there or one of them 1)"
            )
    return axes


def _centered(arr, shape):
    """The centre `shape` part of `arr`."""
    starts = [(n - m) // 2 for n, m in zip(arr.shape, shape)]
    return arr[tuple(slice(s, s + m) for s, m in zip(starts, shape))]


def _freq_convolve(in1, in2, mode, axes, blocked, workers, device):
    """fftconvolve (blocked=False) and oaconvolve (blocked=True)."""
    in1, in2 = _arrays(in1, in2)
    mode = _option("mode", mode, _MODES)
    workers, device = _workers(workers), _device(device)
    _same_ndim(in1, in2)
    if in1.ndim == 0:  # scipy returns the product
        return _run(in1.reshape(1), in2.reshape(1), mode, "direct", workers=workers, device=device)[0]
    if in1.size == 0 or in2.size == 0:
        return np.array([])  # scipy returns this, whatever the shapes
    axes = _fft_axes(in1, in2, axes)
    if not axes:
        # Nothing to transform: a broadcast product, in the inputs' own dtype (as scipy).
        out = in1 * in2
        return _centered(out, in1.shape).copy() if mode == "same" else out
    out_dtype = _fft_dtype(in1, in2)
    if device == "gpu":
        return _gpu_freq_convolve(in1, in2, mode, axes, out_dtype, workers)

    def conv(x, k, f):
        return _core.fftconvolve(x, k, mode, axes, blocked, workers, device)

    return _bilinear(conv, in1, in2, np.zeros((), out_dtype), out_dtype)


def _gpu_freq_convolve(in1, in2, mode, axes, out_dtype, workers):
    """fftconvolve/oaconvolve with device='gpu': the same result from the GPU's direct kernel, a
    convolution over every axis, which equals the FFT's over `axes` when the other axes broadcast as a
    direct convolution does (in2 of length 1 there, or in1 of length 1 outside 'valid' mode)."""
    for d in range(in1.ndim):
        if d in axes or in2.shape[d] == 1 or (in1.shape[d] == 1 and mode != "valid"):
            continue
        raise ValueError(
            "device='gpu' computes fftconvolve/oaconvolve as a direct convolution over every axis, "
            f"which cannot broadcast shapes {in1.shape} and {in2.shape} on axis {d} in {mode!r} "
            "mode; use device='cpu'"
        )
    if mode == "valid" and any(in2.shape[d] > in1.shape[d] for d in axes) and any(
        in1.shape[d] > in2.shape[d] for d in range(in1.ndim)
    ):
        raise ValueError(
            "device='gpu' computes fftconvolve/oaconvolve in 'valid' mode as a direct convolution, "
            f"which needs one input at least as large as the other on every axis; got {in1.shape} "
            f"and {in2.shape}; use device='cpu'"
        )
    return _run(in1.astype(out_dtype, copy=False), in2.astype(out_dtype, copy=False), mode,
                "direct", workers=workers, device="gpu")


@_dask.dispatch(_dask.conv("fft"))
def fftconvolve(in1, in2, mode="full", axes=None, *, workers=None, device="cpu"):
    r"""Convolve two N-dimensional arrays using the FFT.

    .. math::

        \mathrm{in1} * \mathrm{in2} = \mathcal{F}^{-1}\big(\mathcal{F}(\mathrm{in1})
        \cdot \mathcal{F}(\mathrm{in2})\big)

    with both inputs zero-padded to the full output size along `axes`; the other axes broadcast.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with as many dimensions as `in1`.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output along `axes`, as in :func:`convolve`.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all). Along the others the inputs must have equal lengths or
        length 1, and broadcast.
    workers : int, optional
        Threads, as in :func:`convolve`.
    device : {'cpu', 'gpu', 'auto'}, optional
        As in :func:`convolve`.

    Returns
    -------
    out : ndarray
        The convolution: float64 for integer and bool inputs, float32 for float16 and float32,
        complex for complex inputs. Empty inputs give ``array([])``.

    See Also
    --------
    scipy.signal.fftconvolve : the reference this function follows.
    oaconvolve : overlap-add, faster when one input is much the larger.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> np.round(signal.fftconvolve([1, 2, 3], [1, 1]), 12)
    array([1., 3., 5., 3.])
    """
    return _freq_convolve(in1, in2, mode, axes, False, workers, device)


@_dask.dispatch(_dask.conv("fft"))
def oaconvolve(in1, in2, mode="full", axes=None, *, workers=None, device="cpu"):
    r"""Convolve two N-dimensional arrays using the overlap-add method.

    .. math::

        \mathrm{in1} * \mathrm{in2} = \sum_b (\mathrm{in1}_b * \mathrm{in2})

    where the ``in1_b`` are consecutive blocks of `in1`, each convolved by the FFT and added into place.
    The result is that of :func:`fftconvolve`; this is faster when one input is much larger.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with as many dimensions as `in1`.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output along `axes`, as in :func:`convolve`.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all); the others broadcast.
    workers : int, optional
        Threads, as in :func:`convolve`.
    device : {'cpu', 'gpu', 'auto'}, optional
        As in :func:`convolve`.

    Returns
    -------
    out : ndarray
        The convolution, with the dtypes of :func:`fftconvolve`.

    See Also
    --------
    scipy.signal.oaconvolve : the reference this function follows.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> np.round(signal.oaconvolve(np.ones(6), [1, -1], mode='same'), 12) + 0.0  # + 0.0: no -0.
    array([1., 0., 0., 0., 0., 0.])
    """
    return _freq_convolve(in1, in2, mode, axes, True, workers, device)


# ----------------------------------------------------------------------------------------------------
# convolve2d, correlate2d
# ----------------------------------------------------------------------------------------------------


def _conv2d(name, in1, in2, mode, boundary, fillvalue):
    """Shared checks of convolve2d and correlate2d: the arrays, options, and the valid-mode swap.
    Returns the (possibly swapped) arrays, whether they were swapped, and the result if it is empty."""
    in1, in2 = _arrays(in1, in2)
    _option("mode", mode, _MODES)
    _option("boundary", boundary, _BOUNDARIES)
    if not in1.ndim == in2.ndim == 2:
        raise ValueError(
            f"{name} inputs must both be 2-D arrays; got {in1.ndim}-D and {in2.ndim}-D"
        )
    swapped = _core.valid_swap_needed(mode, list(in1.shape), list(in2.shape))
    if swapped:
        in1, in2 = in2, in1
    if in1.size == 0 or in2.size == 0:
        # scipy sizes the all-zero result with n1 + n2 - 1 ('full') and n1 - n2 + 1 ('valid') even for
        # lengths of zero; an empty sum is zero whatever the boundary.
        _fill_scalar(fillvalue, np.result_type(in1, in2))
        sizes = {
            "full": [a + b - 1 for a, b in zip(in1.shape, in2.shape)],
            "same": list(in1.shape),
            "valid": [a - b + 1 for a, b in zip(in1.shape, in2.shape)],
        }[mode]
        return in1, in2, swapped, np.zeros([max(n, 0) for n in sizes], np.result_type(in1, in2))
    return in1, in2, swapped, None


@_dask.dispatch(_dask.conv("2d"))
def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None, device="cpu"):
    r"""Convolve two 2-dimensional arrays, extending `in1` beyond its edges as `boundary` says.

    .. math::

        \mathrm{out}[i, j] = \sum_{k, l} \tilde{x}[i - k, j - l]\, \mathrm{in2}[k, l]

    where :math:`\tilde{x}` is `in1` extended by `boundary`, and indices are shifted by `mode`.

    Parameters
    ----------
    in1 : array_like
        First input, 2-D.
    in2 : array_like
        Second input, 2-D.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output, as in :func:`convolve`.
    boundary : {'fill', 'wrap', 'symm'}, optional
        ``'fill'`` (alias ``'pad'``): `fillvalue` outside `in1`. ``'wrap'`` (alias ``'circular'``):
        periodic. ``'symm'`` (alias ``'symmetric'``): mirrored, repeating the edge sample.
    fillvalue : scalar, optional
        The value outside `in1` with ``boundary='fill'``, converted to the output dtype.
    workers : int, optional
        Threads, as in :func:`convolve`.
    device : {'cpu', 'gpu', 'auto'}, optional
        As in :func:`convolve`.

    Returns
    -------
    out : ndarray
        The convolution, of dtype ``np.result_type(in1, in2)``; computed by the direct method, or
        by the FFT where that is faster and gives the same result (zero fill, finite real floats).

    See Also
    --------
    scipy.signal.convolve2d : the reference this function follows.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> x = np.arange(9).reshape(3, 3)
    >>> signal.convolve2d(x, np.ones((2, 2), int), mode='same', boundary='wrap')
    array([[16, 14, 18],
           [10,  8, 12],
           [22, 20, 24]])
    """
    workers, device = _workers(workers), _device(device)
    in1, in2, _, empty = _conv2d("convolve2d", in1, in2, mode, boundary, fillvalue)
    if empty is not None:
        return empty
    method = _conv2d_method(in1, in2, mode, boundary, fillvalue, device)
    return _run(in1, in2, mode, method, boundary, fillvalue, workers, device)


def _conv2d_method(in1, in2, mode, boundary, fillvalue, device):
    """'fft' where it gives convolve2d's result faster: a zero 'fill' boundary (the FFT's own zero
    padding), real floating inputs that are all finite (a NaN or inf would spread over the whole FFT
    output, where the direct sum keeps it local), and the cost model's pick; else 'direct'."""
    if (
        device == "cpu"
        and boundary in ("fill", "pad")
        and in1.dtype.kind == "f"
        and in2.dtype.kind == "f"
        and np.asarray(fillvalue).size == 1
        and np.asarray(fillvalue).reshape(()).item() == 0
    ):
        dtype = _part_dtype(np.result_type(in1, in2)).name
        if _core.choose_method(list(in1.shape), list(in2.shape), mode, dtype) == "fft":
            if np.isfinite(in1).all() and np.isfinite(in2).all():
                return "fft"
    return "direct"


@_dask.dispatch(_dask.conv("2d"))
def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None, device="cpu"):
    r"""Cross-correlate two 2-dimensional arrays, extending `in1` as `boundary` says.

    .. math::

        \mathrm{out}[i, j] = \sum_{k, l} \tilde{x}[i + k, j + l]\, \overline{\mathrm{in2}[k, l]}

    with :math:`\tilde{x}` `in1` extended by `boundary`, and indices shifted by `mode`. As in scipy,
    'same' mode centres this function at offset ``in2.shape // 2`` of the full output (not
    ``(in2.shape - 1) // 2`` as :func:`correlate` does), and when 'valid' mode swaps the inputs the
    output is ``correlate2d(in2, in1)[::-1, ::-1]``.

    Parameters
    ----------
    in1 : array_like
        First input, 2-D.
    in2 : array_like
        Second input, 2-D.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output, as in :func:`convolve`.
    boundary : {'fill', 'wrap', 'symm'}, optional
        As in :func:`convolve2d`.
    fillvalue : scalar, optional
        The value outside `in1` with ``boundary='fill'``.
    workers : int, optional
        Threads, as in :func:`convolve`.
    device : {'cpu', 'gpu', 'auto'}, optional
        As in :func:`convolve`.

    Returns
    -------
    out : ndarray
        The cross-correlation, of dtype ``np.result_type(in1, in2)``.

    See Also
    --------
    scipy.signal.correlate2d : the reference this function follows.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> signal.correlate2d(np.eye(3, dtype=int), np.array([[1, 2], [3, 4]]), mode='valid')
    array([[5, 3],
           [2, 5]])
    """
    workers, device = _workers(workers), _device(device)
    in1, in2, swapped, empty = _conv2d("correlate2d", in1, in2, mode, boundary, fillvalue)
    if empty is not None:
        return empty
    kernel = _reverse_and_conj(in2)
    crop = mode == "same" and any(n % 2 == 0 for n in in2.shape)
    # The core centres 'same' at (n - 1) // 2 of the full output, scipy's correlate2d at n // 2: for
    # even kernels, take the full output and cut the centre (exact whatever the boundary).
    out_mode = "full" if crop else mode
    method = _conv2d_method(in1, kernel, out_mode, boundary, fillvalue, device)
    out = _run(in1, kernel, out_mode, method, boundary, fillvalue, workers, device)
    if crop:
        out = out[tuple(slice(k // 2, k // 2 + n) for k, n in zip(in2.shape, in1.shape))].copy()
    return out[::-1, ::-1].copy() if swapped else out


# ----------------------------------------------------------------------------------------------------
# choose_conv_method, correlation_lags
# ----------------------------------------------------------------------------------------------------


def _best_time(fn, repeat=3):
    """Seconds per call of `fn`: the best of `repeat` runs of enough calls to last a millisecond."""
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= 1e-3 or number >= 10**6:
            break
        number *= 10
    best = elapsed
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / number


def _max_abs(x):
    return max(abs(int(x.max())), abs(int(x.min())))


@_dask.dispatch(_dask.choose_conv_method)
def choose_conv_method(in1, in2, mode="full", measure=False):
    """Find the faster method, ``'direct'`` or ``'fft'``, to convolve or correlate `in1` and `in2`.

    The choice follows sigconv's cost model of its own kernels (so it may differ from scipy's), except
    that bool inputs, and integer inputs whose exact result could exceed ``2**32``
    (``max|in1| * max|in2| * min(in1.size, in2.size)``), always take the exact direct method.

    Parameters
    ----------
    in1 : array_like
        The first input of the convolution.
    in2 : array_like
        The second input.
    mode : {'full', 'valid', 'same'}, optional
        Size of the output, as in :func:`convolve`.
    measure : bool, optional
        If True, time both methods on these inputs and return the faster with the times.

    Returns
    -------
    method : str
        ``'direct'`` or ``'fft'``.
    times : dict, optional
        With ``measure=True``: seconds per call of each method, keyed ``'fft'`` and ``'direct'``.

    See Also
    --------
    scipy.signal.choose_conv_method : the reference this function follows.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> signal.choose_conv_method(np.ones(10), np.ones(3))
    'direct'
    >>> method, times = signal.choose_conv_method(np.ones(10), np.ones(3), measure=True)
    >>> sorted(times)
    ['direct', 'fft']
    """
    volume, kernel = _arrays(in1, in2)
    mode = _option("mode", mode, _MODES)
    if measure:
        times = {
            method: _best_time(lambda: convolve(volume, kernel, mode=mode, method=method))
            for method in ("fft", "direct")
        }
        return ("fft" if times["fft"] < times["direct"] else "direct"), times
    return _choose_method(volume, kernel, mode, _max_abs)


def _choose_method(volume, kernel, mode, max_abs):
    """choose_conv_method's rule from shapes, dtypes and `max_abs(array)` (asked of integers)."""
    if volume.ndim == 0 or volume.size == 0 or kernel.size == 0:
        return "direct"
    dtype = np.result_type(volume.dtype, kernel.dtype)
    if dtype.kind == "b":
        return "direct"
    if dtype.kind in "iu":
        bound = max_abs(volume) * max_abs(kernel) * min(volume.size, kernel.size)
        if bound >= _FFT_EXACT_INT_BOUND:
            return "direct"
        dtype = np.dtype(np.float64)  # the FFT of integers runs in float64
    part = _part_dtype(dtype)
    return _core.choose_method(list(volume.shape), list(kernel.shape), mode, part.name)


def correlation_lags(in1_len, in2_len, mode="full"):
    r"""Lags of the samples of a 1-D cross-correlation.

    Sample ``j`` of ``correlate(in1, in2, mode)`` is
    :math:`\sum_m \mathrm{in1}[m + \mathrm{lags}[j]]\, \overline{\mathrm{in2}[m]}`.

    Parameters
    ----------
    in1_len : int
        Length of the first input.
    in2_len : int
        Length of the second input.
    mode : {'full', 'valid', 'same'}, optional
        The mode of the correlation.

    Returns
    -------
    lags : ndarray of int64
        ``arange(-in2_len + 1, in1_len)`` for 'full', its centre ``in1_len`` values for 'same', and
        ``arange(in1_len - in2_len + 1)`` (or ``arange(in1_len - in2_len, 1)``) for 'valid'.

    See Also
    --------
    scipy.signal.correlation_lags : the reference this function follows.

    Examples
    --------
    >>> from sigconv import signal
    >>> signal.correlation_lags(5, 3)
    array([-2, -1,  0,  1,  2,  3,  4])
    >>> signal.correlation_lags(5, 3, mode='same')
    array([-1,  0,  1,  2,  3])
    """
    mode = _option("mode", mode, _MODES)
    lengths = []
    for name, n in (("in1_len", in1_len), ("in2_len", in2_len)):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"{name} must be a non-negative integer; got {name}={n!r}")
        lengths.append(int(n))
    return _core.correlation_lags(lengths[0], lengths[1], mode)


# ----------------------------------------------------------------------------------------------------
# Smoothing: medfilt, medfilt2d, wiener, savgol_filter (on the sigconv.ndimage kernels)
# ----------------------------------------------------------------------------------------------------


def _odd_kernel_size(kernel_size, ndim, name="kernel_size"):
    """scipy's medfilt rule: None gives 3 per axis, a scalar is repeated; every length odd."""
    if kernel_size is None:
        sizes = [3] * ndim
    else:
        arr = np.asarray(kernel_size)
        if arr.ndim == 0:
            arr = np.repeat(arr, ndim)
        if arr.ndim != 1 or arr.shape[0] != ndim or arr.dtype.kind not in "iuf":
            raise ValueError(
                f"{name} must be an odd integer or one odd integer per axis ({ndim}); "
                f"got {name}={kernel_size!r}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold integers; got {name}={kernel_size!r}")
        sizes = [int(k) for k in arr]
        if any(float(k) != float(v) for k, v in zip(sizes, arr)):
            raise ValueError(f"{name} must hold integers; got {name}={kernel_size!r}")
    for k in sizes:
        if k % 2 != 1 or k < 1:
            raise ValueError(
                f"Each element of kernel_size should be odd (and positive); got {name}={kernel_size!r}"
            )
    return sizes


@_dask.dispatch(_dask.medfilt)
def medfilt(volume, kernel_size=None, *, workers=None, device="cpu"):
    """Median filter of an N-dimensional array, zero-padded at the edges.

    Each output is the median of the ``kernel_size`` window centred on it, samples beyond the
    edges counting as 0 (``scipy.ndimage.median_filter`` with ``mode='constant'``).

    Parameters
    ----------
    volume : array_like
        Integer, float32 or float64 array.
    kernel_size : int or sequence of int, optional
        Odd window length per axis (default 3).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape and dtype of `volume`.

    Examples
    --------
    >>> from sigconv import signal
    >>> signal.medfilt([2, 6, 5, 4, 0, 3, 5, 7, 9, 2, 0, 1], kernel_size=5)
    array([2, 4, 4, 4, 4, 4, 5, 5, 5, 2, 1, 0])
    """
    from sigconv import ndimage

    vol = np.asarray(volume)
    if vol.ndim == 0:
        vol = vol.reshape(1)
    if not (vol.dtype.kind in "iu" or vol.dtype in (np.float32, np.float64)):
        raise ValueError(f"dtype={vol.dtype} is not supported by medfilt")
    sizes = _odd_kernel_size(kernel_size, vol.ndim)
    if any(k > n for k, n in zip(sizes, vol.shape)):
        warnings.warn(
            "kernel_size exceeds volume extent: the volume will be zero-padded.", stacklevel=2
        )
    return ndimage.median_filter(vol, size=sizes, mode="constant", workers=workers, device=device)


@_dask.dispatch(_dask.medfilt2d)
def medfilt2d(input, kernel_size=3, *, workers=None, device="cpu"):
    """Median filter of a 2-D array, zero-padded at the edges.

    Parameters
    ----------
    input : array_like
        2-D array (uint8, float32 and float64 as scipy's fast path; other dtypes as
        :func:`medfilt`).
    kernel_size : int or sequence of two ints, optional
        Odd window length per axis (default 3).
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
    >>> from sigconv import signal
    >>> signal.medfilt2d(np.array([[1., 9, 2], [8, 3, 7], [4, 6, 5]]))
    array([[0., 2., 0.],
           [3., 5., 3.],
           [0., 4., 0.]])
    """
    from sigconv import ndimage

    image = np.asarray(input)
    if image.dtype.type not in (np.uint8, np.float32, np.float64):
        return medfilt(image, kernel_size, workers=workers, device=device)
    if image.ndim != 2:
        raise ValueError(f"medfilt2d needs a 2-D input; got an array of shape {image.shape}")
    sizes = _odd_kernel_size(kernel_size, 2)
    return ndimage.median_filter(image, size=sizes, mode="constant", workers=workers,
                                 device=device)


@_dask.dispatch(_dask.wiener)
def wiener(im, mysize=None, noise=None, *, workers=None, device="cpu"):
    """Wiener filter of an N-dimensional array.

    With the local mean ``m`` and variance ``v`` over a window of `mysize` (zero-padded) and the
    noise power ``n`` (default: the mean of ``v``), the output is ``m + (1 - n / v) (im - m)``
    where ``v >= n``, and ``m`` where ``v < n``.

    Parameters
    ----------
    im : array_like
        Real array.
    mysize : int or sequence of int, optional
        Window length per axis (default 3).
    noise : float, optional
        Noise power (default: estimated as the mean local variance, summed exactly and rounded
        once, so that a dask array's chunks give the same value as the whole array).
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        float64 array of the shape of `im`, as scipy.signal.wiener.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> np.round(signal.wiener(np.array([1.0, 2.0, 8.0, 2.0, 1.0, 3.0])), 3)
    array([1.   , 2.872, 5.5  , 2.872, 2.   , 1.333])
    """
    im = np.asarray(im)
    workers, device = _workers(workers), _device(device)
    sizes = _wiener_sizes(im, mysize)
    l_mean = _wiener_mean(im, sizes, workers, device)
    l_var = _wiener_mean(im**2, sizes, workers, device) - l_mean**2
    if noise is None:
        noise = _exact.mean(l_var, workers)
    return _wiener_combine(im, l_mean, l_var, noise)


def _wiener_sizes(im, mysize):
    """wiener's window: `mysize` checked, one positive length per axis of `im` (default 3)."""
    if im.dtype.kind not in "biuf":
        raise TypeError(f"im has dtype {im.dtype}; sigconv.signal.wiener filters real arrays")
    if mysize is None:
        sizes = [3] * im.ndim
    elif np.ndim(mysize) == 0:
        sizes = [mysize] * im.ndim
    else:
        sizes = list(mysize)
    if len(sizes) != im.ndim:
        raise ValueError(
            f"mysize needs one length per axis of im ({im.ndim}); got mysize={mysize!r}"
        )
    for k in sizes:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"mysize must hold positive integers; got mysize={mysize!r}")
    return [int(k) for k in sizes]


def _wiener_mean(a, sizes, workers, device):
    """The zero-padded local mean of `a` over the window `sizes`, in float64."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    passes = [(d, "mean", [], k, -(k // 2), "constant") for d, k in enumerate(sizes) if k > 1]
    if not passes or a.size == 0:
        return a.copy()
    return _core.filter_axes(a, passes, 0.0, workers, device)


def _wiener_combine(im, l_mean, l_var, noise):
    """``m + (1 - n / v) (im - m)`` where ``v >= n``, else ``m`` (element-wise: numpy or dask)."""
    res = im - l_mean
    res *= 1 - noise / l_var
    res += l_mean
    return np.where(l_var < noise, l_mean, res)


def _savgol_coeffs(window_length, polyorder, deriv, delta):
    """scipy.signal.savgol_coeffs(..., use='conv'): least-squares polynomial fit coefficients."""
    halflen, rem = divmod(window_length, 2)
    pos = halflen - 0.5 if rem == 0 else halflen
    if deriv > polyorder:
        return np.zeros(window_length)
    x = np.arange(-pos, window_length - pos, dtype=np.float64)[::-1]
    order = np.arange(polyorder + 1).reshape(-1, 1)
    A = x**order
    y = np.zeros(polyorder + 1)
    y[deriv] = math.factorial(deriv) / (delta**deriv)
    coeffs, _, _, _ = np.linalg.lstsq(A, y, rcond=None)
    return coeffs


def _polyder(p, m):
    """Derivative of order `m` of polynomials in the columns of `p` (highest power first)."""
    if m == 0:
        return p
    n = p.shape[0]
    if n <= m:
        return np.zeros_like(p[:1, ...])
    dp = p[:-m].copy()
    for k in range(m):
        rng = np.arange(n - k - 1, m - k - 1, -1)
        dp *= rng.reshape((n - m,) + (1,) * (p.ndim - 1))
    return dp


def _fit_edge(x, window_start, window_stop, interp_start, interp_stop, axis, polyorder, deriv,
              delta, y):
    """scipy's savgol edge fit: a polynomial fitted to x[window_start:window_stop] (along axis)
    gives y[interp_start:interp_stop]."""
    x_edge = np.moveaxis(np.take(x, np.arange(window_start, window_stop), axis=axis), axis, 0)
    edge_shape = x_edge.shape
    xx = x_edge.reshape(edge_shape[0], -1)
    t = np.arange(0, window_stop - window_start, dtype=x.dtype)
    coeffs = np.polyfit(t, xx, polyorder)
    if deriv > 0:
        coeffs = _polyder(coeffs, deriv)
    i = np.arange(interp_start - window_start, interp_stop - window_start, dtype=coeffs.dtype)
    values = np.vander(i, coeffs.shape[0]) @ coeffs / (delta**deriv)
    values = values.reshape((interp_stop - interp_start,) + edge_shape[1:])
    index = [slice(None)] * y.ndim
    index[axis] = slice(interp_start, interp_stop)
    y[tuple(index)] = np.moveaxis(values, 0, axis)


@_dask.dispatch(_dask.savgol_filter)
def savgol_filter(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, mode="interp",
                  cval=0.0, *, workers=None, device="cpu"):
    """Savitzky-Golay filter: each output is the value (or `deriv`-th derivative) at the window's
    centre of the degree-`polyorder` least-squares polynomial fitted to the `window_length`
    samples around it.

    The coefficients come from a least-squares solve (as scipy.signal.savgol_coeffs); the
    filtering is one correlation pass in the Rust core. With ``mode='interp'`` the last
    ``window_length // 2`` samples at each end are taken from the polynomial fitted to the
    ``window_length`` samples at that end.

    Parameters
    ----------
    x : array_like
        Data (float32 stays float32; other dtypes become float64).
    window_length : int
        Window length, greater than `polyorder`.
    polyorder : int
        Polynomial degree.
    deriv : int, optional
        Derivative order (default 0: smoothing).
    delta : float, optional
        Sample spacing, for derivatives (default 1).
    axis : int, optional
        The axis filtered (default -1).
    mode : {'interp', 'mirror', 'constant', 'nearest', 'wrap'}, optional
        Edge handling (default 'interp').
    cval : float, optional
        The value beyond the edges for mode 'constant'.
    workers : int, optional
        Threads (None: all cores).
    device : {'cpu', 'gpu', 'auto'}, optional
        Where to compute.

    Returns
    -------
    ndarray
        The filtered array, the shape of `x`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import signal
    >>> x = np.array([2, 2, 5, 2, 1, 0, 1, 4, 9])
    >>> np.round(signal.savgol_filter(x, 5, 2), 5)
    array([1.65714, 3.17143, 3.54286, 2.85714, 0.65714, 0.17143, 1.     , 4.     ,
           9.     ])
    """
    from sigconv import ndimage

    modes = ("mirror", "constant", "nearest", "interp", "wrap")
    _option("mode", mode, modes)
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x has dtype {x.dtype}; savgol_filter filters real arrays")
    if x.dtype != np.float64 and x.dtype != np.float32:
        x = x.astype(np.float64)
    for name, v, lo in (("window_length", window_length, 1), ("polyorder", polyorder, 0),
                        ("deriv", deriv, 0)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}; got {name}={v!r}")
    if polyorder >= window_length:
        raise ValueError(
            f"polyorder must be less than window_length; got polyorder={polyorder} and "
            f"window_length={window_length}"
        )
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension; got a 0-d array")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer; got axis={axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} is out of range for an array of {x.ndim} dimensions")
    if (isinstance(delta, (bool, np.bool_)) or np.ndim(delta) != 0
            or np.asarray(delta).dtype.kind not in "iuf"):
        raise ValueError(f"delta must be a real number; got delta={delta!r}")
    coeffs = _savgol_coeffs(int(window_length), int(polyorder), int(deriv), delta)
    if mode == "interp":
        if window_length > x.shape[axis]:
            raise ValueError(
                "If mode is 'interp', window_length must be less than or equal to the size of "
                f"x along axis; got window_length={window_length} and {x.shape[axis]} samples"
            )
        y = ndimage.convolve1d(x, coeffs, axis=axis, mode="constant", workers=workers,
                               device=device)
        halflen = window_length // 2
        n = x.shape[axis]
        _fit_edge(x, 0, window_length, 0, halflen, axis, polyorder, deriv, delta, y)
        _fit_edge(x, n - window_length, n, n - halflen, n, axis, polyorder, deriv, delta, y)
        return y
    return ndimage.convolve1d(x, coeffs, axis=axis, mode=mode, cval=cval, workers=workers,
                              device=device)
