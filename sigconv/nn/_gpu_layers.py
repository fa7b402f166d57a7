"""The CNN layers on GPU-resident arrays (:class:`sigconv._gpu_array.GpuArray`): convolution,
linear, pooling and cross-entropy, each a call of the ``sigconv._core.dev_*`` kernels on device
buffers, so that activations and gradients never leave GPU memory.

``sigconv.nn._conv``, ``_pooling`` and ``functional`` normalise the arguments as for host arrays and
call these where the operands are GPU arrays; every operand of one call must then be on the GPU
(:func:`operands` raises ValueError naming the one that is not, as torch does).
"""

from __future__ import annotations

import numpy as np

from sigconv import _core
from sigconv._gpu_array import GpuArray, add_at_axis, is_gpu, no_kernel, take_axis

__all__ = ["adaptive_avg_pool", "adaptive_avg_pool_backward", "any_gpu", "interpolate", "interpolate_backward", "operands", "pad", "pad_backward"]


def any_gpu(*arrays):
    """Whether any of ``arrays`` is a GPU array (None entries ignored)."""
    return any(is_gpu(a) for a in arrays)


def operands(**arrays):
    """Checks that every non-None array is a GPU array; ValueError naming the first that is not."""
    for name, a in arrays.items():
        if a is not None and not is_gpu(a):
            raise ValueError(
                f"{name} is in host memory but the other operands are GPU tensors: move it with "
                ".to('gpu') (tensors of one operation must be on one device)"
            )


def _wrap(handle, shape, dtype):
    return GpuArray(handle, shape, dtype)


def _check_fits(fn, shape, dtype):
    """ValueError, before any table is built, when an output of ``shape`` would not fit one GPU
    buffer binding (GPU tensors are one binding each)."""
    limit = _core.gpu_adapter()["max_binding_bytes"]
    size = np.dtype(dtype).itemsize
    for n in shape:
        size *= int(n)
        if size > limit:
            raise ValueError(f"{fn}: an output of shape {tuple(shape)} ({np.dtype(dtype)}) is larger "
                             f"than one GPU buffer binding ({limit} bytes)")


# ---- convolution (NCHW, the geometry of _core.conv2d) ------------------------------------------
def conv2d(x, w, b, core):
    """``conv(x, w) + b`` of 4-D GPU arrays; ``core`` holds stride, padding, dilation, groups."""
    operands(input=x, weight=w, bias=b)
    geo = _geometry(core)
    h = _core.dev_conv2d(x._h, w._h, None if b is None else b._h, list(x.shape), list(w.shape), *geo)
    return _wrap(h, _conv_out_shape(x.shape, w.shape, core), x.dtype)


def conv2d_backward(g, x, w, core, mask):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`conv2d` (None where ``mask`` is off)."""
    operands(grad_output=g, input=x, weight=w)
    gx, gw, gb = _core.dev_conv2d_backward(g._h, x._h, w._h, list(x.shape), list(w.shape),
                                           *_geometry(core), tuple(mask))
    return (None if gx is None else _wrap(gx, x.shape, x.dtype),
            None if gw is None else _wrap(gw, w.shape, w.dtype),
            None if gb is None else _wrap(gb, (w.shape[0],), w.dtype))


def conv_transpose2d(x, w, b, core):
    """The transposed convolution of 4-D GPU arrays (weight ``(C_in, C_out/groups, kH, kW)``);
    ``core`` holds stride, padding, output_padding, dilation, groups."""
    operands(input=x, weight=w, bias=b)
    h, shape = _core.dev_conv_transpose2d(x._h, w._h, None if b is None else b._h, list(x.shape),
                                          list(w.shape), *_transpose_geometry(core))
    return _wrap(h, shape, x.dtype)


def conv_transpose2d_backward(g, x, w, core, mask):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`conv_transpose2d`."""
    operands(grad_output=g, input=x, weight=w)
    gx, gw, gb = _core.dev_conv_transpose2d_backward(g._h, x._h, w._h, list(x.shape), list(w.shape),
                                                     *_transpose_geometry(core), tuple(mask))
    return (None if gx is None else _wrap(gx, x.shape, x.dtype),
            None if gw is None else _wrap(gw, w.shape, w.dtype),
            None if gb is None else _wrap(gb, (g.shape[1],), w.dtype))


