"""TEMPORARY numpy stand-in for the Rust convolution/GEMM kernels of branch ``convkernels``.

Same function names and signatures as the kernel branch, so the Tensor layer can be built and tested
before that branch is merged. The merge replaces this file with the Rust-backed one; nothing here is
meant to ship.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

_NP_MODE = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def matmul(a, b):
    return np.matmul(a, b)


def linear(input, weight, bias=None):
    out = input @ weight.T
    if bias is not None:
        out = out + bias
    return out


def linear_backward(grad_output, input, weight, output_mask=(True, True, True)):
    gi = grad_output @ weight if output_mask[0] else None
    gw = grad_output.T @ input if output_mask[1] else None
    gb = grad_output.sum(0) if output_mask[2] else None
    return gi, gw, gb


def pad(input, pad, mode="constant", value=0.0):
    nd = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - nd) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd))]
    if mode == "constant":
        return np.pad(input, widths, mode="constant", constant_values=value)
    return np.pad(input, widths, mode=_NP_MODE[mode])


def pad_backward(grad_output, input_shape, pad, mode):
    nd = len(pad) // 2
    g = grad_output
    for i in range(nd):
        ax = g.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = input_shape[ax]
        if mode == "constant":
            sl = [slice(None)] * g.ndim
            sl[ax] = slice(lo, lo + n)
            g = g[tuple(sl)]
            continue
        src = np.pad(np.arange(n), (lo, hi), mode=_NP_MODE[mode])
        z = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1 :], g.dtype)
        gm = np.moveaxis(g, ax, 0)
        zm = np.moveaxis(z, ax, 0)
        np.add.at(zm, src, gm)
        g = z
    return g


def _windows(xp, k, s, d):
    n, c, h, w = xp.shape
    ho = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    wo = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (n, c, ho, wo, k[0], k[1]), (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]), writeable=False)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    s, p, d = _tup(stride, 2), _tup(padding, 2), _tup(dilation, 2)
    xp = pad(input, (p[1], p[1], p[0], p[0]), "constant" if padding_mode == "zeros" else padding_mode)
    o, cg, kh, kw = weight.shape
    win = _windows(xp, (kh, kw), s, d)
    n, c, ho, wo = win.shape[:4]
    win = win.reshape(n, groups, cg, ho, wo, kh, kw)
    wg = weight.reshape(groups, o // groups, cg, kh, kw)
    out = np.einsum("ngchwij,gocij->ngohw", win, wg, optimize=True).reshape(n, o, ho, wo)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.astype(input.dtype, copy=False)


def _scatter(g, weight, xshape, s, d, groups):
    """Adjoint of the windowed product: (N, O, Ho, Wo) -> padded input (N, C, Hp, Wp)."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = weight.shape
    gx = np.zeros((n, groups, cg) + tuple(xshape[2:]), dtype=g.dtype)
    gg = g.reshape(n, groups, o // groups, ho, wo)
    wg = weight.reshape(groups, o // groups, cg, kh, kw)
    for i in range(kh):
        for j in range(kw):
            part = np.einsum("ngohw,goc->ngchw", gg, wg[..., i, j], optimize=True)
            gx[:, :, :, i * d[0] : i * d[0] + s[0] * (ho - 1) + 1 : s[0], j * d[1] : j * d[1] + s[1] * (wo - 1) + 1 : s[1]] += part
    return gx.reshape((n, groups * cg) + tuple(xshape[2:]))


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", output_mask=(True, True, True)):
    s, p, d = _tup(stride, 2), _tup(padding, 2), _tup(dilation, 2)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    padv = (p[1], p[1], p[0], p[0])
    xp = pad(input, padv, mode)
    o, cg, kh, kw = weight.shape
    gi = gw = gb = None
    if output_mask[0]:
        gxp = _scatter(grad_output, weight, xp.shape, s, d, groups)
        gi = pad_backward(gxp, input.shape, padv, mode)
    if output_mask[1]:
        win = _windows(xp, (kh, kw), s, d)
        n, c, ho, wo = win.shape[:4]
        win = win.reshape(n, groups, cg, ho, wo, kh, kw)
        gg = grad_output.reshape(n, groups, o // groups, ho, wo)
        gw = np.einsum("ngohw,ngchwij->gocij", gg, win, optimize=True).reshape(weight.shape)
    if output_mask[2]:
        gb = grad_output.sum(axis=(0, 2, 3))
    return gi, gw, gb


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    out = conv2d(input[:, :, None], weight[:, :, None], bias, (1, _tup(stride, 1)[0]), (0, _tup(padding, 1)[0]), (1, _tup(dilation, 1)[0]), groups, padding_mode)
    return out[:, :, 0]


def conv1d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", output_mask=(True, True, True)):
    gi, gw, gb = conv2d_backward(grad_output[:, :, None], input[:, :, None], weight[:, :, None], (1, _tup(stride, 1)[0]), (0, _tup(padding, 1)[0]), (1, _tup(dilation, 1)[0]), groups, padding_mode, output_mask)
    return (gi[:, :, 0] if gi is not None else None, gw[:, :, 0] if gw is not None else None, gb)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    s, p, op, d = _tup(stride, 2), _tup(padding, 2), _tup(output_padding, 2), _tup(dilation, 2)
    n, c, h, w = input.shape
    cin, og, kh, kw = weight.shape
    hf = (h - 1) * s[0] + d[0] * (kh - 1) + 1 + op[0]
    wf = (w - 1) * s[1] + d[1] * (kw - 1) + 1 + op[1]
    # the transposed conv is the adjoint of conv2d with weight (Cin, Cout/g, ...) read as (O=Cin, Cg=Cout/g)
    full = _scatter(input, weight, (n, og * groups, hf, wf), s, d, groups)
    out = full[:, :, p[0] : hf - p[0], p[1] : wf - p[1]]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(out).astype(input.dtype, copy=False)


def conv_transpose2d_backward(grad_output, input, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1, output_mask=(True, True, True)):
    s, p, d = _tup(stride, 2), _tup(padding, 2), _tup(dilation, 2)
    gi = gw = gb = None
    gp = np.pad(grad_output, ((0, 0), (0, 0), (p[0], p[0] + 64), (p[1], p[1] + 64)))
    if output_mask[0]:
        gi = conv2d(gp, weight, None, s, 0, d, groups)[:, :, : input.shape[2], : input.shape[3]]
    if output_mask[1]:
        cin, og, kh, kw = weight.shape
        win = _windows(gp, (kh, kw), s, d)[:, :, : input.shape[2], : input.shape[3]]
        n = input.shape[0]
        h, w = input.shape[2:]
        win = win.reshape(n, groups, og, h, w, kh, kw)
        xg = input.reshape(n, groups, cin // groups, h, w)
        gw = np.einsum("ngchw,ngohwij->gcoij", xg, win, optimize=True).reshape(weight.shape)
    if output_mask[2]:
        gb = grad_output.sum(axis=(0, 2, 3))
    return gi, gw, gb


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    t = lambda v: (1, _tup(v, 1)[0])  # noqa: E731
    out = conv_transpose2d(input[:, :, None], weight[:, :, None], bias, t(stride), (0, _tup(padding, 1)[0]), (0, _tup(output_padding, 1)[0]), groups, t(dilation))
    return out[:, :, 0]


def conv_transpose1d_backward(grad_output, input, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1, output_mask=(True, True, True)):
    t = lambda v: (1, _tup(v, 1)[0])  # noqa: E731
    gi, gw, gb = conv_transpose2d_backward(grad_output[:, :, None], input[:, :, None], weight[:, :, None], t(stride), (0, _tup(padding, 1)[0]), (0, _tup(output_padding, 1)[0]), groups, t(dilation), output_mask)
    return (gi[:, :, 0] if gi is not None else None, gw[:, :, 0] if gw is not None else None, gb)
