"""``numtorch.linalg``: norms, inverse, determinant and linear solves, differentiable.

Each op is a Node over NumPy's ``linalg`` (which batches over leading dims like torch); the
backward formulas are the standard matrix-calculus ones (torch's ``FunctionsManual.cpp``).
"""
import math

import numpy as np

from ._backend import xp
from .autograd.graph import Node
from ._ops import _apply
from ._ops.reduce import _one
from ._ops.linalg import matmul, _CAP

from ._ops.decomp import (linalg_cholesky as cholesky, linalg_qr as qr, linalg_svd as svd,
                          linalg_svdvals as svdvals, linalg_slogdet as slogdet,
                          linalg_pinv as pinv, linalg_eigh as eigh, linalg_eigvalsh as eigvalsh,
                          linalg_matrix_rank as matrix_rank)

__all__ = ['norm', 'vector_norm', 'matrix_norm', 'inv', 'det', 'solve', 'LinAlgError', 'matmul',
           'cross', 'cholesky', 'qr', 'svd', 'svdvals', 'slogdet', 'pinv', 'eigh', 'eigvalsh',
           'matrix_rank']


class LinAlgError(RuntimeError):
    """A singular matrix or similar numerical failure (torch.linalg.LinAlgError)."""


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(_one(d, ndim) for d in dims)


def _float_input(t, fname):
    if t._data.dtype.kind not in 'fc':
        n = t._data.dtype.name
        raise RuntimeError(f'{fname}: Expected a floating point or complex tensor as input. Got '
                           f'{_CAP.get(n, n)}')


