"""Sorting, selection and counting: sort, argsort, msort, topk, kthvalue, unique,
unique_consecutive, bincount, histc, searchsorted, bucketize, isin (cummax/cummin and diff are
in ``scan.py``).

The differentiable ones (sort, msort, topk, kthvalue; cummax/cummin in scan.py) pick elements
along a dim;
their backward puts the gradient back at the picked indices (one ``SelectAlong`` node family,
shared with ``max(dim)``/``min(dim)`` and defined in ``reduce``).
Sorts are stable, and NaN sorts above every number, as on torch's CPU.
"""
from ..._backend import xp, namespace
from ..._dtype import scalar_name
from .._apply import wrap
from .. import _apply
from .reduce import _one, _values_indices, SelectAlong
from ... import return_types

__all__ = ['sort', 'argsort', 'msort', 'topk', 'kthvalue', 'unique',
           'unique_consecutive', 'bincount', 'histc', 'searchsorted', 'bucketize', 'isin']
FUNCTION_ONLY = {'searchsorted', 'bucketize', 'isin'}


def _argsort(a, axis, descending):
    """Stable argsort along ``axis``; descending keeps equal elements in their original order."""
    if not descending:
        return xp.argsort(a, axis=axis, kind='stable')
    n = a.shape[axis]
    rev = xp.argsort(xp.flip(a, axis), axis=axis, kind='stable')
    return (n - 1) - xp.flip(rev, axis)


class Sort(SelectAlong):
    def forward(self, a, axis, descending):
        if a.ndim == 0:
            self.axis = None
            return a.copy(), self.xp.zeros((), xp.int64)
        return self.pick(a, _argsort(a, axis, descending), axis)


class Topk(SelectAlong):
    def forward(self, a, k, axis, largest):
        if a.ndim == 0:
            self.axis = None
            return a.copy(), self.xp.zeros((), xp.int64)
        idx = _argsort(a, axis, largest)
        return self.pick(a, xp.take(idx, self.xp.arange(k), axis=axis), axis)


class Kthvalue(SelectAlong):
    def forward(self, a, k, axis, keepdim):
        if a.ndim == 0:
            self.axis = None
            return a.copy(), self.xp.zeros((), xp.int64)
        idx = xp.take(_argsort(a, axis, False), self.xp.asarray([k - 1]), axis=axis)
        return self.pick(a, idx, axis, keepdim)


def _dim_arg(dim, kwargs):
    if 'axis' in kwargs:
        dim = kwargs.pop('axis')
    if kwargs:
        raise TypeError(f'unexpected keyword argument {next(iter(kwargs))!r}')
    return dim


def sort(input, dim=-1, descending=False, stable=False, **kwargs):
    """``(values, indices)`` sorted along ``dim`` (stable; NaN last, first when descending).

    >>> import numtorch
    >>> numtorch.tensor([3., 1., 2.]).sort()
    torch.return_types.sort(
    values=tensor([1., 2., 3.]),
    indices=tensor([1, 2, 0]))
    """
    dim = _dim_arg(dim, kwargs)
    return _values_indices(Sort, input, return_types.sort, _one(dim, input._data.ndim), descending)


def argsort(input, dim=-1, descending=False, stable=False, **kwargs):
    """Indices that sort ``input`` along ``dim`` (int64, no gradient).

    >>> import numtorch
    >>> numtorch.argsort(numtorch.tensor([3, 1, 2]), descending=True)
    tensor([0, 2, 1])
    """
    dim = _one(_dim_arg(dim, kwargs), input._data.ndim)
    a = input._data
    if a.ndim == 0:
        return wrap(namespace(a).zeros((), xp.int64))
    return wrap(_argsort(a, dim, descending).astype(xp.int64, copy=False))


def msort(input):
    """``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    >>> import numtorch
    >>> numtorch.tensor([1., 5., 3.]).topk(2)
    torch.return_types.topk(
    values=tensor([5., 3.]),
    indices=tensor([1, 2]))
    """
    dim = _one(dim, input._data.ndim)
    size = input._data.shape[dim] if input._data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError('selected index k out of range')
    return _values_indices(Topk, input, return_types.topk, k, dim, largest)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index.

    >>> import numtorch
    >>> numtorch.tensor([4., 1., 3.]).kthvalue(2)
    torch.return_types.kthvalue(
    values=tensor(3.),
    indices=tensor(2))
    """
    dim = _one(dim, input._data.ndim)
    size = input._data.shape[dim] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f'kthvalue(): selected number k out of range for dimension {dim}')
    return _values_indices(Kthvalue, input, return_types.kthvalue, k, dim, keepdim)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with the inverse map and the counts.

    >>> import numtorch
    >>> numtorch.tensor([3, 1, 3, 2]).unique(return_counts=True)
    (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    a = input._data
    if dim is None:
        vals, inv, cnt = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        dim = _one(dim, a.ndim)
        vals, inv, cnt = xp.unique(a, return_inverse=True, return_counts=True, axis=dim)
        inv = inv.reshape(-1)
    return _unique_out(vals, inv, cnt, return_inverse, return_counts)


def _unique_out(vals, inv, cnt, return_inverse, return_counts):
    out = (wrap(vals),)
    if return_inverse:
        out += (wrap(inv.astype(xp.int64, copy=False)),)
    if return_counts:
        out += (wrap(cnt.astype(xp.int64, copy=False)),)
    return out[0] if len(out) == 1 else out


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (along ``dim``, or over the flattened input).

    >>> import numtorch
    >>> numtorch.unique_consecutive(numtorch.tensor([1, 1, 2, 2, 1]))
    tensor([1, 2, 1])
    """
    a = input._data
    shape = a.shape
    if dim is None:
        a, dim = a.reshape(-1), 0
    else:
        dim = _one(dim, a.ndim)
    n = a.shape[dim] if a.ndim else 1
    if a.ndim == 0 or n == 0:
        xpd = namespace(a)
        return _unique_out(a.reshape(-1), xpd.zeros(shape, xp.int64), xpd.ones(a.size, xp.int64),
                           return_inverse, return_counts)
    moved = xp.moveaxis(a, dim, 0).reshape(n, -1)
    change = xp.concatenate([namespace(a).ones(1, bool), (moved[1:] != moved[:-1]).any(axis=1)])
    starts = xp.flatnonzero(change)
    inv = xp.cumsum(change) - 1
    if a.ndim == 1 and len(shape) != 1:
        inv = inv.reshape(shape)      # flattened input: the inverse has the input's shape
    cnt = xp.diff(xp.append(starts, n))
    return _unique_out(xp.take(a, starts, axis=dim), inv, cnt, return_inverse, return_counts)


