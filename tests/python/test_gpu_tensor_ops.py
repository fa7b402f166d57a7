"""Indexing, broadcasting, powers and the ops built on them for GPU-resident tensors: basic indexing
and assignment (strided copies on the device), numpy's broadcasting, reductions over any axes,
stack/take, take_along_axis/put_along_axis (max and min along an axis with their indices),
argmin, powers with tensor exponents, floor/ceil/trunc/rint and float-to-integer
conversion, one integer index array and boolean masks (gathers, their gradient a grouped sum), the embedding lookup
with its gradient, nll_loss, torch's pad modes (also as convolution padding
modes), interpolate, adaptive average pooling and max_unpool. Each against numpy or the same operation in host memory; on CI the
adapter is Mesa's lavapipe."""

import numpy as np
import pytest

import sigconv
from sigconv import _core, nn
from sigconv._gpu_array import GpuArray
from sigconv.nn import functional as F

ADAPTER = _core.gpu_adapter()
pytestmark = pytest.mark.skipif(ADAPTER is None, reason=f"no GPU adapter: {_core.gpu_unavailable_reason()}")
needs_f64 = pytest.mark.skipif(ADAPTER is None or not ADAPTER["f64"], reason="no SHADER_F64")
DTYPES = [np.float32, np.int64, pytest.param(np.float64, marks=needs_f64)]


def gpu(a):
    return GpuArray.from_numpy(np.asarray(a))


