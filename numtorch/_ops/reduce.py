"""Reductions over all elements or along ``dim`` (``axis=`` and ``keepdims=`` accepted too)."""
from .._backend import xp
from ..autograd.graph import Node
from ._apply import unary, float_dtype


def _dims(dim, ndim):
    """Normalize ``dim`` (None, int or sequence) to a tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return tuple(_one(d, ndim) for d in dim)
    return (_one(dim, ndim),)


def _one(d, ndim):
    n = max(ndim, 1)
    d = int(d)
    if not -n <= d < n:
        raise IndexError(f'Dimension out of range (expected to be in range of [{-n}, {n - 1}], '
                         f'but got {d})')
    return d % n


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim and len(shape):
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


def _dim_kw(dim, kwargs):
    if 'axis' in kwargs:
        dim = kwargs.pop('axis')
    keepdim = kwargs.pop('keepdims', kwargs.pop('keepdim', False))
    return dim, keepdim, kwargs.pop('dtype', None)


class Sum(Node):
    def forward(self, a, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        if axes is not None:
            self._name = 'SumBackward1'
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64   # torch sums integers and bools in int64
        return a.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _expand_back(g, self.shape, self.axes, self.keepdim)


class Mean(Node):
    def forward(self, a, axes, keepdim, dtype):
        if a.dtype.kind not in 'fc' and dtype is None:
            raise RuntimeError(f'mean(): could not infer output dtype. Input dtype must be either '
                               f'a floating point or complex dtype. Got: {_cap(a.dtype)}')
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        if axes is not None:
            self._name = 'MeanBackward1'
        n = a.size if axes is None else int(xp.prod([a.shape[i] for i in axes]))
        self.n = n
        return a.mean(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _expand_back(g / self.n, self.shape, self.axes, self.keepdim)


def _cap(npd):
    return {'int64': 'Long', 'int32': 'Int', 'bool': 'Bool', 'uint8': 'Byte'}.get(npd.name, npd.name)


def sum(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """Sum of all elements, or along ``dim`` (an int or a tuple).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).sum(dim=0)
    tensor([4, 6])
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from .._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(Sum, input, _dims(dim, input._data.ndim), keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """Mean of all elements, or along ``dim``; needs a floating input (or ``dtype=``).

    >>> import numtorch
    >>> numtorch.tensor([[1., 2.], [3., 4.]]).mean(1)
    tensor([1.5000, 3.5000])
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from .._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(Mean, input, _dims(dim, input._data.ndim), keepdim, dtype)


__all__ = ['sum', 'mean']
