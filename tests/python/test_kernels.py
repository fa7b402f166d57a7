"""sigconv.kernels: golden values, and convolving with each kernel matches scipy.ndimage's own filter
(under the same boundary mode everywhere; with sigconv.signal.convolve in the interior)."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from sigconv import kernels, signal


@pytest.fixture
def image(rng):
    return rng.standard_normal((23, 31))


def interior(a, r):
    return a[(slice(r, -r),) * a.ndim]


# --- golden values ------------------------------------------------------------------------------


def test_golden_small_kernels():
    np.testing.assert_array_equal(kernels.sobel("x"), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(kernels.sobel("y"), [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    np.testing.assert_array_equal(kernels.prewitt(-1), [[1, 0, -1]] * 3)
    np.testing.assert_array_equal(kernels.scharr(0), [[3, 10, 3], [0, 0, 0], [-3, -10, -3]])
    np.testing.assert_array_equal(kernels.laplacian(4), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(kernels.laplacian(8), [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    np.testing.assert_array_equal(kernels.laplacian(ndim=1), [1, -2, 1])
    np.testing.assert_array_equal(kernels.sharpen(), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(kernels.vertical_edge(), kernels.prewitt("x"))
    np.testing.assert_array_equal(kernels.horizontal_edge(), kernels.prewitt("y"))
    np.testing.assert_array_equal(kernels.horizontal_edge(4), kernels.vertical_edge(4).T)
    np.testing.assert_array_equal(kernels.vertical_edge(4)[0], [1, 1, -1, -1])
    np.testing.assert_array_equal(kernels.identity(3, 1), [0, 1, 0])
    np.testing.assert_array_equal(kernels.box(2, 2), np.full((2, 2), 0.25))
    np.testing.assert_array_equal(kernels.box((2, 3), normalize=False), np.ones((2, 3)))


def test_golden_gaussian():
    # scipy.ndimage._filters._gaussian_kernel1d(1.0, 0, 2) ->
    # [0.05448868, 0.24420134, 0.40261995, 0.24420134, 0.05448868]
    np.testing.assert_allclose(
        kernels.gaussian(1.0, radius=2),
        [0.05448868, 0.24420134, 0.40261995, 0.24420134, 0.05448868],
        atol=1e-8,
    )
    assert kernels.gaussian(1.0).shape == (9,)  # int(4 * 1 + 0.5) = 4
    assert kernels.gaussian(1.5, truncate=3.0).shape == (11,)  # int(4.5 + 0.5) = 5
    assert kernels.gaussian((1.0, 2.0)).shape == (9, 17)
    np.testing.assert_allclose(kernels.gaussian(2.0, ndim=3).sum(), 1.0, rtol=1e-12)


def test_normalized_gradients():
    np.testing.assert_allclose(kernels.sobel("x", normalize=True),
                               np.outer([0.25, 0.5, 0.25], [0.5, 0, -0.5]))
    # a unit ramp along x has gradient 1 per sample
    ramp = np.tile(np.arange(10.0), (6, 1))
    for fn in (kernels.sobel, kernels.prewitt, kernels.scharr):
        g = signal.convolve(ramp, fn("x", normalize=True), "valid")
        np.testing.assert_allclose(g, 1.0)


def test_dtypes_and_shapes():
    assert kernels.sobel(dtype=np.float32).dtype == np.float32
    assert kernels.gaussian(1.0, 2, dtype=np.float32).dtype == np.float32
    assert kernels.box(3).dtype == np.float64
    assert kernels.sobel(axis=2, ndim=3).shape == (3, 3, 3)
    assert kernels.laplacian(26, 3).shape == (3, 3, 3)
    assert kernels.laplacian_of_gaussian((1.0, 1.0, 1.0)).shape == (9, 9, 9)


# --- against scipy.ndimage's filters --------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_gradients_match_ndimage(image, name, axis):
    k = getattr(kernels, name)(axis)
    want = getattr(ndi, name)(image, axis=axis, mode="reflect")
    np.testing.assert_allclose(ndi.convolve(image, k, mode="reflect"), want, atol=1e-12)
    got = signal.convolve(image, k, "same")
    np.testing.assert_allclose(interior(got, 1), interior(want, 1), atol=1e-12)


def test_sobel_3d_matches_ndimage(rng):
    x = rng.standard_normal((7, 8, 9))
    for axis in range(3):
        want = ndi.sobel(x, axis=axis, mode="nearest")
        got = ndi.convolve(x, kernels.sobel(axis, ndim=3), mode="nearest")
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_laplacian_matches_ndimage(image):
    want = ndi.laplace(image, mode="mirror")
    np.testing.assert_allclose(ndi.convolve(image, kernels.laplacian(), mode="mirror"), want,
                               atol=1e-12)
    got = signal.convolve(image, kernels.laplacian(), "same")
    np.testing.assert_allclose(interior(got, 1), interior(want, 1), atol=1e-12)


@pytest.mark.parametrize("sigma,order", [(1.0, 0), (2.5, 0), ((1.0, 2.0), 0), (1.5, (0, 1)),
                                         (1.5, (1, 0)), (1.2, (2, 0)), (1.2, 1)])
def test_gaussian_matches_gaussian_filter(image, sigma, order):
    want = ndi.gaussian_filter(image, sigma, order=order, mode="wrap")
    k = kernels.gaussian(sigma, 2, order=order)
    np.testing.assert_allclose(ndi.convolve(image, k, mode="wrap"), want, atol=1e-12)


def test_gaussian_radius_and_truncate_match_gaussian_filter(image):
    for kw in ({"truncate": 2.0}, {"radius": 3}, {"radius": (1, 4)}):
        want = ndi.gaussian_filter(image, 1.7, mode="reflect", **kw)
        got = ndi.convolve(image, kernels.gaussian(1.7, 2, **kw), mode="reflect")
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_gaussian_1d_interior_with_signal_convolve(rng):
    x = rng.standard_normal(200)
    k = kernels.gaussian(3.0)
    r = k.size // 2
    want = ndi.gaussian_filter1d(x, 3.0)
    np.testing.assert_allclose(signal.convolve(x, k, "same")[r:-r], want[r:-r], atol=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 2.0, (1.0, 1.5)])
def test_laplacian_of_gaussian_matches_gaussian_laplace(image, sigma):
    want = ndi.gaussian_laplace(image, sigma, mode="reflect")
    got = ndi.convolve(image, kernels.laplacian_of_gaussian(sigma), mode="reflect")
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_box_matches_uniform_filter(image):
    want = ndi.uniform_filter(image, 5, mode="nearest")
    np.testing.assert_allclose(ndi.convolve(image, kernels.box(5, 2), mode="nearest"), want,
                               atol=1e-12)


def test_scharr_matches_opencv(image):
    cv2 = pytest.importorskip("cv2")
    for axis, (dx, dy) in (("x", (1, 0)), ("y", (0, 1))):
        want = cv2.Scharr(image, -1, dx, dy)
        got = signal.convolve(image, kernels.scharr(axis), "same")
        np.testing.assert_allclose(interior(got, 1), interior(want, 1), atol=1e-10)


def test_sharpen_and_unsharp_keep_flat_regions():
    flat = np.full((30, 30), 3.0)
    for k in (kernels.sharpen(), kernels.sharpen(0.3), kernels.unsharp_mask(1.5, 2.0)):
        out = signal.convolve(flat, k, "valid")
        assert out.shape == (31 - k.shape[0],) * 2
        np.testing.assert_allclose(out, 3.0, atol=1e-12)


def test_unsharp_mask_is_image_plus_detail(image):
    g = kernels.gaussian(1.0, 2)
    blur = ndi.convolve(image, g, mode="reflect")
    want = image + 0.7 * (image - blur)
    got = ndi.convolve(image, kernels.unsharp_mask(1.0, 0.7), mode="reflect")
    np.testing.assert_allclose(got, want, atol=1e-12)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: kernels.box(0), r"size must be at least 1; got size=0"),
        (lambda: kernels.box(2.5), r"size must be an integer; got size=2.5"),
        (lambda: kernels.box((3, 3), ndim=3), r"size=\(3, 3\) has 2 axes but ndim=3"),
        (lambda: kernels.gaussian(0.0), r"sigma must be a positive.*sigma=0.0"),
        (lambda: kernels.gaussian(-1), r"sigma.*sigma=-1"),
        (lambda: kernels.gaussian(1.0, order=3), r"order must be 0, 1 or 2; got order=3"),
        (lambda: kernels.gaussian((1.0, 2.0), ndim=3), r"sigma needs one value per axis \(3\)"),
        (lambda: kernels.gaussian(1.0, radius=-1), r"radius must be at least 0"),
        (lambda: kernels.sobel(axis=2), r"axis=2 is out of range for a 2-D kernel"),
        (lambda: kernels.sobel(axis="z"), r"axis must be an integer or one of 'x', 'y'.*'z'"),
        (lambda: kernels.prewitt(axis="y", ndim=1), r"axis=.*'y'"),
        (lambda: kernels.laplacian(6), r"neighbors must be 4 \(axial\) or 8 \(all\).*neighbors=6"),
        (lambda: kernels.sharpen(-1.0), r"amount must be a positive.*amount=-1.0"),
        (lambda: kernels.vertical_edge(1), r"size must be at least 2; got size=1"),
        # a huge ndim used to loop for ever (sobel, laplacian) or overflow in numpy (box)
        (lambda: kernels.sobel(-1, 10**12), r"ndim must be at most 64; got ndim=1000000000000"),
        (lambda: kernels.laplacian(None, 10**12), r"ndim must be at most 64"),
        (lambda: kernels.box(3, 2**64), r"ndim must be at most 64"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integer_dtype_is_refused():
    with pytest.raises(TypeError, match="dtype must be a floating or complex type; got dtype=int64"):
        kernels.box(3, dtype=np.int64)


def test_docstring_examples():
    import doctest

    result = doctest.testmod(kernels, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 12
    assert result.failed == 0
