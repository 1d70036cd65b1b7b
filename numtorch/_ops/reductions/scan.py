"""Scans: cumulative ops along a dimension (``cumsum``, ``cumprod`` and their in-place forms,
``cummax``, ``cummin``, ``logcumsumexp``), differences (``diff``) and integrals
(``trapezoid``/``trapz``).
"""
from ...autograd.graph import Node
from ...autograd._grad_array import GradArray
from .._apply import unary
from .reduce import _one
from ..pointwise.binary import _floats_only
from ..._backend import xp
from .. import _apply
from .reduce import _values_indices, SelectAlong
from ... import return_types


# --------------------------------------------------------------------------- scans
class Logcumsumexp(Node):
    def forward(self, a, axis):
        self.axis = axis
        out = xp.logaddexp.accumulate(a, axis=axis) if a.size else a.copy()
        self.saved = (a, out)
        return out

    def backward(self, g):
        # grad_i = sum_{j>=i} g_j exp(a_i - out_j), done in log space on the positive and
        # negative parts of g separately so nothing overflows (torch's formula: a part's
        # missing entries are the lowest float, not log(0), so that under create_graph the
        # derivative of the log is masked out rather than 0 * inf).
        a, out = self.saved
        ax = self.axis
        lowest = xp.finfo(a.dtype).min
        with xp.errstate(divide='ignore'):
            log_abs = xp.log(xp.abs(g))
        pos, neg = (xp.exp(a + _reverse_logcumsumexp(xp.where(part, log_abs, lowest) - out, ax))
                    for part in (g > 0, g < 0))
        return pos - neg


def _reverse_logcumsumexp(x, ax):
    """``logcumsumexp`` from the end of axis ``ax`` (a recorded op for create_graph)."""
    if x.__class__ is GradArray:
        return GradArray(x.t.flip(ax).logcumsumexp(ax).flip(ax))
    return xp.flip(xp.logaddexp.accumulate(xp.flip(x, ax), axis=ax), ax)


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))``, computed stably.

    >>> import numtorch
    >>> numtorch.tensor([0., 0.]).logcumsumexp(0)
    tensor([0.0000, 0.6931])
    """
    _floats_only('logcumsumexp_out_cpu', input)
    nd = input._data.ndim
    if nd == 0:
        _one(dim, 1)
        return unary(Logcumsumexp, input.reshape(1), 0).reshape(())
    return unary(Logcumsumexp, input, _one(dim, nd))


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


class Cumsum(Node):
    def forward(self, a, axis, dtype):
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64
        self.axis, self.src = axis, a.dtype
        if a.ndim == 0:
            return a.astype(dtype or a.dtype)
        return xp.cumsum(a, axis=axis, dtype=dtype)

    def backward(self, g):
        if g.ndim == 0:
            return g
        ax = self.axis   # the sum of the upstream gradient over every later position
        return xp.flip(xp.cumsum(xp.flip(g, ax), axis=ax), ax)


class Cumprod(Node):
    def forward(self, a, axis, dtype):
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64
        if a.ndim == 0:
            self.axis = None
            return a.astype(dtype or a.dtype)
        out = xp.cumprod(a, axis=axis, dtype=dtype)
        self.saved = (a, out)
        self.axis = axis
        return out

    def backward(self, g):
        if self.axis is None:
            return g
        a, out = self.saved
        ax = self.axis
        if a.size and (a != 0).all():
            # d out_j / d a_i = out_j / a_i for j >= i: a reversed cumsum of g * out, over a.
            return xp.flip(xp.cumsum(xp.flip(g * out, ax), axis=ax), ax) / a
        # With zeros: grad_i = P_i * S_i, P_i = prod(a_k, k < i), S_i = sum_{j>=i} g_j *
        # prod(a_k, i < k <= j), by the recurrence S_i = g_i + a_{i+1} S_{i+1} (a loop over the
        # length of this one axis; no division, so zeros are exact).
        a_m, g_m = xp.moveaxis(a, ax, 0), xp.moveaxis(g, ax, 0)
        n = a_m.shape[0]
        s = self.xp.zeros_like(g_m)
        acc = self.xp.zeros(g_m.shape[1:], g_m.dtype)
        for i in range(n - 1, -1, -1):
            acc = g_m[i] + (a_m[i + 1] * acc if i + 1 < n else 0)
            s[i] = acc
        pre = xp.concatenate([self.xp.ones_like(a_m[:1]), xp.cumprod(a_m[:-1], axis=0)], axis=0)
        return xp.moveaxis(pre * s, 0, ax)


def _scan(cls, input, dim, dtype, kwargs):
    if 'axis' in kwargs:
        dim = kwargs.pop('axis')
    if dim is None:
        raise TypeError(f'{cls.__name__.lower()}() missing 1 required positional arguments: "dim"')
    if dtype is not None:
        from ..._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(cls, input, _one(dim, input._data.ndim), dtype)


def cumsum(input, dim=None, *, dtype=None, **kwargs):
    """Running sum along ``dim`` (integers accumulate in int64).

    >>> import numtorch
    >>> numtorch.tensor([1, 2, 3]).cumsum(0)
    tensor([1, 3, 6])
    """
    return _scan(Cumsum, input, dim, dtype, kwargs)


def cumprod(input, dim=None, *, dtype=None, **kwargs):
    """Running product along ``dim``; its gradient is exact with zeros in the input.

    >>> import numtorch
    >>> numtorch.tensor([1., 2., 3.]).cumprod(0)
    tensor([1., 2., 6.])
    """
    return _scan(Cumprod, input, dim, dtype, kwargs)


class Cummax(SelectAlong):
    """Running max and where it was last reached (ties and NaNs move the index on, as torch)."""
    accumulate = True
    ufunc = xp.maximum

    def forward(self, a, axis):
        if a.ndim == 0:
            self.axis = None
            return a.copy(), self.xp.zeros((), xp.int64)
        if a.size == 0:
            self.shape, self.axis, self.keepdim = a.shape, axis, True
            self.idx = self.xp.zeros(a.shape, xp.int64)
            return a.copy(), self.idx
        run = self.ufunc.accumulate(a, axis=axis)      # NaN propagates, as in torch
        hit = a == run
        if a.dtype.kind == 'f':
            hit |= xp.isnan(a)
        pos = self.xp.arange(a.shape[axis]).reshape((-1,) + (1,) * (a.ndim - axis - 1))
        idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=axis)
        self.shape, self.axis, self.idx, self.keepdim = a.shape, axis, idx, True
        return run, idx.astype(xp.int64, copy=False)


class Cummin(Cummax):
    ufunc = xp.minimum


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where each was reached.

    >>> import numtorch
    >>> numtorch.cummax(numtorch.tensor([1, 3, 2]), 0).values
    tensor([1, 3, 3])
    """
    return _values_indices(Cummax, input, return_types.cummax, _one(dim, input._data.ndim))


