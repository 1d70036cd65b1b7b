"""``Dirichlet(concentration)`` and ``Beta(concentration1, concentration0)`` (a 2-class
Dirichlet, as torch builds it, so the two share rsample gradients)."""
import numbers

import numtorch
from .._size import Size
from . import constraints
from .distribution import Distribution, broadcast_all
from ._special import lgamma, digamma, sample_dirichlet

__all__ = ['Dirichlet', 'Beta']


class Dirichlet(Distribution):
    """Dirichlet over the last dim of ``concentration``; ``rsample`` is differentiable.

    >>> import numtorch
    >>> from numtorch.distributions import Dirichlet
    >>> d = Dirichlet(numtorch.tensor([1.0, 2.0, 3.0]))
    >>> d.mean, d.log_prob(numtorch.tensor([0.2, 0.3, 0.5]))
    (tensor([0.1667, 0.3333, 0.5000]), tensor(1.5041))
    """
    arg_constraints = {'concentration': constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError('`concentration` parameter must be at least one-dimensional.')
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand ``concentration`` to ``batch_shape + event_shape``."""
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (numtorch.xlogy(self.concentration - 1.0, value).sum(-1)
                + lgamma(self.concentration.sum(-1)) - lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        if bool(mask.any()):
            # all concentrations below 1: the density peaks at a vertex (torch picks argmax)
            onehot = numtorch.nn.functional.one_hot(mode.argmax(dim=-1), cm1.shape[-1]).to(mode)
            mode = numtorch.where(mask.unsqueeze(-1), onehot, mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (lgamma(self.concentration).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0)
                - ((self.concentration - 1.0) * digamma(self.concentration)).sum(-1))


class Beta(Distribution):
    """Beta on [0, 1] with ``concentration1`` (alpha) and ``concentration0`` (beta).

    >>> import numtorch
    >>> from numtorch.distributions import Beta
    >>> d = Beta(numtorch.tensor([2.0]), numtorch.tensor([3.0]))
    >>> d.mean, d.log_prob(numtorch.tensor([0.25]))
    (tensor([0.4000]), tensor([0.5232]))
    """
    arg_constraints = {'concentration1': constraints.positive,
                       'concentration0': constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Number) and \
                isinstance(concentration0, numbers.Number):
            c10 = numtorch.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            c10 = numtorch.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(c10, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """Expand both concentrations to ``batch_shape``."""
        new = self._expand_params(Beta, batch_shape, _instance, '_dirichlet')
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = numtorch.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()
