"""sigconv.nn.functional.interpolate: exact golden cases (from torch), torch as the oracle where
installed, finite-difference gradients of interpolate_backward in float64, errors."""

import numpy as np
import pytest
from _nncheck import weighted_numeric_grad

import sigconv.nn._pooling as P
from sigconv.nn import functional as F

X3 = np.array([[3., 1, 4], [9, 2, 6], [5, 8, 9]])[None, None]
X10 = np.array([[[2., 7, 1, 8, 2, 8, 1, 8, 2, 8]]])


def test_bilinear_golden():
    # torch.nn.functional.interpolate(torch.tensor(X3), size=(5, 4), mode='bilinear')
    np.testing.assert_allclose(F.interpolate(X3, size=(5, 4), mode="bilinear")[0, 0], [
        [3.0, 1.75, 2.125, 4.0], [5.4, 2.9, 2.675, 4.8], [9.0, 4.625, 3.5, 6.0],
        [6.6, 5.975, 6.425, 7.8], [5.0, 6.875, 8.375, 9.0]], rtol=1e-14)
    # ... align_corners=True
    np.testing.assert_allclose(
        F.interpolate(X3, size=(5, 4), mode="bilinear", align_corners=True)[0, 0], [
            [3, 5 / 3, 2, 4], [6, 3, 8 / 3, 5], [9, 13 / 3, 10 / 3, 6], [7, 17 / 3, 35 / 6, 7.5],
            [5, 7, 25 / 3, 9]], rtol=1e-14)


def test_linear_and_nearest_golden():
    # torch.nn.functional.interpolate(torch.tensor(X10), size=7, mode='linear')
    np.testing.assert_allclose(F.interpolate(X10, size=7, mode="linear")[0, 0], [
        3.0714285714, 3.1428571429, 7.5714285714, 5.0, 1.5, 5.8571428571, 6.7142857143],
        rtol=1e-10)
    # torch.nn.functional.interpolate(torch.tensor(X10), scale_factor=0.7)  (nearest)
    np.testing.assert_array_equal(F.interpolate(X10, scale_factor=0.7), [[[2, 7, 1, 2, 8, 8, 2]]])
    # ... mode='nearest-exact', size=7
    np.testing.assert_array_equal(F.interpolate(X10, size=7, mode="nearest-exact"),
                                  [[[2, 1, 8, 8, 1, 8, 8]]])
    # torch.nn.functional.interpolate(torch.tensor(X3), scale_factor=1.5)
    np.testing.assert_array_equal(F.interpolate(X3, scale_factor=1.5)[0, 0],
                                  [[3, 3, 1, 4], [3, 3, 1, 4], [9, 9, 2, 6], [5, 5, 8, 9]])


def test_bed_of_nails_inserts_zeros():
    out = F.interpolate(X3, scale_factor=(2, 3), mode="bed_of_nails")
    assert out.shape == (1, 1, 6, 9)
    np.testing.assert_array_equal(out[0, 0, ::2, ::3], X3[0, 0])
    assert np.count_nonzero(out) == np.count_nonzero(X3)
    np.testing.assert_array_equal(F.interpolate(X10, size=20, mode="bed_of_nails")[0, 0, 1::2], 0)
    g = np.random.default_rng(0).standard_normal(out.shape)
    np.testing.assert_array_equal(
        P.interpolate_backward(g, X3.shape, scale_factor=(2, 3), mode="bed_of_nails"), g[..., ::2, ::3])


def test_area_is_adaptive_average_pooling():
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 7))
    np.testing.assert_array_equal(F.interpolate(x, size=(4, 3), mode="area"),
                                  F.adaptive_avg_pool2d(x, (4, 3)))


def test_float32_stays_float32_and_inputs_unmodified():
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 6)).astype(np.float32)
    keep = x.copy()
    for mode in ("nearest", "bilinear", "bed_of_nails", "nearest-exact", "area"):
        assert F.interpolate(x, scale_factor=2, mode=mode).dtype == np.float32
    np.testing.assert_array_equal(x, keep)


def test_workers_agree():
    x = np.random.default_rng(3).standard_normal((4, 8, 40, 30)).astype(np.float32)
    for mode in ("nearest", "bilinear"):
        np.testing.assert_array_equal(F.interpolate(x, scale_factor=2, mode=mode),
                                      F.interpolate(x, scale_factor=2, mode=mode, workers=1))


