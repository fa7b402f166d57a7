"""sigconv.denoise.fill_missing against an oracle built from scipy.ndimage (normalized convolution,
iterated), golden cases, properties (holes of every size filled, valid samples bit-exact, fills
inside the valid range, linear ramps restored), mask/NaN equivalence, dtypes, errors."""

import doctest
import warnings

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import sigconv
from sigconv import denoise, kernels


def oracle(x, lost, w, mode="constant", max_iter=None):
    """Normalized convolution with scipy.ndimage.convolve, one pass at a time (Jacobi): the values
    of valid samples and the validity, each convolved with `w`; lost samples with a positive
    denominator take the ratio."""
    v = np.where(lost, 0.0, x).astype(np.float64)
    lost = lost.copy()
    passes = 0
    while lost.any() and (max_iter is None or passes < max_iter):
        valid = (~lost).astype(np.float64)
        num = ndi.convolve(v * valid, w, mode=mode, cval=0.0)
        den = ndi.convolve(valid, w, mode=mode, cval=0.0)
        new = lost & (den > 1e-12)
        if not new.any():
            break
        v[new] = num[new] / den[new]
        lost = lost & ~new
        passes += 1
    v[lost] = np.nan
    return v


def scattered(rng, shape, p):
    return rng.random(shape) < p


def holes(rng, shape, count, max_len):
    lost = np.zeros(shape, dtype=bool)
    for _ in range(count):
        lo = [rng.integers(0, n) for n in shape]
        ln = [rng.integers(1, max_len + 1) for _ in shape]
        lost[tuple(slice(a, a + b) for a, b in zip(lo, ln))] = True
    return lost


# --- golden (worked by hand) --------------------------------------------------------------------


def test_golden_1d():
    # pass 1 fills x[1] = (1 + 3) / 2, x[3] = 3 and x[5] = 7 from one side each; pass 2 x[4] = 5.
    got = denoise.fill_missing([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, 7.0])
    np.testing.assert_array_equal(got, [1, 2, 3, 3, 5, 7, 7])


def test_golden_2d_weights():
    # the centre sees 4, 6 (weight 2) and the corners 0, 2, 8, 10 (weight 1) of 2 * arange(...)
    x = 2.0 * np.arange(9.0).reshape(3, 3)
    lost = np.zeros((3, 3), dtype=bool)
    lost[1, 1] = True
    lost[0, 1] = lost[2, 1] = True
    w = np.outer([1, 2, 1], [1, 2, 1])
    got = denoise.fill_missing(x, lost, kernel=w)
    # centre: (1*0 + 1*4 + 2*6 + 2*10 + 1*12 + 1*16) / 8 = 8; top: (2*0 + 2*4 + 1*6 + 1*10) / 6 = 4;
    # bottom: (2*12 + 2*16 + 1*6 + 1*10) / 6 = 12 (outside the image reads nothing)
    np.testing.assert_array_equal(got, [[0, 4, 4], [6, 8, 10], [12, 12, 16]])
    np.testing.assert_allclose(got, oracle(x, lost, w), atol=1e-12)
    np.testing.assert_array_equal(got[~lost], x[~lost])


# --- against the scipy oracle ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "nearest", "mirror", "wrap"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_matches_oracle_every_mode(rng, mode, ndim):
    shape = {1: (300,), 2: (41, 37), 3: (9, 11, 13)}[ndim]
    x = rng.standard_normal(shape)
    lost = scattered(rng, shape, 0.25) | holes(rng, shape, 3, 7)
    for w in (np.ones((3,) * ndim), kernels.gaussian(1.0, ndim), np.ones((2,) * ndim),
              rng.random((4, 3, 2)[:ndim])):
        with warnings.catch_warnings():
            # an even window reads forward only: under 'constant' the last corner may be
            # unreachable (NaN in both results)
            warnings.simplefilter("ignore", RuntimeWarning)
            got = denoise.fill_missing(x, lost, kernel=w, mode=mode)
        np.testing.assert_allclose(got, oracle(x, lost, w, mode), atol=1e-10, err_msg=str(w.shape))


@pytest.mark.parametrize("max_iter", [1, 2, 5])
def test_max_iter_matches_oracle(rng, max_iter):
    x = rng.standard_normal((40, 40))
    lost = holes(rng, x.shape, 2, 20)
    got = denoise.fill_missing(x, lost, max_iter=max_iter)
    want = oracle(x, lost, np.ones((3, 3)), max_iter=max_iter)
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert np.isnan(got).sum() == np.isnan(want).sum()


