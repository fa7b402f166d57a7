"""convolve and correlate against scipy.signal: every dtype, mode and method, 1-D to 3-D."""

import numpy as np
import pytest
from conftest import DTYPES, MODES, assert_like_scipy, output_scale, random_array, scipy_signal

from sigconv import signal

# (in1 shape, in2 shape): odd and even sizes, kernels larger than the input, length-1 axes, and pairs
# where neither contains the other (scipy's 'valid' error).
SHAPES = [
    ((7,), (3,)),
    ((6,), (4,)),
    ((3,), (8,)),
    ((1,), (1,)),
    ((1,), (4,)),
    ((5, 6), (3, 2)),
    ((3, 4), (4, 5)),
    ((1, 6), (1, 3)),
    ((4, 1), (2, 1)),
    ((3, 5), (5, 3)),
    ((3, 4, 2), (2, 3, 2)),
    ((2, 2, 3), (3, 3, 1)),
]


def _scipy_reference(fn, in1, in2, mode, method):
    """scipy's answer, or the exception it raises.

    For bool, scipy's N-d direct method refuses the dtype ('Unsupported type') and its FFT method casts
    the unrounded float result to bool (FFT noise of 1e-17 becomes True): sigconv gives the exact
    answer, which is scipy's direct result on int64 copies, cast to bool. scipy's N-d direct method
    refuses float16 too (and its 1-D one when in2 is the longer): its FFT method is the oracle there."""
    if in1.dtype == np.bool_:
        in1, in2, method, cast = in1.astype(np.int64), in2.astype(np.int64), "direct", np.bool_
    else:
        cast = None
        if in1.dtype == np.float16:
            method = "fft"
    try:
        out = getattr(scipy_signal, fn)(in1, in2, mode, method)
    except ValueError as e:
        return e
    return out if cast is None else out.astype(cast)


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_matches_scipy(fn, dtype, mode, method, rng):
    for s1, s2 in SHAPES:
        in1, in2 = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        ref = _scipy_reference(fn, in1, in2, mode, method)
        if isinstance(ref, Exception):
            with pytest.raises(ValueError, match="valid"):
                getattr(signal, fn)(in1, in2, mode, method)
            continue
        got = getattr(signal, fn)(in1, in2, mode, method)
        fft = method != "direct" or dtype in ("bool", "float16")
        assert_like_scipy(got, ref, output_scale(in1, in2), fft=fft)


MIXED = [
    ("int8", "float32"),
    ("int16", "float32"),
    ("int32", "float32"),
    ("uint64", "int64"),
    ("bool", "int8"),
    ("uint8", "complex64"),
    ("float32", "float64"),
    ("float32", "complex128"),
    ("int64", "complex64"),
]


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("dt1,dt2", MIXED)
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_mixed_dtypes_follow_numpy_promotion(fn, dt1, dt2, method, rng):
    for s1, s2 in [((6,), (3,)), ((4, 5), (2, 3))]:
        in1, in2 = random_array(rng, s1, dt1), random_array(rng, s2, dt2)
        for a, b in [(in1, in2), (in2, in1)]:
            ref = getattr(scipy_signal, fn)(a, b, "full", method)
            got = getattr(signal, fn)(a, b, "full", method)
            # scipy's FFT transforms a float32 input in float32 even when the result is float64
            floats = [np.dtype(d) for d in (dt1, dt2) if np.dtype(d).kind in "fc"]
            tol_dtype = min(floats, key=lambda d: np.finfo(d).bits) if floats else None
            assert_like_scipy(got, ref, output_scale(a, b), fft=method == "fft", tol_dtype=tol_dtype)


@pytest.mark.parametrize("dtype", ["int8", "float32", "float64", "complex64", "complex128", "bool"])
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_zero_dimensional_inputs_give_the_product(fn, dtype, rng):
    a, b = random_array(rng, (), dtype), random_array(rng, (), dtype)
    assert_like_scipy(getattr(signal, fn)(a, b), getattr(scipy_signal, fn)(a, b), 10.0)


