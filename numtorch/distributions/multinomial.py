"""``Multinomial(total_count, probs=None, logits=None)``: counts of ``total_count`` draws from a
categorical distribution (D2L's dice: ``Multinomial(10, fair_probs).sample((500,))``)."""
from .._size import Size
from . import constraints
from .categorical import Categorical
from .distribution import Distribution, broadcast_all, probs_to_logits

__all__ = ['Multinomial']


class Multinomial(Distribution):
    """Counts per class after ``total_count`` independent draws; samples are float counts.

    >>> import numtorch
    >>> from numtorch.distributions import Multinomial
    >>> fair_probs = numtorch.ones(6) / 6
    >>> counts = Multinomial(10, fair_probs).sample((500,))
    >>> counts.shape, bool((counts.sum(1) == 10).all())
    (torch.Size([500, 6]), True)
    >>> Multinomial(4, numtorch.tensor([0.5, 0.5])).log_prob(numtorch.tensor([2., 2.]))
    tensor(-0.9808)
    """
    arg_constraints = {'probs': constraints.simplex, 'logits': constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError('inhomogeneous total_count is not supported')
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        import numtorch
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,) + tuple(sample_shape)))
        # (total_count, *sample_shape, *batch) -> (*sample_shape, *batch, total_count)
        order = list(range(samples.dim()))
        order.append(order.pop(0))
        samples = samples.permute(*order)
        counts = numtorch.zeros(self._extended_shape(sample_shape), dtype=numtorch.int64,
                             device=self.probs.device)
        counts.scatter_add_(-1, samples, numtorch.ones_like(samples))
        return counts.type_as(self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone()
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        # 0 * log(0) counts as 0: a class with zero probability that was drawn zero times
        logits = logits.masked_fill((value == 0) & (logits == -float('inf')), 0)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def entropy(self):
        import numtorch
        n = self.total_count
        probs = self.probs
        term1 = n * self._categorical.entropy() - float(numtorch.tensor(float(n + 1)).lgamma())
        # E[sum_k log(x_k!)] with x_k ~ Binomial(n, p_k), summed over the support 1..n
        support = numtorch.arange(1, n + 1, dtype=probs.dtype, device=probs.device)
        support = support.reshape((-1,) + (1,) * probs.dim())
        total, p = broadcast_all(float(n), probs)
        logits = probs_to_logits(p, is_binary=True)
        clamp0 = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
        norm = total * clamp0 + total * (-logits.abs()).exp().log1p() - (total + 1).lgamma()
        log_binom = (support * logits - (support + 1).lgamma() - (total - support + 1).lgamma()
                     - norm)
        term2 = (log_binom.exp() * (support + 1).lgamma()).sum([0, -1])
        return term1 + term2
