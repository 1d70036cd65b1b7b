"""Helpers for ops written as compositions of numtorch's public ops: they look ``numtorch`` (and
``Tensor``) up when called, so a module can use any op without an import cycle.
"""
from . import _apply
from ..autograd.graph import Node


def _T():
    from .._tensor import Tensor
    return Tensor


def _nt():
    import numtorch
    return numtorch


def _ip(name):
    """In-place ``<name>_`` of torch-level op ``name`` (looked up when called: no import cycle)."""
    def fn(self, *args, **kwargs):
        return getattr(_nt(), name)(self, *args, **kwargs)
    fn.__name__ = name
    return _apply.inplace_method(fn)


class NoDoubleBackward(Node):
    """The last node of a composition whose torch counterpart is one fused kernel with no
    double backward: an identity named as torch's node (``CdistBackward0``,
    ``EmbeddingBagBackward0``...). A first-order gradient passes unchanged; create_graph
    through it refuses with torch's message (``double_backward_error``), which the engine
    raises when a second backward reaches it. Being last, it is the first node met."""

    def forward(self, a, message, name):
        self.double_backward_error = message
        self._name = name
        return a

    def backward(self, g):
        return g


def no_double_backward(t, message, name):
    """``t`` as is when it needs no gradient, else through a ``NoDoubleBackward`` node named
    ``name`` that refuses a double backward with ``message``.

    >>> import numtorch
    >>> x = numtorch.ones(2, requires_grad=True)
    >>> no_double_backward(x * 2, 'no', 'CdistBackward0').grad_fn.name()
    'CdistBackward0'
    """
    return _apply.unary(NoDoubleBackward, t, message, name) if t._requires_grad else t
