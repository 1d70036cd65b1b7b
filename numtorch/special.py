"""``numtorch.special``: torch's special-function namespace.

Most names are the torch-level ops under their scipy-style names (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``, ``psi`` is ``digamma``); the Bessel, normal-distribution and
entropy functions live in ``numtorch/_ops/pointwise/special.py``. Not provided: the orthogonal
polynomials, Airy/Bessel J/Y/K functions and the incomplete gamma functions.

>>> import numtorch
>>> numtorch.special.expit(numtorch.tensor([0.]))
tensor([0.5000])
"""
import math as _math

from ._ops.pointwise.special import (digamma, polygamma, i0, i0e, i1, i1e, ndtr, ndtri, log_ndtr,  # noqa: F401
                               erfcx, entr, sinc, xlog1py, zeta)
from ._ops.pointwise.unary import (erf, erfc, erfinv, exp2, expm1, log1p, round, logit,  # noqa: F401
                             lgamma as gammaln, sigmoid as expit)
from ._ops.pointwise.binary import xlogy  # noqa: F401
from ._ops.reductions.stats import logsumexp  # noqa: F401

psi = digamma
modified_bessel_i0 = i0
modified_bessel_i1 = i1


def softmax(input, dim, *, dtype=None):
    """``softmax`` along ``dim`` (optionally computed in ``dtype``)."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``log_softmax`` along ``dim`` (optionally computed in ``dtype``)."""
    return input.log_softmax(dim, dtype=dtype)


def multigammaln(input, p, *, out=None):
    """Log of the multivariate gamma function of dimension ``p``:
    ``p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)``.

    >>> import numtorch
    >>> numtorch.special.multigammaln(numtorch.tensor([2.5]), 2)
    tensor([0.8570])
    """
    if p < 1:
        raise RuntimeError('p has to be greater than or equal to 1')
    total = None
    for j in range(p):
        term = (input - j / 2).lgamma()
        total = term if total is None else total + term
    return total + p * (p - 1) / 4 * _math.log(_math.pi)


__all__ = ['digamma', 'psi', 'polygamma', 'i0', 'i0e', 'i1', 'i1e', 'modified_bessel_i0',
           'modified_bessel_i1', 'ndtr', 'ndtri', 'log_ndtr', 'erfcx', 'entr', 'sinc', 'xlog1py',
           'zeta', 'erf', 'erfc', 'erfinv', 'exp2', 'expm1', 'log1p', 'round', 'xlogy', 'logit',
           'logsumexp', 'gammaln', 'expit', 'softmax', 'log_softmax', 'multigammaln']
