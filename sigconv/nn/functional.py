"""Functional neural-network ops with torch's names, signatures and semantics.

Every op accepts numpy arrays or :class:`sigconv.Tensor` and returns the same kind: with any Tensor
argument the result is a Tensor that records its backward for autograd; with numpy arrays only the
result is a numpy array (no graph is built). Convolution, pooling, resampling, padding and the dense
layer's GEMM run in the Rust kernels (``sigconv.nn._conv``, ``sigconv.nn._pooling``); activations and
losses are vectorised numpy expressions. Layouts are torch's: ``(N, C, L)`` and ``(N, C, H, W)``.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from sigconv import autograd as _ag
from sigconv.autograd import Tensor, _result, _wrap
from sigconv._gpu_array import GpuArray, is_gpu, no_kernel
from sigconv.nn import _conv, _gpu_layers, _pooling
from sigconv.signal import _workers

__all__ = [
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "min_pool1d",
    "min_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "interpolate",
    "upsample",
    "pad",
    "linear",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
    "one_hot",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "batch_norm",
    "embedding",
    "flatten",
]


# ---- numpy in -> numpy out, Tensor in -> Tensor out -------------------------------------------
def _tensor_aware(fn):
    """Run ``fn`` on Tensors; when no argument is a Tensor, wrap arrays, skip the graph, unwrap."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any(isinstance(a, Tensor) for a in args) or any(isinstance(v, Tensor) for v in kwargs.values()):
            return fn(*args, **kwargs)
        args = tuple(_wrap(a) if isinstance(a, np.ndarray) else a for a in args)
        kwargs = {k: (_wrap(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        with _ag.no_grad():
            out = fn(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(o._data if isinstance(o, Tensor) else o for o in out)
        return out._data if isinstance(out, Tensor) else out

    return wrapper


def _as_t(x, name, optional=False):
    if isinstance(x, Tensor):
        return x
    if x is None:
        if optional:
            return None
        raise TypeError(f"{name} must be a Tensor or an array, got None")
    if isinstance(x, (np.ndarray, list, tuple, numbers.Number)):
        return _wrap(np.asarray(x))
    raise TypeError(f"{name} must be a Tensor or an array, got {type(x).__name__}")


def _float_input(x, name, ndims):
    x = _as_t(x, name)
    if x._data.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got dtype {x._data.dtype}")
    if x._data.ndim not in ndims:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndims))} dimensions, got shape {x.shape}")
    return x


def _same_dtype(x, other, name):
    if other is not None and other._data.dtype != x._data.dtype:
        raise TypeError(f"{name} has dtype {other._data.dtype} but input has {x._data.dtype}: they must match")


def _ntuple(v, n, name, minimum=0):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v!r}")
        out = tuple(v)
    else:
        out = (v,) * n
    for e in out:
        if (not isinstance(e, (numbers.Integral, np.integer)) or isinstance(e, bool)
                or not minimum <= e <= np.iinfo(np.int64).max):
            raise ValueError(f"{name} must be integers from {minimum} to 2**63 - 1, got {v!r}")
    return tuple(int(e) for e in out)


def _c(a):
    return a if is_gpu(a) else np.ascontiguousarray(a)