BASIC_INDICES = [
    0, -1, 2, (1, 2), (slice(None), 1), (Ellipsis, 0), (0, Ellipsis, 1), slice(1, 3), slice(None, None, 2),
    slice(None, None, -1), (slice(None), slice(4, 0, -2)), (None, 1), (slice(None), None, slice(1, 2)),
    (Ellipsis, None), (1, slice(2, 2)), (slice(5, 9),), (-2, slice(None), slice(-3, None, 3)), (),
    Ellipsis, (slice(None, None, 2**62),),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", BASIC_INDICES, ids=repr)
def test_basic_indexing_equals_numpy(dtype, idx):
    a = (np.arange(3 * 4 * 5).reshape(3, 4, 5) - 20).astype(dtype)
    got = gpu(a)[idx]
    want = a[idx]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", BASIC_INDICES, ids=repr)
def test_basic_assignment_equals_numpy(dtype, idx):
    a = np.arange(3 * 4 * 5).reshape(3, 4, 5).astype(dtype)
    g = gpu(a)
    shape = a[idx].shape
    values = (np.arange(int(np.prod(shape))).reshape(shape) * 3 + 1).astype(dtype)
    g[idx] = gpu(values)
    a[idx] = values
    np.testing.assert_array_equal(g.numpy(), a)
    g[idx] = 7
    a[idx] = 7
    np.testing.assert_array_equal(g.numpy(), a)


def test_assignment_broadcasts_and_reads_a_view_of_itself_safely():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = gpu(a)
    g[:, 1:3] = gpu(np.array([10, 20], np.float32))
    a[:, 1:3] = np.array([10, 20], np.float32)
    np.testing.assert_array_equal(g.numpy(), a)
    g[...] = g.reshape(4, 3).reshape(3, 4)  # the same buffer
    np.testing.assert_array_equal(g.numpy(), a)


def test_indexing_errors_are_numpys():
    g = gpu(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match="out of bounds"):
        g[3]
    with pytest.raises(IndexError, match="too many indices"):
        g[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        g[..., ...]
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        g[gpu(np.array([0, 3]))]
    with pytest.raises(IndexError, match="index -5 is out of bounds for axis 1 with size 4"):
        g[:, [0, -5]]
    with pytest.raises(IndexError, match="integer"):
        g[np.array([0.5])]
    with pytest.raises(TypeError, match="advanced indexing.*one integer index array.*no GPU kernel"):
        g[[0, 1], [1, 2]]
    with pytest.raises(TypeError, match="advanced indexing.*no GPU kernel"):
        g[0, [1, 2]]  # numpy moves the indexed axes when integers join an index array
    with pytest.raises(IndexError, match="boolean index did not match indexed array along axis 1"):
        g[np.ones((3, 2), bool)]
    with pytest.raises(TypeError, match="or a boolean mask alone"):
        g[[True, False, True], 1]
    with pytest.raises(TypeError, match="mask among other indices"):
        g[[True, False, True], :]
    with pytest.raises(ValueError, match="host array"):
        g[0] = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="broadcast"):
        g[0] = gpu(np.zeros(3, np.float32))


def test_strided_copies_check_their_positions():
    h = gpu(np.zeros(10, np.float32))._h
    with pytest.raises(ValueError, match="outside an array of 10"):
        h.gather([3], [5], 0)
    with pytest.raises(ValueError, match="outside"):
        h.gather([3], [-1], 1)
    with pytest.raises(ValueError, match="strides for a shape"):
        h.gather([3], [1, 1], 0)
    src = gpu(np.ones(4, np.float32))._h
    with pytest.raises(ValueError, match="overlap"):
        h.scatter(src, [2, 2], [1, 1], 0)
    with pytest.raises(ValueError, match="overlap"):
        h.scatter(src, [4], [0], 0)
    with pytest.raises(ValueError, match="cannot fill"):
        h.scatter(src, [3], [1], 0)
    assert np.array_equal(GpuArray(h.gather([2, 3], [0, 2], 1), (2, 3), np.float32).numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcasting_of_any_axes_equals_numpy(dtype):
    rng = np.random.default_rng(1)
    a = rng.integers(-9, 9, (3, 1, 5)).astype(dtype)
    for shape in [(3, 4, 5), (2, 3, 4, 5), (3, 1, 5), (1, 3, 7, 5)]:
        if shape == (1, 3, 7, 5):
            a2 = a.reshape(1, 3, 1, 5)
            np.testing.assert_array_equal(np.broadcast_to(gpu(a2), shape).numpy(), np.broadcast_to(a2, shape))
            continue
        np.testing.assert_array_equal(np.broadcast_to(gpu(a), shape).numpy(), np.broadcast_to(a, shape))
    with pytest.raises(ValueError, match="broadcast"):
        np.broadcast_to(gpu(a), (3, 4, 4))
    if dtype != np.int64:
        b = rng.standard_normal((1, 4, 1)).astype(dtype)
        for got, want in [(gpu(a) + gpu(b), a + b), (gpu(b) - gpu(a), b - a), (gpu(a) > gpu(b), (a > b).astype(dtype))]:
            assert got.shape == want.shape
            np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("axis", [1, (0, 2), (1, 3), (0, 1, 3), -2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_over_any_axes_equal_numpy(axis, keepdims):
    a = np.random.default_rng(2).standard_normal((3, 4, 5, 6)).astype(np.float32)
    g = gpu(a)
    for got, want in [(g.sum(axis, keepdims), a.sum(axis, keepdims=keepdims)),
                      (g.max(axis, keepdims), a.max(axis, keepdims=keepdims)),
                      (g.mean(axis, keepdims), a.mean(axis, keepdims=keepdims))]:
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_stack_take_and_joins_along_inner_axes_equal_numpy():
    rng = np.random.default_rng(3)
    parts = [rng.standard_normal((70, 3)).astype(np.float32) for _ in range(3)]
    gs = [gpu(p) for p in parts]
    for axis in [0, 1, 2, -1]:
        np.testing.assert_array_equal(np.stack(gs, axis).numpy(), np.stack(parts, axis))
    # 70 leading rows x 3 parts: more blocks than buffer copies take, one strided kernel per part
    np.testing.assert_array_equal(np.concatenate(gs, 1).numpy(), np.concatenate(parts, 1))
    whole = np.concatenate(parts, 1)
    for got, want in zip(np.split(gpu(whole), [2, 5, 9], 1), np.split(whole, [2, 5, 9], 1)):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(np.take(gpu(whole), 4, axis=1).numpy(), np.take(whole, 4, axis=1))
    for idx, axis in [([1, 2, 1], 1), (np.array([[0, 8], [-1, 3]]), 1), ([69, 0], 0), ([5, 200], None)]:
        got, want = np.take(gpu(whole), idx, axis=axis), np.take(whole, idx, axis=axis)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("exponent", [2, 1, 0, 0.5, -1, 3, -3, -2, 1.5, 0.25, 4, 7, np.inf, -np.inf, np.nan, 1e30])
def test_powers_equal_numpy(exponent):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(500).astype(np.float32) * 3
    a[:4] = [0.0, -0.0, np.inf, -np.inf]
    a[4] = np.nan
    with np.errstate(all="ignore"):
        want = a ** np.float32(exponent)
        got = (gpu(a) ** exponent).numpy()
    if exponent in (2, 1, 0, 0.5, -1):  # numpy's exact shortcuts: the same arithmetic
        np.testing.assert_array_equal(got, want)
    else:  # exp(e log|a|): the error of the log grows e times
        np.testing.assert_allclose(got, want, rtol=min(1e-5, 1e-6 * max(2, abs(exponent))), atol=0)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    numbers = ~np.isnan(want)  # the sign of a zero or infinite power too: (-0.0) ** 3 is -0.0
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.power(gpu(a), 2).numpy(), a * a)


def test_tensor_exponents_equal_numpy():
    rng = np.random.default_rng(14)
    special = np.float32([0, -0.0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, np.inf, -np.inf, np.nan, 2.5, 1e30])
    base, exponent = np.meshgrid(special, special, indexing="ij")  # every pair of special values
    base = np.concatenate([base.ravel(), rng.standard_normal(400).astype(np.float32) * 3])
    exponent = np.concatenate([exponent.ravel(), rng.integers(-4, 5, 400).astype(np.float32)
                               + rng.choice([0, 0.5, 0.25], 400).astype(np.float32)])
    with np.errstate(all="ignore"):
        want = base ** exponent
        got = (gpu(base) ** gpu(exponent)).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    numbers = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))  # (-0.0) ** -3 is -inf
    np.testing.assert_allclose(got, want, rtol=4e-6, atol=0)
    # broadcasting, a number as base, and autograd through both operands
    x = rng.random((3, 4)).astype(np.float32) + 0.5
    e = rng.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose((gpu(x) ** gpu(e)).numpy(), x ** e, rtol=4e-6)
    np.testing.assert_allclose((2.0 ** gpu(e)).numpy(), np.float32(2.0) ** e, rtol=4e-6)
    results = []
    for dev in ("cpu", "gpu"):
        tx, te = sigconv.tensor(x, requires_grad=True), sigconv.tensor(e, requires_grad=True)
        (tx.to(dev) ** te.to(dev)).sum().backward()
        results.append((tx.grad.numpy(), te.grad.numpy()))
    (cx, ce), (gx, ge) = results
    np.testing.assert_allclose(gx, cx, rtol=2e-5)
    np.testing.assert_allclose(ge, ce, rtol=2e-5, atol=1e-6)
    with pytest.raises(TypeError, match="dtypes int64 and float32"):
        gpu(np.arange(3)) ** gpu(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="different devices"):
        gpu(x) ** e


def test_rounding_functions_and_float_to_int_conversion_equal_numpy():
    a = np.float32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 1.7, 0, -0.0, 3e9, -3e9, np.inf, -np.inf, 1e-3])
    for name in ("floor", "ceil", "trunc", "rint"):
        got = getattr(np, name)(gpu(a)).numpy()
        np.testing.assert_array_equal(got, getattr(np, name)(a), err_msg=name)
        assert np.array_equal(np.signbit(got), np.signbit(getattr(np, name)(a))), name
    # to integers: toward zero, as numpy's; beyond int32 it saturates and NaN gives 0 (numpy: undefined)
    finite = a[np.abs(a) < 2**31]
    for dt in (np.int64, np.int32):
        g = gpu(finite).astype(dt)
        assert g.dtype == dt
        np.testing.assert_array_equal(g.numpy(), finite.astype(dt))
    np.testing.assert_array_equal(gpu(np.float32([3e9, -3e9, np.inf, -np.inf, np.nan])).astype(np.int64).numpy(),
                                  [2**31 - 1, -2**31, 2**31 - 1, -2**31, 0])
    t = sigconv.tensor(np.float32([1.9, -1.9, 7.0])).to("gpu")
    assert t.long().numpy().tolist() == [1, -1, 7]