def test_sigma_and_size_windows(rng):
    x = rng.standard_normal((30, 30))
    lost = scattered(rng, x.shape, 0.4)
    np.testing.assert_allclose(denoise.fill_missing(x, lost, sigma=1.5),
                               oracle(x, lost, kernels.gaussian(1.5, 2)), atol=1e-12)
    np.testing.assert_allclose(denoise.fill_missing(x, lost, sigma=(1.0, 2.0), truncate=2.0),
                               oracle(x, lost, kernels.gaussian((1.0, 2.0), truncate=2.0)),
                               atol=1e-12)
    np.testing.assert_allclose(denoise.fill_missing(x, lost, size=(5, 1)),
                               oracle(x, lost, np.ones((5, 1))), atol=1e-12)
    np.testing.assert_allclose(denoise.fill_missing(x, lost, size=4),
                               oracle(x, lost, np.ones((4, 4))), atol=1e-12)


def test_threads_give_the_same_result(rng):
    x = rng.standard_normal((300, 300)).astype(np.float32)
    lost = scattered(rng, x.shape, 0.3) | holes(rng, x.shape, 4, 60)
    a = denoise.fill_missing(x, lost, workers=1)
    b = denoise.fill_missing(x, lost, workers=2)
    c = denoise.fill_missing(x, lost)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    hole_start=st.integers(0, 59),
    hole_len=st.integers(1, 60),
    size=st.sampled_from([1, 3, 4, 5, 6, 9]),  # size 2 reads p, p+1 only: see the unreachable test
    seed=st.integers(0, 2**16),
)
def test_holes_of_every_size_are_filled_1d(n, hole_start, hole_len, size, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    lost = np.zeros(n, dtype=bool)
    lost[hole_start:hole_start + hole_len] = True
    lost |= rng.random(n) < 0.2
    if lost.all():
        lost[rng.integers(0, n)] = False
    if size == 1 and lost.any():  # a window of one sample reads only itself: nothing fills
        with pytest.warns(RuntimeWarning, match="cannot be reached"):
            got = denoise.fill_missing(x, lost, size=1)
        assert np.isnan(got[lost]).all()
        return
    got = denoise.fill_missing(x, lost, size=size)
    assert not np.isnan(got).any()
    # valid samples bit for bit; fills are weighted means, inside the valid range
    assert got[~lost].tobytes() == x[~lost].tobytes()
    lo, hi = x[~lost].min(), x[~lost].max()
    assert np.all(got >= lo - 1e-12) and np.all(got <= hi + 1e-12)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 25), st.integers(1, 25)),
    p=st.floats(0.0, 0.99),
    seed=st.integers(0, 2**16),
    mode=st.sampled_from(["constant", "reflect", "wrap", "nearest", "mirror"]),
)
def test_images_filled_with_valid_samples_kept(shape, p, seed, mode):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    lost = rng.random(shape) < p
    if lost.all():
        lost.flat[0] = False
    got = denoise.fill_missing(x, lost, mode=mode)
    assert got.dtype == np.float32
    assert not np.isnan(got).any()
    assert got[~lost].tobytes() == x[~lost].tobytes()
    lo, hi = x[~lost].min(), x[~lost].max()
    assert np.all(got >= lo - 1e-6) and np.all(got <= hi + 1e-6)


def test_large_holes_filled_from_the_rims(rng):
    x = rng.standard_normal((120, 140))
    lost = np.zeros(x.shape, dtype=bool)
    yy, xx = np.ogrid[:120, :140]
    lost |= (yy - 60) ** 2 + (xx - 70) ** 2 < 45**2
    lost[:, 10:13] = True  # a stripe across the whole image
    got = denoise.fill_missing(x, lost)
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, oracle(x, lost, np.ones((3, 3))), atol=1e-12)