def _real(name, value, minimum=None):
    """``value`` as a float: a real number (not a bool), at least ``minimum`` when given; else a
    TypeError / ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    value = float(value)
    if minimum is not None and not value >= minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}")
    return value


def _unbatched(x, nd):
    """torch accepts one unbatched sample, (C, *spatial): add the batch axis and remember."""
    if x._data.ndim == nd + 1:
        return x.unsqueeze(0), True
    return x, False


# ---- convolution -----------------------------------------------------------------------------
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _conv_padding(padding, kernel, dilation, stride, nd):
    """Symmetric padding per axis plus the extra right padding that odd 'same' totals need."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, None
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"padding='same' is not supported for strided convolutions, got stride={stride}")
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            sym = tuple(t // 2 for t in totals)
            extra = tuple(t - 2 * (t // 2) for t in totals)
            return sym, (extra if any(extra) else None)
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    return _ntuple(padding, nd, "padding"), None


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups, padding_mode="zeros", device="cpu"):
    x = _float_input(input, "input", (nd + 1, nd + 2))
    w = _float_input(weight, "weight", (nd + 2,))
    b = _as_t(bias, "bias", optional=True)
    _same_dtype(x, w, "weight")
    _same_dtype(x, b, "bias")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
    x, unb = _unbatched(x, nd)
    stride = _ntuple(stride, nd, "stride", 1)
    dilation = _ntuple(dilation, nd, "dilation", 1)
    if not isinstance(groups, (numbers.Integral, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    c_in, c_out = x.shape[1], w.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide in_channels={c_in} and out_channels={c_out}")
    if w.shape[1] * groups != c_in:
        raise ValueError(f"weight of shape {w.shape} expects {w.shape[1] * groups} input channels, got input of shape {x.shape}")
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {b.shape}")
    kernel = w.shape[2:]
    pads, extra = _conv_padding(padding, kernel, dilation, stride, nd)
    if extra is not None:
        # odd 'same' totals: one more sample on the right, as torch
        mode = "constant" if padding_mode == "zeros" else padding_mode
        widths = []
        for i in reversed(range(nd)):
            widths += [pads[i], pads[i] + extra[i]]
        x = pad(x, tuple(widths), mode=mode)
        pads = (0,) * nd
    for i in range(nd):
        eff = dilation[i] * (kernel[i] - 1) + 1
        if x.shape[2 + i] + 2 * pads[i] < eff:
            raise ValueError(f"input of spatial shape {x.shape[2:]} (padded by {pads}) is smaller than the dilated kernel {kernel}")
    fwd = _conv.conv1d if nd == 1 else _conv.conv2d
    bwd = _conv.conv1d_backward if nd == 1 else _conv.conv2d_backward
    xd, wd = x._data, w._data
    out = fwd(_c(xd), _c(wd), None if b is None else _c(b._data), stride, pads, dilation, groups, padding_mode,
              device=device)

    def backward(g):
        mask = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
        gi, gw, gb = bwd(_c(g), _c(xd), _c(wd), stride, pads, dilation, groups, padding_mode, mask, device=device)
        return (gi, gw) if b is None else (gi, gw, gb)

    parents = (x, w) if b is None else (x, w, b)
    y = _result(out, parents, backward)
    return y.squeeze(0) if unb else y


@_tensor_aware
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", *, device="cpu"):
    """1-D cross-correlation over ``(N, C_in, L)`` input, as ``torch.nn.functional.conv1d``.

    ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``;
    ``padding`` may be ``'valid'`` or ``'same'`` (stride 1). ``padding_mode`` (extra, as the layer's
    argument in torch) pads with ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
    ``device='cpu'|'gpu'|'auto'`` (extra) picks where the forward and the gradients run.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.arange(5, dtype=np.float32).reshape(1, 1, 5)
    >>> F.conv1d(x, np.ones((1, 1, 3), np.float32))
    array([[[3., 6., 9.]]], dtype=float32)
    """
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups, padding_mode, device)


@_tensor_aware
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", *, device="cpu"):
    """2-D cross-correlation over ``(N, C_in, H, W)`` input, as ``torch.nn.functional.conv2d``.

    ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)``,
    likewise ``W_out``; ``padding`` may be ``'valid'`` or ``'same'``; ``device='cpu'|'gpu'|'auto'``
    (extra) picks where the forward and the gradients run.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.ones((1, 1, 4, 4), np.float32)
    >>> F.conv2d(x, np.ones((2, 1, 3, 3), np.float32), padding=1)[0, 0]
    array([[4., 6., 6., 4.],
           [6., 9., 9., 6.],
           [6., 9., 9., 6.],
           [4., 6., 6., 4.]], dtype=float32)
    """
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups, padding_mode, device)


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation, device="cpu"):
    x = _float_input(input, "input", (nd + 1, nd + 2))
    w = _float_input(weight, "weight", (nd + 2,))
    b = _as_t(bias, "bias", optional=True)
    _same_dtype(x, w, "weight")
    _same_dtype(x, b, "bias")
    x, unb = _unbatched(x, nd)
    stride = _ntuple(stride, nd, "stride", 1)
    dilation = _ntuple(dilation, nd, "dilation", 1)
    pads = _ntuple(padding, nd, "padding")
    opad = _ntuple(output_padding, nd, "output_padding")
    for i in range(nd):
        if opad[i] >= max(stride[i], dilation[i]):
            raise ValueError(f"output_padding={opad} must be smaller than stride or dilation, got stride={stride}, dilation={dilation}")
    if not isinstance(groups, (numbers.Integral, np.integer)) or groups < 1 or x.shape[1] % groups:
        raise ValueError(f"groups must be a positive integer dividing in_channels={x.shape[1]}, got {groups!r}")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"weight of shape {w.shape} expects {w.shape[0]} input channels, got input of shape {x.shape}")
    c_out = w.shape[1] * groups
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {b.shape}")
    for i in range(nd):
        size = (x.shape[2 + i] - 1) * stride[i] - 2 * pads[i] + dilation[i] * (w.shape[2 + i] - 1) + opad[i] + 1
        if size < 1:
            raise ValueError(f"the output would have size {size} along spatial axis {i}: padding={pads} is too large")
    fwd = _conv.conv_transpose1d if nd == 1 else _conv.conv_transpose2d
    bwd = _conv.conv_transpose1d_backward if nd == 1 else _conv.conv_transpose2d_backward
    xd, wd = x._data, w._data
    out = fwd(_c(xd), _c(wd), None if b is None else _c(b._data), stride, pads, opad, groups, dilation, device=device)

    def backward(g):
        mask = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
        gi, gw, gb = bwd(_c(g), _c(xd), _c(wd), stride, pads, opad, groups, dilation, mask, device=device)
        return (gi, gw) if b is None else (gi, gw, gb)

    parents = (x, w) if b is None else (x, w, b)
    y = _result(out, parents, backward)
    return y.squeeze(0) if unb else y


