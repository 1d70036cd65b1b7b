"""Matrix products with torch's batching rules, einsum, and friends (bmm, mv, dot, addmm, ...).

torch refuses mixed dtypes in matrix products (no promotion), so these check before computing.
"""
import string

from ..._backend import xp
from ...autograd.graph import Node
from .._apply import binary, unbroadcast, nary, keep_dtype
from ..._threads import blas_threads
from .. import _apply
from ..shape.views import expand, reshape
from ..._autocast import _ac, cast   # CPU autocast: one list lookup when off
from .._compose import _nt, _ip
from .._apply import raise_if_unbroadcastable
from ..reductions.reduce import _one


def _shape_str(s):
    return 'x'.join(map(str, s))


def _matmul(a, b):
    """``xp.matmul``; stacks of small matrices on one BLAS thread: NumPy runs a stacked product
    as one GEMM per slice, and splitting each small GEMM across threads cost ~10x the CPU time
    it saved (128 slices of 128x64 @ 64x128, 2 cores; docs/programs.md)."""
    if a.ndim > 2 or b.ndim > 2:
        m = a.shape[-2] if a.ndim > 1 else 1
        n = b.shape[-1] if b.ndim > 1 else 1
        if m * a.shape[-1] * n < _SMALL_GEMM:
            with blas_threads(1):
                return xp.matmul(a, b)
    return xp.matmul(a, b)


_SMALL_GEMM = 1 << 22


class Mm(Node):
    def forward(self, a, b):
        if a.ndim != 2 or b.ndim != 2:
            raise RuntimeError(f'{"self" if a.ndim != 2 else "mat2"} must be a matrix')
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} '
                               f'and {_shape_str(b.shape)})')
        self.saved = (a, b)
        return keep_dtype(a @ b, a.dtype)

    def backward(self, g):
        a, b = self.saved
        return keep_dtype(g @ b.T, a.dtype), keep_dtype(a.T @ g, b.dtype)


# torch records matmul as the op it dispatches to: dot, mv, mm, or (batched) bmm via views.
_NAMES = {(1, 1): 'DotBackward0', (2, 1): 'MvBackward0', (2, 2): 'MmBackward0', (1, 2): 'SqueezeBackward4'}


class Matmul(Node):
    """General ``matmul``: 1-D operands are promoted and the added dim removed after, batch
    dims broadcast. torch records the 1-D/2-D cases as Dot/Mv/Mm; this node covers them all."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f'both arguments to matmul need to be at least 1D, but they are '
                               f'{a.ndim}D and {b.ndim}D')
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(f'inconsistent tensor size, expected tensor [{a.shape[0]}] and '
                                   f'src [{b.shape[0]}] to have the same number of elements, but got '
                                   f'{a.shape[0]} and {b.shape[0]} elements respectively')
            sa = a.shape if a.ndim > 1 else (1,) + a.shape
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied '
                               f'({_shape_str((-1 if a.ndim > 2 else sa[0],) + sa[-1:]) if a.ndim <= 2 else _shape_str((int(xp.prod(sa[:-1])), sa[-1]))} '
                               f'and {_shape_str(b.shape if b.ndim > 1 else (b.shape[0], 1))})')
        self._name = _NAMES.get((a.ndim, b.ndim), 'UnsafeViewBackward0')
        self.saved = (a, b)
        return keep_dtype(_matmul(a, b), a.dtype)

    def backward(self, g):
        a, b = self.saved
        # Promote 1-D operands to matrices as forward did, then reduce broadcast batch dims.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        batch = xp.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = unbroadcast(_matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape)
        gb = unbroadcast(_matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape)
        return keep_dtype(ga.reshape(a.shape), a.dtype), keep_dtype(gb.reshape(b.shape), b.dtype)


from ..._dtype import _SCALAR_NAMES as _CAP  # noqa: E402


def _same_dtype(a, b, fmt):
    """torch does not promote in matrix products: mixed dtypes are an error."""
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        raise RuntimeError(fmt.format(_CAP.get(da.name, da.name), _CAP.get(db.name, db.name),
                                      _short(da), _short(db)))


def _short(d):
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half', 'int64': 'long int',
            'int32': 'int'}.get(d.name, d.name)


_MM_DTYPE = 'expected m1 and m2 to have the same dtype, but got: {2} != {3}'


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors.

    >>> import numtorch
    >>> numtorch.mm(numtorch.ones(2, 3), numtorch.ones(3, 4)).shape
    torch.Size([2, 4])
    """
    if _ac[0]:
        input, mat2 = cast(input, mat2)
    if input._data.dtype != mat2._data.dtype:
        _same_dtype(input, mat2, _MM_DTYPE)
    return binary(Mm, input, mat2)


