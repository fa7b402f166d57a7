"""Dask arrays through sigconv's functions: chunk by chunk, each with the halo its window needs.

A public function decorated with :func:`dispatch` runs as before on everything but a dask array.
Given a dask array (detected without importing dask: a dask array's type lives in ``dask.array``,
which is then already imported), it returns a dask array built by a handler here; each chunk task
calls the undecorated function itself on a numpy block, so there is one implementation of every
formula.

How the halo is chosen (one rule for every filter):

* depth per axis: the farthest sample the window reads from its output (size, sigma * truncate,
  radius, origin, footprint or kernel shape), given by a small ``*_halo`` function per family;
* boundary: ``'none'`` for every mode but wrap. Blocks at the array's edge then end where the array
  ends, and the filter applies its own mode there (scipy's ``reflect``, ``mirror``, ``nearest``,
  ``constant`` with ``cval``, the ``grid-*`` aliases) exactly as on the whole array; dask's pad names
  (its ``reflect`` is numpy's ``symmetric``) are never needed. Wrap takes the ``'periodic'`` halo.
* alignment: the SIMD kernels compute the last ``len % lanes`` samples of a row with other
  arithmetic than the body (not bit-identical), so along the last axis chunk edges and halos are
  multiples of :data:`ALIGN` samples; a block's row then splits body/tail where the whole array's
  does. A wrapped last axis (whose tail would get a halo) is one chunk.

Where only one axis needs a halo (the usual row-chunked image), :func:`_stitched` filters each
chunk in place and recomputes the samples next to its inner edges from small strips, instead of
map_overlap's copy of every chunk with its halos; with halos along several axes, map_overlap.

signal's full/same/valid outputs (:func:`conv`): each chunk of in1 with a halo of ``K - 1``
samples goes through the function itself in the caller's mode and boundary; output sample ``i`` of
a block starting at sample ``s`` is output sample ``s + i`` of the whole result in all three modes,
so the output chunk is a slice of the block's result (the last one runs to the mode's length).
"""

import functools
import inspect
import sys

import numpy as np

#: Samples along the last axis that chunk edges and halos are multiples of (4 AVX-512 float32
#: vectors): blocks then meet the SIMD loops at the whole array's positions.
ALIGN = 64

#: A dask `in2` (the kernel) is computed into memory up to this many bytes; larger ones are refused.
KERNEL_BYTES = 64 * 2**20

_WRAP = ("wrap", "grid-wrap")


def is_dask(x):
    """Whether `x` is a dask array (False, without importing dask, when dask is not imported)."""
    if not type(x).__module__.startswith("dask"):
        return False
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def dispatch(handler):
    """Decorator: calls with a dask array among the arguments go to ``handler(func, args)``, `args`
    the bound arguments (defaults applied) as a dict; other calls go to `func` untouched."""

    def deco(func):
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if any(map(is_dask, args)) or any(map(is_dask, kwargs.values())):
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                return handler(func, dict(bound.arguments))
            return func(*args, **kwargs)

        wrapper.__wrapped_dask_handler__ = handler
        return wrapper

    return deco


def rows_alone(func):
    """Decorator: marks a filter that computes only some rows along axis 0 when asked
    (``_ndsupport.only_rows``: one separable linear filter of its input, nothing after), so that a
    chunk's edge is repaired from its strip by computing those rows alone. Other functions filter
    the whole strip: one that filtered a filtered array would be wrong with rows cut from it."""
    func.sigconv_rows_alone = True
    return func


# ----------------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------------


def _da():
    import dask.array as da

    return da


def _check_output(args):
    out = args.get("output")
    if out is not None and not isinstance(out, (type, np.dtype, str)):
        raise ValueError(
            "output must be None or a dtype when the input is a dask array (the result is a new "
            f"dask array); got output of type {type(out).__name__}"
        )


def _task_workers(args):
    """Threads inside one chunk task: dask runs one task per thread, so None means 1."""
    if args.get("workers") is None and "workers" in args:
        args["workers"] = 1
    return args


