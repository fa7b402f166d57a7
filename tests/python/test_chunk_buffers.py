"""The reused chunk buffers of dask tasks (sigconv/_chunk_buffers.py): memory comes back only when
the last view of it is gone, is handed out again for the same size, and stays bounded."""

import gc
import pickle
import threading

import numpy as np
import pytest

from sigconv import _chunk_buffers as cb

SHAPE = (512, 1024)  # 2 MiB of float32, above MIN_BYTES


@pytest.fixture(autouse=True)
def empty_pool():
    cb.release()
    yield
    cb.release()


def address(a):
    return a.__array_interface__["data"][0]


def test_a_freed_buffer_is_handed_out_again_for_the_same_size():
    a = cb.empty(SHAPE, np.float32)
    first = address(a)
    assert a.shape == SHAPE and a.dtype == np.float32 and a.flags.c_contiguous
    assert a.flags.writeable
    del a
    assert cb.spare_bytes() == np.prod(SHAPE) * 4
    b = cb.empty(SHAPE[::-1], np.float32)  # same bytes, other shape
    assert address(b) == first and b.shape == SHAPE[::-1]
    assert cb.spare_bytes() == 0
    c = cb.empty((SHAPE[0] // 2, SHAPE[1]), np.float64)  # same bytes, other dtype
    assert address(c) != first and c.dtype == np.float64


def test_memory_stays_with_views_until_the_last_one_is_gone():
    a = cb.empty(SHAPE, np.float32)
    a[...] = 7.0
    views = [a[10:20, ::3], a.T, np.asarray(a[1:]), memoryview(a)]
    del a
    gc.collect()
    assert cb.spare_bytes() == 0
    other = cb.empty(SHAPE, np.float32)  # must not reuse the memory the views still show
    other[...] = -1.0
    assert all(np.all(np.asarray(v) == 7.0) for v in views)
    views.pop()
    views.clear()
    assert cb.spare_bytes() == np.prod(SHAPE) * 4


def test_a_pickled_buffer_is_a_copy():
    a = cb.empty(SHAPE, np.float32)
    a[...] = np.arange(a.size, dtype=np.float32).reshape(SHAPE)
    b = pickle.loads(pickle.dumps(a))
    del a
    c = cb.empty(SHAPE, np.float32)
    c[...] = 0.0
    np.testing.assert_array_equal(b, np.arange(b.size, dtype=np.float32).reshape(SHAPE))


def test_small_arrays_are_not_kept():
    a = cb.empty((8, 8), np.float64)
    assert a.shape == (8, 8)
    del a
    assert cb.spare_bytes() == 0


def test_spare_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(cb, "MAX_SPARE_BYTES", 5 << 20)
    arrays = [cb.empty(SHAPE, np.float32) for _ in range(4)]  # 4 x 2 MiB
    del arrays
    assert cb.spare_bytes() == 4 << 20  # two kept, the oldest two freed


def test_threads_never_share_a_buffer():
    seen, errors = [], []

    def work(k):
        for _ in range(20):
            a = cb.empty(SHAPE, np.float32)
            a[...] = k
            if not np.all(a == k):
                errors.append(k)
            seen.append(address(a))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert len(set(seen)) <= 8  # buffers were reused, at most a few per thread alive at once
