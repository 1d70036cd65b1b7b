"""Inverse, determinant and linear solves (``numtorch.linalg.inv/det/solve``, torch's top-level
``inverse``/``det``) and ``LinAlgError``, differentiable.

Forward is NumPy's ``linalg`` through ``xp`` (LAPACK, batched over leading dims like torch); it
dispatches to the input's device through ``__array_function__`` (CuPy has ``cupy.linalg``).
The backward formulas are the standard matrix-calculus ones (torch's ``FunctionsManual.cpp``).
The decompositions (``decomp``) and ``numtorch.linalg`` build on this module, never the reverse.
"""
from ..._backend import xp
from ...autograd.graph import Node
from .. import _apply
from .products import _CAP
from ..shape.views import transpose

__all__ = ['inverse', 'det']


class LinAlgError(RuntimeError):
    """A singular matrix or similar numerical failure (torch.linalg.LinAlgError)."""


LinAlgError.__module__ = 'numtorch.linalg'   # where users name it, as torch.linalg.LinAlgError


def _float_input(t, fname):
    if t._data.dtype.kind not in 'fc':
        n = t._data.dtype.name
        raise RuntimeError(f'{fname}: Expected a floating point or complex tensor as input. Got '
                           f'{_CAP.get(n, n)}')


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
            p = k + int(xp.argmax(xp.abs(m[k:, k])))
            if m[p, k] == 0:
                return k + 1
            m[[k, p]] = m[[p, k]]
            m[k + 1:, k] /= m[k, k]
            m[k + 1:, k + 1:] -= xp.multiply.outer(m[k + 1:, k], m[k, k + 1:])
    return a.shape[-1]


class LinalgInvEx(Node):
    def forward(self, a):
        try:
            inv = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError(f'linalg.inv: The diagonal element {_first_zero_pivot(a)} is zero, '
                              f'the inversion could not be completed because the input matrix is '
                              f'singular.') from None
        self.saved = (inv,)
        return inv

    def backward(self, g):
        inv, = self.saved
        it = xp.swapaxes(inv, -1, -2)
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


def _cofactor_t(a, ns):
    """d det(A)/dA = cofactor matrix; computed by minors (only used when A is singular).
    Minors are gathered and stacked (no writes into a buffer), so create_graph records them."""
    n = a.shape[-1]
    if n == 1:
        return ns.ones_like(a)
    rest = [[k for k in range(n) if k != i] for i in range(n)]
    return xp.stack([xp.stack([(-1) ** (i + j) * xp.linalg.det(a[..., rest[i], :][..., rest[j]])
                               for j in range(n)], axis=-1) for i in range(n)], axis=-2)


class LinalgDet(Node):
    def forward(self, a):
        d = self.xp.asarray(xp.linalg.det(a), dtype=a.dtype)
        self.saved = (a, d)    # the output itself: create_graph differentiates through it
        return d

    def backward(self, g):
        a, d = self.saved
        g = self.xp.asarray(g)[..., None, None]
        if xp.all(d != 0):
            return g * d[..., None, None] * xp.swapaxes(xp.linalg.inv(a), -1, -2)
        return g * _cofactor_t(a, self.xp)


class LinalgSolveEx(Node):
    def forward(self, arrays, vec):
        a, b = arrays
        if vec:
            b = b[..., None]
        try:
            x = xp.linalg.solve(a, xp.broadcast_to(b, xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                                                   + b.shape[-2:]))
        except xp.linalg.LinAlgError:
            raise LinAlgError('torch.linalg.solve: The solver failed because the input matrix is '
                              'singular.') from None
        out = x[..., 0] if vec else x
        self.saved = (a, out)   # the output itself: create_graph differentiates through it
        self.shapes, self.vec = (a.shape, b.shape), vec
        return out

    def backward(self, g):
        a, x = self.saved
        if self.vec:
            g, x = g[..., None], x[..., None]
        gb = xp.linalg.solve(xp.swapaxes(a, -1, -2), g)
        ga = -gb @ xp.swapaxes(x, -1, -2)
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


def inverse(input, *, out=None):
    """``numtorch.linalg.inv``.

    >>> import numtorch
    >>> numtorch.inverse(numtorch.tensor([[2., 0.], [0., 4.]]))[1, 1]
    tensor(0.2500)
    """
    return inv(input)


def linalg_det(A, *, out=None):
    """The determinant of a square matrix (or a batch of them).

    >>> import numtorch
    >>> numtorch.linalg.det(numtorch.tensor([[2., 1.], [1., 3.]]))
    tensor(5.)
    """
    _square(A, 'linalg.det')
    return _apply.unary(LinalgDet, A)


def det(input):
    """``numtorch.linalg.det``.

    >>> import numtorch
    >>> numtorch.det(numtorch.tensor([[2., 1.], [1., 3.]]))
    tensor(5.)
    """
    return linalg_det(input)
