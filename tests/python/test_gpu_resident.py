"""GPU-resident tensors (``Tensor.to('gpu')``, ``Module.to('gpu')``): every operation with a GPU
kernel against the same operation in host memory, gradients included; the optimisers' steps; a
training step that never copies through host memory; and the clear errors for what has no GPU
kernel. On CI the adapter is Mesa's lavapipe."""

import copy

import numpy as np
import pytest

import sigconv
from sigconv import _core, nn, optim, train
from sigconv._gpu_array import GpuArray
from sigconv.nn import functional as F

ADAPTER = _core.gpu_adapter()
pytestmark = pytest.mark.skipif(ADAPTER is None, reason=f"no GPU adapter: {_core.gpu_unavailable_reason()}")
needs_f64 = pytest.mark.skipif(ADAPTER is None or not ADAPTER["f64"], reason="no SHADER_F64")


def gpu(a):
    return GpuArray.from_numpy(np.asarray(a))


# ---- the arrays -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, pytest.param(np.float64, marks=needs_f64)])
def test_round_trip_keeps_values_shape_and_dtype(dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    g = gpu(a)
    assert g.shape == (2, 3, 4) and g.dtype == dtype and g.size == 24 and g.ndim == 3
    back = g.numpy()
    assert back.dtype == dtype and np.array_equal(back, a)
    assert np.array_equal(g.reshape(4, -1).numpy(), a.reshape(4, -1))


def test_elementwise_operations_equal_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1000).astype(np.float32)
    b = rng.standard_normal(1000).astype(np.float32)
    a[::97], b[::89] = np.nan, np.inf
    ga, gb = gpu(a), gpu(b)
    cases = {
        "a + b": (ga + gb, a + b), "a - b": (ga - gb, a - b), "a * b": (ga * gb, a * b),
        "a / b": (ga / gb, a / b), "2 - a": (2 - ga, 2 - a), "a * 3": (ga * 3, a * np.float32(3)),
        "1 / b": (1 / gb, np.float32(1) / b), "-a": (-ga, -a),
        "maximum": (np.maximum(ga, gb), np.maximum(a, b)), "relu": (np.maximum(ga, 0), np.maximum(a, 0)),
        "minimum": (np.minimum(ga, gb), np.minimum(a, b)),
        "a > 0": (ga > 0, (a > 0).astype(np.float32)), "a <= b": (ga <= gb, (a <= b).astype(np.float32)),
        "a == b": (ga == gb, (a == b).astype(np.float32)), "0 < a": (0 < ga, (0 < a).astype(np.float32)),
    }  # fmt: skip
    with np.errstate(all="ignore"):
        for name, (got, want) in cases.items():
            assert got.dtype == np.float32, name
            np.testing.assert_array_equal(got.numpy(), want, err_msg=name)


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@pytest.mark.parametrize("shape, axis", [((5, 7, 3), None), ((5, 7, 3), 0), ((5, 7, 3), (0, 2)),
                                         ((5, 7, 3), 2), ((40000,), None), ((3, 50000), 1),
                                         ((70000, 2), 0), ((0, 4), 0)])
def test_sums_over_leading_and_trailing_axes(shape, axis):
    a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want = a.astype(np.float64).sum(axis=axis)
    got = gpu(a).sum(axis=axis)
    assert got.shape == np.shape(want)
    scale = np.abs(a).astype(np.float64).sum(axis=axis) + 1e-30
    assert np.all(np.abs(got.numpy() - want) <= 1e-6 * scale)
    assert gpu(a).sum(axis=axis, keepdims=True).shape == a.sum(axis=axis, keepdims=True).shape
    np.testing.assert_allclose(gpu(a).mean(axis=axis).numpy(), a.mean(axis=axis), rtol=1e-5, atol=1e-6)


def test_sums_are_deterministic():
    a = gpu(np.random.default_rng(2).standard_normal(300000).astype(np.float32))
    assert len({a.sum().item() for _ in range(5)}) == 1


