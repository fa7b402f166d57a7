"""sigconv.nn.functional: finite-difference gradient checks in float64 for every op, exact golden
cases (each comment gives the torch call that produced the numbers), numpy in -> numpy out, errors."""

import numpy as np
import pytest

import sigconv
from sigconv.nn import functional as F
from _nncheck import gradcheck


@pytest.fixture
def rng():
    return np.random.default_rng(3)


# ---- gradients (float64, central differences) -------------------------------------------------
@pytest.mark.parametrize(
    "xs, ws, kw",
    [
        ((2, 4, 6, 5), (6, 2, 3, 3), dict(stride=1, padding=1, groups=2)),
        ((1, 3, 7, 6), (2, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
        ((1, 2, 5, 5), (2, 2, 2, 3), dict(padding="same")),
        ((1, 2, 5, 4), (3, 2, 3, 3), dict(padding=1, padding_mode="reflect")),
        ((1, 1, 4, 4), (2, 1, 3, 3), dict(padding=2, padding_mode="circular")),
        ((1, 1, 4, 5), (1, 1, 3, 3), dict(padding=1, padding_mode="replicate")),
    ],
)
def test_conv2d_gradients(rng, xs, ws, kw):
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0]))


@pytest.mark.parametrize(
    "xs, ws, kw",
    [
        ((2, 2, 9), (4, 2, 3), dict(stride=2, padding=1)),
        ((1, 4, 10), (4, 1, 4), dict(groups=4, dilation=2, padding="same")),
        ((1, 2, 8), (3, 2, 3), dict(padding="valid", padding_mode="reflect")),
    ],
)
def test_conv1d_gradients(rng, xs, ws, kw):
    gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kw), rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0]))


@pytest.mark.parametrize(
    "xs, ws, kw",
    [
        ((1, 2, 3, 3), (2, 3, 2, 2), dict(stride=2)),
        ((2, 4, 3, 2), (4, 1, 3, 3), dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2)),
    ],
)
def test_conv_transpose2d_gradients(rng, xs, ws, kw):
    c_out = ws[1] * kw.get("groups", 1)
    gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(c_out))


def test_conv_transpose1d_gradients(rng):
    gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, dilation=2), rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 3, 3)), rng.standard_normal(3))