@pytest.mark.parametrize("dtype", [np.float32, pytest.param(np.float64, marks=needs_f64)])
def test_argmin_equals_numpy_with_ties_and_nan(dtype):
    a = np.array([[3, 1, 1, 2], [np.nan, 0, np.nan, -1], [2, 2, 2, 2], [-0.0, 0.0, -np.inf, -np.inf]], dtype)
    for axis in [None, 0, 1, -1]:
        np.testing.assert_array_equal(gpu(a).argmin(axis).numpy(), np.argmin(a, axis))
    np.testing.assert_array_equal(np.argmin(gpu(a), axis=1, keepdims=True).numpy(), np.argmin(a, 1, keepdims=True))


def _forward_and_gradient(a, fn):
    """``fn`` of a tensor of ``a`` in host memory and on the GPU, and the gradient of a fixed random
    weighting of its output (the first of a tuple): ``[(cpu_out, cpu_grad), (gpu_out, gpu_grad)]``."""
    results = []
    for dev in ("cpu", "gpu"):
        t = sigconv.tensor(a).to(dev).requires_grad_()
        y = fn(t)
        y = y[0] if isinstance(y, tuple) else y
        w = np.random.default_rng(1).standard_normal(y.shape).astype(a.dtype)
        (y * sigconv.tensor(w).to(dev)).sum().backward()
        results.append((y.numpy(), t.grad.numpy()))
    return results