def test_in_place_assignment_and_helpers():
    g = gpu(np.arange(6, dtype=np.float32))
    view = g.reshape(2, 3)
    g[...] = 2.5
    assert np.all(view.numpy() == 2.5)  # a view shares the buffer
    g[...] = gpu(np.arange(6, dtype=np.float32))
    assert np.array_equal(np.ones_like(g).numpy(), np.ones(6, np.float32))
    assert np.array_equal(np.zeros_like(view).numpy(), np.zeros((2, 3), np.float32))
    one = g.sum()
    assert np.array_equal(np.broadcast_to(one, (2, 2)).numpy(), np.full((2, 2), 15.0, np.float32))
    c = g.copy()
    g[...] = 0.0
    assert c.numpy().tolist() == [0, 1, 2, 3, 4, 5] and g.numpy().sum() == 0


def test_what_has_no_gpu_kernel_raises_clearly():
    g = gpu(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="implicitly"):
        np.asarray(g)
    with pytest.raises(TypeError, match="numpy.sin has no GPU kernel.*to\\('cpu'\\)"):
        np.sin(g)
    with pytest.raises(ValueError, match="do not broadcast"):
        g + gpu(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="different devices"):
        g + np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="boolean mask alone.*no GPU kernel"):
        g[gpu(np.array([1.0, 0.0])) > 0, 0]
    with pytest.raises(TypeError, match="ndarray.cumsum has no GPU kernel"):
        g.cumsum()
    with pytest.raises(TypeError, match="float32 to float64"):
        g.astype(np.float64)
    with pytest.raises(ValueError, match="int32"):
        gpu(np.array([2**40]))
    t = sigconv.tensor(np.ones((2, 3), np.float32)).to("gpu")
    with pytest.raises(TypeError, match="numpy.cumsum has no GPU kernel"):
        np.cumsum(t._data)
    with pytest.raises(ValueError, match="host memory"):
        F.conv2d(t.reshape(1, 1, 2, 3), sigconv.tensor(np.ones((1, 1, 2, 2), np.float32)))
    with pytest.raises(ValueError, match="one device"):
        F.max_unpool2d(t.reshape(1, 1, 2, 3), sigconv.tensor(np.zeros((1, 1, 2, 3), np.int64)), 1)


# ---- tensors and autograd -----------------------------------------------------------------------
def test_tensor_to_gpu_and_back_is_differentiable():
    x = sigconv.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    g = x.to("gpu")
    assert g.device == "gpu" and x.device == "cpu" and g.shape == (2, 2) and "device='gpu'" in repr(g)
    y = (g.relu() * g).sum() + (g * 2).mean()
    assert y.device == "gpu"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.array([[2.5, 0.5], [6.5, 8.5]], np.float32))
    assert g.to("cpu").device == "cpu" and g.cpu().numpy().tolist() == [[1, -2], [3, 4]]
    assert float(y) == pytest.approx(1 + 9 + 16 + 3)


def _layer_cases():
    rng = np.random.default_rng(3)
    return [
        ("conv2d", nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 9, 9)),
        ("conv2d groups dilation", nn.Conv2d(4, 6, 3, groups=2, dilation=2, bias=False), (2, 4, 11, 10)),
        ("conv2d same", nn.Conv2d(2, 3, (3, 5), padding="same"), (1, 2, 7, 8)),
        ("conv1d", nn.Conv1d(3, 5, 4, stride=2, padding=2), (3, 3, 20)),
        ("conv1d unbatched", nn.Conv1d(2, 3, 3), (2, 15)),
        ("linear", nn.Linear(7, 4), (5, 7)),
        ("linear 3-D", nn.Linear(6, 2), (2, 3, 6)),
        ("max_pool2d", nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 8)),
        ("max_pool1d", nn.MaxPool1d(2), (2, 3, 11)),
        ("avg_pool2d", nn.AvgPool2d(2, count_include_pad=False, padding=1), (2, 2, 7, 6)),
        ("avg_pool1d", nn.AvgPool1d(3, stride=1, padding=1), (2, 2, 9)),
        ("relu + flatten", nn.Sequential(nn.ReLU(), nn.Flatten()), (3, 2, 4)),
    ], rng


