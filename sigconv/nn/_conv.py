"""Convolution, transposed convolution, padding and linear layers on numpy arrays, with torch's
semantics (``torch.nn.functional``), and their gradients.

Every function takes numpy arrays of one floating dtype (float32 is computed as float32, float64 as
float64) and returns new arrays; the loops run in Rust (``sigconv._core``): im2col tiles times a
packed GEMM, threaded over the batch; with ``device='gpu'`` (keyword-only, every function but
``pad`` and the linear ones) the implicit-GEMM WGSL kernels of ``rust/gpu/conv.rs`` compute the
passes instead (``'auto'``: the GPU where it is expected to pay for the transfers). Layouts are
torch's: ``(N, C, L)`` for 1-D, ``(N, C, H, W)`` for 2-D, and the unbatched ``(C, L)`` /
``(C, H, W)``. The ``*_backward`` functions return
``(grad_input, grad_weight, grad_bias)`` with ``None`` for the entries ``output_mask`` leaves out;
:mod:`sigconv.nn` layers call them from their autograd nodes.

Output sizes, per spatial axis with input length ``L``, kernel ``k``, stride ``s``, padding ``p``,
dilation ``d``::

    conv:            L_out = floor((L + 2p - d (k - 1) - 1) / s) + 1
    conv_transpose:  L_out = (L - 1) s - 2p + d (k - 1) + output_padding + 1
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from sigconv import _core
from sigconv._gpu_array import is_gpu
from sigconv.nn import _gpu_layers
from sigconv.signal import _device

__all__ = [
    "conv1d",
    "conv2d",
    "conv1d_backward",
    "conv2d_backward",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose1d_backward",
    "conv_transpose2d_backward",
    "pad",
    "pad_backward",
    "matmul",
    "linear",
    "linear_backward",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PAD_MODES = ("constant", "reflect", "replicate", "circular")


# --------------------------------------------------------------------------- argument checks


def _float_array(name, value, dtype=None):
    """``value`` as a C-contiguous float32/float64 array (of ``dtype`` when given); a GPU array
    is checked and kept on the device."""
    arr = value if is_gpu(value) else np.asarray(value)
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be a float32 or float64 array; got dtype {arr.dtype}")
    if dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name} must have the dtype of input ({dtype}); got {arr.dtype}")
    return arr if is_gpu(arr) else np.ascontiguousarray(arr)


def _int(name, value, minimum, shown=None):
    """`value` as an int from `minimum` to 2**63 - 1; errors name `name` and show `shown` (the
    argument as given, default `value`)."""
    shown = value if shown is None else shown
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {shown!r}")
    value = operator.index(value)
    if value < minimum:
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {what}; got {shown!r}")
    if value > np.iinfo(np.int64).max:
        raise ValueError(f"{name} must be at most 2**63 - 1; got {shown!r}")
    return value


def _ints(name, value, nd, minimum):
    """An int or a sequence of ``nd`` ints, each at least ``minimum``, as a tuple."""
    if isinstance(value, (list, tuple)):
        if len(value) != nd:
            raise ValueError(f"{name} must be an int or a tuple of {nd} ints; got {value!r}")
        return tuple(_int(name, v, minimum, shown=value) for v in value)
    return (_int(name, value, minimum),) * nd


def _mask(output_mask):
    try:
        mask = tuple(bool(m) for m in output_mask)
    except TypeError:
        raise TypeError(f"output_mask must be a sequence of 3 bools; got {output_mask!r}") from None
    if len(mask) != 3:
        raise ValueError(f"output_mask must have 3 entries; got {output_mask!r}")
    return mask


def _batched(fname, name, arr, nd):
    """Adds a batch axis to an unbatched input; returns (array, was_unbatched)."""
    if arr.ndim == nd + 2:
        return arr, False
    if arr.ndim == nd + 1:
        return arr.reshape((1,) + arr.shape), True
    raise ValueError(
        f"{fname}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) {name}; "
        f"got shape {arr.shape}"
    )


def _weight(fname, w, nd):
    if w.ndim != nd + 2:
        raise ValueError(f"{fname}: weight must have {nd + 2} dimensions; got shape {w.shape}")
    return w


def _bias(b, dtype, channels):
    if b is None:
        return None
    b = _float_array("bias", b, dtype)
    if b.shape != (channels,):
        raise ValueError(f"bias must have shape ({channels},); got {b.shape}")
    return b


def _to_2d(arr, nd):
    """A 1-D layer's array with a unit height axis (a view)."""
    return arr.reshape(arr.shape[:2] + (1,) + arr.shape[2:]) if nd == 1 else arr