def matmul(input, other, *, out=None):
    """Matrix product with broadcasting over batch dims; 1-D operands as in torch.

    >>> import numtorch
    >>> numtorch.matmul(numtorch.ones(5, 2, 3), numtorch.ones(3)).shape
    torch.Size([5, 2])
    """
    if other.__class__ is not input.__class__ and not isinstance(other, _apply.Tensor):
        other = _apply.Tensor._from_any(other)
    if _ac[0]:
        input, other = cast(input, other)
    if input._data.dtype != other._data.dtype:
        _same_dtype(input, other, _MM_DTYPE)
    return binary(Matmul, input, other)


class Bmm(Node):
    def forward(self, a, b):
        self.saved = (a, b)
        return keep_dtype(_matmul(a, b), a.dtype)   # bfloat16: float32 product rounded once

    def backward(self, g):
        a, b = self.saved
        return (keep_dtype(_matmul(g, b.transpose(0, 2, 1)), a.dtype),
                keep_dtype(_matmul(a.transpose(0, 2, 1), g), b.dtype))


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors: ``(b, n, m) @ (b, m, p) -> (b, n, p)``.

    >>> import numtorch
    >>> numtorch.bmm(numtorch.ones(4, 2, 3), numtorch.ones(4, 3, 5)).shape
    torch.Size([4, 2, 5])
    """
    if _ac[0]:
        input, mat2 = cast(input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError('batch1 must be a 3D tensor')
    if b.ndim != 3:
        raise RuntimeError('batch2 must be a 3D tensor')
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].')
    if a.dtype != b.dtype:
        _same_dtype(input, mat2, 'expected scalar type {0} but found {1}')
    return binary(Bmm, input, mat2)


class Mv(Node):
    def forward(self, a, v):
        self.saved = (a, v)
        return a @ v

    def backward(self, g):
        a, v = self.saved
        return xp.multiply.outer(g, v), g @ a


def mv(input, vec, *, out=None):
    """Matrix-vector product ``(n, m) @ (m,) -> (n,)``.

    >>> import numtorch
    >>> numtorch.mv(numtorch.ones(2, 3), numtorch.ones(3))
    tensor([3., 3.])
    """
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f'vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}')
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f'size mismatch, got input ({a.shape[0]}), mat '
                           f'({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})')
    if a.dtype != v.dtype:
        _same_dtype(input, vec, 'expected scalar type {0} but found {1}')
    return binary(Mv, input, vec)


class Dot(Node):
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.dot(a, b)

    def backward(self, g):
        a, b = self.saved
        return g * b, g * a


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of the same length and dtype.

    >>> import numtorch
    >>> numtorch.dot(numtorch.tensor([1, 2]), numtorch.tensor([3, 4]))
    tensor(11)
    """
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f'1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors')
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f'inconsistent tensor size, expected tensor [{a.shape[0]}] and src '
                           f'[{b.shape[0]}] to have the same number of elements, but got '
                           f'{a.shape[0]} and {b.shape[0]} elements respectively')
    if a.dtype != b.dtype:
        _same_dtype(input, tensor, 'dot : expected both vectors to have same dtype, but found '
                                   '{0} and {1}')
    return binary(Dot, input, tensor)


def vdot(input, other, *, out=None):
    """``dot`` (real tensors: no conjugation needed)."""
    return dot(input, other)


class _AddProduct(Node):
    """``beta * input + alpha * (m1 @ m2)``, one node so backward skips a broadcast-add node
    (torch fuses it the same way: AddmmBackward0 / AddmvBackward0 / BaddbmmBackward0)."""

    def forward(self, arrays, beta, alpha):
        c, a, b = arrays
        self.saved = (a, b)
        self.cshape, self.beta, self.alpha = c.shape, beta, alpha
        out = _matmul(a, b)
        if alpha != 1:
            out *= alpha
        if beta != 0:   # beta=0 ignores input entirely (even nan/inf), as torch
            out += c if beta == 1 else beta * c
        return keep_dtype(out, a.dtype)

    def backward(self, g):
        a, b = self.saved
        ga = g if self.alpha == 1 else g * self.alpha
        gc = self.xp.zeros(self.cshape, g.dtype) if self.beta == 0 else \
            unbroadcast(g if self.beta == 1 else g * self.beta, self.cshape)
        if b.ndim == 1:   # addmv
            return gc, xp.multiply.outer(ga, b), keep_dtype(ga @ a, b.dtype)
        return (gc, keep_dtype(_matmul(ga, xp.swapaxes(b, -1, -2)), a.dtype),
                keep_dtype(_matmul(xp.swapaxes(a, -1, -2), ga), b.dtype))


class Addmm(_AddProduct):
    pass


class Addmv(_AddProduct):
    pass


class Baddbmm(_AddProduct):
    pass