def test_layers_and_their_gradients_match_the_cpu():
    cases, rng = _layer_cases()
    for name, layer, shape in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        cpu_layer, gpu_layer = layer, copy.deepcopy(layer).to("gpu")
        xc = sigconv.tensor(x, requires_grad=True)
        xg = sigconv.tensor(x, requires_grad=True)
        yc, yg = cpu_layer(xc), gpu_layer(xg.to("gpu"))
        assert yg.device == "gpu" and yg.shape == yc.shape, name
        scale = np.abs(yc.numpy()).max() + 1
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), atol=2e-6 * scale, err_msg=name)
        up = rng.standard_normal(yc.shape).astype(np.float32)
        yc.backward(sigconv.tensor(up))
        yg.backward(sigconv.tensor(up).to("gpu"))
        np.testing.assert_allclose(xg.grad.numpy(), xc.grad.numpy(), atol=1e-5 * scale, err_msg=name)
        for (pn, pc), (_, pg) in zip(cpu_layer.named_parameters(), gpu_layer.named_parameters()):
            assert pg.grad.device == "gpu"
            np.testing.assert_allclose(pg.grad.numpy(), pc.grad.numpy(), rtol=1e-4, atol=1e-4 * scale,
                                       err_msg=f"{name} {pn}")


def test_losses_match_the_cpu():
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((9, 5)).astype(np.float32)
    target = rng.integers(0, 5, 9)
    target[2] = -100
    for reduction in ("mean", "sum"):
        for tg in (sigconv.tensor(target), sigconv.tensor(target).to("gpu")):
            xc, xg = sigconv.tensor(logits, requires_grad=True), sigconv.tensor(logits, requires_grad=True)
            lc = F.cross_entropy(xc, target, reduction=reduction)
            lg = F.cross_entropy(xg.to("gpu"), tg, reduction=reduction)
            assert lg.device == "gpu"
            np.testing.assert_allclose(lg.item(), lc.item(), rtol=1e-5)
            lc.backward()
            lg.backward()
            np.testing.assert_allclose(xg.grad.numpy(), xc.grad.numpy(), atol=1e-6)
    pred = rng.standard_normal((4, 3)).astype(np.float32)
    want = rng.standard_normal((4, 3)).astype(np.float32)
    for reduction in ("mean", "sum", "none"):
        pc, pg = sigconv.tensor(pred, requires_grad=True), sigconv.tensor(pred, requires_grad=True)
        lc = F.mse_loss(pc, sigconv.tensor(want), reduction=reduction)
        lg = F.mse_loss(pg.to("gpu"), sigconv.tensor(want).to("gpu"), reduction=reduction)
        np.testing.assert_allclose(lg.numpy(), lc.numpy(), rtol=1e-5)
        lc.sum().backward()
        lg.sum().backward()
        np.testing.assert_allclose(pg.grad.numpy(), pc.grad.numpy(), rtol=1e-5)


def test_loss_errors():
    x = sigconv.tensor(np.zeros((3, 4), np.float32)).to("gpu")
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    assert np.isnan(F.cross_entropy(x, sigconv.tensor(np.array([0, 4, 1])).to("gpu")).item())
    with pytest.raises(TypeError, match="label smoothing"):
        F.cross_entropy(x, np.array([0, 1, 1]), label_smoothing=0.1)
    with pytest.raises(TypeError, match="reduction='none'"):
        F.cross_entropy(x, np.array([0, 1, 1]), reduction="none")
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(x, np.array([0, 1]))


@needs_f64
def test_float64_cross_entropy_names_float32():
    x = sigconv.tensor(np.zeros((3, 4))).to("gpu")
    with pytest.raises(TypeError, match="float32"):
        F.cross_entropy(x, np.array([0, 1, 1]))


# ---- optimisers ---------------------------------------------------------------------------------
OPTIMISERS = [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, maximize=True),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.02, betas=(0.8, 0.9), maximize=True),
]