def _transpose_geometry(core):
    return (list(core["stride"]), list(core["padding"]), list(core["output_padding"]),
            list(core["dilation"]), int(core["groups"]))


def _geometry(core):
    return (list(core["stride"]), [tuple(p) for p in core["padding"]], list(core["dilation"]),
            int(core["groups"]))


def _conv_out_shape(xs, ws, core):
    out = []
    for i in range(2):
        k, s, d = ws[2 + i], core["stride"][i], core["dilation"][i]
        lo, hi = core["padding"][i]
        out.append((xs[2 + i] + lo + hi - d * (k - 1) - 1) // s + 1)
    return (xs[0], ws[0], *out)


# ---- linear: a 1 x 1 convolution of (rows, features, 1, 1) -------------------------------------
_POINTWISE = dict(stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)


def linear(x2, w, b):
    """``x2 @ w.T + b`` of GPU arrays: x2 ``(rows, in)``, w ``(out, in)``."""
    operands(input=x2, weight=w, bias=b)
    y = conv2d(x2.reshape(x2.shape + (1, 1)), w.reshape(w.shape + (1, 1)), b, _POINTWISE)
    return y.reshape(x2.shape[0], w.shape[0])


def linear_backward(g2, x2, w, mask):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`linear` (None where ``mask`` is off)."""
    operands(grad_output=g2, input=x2, weight=w)
    gx, gw, gb = conv2d_backward(g2.reshape(g2.shape + (1, 1)), x2.reshape(x2.shape + (1, 1)),
                                 w.reshape(w.shape + (1, 1)), _POINTWISE, mask)
    return (None if gx is None else gx.reshape(x2.shape),
            None if gw is None else gw.reshape(w.shape), gb)


def matmul(a, b):
    """``a @ b`` of GPU arrays, ``(m, k) @ (k, n)`` or stacks ``(B|1, m, k) @ (B|1, k, n)``: 1 x 1
    convolutions, the stack's products as groups of one convolution (``a`` transposed to
    ``(B k, m)`` channels by rows, ``b`` to ``(B n, k)`` weights)."""
    operands(a=a, b=b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
    if a.ndim == 2 and b.ndim == 2:
        return linear(a, b.T, None)
    a3 = a if a.ndim == 3 else a.reshape((1,) + a.shape)
    b3 = b if b.ndim == 3 else b.reshape((1,) + b.shape)
    groups = max(a3.shape[0], b3.shape[0])
    a3 = np.broadcast_to(a3, (groups,) + a3.shape[1:])
    b3 = np.broadcast_to(b3, (groups,) + b3.shape[1:])
    (_, m, k), n = a3.shape, b3.shape[2]
    x = a3.transpose(0, 2, 1).reshape(1, groups * k, m, 1)
    w = b3.transpose(0, 2, 1).reshape(groups * n, k, 1, 1)
    y = conv2d(x, w, None, dict(_POINTWISE, groups=groups))  # (1, groups * n, m, 1)
    return y.reshape(groups, n, m).transpose(0, 2, 1)


# ---- pooling over the last two axes -------------------------------------------------------------
def pool_extreme(x, k, s, p, d, ceil_mode, minimum):
    """Max (min) pooling of a GPU array: ``(values, int32 indices as a GpuArray)``."""
    vals, idx, (oh, ow) = _core.dev_pool_extreme(x._h, list(x.shape), k, s, p, d, ceil_mode, minimum)
    shape = x.shape[:-2] + (oh, ow)
    return _wrap(vals, shape, x.dtype), _wrap(idx, shape, np.int64)


def pool_extreme_backward(g, idx, shape):
    operands(grad_output=g, indices=idx)
    plane = g.shape[-1] * g.shape[-2]
    return _wrap(_core.dev_pool_extreme_backward(g._h, idx._h, list(shape), plane), shape, g.dtype)


def pool_avg(x, k, s, p, ceil_mode, count_include_pad, divisor):
    h, (oh, ow) = _core.dev_pool_avg(x._h, list(x.shape), k, s, p, ceil_mode, count_include_pad, divisor)
    return _wrap(h, x.shape[:-2] + (oh, ow), x.dtype)


def pool_avg_backward(g, shape, k, s, p, ceil_mode, count_include_pad, divisor):
    h = _core.dev_pool_avg_backward(g._h, list(shape), k, s, p, ceil_mode, count_include_pad, divisor)
    return _wrap(h, shape, g.dtype)


# ---- dropout ----------------------------------------------------------------------------------
def dropout_mask(shape, dtype, p, rng):
    """Dropout's mask on the GPU: ``1 / (1 - p)`` where kept (probability ``1 - p``), else 0, from
    a seed drawn from the numpy generator ``rng`` (the masks differ from the CPU's draws)."""
    if p >= 1.0:
        return GpuArray.full(shape, 0, dtype)
    seed = int(rng.integers(0, 2**63))
    n = int(np.prod(shape, dtype=np.int64))
    return _wrap(_core.dev_dropout_mask(n, np.dtype(dtype).name, float(p), seed), shape, dtype)


# ---- cross-entropy of (rows, classes) logits against class indices ------------------------------
def cross_entropy(logits2, target, ignore_index, reduction):
    """``(loss, backward)`` of cross-entropy on the GPU (reduction 'mean' or 'sum'): ``logits2``
    ``(rows, classes)`` float32, ``target`` the rows' class indices, a GPU array (an index outside
    ``[0, classes)`` gives a NaN loss: checking would copy the targets to host memory) or a host
    array (uploaded; the caller checked it); ``backward(g)`` maps the loss gradient onto the logits. 'mean'
    divides by the rows whose target is not ``ignore_index``."""
    if reduction == "none":
        raise no_kernel("cross_entropy with reduction='none'")
    rows, classes = logits2.shape
    if not is_gpu(target):
        t = np.asarray(target)
        if t.dtype.kind not in "iu":
            raise no_kernel("cross_entropy with class probabilities")
        target = GpuArray.from_numpy(t.astype(np.int64, copy=False))
    elif target.dtype.kind not in "iu":
        raise no_kernel("cross_entropy with class probabilities")
    per, grad, counted = _core.dev_cross_entropy(logits2._h, target._h, rows, classes, int(ignore_index))
    grad = _wrap(grad, (rows, classes), logits2.dtype)
    total = _wrap(per, (rows,), logits2.dtype).sum()
    if reduction == "sum":
        return total, lambda g: grad * g
    denom = _wrap(counted, (rows,), logits2.dtype).sum()
    return total / denom, lambda g: grad * (g / denom)


# ---- padding (torch's modes), as strided copies and joins on the device ------------------------
def _on(axis, index):
    """The index selecting ``index`` along ``axis``."""
    return (slice(None),) * axis + (index,)


def _down(start, count):
    """The slice of ``count`` samples from ``start`` downwards (a reversal)."""
    stop = start - count
    return slice(start, stop if stop >= 0 else None, -1)


def pad(x, pairs, mode, value):
    """``x`` padded along its last ``len(pairs)`` axes (``(lo, hi)`` per axis, in axis order; a
    negative pad crops) by a torch pad mode, as ``_core.pad``: reflect (about the edge sample),
    replicate, circular and constant."""
    first = x.ndim - len(pairs)
    for axis, (lo, hi) in enumerate(pairs, start=first):
        n = x.shape[axis]
        if lo < 0 or hi < 0:
            x = x[_on(axis, slice(max(-lo, 0), n - max(-hi, 0)))]
            lo, hi, n = max(lo, 0), max(hi, 0), x.shape[axis]
        if not (lo or hi):
            continue
        if mode == "constant":
            shape = x.shape[:axis] + (n + lo + hi,) + x.shape[axis + 1:]
            out = GpuArray.full(shape, value, x.dtype)
            out[_on(axis, slice(lo, lo + n))] = x
            x = out
            continue
        if mode == "reflect":
            left, right = x[_on(axis, _down(lo, lo))], x[_on(axis, _down(n - 2, hi))]
        elif mode == "replicate":
            edge = lambda s, count: np.broadcast_to(x[_on(axis, s)], x.shape[:axis] + (count,) + x.shape[axis + 1:])
            left, right = edge(slice(0, 1), lo), edge(slice(n - 1, n), hi)
        else:  # circular
            left, right = x[_on(axis, slice(n - lo, n))], x[_on(axis, slice(0, hi))]
        x = np.concatenate([p for p in (left, x, right) if p.shape[axis]], axis)
    return x


def pad_backward(g, shape, pairs, mode):
    """The gradient of :func:`pad` for an input of ``shape``: each input sample gets the sum of the
    gradients of the output samples that copy it (``_core.pad_backward``)."""
    first = len(shape) - len(pairs)
    for axis in reversed(range(first, len(shape))):
        lo, hi = pairs[axis - first]
        n = shape[axis]
        cut_lo, cut_hi = max(-lo, 0), max(-hi, 0)
        lo, hi = max(lo, 0), max(hi, 0)
        m = n - cut_lo - cut_hi
        mid = g[_on(axis, slice(lo, lo + m))]
        part = lambda s: g[_on(axis, s)]

        def add(index, values):
            mid[_on(axis, index)] = mid[_on(axis, index)] + values

        if mode == "reflect":
            if lo:
                add(_down(lo, lo), part(slice(0, lo)))
            if hi:
                add(_down(m - 2, hi), part(slice(lo + m, lo + m + hi)))
        elif mode == "replicate":
            if lo:
                add(slice(0, 1), part(slice(0, lo)).sum(axis, keepdims=True))
            if hi:
                add(slice(m - 1, m), part(slice(lo + m, lo + m + hi)).sum(axis, keepdims=True))
        elif mode == "circular":
            if lo:
                add(slice(m - lo, m), part(slice(0, lo)))
            if hi:
                add(slice(0, hi), part(slice(lo + m, lo + m + hi)))
        if cut_lo or cut_hi:  # cropped samples: no gradient
            full = GpuArray.full(mid.shape[:axis] + (n,) + mid.shape[axis + 1:], 0, mid.dtype)
            full[_on(axis, slice(cut_lo, cut_lo + m))] = mid
            mid = full
        g = mid
    return g


# ---- resampling (interpolate's nearest, linear and bed-of-nails modes), one axis at a time -----
def _weights(w, axis, ndim, dtype):
    """An axis's weights shaped to broadcast along ``axis`` of an ``ndim``-D array."""
    return GpuArray.from_numpy(np.asarray(w, dtype).reshape((len(w),) + (1,) * (ndim - 1 - axis)))


def _resample_axes(shape, sizes, scales):
    """``(axis, n_in, n_out, scale)`` of the resampled (last) axes, the last axis first: the CPU
    kernels interpolate along rows first, then blend rows."""
    first = len(shape) - len(sizes)
    return [(first + i, shape[first + i], sizes[i], scales[i]) for i in reversed(range(len(sizes)))]


def interpolate(x, sizes, scales, mode, align_corners):
    """``_core.interpolate`` on the GPU: the same tables of source samples and weights
    (``_core.resample_taps``), applied one axis at a time as gathers and weighted sums, in the
    CPU kernels' order of arithmetic."""
    _check_fits("interpolate", x.shape[:x.ndim - len(sizes)] + tuple(sizes), x.dtype)
    for axis, n_in, n_out, scale in _resample_axes(x.shape, sizes, scales):
        if mode == "bed_of_nails":
            out = GpuArray.full(x.shape[:axis] + (n_out,) + x.shape[axis + 1:], 0, x.dtype)
            out[_on(axis, slice(None, None, n_out // n_in))] = x
            x = out
            continue
        i0, i1, w0, w1 = _core.resample_taps(n_in, n_out, scale, mode, bool(align_corners), x.dtype.name)
        if w0 is None:
            x = take_axis(x, i0, axis)
        else:
            x = take_axis(x, i0, axis) * _weights(w0, axis, x.ndim, x.dtype) + \
                take_axis(x, i1, axis) * _weights(w1, axis, x.ndim, x.dtype)
    return x


def interpolate_backward(g, shape, scales, mode, align_corners):
    """The gradient of :func:`interpolate` for an input of ``shape``: each output gradient added
    back to the samples it came from, with their weights (the axes in reverse order)."""
    sizes = g.shape[len(shape) - len(scales):]
    for axis, n_in, n_out, scale in reversed(_resample_axes(shape, sizes, scales)):
        if mode == "bed_of_nails":
            g = g[_on(axis, slice(None, None, n_out // n_in))]
            continue
        i0, i1, w0, w1 = _core.resample_taps(n_in, n_out, scale, mode, bool(align_corners), g.dtype.name)
        if w0 is None:
            g = add_at_axis(g, i0, axis, n_in)
        else:
            both = np.concatenate([g * _weights(w0, axis, g.ndim, g.dtype),
                                   g * _weights(w1, axis, g.ndim, g.dtype)], axis)
            g = add_at_axis(both, np.concatenate([i0, i1]), axis, n_in)
    return g


# ---- adaptive average pooling (any output size), one axis at a time ----------------------------
def _window_sums(x, axis, starts, ends):
    """The sums of ``x`` along ``axis`` over each window ``[starts[i], ends[i])``, each added in
    order (windows may overlap): grouped sums of the axis moved to the front."""
    moved = np.moveaxis(x, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    members = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(np.subtract(ends, starts))]).astype(np.int32)
    h = _core.dev_segment_sum(rows._h, members, offsets, len(starts), rows.shape[1])
    summed = GpuArray(h, (len(starts),) + moved.shape[1:], x.dtype)
    return np.moveaxis(summed, 0, axis)


def _window_counts(shape, sizes, dtype):
    """The product of the windows' lengths over the pooled (last) axes, shaped to broadcast."""
    counts = np.ones((), dtype)
    for n, o in zip(shape[len(shape) - len(sizes):], sizes):
        starts, ends = _core.adaptive_windows(n, o)
        counts = np.multiply.outer(counts, np.subtract(ends, starts).astype(dtype))
    return GpuArray.from_numpy(counts.astype(dtype))


def adaptive_avg_pool(x, sizes):
    """Adaptive average pooling of the last ``len(sizes)`` axes to ``sizes`` (torch's windows,
    ``_core.adaptive_windows``): each window's sum, over the last axis and then the others,
    divided by its size once, as the CPU kernel divides (its sums run in row order)."""
    shape, first = x.shape, x.ndim - len(sizes)
    _check_fits("adaptive_avg_pool", shape[:first] + tuple(sizes), x.dtype)
    for axis in reversed(range(first, x.ndim)):
        x = _window_sums(x, axis, *_core.adaptive_windows(shape[axis], sizes[axis - first]))
    return x / _window_counts(shape, sizes, x.dtype)


def adaptive_avg_pool_backward(g, shape, spatial):
    """The gradient of :func:`adaptive_avg_pool` (over the last ``spatial`` axes) onto
    ``shape``: each output's gradient divided by its window's size and added to every input
    sample of the window, in output order."""
    sizes = g.shape[len(shape) - spatial:]
    g = g / _window_counts(shape, sizes, g.dtype)
    for axis in range(len(shape) - spatial, len(shape)):
        starts, ends = _core.adaptive_windows(shape[axis], g.shape[axis])
        owners = np.concatenate([np.full(e - s, i) for i, (s, e) in enumerate(zip(starts, ends))])
        members = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
        g = add_at_axis(take_axis(g, owners, axis), members, axis, shape[axis])
    return g