def _check_add_input(c, shape):
    try:
        xp.broadcast_to(c._data, shape)
    except ValueError:
        expand(c, shape)   # raises torch's message
        raise


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape.

    >>> import numtorch
    >>> numtorch.addmm(numtorch.ones(3), numtorch.ones(2, 4), numtorch.ones(4, 3))
    tensor([[5., 5., 5.],
            [5., 5., 5.]])
    """
    if _ac[0]:
        input, mat1, mat2 = cast(input, mat1, mat2)
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f'{"mat1" if a.ndim != 2 else "mat2"} must be a matrix, got '
                           f'{a.ndim if a.ndim != 2 else b.ndim}-D tensor')
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} '
                           f'and {_shape_str(b.shape)})')
    if a.dtype != b.dtype or input._data.dtype != a.dtype:
        _same_dtype(mat1, mat2 if a.dtype != b.dtype else input, _MM_DTYPE)
    if input._data.shape != (a.shape[0], b.shape[1]):
        _check_add_input(input, (a.shape[0], b.shape[1]))
    return nary(Addmm, (input, mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    a, v = mat._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f'vector + matrix @ vector expected, got {input._data.ndim}, {a.ndim}, '
                           f'{v.ndim}')
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f'size mismatch, got input ({a.shape[0]}), mat '
                           f'({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})')
    _check_add_input(input, (a.shape[0],))
    return nary(Addmv, (input, mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    if _ac[0]:
        input, batch1, batch2 = cast(input, batch1, batch2)
    bmm(batch1.detach(), batch2.detach())   # shape checks with bmm's messages (cheap views)
    a, b = batch1._data, batch2._data
    _check_add_input(input, (a.shape[0], a.shape[1], b.shape[2]))
    return nary(Baddbmm, (input, batch1, batch2), beta, alpha)


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``.

    >>> import numtorch
    >>> numtorch.outer(numtorch.tensor([1, 2]), numtorch.tensor([1, 10]))
    tensor([[ 1, 10],
            [ 2, 20]])
    """
    for name, t in (('self', input), ('vec2', vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f'outer: Expected 1-D argument {name}, but got {t._data.ndim}-D')
    return reshape(input, (-1, 1)) * vec2   # torch records it as a MulBackward0 too


ger = outer


class Trace(Node):
    def forward(self, a):
        self.shape = a.shape
        return xp.trace(a)

    def backward(self, g):
        return self.xp.eye(*self.shape, dtype=g.dtype) * g


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
            if uniq != sub:   # repeated letters: the grad lives on a diagonal
                z = self.xp.zeros(a.shape, g.dtype)
                xp.einsum(sub + '->' + uniq, z)[...] = gk
                gk = z
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


def matrix_power(input, n):
    """The ``n``-th power of a square matrix (batches too); negative ``n`` inverts first.

    >>> import numtorch
    >>> numtorch.matrix_power(numtorch.tensor([[1., 1.], [0., 1.]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
    """
    nt = _nt()
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError('linalg.matrix_power: A must be batches of square matrices, but they '
                           f'are {input.shape[-2] if input.dim() > 1 else 1} by '
                           f'{input.shape[-1]} matrices')
    if n == 0:
        return nt.eye(input.shape[-1], dtype=input.dtype).expand(input.shape).clone()
    a = nt.linalg.inv(input) if n < 0 else input
    n = abs(n)
    out = None
    while n:                      # square-and-multiply, as torch
        if n & 1:
            out = a if out is None else out @ a
        n >>= 1
        if n:
            a = a @ a
    return out


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``.

    >>> import numtorch
    >>> numtorch.addr(numtorch.zeros(2, 2), numtorch.tensor([1., 2.]), numtorch.tensor([1., 1.]))
    tensor([[1., 1.],
            [2., 2.]])
    """
    prod = _nt().outer(vec1, vec2)
    return _blend(input, prod, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    >>> import numtorch
    >>> numtorch.addbmm(numtorch.zeros(1, 1), numtorch.ones(3, 1, 2), numtorch.ones(3, 2, 1))
    tensor([[6.]])
    """
    if _ac[0]:   # CPU autocast: bmm casts the batches; the added input too (as torch)
        input, batch1, batch2 = cast(input, batch1, batch2)
    return _blend(input, _nt().bmm(batch1, batch2).sum(0), beta, alpha)


def _blend(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:   # torch ignores input (even NaN) when beta is 0; input's grad is then zero
        return _nt().where(_nt().zeros((), dtype=_nt().bool), input, prod)
    return (input * beta if beta != 1 else input) + prod


# In-place forms, looked up by name when called (numtorch.addmm etc.)
addmm_, addmv_, baddbmm_, addbmm_, addr_ = map(_ip, ('addmm', 'addmv', 'baddbmm', 'addbmm', 'addr'))


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


__all__ = ['mm', 'matmul', 'bmm', 'mv', 'dot', 'vdot', 'addmm', 'addmv', 'baddbmm', 'outer', 'ger',
           'trace', 'einsum', 'tensordot', 'inner', 'kron', 'matrix_power', 'addr', 'addbmm',
           'cross']
FUNCTION_ONLY = {'einsum', 'tensordot'}   # torch.<name> only: no Tensor method
METHODS = {'addmm_': addmm_, 'addmv_': addmv_, 'baddbmm_': baddbmm_, 'addbmm_': addbmm_,
           'addr_': addr_}
