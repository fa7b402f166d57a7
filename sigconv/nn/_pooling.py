"""Pooling and resampling on numpy arrays, with torch.nn.functional's semantics, and their backward
functions.

Forward functions keep torch's names, signatures, defaults, output shapes and errors:
``max_pool1d/2d``, ``avg_pool1d/2d``, ``min_pool1d/2d`` (extra: max pooling of the negated
input, negated back; indices as max pooling's), ``max_unpool1d/2d``, ``adaptive_avg_pool1d/2d``
and ``interpolate`` (``'nearest'``, ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
``'area'`` and the extra ``'bed_of_nails'``). Layouts are torch's: ``(N, C, L)`` or unbatched
``(C, L)`` for 1-D pooling, ``(N, C, H, W)`` or ``(C, H, W)`` for 2-D; ``interpolate`` takes
``(N, C, L)`` or ``(N, C, H, W)`` as torch does. float32 is computed as float32, float64 as
float64; other dtypes raise ``TypeError``.

Each forward function has a ``<name>_backward(grad_output, ...)`` that returns the gradient of
``sum(forward(input) * grad_output)`` with respect to ``input``: the kernels an autograd layer
calls. Argument checks and normalisation are here; every loop over samples is in Rust
(``rust/cpu/pool.rs``, ``rust/cpu/resample.rs``). Inputs are never modified.

Every function takes the keyword-only extra ``workers=None`` (threads; None: all cores). Max, min
and average pooling and their backward functions also take ``device='cpu'`` (``'gpu'``, ``'auto'``:
the WGSL kernels of ``rust/gpu/shaders/pool_*.wgsl``, results as the CPU's; ``'gpu'`` with no
adapter raises ``sigconv.GpuUnavailableError``).
"""

from __future__ import annotations

import math
import numbers
from typing import Optional, Sequence, Union

import numpy as np

from sigconv import _core
from sigconv._gpu_array import is_gpu, no_kernel, put_rows
from sigconv.nn import _gpu_layers
from sigconv.signal import _device

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "min_pool1d",
    "min_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "interpolate",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "min_pool1d_backward",
    "min_pool2d_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "max_unpool1d_backward",
    "max_unpool2d_backward",
    "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool2d_backward",
    "interpolate_backward",
]

IntOrTuple = Union[int, Sequence[int]]

INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area", "bed_of_nails")
_LINEAR_MODES = ("linear", "bilinear")


# --- argument normalisation -------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _ints(fn: str, name: str, value, n: int, allow_none: bool = False) -> tuple:
    """``value`` as a tuple of ``n`` ints: an int is repeated, a sequence must hold 1 or ``n``."""
    items = (value,) if _is_int(value) or (allow_none and value is None) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(
            f"{fn}: {name} must be an int or a tuple of {n} ints; got {value!r}"
        ) from None
    if len(items) == 1:
        items = items * n
    if len(items) != n or not all(_is_int(v) or (allow_none and v is None) for v in items):
        kind = TypeError if not all(_is_int(v) or v is None for v in items) else ValueError
        raise kind(f"{fn}: {name} must be an int or a tuple of {n} ints; got {value!r}")
    if any(v is not None and abs(int(v)) > np.iinfo(np.int64).max for v in items):
        raise ValueError(f"{fn}: {name} must be at most 2**63 - 1; got {value!r}")
    return tuple(v if v is None else int(v) for v in items)


