"""Scans: cumulative ops along a dimension (``logcumsumexp``, ``trapezoid``/``trapz``).
"""
from ...autograd.graph import Node
from .._apply import unary
from .reduce import _one
from ..pointwise.binary import _floats_only
from ..._backend import xp


# --------------------------------------------------------------------------- scans
class Logcumsumexp(Node):
    def forward(self, a, axis):
        self.axis = axis
        out = xp.logaddexp.accumulate(a, axis=axis) if a.size else a.copy()
        self.saved = (a, out)
        return out

    def backward(self, g):
        # grad_i = sum_{j>=i} g_j exp(a_i - out_j), done in log space on the positive and
        # negative parts of g separately so nothing overflows (torch's formula).
        a, out = self.saved
        ax = self.axis
        res = self.xp.zeros_like(a)
        with xp.errstate(divide='ignore'):
            for part, sign in ((xp.maximum(g, 0), 1), (xp.maximum(-g, 0), -1)):
                lw = xp.log(part) - out
                rev = xp.flip(xp.logaddexp.accumulate(xp.flip(lw, ax), axis=ax), ax)
                res += sign * xp.exp(a + rev)
        return res


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))``, computed stably.

    >>> import numtorch
    >>> numtorch.tensor([0., 0.]).logcumsumexp(0)
    tensor([0.0000, 0.6931])
    """
    _floats_only('logcumsumexp_out_cpu', input)
    nd = input._data.ndim
    if nd == 0:
        _one(dim, 1)
        return unary(Logcumsumexp, input.reshape(1), 0).reshape(())
    return unary(Logcumsumexp, input, _one(dim, nd))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoid-rule integral of ``y`` along ``dim`` (sample points ``x`` or spacing ``dx``).

    >>> import numtorch
    >>> numtorch.trapezoid(numtorch.tensor([1., 2., 3.]))
    tensor(4.)
    """
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim) * 0
    lo, hi = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is None:
        return (lo + hi).sum(dim) * ((1 if dx is None else dx) / 2)
    if x.dim() == 1:
        shape = [1] * y.dim()
        shape[dim] = n - 1
        d = (x[1:] - x[:-1]).reshape(shape)
    else:
        d = x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)
    return ((lo + hi) * d).sum(dim) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """Old name of ``trapezoid``.

    >>> import numtorch
    >>> numtorch.trapz(numtorch.tensor([0., 2.]), dx=2.)
    tensor(2.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)

FUNCTION_ONLY = {'trapezoid', 'trapz'}


__all__ = ['logcumsumexp', 'trapezoid', 'trapz']
