"""Special functions NumPy lacks (erf, erfc, erfinv, lgamma, a float32 normal CDF), on plain
arrays of any device.

The derivative-carrying ops that use them are in ``pointwise``. Pure functions of arrays
(``xp.exp(a)``) run on ``a``'s device through NumPy's dispatch protocols; arrays are *created*
with ``namespace(a)``. Host (NumPy) arrays small enough take Python's correctly rounded
``math.erf`` / ``math.lgamma`` per element (faster there than ~30 vectorized calls). On a device
whose backend has its own kernel (``Backend.special``: CuPy's ``cupyx.scipy.special``) that
kernel runs; otherwise (the stand-in) the vectorized formulas here, which never leave the device.
"""
import math

from ..._backend import xp, ndarray, namespace, backend_of


def device_kernel(a, name):
    """The device library's own kernel for special function ``name`` (scipy.special's name) when
    ``a`` is a device array whose backend has one, else None (host arrays: always None)."""
    return None if a.__class__ is ndarray else backend_of(a).special(name)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT1_2_ = 1.0 / math.sqrt(2.0)


# NumPy has no erf. W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
# approximations for the error function", Math. Comp. 23, 1969; netlib specfun CALERF), the
# ones C libraries use: about 1e-16 relative error in float64, vectorized over three ranges.
_A = (3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3,
      1.85777706184603153e-1)
_B = (2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3)
_C = (5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2,
      8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
      2.15311535474403846e-8)
