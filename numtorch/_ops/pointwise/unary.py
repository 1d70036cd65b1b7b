"""Unary pointwise math: abs, sign, rounding, roots, exp/log variants, trig, sigmoid, erf, ...

One Node per op, forward and backward side by side (torch's derivatives.yaml rule in one line).
Integer and bool inputs compute in the default float dtype where torch's op is a float op
(``sqrt``, ``sin``, ...), and keep their dtype where torch's does (``abs``, ``floor``, ...).
Backward formulas multiply by Python floats only, never NumPy float64 scalars, so float32 graphs
stay float32 (a NumPy scalar is a "strong" type under NumPy 2's promotion rules).
"""
import math

from ..._backend import xp, split_run
from ..._threads import SPLIT_MIN
from ...autograd.graph import Node
from ...autograd._grad_array import GradArray
from .._apply import unary, float_dtype
from .arithmetic import _inplace, pow as _pow
from ._special_kernels import erf as _erf, erfc as _erfc, erfinv64 as _erfinv64, lgamma as _lgamma

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _fl(a):
    """``a`` in the floating dtype torch computes float ops in (int/bool -> default float)."""
    return a if a.dtype.kind == 'f' else a.astype(float_dtype(a.dtype))


_NAMES = {'b': 'Bool', 'u': 'Byte'}


def _not_for(op, a, kinds):
    """torch's NotImplementedError for a dtype its kernel lacks (``abs`` of a bool tensor...)."""
    if a.dtype.kind in kinds:
        name = _NAMES.get(a.dtype.kind) or {'int64': 'Long', 'int32': 'Int', 'int16': 'Short',
                                            'int8': 'Char'}.get(a.dtype.name, a.dtype.name)
        raise NotImplementedError(f'"{op}" not implemented for \'{name}\'')


# --------------------------------------------------------------------------- sign, abs, rounding
class Abs(Node):
    def forward(self, a):
        _not_for('abs_cpu', a, 'b')
        self.saved = (a,)
        return xp.abs(a)

    def backward(self, g):
        return g * xp.sign(self.saved[0])


class Sign(Node):
    def forward(self, a):
        self.shape = a.shape
        if a.dtype.kind == 'b':
            return a.copy()
        if a.dtype.kind == 'f':
            return xp.where(a != a, a.dtype.type(0), xp.sign(a))   # torch: sign(nan) is 0
        return xp.sign(a)

    def backward(self, g):
        return self.xp.zeros_like(g)


class Sgn(Sign):
    pass


class _Step(Node):
    """Piecewise-constant ops (floor, ceil, round, trunc): gradient zero, integers unchanged."""
    fn = None
    kernel = ''

    def forward(self, a):
        _not_for(self.kernel, a, 'b')
        return a.copy() if a.dtype.kind in 'iu' else self.fn(a)

    def backward(self, g):
        return self.xp.zeros_like(g)


class Floor(_Step):
    fn, kernel = staticmethod(xp.floor), 'floor_vml_cpu'


class Ceil(_Step):
    fn, kernel = staticmethod(xp.ceil), 'ceil_vml_cpu'


class Trunc(_Step):
    fn, kernel = staticmethod(xp.trunc), 'trunc_vml_cpu'


class Round(_Step):
    fn, kernel = staticmethod(xp.round), 'round_vml_cpu'   # half to even, as torch


class RoundDecimals(Node):
    _name = 'RoundBackward1'

    def forward(self, a, decimals):
        _not_for('round_cpu', a, 'biu')
        return xp.round(a, decimals)

    def backward(self, g):
        return self.xp.zeros_like(g)


