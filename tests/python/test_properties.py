"""Hypothesis properties: linearity, shift-equivariance, commutativity, the correlate identity.
Integer inputs make every property exact."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sigconv import signal

SETTINGS = settings(deadline=None, max_examples=40)
small_ints = st.integers(-20, 20)


def int_arrays(ndim):
    shapes = hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=6)
    return hnp.arrays(np.int64, shapes, elements=small_ints)


@st.composite
def pair_same_shape_and_kernel(draw, ndim=1):
    x = draw(int_arrays(ndim))
    y = draw(hnp.arrays(np.int64, x.shape, elements=small_ints))
    k = draw(int_arrays(ndim))
    return x, y, k


@SETTINGS
@given(pair_same_shape_and_kernel(), small_ints, small_ints, st.sampled_from(["full", "same"]),
       st.sampled_from(["direct", "fft", "auto"]))
def test_linearity(xyk, a, b, mode, method):
    x, y, k = xyk
    lhs = signal.convolve(a * x + b * y, k, mode, method)
    rhs = a * signal.convolve(x, k, mode, method) + b * signal.convolve(y, k, mode, method)
    np.testing.assert_array_equal(lhs, rhs)


@SETTINGS
@given(int_arrays(2), int_arrays(2), st.integers(0, 3), st.integers(0, 3))
def test_shift_equivariance(x, k, s0, s1):
    """Delaying the input by (s0, s1) samples delays the full output by the same."""
    shifted = np.pad(x, ((s0, 0), (s1, 0)))
    expected = np.pad(signal.convolve(x, k), ((s0, 0), (s1, 0)))
    np.testing.assert_array_equal(signal.convolve(shifted, k), expected)


@SETTINGS
@given(int_arrays(2), int_arrays(2), st.integers(-4, 4), st.integers(-4, 4))
def test_circular_shift_equivariance_of_wrap_boundary(x, k, s0, s1):
    rolled = signal.convolve2d(np.roll(x, (s0, s1), (0, 1)), k, "same", "wrap")
    np.testing.assert_array_equal(rolled, np.roll(signal.convolve2d(x, k, "same", "wrap"), (s0, s1), (0, 1)))


@SETTINGS
@given(int_arrays(3), int_arrays(3))
def test_full_convolution_commutes(x, k):
    np.testing.assert_array_equal(signal.convolve(x, k), signal.convolve(k, x))


@SETTINGS
@given(int_arrays(2), int_arrays(2), st.sampled_from(["full", "same", "valid"]))
def test_correlate_is_convolve_with_reversed_conjugate(x, y, mode):
    try:
        expected = signal.convolve(x + 1j * x[::-1], y[::-1, ::-1] - 2j * y[::-1, ::-1], mode)
    except ValueError:  # 'valid' with neither input containing the other
        return
    got = signal.correlate(x + 1j * x[::-1], y + 2j * y, mode)
    np.testing.assert_array_equal(got, expected)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=1, max_side=12),
                  elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=1, max_side=6),
                  elements=st.floats(-1e3, 1e3)))
def test_fft_agrees_with_direct(x, k):
    scale = max(np.abs(x).max() * np.abs(k).sum(), 1.0)
    np.testing.assert_allclose(signal.fftconvolve(x, k), signal.convolve(x, k, method="direct"),
                               atol=1e-10 * scale, rtol=0)
