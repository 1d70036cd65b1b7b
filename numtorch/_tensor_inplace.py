"""The in-place half of ``Tensor``: ``add_``, ``mul_``, ``fill_``, ``copy_``, ``+=``, ... and the
autograd checks every in-place op goes through (``_check_inplace``, ``_inplace``).

Written as plain functions and listed in ``METHODS``; ``numtorch/_registry.py`` sets them onto
``Tensor`` first, so they sit in ``Tensor.__dict__`` exactly as if defined in the class body: no
op module's ``__all__`` shadows them, and subclasses see them the same way.
"""
from ._ops.pointwise import arithmetic as _ew
from ._backend import xp, to_device, device_of
from .autograd import graph
from .autograd.grad_mode import _enabled
from ._convert import _cap
from ._ops import _apply
from ._tensor import Tensor
from ._ops.shape import copyslices as _cs


def _check_inplace(self):
    """torch's refusals for in-place ops that would corrupt autograd (in torch's order)."""
    base = self._base
    if base is not None:
        if self._creation is not None:   # made in no_grad mode, or by split/chunk/unbind
            raise RuntimeError(_cs.creation_error(self))
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError('a view of a leaf Variable that requires grad is being used in '
                               'an in-place operation.')
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError('a leaf Variable that requires grad is being used in an in-place '
                           'operation.')


def _inplace(self, fn, *args, **kwargs):
    """Run out-of-place ``fn(self, ...)``, write the result into self, take its history (for
    a view: give its base a CopySlices history, see _ops/shape/copyslices.py)."""
    if _enabled[0]:
        grad = self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args) or \
            any(isinstance(a, Tensor) and a._requires_grad for a in kwargs.values())
        if not grad and self._base is not None:
            grad = self._base._requires_grad   # torch's view requires grad when its base does
        if grad:
            base = self._base
            self._check_inplace()
            if base is not None and not _cs.through_view(self):
                base = None   # view(dtype): torch records nothing on the base
            # The op's node may save its input for backward (mul_, clamp_, sqrt_...), and
            # self is about to be overwritten: hand it a copy standing in self's graph place
            # (torch saves "original_self" for these ops the same way).
            src = _apply.wrap(self._data.copy())
            if base is not None:
                # a view: its value as a function of the base's current history
                stand = _cs.stand_in(self)
                src._requires_grad, src.grad_fn = True, stand
            else:
                src._requires_grad, src.grad_fn = self._requires_grad, self.grad_fn
                if self._output_nr:
                    src._output_nr = self._output_nr
            out = fn(src, *args, **kwargs)
        else:
            out = fn(self, *args, **kwargs)
    else:
        grad = False
        out = fn(self, *args, **kwargs)
    od = out._data
    if od.dtype != self._data.dtype and not xp.can_cast(od.dtype, self._data.dtype, 'same_kind'):
        raise RuntimeError(f"result type {_cap(od.dtype)} can't be cast to the desired output "
                           f"type {_cap(self._data.dtype)}")
    if od.shape != self._data.shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, self._data.shape))}] doesn't "
                           f"match the broadcast shape [{', '.join(map(str, od.shape))}]")
    try:
        self._data[...] = od
    except ValueError:
        # an expanded view (NumPy's is read-only)
        if not getattr(self._data.flags, 'writeable', True):
            raise RuntimeError(_OVERLAP) from None
        raise
    self._version_counter[0] += 1
    if grad and out._requires_grad:   # (a non-differentiable op, logical_and_, keeps the history)
        if base is not None:
            _cs.rebase(self, out.grad_fn, stand)
        else:
            _cs.set_history(self, out.grad_fn)
            if self._views:
                _cs.refresh(self)
    return self


_OVERLAP = ('unsupported operation: more than one element of the written-to tensor refers to a '
            'single memory location. Please clone() the tensor before performing the operation.')


def add_(self, other, *, alpha=1):
    """In-place ``add``: ``self += alpha * other``."""
    return self._inplace(_ew.add, other, alpha=alpha)


def sub_(self, other, *, alpha=1):
    """In-place ``sub``: ``self -= alpha * other``."""
    return self._inplace(_ew.sub, other, alpha=alpha)


def mul_(self, other):
    """In-place ``mul``."""
    return self._inplace(_ew.mul, other)


def div_(self, other, *, rounding_mode=None):
    """In-place ``div`` (``rounding_mode`` as in ``div``)."""
    return self._inplace(_ew.div, other, rounding_mode=rounding_mode)


def pow_(self, exponent):
    """In-place ``pow``."""
    return self._inplace(_ew.pow, exponent)


