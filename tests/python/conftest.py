"""Shared helpers for the Python tests: random inputs of any dtype, and comparison with scipy.signal
(the oracle) with a tolerance suited to the dtype."""

import numpy as np
import pytest

scipy_signal = pytest.importorskip("scipy.signal")

# Every dtype sigconv.signal computes with, as the matrix tests run them.
DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

MODES = ["full", "same", "valid"]
BOUNDARIES = ["fill", "wrap", "symm"]

# Relative tolerance, against the largest output any input of these magnitudes could give.
# scipy computes float16 in float16, sigconv in float32: the gap is scipy's rounding.
_RTOL = {"e": 2e-2, "f": 1e-4, "d": 1e-10, "g": 1e-10}


def random_array(rng, shape, dtype):
    """Small values: integer convolutions stay inside int8, floats are standard normal."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind == "u":
        return rng.integers(0, 6, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-5, 6, shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def output_scale(in1, in2, fillvalue=0):
    """An upper bound on |output|: every output sums taps of in2 times samples of in1 (or fill)."""
    a = np.abs(np.asarray(in1, dtype=np.complex128))
    b = np.abs(np.asarray(in2, dtype=np.complex128))
    if a.size == 0 or b.size == 0:
        return 1.0
    return max(a.max() * b.sum(), b.max() * a.sum(), abs(fillvalue) * b.sum(), 1e-30)


def assert_like_scipy(got, ref, scale=1.0, fft=False, tol_dtype=None):
    """Same type, dtype and shape as scipy's result; integers and bools exactly equal, floats within
    the tolerance of `tol_dtype` (default: the result's) times `scale`, looser for the FFT; NaN where
    scipy has NaN."""
    assert type(got) is type(ref), (type(got), type(ref))
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref)
        return
    char = np.finfo(got.dtype if tol_dtype is None else tol_dtype).dtype.char
    atol = _RTOL[char] * (10 if fft else 1) * scale
    np.testing.assert_allclose(got, ref, rtol=0, atol=atol, equal_nan=True)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
