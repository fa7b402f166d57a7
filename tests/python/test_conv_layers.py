"""sigconv.nn._conv: convolution, transposed convolution, pad and linear kernels with their
gradients. Golden cases and float64 finite-difference checks always run; the torch comparisons
(many random geometries, forward and every gradient) run where torch is installed."""

import numpy as np
import pytest

from sigconv.nn import _conv as C

# --------------------------------------------------------------------------- golden cases


def test_golden_conv1d_stride_padding_dilation_groups():
    # torch.nn.functional.conv1d((torch.arange(14.) - 7).reshape(1, 2, 7),
    #     torch.tensor([[[1., 0, -2]], [[2, 1, 1]]]), torch.tensor([1., -1]),
    #     stride=2, padding=1, dilation=2, groups=2)
    x = (np.arange(14.0) - 7).reshape(1, 2, 7)
    w = np.array([[[1.0, 0, -2]], [[2, 1, 1]]])
    y = C.conv1d(x, w, np.array([1.0, -1]), stride=2, padding=1, dilation=2, groups=2)
    np.testing.assert_array_equal(y, [[[9.0, -1.0, -3.0], [3.0, 9.0, 10.0]]])
    y32 = C.conv1d(x.astype(np.float32), w.astype(np.float32), np.array([1, -1], np.float32),
                   stride=2, padding=1, dilation=2, groups=2)
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32, y)


def test_golden_conv2d_reflect_padding_mode():
    # m = torch.nn.Conv2d(1, 1, 2, padding=1, padding_mode='reflect', bias=False)
    # m.weight = [[[[1., -1], [2, 0]]]]; m(torch.arange(16.).reshape(1, 1, 4, 4))
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, -1], [2, 0]]]])
    y = C.conv2d(x, w, padding=1, padding_mode="reflect")
    np.testing.assert_array_equal(y[0, 0], [
        [3.0, -1.0, 1.0, 3.0, 7.0],
        [11.0, 7.0, 9.0, 11.0, 15.0],
        [19.0, 15.0, 17.0, 19.0, 23.0],
        [27.0, 23.0, 25.0, 27.0, 31.0],
        [19.0, 15.0, 17.0, 19.0, 23.0],
    ])


def test_golden_conv_transpose2d_stride_output_padding():
    # torch.nn.functional.conv_transpose2d(torch.tensor([[[[1., 2], [3, 4]]]]),
    #     torch.tensor([[[[1., 0, -1], [0, 2, 0], [1, 1, 1]]]]), stride=2, padding=1,
    #     output_padding=1)
    x = np.array([[[[1.0, 2], [3, 4]]]])
    w = np.array([[[[1.0, 0, -1], [0, 2, 0], [1, 1, 1]]]])
    y = C.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    np.testing.assert_array_equal(y[0, 0], [
        [2.0, 0.0, 4.0, 0.0], [1.0, 4.0, 2.0, -2.0], [6.0, 0.0, 8.0, 0.0], [3.0, 7.0, 4.0, 4.0],
    ])


def test_golden_pad_circular():
    # torch.nn.functional.pad(torch.arange(6.).reshape(1, 2, 3), (2, 1, 1, 0), mode='circular')
    y = C.pad(np.arange(6.0).reshape(1, 2, 3), (2, 1, 1, 0), mode="circular")
    np.testing.assert_array_equal(y[0], [
        [4.0, 5.0, 3.0, 4.0, 5.0, 3.0], [1.0, 2.0, 0.0, 1.0, 2.0, 0.0], [4.0, 5.0, 3.0, 4.0, 5.0, 3.0],
    ])


def test_golden_conv1d_gradients():
    # x = (torch.arange(14.) - 7).reshape(1, 2, 7); w = [[[1., 0, -2], [1, 1, 0]], [[2, 1, 1],
    # [0, 0, 1]]]; b = [1., -1]; y = F.conv1d(x, w, b, stride=2, padding='valid');
    # y.backward(torch.arange(6.).reshape(1, 2, 3)); x.grad, w.grad, b.grad
    x = (np.arange(14.0) - 7).reshape(1, 2, 7)
    w = np.array([[[1.0, 0, -2], [1, 1, 0]], [[2, 1, 1], [0, 0, 1]]])
    g = np.arange(6.0).reshape(1, 2, 3)
    gx, gw, gb = C.conv1d_backward(g, x, w, stride=2, padding="valid")
    np.testing.assert_array_equal(gx, [[[6.0, 3, 12, 4, 14, 5, 1], [0.0, 0, 4, 1, 6, 2, 5]]])
    np.testing.assert_array_equal(gw, [[[-11.0, -8, -5], [10, 13, 16]], [[-56.0, -44, -32], [28, 40, 52]]])
    np.testing.assert_array_equal(gb, [3.0, 12.0])


