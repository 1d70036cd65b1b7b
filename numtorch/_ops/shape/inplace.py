"""The in-place shape methods ``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``: the tensor keeps
its identity and takes the shape (and, under autograd, the history) of the matching view op.
"""
from ...autograd.graph import _rename
from ...autograd.grad_mode import _enabled
from .._apply import wrap
from .views import squeeze, unsqueeze, transpose


def _shape_inplace(self, fn, *args, name=None):
    """Give ``self`` the shape of ``fn(self, *args)`` (a view op), keeping its identity: its
    array is rebound to the view, and under autograd it takes the view op's history."""
    if _enabled[0] and self._requires_grad:
        if self.grad_fn is None:
            raise RuntimeError('a leaf Variable that requires grad is being used in an in-place '
                               'operation.')
        base = self._base
        # Only the leaf checks of Tensor._check_inplace: no values are written, so the view's
        # base needs no new history and a view may change shape in place.
        if base is not None and base._requires_grad and base.grad_fn is None:
            raise RuntimeError('a view of a leaf Variable that requires grad is being used in an '
                               'in-place operation.')
        src = wrap(self._data)
        src._requires_grad, src.grad_fn = True, self.grad_fn
        if self._output_nr:
            src._output_nr = self._output_nr
        out = fn(src, *args)
        node = out.grad_fn
        if node is not None:
            # torch numbers the in-place overloads after the out-of-place ones:
            # UnsqueezeBackward0 -> 1, TBackward0 -> 1, SqueezeBackward0-2 -> 3-5, ...
            base, num = node._name[:-1], int(node._name[-1])
            node._name = name or base + str(num + 1)
            _rename(node)
        self.grad_fn = node
        self.__dict__.pop('_output_nr', None)
    else:
        out = fn(self, *args)
    if self._base is not None and out._vfn is not None:
        # a view's recipe from its base (_ops/shape/copyslices.py) takes this last step too
        self._vfn = out._vfn if out._base is self._base else out._vfn[:2] + (self._vfn,)
    self._data = out._data
    self._version_counter[0] += 1
    return self


def squeeze_(input, dim=None):
    """``squeeze`` in place: drop size-1 dims (all, or those in ``dim``).

    >>> import numtorch
    >>> numtorch.zeros(1, 2, 1).squeeze_().shape
    torch.Size([2])
    """
    kind = 3 if dim is None else 5 if isinstance(dim, (tuple, list)) else 4
    return _shape_inplace(input, squeeze, dim, name=f'SqueezeBackward{kind}')


def unsqueeze_(input, dim):
    """``unsqueeze`` in place: insert a size-1 dim at ``dim``.

    >>> import numtorch
    >>> numtorch.zeros(2).unsqueeze_(0).shape
    torch.Size([1, 2])
    """
    return _shape_inplace(input, unsqueeze, dim)


def t_(input):
    """``t`` in place: transpose a matrix (a 0-d or 1-d tensor is unchanged).

    >>> import numtorch
    >>> numtorch.zeros(2, 3).t_().shape
    torch.Size([3, 2])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f't_() expects a tensor with <= 2 dimensions, but self is '
                           f'{input._data.ndim}D')
    return _shape_inplace(input, lambda x: x.t())


def transpose_(input, dim0, dim1):
    """``transpose`` in place: swap dims ``dim0`` and ``dim1``.

    >>> import numtorch
    >>> numtorch.zeros(2, 3, 4).transpose_(0, 2).shape
    torch.Size([4, 3, 2])
    """
    return _shape_inplace(input, transpose, dim0, dim1)

__all__ = []   # Tensor methods only: torch has no torch.squeeze_
METHODS = {'squeeze_': squeeze_, 'unsqueeze_': unsqueeze_, 't_': t_, 'transpose_': transpose_}