@pytest.mark.parametrize("shape,kw", [
    ((1, 2, 3, 4), dict(size=(5, 7), mode="bilinear")),
    ((1, 2, 4, 3), dict(scale_factor=1.7, mode="bilinear", align_corners=True)),
    ((1, 2, 5, 5), dict(size=(3, 2), mode="bilinear")),
    ((2, 2, 6), dict(size=11, mode="linear")),
    ((2, 2, 6), dict(scale_factor=0.6, mode="linear", align_corners=True)),
    ((1, 2, 3, 4), dict(size=(5, 7), mode="nearest")),
    ((1, 2, 5, 4), dict(scale_factor=0.7, mode="nearest-exact")),
    ((2, 1, 5), dict(scale_factor=3, mode="bed_of_nails")),
    ((1, 2, 6, 5), dict(size=(4, 3), mode="area")),
    ((2, 1, 7), dict(size=3, mode="area")),
])
def test_interpolate_backward_finite_differences(shape, kw):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(F.interpolate(x, **kw).shape)
    want = weighted_numeric_grad(lambda v: F.interpolate(v, **kw), x.copy(), g)
    np.testing.assert_allclose(P.interpolate_backward(g, x.shape, **kw), want, atol=1e-7)


@pytest.mark.parametrize("call,exc,words", [
    (lambda x: F.interpolate(x, size=4, mode="bicubic"), ValueError, "'bed_of_nails'"),
    (lambda x: F.interpolate(x, size=4, mode="linear"), ValueError, "linear"),
    (lambda x: F.interpolate(x[0], size=4, mode="bilinear"), ValueError, "bilinear"),
    (lambda x: F.interpolate(x[0, 0], size=4), ValueError, "(N, C, L)"),
    (lambda x: F.interpolate(x, size=4, align_corners=True), ValueError, "align_corners"),
    (lambda x: F.interpolate(x, size=4, scale_factor=2), ValueError, "scale_factor"),
    (lambda x: F.interpolate(x), ValueError, "size"),
    (lambda x: F.interpolate(x, size=(4, 4, 4)), ValueError, "size"),
    (lambda x: F.interpolate(x, size=0), ValueError, "greater than 0"),
    (lambda x: F.interpolate(x, scale_factor=0.1), ValueError, "greater than 0"),
    (lambda x: F.interpolate(x, scale_factor="2"), TypeError, "scale_factor"),
    (lambda x: F.interpolate(x, scale_factor=1.5, mode="bed_of_nails"), ValueError, "multiple"),
    (lambda x: F.interpolate(x.astype(np.int32), size=4), TypeError, "int32"),
    (lambda x: P.interpolate_backward(np.ones((1, 1, 4, 4)), (1, 1, 3, 3), size=5), ValueError,
     "grad_output"),
])
def test_errors_name_the_parameter(call, exc, words):
    x = np.zeros((1, 1, 3, 3))
    with pytest.raises(exc) as info:
        call(x)
    assert words in str(info.value), str(info.value)


CASES = [
    dict(size=(7, 5), mode="bilinear"), dict(size=(7, 5), mode="bilinear", align_corners=True),
    dict(scale_factor=2, mode="bilinear"), dict(scale_factor=(0.6, 1.3), mode="bilinear"),
    dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
    dict(size=(7, 5)), dict(scale_factor=2), dict(scale_factor=(0.6, 1.3)), dict(size=(13, 3)),
    dict(scale_factor=1.7, mode="nearest-exact"), dict(size=(4, 3), mode="area"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", CASES)
def test_against_torch_2d(kw, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((2, 3, 9, 11)).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_()
    tout = torch.nn.functional.interpolate(tx, **kw)
    out = F.interpolate(x, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(6).standard_normal(out.shape).astype(dtype)
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(P.interpolate_backward(g, x.shape, **kw), tx.grad.numpy(),
                               rtol=tol, atol=10 * tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [dict(size=17, mode="linear"), dict(scale_factor=0.45, mode="linear"),
                                dict(size=17, mode="linear", align_corners=True),
                                dict(scale_factor=2.5), dict(size=7), dict(size=23, mode="nearest-exact")])
def test_against_torch_1d(kw, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3, 10)).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_()
    tout = torch.nn.functional.interpolate(tx, **kw)
    out = F.interpolate(x, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(8).standard_normal(out.shape).astype(dtype)
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(P.interpolate_backward(g, x.shape, **kw), tx.grad.numpy(),
                               rtol=tol, atol=10 * tol)
