"""sigconv.ndimage against scipy.ndimage (the oracle): every function, mode, dtype, axes, origins,
outputs; golden values; NaN; inputs left unmodified."""

import numpy as np
import pytest

nd = pytest.importorskip("scipy.ndimage")
from sigconv import ndimage as sn  # noqa: E402

MODES = ["reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror",
         "grid-wrap"]
DTYPES = ["float64", "float32", "int32", "uint8", "int64", "uint16"]
SHAPES = [(17,), (13, 11), (4, 5, 6)]


def make(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 10).astype(dtype)
    return rng.integers(0, 100, shape).astype(dtype)


def check(got, ref, dtype, exact=False):
    """Same dtype and shape; floats within the dtype's tolerance; integer results of linear
    filters may differ by one where scipy truncates a value that rounds differently."""
    assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
    assert got.shape == ref.shape
    dtype = np.dtype(dtype)
    if exact:
        np.testing.assert_array_equal(got, ref)
    elif ref.dtype.kind in "iu":
        assert np.abs(got.astype(np.int64) - ref.astype(np.int64)).max() <= 1
    else:
        scale = max(1.0, float(np.abs(ref).max()))
        tol = 2e-5 if dtype == np.float32 or ref.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(got, ref, atol=tol * scale, rtol=0, equal_nan=True)


# name, kwargs: the linear filters (computed in float)
LINEAR = [
    ("correlate1d", dict(weights=[1.0, -2.0, 3.5, 4.0])),
    ("correlate1d", dict(weights=[0.5, 1.0, 0.25], axis=0, origin=1)),
    ("convolve1d", dict(weights=[1.0, 2.0, 3.0, 4.0], origin=-1)),
    ("convolve1d", dict(weights=[1.0, 2.0, -3.0])),
    ("uniform_filter1d", dict(size=4)),
    ("uniform_filter1d", dict(size=15, axis=0, origin=2)),
    ("uniform_filter", dict(size=3)),
    ("uniform_filter", dict(size=14)),
    ("gaussian_filter1d", dict(sigma=1.5)),
    ("gaussian_filter1d", dict(sigma=0.8, order=2, axis=0)),
    ("gaussian_filter", dict(sigma=1.2)),
    ("gaussian_filter", dict(sigma=2.0, order=1, truncate=2.0)),
    ("gaussian_filter", dict(sigma=1.0, radius=2)),
]