class Frac(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        _not_for('frac_cpu', a, 'biu')
        return a - xp.trunc(a)

    def backward(self, g):
        return g


# --------------------------------------------------------------------------- powers and logs
class Reciprocal(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = 1 / _fl(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return -g * out * out


class Sqrt(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = xp.sqrt(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        return g / (2 * self.saved[0])


class Rsqrt(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = 1 / xp.sqrt(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return -0.5 * g * out * out * out


class Exp2(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = xp.exp2(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        return g * self.saved[0] * _LN2


class Expm1(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = xp.expm1(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        return g * (self.saved[0] + 1)


class Log1p(Node):
    quiet = True   # can give inf/nan: torch does so silently
    _name = 'Log1PBackward0'

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.log1p(a)

    def backward(self, g):
        return g / (self.saved[0] + 1)


class Log2(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.log2(a)

    def backward(self, g):
        return g / (self.saved[0] * _LN2)


class Log10(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.log10(a)

    def backward(self, g):
        return g / (self.saved[0] * _LN10)


# --------------------------------------------------------------------------- trigonometry
class Sin(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.sin(a)

    def backward(self, g):
        return g * xp.cos(self.saved[0])


class Cos(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.cos(a)

    def backward(self, g):
        return -g * xp.sin(self.saved[0])


class Tan(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = xp.tan(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return g * (1 + out * out)


class Asin(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arcsin(a)

    def backward(self, g):
        a, = self.saved
        return g / xp.sqrt(1 - a * a)


class Acos(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arccos(a)

    def backward(self, g):
        a, = self.saved
        return -g / xp.sqrt(1 - a * a)


class Atan(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arctan(a)

    def backward(self, g):
        a, = self.saved
        return g / (1 + a * a)


class Sinh(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.sinh(a)

    def backward(self, g):
        return g * xp.cosh(self.saved[0])


class Cosh(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.cosh(a)

    def backward(self, g):
        return g * xp.sinh(self.saved[0])


class Tanh(Node):
    def forward(self, a):
        out = xp.tanh(_fl(a))
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return g * (1 - out * out)


class Asinh(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arcsinh(a)

    def backward(self, g):
        a, = self.saved
        return g / xp.sqrt(a * a + 1)


class Acosh(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arccosh(a)

    def backward(self, g):
        a, = self.saved
        return g / (xp.sqrt(a - 1) * xp.sqrt(a + 1))


class Atanh(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return xp.arctanh(a)

    def backward(self, g):
        a, = self.saved
        return g / (1 - a * a)


# --------------------------------------------------------------------------- sigmoid, erf, ...
class Sigmoid(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        t = self.xp.empty(a.shape, a.dtype)   # (an array even when 0-dim)
        if a.size >= SPLIT_MIN:   # large: all four passes per range, the ranges over the threads
            af, tf = a.reshape(-1), t.reshape(-1)
            split_run(a, lambda lo, hi: _sigmoid_into(af[lo:hi], tf[lo:hi]), a.size)
        else:
            _sigmoid_into(a, t)
        self.saved = (t,)
        return t

    def backward(self, g):
        out, = self.saved
        # g * (1 - y) * y, torch's order (bit-identical to its CPU kernel), in one fresh buffer:
        # 3 passes and no temporaries instead of 3 passes and 3 arrays (LeNet's conv1 sigmoid:
        # 1.3 ms -> 0.6 ms per backward)
        if out.shape != g.shape or out.dtype != g.dtype or g.__class__ is GradArray:
            return g * (1 - out) * out   # (create_graph: recorded, through the output)
        t = self.xp.empty(out.shape, out.dtype)
        if out.size >= SPLIT_MIN:
            of, gf, tf = out.reshape(-1), g.reshape(-1), t.reshape(-1)
            split_run(out, lambda lo, hi: _sigmoid_grad_into(gf[lo:hi], of[lo:hi], tf[lo:hi]),
                      out.size)
        else:
            _sigmoid_grad_into(g, out, t)
        return t


def _sigmoid_into(a, t):
    """``t = 1 / (1 + exp(-a))``, as torch computes it, in place on ``t``. exp overflows to inf
    for very negative a, which gives the right limit 0; only the warning is silenced."""
    xp.negative(a, out=t)
    with xp.errstate(over='ignore'):
        xp.exp(t, out=t)
    t += 1
    # 1 / t as a divide: the same (correctly rounded) bits as xp.reciprocal, which NumPy does
    # not vectorize for float32 (LeNet's conv1 sigmoid: 0.25 -> 0.12 ms for this pass)
    xp.divide(1, t, out=t)


def _sigmoid_grad_into(g, y, t):
    """``t = g * (1 - y) * y`` in torch's order."""
    xp.subtract(1, y, out=t)
    t *= g
    t *= y


class Logit(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a, eps):
        a = _fl(a)
        self.saved = (a,)
        self.eps = eps
        if eps is not None:
            a = xp.clip(a, eps, 1 - eps)
        return xp.log(a / (1 - a))

    def backward(self, g):
        a, = self.saved
        gi = g / (a * (1 - a))
        if self.eps is None:
            return gi
        return xp.where((a < self.eps) | (a > 1 - self.eps), 0, gi)


class Erf(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return _erf(a)

    def backward(self, g):
        a, = self.saved
        return g * (_TWO_OVER_SQRT_PI * xp.exp(-a * a))


class Erfc(Node):
    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return _erfc(a)

    def backward(self, g):
        a, = self.saved
        return g * (-_TWO_OVER_SQRT_PI * xp.exp(-a * a))


class Erfinv(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        out = _erfinv64(a.astype(xp.float64)).astype(a.dtype) if a.size else a.copy()
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        return g * (_SQRT_PI_OVER_TWO * xp.exp(out * out))


class Lgamma(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        a = _fl(a)
        self.saved = (a,)
        return _lgamma(a)

    def backward(self, g):
        from ._gamma_bessel import digamma     # d lgamma / dx = psi(x)
        a, = self.saved
        if a.__class__ is GradArray:           # create_graph: numtorch's digamma, recorded
            from .special import digamma as digamma_op
            return g * GradArray(digamma_op(a.t))
        return g * digamma(a).astype(a.dtype, copy=False)


class NanToNum(Node):
    def forward(self, a, nan, posinf, neginf):
        self.saved = (a,)
        if a.dtype.kind != 'f':
            return a.copy()
        return xp.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        # torch's grad * isfinite(x): a product, so an inf/nan gradient at a masked position
        # gives nan there (first order and create_graph alike), not the 0 a select would
        return g * xp.isfinite(self.saved[0])


class Deg2Rad(Node):
    _name = 'Deg2RadBackward0'

    def forward(self, a):
        return _fl(a) * (math.pi / 180)

    def backward(self, g):
        return g * (math.pi / 180)


class Rad2Deg(Node):
    _name = 'Rad2DegBackward0'

    def forward(self, a):
        return _fl(a) * (180 / math.pi)

    def backward(self, g):
        return g * (180 / math.pi)


# --------------------------------------------------------------------------- the functions
def _unary_fn(cls, name, doc):
    def fn(input):
        return unary(cls, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


abs = _unary_fn(Abs, 'abs', """Absolute value (integers stay integers).

    >>> import numtorch
    >>> numtorch.abs(numtorch.tensor([-1, 2]))
    tensor([1, 2])
    """)
sign = _unary_fn(Sign, 'sign', """-1, 0 or 1 by the sign of each element (gradient zero).

    >>> import numtorch
    >>> numtorch.tensor([-2., 0., 3.]).sign()
    tensor([-1.,  0.,  1.])
    """)
sgn = _unary_fn(Sgn, 'sgn', 'Sign for real tensors (``x / |x|`` for complex in torch).')
floor = _unary_fn(Floor, 'floor', """Largest integer <= x (integers unchanged, gradient zero).

    >>> import numtorch
    >>> numtorch.tensor([-1.5, 1.5]).floor()
    tensor([-2.,  1.])
    """)
ceil = _unary_fn(Ceil, 'ceil', 'Smallest integer >= x (gradient zero).')
trunc = _unary_fn(Trunc, 'trunc', 'Round toward zero (gradient zero).')
fix = trunc
frac = _unary_fn(Frac, 'frac', """Fractional part ``x - trunc(x)``.

    >>> import numtorch
    >>> numtorch.tensor([-1.5, 2.25]).frac()
    tensor([-0.5000,  0.2500])
    """)
reciprocal = _unary_fn(Reciprocal, 'reciprocal', """``1 / x`` (integers give the default float).

    >>> import numtorch
    >>> numtorch.tensor([2, 4]).reciprocal()
    tensor([0.5000, 0.2500])
    """)
sqrt = _unary_fn(Sqrt, 'sqrt', """Square root.

    >>> import numtorch
    >>> numtorch.tensor([4., 9.]).sqrt()
    tensor([2., 3.])
    """)
rsqrt = _unary_fn(Rsqrt, 'rsqrt', 'Reciprocal square root ``1 / sqrt(x)``.')
exp2 = _unary_fn(Exp2, 'exp2', '``2 ** x``.')
expm1 = _unary_fn(Expm1, 'expm1', '``exp(x) - 1``, accurate near zero.')
log1p = _unary_fn(Log1p, 'log1p', '``log(1 + x)``, accurate near zero.')
log2 = _unary_fn(Log2, 'log2', 'Base-2 logarithm.')
log10 = _unary_fn(Log10, 'log10', 'Base-10 logarithm.')
sin = _unary_fn(Sin, 'sin', 'Sine (radians).')
cos = _unary_fn(Cos, 'cos', 'Cosine (radians).')
tan = _unary_fn(Tan, 'tan', 'Tangent (radians).')
asin = _unary_fn(Asin, 'asin', 'Inverse sine.')
acos = _unary_fn(Acos, 'acos', 'Inverse cosine.')
atan = _unary_fn(Atan, 'atan', 'Inverse tangent.')
sinh = _unary_fn(Sinh, 'sinh', 'Hyperbolic sine.')
cosh = _unary_fn(Cosh, 'cosh', 'Hyperbolic cosine.')
tanh = _unary_fn(Tanh, 'tanh', """Hyperbolic tangent.

    >>> import numtorch
    >>> numtorch.tensor([0.]).tanh()
    tensor([0.])
    """)
asinh = _unary_fn(Asinh, 'asinh', 'Inverse hyperbolic sine.')
acosh = _unary_fn(Acosh, 'acosh', 'Inverse hyperbolic cosine.')
atanh = _unary_fn(Atanh, 'atanh', 'Inverse hyperbolic tangent.')
sigmoid = _unary_fn(Sigmoid, 'sigmoid', """Logistic function ``1 / (1 + exp(-x))``, overflow-free.

    >>> import numtorch
    >>> numtorch.sigmoid(numtorch.tensor([0.]))
    tensor([0.5000])
    """)
erf = _unary_fn(Erf, 'erf', """Gauss error function.

    >>> import numtorch
    >>> numtorch.erf(numtorch.tensor([0., 1.]))
    tensor([0.0000, 0.8427])
    """)
erfc = _unary_fn(Erfc, 'erfc', 'Complementary error function ``1 - erf(x)``.')
erfinv = _unary_fn(Erfinv, 'erfinv', """Inverse error function (±inf at ±1, NaN outside [-1, 1]).

    >>> import numtorch
    >>> numtorch.erfinv(numtorch.tensor([0., 0.5]))
    tensor([0.0000, 0.4769])
    """)
lgamma = _unary_fn(Lgamma, 'lgamma', 'Log of the absolute value of the gamma function.')
deg2rad = _unary_fn(Deg2Rad, 'deg2rad', 'Degrees to radians.')
rad2deg = _unary_fn(Rad2Deg, 'rad2deg', 'Radians to degrees.')


def round(input, *, decimals=0):
    """Round half to even, to ``decimals`` places (integers unchanged when ``decimals=0``).

    >>> import numtorch
    >>> numtorch.tensor([0.5, 1.5, 1.2345]).round(), numtorch.tensor([1.2345]).round(decimals=2)
    (tensor([0., 2., 1.]), tensor([1.2300]))
    """
    if decimals:
        return unary(RoundDecimals, input, int(decimals))
    return unary(Round, input)


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps`` the input is first clamped to ``[eps, 1 - eps]``.

    >>> import numtorch
    >>> numtorch.tensor([0.5]).logit()
    tensor([0.])
    """
    return unary(Logit, input, eps)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and ±inf by ``posinf``/``neginf`` (default: the dtype's extremes).

    >>> import numtorch
    >>> numtorch.tensor([float('nan'), 1.]).nan_to_num()
    tensor([0., 1.])
    """
    return unary(NanToNum, input, nan, posinf, neginf)


def square(input):
    """``input ** 2`` (recorded as PowBackward0, as torch); bools square to int64.

    >>> import numtorch
    >>> numtorch.tensor([-2, 3]).square()
    tensor([4, 9])
    """
    if input._data.dtype.kind == 'b':
        input = input.long()
    return _pow(input, 2)


def positive(input):
    """``+input``: the input itself."""
    if input._data.dtype.kind == 'b':
        raise RuntimeError('The `+` operator, on a bool tensor is not supported.')
    return input


absolute = abs
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh

_UNARY = ['abs', 'sign', 'sgn', 'floor', 'ceil', 'trunc', 'fix', 'frac', 'reciprocal', 'sqrt',
          'rsqrt', 'exp2', 'expm1', 'log1p', 'log2', 'log10', 'sin', 'cos', 'tan', 'asin', 'acos',
          'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'sigmoid', 'erf', 'erfc',
          'erfinv', 'lgamma', 'deg2rad', 'rad2deg', 'round', 'logit', 'nan_to_num', 'square',
          'absolute', 'arcsin', 'arccos', 'arctan', 'arcsinh', 'arccosh', 'arctanh']

# In-place forms (``x.sqrt_()``): the out-of-place op, written back by Tensor._inplace.
_INPLACE = [n + '_' for n in _UNARY]
for _n in _UNARY:
    globals()[_n + '_'] = _inplace(globals()[_n])
del _n


class Exp(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        out = xp.exp(a if a.dtype.kind in 'fc' else a.astype(float_dtype(a.dtype)))
        self.saved = (out,)
        return out

    def backward(self, g):
        return g * self.saved[0]


class Log(Node):
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a):
        self.saved = (a,)
        return xp.log(a if a.dtype.kind in 'fc' else a.astype(float_dtype(a.dtype)))

    def backward(self, g):
        return g / self.saved[0]


def exp(input):
    """Elementwise e**x."""
    return unary(Exp, input)


def log(input):
    """Natural logarithm."""
    return unary(Log, input)


exp_ = _inplace(exp)
log_ = _inplace(log)
__all__ = _UNARY + _INPLACE + ['positive', 'exp', 'log', 'exp_', 'log_']
# Tensor-only methods: torch has no torch.<name>
METHODS = {n: globals()[n] for n in ('sign_', 'sgn_', 'erfinv_', 'lgamma_', 'absolute_')}
__all__ = [n for n in __all__ if n not in METHODS]