def _distinct(rng, shape):
    """Values far enough apart that max/min pooling has a unique winner per window."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.1 + rng.uniform(-0.01, 0.01, shape)).astype(np.float64)


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=1, dilation=(1, 2))])
def test_argmax_pool2d_gradients(rng, kind, kw):
    fn = F.max_pool2d if kind == "max" else F.min_pool2d
    gradcheck(lambda x: fn(x, **kw), _distinct(rng, (2, 2, 6, 7)))


@pytest.mark.parametrize("kind", ["max", "min"])
def test_argmax_pool1d_gradients(rng, kind):
    fn = F.max_pool1d if kind == "max" else F.min_pool1d
    gradcheck(lambda x: fn(x, 3, stride=2, padding=1), _distinct(rng, (2, 3, 9)))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)])
def test_avg_pool_gradients(rng, kw):
    gradcheck(lambda x: F.avg_pool2d(x, **kw), rng.standard_normal((1, 2, 6, 5)))
    gradcheck(lambda x: F.avg_pool1d(x, **kw), rng.standard_normal((1, 2, 7)))


def test_adaptive_and_unpool_gradients(rng):
    gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), rng.standard_normal((1, 2, 7, 5)))
    gradcheck(lambda x: F.adaptive_avg_pool1d(x, 3), rng.standard_normal((2, 2, 8)))
    x = _distinct(rng, (1, 2, 4, 4))
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    gradcheck(lambda y: F.max_unpool2d(y, idx, 2), rng.standard_normal((1, 2, 2, 2)))
    x1 = _distinct(rng, (1, 2, 6))
    _, idx1 = F.max_pool1d(x1, 2, return_indices=True)
    gradcheck(lambda y: F.max_unpool1d(y, idx1, 2), rng.standard_normal((1, 2, 3)))


@pytest.mark.parametrize("mode", ["nearest", "bed_of_nails"])
def test_interpolate_gradients(rng, mode):
    gradcheck(lambda x: F.interpolate(x, scale_factor=2, mode=mode), rng.standard_normal((1, 2, 3, 3)))
    gradcheck(lambda x: F.interpolate(x, scale_factor=3, mode=mode), rng.standard_normal((1, 2, 4)))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradients(rng, mode):
    gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), rng.standard_normal((1, 2, 4, 5)))


def test_linear_gradients(rng):
    gradcheck(lambda x, w, b: F.linear(x, w, b), rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5))
    gradcheck(lambda x, w: F.linear(x, w), rng.standard_normal((3, 4)), rng.standard_normal((2, 4)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.softmax(x, dim=1),
        lambda x: F.log_softmax(x, dim=-1),
        lambda x: F.sigmoid(x),
        lambda x: F.tanh(x),
        lambda x: F.leaky_relu(x, 0.2),
    ],
)
def test_activation_gradients(rng, fn):
    gradcheck(fn, rng.standard_normal((3, 4)))


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(reduction="sum"),
        dict(reduction="none"),
        dict(label_smoothing=0.2),
        dict(weight=np.array([1.0, 2.0, 0.5, 1.5])),
        dict(ignore_index=2),
    ],
)
def test_cross_entropy_index_gradients(rng, kw):
    t = np.array([0, 2, 3, 1, 2])
    gradcheck(lambda x: F.cross_entropy(x, t, **kw), rng.standard_normal((5, 4)))


def test_cross_entropy_spatial_and_probabilities(rng):
    t = rng.integers(0, 3, (2, 4, 5))
    gradcheck(lambda x: F.cross_entropy(x, t), rng.standard_normal((2, 3, 4, 5)))
    p = rng.dirichlet(np.ones(3), 4)
    gradcheck(lambda x: F.cross_entropy(x, p, label_smoothing=0.1), rng.standard_normal((4, 3)))


def test_nll_mse_gradients(rng):
    t = np.array([0, 2, 1])
    gradcheck(lambda x: F.nll_loss(F.log_softmax(x, 1), t), rng.standard_normal((3, 3)))
    y = rng.standard_normal((3, 2))
    gradcheck(lambda x: F.mse_loss(x, y), rng.standard_normal((3, 2)))
    gradcheck(lambda x, y: F.mse_loss(x, y, reduction="none"), rng.standard_normal((3, 2)), y)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients(rng, training):
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def fn(x, w, b):
        return F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training)

    gradcheck(fn, rng.standard_normal((4, 3, 2, 2)), rng.standard_normal(3), rng.standard_normal(3), rtol=1e-4, atol=1e-6)


def test_embedding_and_dropout_gradients(rng):
    idx = np.array([[0, 2, 2], [1, 0, 3]])
    gradcheck(lambda w: F.embedding(idx, w), rng.standard_normal((4, 3)))
    sigconv.manual_seed(5)
    x = sigconv.tensor(rng.standard_normal((50,)), requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy()[kept], 1 / 0.6)
    np.testing.assert_array_equal(x.grad.numpy()[~kept], 0)


# ---- golden values (torch 2.x produced them) --------------------------------------------------
def test_golden_conv2d_stride_padding_bias():
    # torch: x = arange(50).reshape(1,2,5,5)/10; w = (arange(54).reshape(3,2,3,3)-27)/20;
    #        b = [0.5,-1,0.25]; F.conv2d(x, w, b, stride=2, padding=1)
    x = np.arange(50, dtype=np.float64).reshape(1, 2, 5, 5) / 10
    w = (np.arange(54, dtype=np.float64).reshape(3, 2, 3, 3) - 27) / 20
    b = np.array([0.5, -1.0, 0.25])
    want = [
        [[-7.32, -13.2, -10.04], [-20.35, -34.27, -25.15], [-20.88, -34.26, -24.56]],
        [[2.34, 3.66, 1.78], [2.99, 3.92, 1.43], [-0.42, -1.2, -1.94]],
        [[14.75, 23.27, 16.35], [29.08, 44.86, 30.76], [22.79, 34.61, 23.43]],
    ]
    np.testing.assert_allclose(F.conv2d(x, w, b, stride=2, padding=1)[0], want, atol=1e-12)


def test_golden_conv1d_dilation():
    # torch: F.conv1d(arange(8.).reshape(1,1,8), [[[1,-2,0.5]]], dilation=2, padding=1)
    x = np.arange(8, dtype=np.float64).reshape(1, 1, 8)
    got = F.conv1d(x, np.array([[[1.0, -2.0, 0.5]]]), dilation=2, padding=1)
    np.testing.assert_allclose(got, [[[-0.5, -2.0, -2.5, -3.0, -3.5, -8.0]]], atol=1e-12)


def test_golden_conv_transpose2d():
    # torch: F.conv_transpose2d([[[[1,2],[3,4]]]], [[[[1,-1,2],[0,1,0.5]]]], stride=2, padding=(0,1), output_padding=1)
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.array([[[[1.0, -1.0, 2.0], [0.0, 1.0, 0.5]]]])
    want = [[-1.0, 4.0, -2.0, 4.0], [1.0, 0.5, 2.0, 1.0], [-3.0, 10.0, -4.0, 8.0], [3.0, 1.5, 4.0, 2.0], [0.0, 0.0, 0.0, 0.0]]
    np.testing.assert_allclose(F.conv_transpose2d(x, w, stride=2, padding=(0, 1), output_padding=1)[0, 0], want, atol=1e-12)


def test_golden_cross_entropy():
    # torch: lg = [[2,-1,0.5],[0.1,0.2,3]]; F.cross_entropy(lg, [0,1]) and with label_smoothing=0.1,
    #        weight=[1,2,3], and probability targets [[.2,.3,.5],[1,0,0]]
    lg = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    t = np.array([0, 1])
    assert float(F.cross_entropy(lg, t)) == pytest.approx(1.5754563805893111, abs=1e-14)
    assert float(F.cross_entropy(lg, t, label_smoothing=0.1)) == pytest.approx(1.6054563805893112, abs=1e-14)
    assert float(F.cross_entropy(lg, t, weight=np.array([1.0, 2.0, 3.0]))) == pytest.approx(2.020171408566696, abs=1e-14)
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    assert float(F.cross_entropy(lg, p)) == pytest.approx(2.450456380589311, abs=1e-14)
    np.testing.assert_allclose(
        F.log_softmax(lg, 1),
        [[-0.24131129665715703, -3.241311296657157, -1.7413112966571571], [-3.0096014645214653, -2.909601464521465, -0.10960146452146542]],
        atol=1e-14,
    )


def test_golden_pooling():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    # torch: F.max_pool2d(x, 2, return_indices=True); F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)[0,0,0]
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(out[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(idx[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)[0, 0, 0], [2.5, 3.0, 4.0, 4.5])


# ---- numpy in, numpy out; Tensor in, Tensor out -----------------------------------------------
def test_numpy_and_tensor_kinds(rng):
    x = rng.standard_normal((1, 1, 6, 6)).astype(np.float32)
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    y = F.conv2d(x, w)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (1, 2, 4, 4)
    yt = F.conv2d(sigconv.tensor(x), w)
    assert isinstance(yt, sigconv.Tensor)
    np.testing.assert_allclose(yt.numpy(), y)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert isinstance(out, np.ndarray) and idx.dtype == np.int64
    assert isinstance(F.relu(x), np.ndarray) and isinstance(F.relu(sigconv.tensor(x)), sigconv.Tensor)
    assert F.conv2d(x[0], w).shape == (2, 4, 4)  # unbatched input, as torch


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(np.array([1, 0, 2])), np.eye(3, dtype=np.int64)[[1, 0, 2]])
    assert F.one_hot(np.array([[0], [1]]), 4).shape == (2, 1, 4)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(np.array([0.5]))
    with pytest.raises(ValueError, match="lie in"):
        F.one_hot(np.array([3]), 2)


def test_float32_stays_float32(rng):
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    for y in (F.conv1d(x, np.ones((2, 3, 3), np.float32)), F.max_pool1d(x, 2), F.avg_pool1d(x, 2), F.softmax(x, 1), F.batch_norm(x, None, None, training=True)):
        assert y.dtype == np.float32
    assert np.asarray(F.cross_entropy(x[:, :, 0], np.array([0, 1]))).dtype == np.float32


def test_batch_norm_updates_running_stats(rng):
    x = rng.normal(3.0, 2.0, (8, 2, 4)).astype(np.float64)
    rm, rv = np.zeros(2), np.ones(2)
    F.batch_norm(x, rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=(0, 2)))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1))


# ---- errors ------------------------------------------------------------------------------------
def test_errors_name_the_parameter(rng):
    x = np.zeros((1, 2, 5, 5), np.float32)
    w = np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="padding='same'"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match="input channels"):
        F.conv2d(np.zeros((1, 3, 5, 5), np.float32), w)
    with pytest.raises(ValueError, match="padding_mode"):
        F.conv2d(x, w, padding_mode="mirror")
    with pytest.raises(TypeError, match="float32 or float64"):
        F.conv2d(x.astype(np.int32), w)
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(x, w.astype(np.float64))
    with pytest.raises(ValueError, match="dimensions"):
        F.conv2d(np.zeros((5, 5), np.float32), w)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        F.conv2d(np.zeros((1, 2, 2, 2), np.float32), w)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="reflect padding"):
        F.pad(x, (5, 0), mode="reflect")
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="lie in"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="features"):
        F.linear(np.zeros((2, 3), np.float32), np.zeros((4, 5), np.float32))

    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match="p must"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize("call", [
    lambda x, w: F.conv2d(None, w),
    lambda x, w: F.conv2d(x, None),
    lambda x, w: F.conv_transpose2d(None, w),
    lambda x, w: F.max_pool2d(None, 2),
    lambda x, w: F.avg_pool2d(None, 2),
    lambda x, w: F.adaptive_avg_pool2d(None, 2),
    lambda x, w: F.pad(None, (1, 1)),
    lambda x, w: F.relu(None),
])
def test_none_for_a_required_array_is_a_type_error(call):
    x = np.zeros((1, 2, 5, 5), np.float32)
    w = np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(TypeError, match="got None"):
        call(x, w)


@pytest.mark.parametrize("workers", [0, -10**6, 1.5, "2", True])
def test_bad_pooling_workers_name_the_parameter(workers):
    with pytest.raises(ValueError, match="workers"):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, workers=workers)


@pytest.mark.parametrize("call", [
    lambda x: F.conv1d(x, np.ones((4, 3, 3)), padding=10**12),
    lambda x: F.conv_transpose1d(x, np.ones((3, 4, 3)), stride=10**12),
    lambda x: F.adaptive_avg_pool1d(x, 10**12),
    lambda x: F.interpolate(x, size=10**12),
])
def test_outputs_too_big_to_allocate_raise_memory_error_not_a_panic(call):
    # numpy's MemoryError, as numpy itself raises; rust-numpy's PyArray::new used to panic.
    with pytest.raises(MemoryError):
        call(np.ones((2, 3, 16)))


def test_inputs_not_modified(rng):
    x = rng.standard_normal((1, 2, 6, 6))
    w = rng.standard_normal((2, 2, 3, 3))
    keep_x, keep_w = x.copy(), w.copy()
    t = sigconv.tensor(x, requires_grad=True)
    y = F.max_pool2d(F.relu(F.conv2d(t, sigconv.tensor(w, requires_grad=True), padding=1)), 2)
    F.cross_entropy(y.flatten(1), np.array([1])).backward()
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(w, keep_w)


def test_nll_loss_reads_only_the_target_entries_and_checks_the_targets():
    with np.errstate(divide="ignore"):
        logp = np.log(np.array([[0.0, 0.25, 0.75], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], np.float32))
    with np.errstate(all="raise"):  # the -inf entries are never multiplied
        out = F.nll_loss(logp, np.array([2, 0, -100]), reduction="none")
    np.testing.assert_array_equal(out, -np.log(np.float32([0.75, 0.5, 1.0])) * [1, 1, 0])
    assert out.dtype == np.float32
    np.testing.assert_allclose(float(F.nll_loss(logp, np.array([2, 0, -100]))),
                               -(np.log(0.75) + np.log(0.5)) / 2, rtol=1e-6)
    for bad in ([0, 3, 1], [0, -1, 1]):  # numpy indexing would raise IndexError or wrap around
        with pytest.raises(ValueError, match=r"lie in \[0, 3\)"):
            F.nll_loss(logp, np.array(bad))
    with pytest.raises(ValueError, match=r"target of class indices must have shape \(3,\)"):
        F.nll_loss(logp, np.array([0, 1]))
    # one sample of shape (C,) with a scalar target; (N, C, d) with (N, d)
    assert float(F.nll_loss(logp[0], np.array(1))) == pytest.approx(np.log(4))
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    t = np.array([[0, 1, 2, 1], [2, 2, 0, -100]])
    want = -np.mean([x[n, t[n, d], d] for n in range(2) for d in range(4) if t[n, d] >= 0])
    assert float(F.nll_loss(x, t)) == pytest.approx(want, rel=1e-12)


def test_cross_entropy_of_masked_classes_reads_only_the_targets_classes():
    # a logit of -inf (a masked class) away from the target: torch gives the finite loss
    x = np.array([[1.0, -np.inf, 0.5], [0.2, 0.1, -np.inf]], np.float32)
    want = np.mean([np.log1p(np.exp(-0.5)), -(0.1 - np.log(np.exp(0.2) + np.exp(0.1)))])
    with np.errstate(invalid="raise"):
        assert float(F.cross_entropy(x, np.array([0, 1]))) == pytest.approx(want, rel=1e-6)
        t = sigconv.tensor(x, requires_grad=True)
        F.cross_entropy(t, np.array([0, 1]), weight=np.ones(3)).backward()
    assert np.isfinite(t.grad.numpy()).all() and t.grad.numpy()[0, 1] == 0


def test_loss_pad_norm_and_resampling_arguments_are_named():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        F.nll_loss(x, np.array([0.5, 1, 1, 2]))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.nll_loss(x, np.array([0, 1, 2, 1]), weight=1.5)
    with pytest.raises(TypeError, match="pad must be a tuple of ints"):
        F.pad(x, -1)
    with pytest.raises(TypeError, match="value must be a number"):
        F.pad(x, (1, 2), value="abc")
    with pytest.raises(TypeError, match="eps must be a number"):
        F.batch_norm(x, None, None, training=True, eps="abc")
    with pytest.raises(TypeError, match="eps must be a number"):
        sigconv.nn.BatchNorm1d(3, eps="abc")
    with pytest.raises(ValueError, match="eps must be at least 0"):
        sigconv.nn.BatchNorm1d(3, eps=-1.0)
    with pytest.raises(TypeError, match="size must be an int or a tuple"):
        F.interpolate(x[None], size=1.5)
    assert F.pad(x, [1, 1], value=2).shape == (4, 5)
