"""sigconv.conv_matrix: M @ x.ravel() equals the convolution, against sigconv.signal.convolve and
scipy.signal.convolve, on random shapes, every mode, 1-D to 3-D; structure and errors."""

import doctest

import numpy as np
import pytest
import scipy.signal
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

import sigconv
import sigconv._conv_matrix
from sigconv import signal

MODES = ["full", "same", "valid"]


def check(x, k, mode):
    M = sigconv.conv_matrix(k, x.shape, mode)
    want = scipy.signal.convolve(x, k, mode, method="direct")
    got = M @ x.ravel()
    assert M.shape == (want.size, x.size)
    np.testing.assert_allclose(got, want.ravel(), atol=1e-12)
    np.testing.assert_allclose(got, signal.convolve(x, k, mode).ravel(), atol=1e-12)
    return M


def test_golden_1d():
    # scipy.signal.convolve(np.eye(3)[i], [1, 2], 'full') for each column i
    M = sigconv.conv_matrix([1.0, 2.0], 3)
    np.testing.assert_array_equal(M.toarray(), [[1, 0, 0], [2, 1, 0], [0, 2, 1], [0, 0, 2]])
    np.testing.assert_array_equal(sigconv.conv_matrix([1.0, 2.0], 3, "valid").toarray(),
                                  [[2, 1, 0], [0, 2, 1]])


def test_columns_are_impulse_responses(rng):
    k = rng.standard_normal((3, 4))
    shape = (5, 6)
    for mode in MODES:
        M = sigconv.conv_matrix(k, shape, mode).toarray()
        for c in range(M.shape[1]):
            e = np.zeros(30)
            e[c] = 1.0
            np.testing.assert_allclose(M[:, c], scipy.signal.convolve(e.reshape(shape), k, mode).ravel())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n,m", [(10, 3), (10, 4), (3, 10), (4, 10), (1, 1), (7, 7), (1, 5), (5, 1)])
def test_1d_all_modes(rng, mode, n, m):
    check(rng.standard_normal(n), rng.standard_normal(m), mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("xs,ks", [((8, 9), (3, 3)), ((8, 9), (2, 5)), ((3, 4), (5, 6)),
                                   ((1, 7), (1, 3)), ((6, 1), (3, 1)), ((5, 5), (5, 5))])
def test_2d_all_modes(rng, mode, xs, ks):
    check(rng.standard_normal(xs), rng.standard_normal(ks), mode)


@pytest.mark.parametrize("mode", MODES)
def test_3d(rng, mode):
    check(rng.standard_normal((4, 5, 6)), rng.standard_normal((2, 3, 2)), mode)


@settings(max_examples=40, deadline=None)
@given(
    ndim=st.integers(1, 2),
    data=st.data(),
    mode=st.sampled_from(MODES),
)
def test_random_shapes(ndim, data, mode):
    xs = tuple(data.draw(st.integers(1, 9)) for _ in range(ndim))
    if mode == "valid":  # one operand must contain the other
        larger = data.draw(st.booleans())
        ks = tuple(data.draw(st.integers(1, n)) if larger else data.draw(st.integers(n, 11))
                   for n in xs)
    else:
        ks = tuple(data.draw(st.integers(1, 7)) for _ in range(ndim))
    rng = np.random.default_rng(sum(xs) * 31 + sum(ks))
    check(rng.standard_normal(xs), rng.standard_normal(ks), mode)


def test_format_dtype_and_zeros():
    k = np.array([[0.0, 1.0], [2.0, 0.0]], dtype=np.float32)
    M = sigconv.conv_matrix(k, (4, 4), "same")
    assert isinstance(M, scipy.sparse.csr_array)
    assert M.dtype == np.float32
    # zero taps are not stored: each of the two nonzero taps reaches 4 x 3 of the 16 outputs
    assert M.nnz == 12 + 12 == np.count_nonzero(M.toarray())
    assert M.has_sorted_indices
    M.check_format(full_check=True)
    assert sigconv.conv_matrix(np.array([1, 2], dtype=np.int32), 3).dtype == np.int32
    assert sigconv.conv_matrix(np.array([True, False]), 3).dtype == np.int64
    c = np.array([1 + 1j, 2 - 1j])
    x = np.array([1.0, 2j, 3.0])
    np.testing.assert_allclose(sigconv.conv_matrix(c, 3) @ x, scipy.signal.convolve(x, c))


def test_adjoint_is_correlation(rng):
    x = rng.standard_normal((6, 7))
    k = rng.standard_normal((3, 3))
    M = sigconv.conv_matrix(k, x.shape, "full")
    y = rng.standard_normal((8, 9))
    np.testing.assert_allclose(M.T @ y.ravel(), scipy.signal.correlate(y, k, "valid").ravel(),
                               atol=1e-12)


def test_input_unmodified(rng):
    k = rng.standard_normal((3, 3))
    before = k.copy()
    sigconv.conv_matrix(k, (5, 5), "same")
    np.testing.assert_array_equal(k, before)


@pytest.mark.parametrize(
    "args,exc,match",
    [
        (([1.0, 2.0], 5, "sam"), ValueError, r"mode must be one of 'full', 'same', 'valid'; got mode='sam'"),
        (([1.0, 2.0], (5, 5)), ValueError, r"kernel has 1 axes but input_shape=\(5, 5\) has 2"),
        (([1.0, 2.0], 0), ValueError, r"input_shape must be a positive integer.*input_shape=0"),
        (([1.0, 2.0], ()), ValueError, r"input_shape.*input_shape=\(\)"),
        (([1.0, 2.0], 2.5), ValueError, r"input_shape.*input_shape=2.5"),
        (([1.0, 2.0], "5"), ValueError, r"input_shape.*input_shape='5'"),
        ((np.zeros((0,)), 4), ValueError, r"kernel must not be empty; got shape \(0,\)"),
        ((np.ones((3, 5)), (5, 3), "valid"), ValueError, r"'valid' mode.*at least as large"),
        ((np.array(["a", "b"]), 3), TypeError, r"kernel must be a numeric array; got dtype <U1"),
    ],
)
def test_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        sigconv.conv_matrix(*args)


def test_docstring_examples():
    result = doctest.testmod(sigconv._conv_matrix, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4
    assert result.failed == 0
