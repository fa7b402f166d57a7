"""The sparse matrix of a convolution (:func:`sigconv.conv_matrix`)."""

import numbers

import numpy as np

from sigconv import _core

_MODES = ("full", "same", "valid")


def _input_shape(input_shape):
    items = [input_shape] if isinstance(input_shape, numbers.Integral) else input_shape
    try:
        shape = tuple(items)
    except TypeError:
        shape = None
    if (
        not shape
        or any(isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) for n in shape)
        or any(n < 1 for n in shape)
    ):
        raise ValueError(
            f"input_shape must be a positive integer or a non-empty sequence of positive integers; "
            f"got input_shape={input_shape!r}"
        )
    return tuple(int(n) for n in shape)


def _axis_window(mode, n, m):
    """``(out_len, full_offset)`` of `mode` on one axis: output ``o`` is full sample ``o + offset``
    (scipy.signal.convolve's rules; 'valid' with the larger operand first)."""
    if mode == "full":
        return n + m - 1, 0
    if mode == "same":
        return n, (m - 1) // 2
    return abs(n - m) + 1, min(n, m) - 1


def conv_matrix(kernel, input_shape, mode="full"):
    r"""The sparse matrix of convolving an array of `input_shape` with `kernel`.

    Returns the matrix :math:`M` with

    .. math::

        M\,\mathrm{vec}(x) = \mathrm{vec}(\mathrm{convolve}(x, \mathrm{kernel}, \mathrm{mode}))

    for every `x` of `input_shape`, ``vec`` being numpy's row-major ``ravel``: row ``r`` holds the
    taps that output sample ``r`` gathers, ``M[r, c] = kernel[o - i]`` where ``o`` (in the full
    convolution) and ``i`` are the multi-indices of ``r`` and ``c``. Useful to write a convolution
    as a linear map: its adjoint ``M.T`` (the correlation), least-squares deconvolution, or
    regularised inverse problems with scipy.sparse.linalg.

    Parameters
    ----------
    kernel : array_like
        The kernel, with one axis per axis of the input (1-D, 2-D or more).
    input_shape : int or tuple of int
        Shape of the arrays the matrix applies to (an int for 1-D).
    mode : {'full', 'same', 'valid'}, optional
        As :func:`sigconv.signal.convolve` (and scipy.signal.convolve): the output has shape
        ``input_shape + kernel.shape - 1``, ``input_shape``, or ``|input_shape - kernel.shape| + 1``.

    Returns
    -------
    scipy.sparse.csr_array
        Of shape ``(prod(output shape), prod(input_shape))`` and the kernel's dtype (bool kernels
        become int64); taps that are exactly zero are not stored.

    Raises
    ------
    ValueError
        For an empty kernel, a kernel whose number of axes differs from `input_shape`'s, a bad
        `mode`, or a 'valid' convolution where neither shape contains the other.
    TypeError
        For a kernel that is not numeric.

    See Also
    --------
    sigconv.signal.convolve

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv
    >>> M = sigconv.conv_matrix([1.0, 2.0, 3.0], 4, mode='same')
    >>> M.toarray()
    array([[2., 1., 0., 0.],
           [3., 2., 1., 0.],
           [0., 3., 2., 1.],
           [0., 0., 3., 2.]])
    >>> x = np.array([1.0, 0.0, -1.0, 2.0])
    >>> M @ x
    array([2., 2., 0., 1.])
    >>> sigconv.signal.convolve(x, [1.0, 2.0, 3.0], mode='same')
    array([2., 2., 0., 1.])
    """
    import scipy.sparse

    k = np.asarray(kernel)
    if k.dtype.kind not in "biufc":
        raise TypeError(f"kernel must be a numeric array; got dtype {k.dtype}")
    if k.dtype.kind == "b":
        k = k.astype(np.int64)
    if not isinstance(mode, str) or mode not in _MODES:
        listed = ", ".join(repr(m) for m in _MODES)
        raise ValueError(f"mode must be one of {listed}; got mode={mode!r}")
    shape = _input_shape(input_shape)
    if k.ndim != len(shape):
        raise ValueError(
            f"kernel has {k.ndim} axes but input_shape={shape} has {len(shape)}; "
            "they need the same number"
        )
    if k.size == 0:
        raise ValueError(f"kernel must not be empty; got shape {k.shape}")
    _core.valid_swap_needed(mode, list(shape), list(k.shape))  # 'valid': one must contain the other

    windows = [_axis_window(mode, n, m) for n, m in zip(shape, k.shape)]
    out_shape = tuple(w[0] for w in windows)
    # On a grid of (output multi-index, tap multi-index), with taps in reverse order: output o reads
    # input i = o + offset - j along each axis, valid where 0 <= i < n. Raveled row-major, the grid
    # lists rows in order and, within a row, columns in increasing order: the CSR arrays directly.
    ndim = len(shape)
    valid = np.ones((1,) * 2 * ndim, dtype=bool)
    cols = np.zeros((1,) * 2 * ndim, dtype=np.int64)
    taps = np.zeros((1,) * 2 * ndim, dtype=np.int64)
    for d, ((out_len, offset), n, m) in enumerate(zip(windows, shape, k.shape)):
        grid = [1] * 2 * ndim
        grid[d], grid[ndim + d] = out_len, m
        j = np.arange(m - 1, -1, -1, dtype=np.int64)
        i = (np.arange(out_len, dtype=np.int64)[:, None] + offset - j).reshape(grid)
        valid = valid & (i >= 0) & (i < n)
        cols = cols * n + i
        taps = taps * m + j.reshape([m if a == ndim + d else 1 for a in range(2 * ndim)])
    n_out, n_in = int(np.prod(out_shape)), int(np.prod(shape))
    data = k.ravel()[np.broadcast_to(taps, valid.shape)]
    keep = valid & (data != 0)
    counts = keep.reshape(n_out, -1).sum(axis=1)
    indptr = np.zeros(n_out + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.broadcast_to(cols, valid.shape)[keep]
    matrix = scipy.sparse.csr_array((data[keep], indices, indptr), shape=(n_out, n_in))
    matrix.has_sorted_indices = True
    return matrix
