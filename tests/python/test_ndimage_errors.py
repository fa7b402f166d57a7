"""Bad arguments to sigconv.ndimage: the exception type and a message naming the parameter."""

import numpy as np
import pytest

from sigconv import ndimage as sn

X = np.arange(20.0).reshape(4, 5)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: sn.uniform_filter(X, size=0), ValueError, "size"),
    (lambda: sn.uniform_filter(X, size=-3), ValueError, "size"),
    (lambda: sn.uniform_filter(X, size=2.5), ValueError, "size"),
    (lambda: sn.uniform_filter(X, size=(3, 3, 3)), ValueError, "size"),
    (lambda: sn.uniform_filter1d(X, size=0), ValueError, "size"),
    (lambda: sn.maximum_filter1d(X, 0), ValueError, "size"),
    (lambda: sn.median_filter(X), ValueError, "size or footprint"),
    (lambda: sn.median_filter(X, footprint=np.zeros((3, 3))), ValueError, "footprint"),
    (lambda: sn.median_filter(X, footprint=np.ones(3)), ValueError, "footprint"),
    (lambda: sn.minimum_filter(X, footprint=np.ones((0, 2))), ValueError, "footprint"),
    (lambda: sn.maximum_filter(X, footprint=[[1, 0], [0, 1]], mode=["wrap", "reflect"]),
     ValueError, "mode"),
    (lambda: sn.median_filter(X, 3, mode="bogus"), ValueError, "mode"),
    (lambda: sn.gaussian_filter(X, 1, mode="symm"), ValueError, "'reflect'"),
    (lambda: sn.gaussian_filter(X, 1, mode=["wrap"]), ValueError, "mode"),
    (lambda: sn.gaussian_filter1d(X, -1), ValueError, "sigma"),
    (lambda: sn.gaussian_filter1d(X, 1, order=-1), ValueError, "order"),
    (lambda: sn.gaussian_filter1d(X, 1, radius=-2), ValueError, "radius"),
    (lambda: sn.gaussian_filter1d(X, 1, radius=1.5), ValueError, "radius"),
    (lambda: sn.gaussian_filter(X, [1, 2, 3]), ValueError, "sigma"),
    (lambda: sn.uniform_filter(X, 3, origin=2), ValueError, "origin"),
    (lambda: sn.correlate1d(X, [1, 2], origin=1), ValueError, "origin"),
    (lambda: sn.median_filter(X, 3, origin=(0, -2)), ValueError, "origin"),
    (lambda: sn.correlate1d(X, []), ValueError, "weights"),
    (lambda: sn.correlate1d(X, [[1, 2]]), ValueError, "weights"),
    (lambda: sn.correlate(X, np.ones(3)), ValueError, "weights"),
    (lambda: sn.correlate(X, np.ones((3, 0))), ValueError, "weights"),
    (lambda: sn.correlate1d(X, [1, 2], axis=2), ValueError, "axis"),
    (lambda: sn.gaussian_filter(X, 1, axes=(0, 0)), ValueError, "axes"),
    (lambda: sn.gaussian_filter(X, 1, axes=(3,)), ValueError, "axes"),
    (lambda: sn.median_filter(X + 1j, 3), TypeError, "dtype"),
    (lambda: sn.gaussian_filter(np.array(["a"]), 1), TypeError, "dtype"),
    (lambda: sn.correlate(X, np.ones((2, 2)) * 1j), TypeError, "weights"),
    (lambda: sn.median_filter(X, 3, output=np.zeros((2, 2))), ValueError, "output"),
    (lambda: sn.median_filter(X, 3, device="tpu"), ValueError, "device"),
    (lambda: sn.median_filter(X, 3, workers=1.5), ValueError, "workers"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_size_and_footprint_warns_like_scipy():
    with pytest.warns(UserWarning, match="ignoring size"):
        sn.median_filter(X, size=3, footprint=np.ones((2, 2)))


def test_errors_do_not_touch_the_output():
    out = np.full((4, 5), 7.0)
    with pytest.raises(ValueError):
        sn.uniform_filter(X, size=0, output=out)
    assert (out == 7.0).all()


@pytest.mark.parametrize("call", [
    lambda: sn.uniform_filter1d(X, 10**12),
    lambda: sn.uniform_filter(X, size=(10**12, 3)),
    lambda: sn.minimum_filter1d(X, 10**12),
    lambda: sn.maximum_filter(X, size=10**12),
    lambda: sn.minimum_filter(X, size=2**63),
    lambda: sn.uniform_filter1d(X, 2**63),
])
def test_windows_too_big_to_allocate_raise_at_once(call):
    # The kernels' padded line buffers used to abort the process (10**12) or panic with
    # 'capacity overflow' (2**63); scipy raises MemoryError for these.
    with pytest.raises(ValueError, match="too large"):
        call()


@pytest.mark.parametrize("call", [
    lambda: sn.uniform_filter1d(X, 2**64),
    lambda: sn.minimum_filter(X, size=2**64),
])
def test_sizes_beyond_an_index_name_the_parameter(call):
    # used to raise OverflowError 'int too big to convert' from the core
    with pytest.raises(ValueError, match="size is too large"):
        call()