def test_linear_ramp_restored_exactly_by_symmetric_windows(rng):
    # A plane a*y + b*x + c with isolated lost pixels (18 apart, 10 from the borders: no window of
    # radius <= 8 holds another lost pixel or the border), so every window's valid samples sit
    # symmetrically about its centre, and the weighted mean is the plane's value there.
    yy, xx = np.mgrid[:80, :80]
    plane = 0.3 * yy - 1.7 * xx + 5.0
    lost = np.zeros(plane.shape, dtype=bool)
    lost[10:-10:18, 10:-10:18] = True
    for kw in ({"size": 3}, {"size": 5}, {"sigma": 1.2}, {"kernel": kernels.gaussian((1.0, 2.0))}):
        got = denoise.fill_missing(np.where(lost, np.nan, plane), **kw)
        np.testing.assert_allclose(got, plane, rtol=0, atol=1e-10, err_msg=str(kw))
    # A ramp along x with vertical slits of any height: every window (at every pass) holds valid
    # columns symmetric about its own, so even many passes restore it exactly away from the borders.
    ramp = np.tile(np.linspace(-3.0, 4.0, 50), (40, 1))
    lost = np.zeros(ramp.shape, dtype=bool)
    lost[3:37, 10] = True
    lost[0:25, 30] = True
    got = denoise.fill_missing(ramp, lost)
    np.testing.assert_allclose(got, ramp, rtol=0, atol=1e-12)
    # 1-D: single lost samples of a line, 7 apart (a window of radius 4 holds only one)
    line = np.linspace(0.0, 1.0, 101)
    lost = np.zeros(101, dtype=bool)
    lost[5:-5:7] = True
    got = denoise.fill_missing(line, lost, sigma=1.0)
    np.testing.assert_allclose(got, line, atol=1e-12)


def test_mask_and_nan_are_equivalent(rng):
    x = rng.standard_normal((50, 60))
    lost = scattered(rng, x.shape, 0.3) | holes(rng, x.shape, 2, 15)
    with_nan = np.where(lost, np.nan, x)
    garbage = np.where(lost, 1e30, x)
    a = denoise.fill_missing(with_nan)
    b = denoise.fill_missing(garbage, lost)
    c = denoise.fill_missing(with_nan, lost)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    # with a mask, a NaN outside it is a value, and spreads into the fills that read it
    x2 = np.array([1.0, np.nan, 3.0, 4.0])
    got = denoise.fill_missing(x2, np.array([False, False, True, False]))
    assert np.isnan(got[1]) and np.isnan(got[2]) and got[0] == 1.0 and got[3] == 4.0


def test_nothing_lost_returns_a_copy(rng):
    x = rng.standard_normal(10)
    got = denoise.fill_missing(x)
    assert got is not x and got.tobytes() == x.tobytes()


def test_dtypes(rng):
    x32 = rng.standard_normal((20, 20)).astype(np.float32)
    lost = scattered(rng, x32.shape, 0.3)
    got = denoise.fill_missing(x32, lost)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, oracle(x32.astype(np.float64), lost, np.ones((3, 3))),
                               atol=1e-5)
    assert denoise.fill_missing(x32.astype(np.float64), lost).dtype == np.float64
    ints = np.arange(10, dtype=np.int16)
    lost1 = np.zeros(10, dtype=bool)
    lost1[[2, 3]] = True
    got = denoise.fill_missing(ints, lost1)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [0, 1, 1, 4, 4, 5, 6, 7, 8, 9])
    assert denoise.fill_missing(ints).dtype == np.float64  # no NaN in integers: nothing lost
    f16 = np.array([1.0, np.nan, 3.0], dtype=np.float16)
    np.testing.assert_array_equal(denoise.fill_missing(f16), [1.0, 2.0, 3.0])
    assert denoise.fill_missing(f16).dtype == np.float64
    got = denoise.fill_missing([[1.0, np.nan], [np.nan, 4.0]])  # lists, 2-D
    np.testing.assert_array_equal(got, [[1, 2.5], [2.5, 4]])


def test_non_contiguous_inputs(rng):
    x = rng.standard_normal((30, 40))
    lost = scattered(rng, x.shape, 0.3)
    want = denoise.fill_missing(np.ascontiguousarray(x.T), np.ascontiguousarray(lost.T))
    np.testing.assert_array_equal(denoise.fill_missing(x.T, lost.T), want)
    np.testing.assert_array_equal(denoise.fill_missing(x[:, ::2], lost[:, ::2]),
                                  denoise.fill_missing(x[:, ::2].copy(), lost[:, ::2].copy()))


def test_inputs_unmodified(rng):
    x = np.where(scattered(rng, (20, 20), 0.3), np.nan, rng.standard_normal((20, 20)))
    lost = np.isnan(x)
    w = np.ones((3, 3))
    before = (x.copy(), lost.copy(), w.copy())
    denoise.fill_missing(x, lost, kernel=w)
    denoise.fill_missing(x)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(lost, before[1])
    np.testing.assert_array_equal(w, before[2])


def test_empty_input():
    got = denoise.fill_missing(np.zeros((0, 3), dtype=np.float32))
    assert got.shape == (0, 3) and got.dtype == np.float32