@pytest.mark.parametrize("method", ["direct", "auto"])
def test_python_scalars_and_lists(method):
    assert_like_scipy(
        signal.convolve([1, 2, 3], [1.5, -1], method=method),
        scipy_signal.convolve([1, 2, 3], [1.5, -1], method=method),
    )
    assert_like_scipy(signal.convolve(2.0, 3), scipy_signal.convolve(2.0, 3))


def test_float16_is_computed_in_float32_and_returned_as_float16(rng):
    a, b = random_array(rng, (20,), "float16"), random_array(rng, (5,), "float16")
    got = signal.convolve(a, b, method="direct")
    assert got.dtype == np.float16
    exact = np.convolve(a.astype(np.float64), b.astype(np.float64))
    # one rounding to float16 at the end (plus float32 accumulation)
    np.testing.assert_allclose(got, exact, rtol=2e-3, atol=2e-3 * output_scale(a, b))


def test_longdouble_keeps_its_dtype(rng):
    a, b = random_array(rng, (6,), np.longdouble), random_array(rng, (3,), np.longdouble)
    ref = scipy_signal.convolve(a, b)
    got = signal.convolve(a, b)
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got.astype(float), ref.astype(float), atol=1e-12 * output_scale(a, b))


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_correlate_is_convolve_with_reversed_conjugate(mode, method, rng):
    for s1, s2 in [((7,), (3,)), ((5, 4), (2, 3)), ((2, 3, 4), (2, 2, 2))]:
        x = random_array(rng, s1, "complex128")
        y = random_array(rng, s2, "complex128")
        flip = (slice(None, None, -1),) * y.ndim
        np.testing.assert_allclose(
            signal.correlate(x, y, mode, method),
            signal.convolve(x, y[flip].conj(), mode, method),
            atol=1e-12 * output_scale(x, y),
        )


@pytest.mark.parametrize("mode", MODES)
def test_valid_mode_swaps_when_in2_is_larger(mode, rng):
    small, big = random_array(rng, (3, 2), "int64"), random_array(rng, (5, 4), "int64")
    for fn in ("convolve", "correlate"):
        np.testing.assert_array_equal(
            getattr(signal, fn)(small, big, mode), getattr(scipy_signal, fn)(small, big, mode)
        )


@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_empty_inputs_answer_as_scipy(fn):
    """scipy gives an empty result for an empty in1 in 'same' mode and raises ValueError otherwise
    (its FFT method raises IndexError: sigconv answers the same for every method)."""
    empty, ones = np.zeros((0, 3)), np.ones((2, 2))
    for method in ("direct", "fft", "auto"):
        got = getattr(signal, fn)(empty, ones, "same", method)
        assert got.shape == (0, 3) and got.dtype == np.float64
        assert signal.convolve(np.zeros(0, np.int8), np.ones(3, np.int8), "same").dtype == np.int8
        for a, b, mode in [(empty, ones, "full"), (ones, empty, "same"), (np.zeros(0), np.ones(3), "full")]:
            with pytest.raises(ValueError):
                scipy_signal.convolve(a, b, mode, "direct")
            with pytest.raises(ValueError):
                getattr(signal, fn)(a, b, mode, method)
        with pytest.raises(ValueError, match="valid"):
            getattr(signal, fn)(empty, ones, "valid", method)


def test_large_int64_values_are_exact():
    # computed in int64 with wrapping: exact where float64 would round
    x = np.array([2**62 + 1, 3, -(2**61) + 7], np.int64)
    k = np.array([1, -1], np.int64)
    np.testing.assert_array_equal(signal.convolve(x, k), scipy_signal.convolve(x, k, method="direct"))
    assert signal.choose_conv_method(x, k) == "direct"
    np.testing.assert_array_equal(signal.convolve(x, k, method="auto"), signal.convolve(x, k, method="direct"))