@_tensor_aware
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, device="cpu"):
    """Transposed 1-D convolution, as ``torch.nn.functional.conv_transpose1d``.

    ``weight`` has shape ``(C_in, C_out / groups, K)``;
    ``L_out = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.conv_transpose1d(np.ones((1, 1, 2), np.float32), np.ones((1, 1, 2), np.float32), stride=2)
    array([[[1., 1., 1., 1.]]], dtype=float32)
    """
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups, dilation, device)


@_tensor_aware
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, device="cpu"):
    """Transposed 2-D convolution, as ``torch.nn.functional.conv_transpose2d``.

    ``weight`` has shape ``(C_in, C_out / groups, KH, KW)``;
    ``H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (KH - 1) + output_padding[0] + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.conv_transpose2d(np.ones((1, 1, 1, 1), np.float32), np.ones((1, 3, 2, 2), np.float32)).shape
    (1, 3, 2, 2)
    """
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups, dilation, device)


# ---- padding ---------------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


@_tensor_aware
def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` axes, as ``torch.nn.functional.pad``.

    ``pad`` lists ``(left, right)`` of the last axis first, then of the axis before, and so on.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.pad(np.array([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
    array([[[3., 2., 1., 2., 3., 2.]]])
    """
    x = _as_t(input, "input")
    if mode not in _PAD_MODES:
        raise ValueError(f"mode must be one of {_PAD_MODES}, got {mode!r}")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad must be a tuple of ints; got {pad!r}")
    if value is not None:
        value = _real("value", value)
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or not all(isinstance(p, (numbers.Integral, np.integer)) for p in pad):
        raise ValueError(f"pad must be an even-length tuple of ints covering at most {x.ndim} axes, got {pad!r}")
    pad = tuple(int(p) for p in pad)
    if mode != "constant" and any(p < 0 for p in pad):
        raise ValueError(f"pad must be non-negative for mode={mode!r}, got {pad!r}")
    for i in range(len(pad) // 2):
        n = x.shape[-1 - i]
        if mode == "reflect" and max(pad[2 * i], pad[2 * i + 1]) >= n:
            raise ValueError(f"reflect padding {pad[2 * i:2 * i + 2]} must be smaller than the axis length {n}")
        if mode == "circular" and max(pad[2 * i], pad[2 * i + 1]) > n:
            raise ValueError(f"circular padding {pad[2 * i:2 * i + 2]} must not exceed the axis length {n}")
    xd = x._data
    shape = xd.shape
    if value is not None and mode != "constant":
        raise ValueError(f"value applies to mode='constant' only, got mode={mode!r} with value={value!r}")
    out = _conv.pad(_c(xd), pad, mode, value)
    return _result(out, (x,), lambda g: (_conv.pad_backward(_c(g), shape, pad, mode),))


# ---- pooling and resampling ------------------------------------------------------------------
# sigconv.nn._pooling checks and normalises every argument (one source of truth for torch's rules
# and messages) and holds the backward kernels; here each op only joins the autograd graph.
def _pool_op(name, input, args, backward_args, workers, indices_out=False, device=None):
    """Run ``_pooling.<name>`` on ``input``'s data; its gradient calls ``<name>_backward`` with
    ``backward_args(result)`` after the output gradient (both on ``device`` when given)."""
    x = _as_t(input, "input")
    workers = _workers(workers)
    kw = {"workers": workers} if device is None else {"workers": workers, "device": device}
    res = getattr(_pooling, name)(x._data, *args, **kw)
    out = res[0] if indices_out else res
    bwd = getattr(_pooling, f"{name}_backward")
    extra = backward_args(res)
    y = _result(out, (x,), lambda g: (bwd(_c(g), *extra, **kw),))
    return (y, _wrap(res[1])) if indices_out else y


def _extreme_pool(kind, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, workers, device):
    name = f"{kind}_pool{nd}d"
    shape = _as_t(input, "input").shape
    y, ind = _pool_op(name, input, (kernel_size, stride, padding, dilation, ceil_mode, True),
                      lambda res: (res[1], shape), workers, indices_out=True, device=device)
    return (y, ind) if _pooling._bool(name, "return_indices", return_indices) else y


@_tensor_aware
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *, workers=None, device="cpu"):
    """Max pooling over ``(N, C, L)``, as ``torch.nn.functional.max_pool1d``
    (see :func:`sigconv.nn._pooling.max_pool1d` for the formula and arguments). Extras, as on
    every pooling op here: ``workers=`` (threads) and, for max/min/average pooling,
    ``device='cpu'|'gpu'|'auto'`` (forward and gradient).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.max_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    array([[[3., 2.]]])
    """
    return _extreme_pool("max", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, workers, device)


@_tensor_aware
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *, workers=None, device="cpu"):
    """Max pooling over ``(N, C, H, W)``, as ``torch.nn.functional.max_pool2d``
    (see :func:`sigconv.nn._pooling.max_pool2d`).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return _extreme_pool("max", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, workers, device)


@_tensor_aware
def min_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *, workers=None, device="cpu"):
    """Min pooling over ``(N, C, L)`` (an extra: torch has none); arguments as :func:`max_pool1d`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.min_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    array([[[1., 0.]]])
    """
    return _extreme_pool("min", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, workers, device)


@_tensor_aware
def min_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *, workers=None, device="cpu"):
    """Min pooling over ``(N, C, H, W)`` (an extra); arguments as :func:`max_pool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.min_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 0.,  2.],
             [ 8., 10.]]]])
    """
    return _extreme_pool("min", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, workers, device)


@_tensor_aware
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, *, workers=None, device="cpu"):
    """Average pooling over ``(N, C, L)``, as ``torch.nn.functional.avg_pool1d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.avg_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    array([[[2., 1.]]])
    """
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad)
    shape = _as_t(input, "input").shape
    return _pool_op("avg_pool1d", input, args, lambda _: (shape,) + args, workers, device=device)


@_tensor_aware
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None, *, workers=None, device="cpu"):
    """Average pooling over ``(N, C, H, W)``, as ``torch.nn.functional.avg_pool2d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    shape = _as_t(input, "input").shape
    return _pool_op("avg_pool2d", input, args, lambda _: (shape,) + args, workers, device=device)


