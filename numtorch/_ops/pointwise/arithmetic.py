"""Arithmetic with broadcasting: add, sub, mul, div, neg, pow, remainder, fmod, floor_divide,
float_power, heaviside, copysign, gcd, lcm and their in-place forms (exp/log: ``unary.py``).

Each op is one Node: ``forward`` is the NumPy call, ``backward`` the derivative, one line per
input (the rule in torch's derivatives.yaml). Broadcast inputs get their gradient summed back to
their shape by ``unbroadcast``. Python scalars arrive as plain numbers and get no gradient.
"""
import math

from ..._backend import xp, quiet_on, quiet_off
from ...autograd.graph import Node
from .._apply import unary, binary, unbroadcast, float_dtype
from .. import _apply
from ..._backend import ARRAYS
from .._apply import wrap
from .._compose import _T, _nt, _ip


ndarray = xp.ndarray


class Add(Node):
    alpha = 1

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, (b.shape if (b.__class__ is ndarray or b.__class__ in ARRAYS) else None)
        if alpha != 1:
            self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, g):
        sa, sb = self.shapes
        gb = None if sb is None else unbroadcast(g if self.alpha == 1 else g * self.alpha, sb)
        return unbroadcast(g, sa), gb


class Sub(Node):
    alpha = 1
    # torch refuses a bool operand; binary() checks this only on its dtype-promotion paths
    # (a bool never meets a number there without promotion), so same-dtype calls pay nothing.
    bool_error = ('Subtraction, the `-` operator, with a bool tensor is not supported. If you are '
                  'trying to invert a mask, use the `~` or `logical_not()` operator instead.')

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, (b.shape if (b.__class__ is ndarray or b.__class__ in ARRAYS) else None)
        if alpha != 1:
            self.alpha = alpha
        try:
            return a - b if alpha == 1 else a - alpha * b
        except TypeError:
            if a.dtype.kind == 'b':   # NumPy refuses bool - bool with a TypeError; torch this way
                raise RuntimeError('Subtraction, the `-` operator, with two bool tensors is not '
                                   'supported. Use the `^` or `logical_xor()` operator instead.') from None
            raise

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), None if sb is None else unbroadcast(-g * self.alpha, sb)


class RSub(Node):
    """``scalar - tensor``; torch records it as RsubBackward1."""
    _name = 'RsubBackward1'

    def forward(self, a, b):
        return b - a

    def backward(self, g):
        return -g, None


class Mul(Node):
    frees = True   # torch saves a number operand as a tensor too
    def forward(self, a, b):
        if (b.__class__ is ndarray or b.__class__ in ARRAYS):
            self.saved = (a, b)
        else:
            self.scalar = b
        return a * b

    def backward(self, g):
        if self.saved:
            a, b = self.saved
            return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)
        return g * self.scalar, None


class Div(Node):
    frees = True   # torch saves a number divisor as a tensor too
    def forward(self, a, b, rounding_mode=None):
        if rounding_mode is None and (b.__class__ is not ndarray and b.__class__ not in ARRAYS) and b and a.dtype.kind in 'fc':
            self.scalar = b        # by a nonzero number: no 0/0 or 1/0, nothing to silence
            return a / b
        token = quiet_on()         # 0/0, 1/0: nan/inf silently, as torch
        try:
            return self._divide(a, b, rounding_mode)
        finally:
            quiet_off(token)

    def _divide(self, a, b, rounding_mode):
        if rounding_mode is not None:
            return _div_rounded(self, a, b, rounding_mode)
        if a.dtype.kind in 'biu':          # true division of integers gives the default float
            a = a.astype(float_dtype(a.dtype))
            if (b.__class__ is ndarray or b.__class__ in ARRAYS) and b.dtype.kind in 'biu':
                b = b.astype(a.dtype)
        if (b.__class__ is ndarray or b.__class__ in ARRAYS):
            self.saved = (a, b)
        else:
            self.scalar = b
        return a / b

    def backward(self, g):
        if self._name == 'DivBackward2':   # floor / trunc division: piecewise constant
            sa, sb = self.shapes
            return self.xp.zeros(sa, g.dtype), None if sb is None else self.xp.zeros(sb, g.dtype)
        if self.saved:
            a, b = self.saved
            return unbroadcast(g / b, a.shape), unbroadcast(-g * a / (b * b), b.shape)
        return g / self.scalar, None


