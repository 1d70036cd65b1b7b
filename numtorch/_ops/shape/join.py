"""Ops that join several tensors into one: ``cat``/``stack`` and friends (``hstack``, ``vstack``,
``dstack``, ``column_stack``), the broadcasting helpers (``broadcast_shapes``,
``broadcast_tensors``, ``meshgrid``, ``atleast_*d``), ``block_diag``, ``cartesian_prod``, ``combinations``.
"""
import itertools
from .._compose import _nt
from ..._backend import xp
from ..._dtype import result_type
from ..._size import Size
from ...autograd.graph import Node
from .._apply import view as view_op, nary
from .. import _apply
from ..reductions.reduce import _one
from .views import View, Expand, unsqueeze, _dims_str


def _tensor_list(tensors, fname):
    if isinstance(tensors, _apply.Tensor):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not Tensor")
    return list(tensors)


def _cast_all(tensors):
    """torch promotes the inputs of cat/stack to one dtype; return that NumPy dtype."""
    first = tensors[0]._data.dtype
    for t in tensors:
        if t._data.dtype != first:
            return result_type(*tensors).np
    return first


class Cat(Node):
    """Backward hands each input its slice of the output grad, in the input's own dtype."""

    def forward(self, arrays, dim, keep, dtype):
        self.dim, self.keep = dim, keep
        self.meta = [(a.shape[dim] if k else None, a.dtype) for a, k in zip(arrays, keep)]
        return xp.concatenate([a.astype(dtype, copy=False) for a, k in zip(arrays, keep) if k],
                              axis=dim)

    def backward(self, g):
        out, start, idx = [], 0, [slice(None)] * g.ndim
        for n, dt in self.meta:
            if n is None:   # a skipped legacy empty tensor
                out.append(self.xp.zeros((0,), dt))
                continue
            idx[self.dim] = slice(start, start + n)
            out.append(g[tuple(idx)].astype(dt, copy=False))
            start += n
        return tuple(out)


def cat(tensors, dim=0, *, out=None, axis=None):
    """Concatenate tensors along an existing dim; dtypes promote as in arithmetic.

    >>> import numtorch
    >>> numtorch.cat([numtorch.zeros(2, 3), numtorch.ones(1, 3)]).shape
    torch.Size([3, 3])
    """
    tensors = _tensor_list(tensors, 'cat')
    if axis is not None:
        dim = axis
    if not tensors:
        raise ValueError('torch.cat(): expected a non-empty list of Tensors')
    # torch skips 1-D empty tensors (legacy behaviour) when joining higher-dim ones.
    keep = [t._data.shape != (0,) for t in tensors]
    ref = next((t for t, k in zip(tensors, keep) if k), tensors[0])
    if not any(keep):
        keep[0] = True
    shp = ref._data.shape
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f'zero-dimensional tensor (at position {i}) cannot be concatenated')
    d = _one(dim, len(shp))
    for i, (t, k) in enumerate(zip(tensors, keep)):
        if not k:
            continue
        s = t._data.shape
        if len(s) != len(shp):
            raise RuntimeError(f'Tensors must have same number of dimensions: got {len(shp)} and '
                               f'{len(s)}')
        for j, (x, y) in enumerate(zip(shp, s)):
            if j != d and x != y:
                raise RuntimeError(f'Sizes of tensors must match except in dimension {d}. Expected '
                                   f'size {x} but got size {y} for tensor number {i} in the list.')
    res = nary(Cat, tensors, d, keep, _cast_all(tensors))
    if out is not None:
        out.copy_(res)
        return out
    return res
concat = concatenate = cat


class Stack(Node):
    def forward(self, arrays, dim, dtype):
        self.dim, self.dtypes = dim, [a.dtype for a in arrays]
        return xp.stack([a.astype(dtype, copy=False) for a in arrays], axis=dim)

    def backward(self, g):
        idx = (slice(None),) * self.dim
        return tuple(g[idx + (i,)].astype(dt, copy=False) for i, dt in enumerate(self.dtypes))