def _indices_data(indices):
    return indices._data if isinstance(indices, Tensor) else indices


@_tensor_aware
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *, workers=None):
    """Inverse of :func:`max_pool1d` given its indices, as ``torch.nn.functional.max_unpool1d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> y, i = F.max_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> F.max_unpool1d(y, i, 2)
    array([[[0., 3., 2., 0.]]])
    """
    idx = _indices_data(indices)
    return _pool_op("max_unpool1d", input, (idx, kernel_size, stride, padding, output_size),
                    lambda _: (idx,), workers)


@_tensor_aware
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *, workers=None):
    """Inverse of :func:`max_pool2d` given its indices, as ``torch.nn.functional.max_unpool2d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> y, i = F.max_pool2d(np.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
    >>> F.max_unpool2d(y, i, 2)
    array([[[[0., 0.],
             [0., 3.]]]])
    """
    idx = _indices_data(indices)
    return _pool_op("max_unpool2d", input, (idx, kernel_size, stride, padding, output_size),
                    lambda _: (idx,), workers)


@_tensor_aware
def adaptive_avg_pool1d(input, output_size, *, workers=None):
    """Average pooling to a fixed output length, as ``torch.nn.functional.adaptive_avg_pool1d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.adaptive_avg_pool1d(np.arange(6.0).reshape(1, 1, 6), 2)
    array([[[1., 4.]]])
    """
    shape = _as_t(input, "input").shape
    return _pool_op("adaptive_avg_pool1d", input, (output_size,), lambda _: (shape,), workers)


@_tensor_aware
def adaptive_avg_pool2d(input, output_size, *, workers=None):
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1)
    array([[[[7.5]]]])
    """
    shape = _as_t(input, "input").shape
    return _pool_op("adaptive_avg_pool2d", input, (output_size,), lambda _: (shape,), workers)


@_tensor_aware
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None, *, workers=None):
    """Resample ``(N, C, L)`` or ``(N, C, H, W)``, as ``torch.nn.functional.interpolate``.

    Modes ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (1-D), ``'bilinear'`` (2-D), ``'area'``
    and the extra ``'bed_of_nails'`` (each sample at the top-left of its ``scale_factor`` block,
    zeros elsewhere).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.interpolate(np.array([[[1.0, 2.0]]]), scale_factor=2)
    array([[[1., 1., 2., 2.]]])
    """
    args = (size, scale_factor, mode, align_corners, recompute_scale_factor)
    shape = _as_t(input, "input").shape
    return _pool_op("interpolate", input, args, lambda _: (shape,) + args, workers)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None, *, workers=None):
    """Alias of :func:`interpolate` (torch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners, workers=workers)


