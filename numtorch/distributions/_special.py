"""Gamma-family special functions the distributions need, as differentiable Nodes.

``lgamma`` (with its digamma derivative), ``digamma`` (trigamma derivative), the regularized
incomplete gamma / beta functions, and the samplers whose ``rsample`` gradients are implicit
reparameterisation gradients (Figurnov et al. 2018): for ``x ~ F(.; a)``,
``dx/da = -(dF/da)(x; a) / pdf(x; a)``. numtorch evaluates ``dF/da`` by a central difference of a
float64 CDF (series / continued fraction), which is accurate to ~1e-8 relative; torch's C++ uses
fitted approximations of the same quantity, so the two agree to about 1e-3 relative.

Private to ``numtorch.distributions`` (``torch.special`` lives elsewhere).
"""
import math

from .._backend import xp, ndarray, device_of, is_device_array, to_host, to_device
from ..autograd.graph import Node
from .._ops._apply import unary
from .._ops.pointwise._special_kernels import lgamma as _lgamma_arr

__all__ = ['lgamma', 'digamma', 'standard_gamma', 'sample_dirichlet', 'gammainc']


def _f64(a):
    """``a`` as a float64 array on its own device (no copy when it already is one)."""
    if not is_device_array(a):   # host arrays, NumPy scalars, numbers: as before
        return xp.asarray(a, dtype=xp.float64)
    return a.astype(xp.float64, copy=False)   # a device array: asarray would go to the host


def _lg(a):
    return _lgamma_arr(_f64(a))


def digamma_arr(x):
    """psi(x) in float64 for real x (recurrence up to x >= 6, then the asymptotic series;
    reflection for x < 0.5)."""
    x = _f64(x)
    neg = x < 0.5
    y = xp.where(neg, 1 - x, x)
    acc = xp.zeros_like(y)
    for _ in range(6):
        small = y < 6
        if small.__class__ is ndarray and not small.any():
            break   # (on a device all 6 run: the extra steps add exact zeros, and no sync)
        acc = acc - xp.where(small, 1 / xp.where(small, y, 1), 0)
        y = xp.where(small, y + 1, y)
    r = 1 / (y * y)
    out = acc + xp.log(y) - 0.5 / y - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (
        1 / 240 - r * (1 / 132)))))
    with xp.errstate(divide='ignore', invalid='ignore'):
        refl = out - math.pi / xp.tan(math.pi * x)
    out = xp.where(neg, refl, out)
    return xp.where((x <= 0) & (x == xp.floor(x)), xp.nan, out)


def trigamma_arr(x):
    """psi'(x) in float64 (recurrence, asymptotic series, reflection for x < 0.5)."""
    x = _f64(x)
    neg = x < 0.5
    y = xp.where(neg, 1 - x, x)
    acc = xp.zeros_like(y)
    for _ in range(6):
        small = y < 6
        if small.__class__ is ndarray and not small.any():
            break   # (on a device all 6 run: the extra steps add exact zeros, and no sync)
        acc = acc + xp.where(small, 1 / xp.where(small, y, 1) ** 2, 0)
        y = xp.where(small, y + 1, y)
    r = 1 / (y * y)
    out = acc + 1 / y + r / 2 + r / y * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30))))
    with xp.errstate(divide='ignore', invalid='ignore'):
        refl = math.pi ** 2 / xp.sin(math.pi * x) ** 2 - out
    return xp.where(neg, refl, out)


class Lgamma(Node):
    _name = 'LgammaBackward0'

    def forward(self, a):
        self.saved = (a,)
        return _lgamma_arr(a)

    def backward(self, g):
        a, = self.saved
        return g * digamma_arr(a).astype(a.dtype)


class Digamma(Node):
    _name = 'DigammaBackward0'

    def forward(self, a):
        self.saved = (a,)
        return digamma_arr(a).astype(a.dtype)

    def backward(self, g):
        a, = self.saved
        return g * trigamma_arr(a).astype(a.dtype)


def lgamma(t):
    """``t.lgamma()`` with a gradient (digamma).

    >>> import numtorch
    >>> lgamma(numtorch.tensor([1.0, 4.0]))
    tensor([0.0000, 1.7918])
    """
    return unary(Lgamma, t)


def digamma(t):
    """psi(t) with a gradient (trigamma).

    >>> import numtorch
    >>> digamma(numtorch.tensor([1.0]))
    tensor([-0.5772])
    """
    return unary(Digamma, t)


