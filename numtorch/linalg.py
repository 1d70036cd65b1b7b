"""``numtorch.linalg``: norms, inverse, determinant, linear solves and decompositions,
differentiable.

The norms are here; the other ops live in ``_ops.linalg.solve`` (inv, det, solve,
``LinAlgError``) and ``_ops.linalg.decomp`` (cholesky, qr, svd, eigh, slogdet, pinv,
matrix_rank) and are exported under torch's ``linalg`` names. Each is a Node over NumPy's ``linalg`` through ``xp`` (batched over
leading dims like torch), which runs on the input's device through ``__array_function__``.

>>> import numtorch
>>> numtorch.linalg.norm(numtorch.tensor([3., 4.]))
tensor(5.)
"""
import math as _math

from ._backend import xp as _xp
from .autograd.graph import Node as _Node
from .autograd._grad_array import GradArray as _GradArray
from ._ops import _apply
from ._ops.reductions.reduce import _one
from ._ops.linalg.products import matmul
from ._ops.shape.views import movedim as _movedim, unsqueeze as _unsqueeze
from ._ops.linalg.contractions import cross as _cross
from ._ops.linalg.solve import LinAlgError, inv, linalg_det as det, solve, _float_input
from ._ops.linalg.decomp import (linalg_cholesky as cholesky, linalg_qr as qr, linalg_svd as svd,
                          linalg_svdvals as svdvals, linalg_slogdet as slogdet,
                          linalg_pinv as pinv, linalg_eigh as eigh, linalg_eigvalsh as eigvalsh,
                          linalg_matrix_rank as matrix_rank)

__all__ = ['norm', 'vector_norm', 'matrix_norm', 'inv', 'det', 'solve', 'LinAlgError', 'matmul',
           'cross', 'cholesky', 'qr', 'svd', 'svdvals', 'slogdet', 'pinv', 'eigh', 'eigvalsh',
           'matrix_rank']


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(_one(d, ndim) for d in dims)


# --------------------------------------------------------------------------- vector norm
class _LinalgVectorNorm(_Node):
    _name = 'LinalgVectorNormBackward0'
    def forward(self, x, ord, axes, keepdim):
        ax = _xp.abs(x)
        if ord == 2:
            out = _xp.sqrt(_xp.sum(x * x, axis=axes, keepdims=True))
        elif ord == _math.inf:
            out = ax.max(axis=axes, keepdims=True)
        elif ord == -_math.inf:
            out = ax.min(axis=axes, keepdims=True)
        elif ord == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = ax.sum(axis=axes, keepdims=True)
        else:
            out = (ax ** ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
        self.nshape, self.ord = out.shape, ord
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape)
                               if axes is not None and i not in axes]) if axes is not None \
                else out.reshape(())
        self.saved = (x, out)   # the output itself: create_graph differentiates through it
        return out

    def backward(self, g):
        x, n = self.saved
        p = self.ord
        g = g.reshape(self.nshape)   # put the reduced dims back (keepdim layout)
        n = n.reshape(self.nshape)
        if p == 0:
            return None
        if p == 1:
            return g * _xp.sign(x)
        if p in (_math.inf, -_math.inf):
            mask = (_xp.abs(x) == n)
            return g * _xp.sign(x) * mask / mask.sum(axis=self._axes(x), keepdims=True)
        with _xp.errstate(divide='ignore', invalid='ignore'):
            if p == 2:
                r = g * x / n
            else:
                r = g * _xp.sign(x) * _xp.abs(x) ** (p - 1) / n ** (p - 1)
        return _xp.where(n == 0, 0, r).astype(x.dtype, copy=False)

    def _axes(self, x):
        return tuple(i for i, (a, b) in enumerate(zip(x.shape, self.nshape)) if a != b or
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
    return _apply.unary(_LinalgVectorNorm, x, ord, _dims(dim, x._data.ndim), keepdim)


# --------------------------------------------------------------------------- matrix norm
class _MatrixNorm(_Node):
    _name = 'MatrixNormBackward0'
    """Norms of the last two dims that are not the Frobenius norm: nuclear (sum of singular
    values), spectral (2/-2: largest/smallest singular value), and max column/row abs-sums."""

    def forward(self, a, ord):
        self.saved, self.ord = (a,), ord
        self._name = 'SumBackward1' if ord == 'nuc' else 'AmaxBackward0'
        if ord in ('nuc', 2, -2):
            u, s, vt = _xp.linalg.svd(a, full_matrices=False)
            self.svd = u, s, vt
            if ord == 'nuc':
                return s.sum(-1)
            return s.max(-1) if ord == 2 else s.min(-1)
        sums = _xp.abs(a).sum(axis=-2 if ord in (1, -1) else -1)
        self.sums = sums
        return sums.max(-1) if ord > 0 else sums.min(-1)

    def backward(self, g):
        a, = self.saved
        ord, g = self.ord, g[..., None, None]
        if ord in ('nuc', 2, -2):
            u, s, vt = self.svd
            if a.__class__ is _GradArray:   # create_graph: U, Vh as differentiable functions of A
                u, _, vt = _xp.linalg.svd(a, full_matrices=False)
        if ord == 'nuc':
            return g * (u @ vt)
        if ord in (2, -2):
            i = s.argmax(-1) if ord == 2 else s.argmin(-1)
            uu = _xp.take_along_axis(u, i[..., None, None], -1)
            vv = _xp.take_along_axis(vt, i[..., None, None], -2)
            return g * (uu @ vv)
        sums = self.sums
        best = sums.max(-1, keepdims=True) if ord > 0 else sums.min(-1, keepdims=True)
        mask = (sums == best) / (sums == best).sum(-1, keepdims=True)
        mask = mask[..., None, :] if ord in (1, -1) else mask[..., :, None]
        return g * _xp.sign(a) * mask


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
    if ord not in ('nuc', 1, -1, 2, -2, _math.inf, -_math.inf):
        raise RuntimeError(f'linalg.matrix_norm: Order {ord} not supported.')
    nd = A._data.ndim
    d = tuple(_one(x, nd) for x in dim)
    moved = _movedim(A, d, (nd - 2, nd - 1)) if d != (nd - 2, nd - 1) else A
    res = _apply.unary(_MatrixNorm, moved, ord)
    if keepdim:
        for x in sorted(d):
            res = _unsqueeze(res, x)
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


def cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along ``dim`` (default the last), broadcasting.

    >>> import numtorch
    >>> numtorch.linalg.cross(numtorch.tensor([0., 1., 0.]), numtorch.tensor([0., 0., 1.]))
    tensor([1., 0., 0.])
    """
    return _cross(input, other, dim)