def _div_rounded(node, a, b, mode):
    node._name = 'DivBackward2'
    node.shapes = a.shape, (b.shape if (b.__class__ is ndarray or b.__class__ in ARRAYS) else None)
    if mode not in ('floor', 'trunc'):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{mode}'")
    if a.dtype.kind in 'biu':
        _check_int_divisor(a, b)
        if mode == 'floor':
            return xp.floor_divide(a, b)
        q = xp.floor_divide(a, b)   # integer trunc: floor, then step toward zero where inexact
        return q + ((q < 0) & (q * b != a))
    q = a / b
    return xp.floor(q) if mode == 'floor' else xp.trunc(q)


def _check_int_divisor(a, b, kernel='div_floor_cpu'):
    if a.dtype.kind == 'b':
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if ((b.__class__ is ndarray or b.__class__ in ARRAYS) and b.dtype.kind in 'biu' and not b.all()) or ((b.__class__ is not ndarray and b.__class__ not in ARRAYS) and b == 0):
        raise RuntimeError('ZeroDivisionError')


class RDiv(Node):
    """``scalar / tensor``; torch computes it as ``tensor.reciprocal() * scalar``."""
    quiet = True   # can give inf/nan: torch does so silently
    _name = 'MulBackward0'

    def forward(self, a, b):
        if a.dtype.kind in 'biu':
            a = a.astype(float_dtype(a.dtype))
        self.saved = (a,)
        self.scalar = b
        return (1 / a) * b     # torch's order (reciprocal, then multiply): same rounding

    def backward(self, g):
        a, = self.saved
        return -g * self.scalar / (a * a), None


class Neg(Node):
    def forward(self, a):
        try:
            return -a
        except TypeError:
            if a.dtype.kind == 'b':
                raise RuntimeError('Negation, the `-` operator, on a bool tensor is not supported. '
                                   'If you are trying to invert a mask, use the `~` or '
                                   '`logical_not()` operator instead.') from None
            raise

    def backward(self, g):
        return -g


class Pow(Node):
    def forward(self, a, b):
        if a.dtype.kind == 'b':
            return _bool_pow(a, b)
        # x ** 2 cannot give inf/nan from finite x; 0 ** -1, (-1) ** 0.5 can: silence those
        token = None if b.__class__ is int and b >= 0 else quiet_on()
        try:
            out = a ** b
        except ValueError as e:   # NumPy: "Integers to negative integer powers are not allowed."
            raise RuntimeError(str(e)) from None
        finally:
            if token is not None:
                quiet_off(token)
        if (b.__class__ is ndarray or b.__class__ in ARRAYS):
            self._name = 'PowBackward1'
            self.saved = (a, b, out)
        else:
            self.scalar = b
            self.saved = (a,)
        return out

    def backward(self, g):
        if self._name == 'PowBackward1':
            a, b, out = self.saved
            ga = g * b * xp.where(b == 0, 0, a ** xp.where(b == 0, 1, b - 1))
            # d(a^b)/db = a^b log a; torch defines it as 0 where a == 0 and b >= 0.
            with xp.errstate(divide='ignore', invalid='ignore'):
                gb = g * xp.where((a == 0) & (b >= 0), 0, out * xp.log(a))
            return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)
        a, = self.saved
        p = self.scalar
        if p == 0:
            return self.xp.zeros_like(g), None
        return g * p * a ** (p - 1), None


def _bool_pow(a, b):
    # torch has no bool pow kernel: only a bool tensor ** a bool number works (and stays bool)
    if b.__class__ is not bool:
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    return a.copy() if b else xp.ones_like(a)


