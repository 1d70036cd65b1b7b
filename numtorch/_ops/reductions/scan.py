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

__all__ = ['logcumsumexp']