def test_unreachable_samples_warn_and_stay_nan():
    # as a convolution kernel, [0, 0, 1] weighs only the previous sample: the first sample reads
    # nothing but what lies beyond the edge
    x = np.array([np.nan, 1.0, 2.0])
    with pytest.warns(RuntimeWarning, match="1 lost samples cannot be reached"):
        got = denoise.fill_missing(x, kernel=[0.0, 0.0, 1.0])
    assert np.isnan(got[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = denoise.fill_missing(np.array([1.0, np.nan, np.nan, np.nan]), max_iter=1)
    assert got[1] == 1.0 and np.isnan(got[2:]).all()


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"x": [np.nan, np.nan]}, ValueError, r"every sample of x is lost \(2 of 2\)"),
        ({"x": [1.0, 2.0], "mask": [True, True]}, ValueError, r"every sample of x is lost"),
        ({"x": [1.0, 2.0], "mask": [1, 0]}, TypeError, r"mask must be a boolean array; got dtype int"),
        ({"x": [1.0, 2.0], "mask": [True]}, ValueError, r"mask has shape \(1,\); expected the shape of x, \(2,\)"),
        ({"x": [1j, 2.0]}, TypeError, r"x must be an array of real numbers; got dtype complex128"),
        ({"x": 3.0}, ValueError, r"x must have at least one axis"),
        ({"x": [1.0, np.nan], "size": 0}, ValueError, r"size must be a positive integer.*size=0"),
        ({"x": [1.0, np.nan], "size": (3, 3)}, ValueError, r"size needs one value per filtered axis"),
        ({"x": [1.0, np.nan], "sigma": -1.0}, ValueError, r"sigma must be a positive.*sigma=-1.0"),
        ({"x": [1.0, np.nan], "sigma": 1.0, "kernel": [1.0]}, ValueError, r"either sigma or kernel"),
        ({"x": [1.0, np.nan], "kernel": [[1.0]]}, ValueError, r"kernel must have one axis per axis of x \(1\)"),
        ({"x": [1.0, np.nan], "kernel": [1.0, -1.0]}, ValueError, r"non-negative"),
        ({"x": [1.0, np.nan], "kernel": [0.0, 0.0]}, ValueError, r"at least one positive"),
        ({"x": [1.0, np.nan], "kernel": [1.0, np.inf]}, ValueError, r"finite"),
        ({"x": [1.0, np.nan], "kernel": []}, ValueError, r"kernel must not be empty"),
        ({"x": [1.0, np.nan], "kernel": ["a"]}, TypeError, r"kernel must be a real numeric array"),
        ({"x": [1.0, np.nan], "mode": "fill"}, ValueError, r"mode must be one of 'reflect', 'constant'.*mode='fill'"),
        ({"x": [1.0, np.nan], "max_iter": 0}, ValueError, r"max_iter must be None or a positive integer; got max_iter=0"),
        ({"x": [1.0, np.nan], "max_iter": 1.5}, ValueError, r"max_iter=1.5"),
        ({"x": [1.0, np.nan], "workers": 0}, ValueError, r"workers"),
        ({"x": [1.0, np.nan], "device": "tpu"}, ValueError, r"device.*'cpu', 'gpu', 'auto'.*device='tpu'"),
    ],
)
def test_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        denoise.fill_missing(**kwargs)


def test_gpu_unavailable():
    with pytest.raises(sigconv.GpuUnavailableError):
        denoise.fill_missing([1.0, np.nan], device="gpu")


def test_docstring_examples():
    result = doctest.testmod(denoise, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


@pytest.mark.parametrize("mode", ["constant", "reflect", "nearest", "mirror", "wrap"])
def test_dense_and_sparse_first_passes_agree(rng, mode):
    # the core's two ways of running the first pass (whole-image SIMD correlations, separable or
    # not, or sums at each lost sample) give the same fills within rounding, and the same NaNs
    from sigconv import _core

    x = rng.standard_normal((37, 45))
    lost = scattered(rng, x.shape, 0.5) | holes(rng, x.shape, 2, 12)
    f = [kernels.gaussian(1.0), kernels.gaussian(2.0)]
    w = np.multiply.outer(f[0], f[1])
    start = [-(k // 2) for k in w.shape]
    outs = [_core.fill_missing(x, lost, w, start, factors, mode, None, first)
            for first in ("sparse", "dense", "auto") for factors in (None, f)]
    for out, passes, unfilled in outs[1:]:
        np.testing.assert_allclose(out, outs[0][0], atol=1e-12)
        assert (passes, unfilled) == outs[0][1:]
    with pytest.raises(ValueError, match="first_pass must be one of 'auto', 'dense', 'sparse'"):
        _core.fill_missing(x, lost, w, start, None, mode, None, "fast")
