"""``Gamma(concentration, rate)``, ``Chi2(df)`` and ``Exponential(rate)``."""
import numbers


import numtorch
from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all
from ._special import lgamma, digamma, standard_gamma, gammainc

__all__ = ['Gamma', 'Chi2', 'Exponential']


class Gamma(Distribution):
    """Gamma with shape ``concentration`` and ``rate``; ``rsample`` is differentiable in both
    (implicit reparameterisation, as torch's).

    >>> import numtorch
    >>> from numtorch.distributions import Gamma
    >>> d = Gamma(numtorch.tensor([2.0]), numtorch.tensor([3.0]))
    >>> d.mean, d.variance, d.log_prob(numtorch.tensor([0.5]))
    (tensor([0.6667]), tensor([0.2222]), tensor([0.0041]))
    """
    arg_constraints = {'concentration': constraints.positive, 'rate': constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand the parameters to ``batch_shape``."""
        new = self._expand_params(Gamma, batch_shape, _instance, 'concentration', 'rate')
        return new

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        value = numtorch.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (numtorch.xlogy(self.concentration, self.rate)
                + numtorch.xlogy(self.concentration - 1, value)
                - self.rate * value - lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - self.rate.log() + lgamma(self.concentration)
                + (1.0 - self.concentration) * digamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        conc, x = numtorch.broadcast_tensors(self.concentration, self.rate * value)
        return gammainc(conc, x)


class Chi2(Gamma):
    """Chi-squared with ``df`` degrees of freedom (``Gamma(df / 2, 1 / 2)``).

    >>> import numtorch
    >>> from numtorch.distributions import Chi2
    >>> Chi2(numtorch.tensor([4.0])).mean
    tensor([4.])
    """
    arg_constraints = {'df': constraints.positive}

    def __init__(self, df, validate_args=None):
        if isinstance(df, numbers.Number):
            df = numtorch.tensor(float(df))
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``df`` to ``batch_shape``."""
        return super().expand(batch_shape, self._get_checked_instance(Chi2, _instance))

    @property
    def df(self):
        return self.concentration * 2


class Exponential(Distribution):
    """Exponential with ``rate``; ``rsample`` is differentiable in ``rate``.

    >>> import numtorch
    >>> from numtorch.distributions import Exponential
    >>> Exponential(numtorch.tensor([2.0])).log_prob(numtorch.tensor([1.0]))
    tensor([-1.3069])
    """
    arg_constraints = {'rate': constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self.rate, = broadcast_all(rate)
        batch_shape = Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``rate`` to ``batch_shape``."""
        new = self._expand_params(Exponential, batch_shape, _instance, 'rate')
        return new

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return numtorch.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = numtorch.rand(shape, dtype=self.rate.dtype, device=self.rate.device)
        # -log(1 - u) is Exp(1); 1 - u is in (0, 1] so the log is finite
        return -(1 - u).log() / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()