def cummin(input, dim):
    """Running minimum along ``dim`` and the index where each was reached."""
    return _values_indices(Cummin, input, return_types.cummin, _one(dim, input._data.ndim))


def _with(shape, dim, size):
    s = list(shape)
    s[dim] = size
    return s


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim`` (``x[1:] - x[:-1]``; xor for bools), with
    optional ``prepend``/``append`` tensors; differentiable through slicing and subtraction.

    >>> import numtorch
    >>> numtorch.tensor([1, 4, 9]).diff()
    tensor([3, 5])
    """
    from ..shape.join import cat
    from ..shape.views import unsqueeze
    if input._data.ndim == 0:
        raise RuntimeError('diff expects input to be at least one-dimensional')
    dim = _one(dim, input._data.ndim)
    parts = [input]
    if prepend is not None:
        p = prepend if isinstance(prepend, _apply.Tensor) else _apply.Tensor._from_any(prepend)
        parts.insert(0, p if p.dim() else unsqueeze(p, 0).expand(*_with(input.shape, dim, 1)))
    if append is not None:
        p = append if isinstance(append, _apply.Tensor) else _apply.Tensor._from_any(append)
        parts.append(p if p.dim() else unsqueeze(p, 0).expand(*_with(input.shape, dim, 1)))
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[dim]
        hi, lo = x.narrow(dim, 1, max(size - 1, 0)), x.narrow(dim, 0, max(size - 1, 0))
        x = hi.logical_xor(lo) if x._data.dtype.kind == 'b' else hi - lo
    return x


FUNCTION_ONLY = {'trapezoid', 'trapz'}


cumsum_ = _apply.inplace_method(cumsum)
cumprod_ = _apply.inplace_method(cumprod)

__all__ = ['logcumsumexp', 'trapezoid', 'trapz', 'cumsum', 'cumprod', 'cummax', 'cummin', 'diff']
METHODS = {'cumsum_': cumsum_, 'cumprod_': cumprod_}