def neg_(self):
    """In-place ``neg``."""
    return self._inplace(_ew.neg)


def zero_(self):
    """Fill with zeros in place."""
    return self.fill_(0)


def fill_(self, value):
    """Fill with ``value`` in place."""
    if isinstance(value, Tensor):
        value = value.item()
    base = self._base
    if _enabled[0] and (self._requires_grad or (base is not None and base._requires_grad)):
        self._check_inplace()
        self._data.fill(value)
        self._version_counter[0] += 1
        _cs.refill_history(self, connect_const)
        return self
    self._data.fill(value)
    self._version_counter[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast) into self in place; differentiable w.r.t. ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor._from_any(src)
    return self._inplace(_copy_from, src)


def __ifloordiv__(self, other):
    return self._inplace(_ew.div, other, rounding_mode='floor')


def __ipow__(self, other):
    return self._inplace(_ew.pow, other)


class _CopyFrom(graph.Node):
    _name = 'CopyBackwards'

    src_device = None   # set when the copy crosses devices: the gradient goes back there

    def forward(self, dst, src):
        self.shapes = dst.shape, src.shape
        self.src_dtype = src.dtype
        try:
            return xp.broadcast_to(src, dst.shape).astype(dst.dtype)
        except ValueError:    # torch's words (NumPy's name no shapes)
            _apply.raise_if_unbroadcastable(dst.shape, src.shape)
            raise RuntimeError(f"output with shape [{', '.join(map(str, dst.shape))}] doesn't match "
                               f"the broadcast shape [{', '.join(map(str, xp.broadcast_shapes(dst.shape, src.shape)))}]") from None

    def backward(self, g):
        gs = _apply.unbroadcast(g, self.shapes[1]).astype(self.src_dtype)
        if self.src_device is not None:
            gs = to_device(gs, self.src_device)
        return self.xp.zeros_like(g), gs


def _copy_from(dst, src):
    node = _CopyFrom()
    _apply.bind(node, dst._data)
    sd = src._data
    if sd.__class__ is not dst._data.__class__:   # copy_ may cross devices, as torch's does
        node.src_device = device_of(sd)
        sd = to_device(sd, device_of(dst._data))
    out = _apply.wrap(node.forward(dst._data, sd))
    if _enabled[0] and (dst._requires_grad or src._requires_grad):
        graph.connect(node, out, (dst, src))
    return out


class _Fill(graph.Node):
    _name = 'FillBackward0'

    def backward(self, g):
        return (self.xp.zeros_like(g),)


def connect_const(t):
    """After an in-place fill, ``t`` no longer depends on its past: its grad to that is zero."""
    node = _Fill()
    node.edges = (graph.edge(t),)
    return node


def apply_(self, callable):
    """Replace every element ``x`` by ``callable(x)`` (a Python function; slow, CPU only, as
    torch's). Returns self.

    >>> import numtorch
    >>> numtorch.tensor([1., 2.]).apply_(lambda v: v * 10)
    tensor([10., 20.])
    """
    if self._requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use "
                           "var.detach().apply_() instead.")
    if self._data.__class__ is not xp.ndarray:
        raise TypeError('apply_ is only implemented on CPU tensors')
    vals = [callable(v) for v in self._data.reshape(-1).tolist()]
    self._data[...] = xp.asarray(vals, self._data.dtype).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


def map_(self, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` elementwise (``tensor`` broadcasts to self).

    >>> import numtorch
    >>> numtorch.tensor([1., 2.]).map_(numtorch.tensor([3., 4.]), lambda a, b: a * b)
    tensor([3., 8.])
    """
    if self._requires_grad or tensor._requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                           "var.detach().map_() instead.")
    if self._data.__class__ is not xp.ndarray:
        raise TypeError('map_ is only implemented on CPU tensors')
    other = xp.broadcast_to(tensor._data, self._data.shape)
    vals = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(),
                                           other.reshape(-1).tolist())]
    self._data[...] = xp.asarray(vals, self._data.dtype).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


__all__ = []   # no torch-level functions here: Tensor methods only
METHODS = {name: globals()[name] for name in (
    '_check_inplace', '_inplace', 'add_', 'sub_', 'mul_', 'div_', 'pow_', 'neg_', 'zero_', 'fill_',
    'copy_', '__ifloordiv__', '__ipow__', 'apply_', 'map_')}
for _name, _fn in METHODS.items():
    _fn.__qualname__ = f'Tensor.{_name}'
del _name, _fn
# Python's augmented assignment: the same functions as the named methods.
METHODS.update({'__iadd__': add_, '__isub__': sub_, '__imul__': mul_, '__itruediv__': div_})
