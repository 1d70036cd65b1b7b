"""``Uniform(low, high)``: the half-open interval ``[low, high)``."""
from .._backend import quiet_on, quiet_off
from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ['Uniform']


class Uniform(Distribution):
    """Uniform on ``[low, high)``; ``rsample`` is differentiable in ``low`` and ``high``.

    >>> import numtorch
    >>> from numtorch.distributions import Uniform
    >>> d = Uniform(0.0, 4.0)
    >>> d.log_prob(numtorch.tensor(1.0)), d.mean, d.variance
    (tensor(-1.3863), tensor(2.), tensor(1.3333))
    """
    arg_constraints = {'low': constraints.dependent, 'high': constraints.dependent}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.size(), validate_args=validate_args)

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape, _instance=None):
        """Expand ``low`` and ``high`` to ``batch_shape``."""
        new = self._expand_params(Uniform, batch_shape, _instance, 'low', 'high')
        return new

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.high * float('nan')

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=Size()):
        import numtorch
        shape = self._extended_shape(sample_shape)
        rand = numtorch.rand(shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        token = quiet_on()     # log(0) = -inf outside the support, silently
        try:
            return (lb * ub).log() - (self.high - self.low).log()
        finally:
            quiet_off(token)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()
