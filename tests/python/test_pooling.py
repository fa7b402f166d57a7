"""sigconv.nn pooling: exact golden cases (from torch), torch as the oracle where installed,
finite-difference gradients of every backward in float64, properties, errors, inputs unmodified."""

import doctest

import numpy as np
import pytest
from _nncheck import weighted_numeric_grad
from hypothesis import given, settings
from hypothesis import strategies as st

import sigconv.nn._pooling as P
from sigconv.nn import functional as F

# The 5x5 input of the golden cases.
X5 = np.array([[3., 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9], [3, 2, 3, 8, 4],
               [6, 2, 6, 4, 3]])[None, None]
X10 = np.array([[[2., 7, 1, 8, 2, 8, 1, 8, 2, 8]]])


def test_docstring_examples():
    result = doctest.testmod(P, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 30
    assert result.failed == 0


# --- golden cases (always run) ------------------------------------------------------------------


def test_max_pool2d_golden_ceil_mode_padding_indices():
    # torch.nn.functional.max_pool2d(torch.tensor(X5), 3, 2, 1, ceil_mode=True, return_indices=True)
    out, idx = F.max_pool2d(X5, 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(out[0, 0], [[9, 6, 5], [9, 9, 9], [6, 8, 8]])
    np.testing.assert_array_equal(idx[0, 0], [[5, 7, 4], [5, 12, 14], [20, 18, 18]])
    assert idx.dtype == np.int64


def test_avg_pool2d_golden():
    # torch.nn.functional.avg_pool2d(torch.tensor(X5), 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(F.avg_pool2d(X5, 3, 2, 1, ceil_mode=True)[0, 0], [
        [15 / 9, 19 / 9, 14 / 9], [29 / 9, 50 / 9, 36 / 9], [13 / 9, 25 / 9, 19 / 9]], rtol=1e-15)
    # ... count_include_pad=False
    np.testing.assert_allclose(
        F.avg_pool2d(X5, 3, 2, 1, ceil_mode=True, count_include_pad=False)[0, 0],
        [[3.75, 19 / 6, 3.5], [29 / 6, 50 / 9, 6.0], [3.25, 25 / 6, 4.75]], rtol=1e-15)
    # torch.nn.functional.avg_pool2d(torch.tensor(X5), (2, 3), (2, 1), (1, 0), divisor_override=2)
    np.testing.assert_array_equal(F.avg_pool2d(X5, (2, 3), (2, 1), (1, 0), divisor_override=2)[0, 0],
                                  [[4, 3, 5], [19.5, 18.5, 19.5], [11, 12.5, 14]])


def test_pool1d_golden():
    # torch.nn.functional.max_pool1d(torch.tensor(X10), 3, 2, 1, dilation=2, return_indices=True)
    out, idx = F.max_pool1d(X10, 3, 2, 1, dilation=2, return_indices=True)
    np.testing.assert_array_equal(out, [[[8, 8, 8, 8]]])
    np.testing.assert_array_equal(idx, [[[3, 3, 3, 5]]])
    # torch.nn.functional.avg_pool1d(torch.tensor(X10), 4, 3, 2, ceil_mode=True)
    np.testing.assert_array_equal(F.avg_pool1d(X10, 4, 3, 2, ceil_mode=True), [[[2.25, 4.5, 4.75, 4.5]]])
    # torch.nn.functional.adaptive_avg_pool1d(torch.tensor(X10), 4)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(X10, 4), [[[10 / 3, 11 / 3, 17 / 3, 6]]],
                               rtol=1e-15)


def test_adaptive_avg_pool2d_golden():
    # torch.nn.functional.adaptive_avg_pool2d(torch.tensor(X5[..., :4]), (3, 2))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(X5[..., :4], (3, 2))[0, 0],
                               [[3.75, 4], [29 / 6, 19 / 3], [3.25, 5.25]], rtol=1e-15)


