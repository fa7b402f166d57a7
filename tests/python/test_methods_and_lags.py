"""choose_conv_method and correlation_lags."""

import numpy as np
import pytest
from conftest import MODES, scipy_signal

from sigconv import signal


@pytest.mark.parametrize("mode", MODES)
def test_choose_conv_method_answers_direct_or_fft(mode, rng):
    for s1, s2, dtype in [
        ((10,), (3,), "float64"),
        ((500,), (400,), "float32"),
        ((30, 30), (9, 9), "complex128"),
        ((5, 4, 3), (2, 2, 2), "int16"),
    ]:
        x, k = rng.standard_normal(s1).astype(dtype), rng.standard_normal(s2).astype(dtype)
        method = signal.choose_conv_method(x, k, mode)
        assert method in ("direct", "fft")
        # whatever it picks, convolve with it matches scipy
        np.testing.assert_allclose(
            signal.convolve(x, k, mode, method), scipy_signal.convolve(x, k, mode), atol=1e-3 * np.abs(x).sum()
        )


def test_choose_conv_method_keeps_exactness():
    assert signal.choose_conv_method(np.ones(3), np.ones(2)) == "direct"  # tiny: no FFT
    assert signal.choose_conv_method(np.ones(4000, bool), np.ones(3000, bool)) == "direct"
    big = np.full(4000, 2**40, np.int64)
    assert signal.choose_conv_method(big, big) == "direct"  # the FFT could not be exact
    assert signal.choose_conv_method(2.0, 3.0) == "direct"


def test_choose_conv_method_measure(rng):
    x, k = rng.standard_normal(64), rng.standard_normal(8)
    method, times = signal.choose_conv_method(x, k, "same", measure=True)
    assert set(times) == {"direct", "fft"}
    assert all(isinstance(t, float) and t > 0 for t in times.values())
    assert method == min(times, key=times.get)


@pytest.mark.parametrize("mode", MODES)
def test_correlation_lags_match_scipy(mode):
    for n1 in range(0, 7):
        for n2 in range(0, 7):
            np.testing.assert_array_equal(
                signal.correlation_lags(n1, n2, mode),
                scipy_signal.correlation_lags(n1, n2, mode),
                err_msg=f"correlation_lags({n1}, {n2}, {mode!r})",
            )
    assert signal.correlation_lags(np.int64(5), 3).dtype == np.int64


@pytest.mark.parametrize("mode", MODES)
def test_correlation_lags_label_correlate(mode, rng):
    """The peak of correlate(x, shifted x) sits at the shift."""
    x = rng.standard_normal(40)
    y = x[7:31]  # y[m] = x[m + 7]: the best match is at lag 7
    lags = signal.correlation_lags(len(x), len(y), mode)
    corr = signal.correlate(x, y, mode)
    assert lags.shape == corr.shape
    assert lags[np.argmax(corr)] == 7
