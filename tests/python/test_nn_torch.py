"""sigconv.nn against torch (the oracle) where torch is installed: forward values and gradients of
every functional op and layer over random shapes, strides, paddings, dilations and groups."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import sigconv  # noqa: E402
from sigconv import nn, optim  # noqa: E402
from sigconv.nn import functional as F  # noqa: E402


def compare(sig_fn, torch_fn, *arrays, grad=None, rtol=1e-9, atol=1e-9, seed=0):
    """Run the op in both libraries (float64), compare outputs and the gradients of sum(w * out)."""
    grad = [a.dtype.kind == "f" for a in arrays] if grad is None else grad
    st = [sigconv.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    tt = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    so, to = sig_fn(*st), torch_fn(*tt)
    if isinstance(so, tuple):
        so, to = so[0], to[0]
    np.testing.assert_allclose(so.numpy(), to.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")
    if not any(grad):
        return
    w = np.random.default_rng(seed).standard_normal(to.shape)
    (so * sigconv.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for i, (s, t, g) in enumerate(zip(st, tt, grad)):
        if g:
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"gradient of argument {i}")


def _conv_cases(nd, count, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        groups = int(rng.choice([1, 1, 2, 3]))
        cin = groups * int(rng.integers(1, 4))
        cout = groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        p = tuple(int(v) for v in rng.integers(0, 3, nd))
        size = tuple(int(v) for v in rng.integers(4, 12, nd))
        if any(sz + 2 * pp < dd * (kk - 1) + 1 for sz, pp, dd, kk in zip(size, p, d, k)):
            continue
        mode = str(rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"]))
        if mode == "reflect" and any(pp >= sz for pp, sz in zip(p, size)):
            mode = "zeros"
        cases.append((int(rng.integers(1, 3)), cin, cout, k, s, d, p, size, groups, mode, bool(rng.integers(0, 2))))
    return cases


@pytest.mark.parametrize("case", _conv_cases(2, 24, 0))
def test_conv2d_layer_matches_torch(case):
    n, cin, cout, k, s, d, p, size, groups, mode, bias = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, cin) + size)
    w = rng.standard_normal((cout, cin // groups) + k)
    b = rng.standard_normal(cout)
    tconv = torch.nn.Conv2d(cin, cout, k, s, p, d, groups, bias, padding_mode=mode).double()
    with torch.no_grad():
        tconv.weight.copy_(torch.tensor(w))
        if bias:
            tconv.bias.copy_(torch.tensor(b))
    sconv = nn.Conv2d(cin, cout, k, s, p, d, groups, bias, padding_mode=mode).double()
    sconv.weight.numpy()[...] = w
    if bias:
        sconv.bias.numpy()[...] = b
    compare(lambda t: sconv(t), lambda t: tconv(t), x)
    wgt = np.random.default_rng(0).standard_normal(tconv(torch.tensor(x)).shape)
    (sconv(sigconv.tensor(x)) * sigconv.tensor(wgt)).sum().backward()
    (tconv(torch.tensor(x)) * torch.tensor(wgt)).sum().backward()
    np.testing.assert_allclose(sconv.weight.grad.numpy(), tconv.weight.grad.numpy(), rtol=1e-9, atol=1e-9)
    if bias:
        np.testing.assert_allclose(sconv.bias.grad.numpy(), tconv.bias.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("case", _conv_cases(1, 16, 1))
def test_conv1d_matches_torch(case):
    n, cin, cout, k, s, d, p, size, groups, mode, bias = case
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, cin) + size)
    w = rng.standard_normal((cout, cin // groups) + k)
    if mode == "zeros":
        compare(lambda a, b: F.conv1d(a, b, None, s, p, d, groups), lambda a, b: TF.conv1d(a, b, None, s, p, d, groups), x, w)
    else:
        compare(
            lambda a, b: F.conv1d(a, b, None, s, p, d, groups, padding_mode=mode),
            lambda a, b: TF.conv1d(TF.pad(a, (p[0], p[0]), mode=mode), b, None, s, 0, d, groups),
            x,
            w,
        )


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("k, d", [((3, 4), (1, 1)), ((2, 3), (2, 1)), ((5, 1), (1, 3))])
def test_conv2d_string_padding_matches_torch(padding, k, d):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 9, 8))
    w = rng.standard_normal((3, 2) + k)
    compare(lambda a, b: F.conv2d(a, b, padding=padding, dilation=d), lambda a, b: TF.conv2d(a, b, padding=padding, dilation=d), x, w)
    compare(lambda a, b: F.conv1d(a, b, padding=padding, dilation=d[0]), lambda a, b: TF.conv1d(a, b, padding=padding, dilation=d[0]), x[:, :, 0], w[:, :, 0])


def _tconv_cases(nd, count, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        groups = int(rng.choice([1, 1, 2]))
        cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        p = tuple(int(v) for v in rng.integers(0, 3, nd))
        op = tuple(int(rng.integers(0, max(ss, dd))) for ss, dd in zip(s, d))
        size = tuple(int(v) for v in rng.integers(2, 7, nd))
        out = [(sz - 1) * ss - 2 * pp + dd * (kk - 1) + oo + 1 for sz, ss, pp, dd, kk, oo in zip(size, s, p, d, k, op)]
        if min(out) < 1:
            continue
        cases.append((cin, cout, k, s, d, p, op, size, groups))
    return cases


@pytest.mark.parametrize("case", _tconv_cases(2, 16, 4))
def test_conv_transpose2d_matches_torch(case):
    cin, cout, k, s, d, p, op, size, groups = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, cin) + size)
    w = rng.standard_normal((cin, cout // groups) + k)
    b = rng.standard_normal(cout)
    compare(
        lambda a, ww, bb: F.conv_transpose2d(a, ww, bb, s, p, op, groups, d),
        lambda a, ww, bb: TF.conv_transpose2d(a, ww, bb, s, p, op, groups, d),
        x,
        w,
        b,
    )


@pytest.mark.parametrize("case", _tconv_cases(1, 10, 6))
def test_conv_transpose1d_matches_torch(case):
    cin, cout, k, s, d, p, op, size, groups = case
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, cin) + size)
    w = rng.standard_normal((cin, cout // groups) + k)
    compare(lambda a, ww: F.conv_transpose1d(a, ww, None, s, p, op, groups, d), lambda a, ww: TF.conv_transpose1d(a, ww, None, s, p, op, groups, d), x, w)


def _distinct(rng, shape):
    n = int(np.prod(shape))
    return rng.permutation(n).reshape(shape) * 0.1 + rng.uniform(-0.01, 0.01, shape)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=(3, 2), stride=2, padding=(1, 0), ceil_mode=True),
    ],
)
def test_max_pool_matches_torch(kw):
    rng = np.random.default_rng(8)
    x = _distinct(rng, (2, 3, 9, 8))
    compare(lambda a: F.max_pool2d(a, **kw), lambda a: TF.max_pool2d(a, **kw), x)
    _, si = F.max_pool2d(x, return_indices=True, **kw)
    _, ti = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(si, ti.numpy())
    k1 = {key: (v[0] if isinstance(v, tuple) else v) for key, v in kw.items()}
    compare(lambda a: F.max_pool1d(a, **k1), lambda a: TF.max_pool1d(a, **k1), x[:, :, 0])
    # min pooling is max pooling of the negation
    compare(lambda a: F.min_pool2d(a, **kw), lambda a: -TF.max_pool2d(-a, **kw), x)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ],
)
def test_avg_pool_matches_torch(kw):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 2, 8, 7))
    compare(lambda a: F.avg_pool2d(a, **kw), lambda a: TF.avg_pool2d(a, **kw), x)
    compare(lambda a: F.avg_pool1d(a, **kw), lambda a: TF.avg_pool1d(a, **kw), x[:, :, 0])


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (5, 7), (4, None)])
def test_adaptive_avg_pool_matches_torch(size):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 9, 7))
    compare(lambda a: F.adaptive_avg_pool2d(a, size), lambda a: TF.adaptive_avg_pool2d(a, size), x)
    compare(lambda a: F.adaptive_avg_pool1d(a, size[0]), lambda a: TF.adaptive_avg_pool1d(a, size[0]), x[:, :, 0])


def test_max_unpool_matches_torch():
    rng = np.random.default_rng(11)
    x = _distinct(rng, (2, 2, 6, 6))
    _, idx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    y = rng.standard_normal(idx.shape)
    compare(lambda a: F.max_unpool2d(a, idx.numpy(), 2), lambda a: TF.max_unpool2d(a, idx, 2), y)
    compare(lambda a: F.max_unpool2d(a, idx.numpy(), 2, output_size=(7, 7)), lambda a: TF.max_unpool2d(a, idx, 2, output_size=(7, 7)), y)
    _, idx1 = TF.max_pool1d(torch.tensor(x[:, :, 0]), 2, return_indices=True)
    compare(lambda a: F.max_unpool1d(a, idx1.numpy(), 2), lambda a: TF.max_unpool1d(a, idx1, 2), rng.standard_normal(idx1.shape))


@pytest.mark.parametrize(
    "kw",
    [
        dict(scale_factor=2, mode="nearest"),
        dict(size=(7, 5), mode="nearest"),
        dict(scale_factor=2, mode="bilinear", align_corners=False),
        dict(scale_factor=3, mode="bilinear", align_corners=True),
        dict(size=(5, 9), mode="bilinear"),
    ],
)
def test_interpolate_matches_torch(kw):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 2, 4, 3))
    compare(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), x)
    k1 = dict(kw)
    if k1["mode"] == "bilinear":
        k1["mode"] = "linear"
    if "size" in k1:
        k1["size"] = k1["size"][0]
    compare(lambda a: F.interpolate(a, **k1), lambda a: TF.interpolate(a, **k1), x[:, :, 0])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 2, 5, 4))
    compare(lambda a: F.pad(a, (1, 2, 3, 0), mode=mode), lambda a: TF.pad(a, (1, 2, 3, 0), mode=mode), x)
    compare(lambda a: F.pad(a, (2, 1), mode=mode), lambda a: TF.pad(a, (2, 1), mode=mode), x[:, :, 0])


def test_linear_activations_and_losses_match_torch():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 5))
    w = rng.standard_normal((3, 5))
    b = rng.standard_normal(3)
    compare(F.linear, TF.linear, x, w, b)
    compare(lambda a, c: a @ c, lambda a, c: a @ c, rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2)))
    for sf, tf in [
        (F.relu, TF.relu),
        (F.sigmoid, torch.sigmoid),
        (F.tanh, torch.tanh),
        (lambda a: F.softmax(a, 1), lambda a: TF.softmax(a, 1)),
        (lambda a: F.log_softmax(a, 0), lambda a: TF.log_softmax(a, 0)),
        (lambda a: F.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1)),
    ]:
        compare(sf, tf, x)
    t = np.array([0, 2, 1, 4])
    tt = torch.tensor(t)
    wt = rng.uniform(0.5, 2, 5)
    for kw in [dict(), dict(reduction="sum"), dict(reduction="none"), dict(label_smoothing=0.15), dict(ignore_index=1)]:
        compare(lambda a: F.cross_entropy(a, t, **kw), lambda a: TF.cross_entropy(a, tt, **kw), x)
    compare(lambda a: F.cross_entropy(a, t, weight=wt, label_smoothing=0.1), lambda a: TF.cross_entropy(a, tt, weight=torch.tensor(wt), label_smoothing=0.1), x)
    p = rng.dirichlet(np.ones(5), 4)
    compare(lambda a: F.cross_entropy(a, p, label_smoothing=0.2), lambda a: TF.cross_entropy(a, torch.tensor(p), label_smoothing=0.2), x)
    ts = rng.integers(0, 3, (2, 4, 5))
    compare(lambda a: F.cross_entropy(a, ts), lambda a: TF.cross_entropy(a, torch.tensor(ts)), rng.standard_normal((2, 3, 4, 5)))
    y = rng.standard_normal((4, 5))
    for red in ("mean", "sum", "none"):
        compare(lambda a, c: F.mse_loss(a, c, reduction=red), lambda a, c: TF.mse_loss(a, c, reduction=red), x, y)
    compare(lambda a: F.nll_loss(a, t), lambda a: TF.nll_loss(a, tt), x)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
def test_batch_norm_layers_match_torch(shape):
    rng = np.random.default_rng(15)
    x = rng.normal(1.0, 2.0, shape)
    cls = (nn.BatchNorm2d, torch.nn.BatchNorm2d) if len(shape) == 4 else (nn.BatchNorm1d, torch.nn.BatchNorm1d)
    s, t = cls[0](3).double(), cls[1](3).double()
    for _ in range(3):
        compare(lambda a: s(a), lambda a: t(a), x, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(s.running_var.numpy(), t.running_var.numpy(), rtol=1e-10)
    s.eval()
    t.eval()
    compare(lambda a: s(a), lambda a: t(a), x, rtol=1e-7, atol=1e-9)


def test_embedding_matches_torch():
    rng = np.random.default_rng(16)
    w = rng.standard_normal((6, 3))
    idx = np.array([[0, 5, 5], [2, 1, 0]])
    compare(lambda ww: F.embedding(idx, ww), lambda ww: TF.embedding(torch.tensor(idx), ww), w)


def test_optimizers_match_torch():
    rng = np.random.default_rng(17)
    w0 = rng.standard_normal((3, 4))
    target = rng.standard_normal((3, 4))
    configs = [
        (lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        (lambda p: optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
        (lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True), lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
        (lambda p: optim.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    ]
    for make_s, make_t in configs:
        ws = sigconv.tensor(w0, requires_grad=True)
        wt = torch.tensor(w0, requires_grad=True)
        os_, ot = make_s([ws]), make_t([wt])
        for _ in range(5):
            os_.zero_grad()
            ot.zero_grad()
            ((ws - sigconv.tensor(target)) ** 4).sum().backward()
            ((wt - torch.tensor(target)) ** 4).sum().backward()
            os_.step()
            ot.step()
        np.testing.assert_allclose(ws.numpy(), wt.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_lenet_training_step_matches_torch():
    """A whole network: same weights, one SGD step, same loss and updated weights."""
    rng = np.random.default_rng(18)
    s = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10)).double()
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 10)).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in s.state_dict().items()})
    x = rng.standard_normal((4, 1, 32, 32))
    y = np.array([1, 2, 3, 4])
    so, to = optim.SGD(s.parameters(), lr=0.1, momentum=0.9), torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        ls = F.cross_entropy(s(sigconv.tensor(x)), y)
        lt = TF.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
        so.zero_grad()
        to.zero_grad()
        ls.backward()
        lt.backward()
        so.step()
        to.step()
        assert float(ls) == pytest.approx(float(lt), rel=1e-10)
    for k, v in s.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t.state_dict()[k].numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


def test_float32_close_to_torch():
    rng = np.random.default_rng(19)
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    got = F.conv2d(x, w, padding=1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy(), rtol=1e-4, atol=1e-4)