# ------------------------------------------------------------------ incomplete gamma and beta
def _gammainc_pq(a, x, use_q=None):
    """(tail, use_q): P(a, x) where ``use_q`` is False, Q(a, x) = 1 - P where True, in float64.
    By default the smaller tail is computed directly (series for x < a + 1, Lentz continued
    fraction otherwise); a caller differencing in ``a`` fixes ``use_q`` so both sides agree."""
    a = _f64(a)
    x = xp.maximum(_f64(x), 0)
    a, x = xp.broadcast_arrays(a, x)
    with xp.errstate(divide='ignore', invalid='ignore', over='ignore', under='ignore'):
        logpre = a * xp.log(x) - x - _lg(a)
        if use_q is None:
            use_q = x >= a + 1
        use_q = xp.broadcast_to(use_q, x.shape)
        # series: P = x^a e^-x / Gamma(a+1) * sum_n x^n / ((a+1)...(a+n))
        term = 1 / a
        total = term.copy()
        ap = a.copy()
        for _ in range(10000):
            ap = ap + 1
            term = term * x / ap
            total = total + term
            if not (xp.abs(term) > xp.abs(total) * 1e-16)[~use_q].any():
                break
        p_series = total * xp.exp(logpre)
        # continued fraction for Q (Numerical Recipes' gcf, modified Lentz)
        tiny = 1e-300
        b = x + 1 - a
        c = xp.full_like(x, 1 / tiny)
        d = 1 / xp.where(b == 0, tiny, b)
        h = d.copy()
        for i in range(1, 10000):
            an = -i * (i - a)
            b = b + 2
            d = an * d + b
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if not (xp.abs(delta - 1) > 1e-15)[use_q].any():
                break
        q_cf = xp.exp(logpre) * h
    small = xp.where(use_q, q_cf, p_series)
    small = xp.where(x == 0, xp.where(use_q, 1.0, 0.0), small)
    return small, use_q


def gammainc_arr(a, x):
    """Regularized lower incomplete gamma P(a, x) in float64."""
    small, use_q = _gammainc_pq(a, x)
    return xp.where(use_q, 1 - small, small)


def _betainc_small(a, b, x, flip=None):
    """(I, flipped): I_x(a, b) via the continued fraction, or I_{1-x}(b, a) = 1 - I_x(a, b) when
    that converges faster (``flipped`` True there; a caller differencing in ``a`` fixes it)."""
    a, b, x = xp.broadcast_arrays(*(_f64(v) for v in (a, b, x)))
    if flip is None:
        flip = x > (a + 1) / (a + b + 2)
    flip = xp.broadcast_to(flip, x.shape)
    a, b, x = xp.where(flip, b, a), xp.where(flip, a, b), xp.where(flip, 1 - x, x)
    tiny = 1e-300
    with xp.errstate(divide='ignore', invalid='ignore', over='ignore', under='ignore'):
        front = xp.exp(a * xp.log(x) + b * xp.log1p(-x) - _lg(a) - _lg(b) + _lg(a + b)) / a
        c = xp.ones_like(x)
        d = 1 - (a + b) * x / (a + 1)
        d = 1 / xp.where(xp.abs(d) < tiny, tiny, d)
        h = d.copy()
        for m in range(1, 10000):
            m2 = 2 * m
            for an in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                       -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
                d = 1 + an * d
                d = 1 / xp.where(xp.abs(d) < tiny, tiny, d)
                c = 1 + an / c
                c = xp.where(xp.abs(c) < tiny, tiny, c)
                delta = c * d
                h = h * delta
            if not (xp.abs(delta - 1) > 1e-15).any():
                break
        out = front * h
    return xp.where(x <= 0, 0.0, out), flip


def _implicit_grad(cdf_small, pdf, a, h):
    """-dF/da / pdf by a central difference of the directly computed tail (sign flipped where
    the upper tail was the one computed)."""
    hi, flip_hi = cdf_small(a + h)
    lo, flip_lo = cdf_small(a - h)
    sign = xp.where(flip_hi, -1.0, 1.0)
    with xp.errstate(divide='ignore', invalid='ignore'):
        return -sign * (hi - lo) / (2 * h) / pdf


def standard_gamma_grad_arr(alpha, x):
    """dx/dalpha for x ~ Gamma(alpha, 1) (what torch's ``_standard_gamma_grad`` approximates)."""
    alpha = _f64(alpha)
    x = _f64(x)
    h = 1e-5 * xp.maximum(alpha, 1e-3)
    h = xp.minimum(h, alpha / 2)
    with xp.errstate(divide='ignore', under='ignore'):
        pdf = xp.exp((alpha - 1) * xp.log(x) - x - _lg(alpha))
    use_q = x >= alpha + 1
    out = _implicit_grad(lambda a: _gammainc_pq(a, x, use_q), pdf, alpha, h)
    return xp.where(x > 0, out, 0.0)


