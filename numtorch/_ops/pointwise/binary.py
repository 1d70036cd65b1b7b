"""Ops that pick between or blend several operands: maximum/minimum, fmax/fmin, clamp, where,
lerp, addcmul/addcdiv, atan2, hypot, logaddexp, xlogy.

Operands are promoted together with torch's rules (``result_type``; Python numbers are weak) and
broadcast; each gradient is summed back to its operand's shape by ``unbroadcast``.
"""
from ..._backend import xp
from ..._dtype import result_type, from_numpy_dtype, scalar_name
from ...autograd.graph import Node, connect
from ...autograd.grad_mode import _enabled
from .._apply import bind, unary, binary, unbroadcast, float_dtype, wrap, raise_if_unbroadcastable
from .. import _apply
from .arithmetic import _inplace
from ..._backend import ARRAYS
from ..._dtype import get_default_dtype
from ...autograd.graph import _rename
from ..._dtype import _SCALAR_NAMES as _CAP

ndarray = xp.ndarray


class Maximum(Node):
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.maximum(a, b)

    def backward(self, g):
        # Ties share the gradient equally (torch: where(a == b, grad / 2, grad) masked by a < b).
        a, b = self.saved
        half = g / 2
        return (unbroadcast(xp.where(a == b, half, xp.where(a < b, 0, g)), a.shape),
                unbroadcast(xp.where(a == b, half, xp.where(a > b, 0, g)), b.shape))


class Minimum(Node):
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.minimum(a, b)

    def backward(self, g):
        a, b = self.saved
        half = g / 2
        return (unbroadcast(xp.where(a == b, half, xp.where(a > b, 0, g)), a.shape),
                unbroadcast(xp.where(a == b, half, xp.where(a < b, 0, g)), b.shape))


class Fmax(Node):
    """``maximum`` that ignores NaN; ties send the whole gradient to ``input``."""
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.fmax(a, b)

    def backward(self, g):
        a, b = self.saved
        take_a = (a >= b) | xp.isnan(b)
        return unbroadcast(xp.where(take_a, g, 0), a.shape), unbroadcast(xp.where(take_a, 0, g), b.shape)


class Fmin(Node):
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.fmin(a, b)

    def backward(self, g):
        a, b = self.saved
        take_a = (a <= b) | xp.isnan(b)
        return unbroadcast(xp.where(take_a, g, 0), a.shape), unbroadcast(xp.where(take_a, 0, g), b.shape)


class Atan2(Node):
    def forward(self, a, b):
        if a.dtype.kind != 'f':
            a = a.astype(float_dtype(a.dtype))
            b = b.astype(a.dtype)
        self.saved = (a, b)
        return xp.arctan2(a, b)

    def backward(self, g):
        a, b = self.saved
        r = g / (a * a + b * b)
        return unbroadcast(r * b, a.shape), unbroadcast(-r * a, b.shape)


class Clamp(Node):
    """``clamp`` with Python-number bounds (torch's ClampBackward1); either bound may be None."""
    _name = 'ClampBackward1'

    def forward(self, a, lo, hi):
        self.saved = (a,)
        self.bounds = lo, hi
        if lo is not None:
            a = xp.maximum(a, lo)
        return a if hi is None else xp.minimum(a, hi)

    def backward(self, g):
        a, = self.saved
        lo, hi = self.bounds
        # Inclusive at the bounds: torch passes the subgradient 1 there.
        keep = (a >= lo) if hi is None else (a <= hi) if lo is None else (a >= lo) & (a <= hi)
        return xp.where(keep, g, 0)


class ClampT(Node):
    """``clamp`` with tensor bounds; the bounds get gradient where they are active."""
    _name = 'ClampBackward0'

    def forward(self, a, lo, hi):
        self.saved = (a, lo, hi)
        out = a if lo is None else xp.maximum(a, lo)
        out = out if hi is None else xp.minimum(out, hi)
        return out

    def backward(self, g):
        a, lo, hi = self.saved
        shape = xp.broadcast_shapes(*(x.shape for x in self.saved if x is not None))
        g = xp.broadcast_to(g, shape)
        keep = True if lo is None else a >= lo
        keep = keep if hi is None else keep & (a <= hi)
        ga = unbroadcast(xp.where(keep, g, 0), a.shape)
        glo = ghi = None
        if lo is not None:    # torch: the lower bound is active only while it is below the upper
            glo = unbroadcast(xp.where((a < lo) if hi is None else (a < lo) & (lo < hi), g, 0), lo.shape)
        if hi is not None:
            ghi = unbroadcast(xp.where((a > hi) if lo is None else (a > hi) | (hi < lo), g, 0), hi.shape)
        return ga, glo, ghi


