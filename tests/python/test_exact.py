"""Exact sums (sigconv._exact): the exactly rounded mean, against rational arithmetic, the same
for any order or split into pieces, with numpy's answers for non-finite and empty input."""

from fractions import Fraction

import numpy as np
import pytest

from sigconv import _exact, signal


def rational_mean(x):
    return float(sum(map(Fraction, x.tolist())) / len(x))


@pytest.mark.parametrize("seed", range(4))
def test_mean_is_the_exactly_rounded_mean(seed):
    rng = np.random.default_rng(seed)
    n = 3000 + seed
    # magnitudes over 80 binades, where float sums lose digits
    x = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    assert _exact.mean(x) == rational_mean(x)
    assert _exact.mean(x.reshape(-1, 1)[::-1]) == rational_mean(x)  # order and layout


def test_pieces_add_up_to_the_whole():
    rng = np.random.default_rng(9)
    x = rng.standard_normal(200_001) * 10.0 ** rng.integers(-20, 20, 200_001)
    whole = _exact.mean(x, workers=2)
    for step in (1, 7, 65_536, 199_999):
        sums = [_exact.ExactSum.of(x[i:i + step]) for i in range(0, x.size, step)] if step > 1 \
            else [_exact.ExactSum.of(x[:1000]), _exact.ExactSum.of(x[1000:])]
        assert _exact.mean_of_sums(sums) == whole
    assert _exact.mean(x, workers=1) == whole


def test_cancellation_subnormals_and_overflow():
    assert _exact.mean(np.array([1e16, 1.0, -1e16])) == 1.0 / 3  # float sums give 0
    tiny = np.float64(5e-324)
    # 2^-1075 lies halfway between 0 and the smallest subnormal: rounds to even, 0
    assert _exact.mean(np.array([tiny, tiny, tiny, -tiny])) == 0.0
    assert _exact.mean(np.array([tiny] * 4)) == tiny
    assert _exact.mean(np.array([1.7e308, 1.7e308])) == 1.7e308  # the sum overflows float64


@pytest.mark.parametrize("x", [[1.0, np.inf], [1.0, -np.inf], [np.inf, -np.inf], [np.nan, 1.0],
                               [np.inf, np.nan]])
def test_non_finite_like_numpy(x):
    with np.errstate(invalid="ignore"):
        expected = np.mean(x)
    np.testing.assert_equal(_exact.mean(np.array(x)), expected)


def test_empty_is_nan_without_a_warning():
    with np.errstate(all="raise"):
        assert np.isnan(_exact.mean(np.array([])))


def test_wiener_default_noise_is_the_exact_mean_local_variance():
    rng = np.random.default_rng(2)
    im = rng.standard_normal((40, 50))
    l_mean = signal._wiener_mean(im, [3, 3], 1, "cpu")
    l_var = signal._wiener_mean(im**2, [3, 3], 1, "cpu") - l_mean**2
    noise = rational_mean(l_var.ravel())
    np.testing.assert_array_equal(signal.wiener(im), signal.wiener(im, noise=noise))
