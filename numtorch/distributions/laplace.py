"""``Laplace(loc, scale)`` and ``Cauchy(loc, scale)``: heavy-tailed location-scale families,
sampled by inverting their CDFs (so ``rsample`` is differentiable)."""
import math
import numbers

import numtorch
from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ['Laplace', 'Cauchy']


class _LocScale(Distribution):
    arg_constraints = {'loc': constraints.real, 'scale': constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``loc`` and ``scale`` to ``batch_shape``."""
        new = self._expand_params(type(self), batch_shape, _instance, 'loc', 'scale')
        return new

    @property
    def mode(self):
        return self.loc


class Laplace(_LocScale):
    """The Laplace (double exponential) distribution.

    >>> import numtorch
    >>> from numtorch.distributions import Laplace
    >>> Laplace(0.0, 2.0).log_prob(numtorch.tensor(1.0))
    tensor(-1.8863)
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = numtorch.finfo(self.loc.dtype).eps
        u = numtorch.empty(shape, dtype=self.loc.dtype, device=self.loc.device).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * numtorch.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * numtorch.expm1(
            -(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * numtorch.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + (2 * self.scale).log()


class Cauchy(_LocScale):
    """The Cauchy (Lorentz) distribution: no mean (NaN), infinite variance.

    >>> import numtorch
    >>> from numtorch.distributions import Cauchy
    >>> Cauchy(0.0, 1.0).cdf(numtorch.tensor(1.0))
    tensor(0.7500)
    """

    @property
    def mean(self):
        return numtorch.full(self._extended_shape(), math.nan, dtype=self.loc.dtype,
                              device=self.loc.device)

    @property
    def variance(self):
        return numtorch.full(self._extended_shape(), math.inf, dtype=self.loc.dtype,
                              device=self.loc.device)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = numtorch.empty(shape, dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return numtorch.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return numtorch.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
