"""``Variable``: the pre-0.4 wrapper, now a function-like class that returns a detached tensor
sharing ``data``'s memory (``requires_grad`` as asked); ``isinstance(t, Variable)`` is true for
every tensor, as in torch."""
import warnings

from .._tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a new leaf sharing ``tensor``'s memory.

    >>> import numtorch
    >>> from numtorch.autograd import Variable
    >>> v = Variable(numtorch.ones(2), requires_grad=True)
    >>> v.requires_grad, isinstance(v, Variable)
    (True, True)
    """

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f'Variable data has to be a tensor, but got {type(data).__name__}')
        if volatile:
            warnings.warn('volatile was removed and now has no effect. Use `with torch.no_grad():` '
                          'instead.', UserWarning, stacklevel=2)
        out = data.detach()
        if requires_grad:
            if out.dtype.is_floating_point is False and not out.dtype.is_complex:
                # the constructor's wording (requires_grad_'s differs), as torch
                raise RuntimeError('Only Tensors of floating point and complex dtype can require '
                                   'gradients')
            out.requires_grad_(True)
        return out
