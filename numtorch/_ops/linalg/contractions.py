"""Tensor contractions and other products beyond the matrix product: ``einsum``, ``tensordot``,
``inner``, ``kron``, ``trace``, ``cross`` (the matrix products are in ``products.py``).
"""
import string
from ..._backend import xp
from ...autograd.graph import Node
from .._apply import unbroadcast, nary, keep_dtype
from .. import _apply
from ..shape.views import reshape
from ..._autocast import _ac, cast
from .._apply import raise_if_unbroadcastable
from ..reductions.reduce import _one
from ..._dtype import _SCALAR_NAMES as _CAP


class Trace(Node):
    def forward(self, a):
        self.shape = a.shape
        return xp.trace(a)

    def backward(self, g):
        # g first: a device array's operator would not defer to a create_graph GradArray
        return g * self.xp.eye(*self.shape, dtype=g.dtype)


def trace(input):
    """Sum of the main diagonal of a matrix.

    >>> import numtorch
    >>> numtorch.trace(numtorch.tensor([[1., 2.], [3., 4.]]))
    tensor(5.)
    """
    if input._data.ndim != 2:
        raise RuntimeError(f'trace: expected a matrix, but got tensor with dim {input._data.ndim}')
    return _apply.unary(Trace, input)


# --------------------------------------------------------------------------- einsum
def _parse_einsum(eq, shapes):
    """Explicit form of ``eq``: ellipses spelled out with spare letters, output given."""
    eq = eq.replace(' ', '')
    lhs, arrow, out = eq.partition('->')
    ins = lhs.split(',')
    if len(ins) != len(shapes):
        raise RuntimeError(f'einsum(): {"more" if len(shapes) > len(ins) else "fewer"} operands '
                           f'were provided than specified in the equation')
    spare = [c for c in string.ascii_letters if c not in eq]
    ell_nd = 0
    for sub, s in zip(ins, shapes):
        n = len(sub.replace('...', ''))
        if '...' in sub:
            ell_nd = max(ell_nd, len(s) - n)
        elif n != len(s):
            raise RuntimeError(f'einsum(): the number of subscripts in the equation ({n}) does not '
                               f'match the number of dimensions ({len(s)}) for operand '
                               f'{shapes.index(s)} and no ellipsis was given')
    ell = ''.join(spare[:ell_nd])
    ins = [sub.replace('...', ell[ell_nd - (len(s) - len(sub) + 3):] if len(s) - len(sub) + 3
                       else '') for sub, s in zip(ins, shapes)]
    if arrow:
        out = out.replace('...', ell)
    else:
        letters = ''.join(ins)
        out = ell + ''.join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    sizes = {}
    for k, (sub, s) in enumerate(zip(ins, shapes)):
        for c, n in zip(sub, s):
            m = sizes.get(c, 1)
            if n != m and n != 1 and m != 1:
                raise RuntimeError(f'einsum(): subscript {c} has size {n} for operand {k} which '
                                   f'does not broadcast with previously seen size {m}')
            sizes[c] = max(n, m) if n != 1 else m
    return ins, out, sizes


def _diagonal_mask(sub, shape, ns):
    """Where an operand with repeated letters (``'bii'``) lies on its diagonal: a boolean array
    broadcastable to ``shape``, True where each repeated letter's indices agree. A select, not a
    write through an einsum view, so create_graph can record it (and CuPy's einsum copies)."""
    mask, first = None, {}
    for p, c in enumerate(sub):
        q = first.setdefault(c, p)
        if q != p:
            r = ns.arange(shape[p])
            m = r.reshape([shape[p] if i == q else 1 for i in range(len(sub))]) == \
                r.reshape([shape[p] if i == p else 1 for i in range(len(sub))])
            mask = m if mask is None else mask & m
    return mask