def _from_2d(arr, nd):
    """A 1-D layer's 4-D array without its unit height axis (a view)."""
    return arr.reshape(arr.shape[:2] + arr.shape[3:]) if nd == 1 else arr


def _axes2(t, nd, unit):
    return (unit,) + tuple(t) if nd == 1 else tuple(t)


class _ConvArgs:
    """The normalised arguments of a convolution: the (padded) input, weight, and 2-D geometry."""

    def __init__(self, fname, nd, input, weight, stride, padding, dilation, groups, padding_mode,
                 device="cpu"):
        x = _float_array("input", input)
        w = _float_array("weight", weight, x.dtype)
        x, self.unbatched = _batched(fname, "input", x, nd)
        _weight(fname, w, nd)
        self.nd = nd
        self.groups = _int("groups", groups, 1)
        self.stride = _ints("stride", stride, nd, 1)
        self.dilation = _ints("dilation", dilation, nd, 1)
        if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}; "
                f"got {padding_mode!r}"
            )
        c = x.shape[1]
        if c % self.groups:
            raise ValueError(
                f"in_channels={c} (input.shape[1]) must be divisible by groups={self.groups}"
            )
        if w.shape[0] % self.groups:
            raise ValueError(
                f"out_channels={w.shape[0]} (weight.shape[0]) must be divisible by "
                f"groups={self.groups}"
            )
        if w.shape[1] * self.groups != c:
            raise ValueError(
                f"weight of shape {w.shape} with groups={self.groups} expects input with "
                f"{w.shape[1] * self.groups} channels; got {c} channels (input shape "
                f"{x.shape if not self.unbatched else x.shape[1:]})"
            )
        kernel = w.shape[2:]
        if isinstance(padding, str):
            if padding == "valid":
                pads = ((0, 0),) * nd
            elif padding == "same":
                if any(s != 1 for s in self.stride):
                    raise ValueError(
                        f"padding='same' is not supported for strided convolutions; got "
                        f"stride={stride!r}"
                    )
                total = [d * (k - 1) for d, k in zip(self.dilation, kernel)]
                pads = tuple((t // 2, t - t // 2) for t in total)
            else:
                raise ValueError(
                    f"padding must be an int, a tuple of {nd} ints, 'same' or 'valid'; "
                    f"got {padding!r}"
                )
        else:
            pads = tuple((p, p) for p in _ints("padding", padding, nd, 0))
        self.input_shape = x.shape
        self.pad_mode = None
        if padding_mode != "zeros" and any(lo or hi for lo, hi in pads):
            mode = "constant" if padding_mode == "zeros" else padding_mode
            self.pad_mode = mode
            self.mode_pads = pads
            x = _pad_nd(x, pads, mode, 0.0)
            pads = ((0, 0),) * nd
        self.x = x
        self.w = w
        self.pads = pads
        self.core = dict(
            stride=_axes2(self.stride, nd, 1),
            padding=_axes2(pads, nd, (0, 0)),
            dilation=_axes2(self.dilation, nd, 1),
            groups=self.groups,
            device=_device(device),
        )

    def x4(self):
        return _to_2d(self.x, self.nd)

    def w4(self):
        return _to_2d(self.w, self.nd)

    def out(self, y):
        """A 4-D result back in the caller's layout."""
        y = _from_2d(y, self.nd)
        return y.reshape(y.shape[1:]) if self.unbatched else y


def _pad_nd(x, pads, mode, value):
    """Pads the last ``len(pads)`` axes by ``pads`` (axis order) with a torch pad mode."""
    _check_pad_mode(x.shape, pads, mode)
    if is_gpu(x):
        return _gpu_layers.pad(x, [tuple(p) for p in pads], mode, float(value))
    return _core.pad(x, [tuple(p) for p in pads], mode, float(value))


def _pad_nd_backward(g, shape, pads, mode):
    """The gradient of :func:`_pad_nd` for an input of ``shape``."""
    if is_gpu(g):
        return _gpu_layers.pad_backward(g, tuple(shape), [tuple(p) for p in pads], mode)
    return _core.pad_backward(g, list(shape), [tuple(p) for p in pads], mode)


def _check_pad_mode(shape, pads, mode):
    first = len(shape) - len(pads)
    for axis, (lo, hi) in enumerate(pads, start=first):
        n = shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(
                f"padding size should be less than the input size for mode='reflect'; got "
                f"padding ({lo}, {hi}) for dimension {axis} of size {n}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(
                f"padding for mode='circular' may wrap around at most once; got padding "
                f"({lo}, {hi}) for dimension {axis} of size {n}"
            )
        if mode in ("replicate", "reflect", "circular") and n + lo + hi < 1:
            raise ValueError(
                f"mode={mode!r} needs an output size of at least 1 in every padded dimension; "
                f"got padding ({lo}, {hi}) for dimension {axis} of size {n}"
            )


# --------------------------------------------------------------------------- convolution


def _conv(fname, nd, input, weight, bias, stride, padding, dilation, groups, padding_mode, device):
    a = _ConvArgs(fname, nd, input, weight, stride, padding, dilation, groups, padding_mode, device)
    b = _bias(bias, a.x.dtype, a.w.shape[0])
    if _gpu_layers.any_gpu(a.x, a.w, b):
        y = _gpu_layers.conv2d(a.x4(), a.w4(), b, a.core)
    else:
        y = _core.conv2d(a.x4(), a.w4(), b, **a.core)
    return a.out(y)


def _conv_backward(fname, nd, grad_output, input, weight, stride, padding, dilation, groups,
                   padding_mode, output_mask, device):
    mask = _mask(output_mask)
    a = _ConvArgs(fname, nd, input, weight, stride, padding, dilation, groups, padding_mode, device)
    g = _float_array("grad_output", grad_output, a.x.dtype)
    if a.unbatched:
        g = g.reshape((1,) + g.shape)
    if g.ndim != nd + 2:
        raise ValueError(f"{fname}: grad_output has shape {np.shape(grad_output)}, which does not "
                         "match the output of the convolution")
    if _gpu_layers.any_gpu(g, a.x, a.w):
        gx, gw, gb = _gpu_layers.conv2d_backward(_to_2d(g, nd), a.x4(), a.w4(), a.core, mask)
    else:
        gx, gw, gb = _core.conv2d_backward(_to_2d(g, nd), a.x4(), a.w4(), mask=mask, **a.core)
    if gx is not None:
        gx = _from_2d(gx, nd)
        if a.pad_mode is not None:
            gx = _pad_nd_backward(gx, a.input_shape, a.mode_pads, a.pad_mode)
        gx = gx.reshape(gx.shape[1:]) if a.unbatched else gx
    if gw is not None:
        gw = _from_2d(gw, nd)
    return gx, gw, gb


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros", *, device="cpu"):
    """1-D convolution (cross-correlation, as torch.nn.functional.conv1d).

    ``out[n, o, t] = bias[o] + sum_{c, j} weight[o, c, j] * x[n, g C_g + c, s t + d j - p]``
    with ``g = o // (C_out / groups)``, and ``x`` padded by ``padding_mode``.

    Parameters
    ----------
    input : ndarray, shape (N, C_in, L) or (C_in, L)
        float32 or float64.
    weight : ndarray, shape (C_out, C_in / groups, k)
        Same dtype as ``input``.
    bias : ndarray, shape (C_out,), optional
    stride, dilation : int or tuple of 1 int
        Positive.
    padding : int, tuple of 1 int, 'same' or 'valid'
        Samples added on both sides; ``'same'`` (stride 1 only) keeps the length, padding
        ``d (k - 1) // 2`` before and the rest after.
    groups : int
        Channel groups; ``C_in`` and ``C_out`` must be divisible by it.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        How the padding samples are taken (torch.nn.Conv1d's ``padding_mode``).
    device : {'cpu', 'gpu', 'auto'}, keyword-only
        Where the convolution runs (``'gpu'`` raises GpuUnavailableError where no adapter answers).

    Returns
    -------
    ndarray, shape (N, C_out, L_out) or (C_out, L_out)
        ``L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv1d
    >>> x = np.arange(6, dtype=np.float32).reshape(1, 1, 6)
    >>> conv1d(x, np.array([[[1.0, 0.0, -1.0]]], dtype=np.float32), padding=1)
    array([[[-1., -2., -2., -2., -2.,  4.]]], dtype=float32)
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups,
                 padding_mode, device=device)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros", *, device="cpu"):
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d).

    ``out[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b] x[n, g C_g + c, s_h i + d_h a
    - p_h, s_w j + d_w b - p_w]``.

    Parameters
    ----------
    input : ndarray, shape (N, C_in, H, W) or (C_in, H, W)
        float32 or float64.
    weight : ndarray, shape (C_out, C_in / groups, kH, kW)
        Same dtype as ``input``.
    bias : ndarray, shape (C_out,), optional
    stride, dilation : int or tuple of 2 ints
        Positive.
    padding : int, tuple of 2 ints, 'same' or 'valid'
        As in :func:`conv1d`, per axis.
    groups : int
        Channel groups (``groups == C_in`` is a depthwise convolution).
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv2d
    >>> x = np.ones((1, 1, 3, 3))
    >>> conv2d(x, np.ones((1, 1, 2, 2)), padding=1)[0, 0]
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups,
                 padding_mode, device=device)


def conv1d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", output_mask=(True, True, True), *, device="cpu"):
    """Gradients of :func:`conv1d`: ``(grad_input, grad_weight, grad_bias)``.

    Parameters
    ----------
    grad_output : ndarray
        The gradient of the loss with respect to ``conv1d``'s output (same shape).
    input, weight, stride, padding, dilation, groups, padding_mode
        As given to :func:`conv1d`.
    output_mask : tuple of 3 bools
        Which of the three gradients to compute; the others are returned as ``None``.

    Returns
    -------
    grad_input, grad_weight, grad_bias : ndarray or None
        Shaped like ``input``, ``weight`` and ``(C_out,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv1d_backward
    >>> x, w = np.ones((1, 1, 4)), np.ones((1, 1, 2))
    >>> gx, gw, gb = conv1d_backward(np.ones((1, 1, 3)), x, w)
    >>> gx, gw, gb
    (array([[[1., 2., 2., 1.]]]), array([[[3., 3.]]]), array([3.]))
    """
    return _conv_backward("conv1d_backward", 1, grad_output, input, weight, stride, padding,
                          dilation, groups, padding_mode, output_mask, device=device)


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", output_mask=(True, True, True), *, device="cpu"):
    """Gradients of :func:`conv2d`: ``(grad_input, grad_weight, grad_bias)``.

    Parameters are those of :func:`conv2d` plus ``grad_output`` and ``output_mask``, as in
    :func:`conv1d_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv2d_backward
    >>> gx, gw, gb = conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)),
    ...                              np.ones((1, 1, 2, 2)), output_mask=(True, False, True))
    >>> gx[0, 0], gw, gb
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), None, array([4.]))
    """
    return _conv_backward("conv2d_backward", 2, grad_output, input, weight, stride, padding,
                          dilation, groups, padding_mode, output_mask, device=device)


# --------------------------------------------------------------------------- transposed


class _TransposeArgs:
    def __init__(self, fname, nd, input, weight, stride, padding, output_padding, groups,
                 dilation, device="cpu"):
        x = _float_array("input", input)
        w = _float_array("weight", weight, x.dtype)
        x, self.unbatched = _batched(fname, "input", x, nd)
        _weight(fname, w, nd)
        self.nd = nd
        groups = _int("groups", groups, 1)
        if isinstance(padding, str):
            raise ValueError(f"padding must be an int or a tuple of {nd} ints for {fname}; "
                             f"got {padding!r}")
        stride = _ints("stride", stride, nd, 1)
        dilation = _ints("dilation", dilation, nd, 1)
        padding = _ints("padding", padding, nd, 0)
        output_padding = _ints("output_padding", output_padding, nd, 0)
        c = x.shape[1]
        if w.shape[0] != c:
            raise ValueError(
                f"weight of shape {w.shape} expects input with {w.shape[0]} channels "
                f"(weight.shape[0]); got {c} channels"
            )
        if c % groups:
            raise ValueError(f"in_channels={c} (input.shape[1]) must be divisible by "
                             f"groups={groups}")
        for op, s, d in zip(output_padding, stride, dilation):
            if op >= s and op >= d:
                raise ValueError(
                    f"output_padding must be smaller than either stride or dilation; got "
                    f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
                )
        self.x, self.w = x, w
        self.out_channels = w.shape[1] * groups
        self.core = dict(
            stride=_axes2(stride, nd, 1),
            padding=_axes2(padding, nd, 0),
            output_padding=_axes2(output_padding, nd, 0),
            dilation=_axes2(dilation, nd, 1),
            groups=groups,
            device=_device(device),
        )

    def out(self, y):
        y = _from_2d(y, self.nd)
        return y.reshape(y.shape[1:]) if self.unbatched else y


def _conv_transpose(fname, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation, device):
    a = _TransposeArgs(fname, nd, input, weight, stride, padding, output_padding, groups,
                       dilation, device)
    b = _bias(bias, a.x.dtype, a.out_channels)
    if _gpu_layers.any_gpu(a.x, a.w, b):
        return a.out(_gpu_layers.conv_transpose2d(_to_2d(a.x, nd), _to_2d(a.w, nd), b, a.core))
    return a.out(_core.conv_transpose2d(_to_2d(a.x, nd), _to_2d(a.w, nd), b, **a.core))


def _conv_transpose_backward(fname, nd, grad_output, input, weight, stride, padding,
                             output_padding, groups, dilation, output_mask, device):
    mask = _mask(output_mask)
    a = _TransposeArgs(fname, nd, input, weight, stride, padding, output_padding, groups,
                       dilation, device)
    g = _float_array("grad_output", grad_output, a.x.dtype)
    if a.unbatched:
        g = g.reshape((1,) + g.shape)
    if g.ndim != nd + 2:
        raise ValueError(f"{fname}: grad_output has shape {np.shape(grad_output)}, which does not "
                         "match the output of the transposed convolution")
    parts = (_to_2d(g, nd), _to_2d(a.x, nd), _to_2d(a.w, nd))
    if _gpu_layers.any_gpu(*parts):
        gx, gw, gb = _gpu_layers.conv_transpose2d_backward(*parts, a.core, mask)
    else:
        gx, gw, gb = _core.conv_transpose2d_backward(*parts, mask=mask, **a.core)
    if gx is not None:
        gx = a.out(gx)
    if gw is not None:
        gw = _from_2d(gw, nd)
    return gx, gw, gb


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, device="cpu"):
    """1-D transposed convolution (torch.nn.functional.conv_transpose1d): the gradient of
    :func:`conv1d` with respect to its input, as a layer.

    Parameters
    ----------
    input : ndarray, shape (N, C_in, L) or (C_in, L)
    weight : ndarray, shape (C_in, C_out / groups, k)
    bias : ndarray, shape (C_out,), optional
    stride, padding, output_padding, dilation : int or tuple of 1 int
        ``output_padding`` (added on one side of the output) must be smaller than the stride or
        the dilation.
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, L_out) or (C_out, L_out)
        ``L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv_transpose1d
    >>> conv_transpose1d(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 1.0, 1.0]]]), stride=2)
    array([[[1., 1., 3., 2., 2.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation, device=device)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, device="cpu"):
    """2-D transposed convolution (torch.nn.functional.conv_transpose2d).

    Parameters as in :func:`conv_transpose1d`, per axis; ``weight`` is
    ``(C_in, C_out / groups, kH, kW)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv_transpose2d
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation, device=device)


def conv_transpose1d_backward(grad_output, input, weight, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1, output_mask=(True, True, True), *,
                              device="cpu"):
    """Gradients of :func:`conv_transpose1d`: ``(grad_input, grad_weight, grad_bias)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv_transpose1d_backward
    >>> gx, gw, gb = conv_transpose1d_backward(np.ones((1, 1, 5)), np.ones((1, 1, 2)),
    ...                                        np.ones((1, 1, 3)), stride=2)
    >>> gx, gw, gb
    (array([[[3., 3.]]]), array([[[2., 2., 2.]]]), array([5.]))
    """
    return _conv_transpose_backward("conv_transpose1d_backward", 1, grad_output, input, weight,
                                    stride, padding, output_padding, groups, dilation,
                                    output_mask, device=device)


def conv_transpose2d_backward(grad_output, input, weight, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1, output_mask=(True, True, True), *,
                              device="cpu"):
    """Gradients of :func:`conv_transpose2d`: ``(grad_input, grad_weight, grad_bias)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import conv_transpose2d_backward
    >>> gx, gw, gb = conv_transpose2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)),
    ...                                        np.ones((1, 1, 2, 2)))
    >>> gx[0, 0], gb
    (array([[4., 4.],
           [4., 4.]]), array([9.]))
    """
    return _conv_transpose_backward("conv_transpose2d_backward", 2, grad_output, input, weight,
                                    stride, padding, output_padding, groups, dilation,
                                    output_mask, device=device)


# --------------------------------------------------------------------------- pad


def _pad_pairs(pad, ndim, mode):
    """torch's flat pad tuple (last axis first) as per-axis pairs in axis order."""
    if not isinstance(pad, (list, tuple)) or not all(
        isinstance(p, numbers.Integral) and not isinstance(p, (bool, np.bool_)) for p in pad
    ):
        raise TypeError(f"pad must be a tuple of ints; got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"pad must have an even length; got {len(pad)} entries: {pad!r}")
    k = len(pad) // 2
    if k > ndim:
        raise ValueError(f"pad covers {k} dimensions but input has only {ndim}; got pad={pad!r}")
    if mode != "constant" and not (1 <= k <= 3 and k + 1 <= ndim <= k + 2):
        raise ValueError(
            f"mode={mode!r} pads the last 1, 2 or 3 dimensions of a 2-D to 5-D input (k "
            f"dimensions need an input of k + 1 or k + 2 dimensions); got pad={pad!r} for an "
            f"input of {ndim} dimensions"
        )
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k)]
    return pairs[::-1]


def pad(input, pad, mode="constant", value=None):
    """Pads the last axes of an array (torch.nn.functional.pad).

    Parameters
    ----------
    input : ndarray
        float32 or float64, any number of dimensions.
    pad : tuple of ints
        ``(left, right)`` for the last axis, then ``(left, right)`` for the one before, and so
        on. Negative values crop.
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        ``reflect`` mirrors about the edge sample (``c b | a b c d | c b``), ``replicate``
        repeats it, ``circular`` wraps around. The three pad the last 1, 2 or 3 axes of a 2-D to
        5-D input.
    value : float, optional
        The fill value of ``constant`` (default 0); other modes take none.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import pad
    >>> pad(np.array([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    array([[3., 2., 1., 2., 3., 2.]])
    """
    x = _float_array("input", input)
    if not isinstance(mode, str) or mode not in PAD_MODES:
        raise ValueError(
            f"mode must be one of {', '.join(map(repr, PAD_MODES))}; got {mode!r}"
        )
    if value is not None and mode != "constant":
        raise ValueError(f"padding mode {mode!r} doesn't take a value argument; got value={value!r}")
    pairs = _pad_pairs(pad, x.ndim, mode)
    return _pad_nd(x, pairs, mode, 0.0 if value is None else float(value))


def pad_backward(grad_output, input_shape, pad, mode="constant"):
    """Gradient of :func:`pad` with respect to its input.

    Parameters
    ----------
    grad_output : ndarray
        Shaped like ``pad``'s output.
    input_shape : tuple of ints
        The shape of ``pad``'s input.
    pad, mode
        As given to :func:`pad`.

    Returns
    -------
    ndarray of shape ``input_shape``
        Each input sample's gradient sums those of every output sample that copies it.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import pad_backward
    >>> pad_backward(np.ones((1, 6)), (1, 3), (2, 1), mode="reflect")
    array([[1., 3., 2.]])
    """
    g = _float_array("grad_output", grad_output)
    if not isinstance(mode, str) or mode not in PAD_MODES:
        raise ValueError(
            f"mode must be one of {', '.join(map(repr, PAD_MODES))}; got {mode!r}"
        )
    shape = tuple(_int("input_shape", n, 0) for n in input_shape)
    pairs = _pad_pairs(pad, len(shape), mode)
    _check_pad_mode(shape, pairs, mode)
    return _pad_nd_backward(g, shape, pairs, mode)


# --------------------------------------------------------------------------- linear


def matmul(a, b):
    """Matrix product of 2-D or batched 3-D arrays (``a @ b``; a batch of 1 broadcasts).

    Parameters
    ----------
    a : ndarray, shape (m, k) or (B, m, k)
    b : ndarray, shape (k, n) or (B, k, n)
        Same float dtype as ``a``.

    Returns
    -------
    ndarray, shape (m, n) or (B, m, n)

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import matmul
    >>> matmul(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 2.],
           [3., 4.]])
    """
    x = a if is_gpu(a) else np.asarray(a)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"a must be a float32 or float64 array; got dtype {x.dtype}")
    y = _float_array("b", b, x.dtype)
    x = _float_array("a", x)
    if _gpu_layers.any_gpu(x, y):
        return _gpu_layers.matmul(*_as_products(x, y))
    return _core.matmul(*_as_products(x, y))


def _as_products(x, y):
    """Operands for _core.matmul: a transposed (but contiguous) operand is passed as such."""
    for name, arr in (("a", x), ("b", y)):
        if arr.ndim not in (2, 3):
            raise ValueError(f"{name} must have 2 or 3 dimensions; got shape {arr.shape}")
    return x, y


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (torch.nn.functional.linear).

    Parameters
    ----------
    input : ndarray, shape (*, in_features)
    weight : ndarray, shape (out_features, in_features)
    bias : ndarray, shape (out_features,), optional

    Returns
    -------
    ndarray, shape (*, out_features)

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import linear
    >>> linear(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([0.5, 0.0]))
    array([[3.5, 2. ]])
    """
    x = _float_array("input", input)
    w = _float_array("weight", weight, x.dtype)
    if w.ndim != 2:
        raise ValueError(f"weight must have shape (out_features, in_features); got {w.shape}")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"input's last dimension must be in_features={w.shape[1]}; got input shape {x.shape}"
        )
    b = _bias(bias, x.dtype, w.shape[0])
    x2 = x.reshape(-1, w.shape[1])
    if _gpu_layers.any_gpu(x2, w, b):
        return _gpu_layers.linear(x2, w, b).reshape(x.shape[:-1] + (w.shape[0],))
    y = _core.matmul(x2, w, tb=True)
    if b is not None:
        y = _core.add_rows(y, b)
    return y.reshape(x.shape[:-1] + (w.shape[0],))


def linear_backward(grad_output, input, weight, output_mask=(True, True, True)):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn._conv import linear_backward
    >>> gx, gw, gb = linear_backward(np.ones((2, 1)), np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                              np.array([[0.5, -1.0]]))
    >>> gx, gw, gb
    (array([[ 0.5, -1. ],
           [ 0.5, -1. ]]), array([[4., 6.]]), array([2.]))
    """
    mask = _mask(output_mask)
    x = _float_array("input", input)
    w = _float_array("weight", weight, x.dtype)
    g = _float_array("grad_output", grad_output, x.dtype)
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"input {x.shape} and weight {w.shape} do not fit a linear layer")
    if g.shape != x.shape[:-1] + (w.shape[0],):
        raise ValueError(f"grad_output must have shape {x.shape[:-1] + (w.shape[0],)}; "
                         f"got {g.shape}")
    g2 = g.reshape(-1, w.shape[0])
    if _gpu_layers.any_gpu(g2, x, w):
        gx, gw, gb = _gpu_layers.linear_backward(g2, x.reshape(-1, w.shape[1]), w, mask)
        return (None if gx is None else gx.reshape(x.shape)), gw, gb
    gx = _core.matmul(g2, w).reshape(x.shape) if mask[0] else None
    gw = _core.matmul(g2, x.reshape(-1, w.shape[1]), ta=True) if mask[1] else None
    gb = _core.add_rows(g2) if mask[2] else None
    return gx, gw, gb
