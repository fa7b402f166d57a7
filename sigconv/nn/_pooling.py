"""TEMPORARY numpy stand-in for the Rust pooling/resampling kernels of branch ``pooling``.

Same names and (assumed) signatures, so the Tensor layer can be built before that branch is merged.
The merge replaces this file; nothing here is meant to ship.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _out(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _pool_windows(x, k, s, p, d, ceil, fill):
    n, c, h, w = x.shape
    ho, wo = _out(h, k[0], s[0], p[0], d[0], ceil), _out(w, k[1], s[1], p[1], d[1], ceil)
    hp = max(h + 2 * p[0], (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1 + 0)
    wp = max(w + 2 * p[1], (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    xp = np.full((n, c, hp, wp), fill, dtype=x.dtype)
    xp[:, :, p[0] : p[0] + h, p[1] : p[1] + w] = x
    idx = np.full((hp, wp), -1, dtype=np.int64)
    idx[p[0] : p[0] + h, p[1] : p[1] + w] = np.arange(h * w).reshape(h, w)
    sn, sc, sh, sw = xp.strides
    win = as_strided(xp, (n, c, ho, wo, k[0], k[1]), (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]), writeable=False)
    ih, iw = idx.strides
    iwin = as_strided(idx, (ho, wo, k[0], k[1]), (ih * s[0], iw * s[1], ih * d[0], iw * d[1]), writeable=False)
    return win, iwin


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k = _tup(kernel_size, 2)
    s = _tup(stride if stride is not None else kernel_size, 2)
    win, iwin = _pool_windows(input, k, s, _tup(padding, 2), _tup(dilation, 2), ceil_mode, -np.inf)
    n, c, ho, wo = win.shape[:4]
    flat = win.reshape(n, c, ho, wo, -1)
    arg = flat.argmax(-1)
    out = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
    if not return_indices:
        return out
    ind = iwin.reshape(ho, wo, -1)[np.arange(ho)[:, None], np.arange(wo)[None, :], arg]
    return out, ind.astype(np.int64)


def max_pool2d_backward(grad_output, indices, input_shape):
    n, c = input_shape[:2]
    z = np.zeros((n, c, int(np.prod(input_shape[2:]))), dtype=grad_output.dtype)
    g = grad_output.reshape(n, c, -1)
    i = indices.reshape(n, c, -1)
    for a in range(n):
        for b in range(c):
            np.add.at(z[a, b], i[a, b], g[a, b])
    return z.reshape(input_shape)


def min_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r = max_pool2d(-input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return (-r[0], r[1]) if return_indices else -r


min_pool2d_backward = max_pool2d_backward


def _counts(n, k, s, p, o, include_pad):
    out = []
    for i in range(o):
        st = i * s - p
        en = min(st + k, n + p)
        if not include_pad:
            st, en = max(st, 0), min(en, n)
        out.append(en - st)
    return np.array(out)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    k = _tup(kernel_size, 2)
    s = _tup(stride if stride is not None else kernel_size, 2)
    p = _tup(padding, 2)
    win, _ = _pool_windows(input, k, s, p, (1, 1), ceil_mode, 0.0)
    tot = win.sum(axis=(-1, -2))
    if divisor_override:
        return (tot / divisor_override).astype(input.dtype)
    h, w = input.shape[2:]
    ch = _counts(h, k[0], s[0], p[0], tot.shape[2], count_include_pad)
    cw = _counts(w, k[1], s[1], p[1], tot.shape[3], count_include_pad)
    cnt = np.outer(ch, cw).astype(input.dtype)
    return (tot / cnt).astype(input.dtype)


def avg_pool2d_backward(grad_output, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    # the op is linear: its adjoint through a probe of ones per output position
    x = np.zeros(input_shape, grad_output.dtype)
    k = _tup(kernel_size, 2)
    s = _tup(stride if stride is not None else kernel_size, 2)
    p = _tup(padding, 2)
    ho_, wo_ = grad_output.shape[2:]
    if divisor_override:
        div = divisor_override
    else:
        div = np.outer(_counts(input_shape[2], k[0], s[0], p[0], ho_, count_include_pad), _counts(input_shape[3], k[1], s[1], p[1], wo_, count_include_pad))
    _, iwin = _pool_windows(x, k, s, p, (1, 1), ceil_mode, 0.0)
    ho, wo = grad_output.shape[2:]
    n, c = input_shape[:2]
    z = np.zeros((n, c, input_shape[2] * input_shape[3] + 1), grad_output.dtype)
    g = grad_output / div
    for i in range(ho):
        for j in range(wo):
            ids = iwin[i, j].reshape(-1)
            ids = np.where(ids < 0, z.shape[2] - 1, ids)
            np.add.at(z, (slice(None), slice(None), ids), np.repeat(g[:, :, i, j][..., None], ids.size, -1))
    return z[:, :, :-1].reshape(input_shape)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k = _tup(kernel_size, 2)
    s = _tup(stride if stride is not None else kernel_size, 2)
    p = _tup(padding, 2)
    n, c, h, w = input.shape
    if output_size is None:
        output_size = ((h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1])
    output_size = tuple(output_size)[-2:]
    z = np.zeros((n, c, output_size[0] * output_size[1]), input.dtype)
    np.put_along_axis(z, indices.reshape(n, c, -1), input.reshape(n, c, -1), -1)
    return z.reshape((n, c) + output_size)


def max_unpool2d_backward(grad_output, indices):
    n, c = grad_output.shape[:2]
    return np.take_along_axis(grad_output.reshape(n, c, -1), indices.reshape(n, c, -1), -1).reshape(indices.shape)


def _adaptive_bounds(n, o):
    return [((i * n) // o, -(-((i + 1) * n) // o)) for i in range(o)]


def adaptive_avg_pool2d(input, output_size):
    o = _tup(output_size, 2)
    o = tuple(input.shape[2 + i] if v is None else v for i, v in enumerate(o))
    bh, bw = _adaptive_bounds(input.shape[2], o[0]), _adaptive_bounds(input.shape[3], o[1])
    out = np.empty(input.shape[:2] + o, input.dtype)
    for i, (a, b) in enumerate(bh):
        for j, (c, d) in enumerate(bw):
            out[:, :, i, j] = input[:, :, a:b, c:d].mean(axis=(2, 3))
    return out


def adaptive_avg_pool2d_backward(grad_output, input_shape):
    o = grad_output.shape[2:]
    bh, bw = _adaptive_bounds(input_shape[2], o[0]), _adaptive_bounds(input_shape[3], o[1])
    z = np.zeros(input_shape, grad_output.dtype)
    for i, (a, b) in enumerate(bh):
        for j, (c, d) in enumerate(bw):
            z[:, :, a:b, c:d] += grad_output[:, :, i : i + 1, j : j + 1] / ((b - a) * (d - c))
    return z


def _1d(fn2d):
    def wrapped(input, *args, **kwargs):
        def lift(v):
            return (1,) + tuple(_tup(v, 1)) if v is not None and not isinstance(v, bool) else v

        names = ("kernel_size", "stride", "padding", "dilation")
        args = [lift(a) if i < 4 and not isinstance(a, bool) else a for i, a in enumerate(args)]
        for nme in names:
            if nme in kwargs and kwargs[nme] is not None:
                kwargs[nme] = lift(kwargs[nme])
        if "padding" in kwargs:
            kwargs["padding"] = (0,) + tuple(kwargs["padding"][1:])
        if len(args) > 2:
            args[2] = (0,) + tuple(args[2][1:])
        r = fn2d(input[:, :, None], *args, **kwargs)
        if isinstance(r, tuple):
            return tuple(t[:, :, 0] for t in r)
        return r[:, :, 0]

    return wrapped


max_pool1d = _1d(max_pool2d)
min_pool1d = _1d(min_pool2d)
avg_pool1d = _1d(avg_pool2d)


def max_pool1d_backward(grad_output, indices, input_shape):
    return max_pool2d_backward(grad_output[:, :, None], indices[:, :, None], tuple(input_shape[:2]) + (1, input_shape[2]))[:, :, 0]


min_pool1d_backward = max_pool1d_backward


def avg_pool1d_backward(grad_output, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k = _tup(kernel_size, 1)[0]
    s = _tup(stride if stride is not None else kernel_size, 1)[0]
    p = _tup(padding, 1)[0]
    return avg_pool2d_backward(grad_output[:, :, None], tuple(input_shape[:2]) + (1, input_shape[2]), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)[:, :, 0]


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k = _tup(kernel_size, 1)[0]
    s = _tup(stride if stride is not None else kernel_size, 1)[0]
    p = _tup(padding, 1)[0]
    os_ = None if output_size is None else (1, tuple(output_size)[-1])
    return max_unpool2d(input[:, :, None], indices[:, :, None], (1, k), (1, s), (0, p), os_)[:, :, 0]


def max_unpool1d_backward(grad_output, indices):
    return max_unpool2d_backward(grad_output[:, :, None], indices[:, :, None])[:, :, 0]


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool2d(input[:, :, None], (1, _tup(output_size, 1)[0]))[:, :, 0]


def adaptive_avg_pool1d_backward(grad_output, input_shape):
    return adaptive_avg_pool2d_backward(grad_output[:, :, None], tuple(input_shape[:2]) + (1, input_shape[2]))[:, :, 0]


def _nearest_index(n_in, n_out, scale):
    s = (1.0 / scale) if scale else n_in / n_out
    return np.minimum(np.floor(np.arange(n_out) * s).astype(np.int64), n_in - 1)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    sp = input.shape[2:]
    nd = len(sp)
    if size is None:
        sf = _tup(scale_factor, nd)
        size = tuple(int(np.floor(n * f)) for n, f in zip(sp, sf))
    else:
        sf = (None,) * nd
        size = _tup(size, nd)
    if mode == "nearest":
        out = input
        for ax in range(nd):
            idx = _nearest_index(sp[ax], size[ax], sf[ax])
            out = np.take(out, idx, axis=2 + ax)
        return np.ascontiguousarray(out)
    if mode == "bed_of_nails":
        out = np.zeros(input.shape[:2] + tuple(size), input.dtype)
        f = [size[a] // sp[a] for a in range(nd)]
        sl = (slice(None), slice(None)) + tuple(slice(0, sp[a] * f[a], f[a]) for a in range(nd))
        out[sl] = input
        return out
    raise NotImplementedError(f"stand-in: mode {mode!r} arrives with the pooling branch")


def interpolate_backward(grad_output, input_shape, size=None, scale_factor=None, mode="nearest", align_corners=None):
    sp = input_shape[2:]
    nd = len(sp)
    sf = _tup(scale_factor, nd) if size is None else (None,) * nd
    if mode == "bed_of_nails":
        f = [grad_output.shape[2 + a] // sp[a] for a in range(nd)]
        sl = (slice(None), slice(None)) + tuple(slice(0, sp[a] * f[a], f[a]) for a in range(nd))
        return np.ascontiguousarray(grad_output[sl])
    g = grad_output
    for ax in range(nd):
        idx = _nearest_index(sp[ax], g.shape[2 + ax], sf[ax])
        z = np.zeros(g.shape[: 2 + ax] + (sp[ax],) + g.shape[3 + ax :], g.dtype)
        np.add.at(np.moveaxis(z, 2 + ax, 0), idx, np.moveaxis(g, 2 + ax, 0))
        g = z
    return g