@pytest.mark.parametrize("make", OPTIMISERS)
def test_optimiser_steps_match_the_cpu(make):
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((3, 50)).astype(np.float32)
    pc, pg = sigconv.tensor(w0, requires_grad=True), sigconv.tensor(w0).to("gpu").requires_grad_()
    oc, og = make([pc]), make([pg])
    for step in range(4):
        grad = rng.standard_normal(w0.shape).astype(np.float32)
        oc.zero_grad()
        og.zero_grad()
        (pc * sigconv.tensor(grad)).sum().backward()
        (pg * sigconv.tensor(grad).to("gpu")).sum().backward()
        oc.step()
        og.step()
        assert pg.device == "gpu"
        np.testing.assert_allclose(pg.numpy(), pc.numpy(), rtol=1e-6, atol=1e-7, err_msg=f"step {step}")


# ---- training -----------------------------------------------------------------------------------
def _model():
    sigconv.manual_seed(1)
    return nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(4, 4, 3),
                         nn.ReLU(), nn.AvgPool1d(2), nn.Flatten(), nn.Linear(4 * 3, 3))


def test_a_training_step_stays_in_gpu_memory(monkeypatch):
    model = _model().to("gpu")
    rng = np.random.default_rng(6)
    x = sigconv.tensor(rng.standard_normal((8, 2, 16)).astype(np.float32)).to("gpu")
    y = sigconv.tensor(rng.integers(0, 3, 8)).to("gpu")
    opt = optim.Adam(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    step()  # the state buffers exist from here on

    def forbidden(*args, **kwargs):
        raise AssertionError("a training step copied through host memory")

    monkeypatch.setattr(GpuArray, "numpy", forbidden)
    monkeypatch.setattr(GpuArray, "from_numpy", classmethod(forbidden))
    loss = step()
    monkeypatch.undo()
    assert loss.device == "gpu" and np.isfinite(loss.item())
    assert all(p.device == "gpu" and p.grad.device == "gpu" for p in model.parameters())


def test_fit_on_the_gpu_matches_the_cpu_and_the_model_moves_back():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 2, 16)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    runs = {}
    for device in ("cpu", "gpu"):
        model = _model().to(device)
        hist = train.fit(model, (x, y), nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                         epochs=2, batch_size=16, val_data=(x[:8], y[:8]), progress=False)
        runs[device] = (hist, model.to("cpu"))
    for key in ("loss", "acc", "val_loss", "val_acc"):
        np.testing.assert_allclose(runs["gpu"][0][key], runs["cpu"][0][key], rtol=1e-4, err_msg=key)
    for (name, pc), (_, pg) in zip(runs["cpu"][1].named_parameters(), runs["gpu"][1].named_parameters()):
        assert pg.device == "cpu"
        np.testing.assert_allclose(pg.numpy(), pc.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


@needs_f64
def test_float64_training_on_the_gpu():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 2, 16))
    target = rng.standard_normal((6, 3))
    models = {d: _model().double().to(d) for d in ("cpu", "gpu")}
    losses = {}
    for d, m in models.items():
        opt = optim.SGD(m.parameters(), lr=0.1)
        xt, tt = sigconv.tensor(x), sigconv.tensor(target)
        if d == "gpu":
            xt, tt = xt.to("gpu"), tt.to("gpu")
        out = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.mse_loss(m(xt), tt)
            loss.backward()
            opt.step()
            out.append(loss.item())
        losses[d] = out
    np.testing.assert_allclose(losses["gpu"], losses["cpu"], rtol=1e-12)