def _bool(fn: str, name: str, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _is_int(value) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{fn}: {name} must be a bool; got {value!r}")


def _no_stride(stride) -> bool:
    """torch's default stride: None or an empty sequence."""
    if stride is None:
        return True
    try:
        return not _is_int(stride) and len(stride) == 0
    except TypeError:
        return False


def _window(fn: str, n: int, kernel_size, stride, padding, dilation=1):
    """Canonical ``(kernel, stride, padding, dilation)`` tuples, checked with torch's rules."""
    k = _ints(fn, "kernel_size", kernel_size, n)
    s = k if _no_stride(stride) else _ints(fn, "stride", stride, n)
    p = _ints(fn, "padding", padding, n)
    d = _ints(fn, "dilation", dilation, n)
    if any(v <= 0 for v in k):
        raise ValueError(f"{fn}: kernel_size must be positive; got {kernel_size!r}")
    if any(v <= 0 for v in s):
        raise ValueError(f"{fn}: stride must be positive; got {stride!r}")
    if any(v < 0 for v in p):
        raise ValueError(f"{fn}: padding must be non-negative; got {padding!r}")
    if any(v <= 0 for v in d):
        raise ValueError(f"{fn}: dilation must be positive; got {dilation!r}")
    if any(pv > kv // 2 for pv, kv in zip(p, k)):
        raise ValueError(
            f"{fn}: padding must be at most half of kernel_size; got padding={padding!r} and "
            f"kernel_size={kernel_size!r}"
        )
    return k, s, p, d


def _float_array(fn: str, name: str, value, gpu: bool = False) -> np.ndarray:
    """``value`` as a float array; a GPU array where the caller has a GPU kernel (``gpu``)."""
    if is_gpu(value) and not gpu:
        raise no_kernel(f"{fn} of GPU-resident tensors")
    a = value if is_gpu(value) else np.asarray(value)
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fn}: {name} must be a float32 or float64 array; got dtype {a.dtype}")
    return a


def _index_array(fn: str, value) -> np.ndarray:
    a = value if is_gpu(value) else np.asarray(value)
    if a.dtype != np.int64:
        raise TypeError(f"{fn}: indices must be an int64 array; got dtype {a.dtype}")
    return a


def _pool_input(fn: str, value, spatial: int, name: str = "input", gpu: bool = False) -> np.ndarray:
    """A float input of ``spatial + 1`` (unbatched) or ``spatial + 2`` dimensions, with non-zero
    channel and spatial sizes (the batch may be empty); a GPU array only with ``gpu``."""
    a = _float_array(fn, name, value, gpu)
    layouts = {1: "(C, L) or (N, C, L)", 2: "(C, H, W) or (N, C, H, W)"}[spatial]
    if a.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{fn}: {name} must be {layouts}; got shape {a.shape}")
    if 0 in a.shape[-(spatial + 1):]:
        raise ValueError(
            f"{fn}: {name} needs non-zero channel and spatial sizes ({layouts}); got shape {a.shape}"
        )
    return a


def _shape(fn: str, name: str, value, ndims: Sequence[int]) -> tuple:
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a sequence of ints; got {value!r}") from None
    if not all(_is_int(v) and v >= 0 for v in shape) or len(shape) not in ndims:
        raise ValueError(
            f"{fn}: {name} must hold {' or '.join(map(str, ndims))} non-negative ints; got {value!r}"
        )
    return tuple(int(v) for v in shape)


def _grad(fn: str, grad_output, input_shape, spatial: int, gpu: bool = False):
    g = _float_array(fn, "grad_output", grad_output, gpu)
    shape = _shape(fn, "input_shape", input_shape, (spatial + 1, spatial + 2))
    if g.ndim != len(shape) or g.shape[:-spatial] != shape[:-spatial]:
        raise ValueError(
            f"{fn}: grad_output of shape {g.shape} does not fit input_shape {shape}"
        )
    return g, shape


def _row(a: np.ndarray) -> np.ndarray:
    """A 1-D layout seen as planes of height 1: ``(..., L) -> (..., 1, L)`` (a view)."""
    return a.reshape(a.shape[:-1] + (1,) + a.shape[-1:])


def _unrow(a: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_row`: ``(..., 1, L) -> (..., L)`` (a view)."""
    return a.reshape(a.shape[:-2] + a.shape[-1:])


# The pooling kernels on host arrays (``_core``) or GPU-resident ones (``_gpu_layers``), with
# canonical 2-D arguments.


def _extreme_kernel(x, k, s, p, d, ceil_mode, minimum, return_indices, workers, device):
    if is_gpu(x):
        vals, idx = _gpu_layers.pool_extreme(x, k, s, p, d, ceil_mode, minimum)
        return (vals, idx) if return_indices else vals
    return _core.pool_extreme(x, k, s, p, d, ceil_mode, minimum, return_indices, workers=workers,
                              device=_device(device))


def _extreme_backward_kernel(g, idx, shape, workers, device):
    if is_gpu(g) or is_gpu(idx):
        return _gpu_layers.pool_extreme_backward(g, idx, shape)
    return _core.pool_extreme_backward(g, idx, shape, workers=workers, device=_device(device))


def _avg_kernel(x, k, s, p, c, inc, div, workers, device):
    if is_gpu(x):
        return _gpu_layers.pool_avg(x, k, s, p, c, inc, div)
    return _core.pool_avg(x, k, s, p, c, inc, div, workers=workers, device=_device(device))


def _even_windows(size, out):
    """Adaptive average pooling of planes of ``size`` to ``out`` as average pooling, where each
    output size divides its input size (the windows are then equal and disjoint, one GPU kernel):
    the ``(kernel, stride, padding, ceil_mode, count_include_pad, divisor)`` of
    :func:`_avg_kernel`; None for other sizes."""
    if any(o == 0 or n % o for n, o in zip(size, out)):
        return None
    k = tuple(n // o for n, o in zip(size, out))
    return k, k, (0, 0), False, True, None


def _avg_backward_kernel(g, shape, k, s, p, c, inc, div, workers, device):
    if is_gpu(g):
        return _gpu_layers.pool_avg_backward(g, shape, k, s, p, c, inc, div)
    return _core.pool_avg_backward(g, shape, k, s, p, c, inc, div, workers=workers,
                                   device=_device(device))


# --- max and min pooling ----------------------------------------------------------------------


def _extreme_pool(fn, input, spatial, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices, minimum, workers, device):
    x = _pool_input(fn, input, spatial, gpu=True)
    k, s, p, d = _window(fn, spatial, kernel_size, stride, padding, dilation)
    ceil_mode = _bool(fn, "ceil_mode", ceil_mode)
    return_indices = _bool(fn, "return_indices", return_indices)
    if spatial == 1:
        x, k, s, p, d = _row(x), (1,) + k, (1,) + s, (0,) + p, (1,) + d
    res = _extreme_kernel(x, k, s, p, d, ceil_mode, minimum, return_indices, workers, device)
    if spatial == 1:
        res = (_unrow(res[0]), _unrow(res[1])) if return_indices else _unrow(res)
    return res


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, workers=None, device="cpu"):
    r"""1-D max pooling over the last axis, as ``torch.nn.functional.max_pool1d``.

    .. math:: \mathrm{out}[n, c, l] = \max_{j < k} x[n, c, l \cdot s - p + j \cdot d]

    over the taps inside the input (the padding never wins). A window holding NaN gives NaN.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, L)`` or unbatched ``(C, L)``.
    kernel_size : int or tuple of 1 int
    stride : int or tuple, optional
        Default: ``kernel_size``.
    padding : int or tuple
        Implicit padding on both sides, at most ``kernel_size // 2``.
    dilation : int or tuple
        Spacing between the taps of a window.
    ceil_mode : bool
        Round the output length up (a last window must start inside the input or left padding).
    return_indices : bool
        Also return the int64 index in ``L`` of each maximum (for ``max_unpool1d`` and
        ``max_pool1d_backward``); ties keep the first.

    Returns
    -------
    out : ndarray
        ``(N, C, L_out)`` with
        ``L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1`` (``ceil`` with ``ceil_mode``).
    indices : ndarray of int64, only with ``return_indices``

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.array([[[1., 3., 2., 5., 4.]]])
    >>> F.max_pool1d(x, 2)
    array([[[3., 5.]]])
    >>> F.max_pool1d(x, 2, ceil_mode=True, return_indices=True)
    (array([[[3., 5., 4.]]]), array([[[1, 3, 4]]]))
    """
    return _extreme_pool("max_pool1d", input, 1, kernel_size, stride, padding, dilation,
                         ceil_mode, return_indices, False, workers, device)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, workers=None, device="cpu"):
    r"""2-D max pooling over the last two axes, as ``torch.nn.functional.max_pool2d``.

    .. math:: \mathrm{out}[n, c, h, w] = \max_{i < k_H,\, j < k_W}
              x[n, c, h s_H - p_H + i d_H,\; w s_W - p_W + j d_W]

    over the taps inside the input. A window holding NaN gives NaN. Kernel 2, stride 2 runs a SIMD
    row kernel.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
    kernel_size : int or tuple of 2 ints
    stride : int or tuple, optional
        Default: ``kernel_size``.
    padding : int or tuple
        At most half the kernel size on each axis.
    dilation : int or tuple
    ceil_mode : bool
    return_indices : bool
        Also return, as int64, the flat index ``h * W + w`` in its input plane of each maximum
        (torch's layout); the window is scanned row by row and ties keep the first.

    Returns
    -------
    out : ndarray
        ``(N, C, H_out, W_out)``, each axis sized as in :func:`max_pool1d`.
    indices : ndarray of int64, only with ``return_indices``

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> F.max_pool2d(x, 3, stride=1, padding=1, return_indices=True)[1][0, 0, 0]
    array([5, 6, 7, 7])
    """
    return _extreme_pool("max_pool2d", input, 2, kernel_size, stride, padding, dilation,
                         ceil_mode, return_indices, False, workers, device)


def min_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, workers=None, device="cpu"):
    """1-D min pooling (extra, not in torch): :func:`max_pool1d` with the minimum.

    Same parameters, shapes, indices and NaN rule as :func:`max_pool1d`; equal to
    ``-max_pool1d(-input, ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.min_pool1d(np.array([[[1., 3., 2., 5., 4.]]]), 2, stride=1)
    array([[[1., 2., 2., 4.]]])
    """
    return _extreme_pool("min_pool1d", input, 1, kernel_size, stride, padding, dilation,
                         ceil_mode, return_indices, True, workers, device)


def min_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, workers=None, device="cpu"):
    """2-D min pooling (extra, not in torch): :func:`max_pool2d` with the minimum.

    Same parameters, shapes, indices and NaN rule as :func:`max_pool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.min_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 0.,  2.],
             [ 8., 10.]]]])
    """
    return _extreme_pool("min_pool2d", input, 2, kernel_size, stride, padding, dilation,
                         ceil_mode, return_indices, True, workers, device)


def _extreme_backward(fn, grad_output, indices, input_shape, spatial, workers, device):
    g, shape = _grad(fn, grad_output, input_shape, spatial, gpu=True)
    idx = _index_array(fn, indices)
    if idx.shape != g.shape:
        raise ValueError(
            f"{fn}: indices must have grad_output's shape {g.shape}; got {idx.shape}"
        )
    if spatial == 1:
        shape1 = shape[:-1] + (1,) + shape[-1:]
        return _unrow(_extreme_backward_kernel(_row(g), _row(idx), shape1, workers, device))
    return _extreme_backward_kernel(g, idx, shape, workers, device)


def max_pool1d_backward(grad_output, indices, input_shape, *, workers=None, device="cpu"):
    """Gradient of :func:`max_pool1d` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray, float32 or float64
        Gradient of the pooled output, ``(N, C, L_out)`` or ``(C, L_out)``.
    indices : ndarray of int64
        The indices ``max_pool1d(..., return_indices=True)`` returned.
    input_shape : tuple of ints
        Shape of the pooled input.

    Returns
    -------
    grad_input : ndarray of ``input_shape``
        Zero except at the indices, where each output's gradient is added (overlapping windows
        add up).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> from sigconv.nn import _pooling
    >>> out, idx = F.max_pool1d(np.array([[1., 3., 2., 5.]]), 2, return_indices=True)
    >>> _pooling.max_pool1d_backward(np.ones_like(out), idx, (1, 4))
    array([[0., 1., 0., 1.]])
    """
    return _extreme_backward("max_pool1d_backward", grad_output, indices, input_shape, 1, workers, device)


def max_pool2d_backward(grad_output, indices, input_shape, *, workers=None, device="cpu"):
    """Gradient of :func:`max_pool2d` with respect to its input: ``grad_output`` added into a zero
    array of ``input_shape`` at the flat plane ``indices`` that ``max_pool2d`` returned.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> from sigconv.nn import _pooling
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> out, idx = F.max_pool2d(x, 2, return_indices=True)
    >>> _pooling.max_pool2d_backward(np.ones_like(out), idx, x.shape)[0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """
    return _extreme_backward("max_pool2d_backward", grad_output, indices, input_shape, 2, workers, device)


def min_pool1d_backward(grad_output, indices, input_shape, *, workers=None, device="cpu"):
    """Gradient of :func:`min_pool1d`: as :func:`max_pool1d_backward`, with min_pool1d's indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> from sigconv.nn import _pooling
    >>> out, idx = F.min_pool1d(np.array([[1., 3., 2., 5.]]), 2, return_indices=True)
    >>> _pooling.min_pool1d_backward(np.ones_like(out), idx, (1, 4))
    array([[1., 0., 1., 0.]])
    """
    return _extreme_backward("min_pool1d_backward", grad_output, indices, input_shape, 1, workers, device)


def min_pool2d_backward(grad_output, indices, input_shape, *, workers=None, device="cpu"):
    """Gradient of :func:`min_pool2d`: as :func:`max_pool2d_backward`, with min_pool2d's indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> from sigconv.nn import _pooling
    >>> out, idx = F.min_pool2d(np.arange(4.0).reshape(1, 2, 2), 2, return_indices=True)
    >>> _pooling.min_pool2d_backward(np.ones_like(out), idx, (1, 2, 2))
    array([[[1., 0.],
            [0., 0.]]])
    """
    return _extreme_backward("min_pool2d_backward", grad_output, indices, input_shape, 2, workers, device)


# --- average pooling --------------------------------------------------------------------------


def _divisor(fn, divisor_override):
    if divisor_override is None:
        return None
    if not _is_int(divisor_override):
        raise TypeError(f"{fn}: divisor_override must be an int or None; got {divisor_override!r}")
    if divisor_override <= 0:
        raise ValueError(f"{fn}: divisor_override must be positive; got {divisor_override!r}")
    return int(divisor_override)


def _avg_args(fn, spatial, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    k, s, p, _ = _window(fn, spatial, kernel_size, stride, padding)
    ceil_mode = _bool(fn, "ceil_mode", ceil_mode)
    count_include_pad = _bool(fn, "count_include_pad", count_include_pad)
    div = _divisor(fn, divisor_override)
    if spatial == 1:
        k, s, p = (1,) + k, (1,) + s, (0,) + p
    return k, s, p, ceil_mode, count_include_pad, div


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, *, workers=None, device="cpu"):
    r"""1-D average pooling over the last axis, as ``torch.nn.functional.avg_pool1d``.

    .. math:: \mathrm{out}[n, c, l] = \frac{1}{D} \sum_{j < k} x[n, c, l \cdot s - p + j]

    summing the samples inside the input; ``D`` is the window length counting its zero padding
    (``count_include_pad=True``, clipped at the padded end as in torch) or only the samples
    inside the input.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, L)`` or ``(C, L)``.
    kernel_size, stride, padding, ceil_mode
        As in :func:`max_pool1d` (no dilation).
    count_include_pad : bool

    Returns
    -------
    ndarray
        ``(N, C, L_out)``, sized as in :func:`max_pool1d`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.array([[[1., 2., 3., 4.]]])
    >>> F.avg_pool1d(x, 2)
    array([[[1.5, 3.5]]])
    >>> F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)
    array([[[1.5, 3. ]]])
    """
    fn = "avg_pool1d"
    x = _pool_input(fn, input, 1, gpu=True)
    k, s, p, c, inc, _ = _avg_args(fn, 1, kernel_size, stride, padding, ceil_mode,
                                   count_include_pad, None)
    return _unrow(_avg_kernel(_row(x), k, s, p, c, inc, None, workers, device))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None, *, workers=None, device="cpu"):
    r"""2-D average pooling over the last two axes, as ``torch.nn.functional.avg_pool2d``.

    The sum of each window's samples inside the input divided by ``divisor_override`` if given,
    else by the window size counting its padding (``count_include_pad``) or not.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, H, W)`` or ``(C, H, W)``.
    kernel_size, stride, padding, ceil_mode
        As in :func:`max_pool2d` (no dilation).
    count_include_pad : bool
    divisor_override : int, optional
        A positive divisor used for every window.

    Returns
    -------
    ndarray
        ``(N, C, H_out, W_out)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.avg_pool2d(x, 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> F.avg_pool2d(x, 2, divisor_override=1)[0, 0, 0]
    array([10., 18.])
    """
    fn = "avg_pool2d"
    x = _pool_input(fn, input, 2, gpu=True)
    args = _avg_args(fn, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)
    return _avg_kernel(x, *args, workers, device)


def avg_pool1d_backward(grad_output, input_shape, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, *, workers=None, device="cpu"):
    """Gradient of :func:`avg_pool1d` with respect to its input (same window arguments).

    Each output's gradient, divided by its window's divisor, is added to the window's samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.avg_pool1d_backward(np.ones((1, 2)), (1, 4), 2)
    array([[0.5, 0.5, 0.5, 0.5]])
    """
    fn = "avg_pool1d_backward"
    g, shape = _grad(fn, grad_output, input_shape, 1, gpu=True)
    k, s, p, c, inc, _ = _avg_args(fn, 1, kernel_size, stride, padding, ceil_mode,
                                   count_include_pad, None)
    shape1 = shape[:-1] + (1,) + shape[-1:]
    return _unrow(_avg_backward_kernel(_row(g), shape1, k, s, p, c, inc, None, workers, device))


def avg_pool2d_backward(grad_output, input_shape, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None, *,
                        workers=None, device="cpu"):
    """Gradient of :func:`avg_pool2d` with respect to its input (same window arguments).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.avg_pool2d_backward(np.ones((1, 1, 1)), (1, 2, 2), 2)
    array([[[0.25, 0.25],
            [0.25, 0.25]]])
    """
    fn = "avg_pool2d_backward"
    g, shape = _grad(fn, grad_output, input_shape, 2, gpu=True)
    args = _avg_args(fn, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)
    return _avg_backward_kernel(g, shape, *args, workers, device)


# --- max unpooling ----------------------------------------------------------------------------


def _unpool_size(fn, in_sizes, k, s, p, output_size):
    """torch's ``_unpool_output_size``: the default ``(n - 1) s - 2 p + k``, or ``output_size``
    (optionally with the batch and channel sizes in front) within one stride of it."""
    n = len(k)
    default = tuple((i - 1) * st + kk - 2 * pp for i, kk, st, pp in zip(in_sizes, k, s, p))
    if output_size is None:
        size = default
    else:
        try:
            size = tuple(output_size)
        except TypeError:
            size = (output_size,)
        if len(size) in (n + 1, n + 2) and len(size) != n:
            size = size[-n:]
        if len(size) != n or not all(_is_int(v) for v in size):
            raise ValueError(
                f"{fn}: output_size should be a sequence of {n} ints (or with the batch and "
                f"channel sizes in front); got {output_size!r}"
            )
        for d, (v, dv, st) in enumerate(zip(size, default, s)):
            if not dv - st < v < dv + st:
                raise ValueError(
                    f"{fn}: invalid output_size {output_size!r} (dim {d} must be between "
                    f"{dv - st} and {dv + st})"
                )
    if any(v <= 0 for v in size):
        raise ValueError(f"{fn}: the unpooled size {size} must be positive")
    return tuple(int(v) for v in size)


def _unpool(fn, input, indices, spatial, kernel_size, stride, padding, output_size, workers):
    x = _pool_input(fn, input, spatial, gpu=True)
    idx = _index_array(fn, indices)
    if is_gpu(x) != is_gpu(idx):
        raise ValueError(f"{fn}: input and indices must be on one device (both GPU tensors or "
                         "both in host memory)")
    if idx.shape != x.shape:
        raise ValueError(f"{fn}: indices must have input's shape {x.shape}; got {idx.shape}")
    k = _ints(fn, "kernel_size", kernel_size, spatial)
    s = k if _no_stride(stride) else _ints(fn, "stride", stride, spatial)
    p = _ints(fn, "padding", padding, spatial)
    if any(v <= 0 for v in k + s) or any(v < 0 for v in p):
        raise ValueError(
            f"{fn}: kernel_size and stride must be positive and padding non-negative; got "
            f"kernel_size={kernel_size!r}, stride={stride!r}, padding={padding!r}"
        )
    size = _unpool_size(fn, x.shape[-spatial:], k, s, p, output_size)
    if is_gpu(x):
        # planes flattened: each plane's values put at its flat indices (an index outside the
        # output plane writes nothing on the GPU; checked on the CPU)
        lead, plane = x.shape[:-spatial], math.prod(size)
        out = put_rows(x.reshape(lead + (-1,)), idx.reshape(lead + (-1,)), plane)
        return out.reshape(lead + size)
    if spatial == 1:
        return _core.max_unpool(_row(x), _row(idx), (1,) + size, workers=workers)[..., 0, :]
    return _core.max_unpool(x, idx, size, workers=workers)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                 workers=None):
    """Partial inverse of :func:`max_pool1d`, as ``torch.nn.functional.max_unpool1d``.

    Zeros of length ``L_out = (L - 1) stride - 2 padding + kernel_size`` (or ``output_size``,
    within one stride of that), with each input value put back at its index.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, L)`` or ``(C, L)``: pooled values.
    indices : ndarray of int64
        Same shape: ``max_pool1d(..., return_indices=True)``'s indices.
    kernel_size, stride, padding
        The pooling's.
    output_size : sequence of ints, optional
        ``(L_out,)``, optionally with the leading sizes.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> out, idx = F.max_pool1d(np.array([[[1., 3., 2., 5.]]]), 2, return_indices=True)
    >>> F.max_unpool1d(out, idx, 2)
    array([[[0., 3., 0., 5.]]])
    """
    return _unpool("max_unpool1d", input, indices, 1, kernel_size, stride, padding, output_size,
                   workers)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                 workers=None):
    """Partial inverse of :func:`max_pool2d`, as ``torch.nn.functional.max_unpool2d``.

    Each output plane is zero except at the flat plane indices, which get the input values.
    An index outside the output plane raises ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> out, idx = F.max_pool2d(np.arange(16.0).reshape(1, 4, 4), 2, return_indices=True)
    >>> F.max_unpool2d(out, idx, 2)[0]
    array([[ 0.,  0.,  0.,  0.],
           [ 0.,  5.,  0.,  7.],
           [ 0.,  0.,  0.,  0.],
           [ 0., 13.,  0., 15.]])
    """
    return _unpool("max_unpool2d", input, indices, 2, kernel_size, stride, padding, output_size,
                   workers)


def _unpool_backward(fn, grad_output, indices, spatial, workers):
    g = _pool_input(fn, grad_output, spatial, "grad_output", gpu=True)
    idx = _index_array(fn, indices)
    if idx.ndim != g.ndim or idx.shape[:-spatial] != g.shape[:-spatial]:
        raise ValueError(
            f"{fn}: indices of shape {idx.shape} do not fit grad_output of shape {g.shape}"
        )
    if is_gpu(g) != is_gpu(idx):
        raise ValueError(f"{fn}: grad_output and indices must be on one device")
    if is_gpu(g):
        lead = g.shape[:-spatial]
        return np.take_along_axis(g.reshape(lead + (-1,)), idx.reshape(lead + (-1,)), -1).reshape(idx.shape)
    if spatial == 1:
        return _core.max_unpool_backward(_row(g), _row(idx), workers=workers)[..., 0, :]
    return _core.max_unpool_backward(g, idx, workers=workers)


def max_unpool1d_backward(grad_output, indices, *, workers=None):
    """Gradient of :func:`max_unpool1d`: ``grad_output`` read at ``indices`` in each plane (an
    array of ``indices``' shape).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.max_unpool1d_backward(np.array([[10., 11., 12., 13.]]), np.array([[1, 3]]))
    array([[11., 13.]])
    """
    return _unpool_backward("max_unpool1d_backward", grad_output, indices, 1, workers)


def max_unpool2d_backward(grad_output, indices, *, workers=None):
    """Gradient of :func:`max_unpool2d`: ``grad_output`` read at the flat plane ``indices``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> g = np.arange(4.0).reshape(1, 2, 2)
    >>> _pooling.max_unpool2d_backward(g, np.array([[[3]]]))
    array([[[3.]]])
    """
    return _unpool_backward("max_unpool2d_backward", grad_output, indices, 2, workers)


# --- adaptive average pooling -----------------------------------------------------------------


def _adaptive_size(fn, output_size, in_sizes):
    n = len(in_sizes)
    size = _ints(fn, "output_size", output_size, n, allow_none=(n == 2))
    size = tuple(i if v is None else v for v, i in zip(size, in_sizes))
    if any(v < 0 for v in size):
        raise ValueError(
            f"{fn}: elements of output_size must be non-negative; got {output_size!r}"
        )
    return size


def adaptive_avg_pool1d(input, output_size, *, workers=None):
    r"""Adaptive average pooling to ``output_size`` samples, as
    ``torch.nn.functional.adaptive_avg_pool1d``.

    Output ``o`` averages the input samples ``floor(o L / L_out)`` to ``ceil((o + 1) L / L_out)``
    (exclusive).

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, L)`` or ``(C, L)``.
    output_size : int or tuple of 1 int

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.adaptive_avg_pool1d(np.array([[1., 2., 3., 4., 5.]]), 2)
    array([[2., 4.]])
    """
    fn = "adaptive_avg_pool1d"
    x = _pool_input(fn, input, 1, gpu=True)
    (n,) = _adaptive_size(fn, output_size, x.shape[-1:])
    if is_gpu(x):
        return _gpu_layers.adaptive_avg_pool(x, (n,))
    return _core.adaptive_avg_pool(_row(x), (1, n), workers=workers)[..., 0, :]


def adaptive_avg_pool2d(input, output_size, *, workers=None):
    """Adaptive average pooling to ``output_size``, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, H, W)`` or ``(C, H, W)``.
    output_size : int or tuple of 2 (int or None)
        ``None`` keeps that axis's input size.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.adaptive_avg_pool2d(np.arange(16.0).reshape(1, 4, 4), 1)
    array([[[7.5]]])
    >>> F.adaptive_avg_pool2d(np.arange(16.0).reshape(1, 4, 4), (None, 2)).shape
    (1, 4, 2)
    """
    fn = "adaptive_avg_pool2d"
    x = _pool_input(fn, input, 2, gpu=True)
    size = _adaptive_size(fn, output_size, x.shape[-2:])
    if is_gpu(x):
        even = _even_windows(x.shape[-2:], size)
        if even is not None:
            return _avg_kernel(x, *even, workers, "gpu")
        return _gpu_layers.adaptive_avg_pool(x, size)
    return _core.adaptive_avg_pool(x, size, workers=workers)


def adaptive_avg_pool1d_backward(grad_output, input_shape, *, workers=None):
    """Gradient of :func:`adaptive_avg_pool1d` onto ``input_shape`` (the output size is
    ``grad_output``'s).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.adaptive_avg_pool1d_backward(np.ones((1, 1)), (1, 4))
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    fn = "adaptive_avg_pool1d_backward"
    g, shape = _grad(fn, grad_output, input_shape, 1, gpu=True)
    if is_gpu(g):
        return _gpu_layers.adaptive_avg_pool_backward(g, shape, 1)
    shape1 = shape[:-1] + (1,) + shape[-1:]
    return _core.adaptive_avg_pool_backward(_row(g), shape1, workers=workers)[..., 0, :]


def adaptive_avg_pool2d_backward(grad_output, input_shape, *, workers=None):
    """Gradient of :func:`adaptive_avg_pool2d` onto ``input_shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.adaptive_avg_pool2d_backward(np.ones((1, 1, 1)), (1, 2, 2))
    array([[[0.25, 0.25],
            [0.25, 0.25]]])
    """
    fn = "adaptive_avg_pool2d_backward"
    g, shape = _grad(fn, grad_output, input_shape, 2, gpu=True)
    if is_gpu(g):
        even = _even_windows(shape[-2:], g.shape[-2:])
        if even is not None:
            return _avg_backward_kernel(g, shape, *even, workers, "gpu")
        return _gpu_layers.adaptive_avg_pool_backward(g, shape, 2)
    return _core.adaptive_avg_pool_backward(g, shape, workers=workers)


# --- interpolate ------------------------------------------------------------------------------


def _interp_args(fn, in_shape, size, scale_factor, mode, align_corners, recompute_scale_factor):
    """Canonical ``(spatial, out_sizes, scales, mode, align_corners)`` with torch's rules."""
    if not isinstance(mode, str) or mode not in INTERPOLATE_MODES:
        raise ValueError(
            f"{fn}: mode must be one of {', '.join(map(repr, INTERPOLATE_MODES))}; got {mode!r}"
        )
    if len(in_shape) not in (3, 4):
        raise ValueError(
            f"{fn}: input must be (N, C, L) or (N, C, H, W), as torch's interpolate; got shape "
            f"{tuple(in_shape)}"
        )
    spatial = len(in_shape) - 2
    if mode == "linear" and spatial != 1:
        raise ValueError(f"{fn}: mode 'linear' needs a 3-D input (N, C, L); got shape {in_shape}")
    if mode == "bilinear" and spatial != 2:
        raise ValueError(
            f"{fn}: mode 'bilinear' needs a 4-D input (N, C, H, W); got shape {in_shape}"
        )
    if align_corners is not None:
        if mode not in _LINEAR_MODES:
            raise ValueError(
                f"{fn}: align_corners can only be set with the interpolating modes 'linear' and "
                f"'bilinear'; got align_corners={align_corners!r} with mode {mode!r}"
            )
        align_corners = _bool(fn, "align_corners", align_corners)
    align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{fn}: exactly one of size and scale_factor must be given; got size={size!r} and "
            f"scale_factor={scale_factor!r}"
        )
    in_sizes = tuple(in_shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{fn}: recompute_scale_factor is not meaningful with an explicit size")
        if not (_is_int(size) or isinstance(size, (tuple, list))):
            raise TypeError(f"{fn}: size must be an int or a tuple of {spatial} ints; got {size!r}")
        sizes = _ints(fn, "size", size, spatial) if _is_int(size) or len(tuple(size)) in (
            1, spatial) else None
        if sizes is None:
            raise ValueError(
                f"{fn}: input and output must have the same number of spatial dimensions; got "
                f"input spatial sizes {list(in_sizes)} and size={size!r}"
            )
        scales = (None,) * spatial
    else:
        try:
            factors = (tuple(scale_factor) if not isinstance(scale_factor, numbers.Real)
                       else (scale_factor,) * spatial)
        except TypeError:
            raise TypeError(
                f"{fn}: scale_factor must be a number or a tuple of numbers; got {scale_factor!r}"
            ) from None
        if len(factors) == 1:
            factors = factors * spatial
        if len(factors) != spatial:
            raise ValueError(
                f"{fn}: input and output must have the same number of spatial dimensions; got "
                f"input spatial sizes {list(in_sizes)} and scale_factor={scale_factor!r}"
            )
        if not all(isinstance(f, numbers.Real) and not isinstance(f, bool) and math.isfinite(f)
                   for f in factors):
            raise TypeError(f"{fn}: scale_factor must hold finite numbers; got {scale_factor!r}")
        factors = tuple(float(f) for f in factors)
        sizes = tuple(math.floor(float(n) * f) for n, f in zip(in_sizes, factors))
        scales = (None,) * spatial if recompute_scale_factor else factors
    if any(v <= 0 for v in sizes) or any(v <= 0 for v in in_sizes):
        raise ValueError(
            f"{fn}: input and output sizes should be greater than 0; got input {list(in_sizes)} "
            f"and output {list(sizes)}"
        )
    if mode == "bed_of_nails":
        for n, o in zip(in_sizes, sizes):
            if o % n:
                raise ValueError(
                    f"{fn}: mode 'bed_of_nails' needs an output size that is a whole multiple "
                    f"of the input size; got {o} from {n} (size={size!r}, "
                    f"scale_factor={scale_factor!r})"
                )
    return spatial, sizes, scales, mode, align_corners


def _core_mode(mode):
    return "linear" if mode in _LINEAR_MODES else mode


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, *, workers=None):
    r"""Up- or down-samples the spatial axes, as ``torch.nn.functional.interpolate``.

    Parameters
    ----------
    input : ndarray, float32 or float64
        ``(N, C, L)`` or ``(N, C, H, W)``.
    size : int or tuple of ints, optional
        Output spatial size.
    scale_factor : float or tuple of floats, optional
        Multiplier of the spatial sizes: ``out = floor(in * scale_factor)``. Exactly one of
        ``size`` and ``scale_factor`` is given. As in torch, the coordinate map uses
        ``1 / scale_factor`` unless ``recompute_scale_factor`` is true.
    mode : str
        ``'nearest'`` (source ``floor(dst * scale)``, torch's legacy rule), ``'nearest-exact'``
        (``floor((dst + 0.5) * scale)``), ``'linear'`` (3-D input), ``'bilinear'`` (4-D input),
        ``'area'`` (adaptive average pooling) or the extra ``'bed_of_nails'``: zero-insertion
        upsampling by a whole factor ``f`` per axis, ``out[f i] = input[i]`` and zero between
        (the output size must be a multiple of the input size).
    align_corners : bool, optional
        Linear modes only (default False): map the corner samples onto each other,
        ``src = dst (in - 1) / (out - 1)``, instead of the pixel areas,
        ``src = max(0, (dst + 0.5) scale - 0.5)``.
    recompute_scale_factor : bool, optional

    Returns
    -------
    ndarray
        ``(N, C) + size``, the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.array([[[1., 2., 4.]]])
    >>> F.interpolate(x, scale_factor=2)
    array([[[1., 1., 2., 2., 4., 4.]]])
    >>> F.interpolate(x, size=5, mode="linear", align_corners=True)
    array([[[1. , 1.5, 2. , 3. , 4. ]]])
    >>> F.interpolate(x, scale_factor=2, mode="bed_of_nails")
    array([[[1., 0., 2., 0., 4., 0.]]])
    """
    fn = "interpolate"
    x = _float_array(fn, "input", input, gpu=True)
    spatial, sizes, scales, mode, ac = _interp_args(
        fn, x.shape, size, scale_factor, mode, align_corners, recompute_scale_factor)
    if is_gpu(x):
        if mode == "area":
            return _gpu_layers.adaptive_avg_pool(x, sizes)
        return _gpu_layers.interpolate(x, sizes, scales, _core_mode(mode), bool(ac))
    if mode == "area":
        return _core.adaptive_avg_pool(x if spatial == 2 else _row(x),
                                       sizes if spatial == 2 else (1,) + sizes,
                                       workers=workers).reshape(x.shape[:2] + sizes)
    if spatial == 1:
        return _core.interpolate(_row(x), (1,) + sizes, (None,) + scales, _core_mode(mode), ac,
                                 False, workers=workers)[..., 0, :]
    return _core.interpolate(x, sizes, scales, _core_mode(mode), ac, True, workers=workers)