AUTOGRAD_CASES = {
    "getitem": lambda t: t[1:, ::2, -1],
    "getitem_none": lambda t: t[None, 0, ..., 1:3],
    "pow2": lambda t: t ** 2,
    "pow3": lambda t: t ** 3,
    "sqrt_of_square": lambda t: (t * t + 1.0).sqrt(),
    "sum_middle": lambda t: t.sum(1),
    "mean_keepdim": lambda t: t.mean(2, keepdim=True),
    "var": lambda t: t.var(1),
    "expand": lambda t: t[:, :1].expand(2, 3, 4),
    "max_dim": lambda t: t.max(1),
    "min_dim_keep": lambda t: t.min(2, keepdim=True),
    "max_all": lambda t: t.max(),
    "stack": lambda t: sigconv.stack([t, t * 2.0], 1),
    "broadcast_col": lambda t: t * t[:, :, :1],
    "softmax_middle": lambda t: F.softmax(t, dim=1),
}


@pytest.mark.parametrize("name", AUTOGRAD_CASES)
def test_autograd_through_indexing_and_reductions_matches_the_cpu(name):
    a = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)
    (cpu_out, cpu_grad), (gpu_out, gpu_grad) = _forward_and_gradient(a, AUTOGRAD_CASES[name])
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=2e-6, atol=1e-6)


def test_max_and_min_along_an_axis_give_the_cpus_indices():
    a = np.random.default_rng(6).integers(0, 3, (4, 5, 6)).astype(np.float32)  # many ties
    t, g = sigconv.tensor(a), sigconv.tensor(a).to("gpu")
    for dim in [0, 1, 2, -1]:
        for keep in [False, True]:
            for op in ("max", "min"):
                (cv, ci), (gv, gi) = getattr(t, op)(dim, keep), getattr(g, op)(dim, keep)
                np.testing.assert_array_equal(gv.numpy(), cv.numpy())
                assert gi.dtype == np.int64
                np.testing.assert_array_equal(gi.numpy(), ci.numpy())
    np.testing.assert_array_equal(g.argmin(1).numpy(), t.argmin(1).numpy())


@pytest.mark.parametrize("index_shape", [(7,), (3, 5), (2, 4, 3), (0,)])
def test_embedding_and_its_gradient_equal_the_cpus(index_shape):
    rng = np.random.default_rng(7)
    emb = nn.Embedding(6, 5)
    idx = rng.integers(0, 6, index_shape)  # repeated rows: their gradients add in numpy's order
    w = rng.standard_normal(index_shape + (5,)).astype(np.float32)
    results = []
    for dev in ("cpu", "gpu"):
        m = nn.Embedding(6, 5)
        m.load_state_dict(emb.state_dict())
        m.to(dev)
        out = m(sigconv.tensor(idx).to(dev))
        (out * sigconv.tensor(w).to(dev)).sum().backward()
        results.append((out.numpy(), m.weight.grad.numpy()))
    (co, cg), (go, gg) = results
    np.testing.assert_array_equal(go, co)
    np.testing.assert_array_equal(gg, cg)