# ---- broadcasting, functions, and the layers of the zoo models ----------------------------------
def test_broadcasting_over_a_block_of_axes():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for shape in [(1, 3, 1, 1), (3, 1, 1), (5,), (4, 5), (2, 3, 1, 1), (1,), ()]:
        b = rng.standard_normal(shape).astype(np.float32)
        for got, want in [(gpu(a) + gpu(b), a + b), (gpu(b) - gpu(a), b - a), (gpu(a) * gpu(b), a * b)]:
            assert got.shape == want.shape, shape
            np.testing.assert_array_equal(got.numpy(), want, err_msg=str(shape))
    for sa, sb in [((3,), (1, 3)), ((1, 1, 3), (3,)), ((2, 3), (1, 1, 3))]:
        assert (gpu(np.ones(sa, np.float32)) + gpu(np.ones(sb, np.float32))).shape == np.broadcast_shapes(sa, sb)
    with pytest.raises(ValueError, match="do not broadcast"):
        gpu(np.ones((3, 2), np.float32)) + gpu(np.ones((1, 4), np.float32))
    x = sigconv.tensor(a, requires_grad=True)
    bias = sigconv.tensor(np.ones((1, 3, 1, 1), np.float32), requires_grad=True)
    xg = x.to("gpu")
    bg = sigconv.tensor(np.ones((1, 3, 1, 1), np.float32)).to("gpu").requires_grad_()
    ((xg * bg + bg) * xg).sum().backward()
    ((x * bias + bias) * x).sum().backward()
    np.testing.assert_allclose(bg.grad.numpy(), bias.grad.numpy(), rtol=1e-5)
    # x received the gradient of both graphs (xg is x moved to the GPU): 2 x (2 x + 1) each
    np.testing.assert_allclose(x.grad.numpy(), (2 * (2 * a + 1)).astype(np.float32), rtol=1e-6)


def test_functions_of_one_operand():
    a = np.random.default_rng(11).uniform(0.1, 3, 500).astype(np.float32)
    for f in (np.sqrt, np.exp, np.log, np.tanh, np.abs):
        # Vulkan's precision: a few ulp; log within 2^-21 absolute near 1
        np.testing.assert_allclose(f(gpu(a)).numpy(), f(a), rtol=1e-5, atol=1e-6, err_msg=f.__name__)
    x = sigconv.tensor(a, requires_grad=True)
    xg = sigconv.tensor(a).to("gpu").requires_grad_()
    (x.exp() + x.log() * x.sqrt() + x.tanh()).sum().backward()
    (xg.exp() + xg.log() * xg.sqrt() + xg.tanh()).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), x.grad.numpy(), rtol=1e-5)


@needs_f64
def test_float64_transcendentals_name_float32():
    with pytest.raises(TypeError, match="float32"):
        np.exp(gpu(np.ones(3)))
    np.testing.assert_array_equal(np.sqrt(gpu(np.array([4.0, 9.0]))).numpy(), [2.0, 3.0])


def test_dropout_on_the_gpu():
    sigconv.manual_seed(3)
    x = sigconv.tensor(np.ones((40, 250), np.float32), requires_grad=True)
    xg = x.to("gpu")
    y = F.dropout(xg, 0.3)
    v = y.numpy()
    assert y.device == "gpu" and set(np.unique(v)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((v > 0).mean() - 0.7) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)
    sigconv.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(xg, 0.3).numpy(), v)  # the seed decides the mask
    assert np.all(F.dropout(xg, 1.0).numpy() == 0) and F.dropout(xg, 0.3, training=False) is xg


@pytest.mark.parametrize("make, shape", [(lambda: nn.BatchNorm2d(3), (4, 3, 5, 6)),
                                         (lambda: nn.BatchNorm1d(4), (6, 4, 7)),
                                         (lambda: nn.BatchNorm1d(5), (8, 5))])
