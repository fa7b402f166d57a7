"""Exact sums and exactly rounded means of float64 data, equal whatever the order or the chunks.

An :class:`ExactSum` holds a sum with no rounding at all (an integer count of 2^-1074, the
smallest float64 step, from ``_core.exact_sum_terms``), so sums of pieces add up to the sum of the
whole; :meth:`ExactSum.mean` rounds once. ``sigconv.signal.wiener``'s default noise power (the mean
local variance) is computed this way in memory and on dask, which is what makes the two equal bit
for bit (numpy's pairwise sum depends on the order; dask's tree of chunk sums does too).
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from sigconv import _core

#: The float64 step the integer totals count: 2^-1074.
_SCALE_BITS = 1074


@dataclass(frozen=True)
class ExactSum:
    """The exact sum of `count` float64 samples: ``total * 2**-1074`` plus what was not finite."""

    total: int = 0
    count: int = 0
    nan: bool = False
    pos_inf: bool = False
    neg_inf: bool = False

    @classmethod
    def of(cls, a, workers=None):
        """The exact sum of the samples of `a` (converted to float64)."""
        a = np.ascontiguousarray(a, dtype=np.float64)
        terms, nan, pos_inf, neg_inf = _core.exact_sum_terms(a, workers)
        return cls(sum(m << shift for shift, m in terms), a.size, nan, pos_inf, neg_inf)

    def __add__(self, other):
        return ExactSum(self.total + other.total, self.count + other.count,
                        self.nan or other.nan, self.pos_inf or other.pos_inf,
                        self.neg_inf or other.neg_inf)

    def mean(self):
        """The mean, rounded once to float64 (NaN for no samples, as ``np.mean`` but silent)."""
        if self.nan or (self.pos_inf and self.neg_inf) or self.count == 0:
            return np.float64(np.nan)
        if self.pos_inf or self.neg_inf:
            return np.float64(np.inf if self.pos_inf else -np.inf)
        return np.float64(float(Fraction(self.total, self.count << _SCALE_BITS)))


def mean(a, workers=None):
    """The exactly rounded mean of the samples of `a`."""
    return ExactSum.of(a, workers).mean()


def mean_of_sums(sums):
    """The exactly rounded mean of the samples of several :class:`ExactSum` pieces."""
    total = ExactSum()
    for s in sums:
        total = total + s
    return total.mean()