def test_embedding_errors_on_the_gpu():
    m = nn.Embedding(4, 3).to("gpu")
    with pytest.raises(ValueError, match=r"lie in \[0, 4\)"):
        m(sigconv.tensor(np.array([1, 4])).to("gpu"))
    with pytest.raises(ValueError, match="input is on the CPU and weight on the GPU"):
        m(sigconv.tensor(np.array([1, 2])))
    with pytest.raises(TypeError, match="integer indices"):
        m(sigconv.tensor(np.array([1.0])).to("gpu"))


INDEX_ARRAYS = [
    np.array([0, 2, 2, -1]), [3, 1], (slice(None), np.array([[0, 4], [4, 4]])),
    (Ellipsis, np.array([5, 0, 5])), (slice(1, 3), slice(None), [2]),
    (slice(None, None, -1), np.array([1, 1]), slice(2, 5)), np.array(2), np.array([], np.int64),
    (np.array([1, 3]), Ellipsis),
]  # fmt: skip


@pytest.mark.parametrize("on_gpu", [False, True], ids=["host_index", "gpu_index"])
@pytest.mark.parametrize("idx", INDEX_ARRAYS, ids=repr)
def test_one_index_array_and_its_gradient_equal_the_cpus(idx, on_gpu):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    weights = rng.standard_normal(a[idx].shape).astype(np.float32)
    items = idx if isinstance(idx, tuple) else (idx,)
    if on_gpu:  # the index arrays as GPU tensors (read back once, for the bounds and the grouping)
        items = tuple(sigconv.tensor(np.asarray(i)).to("gpu") if isinstance(i, (list, np.ndarray)) else i
                      for i in items)
    results = []
    for dev, index in (("cpu", idx), ("gpu", items)):
        t = sigconv.tensor(a, requires_grad=True)
        out = t.to(dev)[index]
        # repeated indices: their gradients add in numpy's order, so bit for bit
        (out * sigconv.tensor(weights).to(dev)).sum().backward()
        results.append((out.numpy(), t.grad.numpy()))
    (co, cg), (go, gg) = results
    assert go.shape == co.shape
    np.testing.assert_array_equal(go, co)
    np.testing.assert_array_equal(gg, cg)


@pytest.mark.parametrize("on_gpu", [False, True], ids=["host_mask", "gpu_mask"])
@pytest.mark.parametrize("axes", [3, 2, 1])
def test_boolean_masks_and_their_gradient_equal_the_cpus(axes, on_gpu):
    rng = np.random.default_rng(10)
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    mask = rng.random(a.shape[:axes]) > 0.4  # over the leading `axes` axes
    weights = rng.standard_normal(a[mask].shape).astype(np.float32)
    # on the GPU a comparison gives a float mask of 1 and 0, which indexes as a mask
    gpu_mask = sigconv.tensor(mask.astype(np.float32)).to("gpu") if on_gpu else mask
    results = []
    for dev, m in (("cpu", mask), ("gpu", gpu_mask)):
        t = sigconv.tensor(a, requires_grad=True)
        out = t.to(dev)[m]
        (out * sigconv.tensor(weights).to(dev)).sum().backward()
        results.append((out.numpy(), t.grad.numpy()))
    (co, cg), (go, gg) = results
    np.testing.assert_array_equal(go, co)
    np.testing.assert_array_equal(gg, cg)


def test_comparison_masks_select_and_assign_as_numpys():
    a = np.random.default_rng(11).standard_normal((6, 7)).astype(np.float32)
    g = gpu(a)
    np.testing.assert_array_equal(g[g > 0.5].numpy(), a[a > 0.5])
    want = a.copy()
    want[want < 0] = 0
    g[g < 0] = 0.0
    np.testing.assert_array_equal(g.numpy(), want)
    rows = a[:, 0] > 0
    want[rows] = -7
    g[rows] = -7
    np.testing.assert_array_equal(g.numpy(), want)
    with pytest.raises(TypeError, match="assigning an array through a boolean mask"):
        g[rows] = gpu(np.zeros((int(rows.sum()), 7), np.float32))


