"""sigconv.nn: torch-like neural-network building blocks.

* :mod:`sigconv.nn.functional` — pooling and resampling with torch.nn.functional's names and
  semantics, on numpy arrays: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``min_pool1d/2d``,
  ``max_unpool1d/2d``, ``adaptive_avg_pool1d/2d``, ``interpolate``. Their backward kernels are in
  ``sigconv.nn._pooling`` (``<name>_backward``).
"""

from sigconv.nn import functional

__all__ = ["functional"]