# --------------------------------------------------------------------------- vector norm
class LinalgVectorNorm(Node):
    def forward(self, x, ord, axes, keepdim):
        ax = np.abs(x)
        if ord == 2:
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        elif ord == math.inf:
            out = ax.max(axis=axes, keepdims=True)
        elif ord == -math.inf:
            out = ax.min(axis=axes, keepdims=True)
        elif ord == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = ax.sum(axis=axes, keepdims=True)
        else:
            out = (ax ** ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
        self.saved = (x,)
        self.norm, self.ord = out, ord
        if keepdim:
            return out
        return out.reshape([s for i, s in enumerate(out.shape)
                            if axes is not None and i not in axes]) if axes is not None \
            else out.reshape(())

    def backward(self, g):
        x, = self.saved
        n, p = self.norm, self.ord
        g = g.reshape(n.shape)   # put the reduced dims back (keepdim layout)
        if p == 0:
            return None
        if p == 1:
            return g * np.sign(x)
        if p in (math.inf, -math.inf):
            mask = (np.abs(x) == n)
            return g * np.sign(x) * mask / mask.sum(axis=self._axes(x), keepdims=True)
        with np.errstate(divide='ignore', invalid='ignore'):
            if p == 2:
                r = g * x / n
            else:
                r = g * np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1)
        return np.where(n == 0, 0, r).astype(x.dtype, copy=False)

    def _axes(self, x):
        return tuple(i for i, (a, b) in enumerate(zip(x.shape, self.norm.shape)) if a != b or
                     b == 1)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ``ord``-norm of the elements (all of them, or along ``dim``).

    >>> import numtorch
    >>> numtorch.linalg.vector_norm(numtorch.tensor([3., 4.]))
    tensor(5.)
    """
    if dtype is not None:
        x = x.to(dtype)
    _float_input(x, 'linalg.vector_norm')
    ord = float(ord)
    if ord.is_integer():
        ord = int(ord)
    return _apply.unary(LinalgVectorNorm, x, ord, _dims(dim, x._data.ndim), keepdim)


# --------------------------------------------------------------------------- matrix norm
class MatrixNorm(Node):
    """Norms of the last two dims that are not the Frobenius norm: nuclear (sum of singular
    values), spectral (2/-2: largest/smallest singular value), and max column/row abs-sums."""

    def forward(self, a, ord):
        self.saved, self.ord = (a,), ord
        self._name = 'SumBackward1' if ord == 'nuc' else 'AmaxBackward0'
        if ord in ('nuc', 2, -2):
            u, s, vt = np.linalg.svd(a, full_matrices=False)
            self.svd = u, s, vt
            if ord == 'nuc':
                return s.sum(-1)
            return s.max(-1) if ord == 2 else s.min(-1)
        sums = np.abs(a).sum(axis=-2 if ord in (1, -1) else -1)
        self.sums = sums
        return sums.max(-1) if ord > 0 else sums.min(-1)

    def backward(self, g):
        a, = self.saved
        ord, g = self.ord, g[..., None, None]
        if ord == 'nuc':
            u, s, vt = self.svd
            return g * (u @ vt)
        if ord in (2, -2):
            u, s, vt = self.svd
            i = s.argmax(-1) if ord == 2 else s.argmin(-1)
            uu = np.take_along_axis(u, i[..., None, None], -1)
            vv = np.take_along_axis(vt, i[..., None, None], -2)
            return g * (uu @ vv)
        sums = self.sums
        best = sums.max(-1, keepdims=True) if ord > 0 else sums.min(-1, keepdims=True)
        mask = (sums == best) / (sums == best).sum(-1, keepdims=True)
        mask = mask[..., None, :] if ord in (1, -1) else mask[..., :, None]
        return g * np.sign(a) * mask


def matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dims ``dim``: ``'fro'``, ``'nuc'``, ``inf``, ``-inf``, ``1``,
    ``-1``, ``2``, ``-2``.

    >>> import numtorch
    >>> numtorch.linalg.matrix_norm(numtorch.eye(2) * 2, 'nuc')
    tensor(4.)
    """
    if dtype is not None:
        A = A.to(dtype)
    if A._data.ndim < 2:
        raise RuntimeError('linalg.matrix_norm: The input tensor A must have at least 2 '
                           'dimensions.')
    _float_input(A, 'linalg.matrix_norm')
    if ord == 'fro':
        return vector_norm(A, 2, dim, keepdim)
    if ord not in ('nuc', 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f'linalg.matrix_norm: Order {ord} not supported.')
    nd = A._data.ndim
    d = tuple(_one(x, nd) for x in dim)
    from ._ops.shape import movedim, unsqueeze
    moved = movedim(A, d, (nd - 2, nd - 1)) if d != (nd - 2, nd - 1) else A
    res = _apply.unary(MatrixNorm, moved, ord)
    if keepdim:
        for x in sorted(d):
            res = unsqueeze(res, x)
    return res


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector or matrix norm, chosen as torch does: ``ord=None`` flattens (2-norm); a string
    ``ord`` or a 2-D ``dim`` (or a 2-D input with ``ord`` given) means a matrix norm.

    >>> import numtorch
    >>> numtorch.linalg.norm(numtorch.tensor([[3., 4.], [0., 0.]]))
    tensor(5.)
    """
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    if dim is None:
        if A._data.ndim not in (1, 2):
            raise RuntimeError(f'linalg.norm: If dim is not specified but ord is, the input must '
                               f'be 1D or 2D. Got {A._data.ndim}D.')
        dim = tuple(range(A._data.ndim))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


# --------------------------------------------------------------------------- inv / det / solve
def _square(A, fname):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f'{fname}: The input tensor A must have at least 2 dimensions.')
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f'{fname}: A must be batches of square matrices, but they are '
                           f'{a.shape[-2]} by {a.shape[-1]} matrices')
    _float_input(A, fname)


def _first_zero_pivot(a):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK getrf's
    ``info``), for torch's singular-matrix message. Error path only."""
    for m in a.reshape((-1,) + a.shape[-2:]):
        m = m.copy()
        n = m.shape[0]
        for k in range(n):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            if m[p, k] == 0:
                return k + 1
            m[[k, p]] = m[[p, k]]
            m[k + 1:, k] /= m[k, k]
            m[k + 1:, k + 1:] -= np.multiply.outer(m[k + 1:, k], m[k, k + 1:])
    return a.shape[-1]


class LinalgInvEx(Node):
    def forward(self, a):
        try:
            inv = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(f'linalg.inv: The diagonal element {_first_zero_pivot(a)} is zero, '
                              f'the inversion could not be completed because the input matrix is '
                              f'singular.') from None
        self.saved = (inv,)
        return inv

    def backward(self, g):
        inv, = self.saved
        it = np.swapaxes(inv, -1, -2)
        return -(it @ g @ it)


