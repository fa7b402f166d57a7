"""sigconv.nn layers, optimizers, inspection, save/load, training, data and models."""

import numpy as np
import pytest

import sigconv
from sigconv import data, models, nn, optim, train


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


# ---- layers ------------------------------------------------------------------------------------
def test_torch_initialisation_bounds_and_defaults():
    sigconv.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3)
    bound = 1 / np.sqrt(3 * 9)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.bias.shape == (8,)
    assert np.abs(conv.weight.numpy()).max() <= bound and np.abs(conv.weight.numpy()).max() > 0.8 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    assert conv.weight.dtype == np.float32
    assert (conv.stride, conv.padding, conv.dilation, conv.groups, conv.padding_mode) == ((1, 1), (0, 0), (1, 1), 1, "zeros")
    tconv = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tconv.weight.shape == (4, 3, 3, 3)
    assert np.abs(tconv.weight.numpy()).max() <= 1 / np.sqrt(3 * 9)
    lin = nn.Linear(20, 5, bias=False)
    assert lin.bias is None and np.abs(lin.weight.numpy()).max() <= 1 / np.sqrt(20)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    emb = nn.Embedding(10, 4)
    assert emb.weight.shape == (10, 4)
    bn = nn.BatchNorm2d(3)
    assert (bn.eps, bn.momentum) == (1e-5, 0.1)
    np.testing.assert_array_equal(bn.weight.numpy(), 1)
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert "padding=(1, 1)" in repr(nn.Conv2d(1, 1, 3, padding=1))


def test_manual_seed_reproduces():
    sigconv.manual_seed(3)
    a = nn.Linear(4, 4).weight.numpy().copy()
    sigconv.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.numpy(), a)


def test_layer_errors():
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 3, 3)
    with pytest.raises(ValueError, match="groups"):
        nn.Conv1d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="same"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="dimensions"):
        nn.BatchNorm2d(2)(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match="device must be"):
        nn.Linear(2, 2).to("tpu")
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.Upsample(scale_factor=2, mode="cubic")
    # kernel_size and the sizes of BatchNorm and Embedding were used unchecked: 'abc' died in
    # numpy (UFuncTypeError), inf with OverflowError
    for bad in ("abc", float("inf"), 2.5, (3, 0), None):
        with pytest.raises(ValueError, match="kernel_size"):
            nn.Conv2d(1, 1, bad)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(float("inf"))
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.Embedding("5", 4)
    with pytest.raises(ValueError, match="embedding_dim"):
        nn.Embedding(5, 0)


def test_layers_forward_shapes(rng):
    x2 = sigconv.tensor(rng.standard_normal((2, 4, 8, 8)).astype(np.float32), requires_grad=True)
    x1 = sigconv.tensor(rng.standard_normal((2, 4, 16)).astype(np.float32), requires_grad=True)
    cases = [
        (nn.Conv2d(4, 6, 3, stride=2, padding=1), x2, (2, 6, 4, 4)),
        (nn.Conv2d(4, 4, 3, padding="same", groups=4, padding_mode="reflect"), x2, (2, 4, 8, 8)),
        (nn.Conv1d(4, 2, 5, dilation=2), x1, (2, 2, 8)),
        (nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), x1, (2, 3, 32)),
        (nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), x2, (2, 3, 16, 16)),
        (nn.MaxPool2d(3, stride=2, padding=1), x2, (2, 4, 4, 4)),
        (nn.MinPool1d(2), x1, (2, 4, 8)),
        (nn.AvgPool2d(2), x2, (2, 4, 4, 4)),
        (nn.AvgPool1d(4, stride=2), x1, (2, 4, 7)),
        (nn.AdaptiveAvgPool2d((3, 1)), x2, (2, 4, 3, 1)),
        (nn.AdaptiveAvgPool1d(5), x1, (2, 4, 5)),
        (nn.Upsample(scale_factor=2), x2, (2, 4, 16, 16)),
        (nn.Flatten(), x2, (2, 256)),
        (nn.BatchNorm2d(4), x2, (2, 4, 8, 8)),
        (nn.BatchNorm1d(4), x1, (2, 4, 16)),
        (nn.Softmax(dim=1), x2, (2, 4, 8, 8)),
        (nn.Sequential(nn.Flatten(), nn.Linear(64, 3), nn.Tanh(), nn.Sigmoid()), x1, (2, 3)),
    ]
    for layer, x, shape in cases:
        y = layer(x)
        assert y.shape == shape, (layer, y.shape)
        y.sum().backward()
    pool = nn.MaxPool2d(2, return_indices=True)
    y, idx = pool(x2)
    assert nn.MaxUnpool2d(2)(y, idx).shape == (2, 4, 8, 8)
    y1, idx1 = nn.MaxPool1d(2, return_indices=True)(x1)
    assert nn.MaxUnpool1d(2)(y1, idx1).shape == (2, 4, 16)