def stack(tensors, dim=0, *, out=None):
    """Join equal-shaped tensors along a new dim.

    >>> import numtorch
    >>> numtorch.stack([numtorch.zeros(2, 3), numtorch.ones(2, 3)], dim=1).shape
    torch.Size([2, 2, 3])
    """
    tensors = _tensor_list(tensors, 'stack')
    if not tensors:
        raise RuntimeError('stack expects a non-empty TensorList')
    shp = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shp:
            raise RuntimeError(f'stack expects each tensor to be equal size, but got '
                               f'{_dims_str(shp)} at entry 0 and {_dims_str(t._data.shape)} at '
                               f'entry {i}')
    d = _one(dim, len(shp) + 1)
    res = nary(Stack, tensors, d, _cast_all(tensors))
    if out is not None:
        out.copy_(res)
        return out
    return res


def hstack(tensors, *, out=None):
    """Concatenate along dim 1 (dim 0 for 1-D tensors).

    >>> import numtorch
    >>> numtorch.hstack([numtorch.zeros(2, 1), numtorch.ones(2, 2)]).shape
    torch.Size([2, 3])
    """
    ts = atleast_1d(_tensor_list(tensors, 'hstack'))
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate along dim 0 after making every tensor at least 2-D.

    >>> import numtorch
    >>> numtorch.vstack([numtorch.zeros(3), numtorch.ones(3)]).shape
    torch.Size([2, 3])
    """
    return cat(atleast_2d(_tensor_list(tensors, 'vstack')), 0, out=out)
row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate along dim 2 after making every tensor at least 3-D."""
    return cat(atleast_3d(_tensor_list(tensors, 'dstack')), 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack 0/1-D tensors as columns (and concatenate 2-D ones) along dim 1."""
    ts = [view_op(View, t, (-1, 1)) if t._data.ndim <= 1 else t
          for t in _tensor_list(tensors, 'column_stack')]
    return cat(ts, 1, out=out)


# --------------------------------------------------------------------------- broadcasting
def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, as a ``Size``.

    >>> import numtorch
    >>> numtorch.broadcast_shapes((2, 1), (4,))
    torch.Size([2, 4])
    """
    out = ()
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(shape)) + shape
        for i in range(n - 1, -1, -1):   # torch names the last clashing dim first
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f'The size of tensor a ({a[i]}) must match the size of tensor '
                                   f'b ({b[i]}) at non-singleton dimension {i}')
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return Size(out)


def broadcast_tensors(*tensors):
    """Expand tensors to their common broadcast shape (views).

    >>> import numtorch
    >>> [t.shape for t in numtorch.broadcast_tensors(numtorch.zeros(2, 1), numtorch.zeros(3))]
    [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(broadcast_shapes(*[t._data.shape for t in tensors]))
    return tuple(t if t._data.shape == shape else view_op(Expand, t, shape) for t in tensors)


def _legacy_str(a):
    """A matrix as torch's C++ side prints it into error messages (`` 0  0`` rows, then the type)."""
    from ..._dtype import tensor_type_name
    a2 = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
    exact = a2.dtype.kind in 'biu' or bool(xp.all(a2 == xp.round(a2)))
    cells = [[str(int(v)) if exact else f'{v:.4f}' for v in row] for row in a2.tolist()]
    w = max((len(c) for row in cells for c in row), default=1)
    rows = '\n'.join(' ' + '  '.join(c.rjust(w) for c in row) for row in cells)
    return f"{rows}\n[ {tensor_type_name(a.dtype)}{{{','.join(map(str, a.shape))}}} ]"


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors; ``indexing='ij'`` (matrix) or ``'xy'`` (Cartesian).

    >>> import numtorch
    >>> xs, ys = numtorch.meshgrid(numtorch.arange(2), numtorch.arange(3), indexing='ij')
    >>> xs.shape
    torch.Size([2, 3])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError('meshgrid expects a non-empty TensorList')
    if indexing is None:
        import warnings
        warnings.warn('torch.meshgrid: in an upcoming release, it will be required to pass the '
                      'indexing argument.', UserWarning, stacklevel=2)
        indexing = 'ij'
    if indexing not in ('ij', 'xy'):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    for t in tensors:    # torch compares the dtypes before it looks at the dims
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError('meshgrid expects all tensors to have the same dtype')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f'torch.meshgrid: Expected 0D or 1D tensor in the tensor list but '
                               f'got: {_legacy_str(t._data)}')
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError('meshgrid expects all tensors to have the same dtype')
    n = len(tensors)
    shape = [t._data.size for t in tensors]
    swap = indexing == 'xy' and n >= 2
    if swap:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        vs = [1] * n
        vs[(1 - i) if swap and i < 2 else i] = -1
        out.append(view_op(Expand, view_op(View, t, tuple(vs)), tuple(shape)))
    return tuple(out)


