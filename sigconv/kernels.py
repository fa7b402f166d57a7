"""The classic convolution kernels, as numpy arrays.

Every kernel here is a **convolution** kernel: ``signal.convolve(x, k, 'same')`` (or
``ndimage.convolve(x, k)``) applies it. Those that scipy.ndimage also defines match its filters:
convolving with :func:`sobel` gives ``scipy.ndimage.sobel``, with :func:`gaussian` gives
``scipy.ndimage.gaussian_filter``, with :func:`laplacian` gives ``scipy.ndimage.laplace``, and with
:func:`laplacian_of_gaussian` gives ``scipy.ndimage.gaussian_laplace``, in the interior (and
everywhere, under the same boundary mode). To *correlate* instead (as CNN layers and OpenCV's
``filter2D`` do), flip the kernel on every axis: ``k[::-1, ::-1]``.

Axes follow numpy: in 2-D, axis 0 (``'y'``) runs down the rows and axis 1 (``'x'``) along them.
Derivative kernels respond positively where the intensity *increases* along their axis (left to
right, top to bottom).

Kernels are float64 unless ``dtype=`` says otherwise; building one is a few numpy operations, its
use is the engine's work.
"""

import numbers

import numpy as np

__all__ = [
    "box",
    "gaussian",
    "laplacian_of_gaussian",
    "sobel",
    "prewitt",
    "scharr",
    "laplacian",
    "vertical_edge",
    "horizontal_edge",
    "sharpen",
    "unsharp_mask",
    "identity",
]

# ----------------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------------