def test_batchnorm_train_eval_and_dropout(rng):
    bn = nn.BatchNorm1d(3)
    x = sigconv.tensor(rng.normal(5.0, 2.0, (64, 3)).astype(np.float32))
    for _ in range(100):
        bn(x)
    assert int(bn.num_batches_tracked.item()) == 100
    np.testing.assert_allclose(bn.running_mean.numpy(), x.numpy().mean(0), rtol=0.05)
    bn.eval()
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=0.1)
    drop = nn.Dropout(0.5)
    assert drop.training
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x).numpy(), x.numpy())
    net = nn.Sequential(nn.Linear(3, 3), nn.Dropout())
    net.eval()
    assert not net[1].training
    net.train()
    assert net[1].training


def test_parameters_state_dict_and_sharing():
    shared = nn.Linear(4, 4)
    net = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(4))
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]  # the shared layer once
    sd = net.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias", "3.running_mean", "3.running_var", "3.num_batches_tracked"]
    other = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.BatchNorm1d(4))
    other.load_state_dict(sd)
    np.testing.assert_array_equal(other[2].weight.numpy(), shared.weight.numpy())
    with pytest.raises(ValueError, match="missing keys"):
        other.load_state_dict({"0.weight": sd["0.weight"]})
    bad = dict(sd)
    bad["0.bias"] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(bad)
    x = sigconv.tensor(np.ones((2, 4), np.float32))
    net(x).sum().backward()
    assert shared.weight.grad is not None
    net.zero_grad()
    assert shared.weight.grad is None


