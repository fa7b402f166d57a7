"""sigconv: fast convolution, correlation and filtering of signals and images.

A Rust core (multi-threaded, SIMD chosen at run time) behind scipy-compatible Python functions:

* :mod:`sigconv.signal` — ``convolve``, ``correlate``, ``fftconvolve``, ``oaconvolve``, ``convolve2d``,
  ``correlate2d``, ``choose_conv_method``, ``correlation_lags``, as in scipy.signal.
"""

from sigconv._core import GpuUnavailableError
from sigconv import signal

__version__ = "0.1.0"
__all__ = ["GpuUnavailableError", "signal", "info", "devices"]


def devices():
    """The devices sigconv can compute on, as a list of dicts, the CPU first.

    Each has ``device`` (the ``device=`` value that selects it: ``'cpu'`` or ``'gpu'``), ``name``,
    ``type`` (``'cpu'``, ``'discrete'``, ``'integrated'``, ``'virtual'`` or ``'other'``; Mesa's
    software driver llvmpipe is a ``'cpu'`` adapter), ``backend`` and ``f64`` (whether float64 runs
    there). The GPU entry also has ``driver`` and ``max_binding_bytes``, and is absent when no
    adapter answers.

    >>> import sigconv
    >>> sigconv.devices()[0]["device"]
    'cpu'
    """
    from sigconv import _core

    found = [{
        "device": "cpu",
        "name": f"cpu ({_core.simd_level()}, {_core.default_threads()} threads)",
        "type": "cpu",
        "backend": "native",
        "f64": True,
    }]
    adapter = _core.gpu_adapter()
    if adapter is not None:
        found.append({"device": "gpu", **adapter})
    return found


def info():
    """Versions, threads, the SIMD level the kernels run with and the :func:`devices`, as a dict."""
    from sigconv import _core

    return {
        "version": __version__,
        "simd": _core.simd_level(),
        "threads": _core.default_threads(),
        "devices": devices(),
    }