def test_batch_norm_matches_the_cpu(make, shape):
    rng = np.random.default_rng(12)
    cpu_bn = make()
    gpu_bn = copy.deepcopy(cpu_bn).to("gpu")
    assert gpu_bn.running_mean.device == "gpu" and gpu_bn.num_batches_tracked.device == "cpu"
    for training in (True, True, False):
        cpu_bn.train(training)
        gpu_bn.train(training)
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        xc, xg = sigconv.tensor(x, requires_grad=True), sigconv.tensor(x, requires_grad=True)
        yc, yg = cpu_bn(xc), gpu_bn(xg.to("gpu"))
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-4, atol=1e-5)
        up = rng.standard_normal(shape).astype(np.float32)
        yc.backward(sigconv.tensor(up))
        yg.backward(sigconv.tensor(up).to("gpu"))
        np.testing.assert_allclose(xg.grad.numpy(), xc.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu_bn.running_var.numpy(), cpu_bn.running_var.numpy(), rtol=1e-5)
    np.testing.assert_allclose(gpu_bn.weight.grad.numpy(), cpu_bn.weight.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_transposed_convolution_adaptive_pooling_and_cat_match_the_cpu():
    rng = np.random.default_rng(13)
    cases = [
        ("conv_transpose2d", nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), (2, 4, 5, 6)),
        ("conv_transpose2d groups", nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False), (1, 4, 3, 3)),
        ("conv_transpose1d", nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2), (2, 3, 7)),
        ("adaptive_avg_pool2d", nn.AdaptiveAvgPool2d(1), (2, 3, 6, 4)),
        ("adaptive_avg_pool2d 2", nn.AdaptiveAvgPool2d((2, 2)), (2, 3, 6, 4)),
    ]
    for name, layer, shape in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        glayer = copy.deepcopy(layer).to("gpu")
        xc, xg = sigconv.tensor(x, requires_grad=True), sigconv.tensor(x, requires_grad=True)
        yc, yg = layer(xc), glayer(xg.to("gpu"))
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
        up = rng.standard_normal(yc.shape).astype(np.float32)
        yc.backward(sigconv.tensor(up))
        yg.backward(sigconv.tensor(up).to("gpu"))
        np.testing.assert_allclose(xg.grad.numpy(), xc.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
        for (pn, pc), (_, pg) in zip(layer.named_parameters(), glayer.named_parameters()):
            np.testing.assert_allclose(pg.grad.numpy(), pc.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=pn)
    uneven = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6)  # overlapping windows
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(4)(sigconv.tensor(uneven).to("gpu")).numpy(),
                               nn.AdaptiveAvgPool2d(4)(sigconv.tensor(uneven)).numpy(), rtol=1e-6)
    parts = [rng.standard_normal((2, c, 3)).astype(np.float32) for c in (1, 4, 2)]
    tc = [sigconv.tensor(p, requires_grad=True) for p in parts]
    tg = [sigconv.tensor(p, requires_grad=True) for p in parts]
    oc, og = sigconv.cat(tc, dim=1), sigconv.cat([t.to("gpu") for t in tg], dim=1)
    np.testing.assert_array_equal(og.numpy(), oc.numpy())
    w = rng.standard_normal(oc.shape).astype(np.float32)
    (oc * sigconv.tensor(w)).sum().backward()
    (og * sigconv.tensor(w).to("gpu")).sum().backward()
    for a, b in zip(tg, tc):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("name, data", [("lenet5", "digits"), ("resnet", "digits"), ("unet", "digits")])
def test_zoo_models_train_on_the_gpu_as_on_the_cpu(name, data):
    from sigconv import zoo

    runs = [zoo.run(name, data, epochs=1, limit=32, progress=False, device=d) for d in ("cpu", "gpu")]
    assert all(p.device == "gpu" for p in runs[1].model.parameters())
    np.testing.assert_allclose(runs[1].history["loss"], runs[0].history["loss"], rtol=1e-3)


def test_maxima_softmax_and_sigmoid_match_the_cpu():
    rng = np.random.default_rng(14)
    a = rng.standard_normal((6, 300)).astype(np.float32) * 5
    a[2, 7] = np.nan
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(gpu(a).max(axis=axis).numpy(), a.max(axis=axis))
    np.testing.assert_array_equal(np.max(gpu(a[3:]), axis=1, keepdims=True).numpy(), a[3:].max(axis=1, keepdims=True))
    x = a[3:]
    for f in (F.softmax, F.log_softmax, lambda t, dim: t.sigmoid()):
        xc, xg = sigconv.tensor(x, requires_grad=True), sigconv.tensor(x, requires_grad=True)
        yc, yg = f(xc, dim=1), f(xg.to("gpu"), dim=1)
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-6)
        up = rng.standard_normal(x.shape).astype(np.float32)
        yc.backward(sigconv.tensor(up))
        yg.backward(sigconv.tensor(up).to("gpu"))
        np.testing.assert_allclose(xg.grad.numpy(), xc.grad.numpy(), rtol=1e-4, atol=1e-6)
    middle = rng.standard_normal((2, 3, 4)).astype(np.float32)  # a middle axis: a permuted reduction
    np.testing.assert_allclose(F.softmax(sigconv.tensor(middle).to("gpu"), dim=1).numpy(),
                               F.softmax(sigconv.tensor(middle), dim=1).numpy(), rtol=1e-6, atol=1e-7)


