"""``Normal(loc, scale)``."""
import math
import numbers

from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ['Normal']


class Normal(Distribution):
    """The normal distribution; ``rsample`` is reparameterized (differentiable in loc, scale).

    >>> import numtorch
    >>> from numtorch.distributions import Normal
    >>> d = Normal(0.0, 2.0)
    >>> d.log_prob(numtorch.tensor(0.0)), d.entropy()
    (tensor(-1.6121), tensor(2.1121))
    """
    arg_constraints = {'loc': constraints.real, 'scale': constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        self._scale_number = scale if isinstance(scale, numbers.Number) else None
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``loc`` and ``scale`` to ``batch_shape``."""
        new = self._expand_params(Normal, batch_shape, _instance, 'loc', 'scale')
        new._scale_number = self._scale_number
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=Size()):
        import numtorch
        shape = self._extended_shape(sample_shape)
        with numtorch.no_grad():
            return numtorch.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=Size()):
        import numtorch
        shape = self._extended_shape(sample_shape)
        eps = numtorch.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = math.log(self._scale_number) if self._scale_number is not None else self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
