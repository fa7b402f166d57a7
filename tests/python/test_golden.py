"""Exact integer results written out, each with the scipy call that produced it."""

import numpy as np
import pytest

from sigconv import signal

X = np.array([3, -1, 4, 1, -5, 9])
K = np.array([2, 7, -1])


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_convolve_and_correlate_1d(method):
    # scipy.signal.convolve(X, K, mode)
    assert signal.convolve(X, K, "full", method).tolist() == [6, 19, -2, 31, -7, -18, 68, -9]
    assert signal.convolve(X, K, "same", method).tolist() == [19, -2, 31, -7, -18, 68]
    assert signal.convolve(X, K, "valid", method).tolist() == [-2, 31, -7, -18]
    # scipy.signal.correlate(X, K, mode)
    assert signal.correlate(X, K, "full", method).tolist() == [-3, 22, -5, 25, 20, -42, 53, 18]
    assert signal.correlate(X, K, "same", method).tolist() == [22, -5, 25, 20, -42, 53]
    assert signal.correlate(X, K, "valid", method).tolist() == [-5, 25, 20, -42]


def test_kernel_longer_than_input():
    # scipy.signal.convolve([1, 2], [1, 10, 100, 1000], 'same') -> [12, 120]
    assert signal.convolve([1, 2], [1, 10, 100, 1000], "same").tolist() == [12, 120]
    # scipy.signal.correlate([1, 2], [1, 10, 100, 1000], 'valid') -> [2100, 210, 21]
    assert signal.correlate([1, 2], [1, 10, 100, 1000], "valid").tolist() == [2100, 210, 21]


X2 = np.array([[1, 2, 0], [-3, 1, 4], [2, -2, 5]])
K2 = np.array([[1, -1], [2, 3]])

# scipy.signal.convolve2d(X2, K2, mode, boundary, fillvalue=2) and correlate2d(...)
GOLDEN_2D = {
    ("full", "fill"): (
        [[9, 11, 8, 12], [3, 11, 9, 2], [0, -11, 18, 13], [10, 2, 4, 19]],
        [[7, 8, 4, 6], [-4, -4, 16, 12], [15, -6, 8, 18], [10, 14, 3, 13]],
    ),
    ("full", "wrap"): (
        [[20, 3, 2, 20], [-5, 11, 9, -5], [3, -11, 18, 3], [20, 3, 2, 20]],
        [[6, 12, -3, 6], [-2, -4, 16, -2], [23, -6, 8, 23], [6, 12, -3, 6]],
    ),
    ("full", "symm"): (
        [[5, 8, 4, 0], [5, 11, 9, 0], [-15, -11, 18, 20], [10, -2, 11, 25]],
        [[5, 7, 6, 0], [-15, -4, 16, 20], [10, -6, 8, 25], [10, 2, 4, 25]],
    ),
    ("same", "fill"): ([[9, 11, 8], [3, 11, 9], [0, -11, 18]], [[-4, 16, 12], [-6, 8, 18], [14, 3, 13]]),
    ("same", "wrap"): ([[20, 3, 2], [-5, 11, 9], [3, -11, 18]], [[-4, 16, -2], [-6, 8, 23], [12, -3, 6]]),
    ("same", "symm"): ([[5, 8, 4], [5, 11, 9], [-15, -11, 18]], [[-4, 16, 20], [-6, 8, 25], [2, 4, 25]]),
    ("valid", "fill"): ([[11, 9], [-11, 18]], [[-4, 16], [-6, 8]]),
}


@pytest.mark.parametrize("key", GOLDEN_2D, ids=str)
def test_convolve2d_and_correlate2d(key):
    mode, boundary = key
    conv, corr = GOLDEN_2D[key]
    assert signal.convolve2d(X2, K2, mode, boundary, fillvalue=2).tolist() == conv
    assert signal.correlate2d(X2, K2, mode, boundary, fillvalue=2).tolist() == corr


def test_small_integer_types_wrap_like_scipy():
    # scipy.signal.convolve(np.array([100, 100, 100], np.int8), np.array([2, 1], np.int8))
    out = signal.convolve(np.array([100, 100, 100], np.int8), np.array([2, 1], np.int8))
    assert out.dtype == np.int8 and out.tolist() == [-56, 44, 44, 100]
    # scipy.signal.convolve(np.array([200, 100], np.uint8), np.array([2, 1], np.uint8))
    out = signal.convolve(np.array([200, 100], np.uint8), np.array([2, 1], np.uint8))
    assert out.dtype == np.uint8 and out.tolist() == [144, 144, 100]


def test_uint64_beyond_int64():
    # scipy.signal.convolve(np.array([2**63 + 1, 3], np.uint64), np.array([2, 1], np.uint64), method='direct')
    out = signal.convolve(np.array([2**63 + 1, 3], np.uint64), np.array([2, 1], np.uint64))
    assert out.dtype == np.uint64 and out.tolist() == [2, 9223372036854775815, 3]


def test_bool():
    # scipy.signal.convolve(np.array([1, 0, 0, 1], bool), np.array([1, 1], bool))
    out = signal.convolve(np.array([1, 0, 0, 1], bool), np.array([1, 1], bool))
    assert out.dtype == np.bool_ and out.tolist() == [True, True, False, True, True]


def test_complex():
    a, b = np.array([1 + 2j, 3 - 1j]), np.array([2j, 1])
    # scipy.signal.convolve(a, b) and scipy.signal.correlate(a, b)
    assert signal.convolve(a, b).tolist() == [(-4 + 2j), (3 + 8j), (3 - 1j)]
    assert signal.correlate(a, b).tolist() == [(1 + 2j), (7 - 3j), (-2 - 6j)]


def test_3d():
    # scipy.signal.convolve(np.arange(8).reshape(2, 2, 2), np.array([[[1], [-1]]]))
    out = signal.convolve(np.arange(8).reshape(2, 2, 2), np.array([[[1], [-1]]]))
    assert out.tolist() == [[[0, 1], [2, 2], [-2, -3]], [[4, 5], [2, 2], [-6, -7]]]