def _atleast(tensors, nd, fix):
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    if len(tensors) == 1 and not single:
        tensors = tensors[0]
    out = tuple(t if t._data.ndim >= nd else fix(t) for t in tensors)
    return out[0] if single else out


def atleast_1d(*tensors):
    """Tensors with at least one dim (0-dim ones become shape ``[1]``).

    >>> import numtorch
    >>> numtorch.atleast_1d(numtorch.tensor(3.)).shape
    torch.Size([1])
    """
    return _atleast(tensors, 1, lambda t: view_op(View, t, (1,)))


def atleast_2d(*tensors):
    """Tensors with at least two dims (a 1-D ``[n]`` becomes ``[1, n]``)."""
    return _atleast(tensors, 2, lambda t: view_op(View, t, (1, 1)) if t._data.ndim == 0
                    else unsqueeze(t, 0))


def atleast_3d(*tensors):
    """Tensors with at least three dims (``[n]`` -> ``[1, n, 1]``, ``[m, n]`` -> ``[m, n, 1]``)."""
    def fix(t):
        nd = t._data.ndim
        if nd == 0:
            return view_op(View, t, (1, 1, 1))
        if nd == 1:
            return unsqueeze(unsqueeze(t, 0), 2)
        return unsqueeze(t, 2)
    return _atleast(tensors, 3, fix)


def block_diag(*tensors):
    """Block-diagonal matrix of the given (0-, 1- or 2-D) tensors.

    >>> import numtorch
    >>> numtorch.block_diag(numtorch.ones(1, 1), 2 * numtorch.ones(1, 2))
    tensor([[1., 0., 0.],
            [0., 2., 2.]])
    """
    nt = _nt()
    mats = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f'torch.block_diag: Input tensors must have 2 or fewer dimensions. '
                               f'Input {i} has {t.dim()} dimensions')
        mats.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not mats:
        return nt.empty(1, 0)
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = nt.promote_types(dt, m.dtype)
    cols = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        c = m.shape[1]
        rows.append(nt.nn.functional.pad(m.to(dt), (left, cols - left - c)))
        left += c
    return nt.cat(rows, 0)


def cartesian_prod(*tensors):
    """All tuples of the given 1-D tensors, as rows (itertools.product order).

    >>> import numtorch
    >>> numtorch.cartesian_prod(numtorch.tensor([1, 2]), numtorch.tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    nt = _nt()
    if len(tensors) == 1:
        return tensors[0]
    grids = nt.meshgrid(*tensors, indexing='ij')
    return nt.stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Length-``r`` combinations of a 1-D tensor's elements, as rows (itertools order).

    >>> import numtorch
    >>> numtorch.combinations(numtorch.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    nt = _nt()
    if input.dim() != 1:
        raise RuntimeError(f'Expect a 1D vector, but got shape {list(input.shape)}')
    if r < 0:
        raise RuntimeError(f'Expect a non-negative number, but got {r}')
    if r == 0:
        return nt.empty(0, dtype=input.dtype)
    f = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = list(f(range(input.shape[0]), r))
    if not idx:
        return nt.empty(0, r, dtype=input.dtype)
    return input[nt.tensor(idx, dtype=nt.long)]


__all__ = ['block_diag', 'cartesian_prod', 'combinations', 'cat', 'concat', 'concatenate', 'stack',
           'hstack', 'vstack', 'row_stack', 'dstack', 'column_stack', 'broadcast_shapes',
           'broadcast_tensors', 'meshgrid', 'atleast_1d', 'atleast_2d', 'atleast_3d']
FUNCTION_ONLY = {'block_diag', 'cartesian_prod', 'combinations', 'cat', 'concat', 'concatenate',
                 'stack', 'hstack', 'vstack', 'row_stack', 'dstack', 'column_stack',
                 'broadcast_shapes', 'broadcast_tensors', 'meshgrid', 'atleast_1d', 'atleast_2d',
                 'atleast_3d'}
