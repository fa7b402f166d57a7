"""Neural-network layers, losses and tools with torch's names and defaults.

* :mod:`sigconv.nn.functional` — the ops (convolution, pooling, resampling, activations, losses).
* Layers: :class:`Conv1d`, :class:`Conv2d`, :class:`Linear`, pooling, :class:`BatchNorm2d`, ...
* :func:`summary`, :func:`receptive_field` — inspection; :func:`save`, :func:`load` — one-file models.
"""

from sigconv.nn import functional
from sigconv.nn.inspect import receptive_field, summary
from sigconv.nn.modules import *  # noqa: F401,F403
from sigconv.nn.modules import __all__ as _modules_all
from sigconv.nn.serialization import load, save
from sigconv.nn import init

__all__ = list(_modules_all) + ["functional", "init", "summary", "receptive_field", "save", "load"]