def test_custom_module_registration():
    class Net(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.scale = nn.Parameter(np.ones(1, np.float32))
            self.body = nn.Linear(2, width)

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net(3)
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.weight", "body.bias"]
    assert [type(m).__name__ for m in net.children()] == ["Linear"]
    assert net(np.ones((1, 2), np.float32)).shape == (1, 3)
    assert net.to(np.float64).body.weight.dtype == np.float64


# ---- save / load -------------------------------------------------------------------------------
def test_save_load_round_trip_rebuilds_the_model(tmp_path, rng):
    sigconv.manual_seed(1)
    net = models.LeNet5(input_size=8)
    x = rng.standard_normal((3, 1, 8, 8)).astype(np.float32)
    want = train.predict(net, x)
    path = tmp_path / "lenet.npz"
    sigconv.save(net, path)
    again = sigconv.load(path)
    assert type(again) is models.LeNet5
    np.testing.assert_array_equal(train.predict(again, x), want)
    # a model with BatchNorm keeps its running statistics
    res = models.SmallResNet(widths=(4, 8))
    train.fit(res, (x, np.array([0, 1, 2])), nn.CrossEntropyLoss(), optim.SGD(res.parameters(), lr=0.1), epochs=1, progress=False)
    nn.save(res, tmp_path / "res.npz")
    res2 = nn.load(tmp_path / "res.npz")
    np.testing.assert_array_equal(res2.stem[1].running_mean.numpy(), res.stem[1].running_mean.numpy())
    np.testing.assert_allclose(train.predict(res2, x), train.predict(res, x))


def test_save_load_custom_classes_and_state(tmp_path):
    class Mine(nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.fc = nn.Linear(n, 2)

        def forward(self, x):
            return self.fc(x)

    m = Mine(n=4)
    nn.save(m, tmp_path / "m.npz")
    with pytest.raises(ValueError, match="classes="):
        nn.load(tmp_path / "m.npz")
    m2 = nn.load(tmp_path / "m.npz", classes={"Mine": Mine})
    np.testing.assert_array_equal(m2.fc.weight.numpy(), m.fc.weight.numpy())
    m3 = nn.load(tmp_path / "m.npz", model=Mine(n=4))
    np.testing.assert_array_equal(m3.fc.bias.numpy(), m.fc.bias.numpy())
    # a state dict and an optimizer state
    opt = optim.Adam(m.parameters(), lr=0.01)
    m(np.ones((2, 4), np.float32)).sum().backward()
    opt.step()
    sigconv.save({"model": m.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt.npz")
    ck = sigconv.load(tmp_path / "ckpt.npz")
    assert ck["epoch"] == 3
    np.testing.assert_array_equal(ck["model"]["fc.weight"], m.fc.weight.numpy())
    opt2 = optim.Adam(Mine(4).parameters(), lr=0.5)
    opt2.load_state_dict(ck["opt"])
    assert opt2.param_groups[0]["lr"] == 0.01
    assert opt2.state_dict()["state"][0]["step"] == 1
    with pytest.raises(ValueError, match="not written by sigconv"):
        np.savez(tmp_path / "plain.npz", a=np.zeros(2))
        sigconv.load(tmp_path / "plain.npz")


# ---- inspection --------------------------------------------------------------------------------
def test_summary_lenet5_known_numbers():
    s = nn.summary(lenet5(), (1, 32, 32))
    convs = [r for r in s.rows if r["type"] in ("Conv2d", "Linear")]
    # LeNet-5 (LeCun et al. 1998): C1 has 156 parameters and 122,304 connections; with a full C3
    # the torch version has 61,706 parameters
    assert [r["parameters"] for r in convs] == [156, 2416, 48120, 10164, 850]
    assert [r["weights_per_neuron"] for r in convs] == [26, 151, 401, 121, 85]
    assert [r["neurons"] for r in convs] == [4704, 1600, 120, 84, 10]
    assert convs[0]["connections"] == 122304
    assert s.totals["parameters"] == 61706
    assert s.totals["connections"] == 122304 + 241600 + 48120 + 10164 + 850
    assert [r["output_shape"] for r in s.rows][:3] == [(6, 28, 28), (6, 28, 28), (6, 14, 14)]
    text = str(s)
    assert "61,706" in text and "weights/neuron" in text


def test_summary_counts_shared_weights_once():
    shared = nn.Linear(8, 8)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    s = nn.summary(net, (8,))
    assert [r["parameters"] for r in s.rows] == [72, 0, 0]
    assert s.rows[2]["connections"] == 72
    assert s.totals["parameters"] == 72


def test_receptive_field():
    rf = nn.receptive_field(lenet5(), (1, 32, 32))
    assert [r["size"] for r in rf.rows] == [(5, 5), (6, 6), (14, 14), (16, 16)]
    assert rf.jump == (4, 4)
    r1 = nn.receptive_field(nn.Sequential(nn.Conv1d(1, 2, 3, dilation=2), nn.Conv1d(2, 2, 3, stride=2), nn.Conv1d(2, 1, 3)), (1, 64))
    assert r1.size == (11,) and r1.jump == (2,)  # 5, then +2*1, then +2*2


# ---- optimizers --------------------------------------------------------------------------------
def _quadratic_steps(opt_factory, steps=3):
    w = sigconv.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = opt_factory([w])
    for _ in range(steps):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    return w.numpy()


def test_sgd_momentum_nesterov_weight_decay_formulas():
    lr, mu, wd = 0.1, 0.9, 0.01
    for nesterov in (False, True):
        w = np.array([1.0, -2.0])
        buf = None
        for _ in range(3):
            g = 2 * w + wd * w
            buf = g.copy() if buf is None else mu * buf + g
            w = w - lr * (g + mu * buf if nesterov else buf)
        got = _quadratic_steps(lambda p: optim.SGD(p, lr=lr, momentum=mu, weight_decay=wd, nesterov=nesterov))
        np.testing.assert_allclose(got, w)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([sigconv.tensor([1.0], requires_grad=True)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([sigconv.tensor([1.0], requires_grad=True)], lr=-1)


def test_adam_formula():
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    w = np.array([1.0, -2.0])
    m = v = np.zeros(2)
    for t in range(1, 4):
        g = 2 * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
    np.testing.assert_allclose(_quadratic_steps(lambda p: optim.Adam(p, lr=lr)), w)
    assert _quadratic_steps(lambda p: optim.Adam(p, lr=lr, amsgrad=True, weight_decay=0.1)).shape == (2,)
    assert _quadratic_steps(lambda p: optim.AdamW(p, lr=lr)).shape == (2,)


# ---- training ----------------------------------------------------------------------------------
def test_short_training_run_reduces_the_loss():
    sigconv.manual_seed(0)
    d = data.digits()
    x, y = d.x_train[:512], d.y_train[:512]
    net = models.LeNet5(input_size=8)
    opt = optim.Adam(net.parameters(), lr=5e-3)
    h = train.fit(net, (x, y), nn.CrossEntropyLoss(), opt, epochs=4, batch_size=32, val_data=(d.x_test[:100], d.y_test[:100]), progress=False)
    assert h["loss"][-1] < 0.6 * h["loss"][0]
    assert h["val_acc"][-1] > 0.5
    assert len(h["time"]) == 4


def test_fit_is_seeded_and_checks_arguments(rng):
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)

    def run():
        sigconv.manual_seed(2)
        net = nn.Linear(3, 2)
        return train.fit(net, (x, y), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), epochs=2, batch_size=7, progress=False)["loss"]

    assert run() == run()
    net = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(net, (x, y), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), batch_size=0)
    with pytest.raises(ValueError, match="samples"):
        train.fit(net, (x, y[:5]), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1))


def test_regression_training_with_mse(rng):
    x = rng.standard_normal((64, 1, 8)).astype(np.float32)
    y = x * 2.0
    net = nn.Conv1d(1, 1, 3, padding=1)
    h = train.fit(net, (x, y), nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9), epochs=5, batch_size=16, progress=False)
    assert h["loss"][-1] < 0.1 * h["loss"][0] and "acc" not in h


def test_progress_goes_to_stderr(capsys, rng):
    x = rng.standard_normal((8, 2)).astype(np.float32)
    net = nn.Linear(2, 2)
    train.fit(net, (x, np.zeros(8, np.int64)), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), epochs=1)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss" in err and "acc" in err


