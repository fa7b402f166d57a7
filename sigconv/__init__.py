"""sigconv: fast convolution, correlation and filtering of signals and images.

A Rust core (multi-threaded, SIMD chosen at run time) behind scipy-compatible Python functions:

* :mod:`sigconv.signal` — ``convolve``, ``correlate``, ``fftconvolve``, ``oaconvolve``, ``convolve2d``,
  ``correlate2d``, ``choose_conv_method``, ``correlation_lags``, ``medfilt``, ``medfilt2d``,
  ``wiener``, ``savgol_filter``, as in scipy.signal.
* :mod:`sigconv.ndimage` — ``correlate``, ``convolve`` (and their 1-D forms), ``uniform_filter``,
  ``gaussian_filter``, ``median_filter``, ``minimum_filter``, ``maximum_filter`` (and 1-D forms),
  as in scipy.ndimage.
* :class:`sigconv.Tensor`, :func:`sigconv.tensor`, :class:`sigconv.no_grad` — reverse-mode autograd;
  :mod:`sigconv.nn`, :mod:`sigconv.optim` — torch-like layers, losses and optimizers;
  :func:`sigconv.save` / :func:`sigconv.load` — models and state in one ``.npz`` file.
* :mod:`sigconv.kernels` — the classic kernels (box, gaussian, sobel, prewitt, laplacian, ...).
* :func:`sigconv.conv_matrix` — the scipy.sparse matrix of a convolution.
"""

from sigconv._core import GpuUnavailableError
from sigconv import signal
from sigconv import ndimage
from sigconv import kernels
from sigconv._conv_matrix import conv_matrix
from sigconv.autograd import Tensor, cat, enable_grad, is_grad_enabled, manual_seed, no_grad, stack, tensor
from sigconv import nn, optim
from sigconv.nn.serialization import load, save

__version__ = "0.1.0"
__all__ = ["GpuUnavailableError", "signal", "ndimage", "kernels", "conv_matrix", "info"]
__all__ += ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "cat", "stack"]
__all__ += ["nn", "optim", "save", "load"]
__all__ += ["devices"]


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