def beta_grad_arr(x, alpha, beta):
    """dx/dalpha (beta held fixed) for x ~ Beta(alpha, beta)."""
    alpha, beta, x = (_f64(v) for v in (alpha, beta, x))
    h = xp.minimum(1e-5 * xp.maximum(alpha, 1e-3), alpha / 2)
    with xp.errstate(divide='ignore', under='ignore', invalid='ignore'):
        pdf = xp.exp((alpha - 1) * xp.log(x) + (beta - 1) * xp.log1p(-x)
                     - _lg(alpha) - _lg(beta) + _lg(alpha + beta))
        flip = x > (alpha + 1) / (alpha + beta + 2)
        out = _implicit_grad(lambda a: _betainc_small(a, beta, x, flip), pdf, alpha, h)
    return xp.where((x > 0) & (x < 1), out, 0.0)


def dirichlet_grad_arr(x, alpha, total):
    """torch's ``_dirichlet_grad``: the Beta(alpha, total - alpha) gradient scaled by 1/(1-x)."""
    x = _f64(x)
    return beta_grad_arr(x, alpha, _f64(total) - alpha) / (1 - x)


def _standard_gamma_f64(alpha):
    """Gamma(alpha, 1) draws (float64) from the generator of ``alpha``'s device. NumPy's
    sampler runs on the host, as ``numtorch.poisson``'s does: a device's ``alpha`` crosses to
    the host and the draws come back (its own generator, so the CPU stream never moves)."""
    if alpha.__class__ is ndarray:
        from ..random import default_generator
        return xp.asarray(default_generator._np.standard_gamma(alpha.astype(xp.float64)))
    from .._ops.random import _rng
    dev = device_of(alpha)
    g = _rng(None, dev)._g
    return to_device(xp.asarray(g.standard_gamma(to_host(alpha).astype(xp.float64))), dev)


class StandardGamma(Node):
    _name = 'StandardGammaBackward0'

    def forward(self, alpha):
        dt = alpha.dtype
        out = _standard_gamma_f64(alpha).astype(dt)
        out = xp.maximum(out, xp.finfo(dt).tiny)
        self.saved = (alpha, out)
        return out

    def backward(self, g):
        alpha, x = self.saved
        return g * standard_gamma_grad_arr(alpha, x).astype(alpha.dtype)


def standard_gamma(alpha):
    """Gamma(alpha, 1) samples, differentiable in ``alpha`` (implicit reparameterisation)."""
    return unary(StandardGamma, alpha)


class SampleDirichlet(Node):
    _name = 'DirichletBackward'

    def forward(self, conc):
        dt = conc.dtype
        g = _standard_gamma_f64(conc)
        g = xp.maximum(g, xp.finfo(xp.float64).tiny)
        x = g / g.sum(-1, keepdims=True)
        eps = xp.finfo(dt).tiny
        x = xp.clip(x, eps, 1 - xp.finfo(dt).eps).astype(dt)
        self.saved = (conc, x)
        return x

    def backward(self, g):
        # torch's _Dirichlet_backward: dirichlet_grad(x, alpha, total) * (g - sum(x * g))
        conc, x = self.saved
        total = conc.sum(-1, keepdims=True)
        grad = dirichlet_grad_arr(x, conc, total).astype(conc.dtype)
        return grad * (g - (x * g).sum(-1, keepdims=True))


def sample_dirichlet(conc):
    """Dirichlet samples over the last dim, differentiable in ``conc`` as torch's ``rsample``."""
    return unary(SampleDirichlet, conc)


class Igamma(Node):
    _name = 'IgammaBackward0'

    def forward(self, x, a, a_requires_grad):
        self.saved = (x, a)
        self.a_rg = a_requires_grad
        return gammainc_arr(a, x).astype(x.dtype)

    def backward(self, g):
        if self.a_rg:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        x, a = self.saved
        with xp.errstate(divide='ignore', under='ignore', invalid='ignore'):
            pdf = xp.exp((a - 1) * xp.log(x) - x - _lg(a))
        return g * pdf.astype(x.dtype)


def gammainc(a, x):
    """P(a, x) (the Gamma CDF), differentiable in ``x`` only (torch has no derivative in ``a``).

    >>> import numtorch
    >>> gammainc(numtorch.tensor([1.0]), numtorch.tensor([1.0]))
    tensor([0.6321])
    """
    return unary(Igamma, x, _f64(a.detach()._data), a.requires_grad)