# the order filters (compared in the input's type: exact)
ORDER = [
    ("minimum_filter1d", dict(size=3)),
    ("maximum_filter1d", dict(size=14, origin=-3)),
    ("minimum_filter", dict(size=3)),
    ("maximum_filter", dict(size=2)),
    ("maximum_filter", dict(size=13)),
    ("median_filter", dict(size=3)),
    ("median_filter", dict(size=4)),
    ("median_filter", dict(size=5, origin=1)),
    ("median_filter", dict(size=9)),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,kwargs", LINEAR, ids=lambda v: v if isinstance(v, str) else "")
def test_linear_filters_like_scipy(rng, shape, mode, name, kwargs):
    for dtype in ("float64", "float32", "int32"):
        x = make(rng, shape, dtype)
        ref = getattr(nd, name)(x, mode=mode, cval=2.5, **kwargs)
        got = getattr(sn, name)(x, mode=mode, cval=2.5, **kwargs)
        check(got, ref, dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,kwargs", ORDER, ids=lambda v: v if isinstance(v, str) else "")
def test_order_filters_like_scipy(rng, shape, mode, name, kwargs):
    for dtype in ("float64", "float32", "int64", "uint8"):
        x = make(rng, shape, dtype)
        ref = getattr(nd, name)(x, mode=mode, cval=3, **kwargs)
        got = getattr(sn, name)(x, mode=mode, cval=3, **kwargs)
        check(got, ref, dtype, exact=True)


@pytest.mark.parametrize("dtype", DTYPES + ["int8", "uint64", "bool"])
def test_every_dtype_keeps_scipys_output_dtype(rng, dtype):
    x = make(rng, (9, 8), dtype) if dtype != "bool" else rng.random((9, 8)) < 0.5
    for name, kwargs in [("median_filter", dict(size=3)), ("maximum_filter", dict(size=3)),
                         ("minimum_filter", dict(footprint=[[1, 0], [1, 1]]))]:
        ref = getattr(nd, name)(x, **kwargs)
        got = getattr(sn, name)(x, **kwargs)
        check(got, ref, "float32" if dtype == "float16" else dtype, exact=dtype != "float16")
    if dtype not in ("bool", "float16"):
        for name, kwargs in [("uniform_filter", dict(size=3)), ("gaussian_filter", dict(sigma=1))]:
            check(getattr(sn, name)(x, **kwargs), getattr(nd, name)(x, **kwargs), dtype)


def test_uint64_extremes_keep_their_order():
    # scipy 1.17 gets uint64 above 2**63 wrong (maximum_filter gives 0 here): numpy is the oracle.
    x = np.array([0, 2**64 - 1, 2**63, 5, 2**63 - 1], dtype=np.uint64)
    windows = np.stack([x[[0, 0, 1, 2, 3]], x, x[[1, 2, 3, 4, 4]]])  # reflect, size 3
    np.testing.assert_array_equal(sn.maximum_filter(x, size=3), windows.max(axis=0))
    np.testing.assert_array_equal(sn.minimum_filter(x, size=3), windows.min(axis=0))
    np.testing.assert_array_equal(sn.median_filter(x, size=3), np.sort(windows, axis=0)[1])


@pytest.mark.parametrize("name", ["correlate", "convolve"])
@pytest.mark.parametrize("mode", MODES)
def test_correlate_convolve_nd_like_scipy(rng, name, mode):
    for shape, wshape in [((17,), (4,)), ((13, 11), (3, 4)), ((4, 5, 6), (2, 3, 3))]:
        for dtype in ("float64", "float32", "int32"):
            x = make(rng, shape, dtype)
            w = rng.standard_normal(wshape)
            origin = [(-1) ** i * (s > 2) for i, s in enumerate(wshape)]
            ref = getattr(nd, name)(x, w, mode=mode, cval=1.5, origin=origin)
            got = getattr(sn, name)(x, w, mode=mode, cval=1.5, origin=origin)
            check(got, ref, dtype)


def test_axes_argument(rng):
    x = rng.standard_normal((6, 7, 8))
    for axes in [(0,), (2, 0), (-1, 1)]:
        n = len(axes)
        cases = [
            ("gaussian_filter", dict(sigma=[1.0, 1.5][:n] + [1.0] * (n - 2))),
            ("uniform_filter", dict(size=3)),
            ("minimum_filter", dict(size=[2, 3][:n] + [2] * (n - 2))),
            ("median_filter", dict(size=3)),
            ("median_filter", dict(footprint=np.ones((3,) * n, bool))),
            ("maximum_filter", dict(footprint=np.eye(3, dtype=bool) if n == 2 else [1, 0, 1])),
            ("correlate", dict(weights=np.ones((2,) * n))),
        ]
        for name, kw in cases:
            check(getattr(sn, name)(x, axes=axes, **kw), getattr(nd, name)(x, axes=axes, **kw),
                  "float64")


def test_median_on_other_axes_uses_the_same_networks(rng):
    # size (3, 3, 1) on (H, W, C): filtered axes are moved to the end and back.
    x = rng.standard_normal((20, 19, 3)).astype(np.float32)
    check(sn.median_filter(x, size=(3, 3, 1)), nd.median_filter(x, size=(3, 3, 1)), "float32",
          exact=True)
    check(sn.median_filter(x, size=(5, 1, 3)), nd.median_filter(x, size=(5, 1, 3)), "float32",
          exact=True)


def test_footprints_like_scipy(rng):
    x = rng.standard_normal((15, 14))
    fps = [np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool), np.eye(4, dtype=bool),
           np.ones((3, 3), bool), rng.random((5, 4)) < 0.5]
    fps[3][0, 0] = True
    for fp in fps:
        for mode in ("reflect", "constant", "wrap"):
            for name in ("median_filter", "minimum_filter", "maximum_filter"):
                ref = getattr(nd, name)(x, footprint=fp, mode=mode, cval=0.5)
                got = getattr(sn, name)(x, footprint=fp, mode=mode, cval=0.5)
                check(got, ref, "float64", exact=True)


def test_per_axis_modes_for_separable_filters(rng):
    x = rng.standard_normal((9, 10))
    for name, kw in [("gaussian_filter", dict(sigma=1)), ("uniform_filter", dict(size=3)),
                     ("maximum_filter", dict(size=3)), ("minimum_filter", dict(size=4))]:
        ref = getattr(nd, name)(x, mode=["wrap", "constant"], cval=2, **kw)
        got = getattr(sn, name)(x, mode=["wrap", "constant"], cval=2, **kw)
        check(got, ref, "float64")


def test_output_argument(rng):
    x = rng.standard_normal((8, 9))
    out = np.empty((8, 9), np.float32)
    res = sn.gaussian_filter(x, 1.0, output=out)
    assert res is out
    check(out, nd.gaussian_filter(x, 1.0, output=np.float32), "float32")
    ref = nd.uniform_filter(x * 10, 3, output=np.int16)
    check(sn.uniform_filter(x * 10, 3, output=np.int16), ref, "int16")
    o = np.empty_like(x)
    assert sn.median_filter(x, 3, output=o) is o
    np.testing.assert_array_equal(o, nd.median_filter(x, 3))
    # in place: output is the input
    y = x.copy()
    sn.maximum_filter(y, 3, output=y)
    np.testing.assert_array_equal(y, nd.maximum_filter(x, 3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_array_of_the_compute_dtype_is_written_directly(rng, dtype):
    # C-contiguous, writeable, not overlapping: the passes write it (no copy); the other layouts
    # take the copying path; all equal the result without output=
    x = rng.standard_normal((30, 41)).astype(dtype)
    ref = sn.gaussian_filter(x, 2.0, mode="mirror")
    out = np.full(x.shape, np.nan, dtype)
    assert sn.gaussian_filter(x, 2.0, mode="mirror", output=out) is out
    np.testing.assert_array_equal(out, ref)
    wide = np.zeros((30, 82), dtype)
    strided = wide[:, ::2]
    assert sn.gaussian_filter(x, 2.0, mode="mirror", output=strided) is strided
    np.testing.assert_array_equal(strided, ref)
    assert not wide[:, 1::2].any()
    y = x.copy()  # in place
    assert sn.uniform_filter(y, 5, output=y) is y
    np.testing.assert_array_equal(y, sn.uniform_filter(x, 5))
    for fn in (sn.maximum_filter, sn.minimum_filter1d):
        out = np.full(x.shape, np.nan, dtype)
        assert fn(x, 4, output=out) is out
        np.testing.assert_array_equal(out, fn(x, 4))
    xi = (x * 100).astype(np.int64)
    out = np.zeros(x.shape, np.int64)
    assert sn.maximum_filter(xi, 3, output=out) is out
    np.testing.assert_array_equal(out, nd.maximum_filter(xi, 3))
    frozen = np.zeros_like(x)
    frozen.flags.writeable = False
    with pytest.raises(ValueError):
        sn.gaussian_filter(x, 2.0, output=frozen)


def test_sigma_zero_axes_are_skipped_as_in_scipy(rng):
    x = rng.standard_normal((6, 7))
    check(sn.gaussian_filter(x, [0, 1.5]), nd.gaussian_filter(x, [0, 1.5]), "float64")
    np.testing.assert_array_equal(sn.gaussian_filter(x, 0), x)


def test_golden_values():
    # scipy.ndimage.gaussian_filter1d([1., 2., 3., 4., 5.], 1) (scipy 1.17)
    np.testing.assert_allclose(
        sn.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1),
        [1.42704095, 2.06782203, 3.0, 3.93217797, 4.57295905], atol=1e-8)
    # scipy.ndimage.median_filter([[1, 9, 2], [8, 3, 7], [4, 6, 5]], size=3)
    np.testing.assert_array_equal(
        sn.median_filter(np.array([[1, 9, 2], [8, 3, 7], [4, 6, 5]]), size=3),
        [[3, 3, 3], [4, 5, 5], [4, 5, 5]])
    # scipy.ndimage.maximum_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3)
    np.testing.assert_array_equal(sn.maximum_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3),
                                  [8, 8, 8, 4, 9, 9, 9, 9])
    # scipy.ndimage.uniform_filter1d([2., 8, 0, 4, 1, 9, 9, 0], size=3, mode='wrap')
    np.testing.assert_allclose(
        sn.uniform_filter1d([2.0, 8, 0, 4, 1, 9, 9, 0], size=3, mode="wrap"),
        [10 / 3, 10 / 3, 4, 5 / 3, 14 / 3, 19 / 3, 6, 11 / 3])


def test_large_images_take_the_threaded_paths(rng):
    x = rng.standard_normal((300, 257)).astype(np.float32)
    for name, kw in [("gaussian_filter", dict(sigma=3)), ("uniform_filter", dict(size=21)),
                     ("maximum_filter", dict(size=(3, 17))), ("median_filter", dict(size=7)),
                     ("median_filter", dict(size=5))]:
        ref = getattr(nd, name)(x, **kw)
        got = getattr(sn, name)(x, **kw)
        check(got, ref, "float32", exact=name != "gaussian_filter" and name != "uniform_filter")
        np.testing.assert_array_equal(got, getattr(sn, name)(x, workers=1, **kw))


@pytest.mark.parametrize("shape", [(200, 2000), (300, 300), (40, 30, 200)])
def test_long_box_windows_give_the_same_float64_for_every_worker_count(rng, shape):
    # running sums restart at fixed blocks of rows, whatever the threads
    x = rng.standard_normal(shape)
    one = sn.uniform_filter(x, 25, workers=1)
    for workers in (2, 3):
        np.testing.assert_array_equal(sn.uniform_filter(x, 25, workers=workers), one)
    np.testing.assert_allclose(one, nd.uniform_filter(x, 25), rtol=0, atol=1e-14)


def test_linear_filters_spread_nan_like_scipy():
    x = np.arange(40.0).reshape(5, 8)
    x[2, 3] = np.nan
    for name, kw in [("gaussian_filter", dict(sigma=1)), ("correlate1d", dict(weights=[1, 2, 1])),
                     ("correlate", dict(weights=np.ones((3, 3))))]:
        np.testing.assert_array_equal(np.isnan(getattr(sn, name)(x, **kw)),
                                      np.isnan(getattr(nd, name)(x, **kw)))
    # uniform float32 (direct taps): NaN exactly over the windows that hold it; float64 (running
    # sums, as scipy) at least there, and further along the line, as scipy's running sums do.
    got = sn.uniform_filter(x.astype(np.float32), 3)
    assert np.isnan(got[1:4, 2:5]).all() and np.isnan(got).sum() == 9
    got = sn.uniform_filter(x, 3)
    assert np.isnan(got[1:4, 2:5]).all()


@pytest.mark.parametrize("name", ["median_filter", "minimum_filter", "maximum_filter"])
def test_order_filters_give_nan_where_the_window_holds_nan(rng, name):
    x = rng.standard_normal((12, 13)).astype(np.float32)
    x[3, 4] = x[10, 0] = np.nan
    for kw in [dict(size=3), dict(size=(5, 7)), dict(footprint=[[1, 0, 1], [0, 1, 0]])]:
        got = getattr(sn, name)(x, **kw)
        has_nan = nd.maximum_filter(np.isnan(x).astype(np.uint8), **kw) > 0
        np.testing.assert_array_equal(np.isnan(got), has_nan)
        # elsewhere: exactly scipy's result
        ref = getattr(nd, name)(np.where(np.isnan(x), 0, x), **kw)
        np.testing.assert_array_equal(got[~has_nan], ref[~has_nan])
    # a NaN cval reaches every window that touches the edge
    got = getattr(sn, name)(np.ones((5, 5)), size=3, mode="constant", cval=np.nan)
    assert np.isnan(got[0]).all() and not np.isnan(got[1:4, 1:4]).any()


def test_inputs_are_not_modified(rng):
    x = rng.standard_normal((10, 11)).astype(np.float32)
    x[2, 2] = np.nan
    keep = x.copy()
    w = np.ones((3, 3))
    fp = np.eye(3, dtype=bool)
    keep_fp = fp.copy()
    for f in [lambda: sn.gaussian_filter(x, 1), lambda: sn.uniform_filter(x, 3),
              lambda: sn.median_filter(x, 3), lambda: sn.median_filter(x, footprint=fp),
              lambda: sn.maximum_filter(x, 3), lambda: sn.minimum_filter1d(x, 20),
              lambda: sn.correlate(x, w), lambda: sn.convolve1d(x, [1, 2, 3])]:
        f()
        np.testing.assert_array_equal(x, keep)
    np.testing.assert_array_equal(fp, keep_fp)


def test_non_contiguous_and_reversed_inputs(rng):
    base = rng.standard_normal((20, 22))
    for x in (base[::2, ::-1], base.T, base[3:15, 5:9]):
        for name, kw in [("gaussian_filter", dict(sigma=1)), ("median_filter", dict(size=3)),
                         ("maximum_filter", dict(size=4))]:
            check(getattr(sn, name)(x, **kw), getattr(nd, name)(x, **kw), "float64")


def test_empty_and_tiny_inputs():
    for shape in [(0,), (0, 5), (1,), (1, 1), (2, 1)]:
        x = np.ones(shape)
        for name, kw in [("gaussian_filter", dict(sigma=1)), ("median_filter", dict(size=3)),
                         ("maximum_filter", dict(size=3)), ("uniform_filter", dict(size=3))]:
            got = getattr(sn, name)(x, **kw)
            assert got.shape == shape
            np.testing.assert_allclose(got, getattr(nd, name)(x, **kw))


def test_device_and_workers():
    import sigconv

    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(sn.median_filter(x, 3, device="auto"), nd.median_filter(x, 3))
    # Every filter here has a GPU kernel: they compute there when an adapter answers
    # (tests/python/test_gpu.py compares them in detail), and raise GpuUnavailableError otherwise
    # rather than run on the CPU.
    if any(d["device"] == "gpu" for d in sigconv.devices()):
        np.testing.assert_allclose(sn.correlate(x, np.ones((2, 2)), device="gpu"),
                                   nd.correlate(x, np.ones((2, 2))), rtol=1e-6)
        np.testing.assert_allclose(sn.gaussian_filter(x, 1, device="gpu"),
                                   nd.gaussian_filter(x, 1), rtol=1e-6)
        np.testing.assert_array_equal(sn.median_filter(x, 3, device="gpu"), nd.median_filter(x, 3))
        np.testing.assert_array_equal(sn.maximum_filter1d(x, 3, device="gpu"),
                                      nd.maximum_filter1d(x, 3))
    else:
        for call in (lambda: sn.correlate(x, np.ones((2, 2)), device="gpu"),
                     lambda: sn.gaussian_filter(x, 1, device="gpu"),
                     lambda: sn.median_filter(x, 3, device="gpu")):
            with pytest.raises(sigconv.GpuUnavailableError):
                call()
    with pytest.raises(ValueError, match="workers"):
        sn.gaussian_filter(x, 1, workers=0)