def test_ties_keep_the_first_and_nan_wins_as_in_torch():
    # torch.nn.functional.max_pool2d(torch.tensor([[[[1., 5.], [5., 1.]]]]), 2, return_indices=True)
    out, idx = F.max_pool2d(np.array([[[[1., 5.], [5., 1.]]]]), 2, return_indices=True)
    assert out.item() == 5 and idx.item() == 1
    # torch.nn.functional.max_pool2d(torch.tensor([[[[nan, 5.], [nan, 1.]]]]), 2, return_indices=True)
    out, idx = F.max_pool2d(np.array([[[[np.nan, 5.], [np.nan, 1.]]]]), 2, return_indices=True)
    assert np.isnan(out.item()) and idx.item() == 2
    # an all -inf window reports its first sample: index 0
    out, idx = F.max_pool2d(np.full((1, 1, 2, 2), -np.inf), 2, return_indices=True)
    assert out.item() == -np.inf and idx.item() == 0
    # NaN propagates on the SIMD path too, for max and min, float32 and float64
    for dt in (np.float32, np.float64):
        x = np.zeros((1, 1, 4, 64), dt)
        x[0, 0, 1, 33] = np.nan
        for f in (F.max_pool2d, F.min_pool2d):
            out = f(x, 2)
            assert np.isnan(out[0, 0, 0, 16]) and np.isnan(out).sum() == 1


def test_unbatched_inputs_and_empty_batch():
    x = np.random.default_rng(0).random((3, 8, 9))
    np.testing.assert_array_equal(F.max_pool2d(x, 2), F.max_pool2d(x[None], 2)[0])
    np.testing.assert_array_equal(F.avg_pool1d(x[0], 3), F.avg_pool1d(x[:1], 3)[0])
    assert F.max_pool2d(np.zeros((0, 3, 8, 8)), 2).shape == (0, 3, 4, 4)


def test_float32_stays_float32():
    x = np.random.default_rng(0).random((2, 3, 8, 8), dtype=np.float32)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.min_pool2d(x, 3, 1, 1),
                F.adaptive_avg_pool2d(x, 3), F.max_pool1d(x[0], 2), F.avg_pool1d(x[0], 2)):
        assert out.dtype == np.float32


def test_max_unpool_round_trip_and_output_size():
    x = np.random.default_rng(1).random((2, 3, 7, 9))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(out, idx, 2, output_size=(7, 9))
    assert up.shape == x.shape
    np.testing.assert_array_equal(F.max_pool2d(up, 2), out)
    # the default size (6, 8) cannot hold the indices of a 7 x 9 plane: torch errors too
    with pytest.raises(ValueError, match="indices"):
        F.max_unpool2d(out, idx, 2)
    o8, i8 = F.max_pool2d(x[..., :6, :8], 2, return_indices=True)
    assert F.max_unpool2d(o8, i8, 2).shape == (2, 3, 6, 8)
    assert F.max_unpool2d(out, idx, 2, output_size=(2, 3, 7, 9)).shape == x.shape
    o1, i1 = F.max_pool1d(x[0], 3, return_indices=True)
    assert F.max_unpool1d(o1, i1, 3).shape == (3, 7, 9)


def test_workers_and_threads_agree():
    x = np.random.default_rng(2).standard_normal((4, 16, 64, 66)).astype(np.float32)
    for f, args in [(F.max_pool2d, (3, 2, 1)), (F.max_pool2d, (2,)), (F.avg_pool2d, (2,)),
                    (F.avg_pool2d, (3, 2, 1)), (F.adaptive_avg_pool2d, (7,))]:
        np.testing.assert_array_equal(f(x, *args), f(x, *args, workers=1))
    a, ai = F.max_pool2d(x, 2, return_indices=True)
    b, bi = F.max_pool2d(x, 2, return_indices=True, workers=1)
    np.testing.assert_array_equal(ai, bi)