@pytest.mark.parametrize("shape", [(5,), (6, 4), (2, 4, 3, 5)])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_and_its_gradient_equal_the_cpus(shape, reduction, weighted):
    rng = np.random.default_rng(8)
    classes = shape[1] if len(shape) > 1 else shape[0]
    rows = shape[:1] + shape[2:] if len(shape) > 1 else ()
    logp = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, classes, rows)
    if target.ndim:
        target.reshape(-1)[0] = -100  # an ignored row
    weight = rng.random(classes).astype(np.float32) if weighted else None
    grad_out = rng.standard_normal(rows if reduction == "none" else ()).astype(np.float32)
    results = []
    for dev in ("cpu", "gpu"):
        x = sigconv.tensor(logp, requires_grad=True)
        t = sigconv.tensor(target).to(dev)  # GPU targets are read back for the check
        out = F.nll_loss(x.to(dev), t, weight=weight, reduction=reduction)
        assert out.device == dev
        out.backward(sigconv.tensor(grad_out).to(dev))
        results.append((out.numpy(), x.grad.numpy()))
    (co, cg), (go, gg) = results
    np.testing.assert_allclose(go, co, rtol=2e-6, atol=1e-7)
    np.testing.assert_array_equal(gg, cg)  # one product per entry, scattered


def test_nll_loss_errors_on_the_gpu():
    x = sigconv.tensor(np.zeros((3, 4), np.float32)).to("gpu")
    with pytest.raises(ValueError, match=r"lie in \[0, 4\).*got -1"):
        F.nll_loss(x, sigconv.tensor(np.array([0, -1, 2])).to("gpu"))
    with pytest.raises(ValueError, match=r"must have shape \(3,\)"):
        F.nll_loss(x, np.array([0, 1]))


def test_a_text_model_with_an_embedding_trains_on_the_gpu_as_on_the_cpu():
    rng = np.random.default_rng(8)
    tokens = rng.integers(0, 20, (16, 12))
    labels = (tokens[:, 0] > 9).astype(np.int64)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.conv = nn.Conv1d(8, 6, 3, padding=1)
            self.fc = nn.Linear(6, 2)

        def forward(self, x):
            h = self.emb(x).permute(0, 2, 1)
            h = self.conv(h).relu().max(2)[0]
            return self.fc(h)

    from sigconv import optim
    base = Net()
    losses = {}
    for dev in ("cpu", "gpu"):
        net = Net()
        net.load_state_dict(base.state_dict())
        net.to(dev)
        opt = optim.SGD(net.parameters(), lr=0.1)
        x, y = sigconv.tensor(tokens).to(dev), sigconv.tensor(labels).to(dev)
        seq = []
        for _ in range(5):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            seq.append(loss.item())
        losses[dev] = seq
    np.testing.assert_allclose(losses["gpu"], losses["cpu"], rtol=1e-4)
    assert losses["gpu"][-1] < losses["gpu"][0]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2, 0, 1), (2, 0, 1, 3), (0, 0, 3, 3), (4, 4, 4, 4), (5, 5, 0, 0)])
def test_pad_modes_and_their_gradients_match_the_cpu(mode, pad):
    if mode == "reflect" and max(pad) >= 5:
        pytest.skip("reflect pads must be shorter than the axis (5)")
    a = np.random.default_rng(9).standard_normal((2, 3, 5, 6)).astype(np.float32)
    kw = {"value": 1.5} if mode == "constant" else {}
    (cy, cg), (gy, gg) = _forward_and_gradient(a, lambda t: F.pad(t, pad, mode=mode, **kw))
    np.testing.assert_array_equal(gy, cy)  # copies: the same samples
    np.testing.assert_allclose(gg, cg, rtol=1e-6, atol=1e-6)  # sums, in another order


def test_negative_constant_pads_crop_on_the_gpu():
    a = np.random.default_rng(10).standard_normal((2, 3, 5, 6)).astype(np.float32)
    for pad in [(-1, 2), (2, -2, -1, 1)]:
        (cy, cg), (gy, gg) = _forward_and_gradient(a, lambda t: F.pad(t, pad))
        np.testing.assert_array_equal(gy, cy)
        np.testing.assert_array_equal(gg, cg)


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
def test_convolution_padding_modes_train_on_the_gpu(padding_mode):
    a = np.random.default_rng(11).standard_normal((2, 3, 6, 7)).astype(np.float32)
    base = nn.Conv2d(3, 4, 3, padding=2, padding_mode=padding_mode)
    results = []
    for dev in ("cpu", "gpu"):
        m = nn.Conv2d(3, 4, 3, padding=2, padding_mode=padding_mode)
        m.load_state_dict(base.state_dict())
        m.to(dev)
        t = sigconv.tensor(a).to(dev).requires_grad_()
        (m(t) ** 2).sum().backward()
        results.append((m(t).numpy(), t.grad.numpy(), m.weight.grad.numpy()))
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5)