def test_metrics_and_augmentation():
    out = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    t = np.array([1, 1, 1])
    assert train.accuracy(out, t) == pytest.approx(2 / 3)
    np.testing.assert_array_equal(train.confusion_matrix(out, t, num_classes=2), [[0, 0], [1, 2]])
    x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    a = train.random_crop(x, 1, rng=0)
    b = train.random_crop(x, 1, rng=0)
    assert a.shape == x.shape
    np.testing.assert_array_equal(a, b)
    f = train.random_flip(x, p=1.0, rng=0)
    np.testing.assert_array_equal(f, x[..., ::-1])
    j = train.intensity_jitter(x, 0.0, 0.0, rng=0)
    np.testing.assert_allclose(j, x)
    keep = x.copy()
    train.augment(crop_padding=2, flip=True, brightness=0.1, contrast=0.1)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(x, keep)


# ---- data and models ---------------------------------------------------------------------------
def test_datasets():
    d = data.digits()
    assert d.x_train.shape == (1438, 1, 8, 8) and d.x_train.dtype == np.float32
    assert d.x_train.max() <= 1.0 and set(np.unique(d.y_test)) == set(range(10))
    d.x_train[:] = 0  # callers get copies: the cache is untouched
    assert data.digits().x_train.max() > 0
    m = data.mnist1d(num_samples=100)
    assert m.x_train.shape == (80, 1, 40) and m.y_test.shape == (20,)
    np.testing.assert_array_equal(m.x_train, data.mnist1d(num_samples=100).x_train)
    t = data.language_phrases(languages=("en", "fr"), n_per_language=50, vocabulary=300)
    assert len(t.x_train) == 80 and isinstance(t.x_train[0], str)
    x = data.encode_chars(t.x_train, length=16)
    assert x.shape == (80, len(data.ALPHABET) + 1, 16) and (x.sum(1) <= 1).all()
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=1.5)
    with pytest.raises(TypeError, match="single str"):
        data.char_indices("abc")


