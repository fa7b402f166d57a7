"""Hypothesis properties of the sigconv.ndimage filters."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sigconv import ndimage as sn

MODES = st.sampled_from(["reflect", "nearest", "mirror", "wrap"])
images = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
                    elements=st.floats(-100, 100))
sizes = st.integers(1, 7)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=9), value=st.floats(-1e6, 1e6),
       size=sizes, mode=MODES)
def test_median_min_max_of_a_constant_is_the_constant(shape, value, size, mode):
    x = np.full(shape, value)
    for f in (sn.median_filter, sn.minimum_filter, sn.maximum_filter):
        np.testing.assert_array_equal(f(x, size=size, mode=mode), x)


@settings(max_examples=40, deadline=None)
@given(x=images, size=sizes, mode=MODES)
def test_max_ge_median_mean_ge_min(x, size, mode):
    lo, hi = sn.minimum_filter(x, size, mode=mode), sn.maximum_filter(x, size, mode=mode)
    mean = sn.uniform_filter(x, size, mode=mode)
    med = sn.median_filter(x, size, mode=mode)
    eps = 1e-9 * (1 + np.abs(x).max()) if x.size else 0
    assert (hi >= mean - eps).all() and (mean >= lo - eps).all()
    assert (hi >= med).all() and (med >= lo).all()


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
                    elements=st.floats(-10, 10)),
       size=sizes, sigma=st.floats(0.3, 3), mode=MODES)
def test_separable_filters_equal_their_1d_passes(x, size, sigma, mode):
    g = sn.gaussian_filter1d(sn.gaussian_filter1d(x, sigma, axis=0, mode=mode), sigma, axis=1,
                             mode=mode)
    np.testing.assert_allclose(sn.gaussian_filter(x, sigma, mode=mode), g, atol=1e-12)
    m = sn.maximum_filter1d(sn.maximum_filter1d(x, size, axis=0, mode=mode), size, axis=1,
                            mode=mode)
    np.testing.assert_array_equal(sn.maximum_filter(x, size, mode=mode), m)
    # the box filter is the correlation with a box of ones / size**2
    box = np.full((size, size), 1.0 / size**2)
    np.testing.assert_allclose(sn.uniform_filter(x, size, mode=mode), sn.correlate(x, box, mode=mode),
                               atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(x=images, size=sizes)
def test_float32_is_computed_in_float32(x, size):
    x32 = x.astype(np.float32)
    for f, kw in [(sn.gaussian_filter, dict(sigma=1.0)), (sn.uniform_filter, dict(size=size)),
                  (sn.median_filter, dict(size=size))]:
        out = f(x32, **kw)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, f(x, **kw), atol=1e-4 * (1 + np.abs(x).max()))
