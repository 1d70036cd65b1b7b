"""Differentiable special functions: ``digamma``, ``polygamma``, ``i0`` (torch-level and Tensor
methods) and the ``numtorch.special``-only ones (``i0e``, ``i1``, ``i1e``, ``ndtr``, ``ndtri``,
``log_ndtr``, ``erfcx``, ``entr``, ``sinc``, ``xlog1py``, ``zeta``). One node each; values from
``_gamma_bessel`` (float64, cast back), derivatives from the standard identities (psi' =
polygamma(1), I0' = I1, I1' = I0 - I1/x, ndtr' = pdf, ...).
"""
import math


from ..._backend import xp
from ..._dtype import get_default_dtype
from ...autograd.graph import Node
from ...autograd._grad_array import GradArray
from .._apply import unary, binary, unbroadcast, wrap
from .. import _apply
from . import _gamma_bessel as _gb
from ._special_kernels import erf as _erf, erfinv64 as _erfinv64, device_kernel
from ..._backend import is_array, namespace
from .._compose import _nt

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _fl(a):
    return a if a.dtype.kind == 'f' else a.astype(get_default_dtype().np)


def _f64(fn, a):
    """``fn`` evaluated in float64 on ``a``, cast back to ``a``'s float dtype."""
    return fn(a.astype(xp.float64)).astype(a.dtype, copy=False)


def _polygamma_of(n, a):
    """polygamma(n, a) in ``a``'s dtype; under create_graph (``a`` a GradArray) numtorch's
    polygamma op, recorded, so the derivative can be differentiated again."""
    if a.__class__ is GradArray:
        return GradArray(polygamma(n, a.t))
    return _f64(lambda v: _gb.polygamma(n, v), a)


def _bessel_of(kind, a):
    """Bessel function ``kind`` ('i0', 'i1e', ...) of ``a``; recorded for a GradArray."""
    if a.__class__ is GradArray:
        return GradArray(unary(_Bessel, a.t, kind))
    return _f64(getattr(_gb, kind), a)