class RPow(Node):
    """``scalar ** tensor``."""
    quiet = True   # can give inf/nan: torch does so silently
    _name = 'PowBackward2'

    def forward(self, a, b):
        if a.dtype.kind in 'biu' and b.__class__ is float:
            a = a.astype(float_dtype(a.dtype))
        elif a.dtype.kind == 'b':
            if b.__class__ is bool:
                raise NotImplementedError('"pow" not implemented for \'Bool\'')
            a = a.astype(xp.int64)
        out = xp.power(b, a)
        self.saved = (out,)
        self.scalar = b
        return out

    def backward(self, g):
        out, = self.saved
        if self.scalar == 0:
            return self.xp.zeros_like(g), None
        return g * out * math.log(self.scalar), None


def add(input, other, *, alpha=1, out=None):
    """Elementwise ``input + alpha * other`` with broadcasting.

    >>> import numtorch
    >>> numtorch.add(numtorch.tensor([1, 2]), 10)
    tensor([11, 12])
    """
    if not isinstance(input, _apply.Tensor):
        input, other = _apply.Tensor._scalar_like(input, other), other
    return binary(Add, input, other, alpha) if alpha != 1 else binary(Add, input, other)


def sub(input, other, *, alpha=1, out=None):
    """Elementwise ``input - alpha * other``."""
    if not isinstance(input, _apply.Tensor):
        input = _apply.Tensor._scalar_like(input, other)
    return binary(Sub, input, other, alpha) if alpha != 1 else binary(Sub, input, other)


def mul(input, other, *, out=None):
    """Elementwise product with broadcasting."""
    if not isinstance(input, _apply.Tensor):
        input, other = other, input
    return binary(Mul, input, other)


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise ``input / other``; integers divide to the default float dtype.

    >>> import numtorch
    >>> numtorch.div(numtorch.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if not isinstance(input, _apply.Tensor):
        input = _apply.Tensor._scalar_like(input, other)
    if rounding_mode is None:
        return binary(Div, input, other)
    return binary(Div, input, other, rounding_mode)


def neg(input):
    """``-input``."""
    return unary(Neg, input)


def pow(input, exponent):
    """``input ** exponent``; either may be a tensor."""
    if not isinstance(input, _apply.Tensor):
        return unary(RPow, exponent, input)
    return binary(Pow, input, exponent)


# --------------------------------------------------------------------------- more arithmetic
class Remainder(Node):
    """Python-style modulus (the result takes the divisor's sign), as ``torch.remainder``."""
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a, b):
        if a.dtype.kind in 'biu':
            _check_int_divisor(a, b, 'remainder_cpu')
        if (b.__class__ is ndarray or b.__class__ in ARRAYS):
            self._name = 'RemainderBackward1'
            self.saved = (a, b)
        else:
            self.shape = a.shape
        return xp.remainder(a, b)

    def backward(self, g):
        if not self.saved:
            return g, None
        a, b = self.saved
        return unbroadcast(g, a.shape), unbroadcast(-g * xp.floor(a / b), b.shape)


class Fmod(Node):
    """C-style modulus (the result takes the dividend's sign)."""
    quiet = True   # can give inf/nan: torch does so silently

    def forward(self, a, b):
        if a.dtype.kind in 'biu':
            _check_int_divisor(a, b, 'fmod_cpu')
        if (b.__class__ is ndarray or b.__class__ in ARRAYS):
            self._name = 'FmodBackward1'
            self.saved = (a, b)
        return xp.fmod(a, b)

    def backward(self, g):
        if not self.saved:
            return g, None
        a, b = self.saved
        return unbroadcast(g, a.shape), unbroadcast(-g * xp.trunc(a / b), b.shape)


class FloorDivide(Node):
    """torch defines no derivative for floor_divide: backward through it raises, as there."""
    quiet = True   # can give inf/nan: torch does so silently
    _name = 'torch::autograd::NotImplemented'

    def forward(self, a, b):
        if a.dtype.kind in 'biu':
            _check_int_divisor(a, b)
            return xp.floor_divide(a, b)
        return xp.floor(a / b)

    def backward(self, g):
        raise RuntimeError('derivative for aten::floor_divide is not implemented')


def remainder(input, other):
    """Python-style remainder: the result has the sign of ``other``.

    >>> import numtorch
    >>> numtorch.remainder(numtorch.tensor([-3, 5]), 3)
    tensor([0, 2])
    """
    if not isinstance(input, _apply.Tensor):
        input = _apply.Tensor._scalar_like(input, other)
    return binary(Remainder, input, other)


