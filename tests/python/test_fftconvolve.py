"""fftconvolve and oaconvolve against scipy.signal: dtypes, modes, axes and broadcasting."""

import numpy as np
import pytest
from conftest import DTYPES, MODES, assert_like_scipy, output_scale, random_array, scipy_signal

from sigconv import signal

FUNCTIONS = ["fftconvolve", "oaconvolve"]

SHAPES = [
    ((9,), (4,)),
    ((4,), (9,)),
    ((1,), (1,)),
    ((6, 7), (3, 2)),
    ((3, 4), (5, 5)),
    ((3, 5), (5, 3)),
    ((4, 3, 5), (2, 3, 2)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_matches_scipy(fn, dtype, mode, rng):
    for s1, s2 in SHAPES:
        in1, in2 = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        try:
            ref = getattr(scipy_signal, fn)(in1, in2, mode)
        except ValueError:
            with pytest.raises(ValueError, match="valid"):
                getattr(signal, fn)(in1, in2, mode)
            continue
        got = getattr(signal, fn)(in1, in2, mode)
        assert_like_scipy(got, ref, output_scale(in1, in2), fft=True)


@pytest.mark.parametrize(
    "dt1,dt2", [("int8", "float32"), ("float32", "float64"), ("float16", "float16"), ("uint8", "complex64")]
)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_result_dtypes(fn, dt1, dt2, rng):
    a, b = random_array(rng, (7,), dt1), random_array(rng, (3,), dt2)
    ref = getattr(scipy_signal, fn)(a, b)
    floats = [np.dtype(d) for d in (dt1, dt2) if np.dtype(d).kind in "fc"]
    tol = min(floats, key=lambda d: np.finfo(d).bits)
    assert_like_scipy(getattr(signal, fn)(a, b), ref, output_scale(a, b), fft=True, tol_dtype=tol)


# (in1 shape, in2 shape, axes): convolve over some axes, broadcast the others (equal or length 1).
AXES_CASES = [
    ((3, 8), (3, 3), 1),
    ((3, 8), (1, 3), [1]),
    ((1, 8), (4, 3), -1),
    ((6, 4), (2, 4), [0]),
    ((2, 6, 5), (2, 3, 2), [1, 2]),
    ((2, 6, 5), (1, 3, 5), (1,)),
    ((4, 5, 3), (2, 1, 3), [2, 0]),  # unsorted axes
    ((4, 5), (2, 5), None),
    ((5, 1), (2, 1), None),  # a length-1 axis needs no transform
    ((1, 4), (3, 1), None),  # every axis has a length 1: a broadcast product
    ((2, 1), (2, 1), [1]),  # the only axis has length 1: a product, in the inputs' own dtype
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", AXES_CASES, ids=str)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_axes_and_broadcasting(fn, case, mode, rng):
    s1, s2, axes = case
    for dtype in ("float64", "int32", "complex64"):
        in1, in2 = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        try:
            ref = getattr(scipy_signal, fn)(in1, in2, mode, axes)
        except ValueError:
            with pytest.raises(ValueError):
                getattr(signal, fn)(in1, in2, mode, axes)
            continue
        got = getattr(signal, fn)(in1, in2, mode, axes)
        assert_like_scipy(got, ref, output_scale(in1, in2), fft=True)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_zero_dimensional_and_empty_inputs(fn):
    a, b = np.float32(2.0), np.int64(3)
    assert_like_scipy(getattr(signal, fn)(a, b), getattr(scipy_signal, fn)(a, b))
    for x, y in [(np.zeros((0, 3)), np.ones((2, 2))), (np.ones(3, np.int8), np.zeros(0, np.int8))]:
        assert_like_scipy(getattr(signal, fn)(x, y), getattr(scipy_signal, fn)(x, y))


@pytest.mark.parametrize(
    "axes,message",
    [([0, 0], "unique"), ([2], "dimensionality"), ([], "cannot be empty"), (1.5, "integer"), (["a"], "integer")],
)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_bad_axes(fn, axes, message):
    x, k = np.ones((4, 5)), np.ones((2, 2))
    with pytest.raises(ValueError):
        getattr(scipy_signal, fn)(x, k, axes=axes)
    with pytest.raises(ValueError, match=message):
        getattr(signal, fn)(x, k, axes=axes)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_incompatible_broadcast_shapes(fn):
    with pytest.raises(ValueError, match="incompatible shapes"):
        getattr(signal, fn)(np.ones((2, 4)), np.ones((3, 2)), axes=1)


def test_oaconvolve_with_a_long_signal_uses_several_blocks(rng):
    x, k = random_array(rng, (3000,), "float64"), random_array(rng, (9,), "float64")
    for mode in MODES:
        ref = scipy_signal.oaconvolve(x, k, mode)
        assert_like_scipy(signal.oaconvolve(x, k, mode), ref, output_scale(x, k), fft=True)