class Digamma(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return _f64(_gb.digamma, a)

    def backward(self, g):
        a, = self.saved
        return g * _polygamma_of(1, a)


class Polygamma(Node):
    def forward(self, a, n):
        a = _fl(a)
        self.saved, self.n = (a,), n
        return _f64(lambda v: _gb.polygamma(n, v), a)

    def backward(self, g):
        a, = self.saved
        return g * _polygamma_of(self.n + 1, a)


class _Bessel(Node):
    """I0, I0e, I1, I1e with their derivatives."""

    def forward(self, a, kind):
        a = _fl(a)
        self.kind = kind
        self._name = {'i0': 'I0Backward0', 'i0e': 'SpecialI0EBackward0',
                      'i1': 'SpecialI1Backward0', 'i1e': 'SpecialI1EBackward0'}[kind]
        out = _f64(getattr(_gb, kind), a)
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        k = self.kind
        if k == 'i0':
            return g * _bessel_of('i1', a)
        if k == 'i0e':
            return g * (_bessel_of('i1e', a) - xp.sign(a) * out)
        other = _bessel_of('i0' if k == 'i1' else 'i0e', a)
        with xp.errstate(divide='ignore', invalid='ignore'):
            d = other - out / a - (xp.sign(a) * out if k == 'i1e' else 0)
        return g * xp.where(a == 0, 0.5, d)


class Ndtr(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return (0.5 * (1 + _erf(a / _SQRT2))).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        return g * _INV_SQRT_2PI * xp.exp(-0.5 * a * a)


class Ndtri(Node):
    def forward(self, a):
        a = _fl(a)
        out = _f64(lambda p: _SQRT2 * _erfinv64(2 * p - 1), a)
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return g * math.sqrt(2 * math.pi) * xp.exp(0.5 * out * out)


def _log_ndtr64(x):
    # x < 0: ndtr(x) = erfcx(-x/sqrt2) exp(-x^2/2) / 2 stays representable in log space far
    # into the tail; x >= 0: log1p of the (small) upper tail.
    k = device_kernel(x, 'log_ndtr')   # the device's own kernel
    if k is not None:
        return k(x)
    neg = x < 0
    out = xp.empty_like(x)
    xn = x[neg]
    out[neg] = xp.log(0.5 * _gb.erfcx(-xn / _SQRT2)) - 0.5 * xn * xn
    xp_ = x[~neg]
    out[~neg] = xp.log1p(-0.5 * _gb.erfcx(xp_ / _SQRT2) * xp.exp(-0.5 * xp_ * xp_))
    return out


class LogNdtr(Node):
    def forward(self, a):
        a = _fl(a)
        out = _f64(_log_ndtr64, a)
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        # pdf / ndtr, in log space: exp(log pdf - log_ndtr)
        return g * xp.exp(-0.5 * a * a - math.log(math.sqrt(2 * math.pi)) - out)


class Erfcx(Node):
    def forward(self, a):
        a = _fl(a)
        out = _f64(_gb.erfcx, a)
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        return g * (2 * a * out - 2 / math.sqrt(math.pi))


class Entr(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        with xp.errstate(divide='ignore', invalid='ignore'):
            out = xp.where(a > 0, -a * xp.log(a), xp.where(a == 0, 0, -xp.inf))
        return xp.where(xp.isnan(a), a, out).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            return g * -(xp.log(a) + 1)


class Sinc(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        with xp.errstate(divide='ignore', invalid='ignore'):
            px = xp.pi * a
            return xp.where(a == 0, 1, xp.sin(px) / px).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            px = xp.pi * a
            d = (xp.cos(px) * px - xp.sin(px)) / (px * a)
        return g * xp.where(a == 0, 0, d)


class Xlog1py(Node):
    bool_error = None

    def forward(self, a, b):
        self.b_array = is_array(b)   # (backward asks the flag: b may be a GradArray there)
        a, b = _fl(a), _fl(b) if self.b_array else b
        self.saved = (a, b)
        with xp.errstate(divide='ignore', invalid='ignore'):
            out = xp.where(a == 0, 0, a * xp.log1p(b))
        return xp.where(xp.isnan(b), xp.nan, out).astype(a.dtype, copy=False)

    def backward(self, g):
        a, b = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            ga = g * xp.where(a == 0, 0, xp.log1p(b))
            gb = g * a / (1 + b)
        if self.b_array:
            return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)
        return unbroadcast(ga, a.shape), None


def digamma(input):
    """Logarithmic derivative of the gamma function, psi(x).

    >>> import numtorch
    >>> numtorch.digamma(numtorch.tensor([1.]))
    tensor([-0.5772])
    """
    return unary(Digamma, input)


def polygamma(n, input):
    """The ``n``-th derivative of digamma.

    >>> import numtorch
    >>> numtorch.polygamma(1, numtorch.tensor([1.]))
    tensor([1.6449])
    """
    if n < 0:
        raise RuntimeError('polygamma(n, x) does not support negative n.')
    return unary(Polygamma, input, int(n))


def _polygamma_method(self, n):
    """``x.polygamma(n)`` (torch's method takes ``n`` after self)."""
    return polygamma(n, self)


def i0(input):
    """Modified Bessel function of the first kind, order 0.

    >>> import numtorch
    >>> numtorch.i0(numtorch.tensor([0., 1.]))
    tensor([1.0000, 1.2661])
    """
    return unary(_Bessel, input, 'i0')


def i0e(input):
    """``exp(-|x|) * i0(x)``."""
    return unary(_Bessel, input, 'i0e')


def i1(input):
    """Modified Bessel function of the first kind, order 1."""
    return unary(_Bessel, input, 'i1')


def i1e(input):
    """``exp(-|x|) * i1(x)``."""
    return unary(_Bessel, input, 'i1e')


def ndtr(input):
    """Standard normal CDF."""
    return unary(Ndtr, input)


def ndtri(input):
    """Inverse of ``ndtr`` (the standard normal quantile)."""
    return unary(Ndtri, input)


def log_ndtr(input):
    """``log(ndtr(x))``, accurate far into the lower tail."""
    return unary(LogNdtr, input)


def erfcx(input):
    """Scaled complementary error function ``exp(x**2) * erfc(x)``."""
    return unary(Erfcx, input)


def entr(input):
    """Elementwise entropy ``-x * log(x)`` (0 at 0, -inf for x < 0)."""
    return unary(Entr, input)


def sinc(input):
    """Normalized sinc ``sin(pi x) / (pi x)`` (1 at 0).

    >>> import numtorch
    >>> numtorch.sinc(numtorch.tensor([0., 0.5]))
    tensor([1.0000, 0.6366])
    """
    return unary(Sinc, input)


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where ``input`` is 0."""
    if not isinstance(input, _apply.Tensor):
        input = _apply.Tensor._from_any(input)
    return binary(Xlog1py, input, other)


def zeta(input, other):
    """Hurwitz zeta ``sum_k (other + k) ** -input`` (not differentiable, as torch's in x)."""
    x = input._data if isinstance(input, _apply.Tensor) else input
    q = other._data if isinstance(other, _apply.Tensor) else other
    ns = namespace(x if is_array(x) else q)     # a Python number joins the tensor's device
    x, q = ns.asarray(x), ns.asarray(q)
    dt = xp.result_type(x.dtype, q.dtype)
    dt = dt if dt.kind == 'f' else get_default_dtype().np
    return wrap(_gb.zeta(x, q).astype(dt))


def mvlgamma(input, p):
    """Multivariate log-gamma of dimension ``p``: ``sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)``.

    >>> import numtorch
    >>> numtorch.mvlgamma(numtorch.tensor([3.]), 2)
    tensor([1.5502])
    """
    if p < 1:
        raise RuntimeError('p has to be greater than or equal to 1')
    nt = _nt()
    x = input if input.is_floating_point() else input.to(nt.get_default_dtype())
    terms = nt.stack([nt.lgamma(x - i / 2) for i in range(p)]).sum(0)
    return terms + p * (p - 1) / 4 * math.log(math.pi)


__all__ = ['digamma', 'polygamma', 'i0', 'sinc', 'mvlgamma']
METHODS = {'polygamma': _polygamma_method}
FUNCTION_ONLY = {'polygamma'}