def _int(value, name, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {name}={value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {name}={value!r}")
    return int(value)


def _positive(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive number; got {name}={value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite number; got {name}={value!r}")
    return float(value)


# numpy 2 arrays have at most 64 axes.
_MAXDIMS = 64


def _ndim(ndim):
    ndim = _int(ndim, "ndim", minimum=1)
    # beyond numpy's axes sobel(ndim=10**12) looped for ever and box(3, 2**64) raised OverflowError
    if ndim > _MAXDIMS:
        raise ValueError(f"ndim must be at most {_MAXDIMS}; got ndim={ndim!r}")
    return ndim


def _per_axis(value, ndim, name):
    """A list of `ndim` values: a scalar repeated, or a sequence of exactly `ndim` values."""
    if np.iterable(value) and not isinstance(value, str):
        values = list(value)
        if len(values) != ndim:
            raise ValueError(f"{name} needs one value per axis ({ndim}); got {name}={value!r}")
        return values
    return [value] * ndim


def _shape_and_ndim(size, ndim, name="size"):
    """``size`` as a shape: a tuple gives the shape (and `ndim` must agree when given), an integer is
    repeated `ndim` times (1 when None)."""
    if np.iterable(size) and not isinstance(size, str):
        shape = [_int(s, name) for s in size]
        if not shape:
            raise ValueError(f"{name} must not be empty; got {name}={size!r}")
        if ndim is not None and _ndim(ndim) != len(shape):
            raise ValueError(f"{name}={size!r} has {len(shape)} axes but ndim={ndim!r}")
        return shape
    return [_int(size, name)] * (1 if ndim is None else _ndim(ndim))


def _axis(axis, ndim):
    """`axis` as a non-negative int; ``'x'`` is the last axis and ``'y'`` the one before it."""
    named = {"x": ndim - 1, "y": ndim - 2}
    if isinstance(axis, str):
        if axis not in named or named[axis] < 0:
            raise ValueError(
                f"axis must be an integer or one of 'x', 'y' (for ndim >= 2); got axis={axis!r}"
            )
        return named[axis]
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer or 'x' or 'y'; got axis={axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis={axis!r} is out of range for a {ndim}-D kernel")
    return int(axis) % ndim


def _dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        raise TypeError(f"dtype must be a floating or complex type; got dtype={dtype}")
    return dtype


def _outer(factors):
    """The N-d kernel whose entries are products of 1-D factors, one per axis."""
    out = np.ones(())
    for f in factors:
        out = np.multiply.outer(out, np.asarray(f, dtype=np.float64))
    return out


# ----------------------------------------------------------------------------------------------------
# Smoothing
# ----------------------------------------------------------------------------------------------------


def box(size, ndim=None, *, normalize=True, dtype=np.float64):
    r"""Box (moving-average) kernel: every tap ``1 / size`` (or 1 without `normalize`).

    Parameters
    ----------
    size : int or sequence of int
        Length on each axis; a sequence gives the shape.
    ndim : int, optional
        Number of axes when `size` is an integer (default 1).
    normalize : bool, optional
        Taps sum to 1 (default); otherwise every tap is 1.
    dtype : dtype, optional
        float64 by default.

    Returns
    -------
    ndarray
        The kernel, of shape ``(size,) * ndim`` or `size`.

    See Also
    --------
    scipy.ndimage.uniform_filter : the filter this kernel gives (for odd sizes, in the interior).

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.box(4)
    array([0.25, 0.25, 0.25, 0.25])
    >>> kernels.box(3, ndim=2, normalize=False)
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    shape = _shape_and_ndim(size, ndim)
    k = np.ones(shape, dtype=np.float64)
    if normalize:
        k /= k.size
    return k.astype(_dtype(dtype))


def _radius(sigma, truncate, radius, name="radius"):
    if radius is not None:
        return _int(radius, name, minimum=0)
    return int(truncate * sigma + 0.5)


def _gaussian_1d(sigma, order, radius):
    """scipy.ndimage's ``_gaussian_kernel1d`` as a convolution kernel: the sampled Gaussian on
    ``-radius .. radius`` normalised to sum 1, times the polynomial of its `order`-th derivative."""
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    s2 = sigma * sigma
    phi = np.exp(-0.5 / s2 * x * x)
    phi /= phi.sum()
    if order == 0:
        return phi
    if order == 1:
        return -x / s2 * phi
    return (x * x / (s2 * s2) - 1.0 / s2) * phi


def gaussian(sigma, ndim=None, *, order=0, truncate=4.0, radius=None, dtype=np.float64):
    r"""Sampled Gaussian kernel, normalised as scipy.ndimage does.

    On each axis, :math:`g[i] = e^{-i^2 / (2\sigma^2)} / \sum_j e^{-j^2 / (2\sigma^2)}` for
    ``i = -r .. r``, with radius ``r = int(truncate * sigma + 0.5)`` (or `radius`); the N-d kernel is
    the outer product of the axes' kernels, so that convolving with it equals
    ``scipy.ndimage.gaussian_filter(x, sigma, order, truncate=truncate, radius=radius)`` under the
    same boundary mode.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in samples, one for every axis or one per axis.
    ndim : int, optional
        Number of axes when `sigma`, `order` and `radius` are scalars (default 1).
    order : int or sequence of int, optional
        0 (default) smooths; 1 and 2 give the first and second derivative of the Gaussian along
        that axis, as scipy's `order`.
    truncate : float, optional
        Radius in standard deviations (default 4.0, as scipy).
    radius : int or sequence of int, optional
        Explicit radius, overriding `truncate`.
    dtype : dtype, optional
        float64 by default.

    Returns
    -------
    ndarray
        Shape ``2 * r + 1`` on each axis.

    See Also
    --------
    scipy.ndimage.gaussian_filter

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import kernels
    >>> np.round(kernels.gaussian(1.0, radius=2), 4)
    array([0.0545, 0.2442, 0.4026, 0.2442, 0.0545])
    >>> kernels.gaussian(2.0, ndim=2).shape
    (17, 17)
    """
    count = ndim
    for v in (sigma, order, radius):
        if np.iterable(v) and not isinstance(v, str):
            count = len(list(v)) if count is None else count
    count = 1 if count is None else _ndim(count)
    sigmas = [_positive(s, "sigma") for s in _per_axis(sigma, count, "sigma")]
    orders = [_int(o, "order", minimum=0) for o in _per_axis(order, count, "order")]
    for o in orders:
        if o > 2:
            raise ValueError(f"order must be 0, 1 or 2; got order={order!r}")
    truncate = _positive(truncate, "truncate")
    radii = [_radius(s, truncate, r) for s, r in zip(sigmas, _per_axis(radius, count, "radius"))]
    k = _outer(_gaussian_1d(s, o, r) for s, o, r in zip(sigmas, orders, radii))
    return k.astype(_dtype(dtype))


def laplacian_of_gaussian(sigma, ndim=2, *, truncate=4.0, radius=None, dtype=np.float64):
    r"""Laplacian-of-Gaussian kernel: the sum over axes of the Gaussian's second derivative along
    that axis (smoothed along the others), as ``scipy.ndimage.gaussian_laplace`` computes it.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in samples.
    ndim : int, optional
        Number of axes when `sigma` is a scalar (default 2).
    truncate : float, optional
        Radius in standard deviations (default 4.0).
    radius : int or sequence of int, optional
        Explicit radius, overriding `truncate`.
    dtype : dtype, optional
        float64 by default.

    Returns
    -------
    ndarray
        Negative at the centre; its taps sum to (almost) zero.

    See Also
    --------
    scipy.ndimage.gaussian_laplace

    Examples
    --------
    >>> from sigconv import kernels
    >>> k = kernels.laplacian_of_gaussian(1.5)
    >>> k.shape, bool(k[6, 6] < 0), bool(abs(k.sum()) < 1e-3)
    ((13, 13), True, True)
    """
    if np.iterable(sigma) and not isinstance(sigma, str):
        ndim = len(list(sigma))
    ndim = _ndim(ndim)
    total = None
    for axis in range(ndim):
        order = [0] * ndim
        order[axis] = 2
        part = gaussian(sigma, ndim, order=order, truncate=truncate, radius=radius)
        total = part if total is None else total + part
    return total.astype(_dtype(dtype))


# ----------------------------------------------------------------------------------------------------
# Derivatives and edges
# ----------------------------------------------------------------------------------------------------


def _gradient(derivative, smooth, axis, ndim, normalize, dtype):
    ndim = _ndim(ndim)
    axis = _axis(axis, ndim)
    smooth = np.asarray(smooth, dtype=np.float64)
    derivative = np.asarray(derivative, dtype=np.float64)
    if normalize:
        smooth = smooth / smooth.sum()
        derivative = derivative / np.abs(derivative).sum()
    k = _outer(derivative if d == axis else smooth for d in range(ndim))
    return k.astype(_dtype(dtype))


def sobel(axis=-1, ndim=2, *, normalize=False, dtype=np.float64):
    r"""Sobel derivative kernel along `axis`: the central difference ``[1, 0, -1]`` (as a
    convolution: ``x[i+1] - x[i-1]``) on that axis, the smoothing ``[1, 2, 1]`` on every other.

    Convolving with it gives ``scipy.ndimage.sobel(x, axis)``. In 2-D, ``sobel('x')`` is
    :math:`G_x = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]` (the textbook form, applied by convolution).

    Parameters
    ----------
    axis : int or {'x', 'y'}, optional
        The axis of the derivative; ``'x'`` is the last axis (default), ``'y'`` the one before.
    ndim : int, optional
        Number of axes (default 2).
    normalize : bool, optional
        Divide the smoothing taps by 4 and the difference by 2, so the kernel gives the gradient in
        units per sample (default False, as scipy).
    dtype : dtype, optional
        float64 by default.

    See Also
    --------
    scipy.ndimage.sobel, prewitt, scharr

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.sobel('x')
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]])
    >>> kernels.sobel(axis=0)
    array([[ 1.,  2.,  1.],
           [ 0.,  0.,  0.],
           [-1., -2., -1.]])
    """
    return _gradient([1, 0, -1], [1, 2, 1], axis, ndim, normalize, dtype)


def prewitt(axis=-1, ndim=2, *, normalize=False, dtype=np.float64):
    r"""Prewitt derivative kernel along `axis`: ``[1, 0, -1]`` on that axis, ``[1, 1, 1]`` on every
    other. Convolving with it gives ``scipy.ndimage.prewitt(x, axis)``.

    Parameters
    ----------
    axis : int or {'x', 'y'}, optional
        The axis of the derivative; ``'x'`` is the last axis (default).
    ndim : int, optional
        Number of axes (default 2).
    normalize : bool, optional
        Divide the smoothing taps by 3 and the difference by 2 (default False, as scipy).
    dtype : dtype, optional
        float64 by default.

    See Also
    --------
    scipy.ndimage.prewitt, sobel

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.prewitt('y')
    array([[ 1.,  1.,  1.],
           [ 0.,  0.,  0.],
           [-1., -1., -1.]])
    """
    return _gradient([1, 0, -1], [1, 1, 1], axis, ndim, normalize, dtype)


def scharr(axis=-1, ndim=2, *, normalize=False, dtype=np.float64):
    r"""Scharr derivative kernel along `axis`: ``[1, 0, -1]`` on that axis, ``[3, 10, 3]`` on every
    other (better rotational symmetry than Sobel). In 2-D, convolving with ``scharr('x')`` gives
    OpenCV's ``cv2.Scharr(x, -1, 1, 0)``.

    Parameters
    ----------
    axis : int or {'x', 'y'}, optional
        The axis of the derivative; ``'x'`` is the last axis (default).
    ndim : int, optional
        Number of axes (default 2).
    normalize : bool, optional
        Divide the smoothing taps by 16 and the difference by 2 (default False, as OpenCV).
    dtype : dtype, optional
        float64 by default.

    See Also
    --------
    sobel, prewitt

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.scharr('x')
    array([[  3.,   0.,  -3.],
           [ 10.,   0., -10.],
           [  3.,   0.,  -3.]])
    """
    return _gradient([1, 0, -1], [3, 10, 3], axis, ndim, normalize, dtype)


def _edge(size, axis, dtype):
    size = _int(size, "size", minimum=2)
    half = size // 2
    derivative = [1.0] * half + [0.0] * (size % 2) + [-1.0] * half
    return _gradient(derivative, np.ones(size), axis, 2, False, dtype)


def vertical_edge(size=3, *, dtype=np.float64):
    r"""Vertical-edge detector (2-D): ``+1`` in the left columns, ``-1`` in the right ones, 0 in the
    middle column, so that the convolution is the sum of the pixels to the right minus those to the
    left: positive on a dark-to-bright edge seen left to right. For ``size=3`` it is
    ``prewitt('x')``.

    Parameters
    ----------
    size : int, optional
        Width and height (default 3); an even size has no zero column.
    dtype : dtype, optional
        float64 by default.

    See Also
    --------
    horizontal_edge, prewitt, sobel

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.vertical_edge()
    array([[ 1.,  0., -1.],
           [ 1.,  0., -1.],
           [ 1.,  0., -1.]])
    """
    return _edge(size, -1, dtype)


def horizontal_edge(size=3, *, dtype=np.float64):
    r"""Horizontal-edge detector (2-D): ``+1`` in the top rows, ``-1`` in the bottom ones, so that
    the convolution is positive on a dark-to-bright edge seen top to bottom. For ``size=3`` it is
    ``prewitt('y')``; it is the transpose of :func:`vertical_edge`.

    Parameters
    ----------
    size : int, optional
        Width and height (default 3).
    dtype : dtype, optional
        float64 by default.

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.horizontal_edge()
    array([[ 1.,  1.,  1.],
           [ 0.,  0.,  0.],
           [-1., -1., -1.]])
    """
    return _edge(size, 0, dtype)


def laplacian(neighbors=None, ndim=2, *, dtype=np.float64):
    r"""Discrete Laplacian: the sum over axes of the second difference ``[1, -2, 1]``.

    With ``neighbors=4`` in 2-D (``2 * ndim`` in N-d: the axial neighbours) it is
    ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` and convolving with it gives ``scipy.ndimage.laplace``;
    with ``neighbors=8`` (``3**ndim - 1``: every neighbour of the 3 x 3 block) it is
    ``[[1, 1, 1], [1, -8, 1], [1, 1, 1]]``.

    Parameters
    ----------
    neighbors : int, optional
        4 or 8 in 2-D; ``2 * ndim`` or ``3**ndim - 1`` in general. Default: the axial
        neighbours (4 in 2-D, 2 in 1-D).
    ndim : int, optional
        Number of axes (default 2).
    dtype : dtype, optional
        float64 by default.

    See Also
    --------
    scipy.ndimage.laplace, laplacian_of_gaussian

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.laplacian()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    >>> kernels.laplacian(ndim=1)
    array([ 1., -2.,  1.])
    """
    ndim = _ndim(ndim)
    axial, full = 2 * ndim, 3**ndim - 1
    if neighbors is None:
        neighbors = axial
    if isinstance(neighbors, (bool, np.bool_)) or neighbors not in (axial, full):
        raise ValueError(
            f"neighbors must be {axial} (axial) or {full} (all) for a {ndim}-D Laplacian; "
            f"got neighbors={neighbors!r}"
        )
    k = np.zeros((3,) * ndim)
    centre = (1,) * ndim
    if neighbors == full and full != axial:
        k[...] = 1.0
    else:
        for axis in range(ndim):
            for side in (0, 2):
                index = list(centre)
                index[axis] = side
                k[tuple(index)] = 1.0
    k[centre] = -neighbors
    return k.astype(_dtype(dtype))


# ----------------------------------------------------------------------------------------------------
# Sharpening
# ----------------------------------------------------------------------------------------------------


def identity(size=3, ndim=2, *, dtype=np.float64):
    """The kernel that changes nothing: 1 at the centre ``size // 2``, 0 elsewhere.

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.identity(3, ndim=1)
    array([0., 1., 0.])
    """
    shape = _shape_and_ndim(size, ndim)
    k = np.zeros(shape)
    k[tuple(s // 2 for s in shape)] = 1.0
    return k.astype(_dtype(dtype))


def sharpen(amount=1.0, ndim=2, *, dtype=np.float64):
    r"""Laplacian sharpening: ``identity - amount * laplacian(4)``, which for ``amount=1`` in 2-D is
    ``[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``. The taps sum to 1: flat regions are kept.

    Parameters
    ----------
    amount : float, optional
        Strength (default 1.0).
    ndim : int, optional
        Number of axes (default 2).
    dtype : dtype, optional
        float64 by default.

    Examples
    --------
    >>> from sigconv import kernels
    >>> kernels.sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    """
    amount = _positive(amount, "amount")
    ndim = _ndim(ndim)
    k = identity(3, ndim) - amount * laplacian(2 * ndim, ndim)
    return k.astype(_dtype(dtype))


def unsharp_mask(sigma=1.0, amount=1.0, ndim=2, *, truncate=4.0, dtype=np.float64):
    r"""Unsharp-mask kernel: ``identity + amount * (identity - gaussian(sigma))``, the image plus
    `amount` times its detail above the Gaussian blur. The taps sum to 1.

    Parameters
    ----------
    sigma : float, optional
        Blur of the mask, in samples (default 1.0).
    amount : float, optional
        Strength (default 1.0).
    ndim : int, optional
        Number of axes (default 2).
    truncate : float, optional
        Radius of the Gaussian in standard deviations (default 4.0).
    dtype : dtype, optional
        float64 by default.

    Examples
    --------
    >>> from sigconv import kernels
    >>> k = kernels.unsharp_mask(1.0, 0.5)
    >>> k.shape, round(float(k.sum()), 12)
    ((9, 9), 1.0)
    """
    amount = _positive(amount, "amount")
    g = gaussian(sigma, _ndim(ndim), truncate=truncate)
    delta = identity(g.shape, None)
    k = delta + amount * (delta - g)
    return k.astype(_dtype(dtype))
