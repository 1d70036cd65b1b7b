"""``Bernoulli(probs=None, logits=None)``."""
from .._size import Size
from . import constraints
from .distribution import (Distribution, broadcast_all, lazy_property, probs_to_logits,
                           logits_to_probs)

__all__ = ['Bernoulli']


def _bce_with_logits(x, z):
    # torch's stable form: (1 - z) * x + m + log(exp(-m) + exp(-x - m)), m = max(-x, 0)
    m = (-x).clamp_min(0)
    return (1 - z) * x + m + ((-m).exp() + (-x - m).exp()).log()


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    >>> import numtorch
    >>> from numtorch.distributions import Bernoulli
    >>> d = Bernoulli(0.25)
    >>> d.log_prob(numtorch.tensor(1.)), d.entropy(), d.mean
    (tensor(-1.3863), tensor(0.5623), tensor(0.2500))
    """
    arg_constraints = {'probs': constraints.unit_interval, 'logits': constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError('Either `probs` or `logits` must be specified, but not both.')
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        self._param = param
        super().__init__(param.size(), validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float('nan'))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        import numtorch
        shape = self._extended_shape(sample_shape)
        with numtorch.no_grad():
            return numtorch.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        import numtorch
        values = numtorch.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