def _int1d_nonneg(a, name):
    if a.dtype.kind not in 'iub':
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_tname(a)}\'')
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError(f'{name} only supports 1-d non-negative integral inputs.')


def _tname(a):
    return scalar_name(a.dtype)


def bincount(input, weights=None, minlength=0):
    """Count of each value in a 1-d non-negative integer tensor (or the sum of its ``weights``).

    >>> import numtorch
    >>> numtorch.bincount(numtorch.tensor([0, 2, 2]))
    tensor([1, 0, 2])
    """
    a = input._data
    _int1d_nonneg(a, 'bincount')
    if weights is None:
        return wrap(xp.bincount(a, minlength=minlength).astype(xp.int64, copy=False))
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError('weights should be 1-d and have the same length as input')
    # torch keeps float32 weights' dtype and counts every other weight dtype in float64
    dt = w.dtype if w.dtype.kind == 'f' else xp.float64
    return wrap(xp.bincount(a, weights=w, minlength=minlength).astype(dt))


def histc(input, bins=100, min=0, max=0):
    """Histogram of ``bins`` equal-width bins over [min, max] (the data's range if both are 0);
    values outside are ignored.

    >>> import numtorch
    >>> numtorch.histc(numtorch.tensor([1., 2., 1.]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    a = input._data
    if a.dtype.kind != 'f':
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{_tname(a)}\'')
    if bins <= 0:
        raise RuntimeError(f'torch.histc(): bins must be > 0, but got {bins} for dimension 0')
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f'torch.histc(): max must be larger than min, but got min {lo} max {hi}')
    flat = a.reshape(-1).astype(xp.float64)
    flat = flat[(flat >= lo) & (flat <= hi)]
    # torch's binning: floor((x - min) * bins / (max - min)), the top edge in the last bin
    pos = xp.minimum(((flat - lo) * bins / (hi - lo)).astype(xp.int64), bins - 1)
    return wrap(xp.bincount(pos, minlength=bins).astype(a.dtype))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each of ``input`` would go in the sorted innermost dim of ``sorted_sequence``.

    >>> import numtorch
    >>> numtorch.searchsorted(numtorch.tensor([1, 3, 5]), numtorch.tensor([3, 4]))
    tensor([1, 2])
    """
    seq = sorted_sequence._data
    scalar = not isinstance(input, _apply.Tensor)
    v = namespace(seq).asarray(input) if scalar else input._data
    if side is not None:
        if side not in ('left', 'right'):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == 'left':
            raise RuntimeError('torch.searchsorted(): side and right can\'t be set to opposites, '
                               'got side of left while right was True')
        right = side == 'right'
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, -1)
    how = 'right' if right else 'left'
    dt = xp.int32 if out_int32 else xp.int64
    if seq.ndim <= 1:
        return wrap(xp.searchsorted(seq, v, side=how).astype(dt))
    if seq.shape[:-1] != v.shape[:-1]:
        raise RuntimeError('torch.searchsorted(): boundaries tensor should be 1 dimension or the '
                           'first N-1 dimensions of boundaries tensor and input value tensor '
                           f'must match, but we got boundaries tensor {list(seq.shape)} and '
                           f'input value tensor {list(v.shape)}')
    s2, v2 = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
    out = xp.stack([xp.searchsorted(s, x, side=how) for s, x in zip(s2, v2)]) if len(s2) else \
        namespace(seq).zeros(v2.shape, xp.int64)
    return wrap(out.reshape(v.shape).astype(dt))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Bucket index of each element of ``input`` given 1-d sorted ``boundaries``.

    >>> import numtorch
    >>> numtorch.bucketize(numtorch.tensor([3, 4]), numtorch.tensor([1, 3, 5]))
    tensor([1, 2])
    """
    if boundaries._data.ndim != 1:
        raise RuntimeError(f'boundaries tensor must be 1 dimension, but got dim('
                           f'{boundaries._data.ndim})')
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Bool tensor: whether each of ``elements`` occurs in ``test_elements``.

    >>> import numtorch
    >>> numtorch.isin(numtorch.tensor([1, 2, 3]), numtorch.tensor([2, 5]))
    tensor([False,  True, False])
    """
    # a Python number or list joins the tensor's device
    e = elements._data if isinstance(elements, _apply.Tensor) else \
        namespace(test_elements._data).asarray(elements)
    t = test_elements._data if isinstance(test_elements, _apply.Tensor) else \
        namespace(e).asarray(test_elements)
    return wrap(xp.isin(e, t, invert=invert))