def _round_up(n, m):
    return -(-n // m) * m


def _axis_chunks(chunks, n, depth, align):
    """Chunks along one axis with every chunk at least `depth` long and, when `align`, every inner
    edge at a multiple of :data:`ALIGN`; the given chunks are kept when they already are."""
    if len(chunks) <= 1:
        return tuple(chunks)
    edges = np.cumsum(chunks)[:-1]
    if min(chunks) >= depth and (not align or not np.any(edges % ALIGN)):
        return tuple(chunks)
    size = max(int(np.median(chunks)), depth, 1)
    if align:
        size = _round_up(size, ALIGN)
    out = [size] * (n // size)
    rest = n - size * len(out)
    if rest:
        if out and rest < depth:
            out[-1] += rest
        else:
            out.append(rest)
    return tuple(out) if out else (n,)


def _prepare(x, depth, wrap_axes, align_last=True):
    """`x` rechunked for a halo of `depth` per axis (chunks at least the depth, last-axis edges
    aligned, single chunks where the halo would reach across the axis) and the depth and boundary
    dicts for map_overlap."""
    ndim = x.ndim
    chunks, depths, boundary = [], {}, {}
    for a in range(ndim):
        n, d = x.shape[a], int(depth[a])
        last = align_last and a == ndim - 1
        single = d >= n or (d > 0 and a in wrap_axes and last)
        if single or len(x.chunks[a]) <= 1:
            chunks.append((n,) if n else x.chunks[a])
            depths[a], boundary[a] = 0, "none"
            continue
        if last:
            d = _round_up(max(d, 1), ALIGN)  # a chunked last axis always carries an aligned halo
            if d >= n:
                chunks.append((n,))
                depths[a], boundary[a] = 0, "none"
                continue
        chunks.append(_axis_chunks(x.chunks[a], n, d, last))
        depths[a] = d if len(chunks[-1]) > 1 else 0
        boundary[a] = "periodic" if a in wrap_axes else "none"
    return x.rechunk(tuple(chunks)), depths, boundary


def _probe(fn, shape, dtype):
    """`fn` on a small zero array: checks the arguments now (not at compute time) and gives the
    result dtype."""
    return fn(np.zeros(shape, dtype))


def _overlap(block_fn, x, depth, wrap_axes, extra=()):
    """``block_fn(block, *extra_blocks)`` over `x` chunk by chunk with the halo `depth` per axis;
    `extra` are arrays of x's shape chunked alike (e.g. a mask)."""
    da = _da()
    probe_shape = [min(n, 2 * max(int(d), 0) + 1) for n, d in zip(x.shape, depth)]
    meta = _probe(lambda z: block_fn(z, *[np.zeros(z.shape, e.dtype) for e in extra]),
                  probe_shape, x.dtype)
    if x.size == 0:
        return da.from_array(block_fn(np.zeros(x.shape, x.dtype),
                                      *[np.zeros(x.shape, e.dtype) for e in extra]))
    x, depths, boundary = _prepare(x, depth, wrap_axes)
    others = [da.asarray(e).rechunk(x.chunks) for e in extra]
    halo_axes = [a for a, d in depths.items() if d]
    if len(halo_axes) == 1:
        a = halo_axes[0]
        return _stitched(block_fn, [x, *others], a, depths[a], boundary[a] == "periodic",
                         meta.dtype)
    return da.map_overlap(block_fn, x, *others, depth=depths, boundary=boundary,
                          dtype=meta.dtype, meta=np.empty((0,) * x.ndim, meta.dtype),
                          align_arrays=False)


def _take(b, axis, lo, hi):
    """``b[lo:hi]`` along `axis` (a view)."""
    index = [slice(None)] * b.ndim
    index[axis] = slice(lo, hi)
    return b[tuple(index)]


def _stitched(block_fn, arrays, axis, depth, wrap, dtype):
    """`block_fn` chunk by chunk where only `axis` needs a halo, without copying any chunk.

    map_overlap would concatenate every chunk with its halos before calling `block_fn`: a copy of
    the whole array (measured: about half the filter's own time for a 2-D Gaussian). Here `block_fn` runs
    on the chunk in place; only the `depth` samples next to an inner chunk edge are wrong then
    (the filter applied its mode there), and they are recomputed from strips of ``3 * depth``
    samples: the halo and the chunk's first (or last) ``2 * depth``. Output sample ``i`` depends
    only on the input within ``i ± depth`` (what the halo depth means), and the filters' arithmetic
    does not depend on where along `axis` a sample lies, so the stitched chunk equals the whole
    array's result there bit for bit. `arrays` are x and the extra arrays chunked alike (a mask);
    with `wrap` the end chunks take their halos from the other end.

    The graph has three tasks per chunk: two take views of its neighbours' edge samples (the
    halos, on the neighbours' workers: small, ready at once, cheap to send), and one computes the
    chunk, its edge samples from the strips. That one is a blockwise layer (``map_blocks`` over
    the chunks and two arrays of halos), so the element-wise or per-chunk steps after it fuse into
    its task.
    Slicing tasks and dask's concatenations made five tasks per chunk before; on 2 single-thread
    workers the 16384² Gaussian of ``benches/bench_dask.py`` (with its per-chunk checksum) took
    a median 0.89 s that way, 0.79 s with a hand-built layer of three (not fused) and 0.51-0.62 s
    against 0.56-0.69 s for that layer with this one, in the same runs."""
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    da = _da()
    x = arrays[0]
    nb = x.numblocks[axis]
    token = tokenize(block_fn, axis, depth, wrap, *arrays)

    def halos(arr, k, side):
        """The dask array whose chunk ``i`` along `axis` is the halo before (`side` -1) or after
        (+1) chunk ``i`` of `arr`: a task on the neighbour's chunk (the `k`-th array), or an empty
        block at an array edge without wrap."""
        name = f"sigconv-halo{side:+d}-{k}-{token}"
        dsk = {}
        for idx in np.ndindex(*arr.numblocks):
            j = idx[axis] + side
            if wrap or 0 <= j < nb:
                src = (arr.name, *idx[:axis], j % nb, *idx[axis + 1:])
                dsk[(name, *idx)] = (_chunk_edge, axis, depth, side < 0, src)
            else:
                # An empty view of the chunk itself, computed where the chunk is. A literal
                # empty block would be a root task, which the scheduler queues until a thread
                # is free anywhere: the edge chunk then waited (40-190 ms idle in task streams).
                dsk[(name, *idx)] = (_chunk_edge, axis, 0, True, (arr.name, *idx))
        chunks = list(arr.chunks)
        chunks[axis] = tuple(depth if wrap or 0 <= i + side < nb else 0 for i in range(nb))
        graph = HighLevelGraph.from_collections(name, dsk, dependencies=[arr])
        return da.Array(graph, name, chunks=tuple(chunks), dtype=arr.dtype,
                        meta=np.empty((0,) * arr.ndim, arr.dtype))

    befores = [halos(a, k, -1) for k, a in enumerate(arrays)]
    afters = [halos(a, k, +1) for k, a in enumerate(arrays)]
    m = len(arrays)

    def run(*blocks):
        before, after, cores = blocks[m:2 * m], blocks[2 * m:], blocks[:m]
        if axis == 0 and getattr(block_fn, "rows_alone", False):
            return _stitch_rows(block_fn, depth, dtype, before, after, *cores)
        return _stitch_chunk(block_fn, axis, depth, before, after, *cores)

    return da.map_blocks(run, *arrays, *befores, *afters, chunks=x.chunks, dtype=dtype,
                         meta=np.empty((0,) * x.ndim, dtype))


def _chunk_edge(axis, depth, last, block):
    """The block's last (or first) `depth` samples along `axis`: the halo it gives the chunk after
    (before) it. A view, not a copy: on the block's own worker it costs no memory, and only its
    samples travel to the neighbour's."""
    n = block.shape[axis]
    lo = n - depth if last else 0
    return _take(block, axis, lo, lo + depth)


def _stitch_chunk(block_fn, axis, depth, before, after, *cores):
    """One chunk of :func:`_stitched`: `block_fn` on the chunks `cores` in place, the samples next
    to an inner edge recomputed from the halos `before` and `after` (one per array; empty along
    `axis` at an array edge without wrap)."""
    top, bottom = before[0].shape[axis] > 0, after[0].shape[axis] > 0
    size = cores[0].shape[axis]
    if size < 2 * depth:  # a short chunk: the strips would overlap, filter it whole
        lo = before[0].shape[axis]
        whole = [np.concatenate(p, axis=axis) for p in zip(before, cores, after)]
        return _take(block_fn(*whole), axis, lo, lo + size)
    out = block_fn(*cores)
    if not (top or bottom):
        return out
    if not out.flags.writeable or np.may_share_memory(out, cores[0]):
        out = out.copy()

    def repaired(pieces):
        """The middle `depth` samples of `block_fn` over each array's strip (its pieces joined
        along `axis`): the samples a strip of ``3 * depth`` repairs."""
        strips = [np.concatenate(p, axis=axis) for p in pieces]
        return _take(block_fn(*strips), axis, depth, 2 * depth)

    if top:
        _take(out, axis, 0, depth)[...] = repaired(
            [(b, _take(c, axis, 0, 2 * depth)) for b, c in zip(before, cores)])
    if bottom:
        _take(out, axis, size - depth, size)[...] = repaired(
            [(_take(c, axis, size - 2 * depth, size), a) for c, a in zip(cores, after)])
    return out


def _stitch_rows(block_fn, depth, dtype, before, after, *cores):
    """:func:`_stitch_chunk` along axis 0 for a filter whose rows can be computed alone
    (:func:`rows_alone`, ``_ndsupport.only_rows``): every row once, into one buffer. The chunk's
    inner rows come from the chunk itself, the `depth` rows next to an inner edge from the strip
    of ``3 * depth`` rows there (a full strip cost a quarter of a 1024-row chunk's time at depth
    32; filtering the whole chunk and then repairing its edges computed those rows twice)."""
    from sigconv import _chunk_buffers, _ndsupport

    top, bottom = before[0].shape[0] > 0, after[0].shape[0] > 0
    size = cores[0].shape[0]
    if size < 2 * depth or not (top or bottom):
        return _stitch_chunk(block_fn, 0, depth, before, after, *cores)
    out = _chunk_buffers.empty(cores[0].shape, dtype)

    def rows(arrays, lo, hi, dest):
        with _ndsupport.only_rows(lo, hi, into=dest):
            result = block_fn(*arrays)
        if result is not dest:  # the filter computed its whole result after all
            dest[...] = result if result.shape[0] == hi - lo else result[lo:hi]

    lo, hi = (depth if top else 0), (size - depth if bottom else size)
    rows(cores, lo, hi, out[lo:hi])
    if top:
        strips = [np.concatenate((b, c[:2 * depth])) for b, c in zip(before, cores)]
        rows(strips, depth, 2 * depth, out[:depth])
    if bottom:
        strips = [np.concatenate((c[size - 2 * depth:], a)) for c, a in zip(cores, after)]
        rows(strips, depth, 2 * depth, out[size - depth:])
    return out


def _as_dask(x, name):
    da = _da()
    if is_dask(x):
        return x
    return da.from_array(np.asarray(x))


def _in_memory(x, name):
    """A small argument (a kernel) as a numpy array; a dask one is computed, up to KERNEL_BYTES."""
    if not is_dask(x):
        return np.asarray(x)
    if x.nbytes > KERNEL_BYTES:
        raise ValueError(
            f"{name} is a dask array of {x.nbytes} bytes: sigconv chunks the first input and needs "
            f"{name} (the kernel) in memory, up to {KERNEL_BYTES} bytes; pass a numpy array"
        )
    return np.asarray(x.compute())


def _filter(func, args, depth, wrap_axes, name):
    """The shape-preserving filters: `func` on every block of args[name] with its halo."""
    _check_output(args)
    args = _task_workers(args)
    x = _as_dask(args.pop(name), name)

    def block_fn(b):
        # ndimage: a float result of the input's dtype, which the passes write in place, goes
        # into a reused buffer (others are cast into `output` after, and would gain nothing).
        # (Not for a strip that asks for some rows only: its result has fewer rows.)
        from sigconv import _chunk_buffers, _ndsupport

        if "output" in args and _ndsupport.rows_wanted() is None:
            dtype, _ = _ndsupport.output_for(args["output"], b)
            if dtype == b.dtype and dtype.kind == "f":
                return func(b, **{**args, "output": _chunk_buffers.empty(b.shape, dtype)})
        return func(b, **args)

    block_fn.rows_alone = getattr(func, "sigconv_rows_alone", False)
    return _overlap(block_fn, x, depth, wrap_axes)


def _modes_per_axis(mode, axes):
    from sigconv import _ndsupport as nd

    return {a for a, m in zip(axes, nd.per_axis(mode, len(axes), "mode")) if m in _WRAP}


def _axes(args, ndim):
    from sigconv import _ndsupport as nd

    if "axes" in args:
        return nd.check_axes(args["axes"], ndim)
    from sigconv.ndimage import _axis

    return [_axis(args["axis"], ndim)]


def _reach(size, origin):
    """Farthest sample a window of `size` centred at ``size // 2 + origin`` reads, either side."""
    return int(size) // 2 + abs(int(origin))


# ----------------------------------------------------------------------------------------------------
# Halo descriptions (depth per axis, wrapped axes) of the ndimage families
# ----------------------------------------------------------------------------------------------------


def _sized_halo(args, ndim):
    """uniform, minimum, maximum, median (size or footprint), correlate/convolve (weights)."""
    from sigconv import _ndsupport as nd

    axes = _axes(args, ndim)
    if args.get("weights") is not None:
        w = np.asarray(args["weights"])
        sizes = list(w.shape) if "axes" in args else [w.size]
    elif args.get("footprint") is not None:
        sizes = list(np.asarray(args["footprint"]).shape)
    else:
        sizes = nd.per_axis(args["size"], len(axes), "size")
    origins = nd.per_axis(args.get("origin", 0), len(axes), "origin")
    depth = [0] * ndim
    for a, s, o in zip(axes, sizes, origins):
        depth[a] = _reach(s, o)
    return depth, _modes_per_axis(args["mode"], axes)


def _gaussian_halo(args, ndim):
    from sigconv import _ndsupport as nd

    axes = _axes(args, ndim)
    n = len(axes)
    sigmas = nd.per_axis(args["sigma"], n, "sigma")
    radii = nd.per_axis(args.get("radius"), n, "radius")
    depth = [0] * ndim
    for a, s, r in zip(axes, sigmas, radii):
        depth[a] = int(r) if r is not None else int(args["truncate"] * float(s) + 0.5)
    return depth, _modes_per_axis(args["mode"], axes)


def _halo_filter(halo, name="input"):
    """A handler for a shape-preserving filter whose halo `halo(args, ndim)` describes."""

    def handler(func, args):
        x = args[name]
        try:
            depth, wrap_axes = halo(args, x.ndim)
        except Exception:
            # Bad arguments: let the function itself raise its own error on a small array.
            _probe(lambda z: func(z, **{k: v for k, v in args.items() if k != name}),
                   [min(n, 3) for n in x.shape], x.dtype)
            raise
        return _filter(func, args, depth, wrap_axes, name)

    return handler


ndimage_sized = _halo_filter(_sized_halo)
ndimage_gaussian = _halo_filter(_gaussian_halo)


def _medfilt_halo(args, ndim):
    from sigconv.signal import _odd_kernel_size

    key = "kernel_size"
    return [k // 2 for k in _odd_kernel_size(args[key], ndim)], set()


medfilt = _halo_filter(_medfilt_halo, "volume")
medfilt2d = _halo_filter(_medfilt_halo, "input")


# ----------------------------------------------------------------------------------------------------
# signal: savgol_filter, wiener
# ----------------------------------------------------------------------------------------------------


def savgol_filter(func, args):
    """Savitzky-Golay: a correlation of `window_length` along `axis`. With mode='interp' the edges
    are polynomial fits to the first and last `window_length` samples: the edge chunks along the
    axis are made at least that long, so the block at each end computes them from the same samples
    as the whole array."""
    x = args.pop("x")
    args = _task_workers(args)
    wl, axis = args["window_length"], args["axis"]
    _probe(lambda z: func(z, **args), [min(n, wl if isinstance(wl, int) else 3) for n in x.shape],
           x.dtype)  # checks every argument
    ax = axis % x.ndim
    depth = [0] * x.ndim
    depth[ax] = int(wl) // 2 + 1
    if args["mode"] == "interp":
        depth[ax] = max(depth[ax], int(wl))
    wrap_axes = {ax} if args["mode"] == "wrap" else set()
    x = _as_dask(x, "x")

    def block_fn(b):
        return func(b, **args)

    return _overlap(block_fn, x, depth, wrap_axes)


def wiener(func, args):
    """Wiener filter: the local mean and mean square are windowed (halo ``mysize // 2``, zero
    padded); the default noise power is the mean of the local variances over the whole array,
    from each chunk's exact sum (:mod:`sigconv._exact`), so it equals the in-memory value bit for
    bit; the rest is element-wise, by the same code as in memory."""
    import dask

    from sigconv import _exact, signal

    da = _da()
    im = _as_dask(args["im"], "im")
    args = _task_workers(args)
    sizes = signal._wiener_sizes(im, args["mysize"])
    workers, device = signal._workers(args["workers"]), signal._device(args["device"])
    depth = [k // 2 for k in sizes]
    l_mean = _overlap(lambda b: signal._wiener_mean(b, sizes, workers, device), im, depth, set())
    l_sq = _overlap(lambda b: signal._wiener_mean(b**2, sizes, workers, device), im, depth, set())
    l_var = l_sq - l_mean**2
    noise = args["noise"]
    if noise is None:
        sums = [dask.delayed(_exact.ExactSum.of)(b, workers) for b in l_var.to_delayed().ravel()]
        noise = da.from_delayed(dask.delayed(_exact.mean_of_sums)(sums), (), np.float64)
    return signal._wiener_combine(im, l_mean, l_var, noise)


# ----------------------------------------------------------------------------------------------------
# signal: the convolution family (output shapes full, same, valid)
# ----------------------------------------------------------------------------------------------------


def _conv_blocks(op, x, kshape, out_len, wrap_axes, fixed_axes):
    """``op(block)`` (the function itself, in the caller's mode) on every chunk of `x` with a halo
    of ``K - 1``: whatever the mode, output sample ``i`` of a block that starts at sample ``s`` of
    `x` is output sample ``s + i`` of the whole result, so each output chunk is the slice of its
    block's result from the block's left halo on. Output chunks follow x's chunks (aligned edges
    on the last axis); the last one runs to `out_len`. `fixed_axes` are not convolved."""
    da = _da()
    ndim = x.ndim
    depth = [0 if a in fixed_axes else int(k) - 1 for a, k in enumerate(kshape)]
    q, depths, boundary = _prepare(x, depth, wrap_axes)
    out_chunks = []
    for a in range(ndim):
        edges = np.concatenate([[0], np.cumsum(q.chunks[a])])
        starts = np.minimum(edges[:-1], out_len[a])
        ends = np.minimum(edges[1:], out_len[a])
        ends[-1] = out_len[a]
        out_chunks.append(tuple(int(e - s) for e, s in zip(ends, starts)))
    ov = da.overlap.overlap(q, depth=depths, boundary=boundary)

    def block_fn(b, block_info=None):
        where = block_info[0]["chunk-location"]
        res = op(b)
        index = []
        for a in range(ndim):
            lo_halo = depths[a] if (where[a] > 0 or boundary[a] == "periodic") else 0
            index.append(slice(lo_halo, lo_halo + out_chunks[a][where[a]]))
        return res[tuple(index)]

    meta = op(np.zeros(kshape, x.dtype))
    return ov.map_blocks(block_fn, chunks=tuple(out_chunks), dtype=meta.dtype,
                         meta=np.empty((0,) * ndim, meta.dtype))


def conv(kind):
    """Handler of convolve/correlate ('nd'), convolve2d/correlate2d ('2d'), fftconvolve/oaconvolve
    ('fft'): in1 chunked (a numpy in1 with a dask in2 is wrapped), in2 in memory."""

    def handler(func, args):
        from sigconv import signal

        da = _da()
        in1 = _as_dask(args.pop("in1"), "in1")
        in2 = _in_memory(args.pop("in2"), "in2")
        mode = signal._option("mode", args["mode"], signal._MODES)
        args = _task_workers(args)
        # The function checks its other arguments itself, on small arrays of these dtypes.
        func(np.zeros([1] * in1.ndim, in1.dtype), np.zeros([1] * in2.ndim, in2.dtype), **args)
        if in1.ndim == 0 or in1.size == 0 or in2.size == 0:
            return da.from_array(np.asarray(func(in1.compute(), in2, **args)))
        fixed = set()
        if kind == "fft":
            stand_in = np.broadcast_to(np.zeros((), np.uint8), in1.shape)  # shape only, no data
            axes = signal._fft_axes(stand_in, in2, args["axes"])
            fixed = {a for a in range(in1.ndim) if a not in axes}
            for a in fixed:
                if in1.shape[a] == 1 and in2.shape[a] > 1:
                    raise ValueError(
                        f"with a dask in1, in2 may not be longer than in1 on an axis that is not "
                        f"convolved (axis {a}: {in2.shape[a]} > 1); got shapes {in1.shape} and "
                        f"{in2.shape}"
                    )
                if in2.shape[a] > 1:
                    in1 = in1.rechunk({a: -1})
        if mode == "valid" and any(k > n for k, n in zip(in2.shape, in1.shape)):
            raise ValueError(
                "with a dask in1, 'valid' mode needs in1 at least as large as in2 on every axis "
                f"(sigconv chunks in1, it does not swap them); got shapes {in1.shape} and {in2.shape}"
            )
        wrap_axes = set()
        if kind == "2d" and args["boundary"] in ("wrap", "circular"):
            wrap_axes = {0, 1}
        out_len = []
        for a, (n, k) in enumerate(zip(in1.shape, in2.shape)):
            if a in fixed:
                out_len.append(n)
            else:
                out_len.append({"full": n + k - 1, "same": n, "valid": n - k + 1}[mode])

        def op(block):
            return func(block, in2, **args)

        return _conv_blocks(op, in1, in2.shape, out_len, wrap_axes, fixed)

    return handler


# ----------------------------------------------------------------------------------------------------
# choose_conv_method
# ----------------------------------------------------------------------------------------------------


def choose_conv_method(func, args):
    """The method for the whole inputs' shapes and dtypes, as the in-memory call would pick; integer
    bounds from dask reductions. ``measure=True`` is refused (it would time in-memory calls)."""
    from sigconv import signal

    if args["measure"]:
        raise ValueError("choose_conv_method(measure=True) times in-memory calls; it does not take "
                         "dask arrays (give numpy arrays, or measure=False)")
    in1, in2 = args["in1"], args["in2"]

    def max_abs(x):
        if not is_dask(x):
            return signal._max_abs(np.asarray(x))
        lo, hi = _da().compute(x.min(), x.max())
        return max(abs(int(lo)), abs(int(hi)))

    return signal._choose_method(in1, in2, args["mode"], max_abs)


# ----------------------------------------------------------------------------------------------------
# denoise.fill_missing
# ----------------------------------------------------------------------------------------------------


def fill_missing(func, args):
    """Normalized-convolution filling. Each pass reads the previous pass's result within the
    window's reach ``r`` (per axis), so `max_iter` passes depend only on the input within
    ``max_iter * r``: with `max_iter` given, one map_overlap of that halo. Without it (fill until
    done), rounds of ``P`` passes (halo ``P * r``), each persisted, with the samples still lost
    carried into the next round, until none is left or a round fills nothing (then the same
    RuntimeWarning as in memory); this computes eagerly and returns a dask array of the persisted
    result. Either way the all-lost check is a dask reduction computed at the call."""
    import warnings

    from sigconv import _ndsupport as nd
    from sigconv import denoise

    da = _da()
    x = _as_dask(args.pop("x"), "x")
    mask = args.pop("mask")
    args = _task_workers(args)
    max_iter = args["max_iter"]
    small = np.zeros([min(n, 3) for n in x.shape], x.dtype)
    func(small, None if mask is None else np.zeros(small.shape, bool), **args)  # checks arguments
    if mask is None:
        lost = da.isnan(x) if x.dtype.kind == "f" else da.zeros(x.shape, bool, chunks=x.chunks)
    else:
        lost = _as_dask(mask, "mask")
        if lost.dtype != np.bool_:
            raise TypeError(f"mask must be a boolean array; got dtype {lost.dtype}")
        if lost.shape != x.shape:
            raise ValueError(f"mask has shape {lost.shape}; expected the shape of x, {x.shape}")
    dtype = nd.compute_dtype(x.dtype)
    if x.size == 0:
        return da.zeros(x.shape, dtype)
    if bool(lost.all().compute()):  # as in memory
        raise ValueError(
            f"every sample of x is lost ({x.size} of {x.size}); there is nothing to fill from"
        )
    w, factors = denoise._window(x.ndim, args["size"], args["sigma"], args["kernel"],
                                 args["truncate"])
    reach = [k // 2 for k in w.shape]
    wrap_axes = set(range(x.ndim)) if args["mode"] in _WRAP else set()
    workers, device = args["workers"], args["device"]
    remaining = int(lost.sum().compute())
    # The first pass's algorithm as the whole array's call would pick it (its rounding differs),
    # and every later pass sparse, as in memory.
    first = "dense" if denoise._dense_first_pass(remaining, x.size, w, factors) else "sparse"

    def passes(values, lost_now, count, first_pass):
        def block_fn(b, m):
            if m.all():  # nothing valid within reach of this block: as the whole array, NaN
                return np.full(b.shape, np.nan, dtype)
            return denoise._fill(b, m, w, factors, args["mode"], count, first_pass, workers,
                                 device)[0]

        return _overlap(block_fn, values, [count * r for r in reach], wrap_axes, extra=[lost_now])

    if max_iter is not None:
        return passes(x, lost, int(max_iter), first)
    # Passes per round: a halo of about a quarter of the typical chunk.
    typical = min(int(np.median(c)) for c, r in zip(x.chunks, reach) if r) if any(reach) else 1
    per_round = max(1, typical // (4 * max(max(reach), 1)))
    values, lost_now = x.astype(dtype), lost
    while remaining:
        values = passes(values, lost_now, per_round, first).persist()
        first = "sparse"
        lost_now = (lost_now & da.isnan(values)).persist()
        left = int(lost_now.sum().compute())
        if left == remaining:
            warnings.warn(
                f"{left} lost samples cannot be reached by the window and are left NaN",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        remaining = left
    return values
