"""``Poisson(rate)`` and ``StudentT(df, loc, scale)``."""
import math
import numbers

import numtorch
from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import Chi2
from ._special import lgamma, digamma

__all__ = ['Poisson', 'StudentT']


class Poisson(Distribution):
    """Counts with mean ``rate`` (``sample`` only: not reparameterisable).

    >>> import numtorch
    >>> from numtorch.distributions import Poisson
    >>> Poisson(numtorch.tensor([2.0])).log_prob(numtorch.tensor([3.0]))
    tensor([-1.7123])
    """
    arg_constraints = {'rate': constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        self.rate, = broadcast_all(rate)
        batch_shape = Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``rate`` to ``batch_shape``."""
        new = self._expand_params(Poisson, batch_shape, _instance, 'rate')
        return new

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with numtorch.no_grad():
            return numtorch.poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - lgamma(value + 1)


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, location ``loc`` and ``scale``.

    >>> import numtorch
    >>> from numtorch.distributions import StudentT
    >>> StudentT(numtorch.tensor(3.0)).log_prob(numtorch.tensor(0.0))
    tensor(-1.0009)
    """
    arg_constraints = {'df': constraints.positive, 'loc': constraints.real,
                       'scale': constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand the parameters to ``batch_shape``."""
        new = self._expand_params(StudentT, batch_shape, _instance, 'df', 'loc', 'scale', '_chi2')
        return new

    @property
    def mean(self):
        return numtorch.where(self.df <= 1, numtorch.full_like(self.loc, math.nan), self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        big = self.scale.pow(2) * df / numtorch.where(df > 2, df - 2, numtorch.ones_like(df))
        out = numtorch.where(df > 2, big, numtorch.full_like(df, math.inf))
        return numtorch.where(df <= 1, numtorch.full_like(df, math.nan), out)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        X = numtorch.randn(shape, dtype=self.df.dtype, device=self.df.device)
        Z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (X * numtorch.rsqrt(Z / self.df))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + lgamma(0.5 * self.df) - lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * numtorch.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = lgamma(0.5 * self.df) + math.lgamma(0.5) - lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (digamma(0.5 * (self.df + 1))
                                                          - digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
