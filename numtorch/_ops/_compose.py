"""Helpers for ops written as compositions of numtorch's public ops: they look ``numtorch`` (and
``Tensor``) up when called, so a module can use any op without an import cycle.
"""
from . import _apply


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