def interpolate_backward(grad_output, input_shape, size=None, scale_factor=None, mode="nearest",
                         align_corners=None, recompute_scale_factor=None, *, workers=None):
    """Gradient of :func:`interpolate` with respect to its input.

    Takes the forward call's arguments after ``input``, with ``input_shape`` in place of the
    input; ``grad_output`` must have the forward output's shape. Each output gradient is added
    back to the input samples it was computed from, with the same weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import _pooling
    >>> _pooling.interpolate_backward(np.ones((1, 1, 6)), (1, 1, 3), scale_factor=2)
    array([[[2., 2., 2.]]])
    """
    fn = "interpolate_backward"
    g = _float_array(fn, "grad_output", grad_output, gpu=True)
    shape = _shape(fn, "input_shape", input_shape, (3, 4))
    spatial, sizes, scales, mode, ac = _interp_args(
        fn, shape, size, scale_factor, mode, align_corners, recompute_scale_factor)
    if g.shape != shape[:2] + sizes:
        raise ValueError(
            f"{fn}: grad_output must have the output shape {shape[:2] + sizes}; got {g.shape}"
        )
    if is_gpu(g):
        if mode == "area":
            return _gpu_layers.adaptive_avg_pool_backward(g, shape, spatial)
        return _gpu_layers.interpolate_backward(g, shape, scales, _core_mode(mode), bool(ac))
    if mode == "area":
        if spatial == 1:
            shape1 = shape[:-1] + (1,) + shape[-1:]
            return _core.adaptive_avg_pool_backward(_row(g), shape1, workers=workers)[..., 0, :]
        return _core.adaptive_avg_pool_backward(g, shape, workers=workers)
    if spatial == 1:
        shape1 = shape[:-1] + (1,) + shape[-1:]
        return _core.interpolate_backward(_row(g), shape1, (None,) + scales, _core_mode(mode),
                                          ac, False, workers=workers)[..., 0, :]
    return _core.interpolate_backward(g, shape, scales, _core_mode(mode), ac, True,
                                      workers=workers)
