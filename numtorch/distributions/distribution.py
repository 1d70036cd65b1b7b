"""``Distribution``: shapes (``batch_shape``, ``event_shape``), argument and sample validation with
torch's messages, and the helpers the concrete distributions share."""
import numbers

from .._backend import namespace
from .._tensor import Tensor
from .._size import Size
from .._ops._apply import wrap
from .. import _dtype
from . import constraints

__all__ = ['Distribution']

_VALIDATE = [True]   # torch's default follows __debug__, which is True unless python -O


class Distribution:
    """Base class: ``sample``, ``rsample``, ``log_prob``, ``entropy``, ``mean``, ``variance``...

    >>> import numtorch
    >>> from numtorch.distributions import Normal
    >>> d = Normal(numtorch.zeros(3), 1.0)
    >>> d.batch_shape, d.event_shape, d.sample((2,)).shape
    (torch.Size([3]), torch.Size([]), torch.Size([2, 3]))
    """
    has_rsample = False
    has_enumerate_support = False
    arg_constraints = {}
    support = None

    @staticmethod
    def set_default_validate_args(value):
        """Turn argument / sample validation on or off for distributions made afterwards."""
        if value not in (True, False):
            raise ValueError
        _VALIDATE[0] = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = _VALIDATE[0] if validate_args is None else validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraint is constraints.dependent or param not in self.__dict__ and \
                        isinstance(getattr(type(self), param, None), lazy_property):
                    continue      # skip lazily computed parameters (probs vs logits)
                value = getattr(self, param)
                valid = constraint.check(value)
                if not bool(valid.all()):
                    raise ValueError(
                        f'Expected parameter {param} ({type(value).__name__} of shape '
                        f'{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint '
                        f'{constraint!r}, but found invalid values:\n{value}')

    def expand(self, batch_shape, _instance=None):
        """A view of this distribution with a bigger ``batch_shape`` (parameters expanded)."""
        raise NotImplementedError

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f'Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom '
                f'__init__ method must also define a custom .expand() method.')
        return self.__new__(type(self)) if _instance is None else _instance

    def _expand_params(self, cls, batch_shape, _instance, *names):
        """The common ``expand``: a new ``cls`` (or ``_instance``) whose parameters ``names``
        (tensors, or inner distributions: anything with ``.expand``) are expanded to
        ``batch_shape``; validation is not repeated, as torch's ``expand`` does."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = Size(batch_shape)
        for name in names:
            setattr(new, name, getattr(self, name).expand(batch_shape))
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f'{type(self)} does not implement mode')

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        """Draw (without gradient) a sample of shape ``sample_shape + batch_shape + event_shape``."""
        from ..autograd.grad_mode import no_grad
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()):
        if not isinstance(sample_shape, tuple):
            sample_shape = tuple(sample_shape)
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError('The value argument to log_prob must be a Tensor')
        event_dim_start = len(value.shape) - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f'The right-most size of value must match event_shape: '
                             f'{value.shape} vs {self._event_shape}.')
        actual = value.shape
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f'Value is not broadcastable with batch_shape+event_shape: '
                                 f'{actual} vs {Size(expected)}.')
        support = self.support
        if support is None or support is constraints.dependent:
            return
        valid = support.check(value)
        if not bool(valid.all()):
            raise ValueError(
                f'Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) '
                f'to be within the support ({support!r}) of the distribution {self!r}, but found '
                f'invalid values:\n{value}')

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ', '.join(f'{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}'
                         for p in names)
        return f'{type(self).__name__}({args})'


class lazy_property:
    """Computed on first access, then stored on the instance (torch's ``lazy_property``): a
    distribution made from ``probs`` computes ``logits`` only when asked."""

    def __init__(self, fn):
        self.wrapped = fn
        self.__doc__ = fn.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def broadcast_all(*values):
    """Numbers and tensors -> tensors of one broadcast shape (numbers take the tensors' float
    dtype, or the default dtype)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError('Input arguments must all be instances of numbers.Number, '
                         'torch.Tensor or objects implementing __torch_function__.')
    first = next((v._data for v in values if isinstance(v, Tensor)), None)
    if first is None:
        dt, xp = _dtype.get_default_dtype().np, namespace(0.0)
    else:   # numbers join the first tensor's dtype and device, as torch's
        dt, xp = first.dtype, namespace(first)
    tensors = [v if isinstance(v, Tensor) else wrap(xp.asarray(v, dtype=dt)) for v in values]
    from .. import broadcast_tensors
    return broadcast_tensors(*tensors)


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dims (none for ``dim == 0``)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    eps = _dtype.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    if is_binary:
        return ps.log() - (-ps).log1p()
    return ps.log()


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)
