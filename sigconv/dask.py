"""Dask helpers: batch processing of many files on a dask cluster.

Every :mod:`sigconv.signal`, :mod:`sigconv.ndimage` and :mod:`sigconv.denoise` function already
takes a dask array and returns one (chunk by chunk with the halo it needs; see README "Dask").
This module adds :func:`map_files`: one task per file, each reading its array on a worker,
applying a sigconv function and writing the result there, so only paths travel.
"""

import os

import numpy as np

from sigconv import io

__all__ = ["map_files"]


def _process(func, path, out_path, kwargs):
    result = func(io.read(path).array, **kwargs)
    np.save(out_path, np.asarray(result))
    return out_path


def map_files(func, paths, out_dir, *, client=None, **kwargs):
    """Apply ``func(array, **kwargs)`` to every file in `paths` on a dask cluster, writing each
    result to ``out_dir/<name>.npy``.

    Parameters
    ----------
    func : callable
        A sigconv function (or any function of one array), e.g. ``sigconv.ndimage.gaussian_filter``.
    paths : sequence of str or os.PathLike
        Input files in any format :func:`sigconv.io.read` reads (``.npy``, ``.csv``, ``.wav``,
        ``.png``/``.jpg``/``.tif``). Read on the workers, so they must see the same file system.
    out_dir : str or os.PathLike
        Where results go (created if missing); ``a/b/img.csv`` gives ``out_dir/img.npy``.
    client : distributed.Client, optional
        The cluster to run on; by default dask's current scheduler (``dask.compute``).
    **kwargs
        Passed to `func` (e.g. ``sigma=2, workers=1``).

    Returns
    -------
    list of str
        The output paths, in the order of `paths`. A file that fails raises its error here.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sigconv import ndimage
    >>> from sigconv.dask import map_files
    >>> d = tempfile.mkdtemp()
    >>> np.save(os.path.join(d, "a.npy"), np.arange(5.0))
    >>> out = map_files(ndimage.uniform_filter1d, [os.path.join(d, "a.npy")], d + "/out", size=3)
    >>> np.load(out[0]).round(3)
    array([0.333, 1.   , 2.   , 3.   , 3.667])
    """
    if not callable(func):
        raise TypeError(f"func must be callable; got func={func!r}")
    if isinstance(paths, (str, os.PathLike)):
        raise TypeError("paths must be a sequence of paths, not one path; got paths={paths!r}")
    paths = [os.fspath(p) for p in paths]
    names = {}
    for p in paths:
        io.format_of(p)  # a ValueError naming the file for an unknown suffix
        if not os.path.isfile(p):
            raise ValueError(f"no such file: {p!r}")
        name = os.path.splitext(os.path.basename(p))[0] + ".npy"
        if name in names:
            raise ValueError(f"{p!r} and {names[name]!r} would both be written to {name!r}")
        names[name] = p
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    outs = [os.path.join(out_dir, os.path.splitext(os.path.basename(p))[0] + ".npy")
            for p in paths]
    if client is not None:
        futures = client.map(_process, [func] * len(paths), paths, outs, [kwargs] * len(paths),
                             pure=False)
        return list(client.gather(futures))
    import dask

    tasks = [dask.delayed(_process, pure=False)(func, p, o, kwargs) for p, o in zip(paths, outs)]
    return list(dask.compute(*tasks))