def inv(A, *, out=None):
    """The inverse of a square matrix (or a batch of them).

    >>> import numtorch
    >>> numtorch.linalg.inv(numtorch.tensor([[2., 0.], [0., 4.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    _square(A, 'linalg.inv')
    return _apply.unary(LinalgInvEx, A)


def _cofactor_t(a):
    """d det(A)/dA = cofactor matrix; computed by minors (only used when A is singular)."""
    n = a.shape[-1]
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            c[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return c


class LinalgDet(Node):
    def forward(self, a):
        self.saved = (a,)
        d = np.linalg.det(a)
        self.det = d
        return self.xp.asarray(d, dtype=a.dtype)

    def backward(self, g):
        a, = self.saved
        g = self.xp.asarray(g)[..., None, None]
        if np.all(self.det != 0):
            return g * self.xp.asarray(self.det)[..., None, None] * \
                np.swapaxes(np.linalg.inv(a), -1, -2)
        return g * _cofactor_t(a)


def det(A, *, out=None):
    """The determinant of a square matrix (or a batch of them).

    >>> import numtorch
    >>> numtorch.linalg.det(numtorch.tensor([[2., 1.], [1., 3.]]))
    tensor(5.)
    """
    _square(A, 'linalg.det')
    return _apply.unary(LinalgDet, A)


class LinalgSolveEx(Node):
    def forward(self, arrays, vec):
        a, b = arrays
        if vec:
            b = b[..., None]
        try:
            x = np.linalg.solve(a, np.broadcast_to(b, np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                                                   + b.shape[-2:]))
        except np.linalg.LinAlgError:
            raise LinAlgError('torch.linalg.solve: The solver failed because the input matrix is '
                              'singular.') from None
        self.saved = (a, x)
        self.shapes, self.vec = (a.shape, b.shape), vec
        return x[..., 0] if vec else x

    def backward(self, g):
        a, x = self.saved
        if self.vec:
            g = g[..., None]
        gb = np.linalg.solve(np.swapaxes(a, -1, -2), g)
        ga = -gb @ np.swapaxes(x, -1, -2)
        sa, sb = self.shapes
        ga, gb = _apply.unbroadcast(ga, sa), _apply.unbroadcast(gb, sb)
        return ga, (gb[..., 0] if self.vec else gb)


def solve(A, B, *, left=True, out=None):
    """The ``X`` with ``A @ X = B`` (``B`` a matrix, or a vector / batch of vectors).

    >>> import numtorch
    >>> numtorch.linalg.solve(numtorch.tensor([[2., 0.], [0., 4.]]), numtorch.tensor([2., 4.]))
    tensor([1., 1.])
    """
    _square(A, 'linalg.solve')
    if not left:
        from ._ops.shape import transpose
        return transpose(solve(transpose(A, -2, -1), transpose(B, -2, -1)), -2, -1)
    a, b = A._data, B._data
    if a.dtype != b.dtype:
        raise RuntimeError(f'linalg.solve: Expected A and B to have the same dtype, but found '
                           f'A of type {_CAP[a.dtype.name]} and B of type {_CAP[b.dtype.name]} '
                           f'instead')
    vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows = b.shape[-1] if vec else b.shape[-2]
    if rows != a.shape[-1]:
        raise RuntimeError(f'linalg.solve: Incompatible shapes of A and B for the equation '
                           f'AX = B ({a.shape[-2]}x{a.shape[-1]} and '
                           f'{"x".join(map(str, b.shape[-2:] if not vec else b.shape[-1:]))})')
    return _apply.nary(LinalgSolveEx, (A, B), vec)


def cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along ``dim`` (default the last), broadcasting.

    >>> import numtorch
    >>> numtorch.linalg.cross(numtorch.tensor([0., 1., 0.]), numtorch.tensor([0., 0., 1.]))
    tensor([1., 0., 0.])
    """
    from ._ops.sorting import cross as _cross
    return _cross(input, other, dim)