# ---- dense layers ----------------------------------------------------------------------------
@_tensor_aware
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last axis, as ``torch.nn.functional.linear``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.linear(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), np.zeros(4, np.float32))
    array([[3., 3., 3., 3.],
           [3., 3., 3., 3.]], dtype=float32)
    """
    x = _float_input(input, "input", tuple(range(1, 33)))
    w = _float_input(weight, "weight", (2,))
    b = _as_t(bias, "bias", optional=True)
    _same_dtype(x, w, "weight")
    _same_dtype(x, b, "bias")
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"input has {x.shape[-1]} features but weight of shape {w.shape} expects {w.shape[1]}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"bias must have shape ({w.shape[0]},), got {b.shape}")
    xd, wd = x._data, w._data
    lead = xd.shape[:-1]
    x2 = _c(xd.reshape(-1, xd.shape[-1]))
    out = _conv.linear(x2, _c(wd), None if b is None else _c(b._data))
    out = out.reshape(lead + (wd.shape[0],))

    def backward(g):
        mask = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
        gi, gw, gb = _conv.linear_backward(_c(g.reshape(-1, g.shape[-1])), x2, _c(wd), mask)
        if gi is not None:
            gi = gi.reshape(xd.shape)
        return (gi, gw) if b is None else (gi, gw, gb)

    return _result(out, (x, w) if b is None else (x, w, b), backward)


@_tensor_aware
def flatten(input, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one, as ``torch.flatten``."""
    return _as_t(input, "input").flatten(start_dim, end_dim)


@_tensor_aware
def embedding(input, weight):
    """Rows of ``weight`` picked by the integer ``input``, as ``torch.nn.functional.embedding``.

    On GPU tensors (both on the GPU) the lookup and its gradient run on the device; the indices
    are read back to host memory once per call, for the range check and to group the gradient's
    rows (a stable sort), so that each row adds its gradients in numpy's order."""
    idx = _as_t(input, "input")
    if idx._data.dtype.kind not in "iu":
        raise TypeError(f"input must hold integer indices, got dtype {idx._data.dtype}")
    w = _as_t(weight, "weight")
    wd, ii = w._data, idx._data
    if is_gpu(wd) != is_gpu(ii):
        raise ValueError(f"embedding: input is on the {'GPU' if is_gpu(ii) else 'CPU'} and weight on "
                         f"the {'GPU' if is_gpu(wd) else 'CPU'}; move both with .to(...)")
    host = ii.numpy() if is_gpu(ii) else ii
    n = w.shape[0]
    if host.size and (host.min() < 0 or host.max() >= n):
        raise ValueError(f"input indices must lie in [0, {n}), got values in [{host.min()}, {host.max()}]")
    if w._data.ndim != 2:
        raise ValueError(f"weight must be 2-D (num_embeddings, embedding_dim), got shape {w.shape}")
    if is_gpu(wd):
        from sigconv._gpu_array import add_rows_at, take_rows

        return _result(take_rows(wd, ii), (w,), lambda g: (add_rows_at(n, host, g),))

    def backward(g):
        z = np.zeros_like(wd)
        np.add.at(z, ii.reshape(-1), g.reshape(-1, wd.shape[1]))
        return (z,)

    return _result(wd[ii], (w,), backward)


# ---- activations -----------------------------------------------------------------------------
@_tensor_aware
def relu(input, inplace=False):
    """``max(input, 0)``, as ``torch.nn.functional.relu``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.relu(np.array([-1.0, 0.5]))
    array([0. , 0.5])
    """
    return _as_t(input, "input").relu()


@_tensor_aware
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``input`` where positive, ``negative_slope * input`` elsewhere."""
    x = _as_t(input, "input")
    a = x._data
    pos = a > 0
    out = np.where(pos, a, a * a.dtype.type(negative_slope))
    return _result(out, (x,), lambda g: (np.where(pos, g, g * g.dtype.type(negative_slope)),))


@_tensor_aware
def sigmoid(input):
    """``1 / (1 + exp(-input))``, computed without overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.sigmoid(np.array([0.0]))
    array([0.5])
    """
    return _as_t(input, "input").sigmoid()


@_tensor_aware
def tanh(input):
    """Hyperbolic tangent."""
    return _as_t(input, "input").tanh()


def _dim_or_default(dim, ndim):
    if dim is None:
        # torch's legacy rule for an implicit dim
        return 0 if ndim in (0, 1, 3) else 1
    return dim


@_tensor_aware
def softmax(input, dim=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, as ``torch.nn.functional.softmax``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.softmax(np.log(np.array([[1.0, 3.0]])), dim=1)
    array([[0.25, 0.75]])
    """
    x = _float_input(input, "input", tuple(range(0, 33)))
    d = _dim_or_default(dim, x.ndim)
    a = x._data
    e = np.exp(a - a.max(axis=d, keepdims=True))
    out = e / e.sum(axis=d, keepdims=True)
    return _result(out, (x,), lambda g: (out * (g - (g * out).sum(axis=d, keepdims=True)),))


