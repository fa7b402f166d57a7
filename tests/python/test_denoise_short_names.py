"""sigconv.denoise's short names: each equals its scipy equivalent (the oracle) and the sigconv engine
function it calls, on 1-D signals and 2-D images, float32 and float64; errors come from the engine."""

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal as ss

from sigconv import denoise
from sigconv import ndimage as sc_ndimage
from sigconv import signal as sc_signal

TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def signals(rng):
    return [rng.standard_normal(257), rng.standard_normal((40, 53)).astype(np.float32)]


def close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL[got.dtype] * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("size", [3, 5])
@pytest.mark.parametrize("mode", ["reflect", "nearest"])
def test_moving_average(rng, size, mode):
    for x in signals(rng):
        got = denoise.moving_average(x, size, mode=mode)
        assert got.dtype == x.dtype
        close(got, ndi.uniform_filter(x, size, mode=mode))
        np.testing.assert_array_equal(got, sc_ndimage.uniform_filter(x, size, mode=mode))


def test_moving_average_of_integers_is_a_float_mean():
    got = denoise.moving_average(np.array([0, 0, 3, 0, 0]), 3)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [0, 1, 1, 1, 0])


@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_gaussian(rng, sigma):
    for x in signals(rng):
        got = denoise.gaussian(x, sigma)
        assert got.dtype == x.dtype
        close(got, ndi.gaussian_filter(x, sigma))
        np.testing.assert_array_equal(got, sc_ndimage.gaussian_filter(x, sigma))
    x = rng.standard_normal((30, 30))
    close(denoise.gaussian(x, (1.0, 2.0), mode="wrap", truncate=2.0),
          ndi.gaussian_filter(x, (1.0, 2.0), mode="wrap", truncate=2.0))


@pytest.mark.parametrize("size", [3, 5])
def test_median(rng, size):
    for x in signals(rng):
        got = denoise.median(x, size)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, ndi.median_filter(x, size=size))
    noisy = np.ones((20, 20))
    noisy[5, 7] = 100.0  # an impulse vanishes
    np.testing.assert_array_equal(denoise.median(noisy, 3), np.ones((20, 20)))


@pytest.mark.parametrize("size,noise", [(None, None), (5, None), (3, 0.1)])
def test_wiener(rng, size, noise):
    for x in (rng.standard_normal(300), rng.standard_normal((30, 40))):
        close(denoise.wiener(x, size, noise), ss.wiener(x, size, noise))
        np.testing.assert_array_equal(denoise.wiener(x, size, noise),
                                      sc_signal.wiener(x, size, noise))


@pytest.mark.parametrize("window,order,deriv", [(5, 2, 0), (11, 3, 0), (7, 2, 1)])
def test_savgol(rng, window, order, deriv):
    x = rng.standard_normal(200)
    close(denoise.savgol(x, window, order, deriv=deriv), ss.savgol_filter(x, window, order, deriv=deriv))
    img = rng.standard_normal((20, 30))
    close(denoise.savgol(img, window, order, axis=0, mode="nearest"),
          ss.savgol_filter(img, window, order, axis=0, mode="nearest"))


def test_smoothing_reduces_noise(rng):
    t = np.linspace(0, 1, 2000)
    clean = np.sin(2 * np.pi * 3 * t)
    noisy = clean + 0.3 * rng.standard_normal(t.size)
    before = np.mean((noisy - clean) ** 2)
    for out in (denoise.moving_average(noisy, 21), denoise.gaussian(noisy, 5.0),
                denoise.median(noisy, 21), denoise.wiener(noisy, 21), denoise.savgol(noisy, 51, 3)):
        assert np.mean((out - clean) ** 2) < before / 4


def test_inputs_unmodified(rng):
    x = rng.standard_normal((16, 16))
    before = x.copy()
    for fn in (lambda: denoise.moving_average(x, 3), lambda: denoise.gaussian(x, 1.0),
               lambda: denoise.median(x, 3), lambda: denoise.wiener(x),
               lambda: denoise.savgol(x, 5, 2)):
        fn()
        np.testing.assert_array_equal(x, before)


def test_errors_come_from_the_engine():
    x = np.ones(10)
    with pytest.raises(ValueError, match="mode"):
        denoise.moving_average(x, 3, mode="fill")
    with pytest.raises(ValueError):
        denoise.gaussian(x, 1.0, mode="bogus")
    with pytest.raises(ValueError):
        denoise.median(x, 0)
    with pytest.raises(ValueError):
        denoise.savgol(x, 3, 5)  # polyorder must be less than window_length
    with pytest.raises(ValueError, match="device"):
        denoise.wiener(x, device="tpu")
