"""Matrix products with torch's batching rules (mm, matmul, bmm, mv, dot, addmm, outer, ...).

torch refuses mixed dtypes in matrix products (no promotion), so these check before computing.
"""

from ..._backend import xp
from ...autograd.graph import Node
from .._apply import binary, unbroadcast, nary, keep_dtype
from ..._threads import blas_threads
from .. import _apply
from ..shape.views import expand, reshape
from ..._autocast import _ac, cast   # CPU autocast: one list lookup when off
from .._compose import _nt, _ip


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
        return g[:, None] * v, g @ a   # the outer product as a broadcast (create_graph records it)


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
            return gc, ga[:, None] * b, keep_dtype(ga @ a, b.dtype)
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


__all__ = ['mm', 'matmul', 'bmm', 'mv', 'dot', 'vdot', 'addmm', 'addmv', 'baddbmm', 'outer', 'ger',
           'matrix_power', 'addr', 'addbmm']
METHODS = {'addmm_': addmm_, 'addmv_': addmv_, 'baddbmm_': baddbmm_, 'addbmm_': addbmm_,
           'addr_': addr_}