@_tensor_aware
def log_softmax(input, dim=None):
    """``x - log(sum(exp(x)))`` along ``dim``, as ``torch.nn.functional.log_softmax``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> np.exp(F.log_softmax(np.log(np.array([[1.0, 3.0]])), dim=1))
    array([[0.25, 0.75]])
    """
    x = _float_input(input, "input", tuple(range(0, 33)))
    d = _dim_or_default(dim, x.ndim)
    out = _log_softmax_np(x._data, d)
    return _result(out, (x,), lambda g: (g - np.exp(out) * g.sum(axis=d, keepdims=True),))


def _log_softmax_np(a, d):
    m = a.max(axis=d, keepdims=True)
    s = a - m
    return s - np.log(np.exp(s).sum(axis=d, keepdims=True))


@_tensor_aware
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` when training.

    Draws from the generator seeded by :func:`sigconv.manual_seed`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.dropout(np.ones(3), p=0.5, training=False)
    array([1., 1., 1.])
    """
    x = _as_t(input, "input")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return x
    a = x._data
    if is_gpu(a):  # the mask is drawn on the device (a hash of a seed from the default generator)
        mask = _gpu_layers.dropout_mask(a.shape, a.dtype, p, _ag.default_generator())
    elif p == 1.0:
        mask = np.zeros(a.shape, a.dtype)
    else:
        keep = _ag.default_generator().random(a.shape, dtype=np.float32) >= p
        mask = keep.astype(a.dtype) * a.dtype.type(1.0 / (1.0 - p))
    return _result(a * mask, (x,), lambda g: (g * mask,))


@_tensor_aware
def one_hot(tensor, num_classes=-1):
    """Integer class labels to one-hot rows (int64), as ``torch.nn.functional.one_hot``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> F.one_hot(np.array([0, 2]), 3)
    array([[1, 0, 0],
           [0, 0, 1]])
    """
    t = _as_t(tensor, "tensor")
    a = t._data
    if a.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices, got dtype {a.dtype}")
    n = int(a.max()) + 1 if num_classes == -1 else int(num_classes)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(f"one_hot: class values must lie in [0, {n}), got values in [{a.min()}, {a.max()}]")
    out = np.zeros(a.shape + (n,), dtype=np.int64)
    np.put_along_axis(out, a[..., None].astype(np.int64), 1, axis=-1)
    return _wrap(out)


# ---- losses ----------------------------------------------------------------------------------
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def class_indices(target, shape, classes, ignore_index):
    """Checks the class-index ``target`` of a classification loss (torch's rules) and flattens it:
    of ``shape`` (the input's without its class axis), every index in ``[0, classes)`` or equal to
    ``ignore_index``. Returns ``(indices, valid, safe)``: the int64 indices, where they are not
    ``ignore_index``, and the indices with ``ignore_index`` replaced by class 0 (safe to index)."""
    if target.shape != tuple(shape):
        raise ValueError(f"target of class indices must have shape {tuple(shape)}, got {target.shape}")
    ti = target.reshape(-1).astype(np.int64)
    valid = ti != ignore_index
    bad = valid & ((ti < 0) | (ti >= classes))
    if np.any(bad):
        raise ValueError(f"target class indices must lie in [0, {classes}) (or equal "
                         f"ignore_index={ignore_index}); got {ti[np.argmax(bad)]}")
    return ti, valid, np.where(valid, ti, 0)


@_tensor_aware
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` ``(N, C)`` or ``(N, C, d1, ...)`` against ``target``.

    ``target`` holds class indices (shape ``(N,)`` / ``(N, d1, ...)``) or class probabilities (the
    shape of ``input``), as ``torch.nn.functional.cross_entropy``, with class ``weight``,
    ``ignore_index`` (indices only), ``reduction`` and ``label_smoothing``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> logits = np.log(np.array([[0.25, 0.75]]))
    >>> round(float(F.cross_entropy(logits, np.array([1]))), 6)  # -log(0.75)
    0.287682
    """
    x = _float_input(input, "input", tuple(range(1, 33)))
    t = _as_t(target, "target")
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    a = x._data
    if is_gpu(a):
        return _cross_entropy_gpu(x, t, weight, ignore_index, reduction, label_smoothing)
    if a.ndim == 1:
        a = a[None]
        t_arr = t._data[None]
        squeeze = True
    else:
        t_arr = t._data
        squeeze = False
    n_cls = a.shape[1]
    # classes last, one row per (sample, position)
    a2 = np.moveaxis(a, 1, -1).reshape(-1, n_cls)
    logp = _log_softmax_np(a2, 1)
    w = None if weight is None else _as_t(weight, "weight")._data.astype(a.dtype)
    if w is not None and w.shape != (n_cls,):
        raise ValueError(f"weight must have shape ({n_cls},), got {w.shape}")
    eps = a.dtype.type(label_smoothing)
    if t_arr.dtype.kind in "iu":
        ti, valid, tsafe = class_indices(t_arr, a.shape[:1] + a.shape[2:], n_cls, ignore_index)
        coef = np.zeros_like(logp)
        wt = np.ones(len(ti), a.dtype) if w is None else w[tsafe]
        coef[np.arange(len(ti)), tsafe] = (1 - eps) * wt
        if eps:
            coef += eps / n_cls * (np.ones(n_cls, a.dtype) if w is None else w)[None, :]
        coef *= valid[:, None]
        denom = (wt * valid).sum()
        # as torch's nll_loss, class indices read only the classes they weigh: a logit of -inf
        # elsewhere (a masked class) gives 0, not 0 * -inf
        terms = np.multiply(coef, logp, out=np.zeros_like(logp), where=coef != 0)
    else:
        if t_arr.shape != a.shape:
            raise ValueError(f"target of class probabilities must have the shape of input {a.shape}, got {t_arr.shape}")
        q = np.moveaxis(t_arr.astype(a.dtype), 1, -1).reshape(-1, n_cls)
        if eps:
            q = q * (1 - eps) + eps / n_cls
        coef = q if w is None else q * w[None, :]
        denom = a.dtype.type(len(q))
        terms = coef * logp
    per = -terms.sum(axis=1)
    rows = a.shape[:1] + a.shape[2:]
    if reduction == "none":
        out = per.reshape(rows)
        if squeeze:
            out = out[0]
    elif reduction == "sum":
        out = np.asarray(per.sum(), dtype=a.dtype)
    else:
        out = np.asarray(per.sum() / denom, dtype=a.dtype)
    shape = a.shape

    def backward(g):
        if reduction == "none":
            gr = np.asarray(g, a.dtype).reshape(-1, 1)
        elif reduction == "sum":
            gr = np.asarray(g, a.dtype)
        else:
            gr = np.asarray(g / denom, a.dtype)
        grad2 = (coef.sum(axis=1, keepdims=True) * np.exp(logp) - coef) * gr
        grad = np.moveaxis(grad2.reshape(shape[:1] + shape[2:] + (n_cls,)), -1, 1)
        if squeeze:
            grad = grad[0]
        return (np.ascontiguousarray(grad),)

    return _result(out, (x,), backward)


def _cross_entropy_gpu(x, t, weight, ignore_index, reduction, label_smoothing):
    """cross_entropy of GPU-resident (N, C) logits against class indices, without class weights
    or label smoothing (the other cases have no GPU kernel yet)."""
    if weight is not None or label_smoothing:
        raise no_kernel("cross_entropy with class weights or label smoothing")
    if x.ndim != 2:
        raise no_kernel(f"cross_entropy of logits of shape {x.shape} (only (N, C))")
    target = t._data
    if is_gpu(target):
        if target.shape != x.shape[:1]:
            raise ValueError(f"target of class indices must have shape {x.shape[:1]}, got {target.shape}")
    elif target.dtype.kind in "iu":
        target = class_indices(target, x.shape[:1], x.shape[1], ignore_index)[0]
    out, back = _gpu_layers.cross_entropy(x._data, target, ignore_index, reduction)
    return _result(out, (x,), lambda g: (back(g),))


@_tensor_aware
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (``(C,)``, ``(N, C)`` or
    ``(N, C, d1, ...)``) at class indices ``target`` (``()``, ``(N,)`` or ``(N, d1, ...)``), as
    ``torch.nn.functional.nll_loss``, with class ``weight``, ``ignore_index`` and ``reduction``.

    Only the target class's entry of each row is read (a ``-inf`` elsewhere does not matter), on
    the device ``input`` is on: on the GPU the targets and weights are checked in host memory
    (GPU ones are read back once per call, as ``Embedding`` does) and the picked entries are one
    gather there, the gradient one scatter.
    """
    x = _float_input(input, "input", tuple(range(1, 33)))
    _check_reduction(reduction)
    t = _host(_as_t(target, "target")._data)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices; got dtype {t.dtype}")
    a = x._data
    axis = 1 if a.ndim > 1 else 0
    n_cls = a.shape[axis]
    rows = a.shape[:axis] + a.shape[axis + 1:]
    _, valid, tsafe = class_indices(t, rows, n_cls, ignore_index)
    if weight is None:
        wt = valid.astype(a.dtype)
    else:
        w = _host(_as_t(weight, "weight")._data)
        if w.shape != (n_cls,):
            raise ValueError(f"weight must have shape ({n_cls},), got {w.shape}")
        wt = w.astype(a.dtype)[tsafe] * valid
    denom = wt.sum()
    idx, wt, valid = np.expand_dims(tsafe.reshape(rows), axis), wt.reshape(rows), valid.reshape(rows)
    if is_gpu(a):  # (a GPU where takes its condition in the operands' dtype)
        idx, wt, valid = (GpuArray.from_numpy(v) for v in (idx, wt, valid.astype(a.dtype)))
    # an ignored row reads class 0 in place of its target, and gives 0 whatever that entry holds
    per = -np.where(valid, np.take_along_axis(a, idx, axis=axis).squeeze(axis), 0) * wt
    if reduction == "none":
        out = per
    elif reduction == "sum":
        out = per.sum()
    else:
        out = per.sum() / denom

    def backward(g):
        gr = g / denom if reduction == "mean" else g
        z = np.zeros_like(a)
        np.put_along_axis(z, idx, np.expand_dims(-wt * gr, axis), axis=axis)
        return (z,)

    return _result(out, (x,), backward)


