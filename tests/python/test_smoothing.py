"""sigconv.signal's smoothing filters (medfilt, medfilt2d, wiener, savgol_filter) against
scipy.signal: dtypes, sizes, modes, edges, errors, golden values, inputs left unmodified."""

import warnings

import numpy as np
import pytest

ss = pytest.importorskip("scipy.signal")
from sigconv import signal as S  # noqa: E402


def close(got, ref, tol=1e-10):
    assert got.dtype == ref.dtype and got.shape == ref.shape, (got.dtype, ref.dtype)
    scale = max(1.0, float(np.nanmax(np.abs(ref))) if ref.size else 1.0)
    np.testing.assert_allclose(got, ref, atol=tol * scale, rtol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8", "int64"])
@pytest.mark.parametrize("shape,ks", [((50,), 3), ((50,), 7), ((50,), 11), ((12, 15), 3),
                                      ((12, 15), (5, 3)), ((12, 15), 7), ((4, 5, 6), 3)])
def test_medfilt_like_scipy(rng, dtype, shape, ks):
    x = (rng.standard_normal(shape) * 20).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ss.medfilt(x, ks)
        got = S.medfilt(x, ks)
    np.testing.assert_array_equal(got, ref)
    assert got.dtype == ref.dtype


@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8", "int16"])
@pytest.mark.parametrize("ks", [3, 5, 7, (3, 5), 9])
def test_medfilt2d_like_scipy(rng, dtype, ks):
    x = (rng.random((31, 40)) * 200).astype(dtype)
    ref, got = ss.medfilt2d(x, ks), S.medfilt2d(x, ks)
    np.testing.assert_array_equal(got, ref)
    assert got.dtype == ref.dtype


def test_medfilt_kernel_larger_than_input_warns_and_pads_with_zeros(rng):
    x = rng.standard_normal(4)
    with pytest.warns(UserWarning, match="zero-padded"):
        got = S.medfilt(x, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(got, ss.medfilt(x, 7))


def test_median_of_constant_is_the_constant():
    x = np.full((9, 10), 4.5, np.float32)
    np.testing.assert_array_equal(S.medfilt2d(x, 3)[1:-1, 1:-1], x[1:-1, 1:-1])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8"])
@pytest.mark.parametrize("shape,mysize", [((60,), None), ((60,), 5), ((20, 25), None),
                                          ((20, 25), (3, 5)), ((20, 25), 4), ((5, 6, 7), 3)])
def test_wiener_like_scipy(rng, dtype, shape, mysize):
    x = (rng.standard_normal(shape) * 10 + 50).astype(dtype)
    close(S.wiener(x, mysize), ss.wiener(x, mysize), 1e-9)
    close(S.wiener(x, mysize, noise=3.0), ss.wiener(x, mysize, noise=3.0), 1e-9)


@pytest.mark.parametrize("mode", ["interp", "mirror", "constant", "nearest", "wrap"])
@pytest.mark.parametrize("wl,po,deriv", [(5, 2, 0), (7, 3, 1), (11, 4, 2), (6, 2, 0), (9, 0, 0),
                                         (5, 4, 0), (5, 2, 3)])
def test_savgol_like_scipy(rng, mode, wl, po, deriv):
    x = rng.standard_normal(40).cumsum()
    close(S.savgol_filter(x, wl, po, deriv=deriv, delta=0.5, mode=mode, cval=1.5),
          ss.savgol_filter(x, wl, po, deriv=deriv, delta=0.5, mode=mode, cval=1.5), 1e-9)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_savgol_nd_axes_and_dtypes(rng, axis):
    x = rng.standard_normal((12, 13, 9))
    close(S.savgol_filter(x, 7, 2, axis=axis), ss.savgol_filter(x, 7, 2, axis=axis), 1e-9)
    x32 = x.astype(np.float32)
    close(S.savgol_filter(x32, 5, 3, axis=axis), ss.savgol_filter(x32, 5, 3, axis=axis), 1e-4)
    xi = (x * 10).astype(np.int32)
    close(S.savgol_filter(xi, 5, 1, axis=axis), ss.savgol_filter(xi, 5, 1, axis=axis), 1e-9)


def test_savgol_window_equal_to_length():
    x = np.arange(7.0) ** 2
    close(S.savgol_filter(x, 7, 2), ss.savgol_filter(x, 7, 2), 1e-9)


def test_golden_values():
    # scipy.signal.savgol_filter(np.array([2, 2, 5, 2, 1, 0, 1, 4, 9]), 5, 2)
    np.testing.assert_allclose(
        S.savgol_filter(np.array([2, 2, 5, 2, 1, 0, 1, 4, 9]), 5, 2),
        [1.65714286, 3.17142857, 3.54285714, 2.85714286, 0.65714286, 0.17142857, 1.0, 4.0, 9.0],
        atol=1e-7)
    # scipy.signal.medfilt([2, 6, 5, 4, 0, 3, 5, 7, 9, 2, 0, 1], kernel_size=5)
    np.testing.assert_array_equal(S.medfilt([2, 6, 5, 4, 0, 3, 5, 7, 9, 2, 0, 1], 5),
                                  [2, 4, 4, 4, 4, 4, 5, 5, 5, 2, 1, 0])


@pytest.mark.parametrize("call,exc,match", [
    (lambda: S.medfilt(np.ones(5), 4), ValueError, "odd"),
    (lambda: S.medfilt(np.ones(5), (3, 3)), ValueError, "kernel_size"),
    (lambda: S.medfilt(np.ones(5, np.complex128)), ValueError, "dtype"),
    (lambda: S.medfilt2d(np.ones((5, 5)), 2), ValueError, "odd"),
    (lambda: S.medfilt2d(np.ones(5)), ValueError, "2-D"),
    (lambda: S.wiener(np.ones((4, 4)), (3,)), ValueError, "mysize"),
    (lambda: S.wiener(np.ones((4, 4)), 0), ValueError, "mysize"),
    (lambda: S.wiener(np.ones(4) * 1j), TypeError, "dtype"),
    (lambda: S.savgol_filter(np.ones(10), 5, 5), ValueError, "polyorder"),
    (lambda: S.savgol_filter(np.ones(10), 0, 0), ValueError, "window_length"),
    (lambda: S.savgol_filter(np.ones(4), 5, 2), ValueError, "window_length"),
    (lambda: S.savgol_filter(np.ones(10), 5, 2, mode="reflect"), ValueError, "mode"),
    (lambda: S.savgol_filter(np.ones(10), 5, 2, axis=1), ValueError, "axis"),
    (lambda: S.savgol_filter(np.ones(10), 5, 2, deriv=-1), ValueError, "deriv"),
    (lambda: S.medfilt2d(np.ones((5, 5)), device="tpu"), ValueError, "device"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_inputs_are_not_modified(rng):
    x = rng.standard_normal((10, 12))
    keep = x.copy()
    S.medfilt(x, 3)
    S.medfilt2d(x, 5)
    S.wiener(x)
    S.savgol_filter(x, 5, 2)
    S.savgol_filter(x, 5, 2, mode="nearest")
    np.testing.assert_array_equal(x, keep)
