"""Special functions NumPy lacks, on float64 arrays: digamma, Hurwitz zeta (hence polygamma),
the modified Bessel functions I0/I1 (and their exponentially scaled forms), erfcx.

Methods (standard ones, vectorized; each documented where used):
- digamma: recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
  ln x - 1/(2x) - sum B_2k / (2k x^2k); reflection psi(1 - x) - pi / tan(pi x) for x < 0.
- zeta(s, q): Euler-Maclaurin summation as in Cephes ``zeta.c`` (direct sum of 10 terms, then
  the tail integral and 12 Bernoulli corrections), about 1e-16 relative.
- I0, I1: power series for |x| <= 15 (positive terms, no cancellation), the large-argument
  asymptotic expansion beyond (its terms keep shrinking until k ~ 4|x| > 60).
- erfcx: exp(x^2) erfc(x) directly for x <= 2, a Lentz continued fraction beyond.

They run on any device: pure functions of arrays dispatch to the input's device, and the few
arrays created here come from ``namespace(x)``.
"""
import math

from ..._backend import xp, namespace
from ._special_kernels import erfc as _erfc, device_kernel


def _f64(x):
    """``x`` as a float64 array on its own device (Python scalars: the CPU)."""
    return namespace(x).asarray(x, xp.float64)


def digamma(x):
    x = _f64(x)
    out = xp.empty_like(x)
    neg = x < 0
    xr = xp.where(neg, 1 - x, x)                     # reflected argument for x < 0
    acc = xp.zeros_like(x)
    with xp.errstate(divide='ignore', invalid='ignore'):
        for _ in range(10):                          # shift up to >= 10
            small = xr < 10
            acc = xp.where(small, acc - 1 / xr, acc)
            xr = xp.where(small, xr + 1, xr)
        z = 1 / (xr * xr)
        ser = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (
            691 / 32760 - z / 12))))))
        psi = xp.log(xr) - 0.5 / xr - ser + acc
        refl = psi - xp.pi / xp.tan(xp.pi * x)
        out = xp.where(neg, refl, psi)
        out = xp.where(x == 0, -xp.inf, out)
        out = xp.where(neg & (x == xp.floor(x)), xp.nan, out)
    return out


_ZA = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
       -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
       1.8152105401943546773e17, -7.1661652561756670113e18)


def zeta(x, q):
    """Hurwitz zeta sum_{k>=0} (q + k)^-x for x > 1 (Cephes' algorithm)."""
    ns = namespace(q if x.__class__ in (int, float) else x)   # a scalar joins the array's device
    x, q = xp.broadcast_arrays(ns.asarray(x, xp.float64), ns.asarray(q, xp.float64))
    with xp.errstate(all='ignore'):
        s = ns.zeros(x.shape)
        a = q.copy()
        for _ in range(10):
            s += a ** -x
            a = a + 1
        w = a
        b = w ** -x
        s += b
        s += b * w / (x - 1) - 0.5 * b
        fac = ns.ones(x.shape)
        k = 0.0
        for A in _ZA:
            fac = fac * (x + k)
            b = b / w
            s += fac * b / A
            k += 1
            fac = fac * (x + k)
            b = b / w
            k += 1
        s = xp.where(x == 1, xp.inf, s)
        s = xp.where(x < 1, xp.nan, s)
        s = xp.where((q <= 0) & (q == xp.floor(q)), xp.inf, s)
        s = xp.where((q <= 0) & (q != xp.floor(q)) & (x != xp.floor(x)), xp.nan, s)
    return s


def polygamma(n, x):
    if n == 0:
        return digamma(x)
    sign = -1.0 if n % 2 == 0 else 1.0
    return sign * math.factorial(n) * zeta(n + 1.0, x)


def _bessel_series(x, nu):
    """sum_k (x/2)^(2k+nu) / (k! (k+nu)!)"""
    h = x / 2
    term = h ** nu / math.factorial(nu)
    q = h * h
    s = term.copy()
    for k in range(1, 64):
        term = term * q / (k * (k + nu))
        s += term
    return s


def _bessel_asym_scaled(x, nu):
    """exp(-x) I_nu(x) for large x > 0: 1/sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k."""
    mu = 4.0 * nu * nu
    term = xp.ones_like(x)
    s = term.copy()
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * x)
        s += term
    return s / xp.sqrt(2 * xp.pi * x)


def _bessel(x, nu, scaled):
    x = _f64(x)
    k = device_kernel(x, f'i{nu}e' if scaled else f'i{nu}')   # the device's own kernel
    if k is not None:
        return k(xp.abs(x))
    ax = xp.abs(x)
    big = ax > 15
    out = xp.empty_like(ax)
    xs = ax[~big]
    ser = _bessel_series(xs, nu)
    out[~big] = ser * xp.exp(-xs) if scaled else ser
    xb = ax[big]
    asy = _bessel_asym_scaled(xb, nu)
    with xp.errstate(over='ignore', invalid='ignore'):
        out[big] = asy if scaled else asy * xp.exp(xb)
    return xp.where(xp.isnan(x), xp.nan, out)


def i0(x):
    return _bessel(x, 0, False)


def i0e(x):
    return _bessel(x, 0, True)


def i1(x):
    x = _f64(x)
    return xp.sign(x) * _bessel(x, 1, False)      # odd function


def i1e(x):
    x = _f64(x)
    return xp.sign(x) * _bessel(x, 1, True)


def erfcx(x):
    x = _f64(x)
    k = device_kernel(x, 'erfcx')   # the device's own kernel
    if k is not None:
        return k(x)
    out = xp.empty_like(x)
    near = x <= 2
    xn = x[near]
    with xp.errstate(over='ignore', invalid='ignore'):
        out[near] = xp.exp(xn * xn) * _erfc(xn)
    xf = x[~near]
    # erfc(x) exp(x^2) sqrt(pi) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
    # evaluated bottom-up with 60 levels (plenty for x > 2).
    t = xp.zeros_like(xf)
    for k in range(60, 0, -1):
        t = (k / 2) / (xf + t)
    out[~near] = 1 / (xp.sqrt(xp.pi) * (xf + t))
    return out