class Einsum(Node):
    """Backward for operand k is another einsum: the output grad contracted with the other
    operands, broadcast over letters only k had, summed over dims k broadcast, and written
    back onto repeated-letter diagonals."""

    def forward(self, arrays, ins, out, sizes):
        self.saved = tuple(arrays)
        self.ins, self.out, self.sizes = ins, out, sizes
        # torch's einsum is a chain of ops; its last one names the node: a sum (one operand) or
        # a bmm reshaped back (several) where a letter is summed away, else permute / mul.
        summed = bool(set(''.join(ins)) - set(out))
        self._name = ('SumBackward1' if summed else 'PermuteBackward0') if len(ins) == 1 else \
            ('ViewBackward0' if summed else 'MulBackward0')
        return keep_dtype(self.xp.asarray(xp.einsum(','.join(ins) + '->' + out, *arrays,
                                                     optimize=True)), arrays[0].dtype)

    def backward(self, g):
        arrays, ins, out = self.saved, self.ins, self.out
        grads = []
        for k, (sub, a) in enumerate(zip(ins, arrays)):
            uniq = ''.join(dict.fromkeys(sub))
            others = [s for j, s in enumerate(ins) if j != k]
            avail = set(out).union(*others) if others else set(out)
            target = ''.join(c for c in uniq if c in avail)
            ops = [g] + [x for j, x in enumerate(arrays) if j != k]
            gk = xp.einsum(','.join([out] + others) + '->' + target, *ops, optimize=True)
            own = dict(zip(sub, a.shape))
            gk = gk.reshape([gk.shape[target.index(c)] if c in target else 1 for c in uniq])
            axes = tuple(i for i, c in enumerate(uniq) if own[c] == 1 and gk.shape[i] != 1)
            if axes:   # k broadcast along these letters: sum the grad back
                gk = gk.sum(axis=axes, keepdims=True)
            gk = xp.broadcast_to(gk, [own[c] for c in uniq])
            if uniq != sub:   # repeated letters: the grad lives on a diagonal, zero elsewhere
                gk = self.xp.where(_diagonal_mask(sub, a.shape, self.xp), gk.reshape(
                    [own[c] if sub.index(c) == i else 1 for i, c in enumerate(sub)]), 0)
            grads.append(keep_dtype(self.xp.ascontiguousarray(gk), a.dtype))
        return tuple(grads)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; ``...`` and implicit output
    as in torch.

    >>> import numtorch
    >>> numtorch.einsum('ij,j->i', numtorch.ones(2, 3), numtorch.ones(3))
    tensor([3., 3.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if _ac[0]:
        operands = cast(*operands)
    ins, out, sizes = _parse_einsum(equation, [t._data.shape for t in operands])
    d0 = operands[0]._data.dtype
    for t in operands:
        if t._data.dtype != d0:
            raise RuntimeError(f'expected scalar type {_CAP.get(d0.name, d0.name)} but found '
                               f'{_CAP.get(t._data.dtype.name, t._data.dtype.name)}')
    return nary(Einsum, operands, ins, out, sizes)


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed dims:
    ``dims=([1, 2], [0, 1])``).

    >>> import numtorch
    >>> numtorch.tensordot(numtorch.ones(2, 3, 4), numtorch.ones(3, 4, 5)).shape
    torch.Size([2, 5])
    """
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, _apply.Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f'tensordot expects dims >= 0, but got dims={dims}')
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da = [d % max(na, 1) for d in da]
    db = [d % max(nb, 1) for d in db]
    if len(da) != len(db):
        raise RuntimeError('both dimension lists should have same length')
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f'contracted dimensions need to match, but first has size '
                               f'{a._data.shape[x]} in dim {x} and second has size '
                               f'{b._data.shape[y]} in dim {y}')
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for x, y in zip(da, db):
        sb[y] = sa[x]
    outs = [c for i, c in enumerate(sa) if i not in da] + [c for i, c in enumerate(sb) if i not in db]
    return einsum(''.join(sa) + ',' + ''.join(sb) + '->' + ''.join(outs), a, b)


def inner(input, other, *, out=None):
    """Sum of products over the last dim of both (a plain product if either is 0-dim)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f'inner() the last dimension must match on both input tensors but got '
                           f'shapes {list(input._data.shape)} and {list(other._data.shape)}')
    return tensordot(input, other, ([-1], [-1]))


def kron(input, other, *, out=None):
    """Kronecker product: blocks ``input[i, j] * other``.

    >>> import numtorch
    >>> numtorch.kron(numtorch.eye(2), numtorch.ones(1, 2))
    tensor([[1., 1., 0., 0.],
            [0., 0., 1., 1.]])
    """
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    # Interleave the dims: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) then merge pairs.
    ra = reshape(input, tuple(x for s in sa for x in (s, 1)))
    rb = reshape(other, tuple(x for s in sb for x in (1, s)))
    return reshape(ra * rb, tuple(x * y for x, y in zip(sa, sb)))


class Cross(Node):
    _name = 'LinalgCrossBackward0'

    def forward(self, a, b, axis):
        self.saved = (a, b)
        self.axis = axis
        return xp.cross(a, b, axis=axis)

    def backward(self, g):
        a, b = self.saved
        ga = xp.cross(b, g, axis=self.axis)
        gb = xp.cross(g, a, axis=self.axis)
        return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3), broadcasting.

    >>> import numtorch
    >>> numtorch.cross(numtorch.tensor([1., 0., 0.]), numtorch.tensor([0., 1., 0.]), dim=0)
    tensor([0., 0., 1.])
    """
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError('linalg.cross: inputs must have the same number of dimensions.')
    raise_if_unbroadcastable(a.shape, b.shape)
    if dim is None:
        import warnings
        warnings.warn('Using torch.cross without specifying the dim arg is deprecated.\n'
                      'Please either pass the dim explicitly or simply use torch.linalg.cross.',
                      UserWarning, stacklevel=2)
        shape = xp.broadcast_shapes(a.shape, b.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError('no dimension of size 3 in input')
    dim = _one(dim, a.ndim)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f'linalg.cross: inputs dimension {dim} must have length 3. Got '
                           f'{a.shape[dim]} and {b.shape[dim]}')
    return _apply.binary(Cross, input, other, dim)

__all__ = ['trace', 'einsum', 'tensordot', 'inner', 'kron', 'cross']
FUNCTION_ONLY = {'einsum', 'tensordot'}