def fmod(input, other):
    """C-style remainder: the result has the sign of ``input``.

    >>> import numtorch
    >>> numtorch.fmod(numtorch.tensor([-3, 5]), 3)
    tensor([0, 2])
    """
    return binary(Fmod, input, other)


def floor_divide(input, other):
    """``floor(input / other)``, kept in the integer dtype for integers.

    >>> import numtorch
    >>> numtorch.floor_divide(numtorch.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    if not isinstance(input, _apply.Tensor):
        input = _apply.Tensor._scalar_like(input, other)
    return binary(FloorDivide, input, other)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (torch's float_power).

    >>> import numtorch
    >>> numtorch.float_power(numtorch.tensor([2]), 2)
    tensor([4.], dtype=torch.float64)
    """
    T = _apply.Tensor
    if not isinstance(input, T):
        return pow(float(input), exponent.double())
    if isinstance(exponent, T):
        exponent = exponent.double()
    elif exponent.__class__ in (int, bool):
        exponent = float(exponent)
    return pow(input.double(), exponent)


_inplace = _apply.inplace_method


remainder_ = _inplace(remainder)
fmod_ = _inplace(fmod)
floor_divide_ = _inplace(floor_divide)
float_power_ = _inplace(float_power)

negative = neg
multiply = mul
divide = div
true_divide = div
subtract = sub


def heaviside(input, values):
    """Step function: 0 below zero, 1 above, ``values`` at zero.

    >>> import numtorch
    >>> numtorch.heaviside(numtorch.tensor([-1., 0., 2.]), numtorch.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    if input.dtype != values.dtype:
        raise RuntimeError('heaviside is not yet implemented for tensors with different dtypes')
    return wrap(xp.heaviside(input._data, values._data).astype(input._data.dtype))


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (float result; differentiable in ``input``).

    >>> import numtorch
    >>> numtorch.copysign(numtorch.tensor([1., -2.]), -1.)
    tensor([-1., -2.])
    """
    nt = _nt()
    o = other._data if isinstance(other, _T()) else other
    neg = wrap(xp.asarray(xp.signbit(o)))
    x = input if input.is_floating_point() else input.to(nt.get_default_dtype())
    a = x.abs()
    return nt.where(neg, -a, a)


def gcd(input, other):
    """Greatest common divisor of integer tensors.

    >>> import numtorch
    >>> numtorch.gcd(numtorch.tensor([4, 6]), numtorch.tensor([6, 9]))
    tensor([2, 3])
    """
    return wrap(xp.gcd(input._data, other._data))


def lcm(input, other):
    """Least common multiple of integer tensors.

    >>> import numtorch
    >>> numtorch.lcm(numtorch.tensor([4, 6]), numtorch.tensor([6, 9]))
    tensor([12, 18])
    """
    return wrap(xp.lcm(input._data, other._data))


# In-place forms, looked up by name when called (numtorch.copysign, numtorch.mul, ...)
copysign_, heaviside_, multiply_, subtract_, divide_, true_divide_ = map(_ip, (
    'copysign', 'heaviside', 'mul', 'sub', 'div', 'true_divide'))
for _f, _n in ((multiply_, 'multiply_'), (subtract_, 'subtract_'), (divide_, 'divide_')):
    _f.__name__ = _f.__qualname__ = _n

__all__ = ['add', 'sub', 'mul', 'div', 'neg', 'pow', 'negative', 'multiply',
           'divide', 'true_divide', 'subtract', 'remainder', 'fmod', 'floor_divide', 'float_power',
           'heaviside', 'copysign', 'gcd', 'lcm']


# Tensor-only methods: torch has no torch.<name>
METHODS = {'remainder_': remainder_, 'fmod_': fmod_, 'floor_divide_': floor_divide_,
           'float_power_': float_power_, 'copysign_': copysign_, 'heaviside_': heaviside_,
           'multiply_': multiply_, 'subtract_': subtract_, 'divide_': divide_,
           'true_divide_': true_divide_}