_D = (1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
      3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1   # 1 / sqrt(pi)


def _ratio(z, top, num_coefs, den_coefs, last_num, last_den):
    """Cody's Horner scheme for (num + last_num) / (den + last_den), in place on z's shape."""
    num = top * z
    den = z.copy()
    for cn, cd in zip(num_coefs, den_coefs):
        num += cn
        num *= z
        den += cd
        den *= z
    num += last_num
    den += last_den
    num /= den
    return num


def _erfc_tail(y):
    """erfc(y) for y > 0.46875 (Cody's second and third ranges)."""
    y = xp.minimum(y, 30.0)       # erfc underflows to 0 long before; keeps inf out of exp
    out = xp.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    out[mid] = _ratio(ym, _C[8], _C[:7], _D[:7], _C[7], _D[7])
    far = ~mid
    yf = y[far]
    z = 1.0 / (yf * yf)
    out[far] = (_SQRPI - z * _ratio(z, _P[5], _P[:4], _Q[:4], _P[4], _Q[4])) / yf
    # exp(-y^2) as exp(-ysq^2) * exp(-del) with ysq = y rounded to 1/16: keeps full precision
    ysq = xp.trunc(y * 16.0) / 16.0
    out *= xp.exp(-ysq * ysq)
    out *= xp.exp(-(y - ysq) * (y + ysq))
    return out


def _erf64(x, complement=False):
    """erf(x) (or erfc(x)) of a float64 array."""
    y = xp.abs(x)
    out = namespace(x).full(x.shape, xp.nan)
    near = y <= 0.46875
    xs = x[near]
    e = xs * _ratio(xs * xs, _A[4], _A[:3], _B[:3], _A[3], _B[3])
    out[near] = 1.0 - e if complement else e
    far = y > 0.46875                 # (NaN is in neither range and stays NaN)
    xf = x[far]
    t = _erfc_tail(y[far])
    if complement:
        out[far] = xp.where(xf < 0, 2.0 - t, t)
    else:
        out[far] = xp.where(xf < 0, t - 1.0, 1.0 - t)
    return out


# Small arrays: Python's correctly rounded math.erf per element beats ~30 vectorized NumPy calls.
_SMALL = 512
_erf_py = xp.frompyfunc(math.erf, 1, 1)
_erfc_py = xp.frompyfunc(math.erfc, 1, 1)


def erf(a):
    if a.__class__ is ndarray:
        if a.size <= _SMALL:
            return xp.asarray(_erf_py(a), dtype=a.dtype)
    elif (k := device_kernel(a, 'erf')) is not None:
        return k(a)
    return _erf64(a.astype(xp.float64, copy=False)).astype(a.dtype, copy=False)


def erfc(a):
    if a.__class__ is ndarray:
        if a.size <= _SMALL:
            return xp.asarray(_erfc_py(a), dtype=a.dtype)
    elif (k := device_kernel(a, 'erfc')) is not None:
        return k(a)
    return _erf64(a.astype(xp.float64, copy=False), True).astype(a.dtype, copy=False)


def erfinv64(y):
    """Inverse error function in float64: Giles' single-precision approximation (2010), then
    two Newton steps on erf(x) = y, which bring it to double precision."""
    k = device_kernel(y, 'erfinv')
    if k is not None:
        return k(y)
    with xp.errstate(divide='ignore', invalid='ignore'):
        w = -xp.log((1 - y) * (1 + y))
        small = w < 5
        ws = w - 2.5
        p = xp.full_like(y, 2.81022636e-08)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * ws
        wl = xp.sqrt(w) - 3
        q = xp.full_like(y, -0.000200214257)
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            q = c + q * wl
        x = xp.where(small, p, q) * y
        for _ in range(2):
            err = erf(x) - y
            x = x - err / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        x = xp.where(xp.abs(y) == 1, y * xp.inf, x)
        return xp.where(xp.abs(y) > 1, xp.nan, x)


def _lgamma1(v):
    try:
        return math.lgamma(v)
    except ValueError:    # the poles 0, -1, -2 ...: torch gives inf (Python raises)
        return math.inf


_lgamma_py = xp.frompyfunc(_lgamma1, 1, 1)


def lgamma(a):
    """log|gamma(a)| elementwise (host arrays: math.lgamma per element)."""
    if a.__class__ is not ndarray:
        k = device_kernel(a, 'gammaln')
        return k(a) if k is not None else _lgamma64(a.astype(xp.float64)).astype(a.dtype,
                                                                                 copy=False)
    return xp.asarray(_lgamma_py(a), dtype=a.dtype) if a.size else a.copy()


# Stirling's series for log gamma(x), x >= 10: (x - 1/2) ln x - x + ln(2 pi) / 2 + sum_k
# B_2k / (2k (2k - 1) x^(2k - 1)); 8 terms reach double precision there.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _lgamma64(x):
    """log|gamma(x)| of a float64 array on any device: recurrence lgamma(x) = lgamma(x + n) -
    log(x (x + 1) ... (x + n - 1)) up to x + n >= 10, Stirling's series there, reflection
    log(pi / |sin(pi x)|) - lgamma(1 - x) for x < 1/2; the poles 0, -1, -2 ... give inf."""
    with xp.errstate(all='ignore'):
        neg = x < 0.5
        z = xp.where(neg, 1 - x, x)
        prod = xp.ones_like(z)
        for _ in range(10):
            small = z < 10
            prod = xp.where(small, prod * z, prod)
            z = xp.where(small, z + 1, z)
        r = 1 / z
        r2 = r * r
        ser = _STIRLING[-1]
        for c in _STIRLING[-2::-1]:
            ser = c + r2 * ser
        lg = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + ser * r - xp.log(prod)
        refl = xp.log(xp.pi / xp.abs(xp.sin(xp.pi * x))) - lg
        out = xp.where(neg, refl, lg)
        out = xp.where(neg & (x == xp.floor(x)), xp.inf, out)   # the poles
        return xp.where(xp.isinf(x), xp.inf, out)


# Abramowitz & Stegun 7.1.26: erfc(u) = t * P(t) * exp(-u^2), t = 1 / (1 + p u), u >= 0, with
# absolute error <= 1.5e-7 -- at float32 rounding of Phi = 1 - erfc/2, and torch's own float32
# GELU (0.5 x (1 + erf)) carries the same absolute, not relative, error in the far left tail.
_AS_P = 0.3275911 * _SQRT1_2_
_AS_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def phi32(a):
    """(Phi(a), exp(-a^2 / 2)) of a float32 array, in float32.

    Computed in chunks of 64K elements with preallocated temporaries: a fresh full-size
    temporary per step (page faults on new memory) cost more than all the arithmetic."""
    f = a.dtype.type
    flat = a.reshape(-1)
    size = flat.size
    ns = namespace(a)
    cdf = ns.empty(size, a.dtype)
    e = ns.empty(size, a.dtype)
    n = min(size, _CHUNK)
    t_buf, p_buf, s_buf = ns.empty(n, a.dtype), ns.empty(n, a.dtype), ns.empty(n, bool)
    P, A0, rest = f(_AS_P), f(_AS_A[0]), [f(c) for c in _AS_A[1:]]
    for i in range(0, size, n):
        x = flat[i:i + n]
        m = x.size
        t, p, s, ee, cc = t_buf[:m], p_buf[:m], s_buf[:m], e[i:i + m], cdf[i:i + m]
        xp.abs(x, out=t)
        t *= P
        t += 1
        xp.reciprocal(t, out=t)
        xp.multiply(t, A0, out=p)
        for c in rest:
            p += c
            p *= t
        xp.multiply(x, x, out=ee)
        ee *= f(-0.5)
        xp.exp(ee, out=ee)
        p *= ee
        p *= f(0.5)                  # p = erfc(|x| / sqrt(2)) / 2 = Phi(-|x|)
        # Phi(x) = p if x < 0 else 1 - p, as arithmetic: `where` on a random sign mispredicts
        # its branch per element and cost 40x an elementwise pass.
        xp.multiply(p, f(-2), out=cc)
        cc += 1
        xp.greater_equal(x, 0, out=s)
        cc *= s
        cc += p
    return cdf.reshape(a.shape), e.reshape(a.shape)


_CHUNK = 1 << 16