def test_non_contiguous_input_and_inputs_unmodified():
    rng = np.random.default_rng(3)
    x = rng.random((2, 3, 10, 12))[:, :, ::2, 1:]
    keep = x.copy()
    np.testing.assert_array_equal(F.max_pool2d(x, 2), F.max_pool2d(np.ascontiguousarray(x), 2))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    g = np.ones_like(out)
    gk, ik = g.copy(), idx.copy()
    P.max_pool2d_backward(g, idx, x.shape)
    P.avg_pool2d_backward(g, x.shape, 2)
    F.max_unpool2d(out, idx, 2, output_size=x.shape[-2:])
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_array_equal(g, gk)
    np.testing.assert_array_equal(idx, ik)


# --- finite differences (float64, always run) ----------------------------------------------------


POOL_CASES = [
    # (spatial, shape, kernel, stride, padding, dilation, ceil_mode)
    (2, (2, 2, 5, 6), 2, None, 0, 1, False),
    (2, (1, 2, 7, 5), 3, 2, 1, 1, True),
    (2, (2, 6, 6), (2, 3), (1, 2), (1, 0), (2, 1), False),
    (1, (2, 3, 11), 3, 2, 1, 2, True),
    (1, (3, 8), 2, None, 0, 1, False),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_extreme_pool_backward_finite_differences(case, name):
    spatial, shape, k, s, p, d, c = case
    rng = np.random.default_rng(4)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0  # distinct: no ties
    fwd = getattr(F, f"{name}_pool{spatial}d")
    bwd = getattr(P, f"{name}_pool{spatial}d_backward")
    out, idx = fwd(x, k, s, p, d, c, return_indices=True)
    g = rng.standard_normal(out.shape)
    got = bwd(g, idx, x.shape)
    want = weighted_numeric_grad(lambda v: fwd(v, k, s, p, d, c), x.copy(), g)
    np.testing.assert_allclose(got, want, atol=1e-7)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_backward_finite_differences(case, count_include_pad):
    spatial, shape, k, s, p, _, c = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    fwd = getattr(F, f"avg_pool{spatial}d")
    bwd = getattr(P, f"avg_pool{spatial}d_backward")
    extra = {"divisor_override": 5} if spatial == 2 and not count_include_pad else {}
    out = fwd(x, k, s, p, c, count_include_pad, **extra)
    g = rng.standard_normal(out.shape)
    got = bwd(g, x.shape, k, s, p, c, count_include_pad, **extra)
    want = weighted_numeric_grad(lambda v: fwd(v, k, s, p, c, count_include_pad, **extra), x.copy(), g)
    np.testing.assert_allclose(got, want, atol=1e-7)


@pytest.mark.parametrize("spatial,shape,size", [(2, (2, 2, 5, 7), (3, 2)), (2, (1, 4, 4), (6, 3)),
                                                (1, (2, 2, 9), 4), (1, (3, 5), 7)])
def test_adaptive_avg_pool_backward_finite_differences(spatial, shape, size):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    fwd = getattr(F, f"adaptive_avg_pool{spatial}d")
    bwd = getattr(P, f"adaptive_avg_pool{spatial}d_backward")
    g = rng.standard_normal(fwd(x, size).shape)
    want = weighted_numeric_grad(lambda v: fwd(v, size), x.copy(), g)
    np.testing.assert_allclose(bwd(g, x.shape), want, atol=1e-7)


@pytest.mark.parametrize("spatial", [1, 2])
def test_max_unpool_backward_finite_differences(spatial):
    rng = np.random.default_rng(7)
    shape = (2, 3, 6, 8)[: spatial + 2]
    x = rng.permutation(np.prod(shape)).reshape(shape) / 3.0
    pool = getattr(F, f"max_pool{spatial}d")
    unpool = getattr(F, f"max_unpool{spatial}d")
    out, idx = pool(x, 2, return_indices=True)
    g = rng.standard_normal(unpool(out, idx, 2).shape)
    want = weighted_numeric_grad(lambda v: unpool(v, idx, 2), out.copy(), g)
    got = getattr(P, f"max_unpool{spatial}d_backward")(g, idx)
    np.testing.assert_allclose(got, want, atol=1e-7)


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3),
    ceil=st.booleans(), f32=st.booleans(), seed=st.integers(0, 2**16),
)
def test_max_at_least_avg_at_least_min(h, w, k, s, ceil, f32, seed):
    k = min(k, h, w)
    x = np.random.default_rng(seed).standard_normal((2, 2, h, w)).astype(np.float32 if f32 else np.float64)
    mx = F.max_pool2d(x, k, s, ceil_mode=ceil)
    av = F.avg_pool2d(x, k, s, ceil_mode=ceil, count_include_pad=False)
    mn = F.min_pool2d(x, k, s, ceil_mode=ceil)
    tol = 1e-5 if f32 else 1e-12
    assert mx.shape == av.shape == mn.shape
    assert np.all(mx >= av - tol) and np.all(av >= mn - tol)
    np.testing.assert_array_equal(mn, -F.max_pool2d(-x, k, s, ceil_mode=ceil))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), out=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_adaptive_pool_of_a_constant_is_the_constant(n, out, seed):
    c = np.random.default_rng(seed).standard_normal()
    np.testing.assert_allclose(F.adaptive_avg_pool1d(np.full((1, 2, n), c), out), c, rtol=1e-12)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("call,exc,words", [
    (lambda x: F.max_pool2d(x, 0), ValueError, "kernel_size"),
    (lambda x: F.max_pool2d(x, (2, 2, 2)), ValueError, "kernel_size"),
    (lambda x: F.max_pool2d(x, 2.5), TypeError, "kernel_size"),
    (lambda x: F.max_pool2d(x, 2, stride=0), ValueError, "stride"),
    (lambda x: F.max_pool2d(x, 2, padding=-1), ValueError, "padding"),
    (lambda x: F.max_pool2d(x, 3, padding=2), ValueError, "padding"),
    (lambda x: F.avg_pool2d(x, 3, padding=2), ValueError, "padding"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), ValueError, "dilation"),
    (lambda x: F.max_pool2d(x, 20), ValueError, "too small"),
    (lambda x: F.max_pool2d(x[0, 0], 2), ValueError, "(N, C, H, W)"),
    (lambda x: F.max_pool1d(x, 2), ValueError, "(N, C, L)"),
    (lambda x: F.max_pool2d(x.astype(np.int64), 2), TypeError, "int64"),
    (lambda x: F.max_pool2d(x, 2, ceil_mode="yes"), TypeError, "ceil_mode"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), ValueError, "divisor_override"),
    (lambda x: F.adaptive_avg_pool2d(x, (-1, 3)), ValueError, "output_size"),
    (lambda x: F.max_pool2d(np.zeros((2, 0, 4, 4)), 2), ValueError, "non-zero"),
    (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=(12, 9)),
     ValueError, "output_size"),
    (lambda x: F.max_unpool2d(F.max_pool2d(x, 2), np.zeros((1, 1, 4, 4)), 2), TypeError, "indices"),
    (lambda x: F.max_unpool2d(F.max_pool2d(x, 2), np.full((1, 1, 4, 4), 99), 2), ValueError,
     "indices"),
    (lambda x: P.max_pool2d_backward(np.ones((1, 1, 4, 4)), np.zeros((1, 1, 4, 4), np.int64),
                                     (1, 2, 9, 9)), ValueError, "input_shape"),
    (lambda x: P.avg_pool2d_backward(np.ones((1, 1, 3, 3)), (1, 1, 9, 9), 2), ValueError,
     "grad_output"),
])
def test_errors_name_the_parameter(call, exc, words):
    x = np.zeros((1, 1, 9, 9))
    with pytest.raises(exc, match=None) as info:
        call(x)
    assert words in str(info.value), str(info.value)


