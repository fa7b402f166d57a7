"""NaN and inf: the direct method spreads them only to outputs whose window touches them, as scipy's
direct method; the FFT spreads them everywhere and convolve warns, as scipy."""

import warnings

import numpy as np
import pytest
from conftest import MODES, assert_like_scipy, scipy_signal

from sigconv import signal


def _with(value, shape, *where):
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    for index in where:
        x[index] = value
    return x


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_direct_method_keeps_nan_and_inf_local(fn, mode, value):
    cases = [
        (_with(value, (9,), 3), np.array([1.0, -2.0, 0.5])),
        (_with(value, (6, 7), (2, 3)), np.ones((3, 2))),
        (_with(value, (3, 4, 5), (1, 1, 2)), np.ones((2, 2, 2))),
        (np.arange(1.0, 8.0)[None], np.array([[0.5, value, 1.0]])),  # in the kernel
    ]
    for x, k in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the direct method never warns
            got = getattr(signal, fn)(x, k, mode, "direct")
        ref = getattr(scipy_signal, fn)(x, k, mode, "direct")
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        assert_like_scipy(got, ref, 100.0)


@pytest.mark.parametrize("mode", ["full", "same"])
def test_nonfinite_kernel_meets_the_zero_padding_as_in_scipys_nd_path(mode):
    """A non-finite kernel tap times the zero padding is NaN. scipy's N-d direct path computes those
    products (so the edges turn NaN) but its 1-D path, numpy.convolve, skips them; sigconv computes
    every dimensionality as scipy's N-d path does."""
    x, k = np.arange(1.0, 8.0), np.array([0.5, np.inf, 1.0])
    got = signal.convolve(x, k, mode, "direct")
    ref_nd = scipy_signal.convolve(x[None], k[None], mode, "direct")[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref_nd))
    assert_like_scipy(got, ref_nd, 100.0)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_convolve2d_keeps_nan_and_inf_local(fn, boundary, value):
    x = _with(value, (6, 5), (0, 1), (4, 4))
    k = np.array([[1.0, 2.0, -1.0], [0.5, 1.0, 3.0]])
    for mode in MODES:
        got = getattr(signal, fn)(x, k, mode, boundary)
        ref = getattr(scipy_signal, fn)(x, k, mode, boundary)
        assert_like_scipy(got, ref, 100.0)


def test_nan_fillvalue_reaches_only_the_edges():
    x, k = np.ones((4, 4)), np.ones((3, 3))
    got = signal.convolve2d(x, k, "same", "fill", np.nan)
    assert_like_scipy(got, scipy_signal.convolve2d(x, k, "same", "fill", np.nan), 10.0)
    assert not np.isnan(got[1:-1, 1:-1]).any()


@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_fft_method_warns_when_the_first_output_is_not_finite(fn):
    x, k = _with(np.nan, (8,), 0), np.array([1.0, 2.0, 1.0])
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        getattr(signal, fn)(x, k, method="fft")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(signal, fn)(x, k, method="direct")


@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_fft_method_spreads_nan_and_warns_like_scipy(fn):
    x, k = _with(np.nan, (8,), 2), np.array([1.0, 2.0, 1.0])
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        got = getattr(signal, fn)(x, k, method="fft")
    with pytest.warns(RuntimeWarning):
        ref = getattr(scipy_signal, fn)(x, k, method="fft")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))


def test_fftconvolve_propagates_without_warning():
    x = _with(np.inf, (6,), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = signal.fftconvolve(x, np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's own 'invalid value' warning inside scipy
        ref = scipy_signal.fftconvolve(x, np.ones(2))
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))


def test_complex_nan_stays_local():
    x = _with(np.nan, (7,), 3).astype(complex) * (1 + 1j)
    k = np.array([1 + 2j, -1j])
    got = signal.convolve(x, k, method="direct")
    ref = scipy_signal.convolve(x, k, method="direct")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
