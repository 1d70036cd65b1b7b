"""Elementwise ops: arithmetic with broadcasting, and unary math.

Each op is one Node: ``forward`` is the NumPy call, ``backward`` the derivative, one line per
input (the rule in torch's derivatives.yaml). Broadcast inputs get their gradient summed back to
their shape by ``unbroadcast``. Python scalars arrive as plain numbers and get no gradient.
"""
from .._backend import xp
from ..autograd.graph import Node
from ._apply import unary, binary, unbroadcast, float_dtype
from . import _apply


ndarray = xp.ndarray


class Add(Node):
    alpha = 1

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, (b.shape if b.__class__ is ndarray else None)
        if alpha != 1:
            self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, g):
        sa, sb = self.shapes
        gb = None if sb is None else unbroadcast(g if self.alpha == 1 else g * self.alpha, sb)
        return unbroadcast(g, sa), gb


class Sub(Node):
    alpha = 1

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, (b.shape if b.__class__ is ndarray else None)
        if alpha != 1:
            self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

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
    def forward(self, a, b):
        if b.__class__ is xp.ndarray:
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
    def forward(self, a, b, rounding_mode=None):
        if a.dtype.kind in 'biu' and (b.__class__ is not xp.ndarray or b.dtype.kind in 'biu'):
            if rounding_mode is None:      # true division of integers gives the default float
                a = a.astype(float_dtype(a.dtype))
        if b.__class__ is xp.ndarray:
            self.saved = (a, b)
        else:
            self.scalar = b
        if rounding_mode == 'floor':
            return xp.floor_divide(a, b)
        if rounding_mode == 'trunc':
            q = a / b
            return xp.trunc(q).astype(q.dtype if a.dtype.kind == 'f' else a.dtype)
        return a / b

    def backward(self, g):
        if self.saved:
            a, b = self.saved
            return unbroadcast(g / b, a.shape), unbroadcast(-g * a / (b * b), b.shape)
        return g / self.scalar, None


class RDiv(Node):
    """``scalar / tensor``."""
    _name = 'DivBackward0'

    def forward(self, a, b):
        if a.dtype.kind in 'biu':
            a = a.astype(float_dtype(a.dtype))
        self.saved = (a,)
        self.scalar = b
        return b / a

    def backward(self, g):
        a, = self.saved
        return -g * self.scalar / (a * a), None


class Neg(Node):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Pow(Node):
    def forward(self, a, b):
        out = a ** b
        if b.__class__ is xp.ndarray:
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
            return xp.zeros_like(g), None
        return g * p * a ** (p - 1), None


class RPow(Node):
    """``scalar ** tensor``."""
    _name = 'PowBackward1'

    def forward(self, a, b):
        if a.dtype.kind in 'biu' and b.__class__ is float:
            a = a.astype(float_dtype(a.dtype))
        out = xp.power(b, a)
        self.saved = (out,)
        self.scalar = b
        return out

    def backward(self, g):
        out, = self.saved
        if self.scalar == 0:
            return xp.zeros_like(g), None
        return g * out * xp.log(self.scalar), None


class Exp(Node):
    def forward(self, a):
        out = xp.exp(a if a.dtype.kind in 'fc' else a.astype(float_dtype(a.dtype)))
        self.saved = (out,)
        return out

    def backward(self, g):
        return g * self.saved[0]


class Log(Node):
    def forward(self, a):
        self.saved = (a,)
        return xp.log(a if a.dtype.kind in 'fc' else a.astype(float_dtype(a.dtype)))

    def backward(self, g):
        return g / self.saved[0]


class Relu(Node):
    def forward(self, a):
        out = xp.maximum(a, 0)
        self.saved = (out,)
        return out

    def backward(self, g):
        return g * (self.saved[0] > 0)


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


def exp(input):
    """Elementwise e**x."""
    return unary(Exp, input)


def log(input):
    """Natural logarithm."""
    return unary(Log, input)


def relu(input):
    """``max(input, 0)``."""
    return unary(Relu, input)


negative = neg
multiply = mul
divide = div
true_divide = div
subtract = sub

__all__ = ['add', 'sub', 'mul', 'div', 'neg', 'pow', 'exp', 'log', 'relu',
           'negative', 'multiply', 'divide', 'true_divide', 'subtract']