# --- torch as the oracle (skipped where torch is absent) -----------------------------------------


def _torch_cases(rng, spatial, n):
    for _ in range(n):
        dims = tuple(int(v) for v in rng.integers(3, 12, spatial))
        k = tuple(int(v) for v in rng.integers(1, 4, spatial))
        s = tuple(int(v) for v in rng.integers(1, 4, spatial))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        d = tuple(int(v) for v in rng.integers(1, 3, spatial))
        yield (2, 3) + dims, k, s, p, d, bool(rng.integers(0, 2))


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_torch(spatial, dtype):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(8 + spatial)
    ran = 0
    for shape, k, s, p, d, c in _torch_cases(rng, spatial, 40):
        x = rng.standard_normal(shape).astype(dtype)
        tx = torch.from_numpy(x).requires_grad_()
        try:
            tout, tidx = getattr(tf, f"max_pool{spatial}d")(tx, k, s, p, d, c, return_indices=True)
        except RuntimeError:
            with pytest.raises(ValueError):
                getattr(F, f"max_pool{spatial}d")(x, k, s, p, d, c)
            continue
        ran += 1
        out, idx = getattr(F, f"max_pool{spatial}d")(x, k, s, p, d, c, return_indices=True)
        np.testing.assert_array_equal(out, tout.detach().numpy())
        np.testing.assert_array_equal(idx, tidx.numpy())
        g = rng.standard_normal(out.shape).astype(dtype)
        tout.backward(torch.from_numpy(g))
        np.testing.assert_allclose(getattr(P, f"max_pool{spatial}d_backward")(g, idx, shape),
                                   tx.grad.numpy(), rtol=1e-5, atol=1e-5)
        try:
            tup = getattr(tf, f"max_unpool{spatial}d")(tout.detach(), tidx, k, s, p)
        except RuntimeError:  # an index beyond the default unpooled size: an error in both
            with pytest.raises(ValueError, match="indices"):
                getattr(F, f"max_unpool{spatial}d")(out, idx, k, s, p)
        else:
            up = getattr(F, f"max_unpool{spatial}d")(out, idx, k, s, p)
            np.testing.assert_array_equal(up, tup.numpy())
        for inc in (True, False):
            tx.grad = None
            tavg = getattr(tf, f"avg_pool{spatial}d")(tx, k, s, p, c, inc)
            avg = getattr(F, f"avg_pool{spatial}d")(x, k, s, p, c, inc)
            np.testing.assert_allclose(avg, tavg.detach().numpy(), rtol=1e-5, atol=1e-6)
            gg = rng.standard_normal(avg.shape).astype(dtype)
            tavg.backward(torch.from_numpy(gg))
            np.testing.assert_allclose(getattr(P, f"avg_pool{spatial}d_backward")(
                gg, shape, k, s, p, c, inc), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
        size = tuple(int(v) for v in rng.integers(1, 8, spatial))
        tx.grad = None
        tad = getattr(tf, f"adaptive_avg_pool{spatial}d")(tx, size)
        ad = getattr(F, f"adaptive_avg_pool{spatial}d")(x, size)
        np.testing.assert_allclose(ad, tad.detach().numpy(), rtol=1e-5, atol=1e-6)
        ga = rng.standard_normal(ad.shape).astype(dtype)
        tad.backward(torch.from_numpy(ga))
        np.testing.assert_allclose(getattr(P, f"adaptive_avg_pool{spatial}d_backward")(ga, shape),
                                   tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert ran >= 10


def test_against_torch_divisor_override_and_large_kernel2():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(9).standard_normal((2, 4, 33, 70)).astype(np.float32)
    tx = torch.from_numpy(x)
    for c in (False, True):
        out, idx = F.max_pool2d(x, 2, ceil_mode=c, return_indices=True)
        tout, tidx = tf.max_pool2d(tx, 2, ceil_mode=c, return_indices=True)
        np.testing.assert_array_equal(out, tout.numpy())
        np.testing.assert_array_equal(idx, tidx.numpy())
        np.testing.assert_array_equal(F.max_pool2d(x, 2, ceil_mode=c), tout.numpy())
        np.testing.assert_allclose(F.avg_pool2d(x, 2, ceil_mode=c), tf.avg_pool2d(tx, 2, ceil_mode=c),
                                   rtol=1e-6)
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 2, 1, divisor_override=7),
                               tf.avg_pool2d(tx, 3, 2, 1, divisor_override=7).numpy(), rtol=1e-6)