INTERPOLATE_CASES = [
    ((2, 3, 5, 7), dict(scale_factor=2)), ((2, 3, 5, 7), dict(size=(8, 3))),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="nearest-exact")), ((2, 3, 5, 7), dict(size=(9, 11), mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(9, 4), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=0.6, mode="bilinear")), ((2, 3, 5, 7), dict(scale_factor=(2, 3), mode="bed_of_nails")),
    ((2, 3, 9), dict(size=4, mode="linear")), ((2, 3, 9), dict(scale_factor=2.5)),
    ((2, 3, 9), dict(size=20, mode="linear", align_corners=True)),
]  # fmt: skip


@pytest.mark.parametrize("shape, kw", INTERPOLATE_CASES, ids=lambda v: str(v))
def test_interpolate_matches_the_cpu(shape, kw):
    a = np.random.default_rng(12).standard_normal(shape).astype(np.float32)
    (cy, cg), (gy, gg) = _forward_and_gradient(a, lambda t: F.interpolate(t, **kw))
    np.testing.assert_array_equal(gy, cy)  # the CPU's taps, in the CPU's order of arithmetic
    np.testing.assert_allclose(gg, cg, rtol=1e-6, atol=1e-6)


def test_upsample_in_a_model_on_the_gpu():
    a = np.random.default_rng(13).standard_normal((1, 2, 4, 4)).astype(np.float32)
    up = nn.Upsample(scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(up(sigconv.tensor(a).to("gpu")).numpy(), up(sigconv.tensor(a)).numpy())


ADAPTIVE_CASES = {
    "2d uneven": ((2, 3, 7, 9), lambda t: F.adaptive_avg_pool2d(t, (3, 4))),
    "2d global": ((2, 3, 7, 9), lambda t: F.adaptive_avg_pool2d(t, 1)),
    "2d keep one axis": ((2, 3, 7, 9), lambda t: F.adaptive_avg_pool2d(t, (None, 5))),
    "2d unbatched": ((3, 7, 9), lambda t: F.adaptive_avg_pool2d(t, (4, 4))),
    "2d larger": ((2, 3, 7, 9), lambda t: F.adaptive_avg_pool2d(t, (14, 18))),
    "2d even (one kernel)": ((2, 3, 8, 9), lambda t: F.adaptive_avg_pool2d(t, (4, 3))),
    "1d": ((2, 3, 10), lambda t: F.adaptive_avg_pool1d(t, 4)),
    "interpolate area": ((2, 3, 7, 9), lambda t: F.interpolate(t, size=(3, 5), mode="area")),
    "interpolate area 1d": ((2, 3, 11), lambda t: F.interpolate(t, size=4, mode="area")),
    "module": ((2, 3, 7, 9), lambda t: nn.AdaptiveAvgPool2d((2, 5))(t)),
}


@pytest.mark.parametrize("name", ADAPTIVE_CASES)
def test_adaptive_average_pooling_to_any_size_matches_the_cpu(name):
    shape, fn = ADAPTIVE_CASES[name]
    a = np.random.default_rng(14).standard_normal(shape).astype(np.float32)
    (cy, cg), (gy, gg) = _forward_and_gradient(a, fn)
    np.testing.assert_allclose(gy, cy, rtol=1e-6, atol=1e-7)  # window sums, in another order
    np.testing.assert_allclose(gg, cg, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("nd, shape, k, s", [(2, (2, 3, 8, 9), 2, None), (2, (2, 3, 9, 9), 3, 2),
                                             (1, (2, 3, 11), 3, 2), (1, (2, 3, 10), 2, None),
                                             (2, (3, 8, 8), 2, None)])
def test_max_unpool_after_max_pool_matches_the_cpu(nd, shape, k, s):
    """Overlapping windows (3, stride 2) repeat indices, each time with the same input sample."""
    pool, unpool = (F.max_pool2d, F.max_unpool2d) if nd == 2 else (F.max_pool1d, F.max_unpool1d)

    def round_trip(t):
        y, i = pool(t, k, s, return_indices=True)
        return unpool(y, i, k, s, output_size=shape[-nd:])

    a = np.random.default_rng(15).standard_normal(shape).astype(np.float32)
    (cz, cg), (gz, gg) = _forward_and_gradient(a, round_trip)
    np.testing.assert_array_equal(gz, cz)
    np.testing.assert_array_equal(gg, cg)
    m = nn.MaxUnpool2d(2) if nd == 2 else nn.MaxUnpool1d(2)
    y, i = pool(sigconv.tensor(a).to("gpu"), 2, return_indices=True)
    yc, ic = pool(sigconv.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(m(y, i, output_size=shape[-nd:]).numpy(), m(yc, ic, output_size=shape[-nd:]).numpy())


def test_integer_tensors_compare_add_sum_and_convert_on_the_gpu():
    rng = np.random.default_rng(16)
    y, p = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    gy, gp = gpu(y), gpu(p)
    cases = {"==": (gp == gy, (p == y)), "!=": (gp != gy, p != y), ">": (gp > 2, p > 2),
             "+": (gp + gy, p + y), "-": (gp - 3 * gy, p - 3 * y), "*": (gp * gy, p * y),
             "max": (np.maximum(gp, gy), np.maximum(p, y)), "neg": (-gp, -p),
             "broadcast": (gp.reshape(30, 10) + gy[:10], p.reshape(30, 10) + y[:10])}  # fmt: skip
    for name, (got, want) in cases.items():
        assert got.dtype == np.int64, name
        np.testing.assert_array_equal(got.numpy(), want.astype(np.int64), err_msg=name)
    assert (gp == gy).sum().item() == (p == y).sum()
    np.testing.assert_array_equal(gp.reshape(30, 10).sum(0).numpy(), p.reshape(30, 10).sum(0))
    for dt in (np.float32, np.float64) if ADAPTER["f64"] else (np.float32,):
        np.testing.assert_array_equal(gp.astype(dt).numpy(), p.astype(dt))
    assert gp.astype(np.int32).dtype == np.int32
    # the torch idiom: accuracy of predicted classes, on the device until .item()
    logits = sigconv.tensor(rng.standard_normal((300, 5)).astype(np.float32)).to("gpu")
    labels = sigconv.tensor(y).to("gpu")
    acc = (logits.argmax(1) == labels).float().mean().item()
    assert acc == pytest.approx(np.mean(logits.numpy().argmax(1) == y))
    with pytest.raises(TypeError, match=r"\.float\(\)"):
        gp / gy
    with pytest.raises(TypeError, match="integers within int32"):
        gp * 0.5
    with pytest.raises(TypeError, match=r"\.float\(\)"):
        gp.mean()
    with pytest.raises(TypeError, match="no GPU kernel"):
        gp.max()
    np.testing.assert_array_equal(gp.astype(np.float32).astype(np.int64).numpy(), p)


def test_outputs_larger_than_a_binding_raise_before_any_work():
    g = sigconv.tensor(np.ones((2, 3, 8), np.float32)).to("gpu")
    g4 = sigconv.tensor(np.ones((2, 3, 8, 8), np.float32)).to("gpu")
    calls = [lambda: F.adaptive_avg_pool1d(g, 10**12), lambda: F.adaptive_avg_pool2d(g4, (2, 2**40)),
             lambda: nn.AdaptiveAvgPool2d(2**62)(g4), lambda: F.interpolate(g, size=10**12, mode="linear"),
             lambda: F.interpolate(g, scale_factor=10**12), lambda: F.interpolate(g4, size=2**62, mode="bilinear"),
             lambda: F.pad(g, (10**12, 0)), lambda: F.pad(g, (2**40, 0), mode="replicate"),
             lambda: g.expand(2**40, 2, 3, 8)]  # fmt: skip
    for call in calls:
        with pytest.raises(ValueError, match="larger than one GPU buffer binding"):
            call()
