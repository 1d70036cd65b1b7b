"""Comparisons, logical and bitwise ops, and float classification (isnan, isclose, ...).

None of these is differentiable, so they record nothing: the result is a plain tensor that does
not require grad, whatever the inputs. Operands promote as for arithmetic (``int < 2.5``
compares in the default float), and the result of a comparison is always bool.
"""
from ..._backend import xp
from ..._dtype import result_type, scalar_name
from .._apply import wrap, raise_if_unbroadcastable, inplace_method
from .. import _apply
from ..._backend import ARRAYS

ndarray = xp.ndarray
_SCALARS = (int, float, bool)


def _operands(a, b):
    """The two arrays (or array and Python number) after torch's type promotion."""
    T = _apply.Tensor
    if not isinstance(a, T):
        a = T._from_any(a)
    ad = a._data
    if isinstance(b, T):
        bd = b._data
        if ad.dtype != bd.dtype:
            dt = result_type(a, b).np
            ad = ad.astype(dt, copy=False)
            bd = bd.astype(dt, copy=False)
        return ad, bd
    if b.__class__ in _SCALARS:
        # A weak Python float makes an integer tensor compare in the default float dtype.
        if b.__class__ is float and ad.dtype.kind in 'biu':
            ad = ad.astype(result_type(a, b).np)
        return ad, b
    return _operands(a, T._from_any(b))


def _apply2(fn, a, b):
    ad, bd = _operands(a, b)
    try:
        return wrap(fn(ad, bd))
    except ValueError:
        raise_if_unbroadcastable(ad.shape, getattr(bd, 'shape', ()))
        raise


def eq(input, other):
    """Elementwise ``input == other`` as a bool tensor.

    >>> import numtorch
    >>> numtorch.tensor([1, 2]) == 2
    tensor([False,  True])
    """
    if other is None:      # `t == None` is False, as in torch
        return False
    return _apply2(xp.equal, input, other)


def ne(input, other):
    """Elementwise ``input != other``."""
    if other is None:
        return True
    return _apply2(xp.not_equal, input, other)


def lt(input, other):
    """Elementwise ``input < other``.

    >>> import numtorch
    >>> numtorch.tensor([1, 2, 3]) < 2.5
    tensor([ True,  True, False])
    """
    return _apply2(xp.less, input, other)


def le(input, other):
    """Elementwise ``input <= other``."""
    return _apply2(xp.less_equal, input, other)


def gt(input, other):
    """Elementwise ``input > other``."""
    return _apply2(xp.greater, input, other)


def ge(input, other):
    """Elementwise ``input >= other``."""
    return _apply2(xp.greater_equal, input, other)


def logical_and(input, other):
    """Elementwise logical AND of the truth values (nonzero is True); bool result.

    >>> import numtorch
    >>> numtorch.logical_and(numtorch.tensor([1, 0, 2]), numtorch.tensor([True, True, False]))
    tensor([ True, False, False])
    """
    return _apply2(xp.logical_and, input, other)


def logical_or(input, other):
    """Elementwise logical OR (nonzero is True)."""
    return _apply2(xp.logical_or, input, other)


def logical_xor(input, other):
    """Elementwise logical XOR (nonzero is True)."""
    return _apply2(xp.logical_xor, input, other)


def logical_not(input):
    """Elementwise logical NOT (zero is True).

    >>> import numtorch
    >>> numtorch.logical_not(numtorch.tensor([0., 2.]))
    tensor([ True, False])
    """
    return wrap(xp.logical_not(input._data))


def _bitwise(kernel, fn, a, b):
    ad, bd = _operands(a, b)
    for d in (ad, bd):
        k = d.dtype.kind if (d.__class__ is ndarray or d.__class__ in ARRAYS) else ('f' if d.__class__ is float else 'i')
        if k not in 'biu':
            name = scalar_name(d.dtype) if (d.__class__ is ndarray or d.__class__ in ARRAYS) else 'Float'
            raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    try:
        return wrap(fn(ad, bd))
    except ValueError:
        raise_if_unbroadcastable(ad.shape, getattr(bd, 'shape', ()))
        raise


def bitwise_and(input, other):
    """Bitwise AND of integer or bool tensors (``a & b``).

    >>> import numtorch
    >>> numtorch.tensor([12, 10]) & 6
    tensor([4, 2])
    """
    return _bitwise('bitwise_and_cpu', xp.bitwise_and, input, other)