class Lerp(Node):
    """``input + weight * (end - input)``."""
    w_tensor = False   # a tensor weight (differentiable); a number otherwise

    def forward(self, a, b, w):
        if (w.__class__ is ndarray or w.__class__ in ARRAYS):
            self._name = 'LerpBackward1'
            self.w_tensor = True   # (backward asks the flag: under create_graph w is a GradArray)
        else:
            self.frees = False   # torch saves no tensor for a number weight
        self.saved = (a, b, w)
        return a + w * (b - a)

    def backward(self, g):
        a, b, w = self.saved
        if not self.w_tensor:
            return unbroadcast(g * (1 - w), a.shape), unbroadcast(g * w, b.shape), None
        return (unbroadcast(g * (1 - w), a.shape), unbroadcast(g * w, b.shape),
                unbroadcast(g * (b - a), w.shape))


class Addcmul(Node):
    """``input + value * t1 * t2``."""
    def forward(self, a, t1, t2, value):
        self.saved = (a, t1, t2)
        self.value = value
        return a + value * t1 * t2

    def backward(self, g):
        a, t1, t2 = self.saved
        v = self.value
        return unbroadcast(g, a.shape), unbroadcast(g * v * t2, t1.shape), unbroadcast(g * v * t1, t2.shape)


class Addcdiv(Node):
    """``input + value * t1 / t2``."""
    def forward(self, a, t1, t2, value):
        if t1.dtype.kind in 'biu' and t2.dtype.kind in 'biu':
            raise RuntimeError('Integer division with addcdiv is no longer supported, and in a future '
                               'release addcdiv will perform a true division of tensor1 and tensor2. '
                               'The historic addcdiv behavior can be implemented as (input + value * '
                               'torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and '
                               'as (input + value * tensor1 / tensor2) for float inputs. The future '
                               'addcdiv behavior is just the latter implementation: (input + value * '
                               'tensor1 / tensor2), for all dtypes.')
        self.saved = (a, t1, t2)
        self.value = value
        return a + value * t1 / t2

    def backward(self, g):
        a, t1, t2 = self.saved
        v = self.value
        return (unbroadcast(g, a.shape), unbroadcast(g * v / t2, t1.shape),
                unbroadcast(-g * v * t1 / (t2 * t2), t2.shape))


class Where(Node):
    def forward(self, cond, a, b):
        self.saved = (cond,)
        self.shapes = (a.shape if (a.__class__ is ndarray or a.__class__ in ARRAYS) else None,
                       b.shape if (b.__class__ is ndarray or b.__class__ in ARRAYS) else None)
        return xp.where(cond, a, b)

    def backward(self, g):
        cond, = self.saved
        sa, sb = self.shapes
        return (None, None if sa is None else unbroadcast(xp.where(cond, g, 0), sa),
                None if sb is None else unbroadcast(xp.where(cond, 0, g), sb))


def _operands(xs):
    """Tensors stay, Python numbers stay (weak scalars), anything else becomes a tensor."""
    T = _apply.Tensor
    return [x if isinstance(x, T) or x is None or x.__class__ in (int, float, bool)
            else T._from_any(x) for x in xs]


def _multi(cls, xs, extra=(), dtype=None):
    """Run a node over several operands (tensors or Python scalars) promoted together.

    ``None`` entries (absent optional operands) pass through as None and get no edge.
    """
    T = _apply.Tensor
    xs = _operands(xs)
    present = [x for x in xs if x is not None]
    if dtype is None:
        dtype = result_type(*present).np
    arrs = [x._data.astype(dtype, copy=False) if isinstance(x, T) else x for x in xs]
    node = cls()
    try:
        bind(node, arrs[0])
        out = wrap(node.forward(*arrs, *extra))
    except ValueError:
        raise_if_unbroadcastable(*(a.shape for a in arrs if (a.__class__ is ndarray or a.__class__ in ARRAYS)))
        raise
    if _enabled[0]:
        for x in present:
            if isinstance(x, T) and x._requires_grad:
                connect(node, out, [x if isinstance(x, T) else None for x in xs])
                break
    return out


def _tensor_only(name, other):
    if not isinstance(other, _apply.Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates).

    >>> import numtorch
    >>> numtorch.maximum(numtorch.tensor([1, 5]), numtorch.tensor([3, 2]))
    tensor([3, 5])
    """
    _tensor_only('maximum', other)
    return binary(Maximum, input, other)


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN propagates)."""
    _tensor_only('minimum', other)
    return binary(Minimum, input, other)