@pytest.mark.parametrize(
    "model, shape",
    [
        (lambda: models.LeNet5(), (2, 1, 32, 32)),
        (lambda: models.TimeSeriesCNN(length=40), (2, 1, 40)),
        (lambda: models.CharCNN(num_chars=61, length=32, channels=16), (2, 61, 32)),
        (lambda: models.SmallResNet(widths=(4, 8)), (2, 1, 8, 8)),
        (lambda: models.UNet(base=4), (2, 1, 8, 8)),
    ],
)
def test_models_forward_backward(rng, model, shape):
    m = model()
    y = m(sigconv.tensor(rng.standard_normal(shape).astype(np.float32)))
    y.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_plots_write_png(tmp_path, rng):
    from sigconv import plot

    net = models.LeNet5(input_size=8)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    h = train.fit(net, (x, rng.integers(0, 10, 16)), nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.01), epochs=2, val_data=(x, rng.integers(0, 10, 16)), progress=False)
    for name, call in [
        ("curves", lambda p: h.plot(p)),
        ("filters", lambda p: plot.filters(net, p)),
        ("maps", lambda p: plot.feature_maps(net, x[0], path=p)),
        ("maps1d", lambda p: plot.feature_maps(models.TimeSeriesCNN(), rng.standard_normal((1, 40)).astype(np.float32), path=p)),
        ("filters1d", lambda p: plot.filters(models.TimeSeriesCNN(), p)),
    ]:
        path = tmp_path / f"{name}.png"
        call(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_docstring_examples():
    import doctest

    import sigconv.autograd
    import sigconv.data
    import sigconv.models
    import sigconv.nn.functional
    import sigconv.nn.inspect
    import sigconv.nn.modules
    import sigconv.nn.serialization
    import sigconv.optim
    import sigconv.train

    total = 0
    for mod in (sigconv.autograd, sigconv.nn.functional, sigconv.nn.modules, sigconv.nn.inspect, sigconv.nn.serialization, sigconv.optim, sigconv.train, sigconv.data, sigconv.models):
        r = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert r.failed == 0, mod.__name__
        total += r.attempted
    assert total > 60


@pytest.mark.parametrize("make, name", [
    (lambda: nn.Conv2d(2**64, 3, 3), "in_channels"),
    (lambda: nn.Linear(3, 2**64), "out_features"),
    (lambda: nn.Conv1d(3, 3, 2**64), "kernel_size"),
    (lambda: nn.Embedding(2**64, 3), "num_embeddings"),
    (lambda: nn.BatchNorm1d(2**63), "num_features"),
    (lambda: nn.MaxPool2d(2**64)(sigconv.tensor(np.ones((1, 1, 4, 4), np.float32))), "kernel_size"),
    (lambda: nn.functional.avg_pool1d(sigconv.tensor(np.ones((1, 1, 4), np.float32)), 2,
                                      stride=2**70), "stride"),
])
def test_sizes_beyond_int64_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=name):
        make()