# --------------------------------------------------------------------------- random geometries


def _random_conv_case(rng, nd):
    groups = int(rng.choice([1, 1, 2, 3]))
    cin = groups * int(rng.integers(1, 4))
    cout = groups * int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 5, nd))
    stride = tuple(int(s) for s in rng.integers(1, 4, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
    size = tuple(int(n) for n in rng.integers(4, 12, nd))
    mode = str(rng.choice(C.PADDING_MODES))
    if rng.random() < 0.2 and all(s == 1 for s in stride):
        padding = str(rng.choice(["same", "valid"]))
    else:
        # reflect needs padding below the input size; keep every mode inside it
        padding = tuple(int(p) for p in rng.integers(0, 3, nd))
    batch = int(rng.integers(1, 4))
    return dict(batch=batch, cin=cin, cout=cout, kernel=kernel, size=size, groups=groups,
                stride=stride, padding=padding, dilation=dilation, padding_mode=mode)


def _arrays(rng, case, dtype):
    x = rng.standard_normal((case["batch"], case["cin"]) + case["size"]).astype(dtype)
    w = rng.standard_normal((case["cout"], case["cin"] // case["groups"]) + case["kernel"]).astype(dtype)
    b = rng.standard_normal(case["cout"]).astype(dtype)
    return x, w, b


def _kw(case):
    return {k: case[k] for k in ("stride", "padding", "dilation", "groups", "padding_mode")}


def _fits(case):
    pads = case["padding"]
    if isinstance(pads, str):
        pads = [(d * (k - 1)) // 2 + 1 for d, k in zip(case["dilation"], case["kernel"])] if pads == "same" else [0] * len(case["size"])
    return all(
        n + 2 * p >= d * (k - 1) + 1
        for n, p, d, k in zip(case["size"], pads, case["dilation"], case["kernel"])
    )


def _cases(seed, nd, count):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        case = _random_conv_case(rng, nd)
        if _fits(case):
            out.append(case)
    return out


def _directional_check(f, args, grads, index, rng, g, eps=1e-6):
    """<grad, v> against the central difference of <f(args), g> along a random direction v."""
    v = rng.standard_normal(args[index].shape)
    plus = list(args)
    minus = list(args)
    plus[index] = args[index] + eps * v
    minus[index] = args[index] - eps * v
    numeric = (np.sum(f(*plus) * g) - np.sum(f(*minus) * g)) / (2 * eps)
    analytic = np.sum(grads[index] * v)
    assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), (numeric, analytic)


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_gradients_match_finite_differences(nd):
    rng = np.random.default_rng(nd)
    conv = C.conv1d if nd == 1 else C.conv2d
    backward = C.conv1d_backward if nd == 1 else C.conv2d_backward
    for case in _cases(100 + nd, nd, 25):
        x, w, b = _arrays(rng, case, np.float64)
        kw = _kw(case)
        y = conv(x, w, b, **kw)
        g = rng.standard_normal(y.shape)
        gx, gw, gb = backward(g, x, w, **kw)
        f = lambda x_, w_, b_: conv(x_, w_, b_, **kw)  # noqa: E731
        for i in range(3):
            _directional_check(f, (x, w, b), (gx, gw, gb), i, rng, g)


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_transpose_gradients_match_finite_differences(nd):
    rng = np.random.default_rng(10 + nd)
    tconv = C.conv_transpose1d if nd == 1 else C.conv_transpose2d
    backward = C.conv_transpose1d_backward if nd == 1 else C.conv_transpose2d_backward
    for _ in range(20):
        groups = int(rng.choice([1, 2]))
        cin, cout_g = groups * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        dilation = tuple(int(s) for s in rng.integers(1, 3, nd))
        kernel = tuple(int(s) for s in rng.integers(1, 4, nd))
        padding = tuple(int(rng.integers(0, (d * (k - 1)) // 2 + 1)) for d, k in zip(dilation, kernel))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        x = rng.standard_normal((2, cin) + tuple(int(n) for n in rng.integers(2, 6, nd)))
        w = rng.standard_normal((cin, cout_g) + kernel)
        b = rng.standard_normal(cout_g * groups)
        kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                  dilation=dilation)
        y = tconv(x, w, b, **kw)
        g = rng.standard_normal(y.shape)
        grads = backward(g, x, w, **kw)
        f = lambda x_, w_, b_: tconv(x_, w_, b_, **kw)  # noqa: E731
        for i in range(3):
            _directional_check(f, (x, w, b), grads, i, rng, g)


def test_pad_and_linear_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    for mode in C.PAD_MODES:
        x = rng.standard_normal((2, 3, 5, 4))
        p = (1, 2, 3, 0) if mode != "constant" else (2, -1, 1, 3)
        y = C.pad(x, p, mode=mode)
        g = rng.standard_normal(y.shape)
        gx = C.pad_backward(g, x.shape, p, mode=mode)
        _directional_check(lambda a: C.pad(a, p, mode=mode), (x,), (gx,), 0, rng, g)
    x, w, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((6, 5)), rng.standard_normal(6)
    g = rng.standard_normal((3, 4, 6))
    grads = C.linear_backward(g, x, w)
    for i in range(3):
        _directional_check(C.linear, (x, w, b), grads, i, rng, g)


def test_output_mask_and_unbatched_inputs():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 9)), rng.standard_normal((4, 3, 3))
    y = C.conv1d(x, w, padding="same")
    assert y.shape == (4, 9)
    np.testing.assert_allclose(y, C.conv1d(x[None], w, padding="same")[0], rtol=0, atol=0)
    gx, gw, gb = C.conv1d_backward(np.ones_like(y), x, w, padding="same",
                                   output_mask=(True, False, False))
    assert gx.shape == x.shape and gw is None and gb is None
    x2 = rng.standard_normal((2, 5, 6)).astype(np.float32)
    y2 = C.conv2d(x2, rng.standard_normal((3, 2, 2, 2)).astype(np.float32), stride=(2, 1))
    assert y2.shape == (3, 2, 5) and y2.dtype == np.float32
    t = C.conv_transpose1d(rng.standard_normal((2, 4)), rng.standard_normal((2, 3, 2)), stride=2)
    assert t.shape == (3, 8)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 2, 3, 3)), np.ones(2)
    copies = [a.copy() for a in (x, w, b)]
    y = C.conv2d(x, w, b, padding=1, padding_mode="circular")
    C.conv2d_backward(y, x, w, padding=1, padding_mode="circular")
    C.conv_transpose2d(x, w, b)
    C.linear(x, w.reshape(2, -1)[:, :6], b)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8, 10))[:, :, ::2, 1:]
    w = rng.standard_normal((3, 4, 3, 3)).transpose(1, 0, 2, 3)
    got = C.conv2d(x, w, padding=1)
    want = C.conv2d(np.ascontiguousarray(x), np.ascontiguousarray(w), padding=1)
    np.testing.assert_array_equal(got, want)
    a = rng.standard_normal((5, 4)).T
    np.testing.assert_allclose(C.matmul(a, np.eye(5)), a, rtol=0, atol=0)
    np.testing.assert_allclose(C.matmul(rng.standard_normal((3, 2, 4)), np.ones((4, 1))).shape,
                               (3, 2, 1))