def _host(arr):
    """A small GPU array (targets, class weights) read back into host memory; host arrays as they
    are."""
    return arr.numpy() if is_gpu(arr) else arr


@_tensor_aware
def mse_loss(input, target, reduction="mean"):
    """Mean squared error, as ``torch.nn.functional.mse_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> float(F.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    x = _as_t(input, "input")
    t = _as_t(target, "target")
    _check_reduction(reduction)
    if x.shape != t.shape:
        raise ValueError(f"target shape {t.shape} must equal input shape {x.shape}")
    a, b = x._data, t._data.astype(x._data.dtype, copy=False)
    diff = a - b
    if reduction == "none":
        out, scale = diff * diff, None
    elif reduction == "sum":
        out, scale = _ag._as_array((diff * diff).sum(), a.dtype), 2
    else:
        out, scale = _ag._as_array((diff * diff).mean(), a.dtype), 2 / max(diff.size, 1)

    def backward(g):
        if scale is None:
            gd = 2 * diff * g
        elif is_gpu(g):  # a one-element GPU array: the scale multiplies it on the device
            gd = diff * (g * scale)
        else:
            gd = diff * a.dtype.type(scale * g)
        return gd, (-gd if t.requires_grad else None)

    return _result(out, (x, t), backward)


# ---- normalisation ---------------------------------------------------------------------------
@_tensor_aware
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise over the batch (and spatial) axes per channel, as ``torch.nn.functional.batch_norm``.

    In training the batch statistics are used and ``running_mean`` / ``running_var`` (arrays or
    tensors, updated in place; the variance unbiased) move by ``momentum``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import functional as F
    >>> x = np.array([[1.0], [3.0]])
    >>> F.batch_norm(x, np.zeros(1), np.ones(1), training=True, eps=0.0)
    array([[-1.],
           [ 1.]])
    """
    x = _float_input(input, "input", tuple(range(2, 33)))
    a = x._data
    eps, momentum = _real("eps", eps, 0.0), _real("momentum", momentum)
    c = a.shape[1]
    axes = (0,) + tuple(range(2, a.ndim))
    bshape = (1, c) + (1,) * (a.ndim - 2)
    w = _as_t(weight, "weight", optional=True)
    b = _as_t(bias, "bias", optional=True)
    rm = None if running_mean is None else _as_t(running_mean, "running_mean")
    rv = None if running_var is None else _as_t(running_var, "running_var")
    for name, t in (("weight", w), ("bias", b), ("running_mean", rm), ("running_var", rv)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"{name} must have shape ({c},), got {t.shape}")
    m = a.size // c
    if training:
        if m <= 1:
            raise ValueError(f"expected more than 1 value per channel when training, got input of shape {a.shape}")
        mean = a.mean(axis=axes)
        xc = a - mean.reshape(bshape)
        var = (xc * xc).mean(axis=axes)
        if rm is not None:
            rm._data[...] = (1 - momentum) * rm._data + momentum * mean
        if rv is not None:
            rv._data[...] = (1 - momentum) * rv._data + momentum * var * (m / (m - 1))
    else:
        if rm is None or rv is None:
            raise ValueError("running_mean and running_var are needed when not training")
        mean, var = rm._data.astype(a.dtype), rv._data.astype(a.dtype)
        xc = a - mean.reshape(bshape)
    invstd = (1.0 / np.sqrt(var + eps)).astype(a.dtype)
    xhat = xc * invstd.reshape(bshape)
    out = xhat if w is None else xhat * w._data.reshape(bshape)
    if b is not None:
        out = out + b._data.reshape(bshape)

    def backward(g):
        gw = (g * xhat).sum(axis=axes) if w is not None and w.requires_grad else None
        gb = g.sum(axis=axes) if b is not None and b.requires_grad else None
        gx = None
        if x.requires_grad:
            gxh = g if w is None else g * w._data.reshape(bshape)
            if training:
                s1 = gxh.sum(axis=axes).reshape(bshape)
                s2 = (gxh * xhat).sum(axis=axes).reshape(bshape)
                gx = (invstd.reshape(bshape) / m) * (m * gxh - s1 - xhat * s2)
            else:
                gx = gxh * invstd.reshape(bshape)
        grads = [gx]
        if w is not None:
            grads.append(gw)
        if b is not None:
            grads.append(gb)
        return tuple(grads)

    parents = (x,) + ((w,) if w is not None else ()) + ((b,) if b is not None else ())
    return _result(out.astype(a.dtype, copy=False), parents, backward)

