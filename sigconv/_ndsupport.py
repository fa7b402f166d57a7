"""Argument handling shared by the scipy.ndimage-style filters (one place for each rule).

scipy.ndimage's conventions: per-axis arguments given as a scalar or one value per filtered axis;
`axes` choosing which axes are filtered; `output` as None (the input's dtype), a dtype, or an array
written in place; results computed in float64 (float32 stays float32) and cast to the output dtype
as C casts do (integers truncate toward zero).
"""

import contextlib
import contextvars
import numbers

import numpy as np

#: scipy.ndimage's boundary modes; the grid-* aliases mean the same as their plain names in filters.
MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror", "grid-wrap")


def check_mode(mode, name="mode"):
    """`mode` if it is one of :data:`MODES`, else a ValueError listing them."""
    if not isinstance(mode, str) or mode not in MODES:
        listed = ", ".join(repr(m) for m in MODES)
        raise ValueError(f"{name} must be one of {listed}; got {name}={mode!r}")
    return mode


def per_axis(value, rank, name):
    """A list of `rank` values: a scalar repeated, or a sequence of exactly `rank` values
    (scipy's ``_normalize_sequence``)."""
    if isinstance(value, str) or not np.iterable(value):
        return [value] * rank
    values = list(value)
    if len(values) != rank:
        raise ValueError(
            f"{name} needs one value per filtered axis ({rank}); got {name}={value!r}"
        )
    return values


def check_axes(axes, ndim):
    """The filtered axes as non-negative ints in the given order (all axes when None)."""
    if axes is None:
        return list(range(ndim))
    items = [axes] if isinstance(axes, numbers.Integral) else list(axes)
    out = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral):
            raise ValueError(f"axes must be integers; got axes={axes!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axes={axes!r} is out of range for an array of {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axes must be unique; got axes={axes!r}")
    return out


def check_origin(origin, size, name="origin"):
    """scipy's rule: the filter's centre ``size // 2 + origin`` must lie inside the filter."""
    if not isinstance(origin, numbers.Integral) or isinstance(origin, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer; got {name}={origin!r}")
    if not -(size // 2) <= origin <= (size - 1) // 2:
        raise ValueError(
            f"invalid {name}={origin} for a filter of size {size}: it must lie in "
            f"[{-(size // 2)}, {(size - 1) // 2}]"
        )
    return int(origin)


def as_input(input, name="input"):
    """The input as a numpy array of a real numeric dtype (complex, object, str: TypeError)."""
    arr = np.asarray(input)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; sigconv.ndimage filters real numeric arrays")
    return arr


def compute_dtype(dtype):
    """The dtype the core computes in: float32 stays float32, everything else float64."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float32 else np.dtype(np.float64)


def output_for(output, input, shape=None):
    """scipy's ``_get_output``: the array to return, or None when the result may be returned as is.

    Returns ``(dtype, array_or_None)``: with `output` None or a dtype, the result dtype and None;
    with an array, its dtype and the array (written in place, shape checked).
    """
    shape = input.shape if shape is None else tuple(shape)
    if output is None:
        return input.dtype, None
    if isinstance(output, (type, np.dtype, str)):
        dtype = np.dtype(output)
        if dtype.kind not in "biuf":
            raise TypeError(f"output dtype must be a real numeric type; got output={output!r}")
        return dtype, None
    out = np.asarray(output)
    if out.shape != shape:
        raise ValueError(f"output has shape {out.shape}; expected {shape}")
    return out.dtype, out


def finish(result, output, input, shape=None):
    """`result` (computed in float) cast to the output dtype as scipy does (C casts: integers truncate
    toward zero), written into `output` when an array was given, which is then returned."""
    dtype, out = output_for(output, input, shape)
    if dtype.kind in "iu":
        result = np.trunc(result)
    if out is None:
        return result.astype(dtype, copy=False)
    out[...] = result
    return out


# Rows `(lo, hi)` along axis 0 that a caller wants from the next separable linear filter, or None.
_ROWS = contextvars.ContextVar("sigconv_ndimage_rows", default=None)


@contextlib.contextmanager
def only_rows(lo, hi, into=None):
    """Within this block, the separable linear filters (Gaussian, uniform, correlate1d and their
    kin, on the CPU, with a result of the compute dtype and no output array) may return only rows
    ``lo:hi`` along axis 0 of their result, computed alone (``_core.filter_axes(rows=)``) and equal
    to those rows of the whole result, written into `into` when given (a C-contiguous array of
    that shape and the compute dtype, returned); the others return the whole result. The dask
    layer filters a chunk's inner rows and repairs its edges this way, for the functions marked
    ``_dask.rows_alone`` only (one such filter of the input, nothing after it)."""
    token = _ROWS.set((int(lo), int(hi), into))
    try:
        yield
    finally:
        _ROWS.reset(token)


def rows_wanted():
    """The ``(lo, hi)`` of an enclosing :func:`only_rows`, or None."""
    rows = _ROWS.get()
    return None if rows is None else rows[:2]


def rows_into():
    """The array an enclosing :func:`only_rows` writes its rows into, or None."""
    rows = _ROWS.get()
    return None if rows is None else rows[2]
