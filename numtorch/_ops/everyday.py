"""Everyday torch names real scripts use that had no home yet: ``torch.is_floating_point``,
``diag_embed``, ``dist``, ``hsplit``, ``matrix_power``, ``addr``, ``block_diag``, ``trapezoid``,
in-place ``addmm_``/``tril_``... All are compositions of existing differentiable ops, so they
get gradients (and every future device) for free.
"""
import itertools
import math

from .._autocast import _ac, cast
from .._backend import xp
from ._apply import wrap
from . import _apply


def _T():
    from .._tensor import Tensor
    return Tensor


def _nt():
    import numtorch
    return numtorch


def is_floating_point(input):
    """True for a floating-point tensor.

    >>> import numtorch
    >>> numtorch.is_floating_point(numtorch.ones(1)), numtorch.is_floating_point(numtorch.ones(1, dtype=numtorch.long))
    (True, False)
    """
    return input.is_floating_point()


def is_complex(input):
    """True for a complex tensor.

    >>> import numtorch
    >>> numtorch.is_complex(numtorch.ones(1))
    False
    """
    return input.is_complex()


def detach(input):
    """``input.detach()``.

    >>> import numtorch
    >>> numtorch.detach(numtorch.ones(1, requires_grad=True)).requires_grad
    False
    """
    return input.detach()


def is_nonzero(input):
    """``bool(input)`` of a one-element tensor (torch's errors otherwise).

    >>> import numtorch
    >>> numtorch.is_nonzero(numtorch.tensor([0.5]))
    True
    """
    n = input.numel()
    if n == 0:
        raise RuntimeError('Boolean value of Tensor with no values is ambiguous')
    if n > 1:
        raise RuntimeError('Boolean value of Tensor with more than one value is ambiguous')
    return bool(input._data.reshape(()))


def is_same_size(input, other):
    """True when both tensors have the same shape.

    >>> import numtorch
    >>> numtorch.ones(2).is_same_size(numtorch.zeros(2))
    True
    """
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """True unless the dtype is unsigned (``uint8``...) or ``bool``.

    >>> import numtorch
    >>> numtorch.ones(1).is_signed(), numtorch.ones(1, dtype=numtorch.uint8).is_signed()
    (True, False)
    """
    return input._data.dtype.kind in 'ifc'


def get_device(input):
    """The device index: -1 for a CPU tensor, as torch.

    >>> import numtorch
    >>> numtorch.ones(1).get_device()
    -1
    """
    idx = input.device.index
    return -1 if input.device.type == 'cpu' or idx is None else idx