def fmax(input, other):
    """Elementwise maximum that prefers the number when one side is NaN."""
    _tensor_only('fmax', other)
    return binary(Fmax, input, other)


def fmin(input, other):
    """Elementwise minimum that prefers the number when one side is NaN."""
    _tensor_only('fmin', other)
    return binary(Fmin, input, other)


def atan2(input, other):
    """Elementwise ``atan(input / other)`` in the right quadrant.

    >>> import numtorch
    >>> numtorch.atan2(numtorch.tensor([1.]), numtorch.tensor([-1.]))
    tensor([2.3562])
    """
    _tensor_only('atan2', other)
    return binary(Atan2, input, other)


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; bounds may be numbers or tensors (either may be None).

    >>> import numtorch
    >>> numtorch.tensor([-2., 0.5, 3.]).clamp(0, 1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    T = _apply.Tensor
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, T) or isinstance(max, T):
        return _multi(ClampT, (input, min, max))
    for v in (min, max):
        if v is not None and v.__class__ not in (int, float, bool):
            return _multi(ClampT, (input, min, max))
    d = input._data
    dt = d.dtype
    if dt.kind in 'biu' and (min.__class__ is float or max.__class__ is float):
        dt = result_type(input, *(v for v in (min, max) if v is not None)).np
        input = input._to_dtype(from_numpy_dtype(dt))
    return unary(Clamp, input, min, max)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


def lerp(input, end, weight):
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or tensor.

    >>> import numtorch
    >>> numtorch.lerp(numtorch.tensor([0., 10.]), numtorch.tensor([1., 20.]), 0.5)
    tensor([ 0.5000, 15.0000])
    """
    return _multi(Lerp, (input, end, weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` (broadcasting).

    >>> import numtorch
    >>> numtorch.addcmul(numtorch.ones(2), numtorch.tensor([1., 2.]), numtorch.tensor([3., 4.]), value=0.5)
    tensor([2.5000, 5.0000])
    """
    return _multi(Addcmul, (input, tensor1, tensor2), (value,))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (broadcasting)."""
    return _multi(Addcdiv, (input, tensor1, tensor2), (value,))


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` is True, else ``other``; either may be a number.

    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``.

    >>> import numtorch
    >>> x = numtorch.tensor([-1., 2.])
    >>> numtorch.where(x > 0, x, 0.)
    tensor([0., 2.])
    """
    T = _apply.Tensor
    if not isinstance(condition, T):
        condition = T._from_any(condition)
    if input is None and other is None:
        return tuple(wrap(i) for i in xp.nonzero(condition._data))
    if condition._data.dtype.kind != 'b':
        if condition._data.dtype != xp.uint8:
            raise RuntimeError(f'where expected condition to be a boolean tensor, but got a tensor '
                               f'with dtype {_cap(condition._data.dtype)}')
        condition = T._wrap(condition._data.astype(bool))
    xs = _operands((input, other))
    dt = result_type(*xs).np
    arrs = [x._data.astype(dt, copy=False) if isinstance(x, T) else x for x in xs]
    node = Where()
    cd = condition._data
    try:
        bind(node, cd)
        out = node.forward(cd, *arrs)
    except ValueError:
        raise_if_unbroadcastable(cd.shape, *(a.shape for a in arrs if (a.__class__ is ndarray or a.__class__ in ARRAYS)))
        raise
    if out.dtype != dt:          # two Python numbers: NumPy picks its own dtype
        out = out.astype(dt)
    out = wrap(out)
    if _enabled[0] and any(isinstance(x, T) and x._requires_grad for x in xs):
        connect(node, out, [None] + [x if isinstance(x, T) else None for x in xs])
    return out


_cap = scalar_name


clamp_ = _inplace(clamp, """In-place ``clamp``.

    >>> import numtorch
    >>> x = numtorch.tensor([-1., 2.]); x.clamp_(0, 1)
    tensor([0., 1.])
    """)
clamp_min_ = _inplace(clamp_min)
clamp_max_ = _inplace(clamp_max)
lerp_ = _inplace(lerp)
addcmul_ = _inplace(addcmul)
addcdiv_ = _inplace(addcdiv)
atan2_ = _inplace(atan2)
clip = clamp
clip_ = clamp_
arctan2 = atan2

