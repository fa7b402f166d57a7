"""Chunk-sized output buffers reused within one process (a caching allocator, for dask tasks).

A dask worker runs the same filter on chunk after chunk of one shape, and each result is freed soon
after (once the next task has read it). Each fresh result of tens of MiB is new memory from the
kernel: numpy maps it, and every page is faulted in and zeroed on its first write. On the 2-core VM
of ``benches/bench_dask.py`` that was 12 ms of a 40 ms 64 MiB Gaussian chunk, a quarter of the
filter's time. Here a freed result's memory is kept and handed to the next task of the same size,
as torch's caching allocator does for GPU memory.

:func:`empty` returns an array whose memory comes back here only when the last array that views
it is gone: the arrays it hands out are views of one root array made by ``np.frombuffer`` from a
memoryview, and numpy makes every view of a view point at that root (it stops collapsing the chain
of bases at the first base that is not an ndarray), so the root, and a ``weakref.finalize`` on it,
outlive every view. Pickling (dask sending a result to another worker) copies the data.
"""

import threading
import weakref

import numpy as np

#: Results smaller than this are allocated as usual (their page faults cost little).
MIN_BYTES = 1 << 20

#: At most this many bytes of spare buffers are kept per process; older ones are freed first.
MAX_SPARE_BYTES = 512 << 20

_lock = threading.RLock()  # reentrant: a finalizer may run during an allocation made under it
_spare = []  # raw uint8 buffers, oldest first


def spare_bytes():
    """Bytes held in spare buffers now (part of the process's memory that no array uses)."""
    with _lock:
        return sum(raw.nbytes for raw in _spare)


def release():
    """Frees every spare buffer."""
    with _lock:
        _spare.clear()


def _give_back(raw):
    with _lock:
        _spare.append(raw)
        while sum(r.nbytes for r in _spare) > MAX_SPARE_BYTES:
            _spare.pop(0)


def empty(shape, dtype):
    """An uninitialised C-ordered array of `shape` and `dtype`, in a reused buffer when one of its
    size is spare (a new array when it is smaller than :data:`MIN_BYTES`)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        i = next((i for i in reversed(range(len(_spare))) if _spare[i].nbytes == nbytes), None)
        raw = _spare.pop(i) if i is not None else np.empty(nbytes, np.uint8)
    root = np.frombuffer(memoryview(raw), dtype)
    weakref.finalize(root, _give_back, raw).atexit = False
    return root.reshape(shape)