def test_where_clip_sign_and_the_activations_built_on_them():
    rng = np.random.default_rng(15)
    a = rng.standard_normal(400).astype(np.float32)
    a[::50] = 0.0
    a[7] = np.nan
    g = gpu(a)
    np.testing.assert_array_equal(np.sign(g).numpy(), np.sign(a))
    np.testing.assert_array_equal(np.where(g > 0, g, -1.0).numpy(), np.where(a > 0, a, np.float32(-1)))
    np.testing.assert_array_equal(np.clip(g, -0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    x = a.copy()
    x[7] = 0.3
    for f in (lambda t: F.leaky_relu(t, 0.1), lambda t: t.clamp(-0.5, 0.7), lambda t: t.abs(), lambda t: t.clamp(min=0.1)):
        xc, xg = sigconv.tensor(x, requires_grad=True), sigconv.tensor(x, requires_grad=True)
        yc, yg = f(xc), f(xg.to("gpu"))
        np.testing.assert_array_equal(yg.numpy(), yc.numpy())
        yc.sum().backward()
        yg.sum().backward()
        np.testing.assert_array_equal(xg.grad.numpy(), xc.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.int64, pytest.param(np.float64, marks=needs_f64)])
def test_axis_permutations_equal_numpy(dtype):
    a = (np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) * 1.5).astype(dtype)
    g = gpu(a)
    for axes in [(1, 0, 2, 3), (3, 2, 1, 0), (0, 2, 3, 1), (2, 0, 3, 1)]:
        np.testing.assert_array_equal(g.transpose(axes).numpy(), a.transpose(axes))
    np.testing.assert_array_equal(g.T.numpy(), a.T)
    np.testing.assert_array_equal(np.swapaxes(g, 1, 3).numpy(), np.swapaxes(a, 1, 3))
    np.testing.assert_array_equal(np.moveaxis(g, 1, -1).numpy(), np.moveaxis(a, 1, -1))
    np.testing.assert_array_equal(np.moveaxis(g, [0, 3], [2, 0]).numpy(), np.moveaxis(a, [0, 3], [2, 0]))
    if dtype == np.float32:
        x = sigconv.tensor(a, requires_grad=True)
        xg = sigconv.tensor(a).to("gpu").requires_grad_()
        w = np.arange(a.size, dtype=np.float32).reshape(a.transpose(0, 2, 3, 1).shape)
        (x.permute(0, 2, 3, 1) * sigconv.tensor(w)).sum().backward()
        (xg.permute(0, 2, 3, 1) * sigconv.tensor(w).to("gpu")).sum().backward()
        np.testing.assert_array_equal(xg.grad.numpy(), x.grad.numpy())


def test_matrix_products_and_their_gradients_match_the_cpu():
    rng = np.random.default_rng(16)
    cases = [((5, 7), (7, 3)), ((4, 5, 6), (4, 6, 2)), ((1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4, 5)),
             ((7,), (7, 3)), ((3, 7), (7,)), ((6,), (6,))]
    for sa, sb in cases:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        ac, bc = sigconv.tensor(a, requires_grad=True), sigconv.tensor(b, requires_grad=True)
        ag, bg = (sigconv.tensor(v).to("gpu").requires_grad_() for v in (a, b))
        yc, yg = ac @ bc, ag @ bg
        assert yg.device == "gpu" and yg.shape == yc.shape, (sa, sb)
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-5, err_msg=str((sa, sb)))
        up = rng.standard_normal(yc.shape).astype(np.float32)
        (yc * sigconv.tensor(up)).sum().backward()
        (yg * sigconv.tensor(up).to("gpu")).sum().backward()
        np.testing.assert_allclose(ag.grad.numpy(), ac.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=str((sa, sb)))
        np.testing.assert_allclose(bg.grad.numpy(), bc.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=str((sa, sb)))


