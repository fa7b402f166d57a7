"""torch.nn.functional's pooling and resampling functions on numpy arrays.

See :mod:`sigconv.nn._pooling` for the semantics and the backward functions.
"""

from sigconv.nn._pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
    min_pool1d,
    min_pool2d,
)

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "min_pool1d",
    "min_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "interpolate",
]