__all__ = ['maximum', 'minimum', 'fmax', 'fmin', 'atan2', 'arctan2', 'clamp', 'clip', 'clamp_min',
           'clamp_max', 'lerp', 'addcmul', 'addcdiv', 'where', 'clamp_', 'clip_', 'clamp_min_',
           'clamp_max_', 'hypot', 'xlogy', 'logaddexp']


def _where_method(self, condition, y):
    """``x.where(condition, y)`` is ``where(condition, x, y)``."""
    return where(condition, self, y)


_where_method.__name__ = _where_method.__qualname__ = 'where'


def _floats_only(name, *ts):
    for t in ts:
        if isinstance(t, _apply.Tensor) and t._data.dtype.kind not in 'fc':
            n = t._data.dtype.name
            raise NotImplementedError(f'"{name}" not implemented for \'{_CAP.get(n, n)}\'')


# --------------------------------------------------------------------------- binary math
class Hypot(Node):
    def forward(self, a, b):
        out = xp.hypot(a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        q = g / out
        return unbroadcast(q * a, a.shape), unbroadcast(q * b, xp.shape(b))


def hypot(input, other, *, out=None):
    """``sqrt(input**2 + other**2)`` elementwise, without overflow.

    >>> import numtorch
    >>> numtorch.hypot(numtorch.tensor([3.]), numtorch.tensor([4.]))
    tensor([5.])
    """
    _floats_only('hypot_cpu', input, other)
    return binary(Hypot, input, other)


class Logaddexp(Node):
    def forward(self, a, b):
        out = xp.logaddexp(a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        return (unbroadcast(g * xp.exp(a - out), a.shape),
                unbroadcast(g * xp.exp(b - out), xp.shape(b)))


def logaddexp(input, other, *, out=None):
    """``log(exp(input) + exp(other))`` elementwise, computed stably.

    >>> import numtorch
    >>> numtorch.logaddexp(numtorch.tensor([0.]), numtorch.tensor([0.]))
    tensor([0.6931])
    """
    _floats_only('logaddexp_cpu', input, other)
    return binary(Logaddexp, input, other)


def _xlogy(x, y):
    # 0 * log(0) is 0, but NaN in y stays NaN (torch's rule).
    with xp.errstate(divide='ignore', invalid='ignore'):
        r = x * xp.log(y)
    return xp.where((x == 0) & ~xp.isnan(y), 0, r).astype(r.dtype, copy=False)


class Xlogy(Node):
    def forward(self, a, b):
        if a.dtype.kind not in 'fc':
            a = a.astype(float_dtype(a.dtype))
        self.b_array = b_array = b.__class__ is ndarray or b.__class__ in ARRAYS
        b = b.astype(a.dtype, copy=False) if b_array else b
        self.saved = (a, b)
        # a Python number as a scalar of a's dtype (a 0-d host array would not mix with a device
        # array; binary() binds self.xp only after forward)
        return _xlogy(a, b if b.__class__ is ndarray or b.__class__ in ARRAYS else a.dtype.type(b))

    def backward(self, g):
        a, b = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            # (the flag, not b's class: under create_graph b is a GradArray)
            ga = unbroadcast(_xlogy(g, b) if self.b_array else g * xp.log(b), a.shape)
            gb = unbroadcast(g * a / b, b.shape) if self.b_array else None
        return ga, gb


class XlogyScalarSelf(Node):
    _name = 'XlogyBackward1'

    def forward(self, b, x):
        if b.dtype.kind not in 'fc':
            b = b.astype(get_default_dtype().np)
        self.saved, self.x = (b,), x
        return _xlogy(b.dtype.type(x), b)

    def backward(self, g):
        b, = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            return g * self.x / b


def xlogy(input, other, *, out=None):
    """``input * log(other)``, with 0 where ``input`` is 0 (unless ``other`` is NaN).

    >>> import numtorch
    >>> numtorch.xlogy(numtorch.tensor([0., 2.]), numtorch.tensor([0., 1.]))
    tensor([0., 0.])
    """
    if not isinstance(input, _apply.Tensor):
        return unary(XlogyScalarSelf, other, input)
    out = binary(Xlogy, input, other)
    if out.grad_fn is not None and not isinstance(other, _apply.Tensor):
        out.grad_fn._name = 'XlogyBackward2'
        _rename(out.grad_fn)
    return out


METHODS = {'where': _where_method}
# Tensor-only methods: torch has no torch.<name>
METHODS.update({'lerp_': lerp_, 'addcmul_': addcmul_, 'addcdiv_': addcdiv_, 'atan2_': atan2_})