def test_tensor_bookkeeping_on_the_gpu(tmp_path):
    w = sigconv.tensor([[1.0, 2.0], [3.0, 4.0]]).to("gpu").requires_grad_()
    for _ in range(2):  # gradients accumulate on the device
        (w * w).sum().backward()
    assert w.grad.device == "gpu" and w.grad.numpy().tolist() == [[4, 8], [12, 16]]
    w.grad.zero_()
    assert w.grad.numpy().sum() == 0
    with sigconv.no_grad():
        y = w * 3
    assert not y.requires_grad and y.device == "gpu"
    d = w.detach()
    assert d.device == "gpu" and not d.requires_grad
    c = sigconv.tensor(w)  # a copy on the same device
    assert c.device == "gpu" and c.numpy().tolist() == [[1, 2], [3, 4]]
    assert w.sum().item() == 10.0 and bool(w.sum() > 5) and w.tolist() == [[1, 2], [3, 4]]
    assert "device='gpu'" in repr(w) and w.numel() == 4 and len(w) == 2
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).to("gpu")
    path = tmp_path / "m.npz"
    sigconv.save(model.state_dict(), path)
    back = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    back.load_state_dict(sigconv.load(path))
    x = sigconv.tensor(np.ones((4, 2), np.float32))
    np.testing.assert_allclose(back(x).numpy(), model(x.to("gpu")).numpy(), rtol=1e-6)
    model.to("cpu")
    assert all(p.device == "cpu" for p in model.parameters()) and model(x).device == "cpu"
    with pytest.raises(TypeError, match="float32 to float64"):
        nn.Linear(2, 2).to("gpu").double()


# ---- submission -----------------------------------------------------------------------------------
def test_commands_from_many_threads_and_long_chains_keep_their_order():
    # Kernels are recorded into one pending submission shared by all threads and flushed by
    # readbacks: a thread's readback must never run before its own kernels, whoever submits them,
    # and chains longer than one submission (64 commands) must keep their order.
    from concurrent.futures import ThreadPoolExecutor

    def chain(seed):
        rng = np.random.default_rng(seed)
        a = rng.standard_normal(5000).astype(np.float32)
        b = rng.standard_normal(5000).astype(np.float32)
        ga, gb = gpu(a), gpu(b)
        want = a.copy()
        for i in range(150):
            if i % 3 == 0:
                ga, want = ga + gb, want + b
            elif i % 3 == 1:
                ga, want = ga * 0.5, want * np.float32(0.5)
            else:
                ga, want = ga - gb, want - b
        return ga.numpy(), want

    with ThreadPoolExecutor(4) as pool:
        for got, want in pool.map(chain, range(8)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=needs_f64)])
def test_argmax_equals_numpy_with_ties_and_nan(dtype):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((6, 9, 5)).astype(dtype)
    a[2, :, 1] = 1.5  # ties: the first index wins
    a[3, 4, 2] = a[3, 7, 2] = np.nan  # the first NaN wins
    a[0, :, 0] = -np.inf
    g = gpu(a)
    for axis in (None, 0, 1, 2, -2):
        for keepdims in (False, True):
            got = g.argmax(axis, keepdims)
            want = np.argmax(a, axis=axis, keepdims=keepdims)
            assert got.dtype == np.int64 and got.shape == np.shape(want)
            np.testing.assert_array_equal(got.numpy(), want)
    t = sigconv.tensor(a).to("gpu")
    assert t.argmax(1, keepdim=True).device == "gpu"
    np.testing.assert_array_equal(t.argmax(1).numpy(), sigconv.tensor(a).argmax(1).numpy())
    with pytest.raises(ValueError, match="empty sequence"):
        gpu(np.zeros((3, 0), dtype)).argmax(1)
    with pytest.raises(ValueError, match="out of bounds"):
        g.argmax(3)
    with pytest.raises(TypeError, match="argmax of int64"):
        gpu(np.arange(4)).argmax()