def test_matmul_matches_numpy():
    rng = np.random.default_rng(3)
    for shape_a, shape_b in [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)),
                             ((1, 3, 4), (2, 4, 5)), ((70, 33), (33, 65))]:
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            a = rng.standard_normal(shape_a).astype(dtype)
            b = rng.standard_normal(shape_b).astype(dtype)
            got = C.matmul(a, b)
            assert got.dtype == dtype
            np.testing.assert_allclose(got, np.matmul(a, b), rtol=tol, atol=tol)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: C.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3)), groups=2), ValueError,
         ["in_channels=3", "groups=2"]),
        (lambda: C.conv2d(np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2), ValueError,
         ["out_channels=3", "groups=2"]),
        (lambda: C.conv2d(np.ones((1, 4, 5, 5)), np.ones((4, 3, 3, 3))), ValueError,
         ["expects input with 3 channels"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding="full"), ValueError,
         ["'full'", "same", "valid"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), stride=2, padding="same"),
         ValueError, ["strided", "stride=2"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), stride=0), ValueError,
         ["stride", "0"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), dilation=(1, 1)), ValueError,
         ["dilation"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding=-1), ValueError,
         ["padding", "-1"]),
        (lambda: C.conv1d(np.ones((1, 1, 2)), np.ones((1, 1, 3))), ValueError,
         ["input size 2", "kernel"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding_mode="wrap"),
         ValueError, ["padding_mode", "'wrap'", "'circular'"]),
        (lambda: C.conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding=5,
                          padding_mode="reflect"), ValueError, ["reflect", "(5, 5)"]),
        (lambda: C.conv2d(np.ones((5, 5)), np.ones((1, 1, 3, 3))), ValueError,
         ["3-D (unbatched) or 4-D", "(5, 5)"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 3, 3))), ValueError,
         ["weight", "4 dimensions"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5), np.int64), np.ones((1, 1, 3, 3))), TypeError,
         ["input", "int64"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5), np.float32), np.ones((1, 1, 3, 3))), TypeError,
         ["weight", "float64", "float32"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.ones(3)), ValueError,
         ["bias", "(2,)"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), groups=0), ValueError,
         ["groups", "0"]),
        (lambda: C.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=1.5), TypeError,
         ["stride", "1.5"]),
        (lambda: C.conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 5, 5)),
                                   np.ones((1, 1, 3, 3))), ValueError, ["grad_output", "[1, 1, 3, 3]"]),
        (lambda: C.conv_transpose1d(np.ones((1, 2, 5)), np.ones((2, 1, 3)), stride=2,
                                    output_padding=2), ValueError, ["output_padding", "stride"]),
        (lambda: C.conv_transpose1d(np.ones((1, 3, 5)), np.ones((2, 1, 3))), ValueError,
         ["expects input with 2 channels"]),
        (lambda: C.conv_transpose1d(np.ones((1, 2, 5)), np.ones((2, 1, 3)), padding="same"),
         ValueError, ["padding", "'same'"]),
        (lambda: C.pad(np.ones((2, 3)), (1, 1, 1)), ValueError, ["even", "3"]),
        (lambda: C.pad(np.ones((2, 3)), (1, 1), mode="symmetric"), ValueError,
         ["'symmetric'", "'reflect'"]),
        (lambda: C.pad(np.ones((2, 3)), (3, 0), mode="reflect"), ValueError, ["(3, 0)", "size 3"]),
        (lambda: C.pad(np.ones((2, 3)), (4, 0), mode="circular"), ValueError, ["(4, 0)"]),
        (lambda: C.pad(np.ones(3), (1, 1), mode="reflect"), ValueError, ["1 dimensions"]),
        (lambda: C.pad(np.ones((2, 3)), (1, 1), mode="reflect", value=1.0), ValueError, ["value"]),
        (lambda: C.pad(np.ones((2, 3)), (-2, -2)), ValueError, ["negative"]),
        (lambda: C.pad(np.ones((2, 3)), (1.5, 1)), TypeError, ["pad", "1.5"]),
        (lambda: C.matmul(np.ones((2, 3)), np.ones((4, 2))), ValueError, ["inner", "3", "4"]),
        (lambda: C.matmul(np.ones((2, 3, 4)), np.ones((3, 4, 2))), ValueError, ["broadcast"]),
        (lambda: C.matmul(np.ones(3), np.ones((3, 2))), ValueError, ["2 or 3 dimensions"]),
        (lambda: C.linear(np.ones((2, 3)), np.ones((4, 5))), ValueError, ["in_features=5"]),
        (lambda: C.conv1d_backward(np.ones((1, 1, 3)), np.ones((1, 1, 5)), np.ones((1, 1, 3)),
                                   output_mask=(True, False)), ValueError, ["output_mask"]),
    ],
)
def test_errors_name_parameter_and_value(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# --------------------------------------------------------------------------- torch as oracle


def _torch():
    return pytest.importorskip("torch")


def _torch_conv(torch, nd, x, w, b, kw):
    F = torch.nn.functional
    mode = kw["padding_mode"]
    padding = kw["padding"]
    conv = F.conv1d if nd == 1 else F.conv2d
    args = dict(stride=kw["stride"], dilation=kw["dilation"], groups=kw["groups"])
    if mode == "zeros" or padding == "valid":
        return conv(x, w, b, padding=padding, **args)
    if padding == "same":
        total = [d * (k - 1) for d, k in zip(kw["dilation"], w.shape[2:])]
        pairs = [(t // 2, t - t // 2) for t in total]
    else:
        pairs = [(p, p) for p in padding]
    flat = [v for pair in reversed(pairs) for v in pair]
    return conv(F.pad(x, flat, mode=mode), w, b, padding=0, **args)


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_matches_torch(nd, dtype):
    torch = _torch()
    rng = np.random.default_rng(200 + nd)
    tol = 1e-10 if dtype == "float64" else 2e-4
    conv = C.conv1d if nd == 1 else C.conv2d
    backward = C.conv1d_backward if nd == 1 else C.conv2d_backward
    for case in _cases(300 + nd, nd, 60):
        x, w, b = _arrays(rng, case, dtype)
        kw = _kw(case)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        ty = _torch_conv(torch, nd, tx, tw, tb, kw)
        y = conv(x, w, b, **kw)
        assert y.dtype == np.dtype(dtype)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=tol, atol=tol * 10, err_msg=str(case))
        g = rng.standard_normal(y.shape).astype(dtype)
        ty.backward(torch.tensor(g))
        grads = backward(g, x, w, **kw)
        for got, want in zip(grads, (tx.grad, tw.grad, tb.grad)):
            np.testing.assert_allclose(got, want.numpy(), rtol=tol, atol=tol * 10, err_msg=str(case))


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_transpose_matches_torch(nd):
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(400 + nd)
    tconv = C.conv_transpose1d if nd == 1 else C.conv_transpose2d
    backward = C.conv_transpose1d_backward if nd == 1 else C.conv_transpose2d_backward
    ref = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
    for _ in range(40):
        groups = int(rng.choice([1, 2, 3]))
        cin, cout_g = groups * int(rng.integers(1, 3)), int(rng.integers(1, 4))
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        dilation = tuple(int(s) for s in rng.integers(1, 3, nd))
        kernel = tuple(int(s) for s in rng.integers(1, 5, nd))
        padding = tuple(int(rng.integers(0, (d * (k - 1)) // 2 + 1)) for d, k in zip(dilation, kernel))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        x = rng.standard_normal((int(rng.integers(1, 4)), cin) + tuple(int(n) for n in rng.integers(1, 7, nd)))
        w = rng.standard_normal((cin, cout_g) + kernel)
        b = rng.standard_normal(cout_g * groups)
        kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                  dilation=dilation)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        ty = ref(tx, tw, tb, **kw)
        y = tconv(x, w, b, **kw)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=str(kw))
        g = rng.standard_normal(y.shape)
        ty.backward(torch.tensor(g))
        for got, want in zip(backward(g, x, w, **kw), (tx.grad, tw.grad, tb.grad)):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10, err_msg=str(kw))


def test_pad_matches_torch():
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    for mode in C.PAD_MODES:
        for _ in range(20):
            k = int(rng.integers(1, 4))
            ndim = k + int(rng.integers(1, 3))
            shape = tuple(int(n) for n in rng.integers(2, 6, ndim))
            flat = []
            for axis in range(ndim - 1, ndim - 1 - k, -1):
                n = shape[axis]
                # torch's circular mode reads uninitialised memory for negative pads (2.x), so
                # only constant padding crops here.
                lo, hi = (-1, n + 1) if mode == "constant" else (0, n - 1 if mode == "reflect" else n)
                flat += [int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))]
            x = rng.standard_normal(shape)
            value = 1.5 if mode == "constant" else None
            out_sizes = [shape[-1 - i // 2] + flat[i] + flat[i + 1] for i in range(0, len(flat), 2)]
            if mode != "constant" and min(out_sizes) < 1:
                with pytest.raises(ValueError, match="at least 1"):
                    C.pad(x, tuple(flat), mode=mode)
                continue
            tx = torch.tensor(x, requires_grad=True)
            ty = F.pad(tx, flat, mode=mode, value=value) if value is not None else F.pad(tx, flat, mode=mode)
            y = C.pad(x, tuple(flat), mode=mode, value=value)
            np.testing.assert_array_equal(y, ty.detach().numpy(), err_msg=f"{mode} {shape} {flat}")
            g = rng.standard_normal(y.shape)
            ty.backward(torch.tensor(g))
            np.testing.assert_allclose(C.pad_backward(g, shape, tuple(flat), mode=mode),
                                       tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(6)
    for shape in [(5, 7), (2, 3, 7), (1, 7)]:
        x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 7)), rng.standard_normal(4)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        ty = torch.nn.functional.linear(tx, tw, tb)
        np.testing.assert_allclose(C.linear(x, w, b), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        for got, want in zip(C.linear_backward(g, x, w), (tx.grad, tw.grad, tb.grad)):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_docstring_examples():
    import doctest

    result = doctest.testmod(C, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 30
    assert result.failed == 0