def is_inference(input):
    """False: numtorch makes no inference tensors (``inference_mode`` acts as ``no_grad``).

    >>> import numtorch
    >>> numtorch.ones(1).is_inference()
    False
    """
    return False


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensor whose ``(dim1, dim2)`` diagonals (at ``offset``) are the last dim of ``input``.

    >>> import numtorch
    >>> numtorch.diag_embed(numtorch.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    nt = _nt()
    n = input.shape[-1]
    m = n + abs(offset)
    sel = xp.zeros((n, m, m), input._data.dtype)   # sel[i] puts element i on the diagonal
    i = xp.arange(n)
    sel[i, i + max(-offset, 0), i + max(offset, 0)] = 1
    out = nt.tensordot(input, wrap(sel), dims=1)    # (..., m, m)
    nd = out.dim()
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise RuntimeError(f'diagonal dimensions cannot be identical {dim1}, {dim2}')
    return nt.movedim(out, (nd - 2, nd - 1), (d1, d2))


def diagflat(input, offset=0):
    """A 2-D tensor with the flattened ``input`` on diagonal ``offset``.

    >>> import numtorch
    >>> numtorch.diagflat(numtorch.tensor([[1., 2.]]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    return _nt().diag(input.reshape(-1), offset)


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast).

    >>> import numtorch
    >>> numtorch.dist(numtorch.tensor([3., 0.]), numtorch.tensor([0., 4.]))
    tensor(5.)
    """
    return _nt().linalg.vector_norm(input - other, p)


def _split_dim(name, input, indices_or_sections, dim, need):
    if input.dim() < need:
        raise RuntimeError(f'torch.{name} requires a tensor with at least {need} dimension, but '
                           f'got a tensor with {input.dim()} dimensions!')
    if isinstance(indices_or_sections, int):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f'torch.{name} attempted to split along dimension {dim}, but the '
                               f'size of the dimension {size} is not divisible by the split_size '
                               f'{indices_or_sections}!')
    return tuple(_nt().tensor_split(input, indices_or_sections, dim))


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D), as ``numpy.hsplit``.

    >>> import numtorch
    >>> [t.tolist() for t in numtorch.hsplit(numtorch.arange(4), 2)]
    [[0, 1], [2, 3]]
    """
    return _split_dim('hsplit', input, indices_or_sections, 0 if input.dim() == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 of an at-least-2-D tensor.

    >>> import numtorch
    >>> len(numtorch.vsplit(numtorch.zeros(4, 2), 2))
    2
    """
    return _split_dim('vsplit', input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 of an at-least-3-D tensor.

    >>> import numtorch
    >>> len(numtorch.dsplit(numtorch.zeros(1, 1, 4), [1]))
    2
    """
    return _split_dim('dsplit', input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    """``split`` with a list of sizes (must add up to the dim's size).

    >>> import numtorch
    >>> [t.shape[0] for t in numtorch.split_with_sizes(numtorch.zeros(5), [2, 3])]
    [2, 3]
    """
    total = sum(split_sizes)
    if total != input.shape[dim]:
        raise RuntimeError(f'split_with_sizes expects split_sizes to sum exactly to '
                           f'{input.shape[dim]} (input tensor\'s size at dimension {dim}), but '
                           f'got split_sizes={list(split_sizes)}')
    return tuple(_nt().split(input, list(split_sizes), dim))


def matrix_power(input, n):
    """The ``n``-th power of a square matrix (batches too); negative ``n`` inverts first.

    >>> import numtorch
    >>> numtorch.matrix_power(numtorch.tensor([[1., 1.], [0., 1.]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
    """
    nt = _nt()
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError('linalg.matrix_power: A must be batches of square matrices, but they '
                           f'are {input.shape[-2] if input.dim() > 1 else 1} by '
                           f'{input.shape[-1]} matrices')
    if n == 0:
        return nt.eye(input.shape[-1], dtype=input.dtype).expand(input.shape).clone()
    a = nt.linalg.inv(input) if n < 0 else input
    n = abs(n)
    out = None
    while n:                      # square-and-multiply, as torch
        if n & 1:
            out = a if out is None else out @ a
        n >>= 1
        if n:
            a = a @ a
    return out


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``.

    >>> import numtorch
    >>> numtorch.addr(numtorch.zeros(2, 2), numtorch.tensor([1., 2.]), numtorch.tensor([1., 1.]))
    tensor([[1., 1.],
            [2., 2.]])
    """
    prod = _nt().outer(vec1, vec2)
    return _blend(input, prod, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    >>> import numtorch
    >>> numtorch.addbmm(numtorch.zeros(1, 1), numtorch.ones(3, 1, 2), numtorch.ones(3, 2, 1))
    tensor([[6.]])
    """
    if _ac[0]:   # CPU autocast: bmm casts the batches; the added input too (as torch)
        input, batch1, batch2 = cast(input, batch1, batch2)
    return _blend(input, _nt().bmm(batch1, batch2).sum(0), beta, alpha)


def _blend(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:   # torch ignores input (even NaN) when beta is 0; input's grad is then zero
        return _nt().where(_nt().zeros((), dtype=_nt().bool), input, prod)
    return (input * beta if beta != 1 else input) + prod


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


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (which it must broadcast from).

    >>> import numtorch
    >>> numtorch.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shape[lead:])):
        raise RuntimeError(f'size {{{", ".join(map(str, size))}}} is not expandable to size '
                           f'{{{", ".join(map(str, shape))}}}.')
    out = input.sum(tuple(range(lead))) if lead else input
    dims = tuple(i for i, (s, d) in enumerate(zip(size, shape[lead:])) if s == 1 and d != 1)
    return out.sum(dims, keepdim=True) if dims else out


def block_diag(*tensors):
    """Block-diagonal matrix of the given (0-, 1- or 2-D) tensors.

    >>> import numtorch
    >>> numtorch.block_diag(numtorch.ones(1, 1), 2 * numtorch.ones(1, 2))
    tensor([[1., 0., 0.],
            [0., 2., 2.]])
    """
    nt = _nt()
    mats = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f'torch.block_diag: Input tensors must have 2 or fewer dimensions. '
                               f'Input {i} has {t.dim()} dimensions')
        mats.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not mats:
        return nt.empty(1, 0)
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = nt.promote_types(dt, m.dtype)
    cols = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        c = m.shape[1]
        rows.append(nt.nn.functional.pad(m.to(dt), (left, cols - left - c)))
        left += c
    return nt.cat(rows, 0)


def cartesian_prod(*tensors):
    """All tuples of the given 1-D tensors, as rows (itertools.product order).

    >>> import numtorch
    >>> numtorch.cartesian_prod(numtorch.tensor([1, 2]), numtorch.tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    nt = _nt()
    if len(tensors) == 1:
        return tensors[0]
    grids = nt.meshgrid(*tensors, indexing='ij')
    return nt.stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Length-``r`` combinations of a 1-D tensor's elements, as rows (itertools order).

    >>> import numtorch
    >>> numtorch.combinations(numtorch.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    nt = _nt()
    if input.dim() != 1:
        raise RuntimeError(f'Expect a 1D vector, but got shape {list(input.shape)}')
    if r < 0:
        raise RuntimeError(f'Expect a non-negative number, but got {r}')
    if r == 0:
        return nt.empty(0, dtype=input.dtype)
    f = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = list(f(range(input.shape[0]), r))
    if not idx:
        return nt.empty(0, r, dtype=input.dtype)
    return input[nt.tensor(idx, dtype=nt.long)]


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoid-rule integral of ``y`` along ``dim`` (sample points ``x`` or spacing ``dx``).

    >>> import numtorch
    >>> numtorch.trapezoid(numtorch.tensor([1., 2., 3.]))
    tensor(4.)
    """
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim) * 0
    lo, hi = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is None:
        return (lo + hi).sum(dim) * ((1 if dx is None else dx) / 2)
    if x.dim() == 1:
        shape = [1] * y.dim()
        shape[dim] = n - 1
        d = (x[1:] - x[:-1]).reshape(shape)
    else:
        d = x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)
    return ((lo + hi) * d).sum(dim) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """Old name of ``trapezoid``.

    >>> import numtorch
    >>> numtorch.trapz(numtorch.tensor([0., 2.]), dx=2.)
    tensor(2.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def unravel_index(indices, shape):
    """Flat indices to a tuple of coordinate tensors for ``shape``.

    >>> import numtorch
    >>> [t.tolist() for t in numtorch.unravel_index(numtorch.tensor([5]), (2, 3))]
    [[1], [2]]
    """
    if indices.is_floating_point() or indices.dtype == _nt().bool:
        raise TypeError('expected \'indices\' to be integer dtype, but got '
                        f'{indices.dtype}')
    if isinstance(shape, int):
        shape = (shape,)
    total = math.prod(shape)
    d = indices._data
    if ((d < -total) | (d >= total)).any():
        raise ValueError('index out of bounds for the given shape')
    d = xp.where(d < 0, d + total, d)
    return tuple(wrap(c.astype(xp.int64)) for c in xp.unravel_index(d, tuple(shape)))


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


def to_dense(input, dtype=None, *, masked_grad=True):
    """``input`` itself (numtorch tensors are dense), or a copy in ``dtype``.

    >>> import numtorch
    >>> x = numtorch.ones(2); x.to_dense() is x
    True
    """
    return input if dtype is None else input.to(dtype)


def dim_order(input, *, ambiguity_check=False):
    """Dims from outermost to innermost in memory (by stride, as torch).

    >>> import numtorch
    >>> numtorch.ones(2, 3).t().dim_order()
    (1, 0)
    """
    st = input.stride()
    return tuple(sorted(range(input.dim()), key=lambda d: -st[d]))


def _ip(name):
    """In-place ``<name>_`` of torch-level op ``name`` (looked up when called: no import cycle)."""
    def fn(self, *args, **kwargs):
        return getattr(_nt(), name)(self, *args, **kwargs)
    fn.__name__ = name
    return _apply.inplace_method(fn)


addmm_, addmv_, baddbmm_, addbmm_, addr_, tril_, triu_, copysign_, heaviside_, multiply_, \
    subtract_, divide_, true_divide_ = map(_ip, (
        'addmm', 'addmv', 'baddbmm', 'addbmm', 'addr', 'tril', 'triu', 'copysign', 'heaviside',
        'mul', 'sub', 'div', 'true_divide'))
for _f, _n in ((multiply_, 'multiply_'), (subtract_, 'subtract_'), (divide_, 'divide_')):
    _f.__name__ = _f.__qualname__ = _n

# torch-level only (the first three are Tensor methods already; the rest have no method)
FUNCTION_ONLY = {'is_floating_point', 'is_complex', 'detach', 'block_diag', 'cartesian_prod',
                 'combinations', 'trapezoid', 'trapz', 'unravel_index', 'is_nonzero'}
# (is_nonzero is both: listed above, so its method (a different signature) comes from METHODS)
# Tensor methods only (torch has no torch.<name> for them)
def _layout(self):
    from .._misc_names import strided
    return strided


METHODS = {'layout': property(_layout, doc='``numtorch.strided``: the one (dense) layout.'),
           'to_dense': to_dense, 'dim_order': dim_order,
           'is_nonzero': is_nonzero, 'is_same_size': is_same_size, 'is_signed': is_signed, 'get_device': get_device,
           'is_inference': is_inference, 'sum_to_size': sum_to_size, 'addmm_': addmm_,
           'addmv_': addmv_, 'baddbmm_': baddbmm_, 'addbmm_': addbmm_, 'addr_': addr_,
           'tril_': tril_, 'triu_': triu_, 'copysign_': copysign_, 'heaviside_': heaviside_,
           'multiply_': multiply_, 'subtract_': subtract_, 'divide_': divide_,
           'true_divide_': true_divide_}

__all__ = ['is_floating_point', 'is_complex', 'detach', 'is_nonzero', 'diag_embed', 'diagflat',
           'dist', 'hsplit', 'vsplit', 'dsplit', 'split_with_sizes', 'matrix_power', 'addr',
           'addbmm', 'heaviside', 'copysign', 'block_diag', 'cartesian_prod', 'combinations',
           'trapezoid', 'trapz', 'unravel_index', 'gcd', 'lcm', 'mvlgamma']