def bitwise_or(input, other):
    """Bitwise OR of integer or bool tensors (``a | b``)."""
    return _bitwise('bitwise_or_cpu', xp.bitwise_or, input, other)


def bitwise_xor(input, other):
    """Bitwise XOR of integer or bool tensors (``a ^ b``)."""
    return _bitwise('bitwise_xor_cpu', xp.bitwise_xor, input, other)


def bitwise_not(input):
    """Bitwise NOT (``~a``); for bool tensors, logical NOT.

    >>> import numtorch
    >>> ~numtorch.tensor([True, False])
    tensor([False,  True])
    """
    d = input._data
    if d.dtype.kind not in 'biu':
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for '
                                  f'\'{ {"float64": "Double", "float16": "Half"}.get(d.dtype.name, "Float")}\'')
    return wrap(xp.invert(d))


def isnan(input):
    """True where the element is NaN.

    >>> import numtorch
    >>> numtorch.tensor([1., float('nan')]).isnan()
    tensor([False,  True])
    """
    return wrap(xp.isnan(input._data))


def isinf(input):
    """True where the element is +inf or -inf."""
    return wrap(xp.isinf(input._data))


def isposinf(input):
    """True where the element is +inf."""
    return wrap(xp.isposinf(input._data))


def isneginf(input):
    """True where the element is -inf."""
    return wrap(xp.isneginf(input._data))


def isfinite(input):
    """True where the element is neither NaN nor infinite."""
    return wrap(xp.isfinite(input._data))


def isreal(input):
    """True where the element has no imaginary part (always, for real dtypes)."""
    return wrap(xp.isreal(input._data))


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return wrap(xp.signbit(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True where ``|input - other| <= atol + rtol * |other|``.

    >>> import numtorch
    >>> numtorch.isclose(numtorch.tensor([1., 2.]), numtorch.tensor([1. + 1e-9, 2.1]))
    tensor([ True, False])
    """
    ad, bd = _operands(input, other)
    try:
        return wrap(xp.isclose(ad, bd, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise_if_unbroadcastable(ad.shape, getattr(bd, 'shape', ()))
        raise


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Python bool: every element of ``input`` is close to ``other`` (see ``isclose``).

    >>> import numtorch
    >>> numtorch.allclose(numtorch.tensor([1., 2.]), numtorch.tensor([1., 2.]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """Python bool: same shape and the same elements.

    >>> import numtorch
    >>> numtorch.equal(numtorch.tensor([1, 2]), numtorch.tensor([1, 2]))
    True
    """
    if input._data.shape != other._data.shape:
        return False
    ad, bd = _operands(input, other)
    return bool(xp.array_equal(ad, bd))


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _inplace_cmp(fn):
    return inplace_method(fn, f'In-place ``{fn.__name__}``: the result (0/1) written in '
                              f'``input``\'s dtype.')


eq_, ne_, lt_, le_, gt_, ge_ = (_inplace_cmp(f) for f in (eq, ne, lt, le, gt, ge))
logical_and_, logical_or_, logical_xor_ = (_inplace_cmp(f) for f in (logical_and, logical_or, logical_xor))
bitwise_and_, bitwise_or_, bitwise_xor_ = (_inplace_cmp(f) for f in (bitwise_and, bitwise_or, bitwise_xor))
logical_not_ = _inplace_cmp(logical_not)
bitwise_not_ = _inplace_cmp(bitwise_not)

__all__ = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'greater', 'greater_equal', 'less', 'less_equal',
           'not_equal', 'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'bitwise_and',
           'bitwise_or', 'bitwise_xor', 'bitwise_not', 'isnan', 'isinf', 'isposinf', 'isneginf',
           'isfinite', 'isreal', 'signbit', 'isclose', 'allclose', 'equal']


# Tensor-only methods: torch has no torch.<name>
METHODS = {'eq_': eq_, 'ne_': ne_, 'lt_': lt_, 'le_': le_, 'gt_': gt_, 'ge_': ge_,
           'logical_and_': logical_and_, 'logical_or_': logical_or_, 'logical_xor_': logical_xor_,
           'logical_not_': logical_not_, 'bitwise_and_': bitwise_and_, 'bitwise_or_': bitwise_or_,
           'bitwise_xor_': bitwise_xor_, 'bitwise_not_': bitwise_not_}
