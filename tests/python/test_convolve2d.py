"""convolve2d and correlate2d against scipy.signal: every mode, boundary, fill value and dtype."""

import numpy as np
import pytest
from conftest import BOUNDARIES, DTYPES, MODES, assert_like_scipy, output_scale, random_array, scipy_signal

from sigconv import signal

SHAPES = [
    ((5, 6), (3, 3)),
    ((6, 5), (2, 4)),
    ((3, 4), (5, 6)),  # kernel larger than the input
    ((1, 7), (1, 3)),
    ((4, 1), (2, 1)),
    ((1, 1), (1, 1)),
    ((4, 5), (5, 4)),  # neither contains the other: 'valid' fails
]


def _scipy_reference(fn, in1, in2, mode, boundary, fillvalue):
    """scipy's answer, or the exception it raises. scipy's convolve2d refuses bool and float16
    ('not available for this type'); sigconv computes them: the oracle is scipy on int64 (bool, then
    cast) and float32 (float16, then cast) copies."""
    cast = in1.dtype if in1.dtype in (np.bool_, np.float16) else None
    if cast is not None:
        wide = np.int64 if cast == np.bool_ else np.float32
        in1, in2 = in1.astype(wide), in2.astype(wide)
    try:
        out = getattr(scipy_signal, fn)(in1, in2, mode, boundary, fillvalue)
    except ValueError as e:
        return e
    return out if cast is None else out.astype(cast)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_matches_scipy(fn, dtype, mode, boundary, rng):
    fillvalue = 0 if boundary != "fill" else (1 if dtype == "bool" else 3)
    for s1, s2 in SHAPES:
        in1, in2 = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        for a, b in [(in1, in2), (in2, in1)]:
            ref = _scipy_reference(fn, a, b, mode, boundary, fillvalue)
            if isinstance(ref, Exception):
                with pytest.raises(ValueError, match="valid"):
                    getattr(signal, fn)(a, b, mode, boundary, fillvalue)
                continue
            got = getattr(signal, fn)(a, b, mode, boundary, fillvalue)
            assert_like_scipy(got, ref, output_scale(a, b, fillvalue))


@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_boundary_aliases(fn, rng):
    x, k = random_array(rng, (5, 4), "float64"), random_array(rng, (2, 3), "float64")
    for alias, name in [("pad", "fill"), ("circular", "wrap"), ("symmetric", "symm")]:
        np.testing.assert_array_equal(
            getattr(signal, fn)(x, k, "same", alias, 2.0), getattr(signal, fn)(x, k, "same", name, 2.0)
        )


@pytest.mark.parametrize(
    "dtype,fillvalue",
    [
        ("float64", -2.5),
        ("float64", np.array([4.0])),  # a one-element array is a scalar to scipy
        ("float64", None),  # None becomes NaN in a float result, as in scipy
        ("float32", 1.25),
        ("int32", 2.7),  # truncated to 2, as scipy casts it
        ("uint8", 7),
        ("complex128", 1 - 2j),
        ("complex64", 3j),
    ],
)
@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_fillvalues(fn, dtype, fillvalue, rng):
    x, k = random_array(rng, (4, 5), dtype), random_array(rng, (3, 2), dtype)
    for mode in MODES:
        ref = getattr(scipy_signal, fn)(x, k, mode, "fill", fillvalue)
        got = getattr(signal, fn)(x, k, mode, "fill", fillvalue)
        assert_like_scipy(got, ref, output_scale(x, k, 5))


def test_complex_fillvalue_with_real_input_and_complex_kernel(rng):
    x, k = random_array(rng, (4, 4), "float64"), random_array(rng, (2, 3), "complex128")
    for fn in ("convolve2d", "correlate2d"):
        ref = getattr(scipy_signal, fn)(x, k, "full", "fill", 2 - 1j)
        assert_like_scipy(getattr(signal, fn)(x, k, "full", "fill", 2 - 1j), ref, output_scale(x, k, 3))


@pytest.mark.parametrize("dt1,dt2", [("int8", "float32"), ("uint64", "int8"), ("float32", "complex128")])
def test_mixed_dtypes(dt1, dt2, rng):
    x, k = random_array(rng, (5, 4), dt1), random_array(rng, (3, 2), dt2)
    for fn in ("convolve2d", "correlate2d"):
        for boundary in BOUNDARIES:
            ref = getattr(scipy_signal, fn)(x, k, "same", boundary, 1)
            assert_like_scipy(getattr(signal, fn)(x, k, "same", boundary, 1), ref, output_scale(x, k, 1))


def test_correlate2d_reverses_the_output_when_valid_mode_swaps(rng):
    small, big = random_array(rng, (2, 3), "complex128"), random_array(rng, (4, 5), "complex128")
    ref = scipy_signal.correlate2d(small, big, "valid")
    assert_like_scipy(signal.correlate2d(small, big, "valid"), ref, output_scale(small, big))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
def test_empty_inputs_answer_as_scipy(fn, mode):
    """scipy sizes the zero result n1 + n2 - 1 ('full') even when a length is zero."""
    for a, b in [(np.zeros((0, 3)), np.ones((2, 2))), (np.ones((2, 2)), np.zeros((0, 3)))]:
        try:
            ref = getattr(scipy_signal, fn)(a, b, mode)
        except ValueError:
            with pytest.raises(ValueError, match="valid"):
                getattr(signal, fn)(a, b, mode)
            continue
        assert_like_scipy(getattr(signal, fn)(a, b, mode), ref)
