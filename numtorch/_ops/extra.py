"""Less common torch ops: tensor_split, take_along_dim, tril/triu_indices, rot90, hypot, xlogy,
logaddexp, logcumsumexp, cov, corrcoef, fill_diagonal_ and the in-place shape methods (squeeze_,
unsqueeze_, t_, transpose_). The order statistics (nanmedian, quantile, mode) are in
``order_stats.py``.

Ops torch implements as one kernel get one Node here with torch's grad_fn name; those torch
composes from other ops (tensor_split, take_along_dim, cov, corrcoef) are composed here too, so
their gradients come from the ops they are made of.
"""
import warnings

from .._dtype import get_default_dtype, to_dtype
from ..autograd.graph import Node, _rename
from ..autograd.grad_mode import _enabled
from ._apply import wrap, unary, binary, unbroadcast, float_dtype
from .reductions.reduce import _one
from .shape.views import squeeze, unsqueeze, transpose
from . import _apply

__all__ = ['tensor_split', 'take_along_dim', 'tril_indices', 'triu_indices', 'rot90', 'hypot',
           'xlogy', 'logaddexp', 'logcumsumexp', 'cov', 'corrcoef']
FUNCTION_ONLY = {'tril_indices', 'triu_indices'}

from .._dtype import _SCALAR_NAMES as _CAP  # noqa: E402
from .._backend import ARRAYS, ndarray, xp


def _floats_only(name, *ts):
    for t in ts:
        if isinstance(t, _apply.Tensor) and t._data.dtype.kind not in 'fc':
            n = t._data.dtype.name
            raise NotImplementedError(f'"{name}" not implemented for \'{_CAP.get(n, n)}\'')


# --------------------------------------------------------------------------- splitting / picking
def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``n`` nearly equal pieces (the first ``size % n`` one longer), or at the given
    indices, along ``dim``. The pieces are views (as ``numpy.array_split``).

    >>> import numtorch
    >>> [p.tolist() for p in numtorch.arange(5).tensor_split(2)]
    [[0, 1, 2], [3, 4]]
    """
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError('tensor_split expected at least a 1-dimensional tensor, but got a '
                           'tensor with 0 dims')
    d = _one(dim, nd)
    size = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, _apply.Tensor):
        if ios._data.dtype.kind not in 'iu':
            raise RuntimeError('tensor_split expected tensor_indices_or_sections to have integer '
                               f'dtype, but got {ios._data.dtype}')
        if ios._data.ndim > 1:
            raise RuntimeError('tensor_split expected tensor_indices_or_sections to be a zero-'
                               'dimensional or one-dimensional tensor, but got a tensor with '
                               f'{ios._data.ndim} dims')
        ios = int(ios._data) if ios._data.ndim == 0 else ios._data.tolist()
    if isinstance(ios, (list, tuple)):
        cuts = [0] + [int(i) for i in ios] + [size]
    else:
        n = int(ios)
        if n <= 0:
            raise RuntimeError(f'number of sections must be larger than 0, got {n}')
        q, r = divmod(size, n)
        cuts = [0]
        for i in range(n):
            cuts.append(cuts[-1] + q + (i < r))
    pre = (slice(None),) * d
    # Clamp like Python slicing: indices past the end (or out of order) give empty pieces.
    return tuple(input[pre + (slice(min(max(a, 0), size), min(max(b, a, 0), size)),)]
                 for a, b in zip(cuts[:-1], cuts[1:]))


def take_along_dim(input, indices, dim=None, *, out=None):
    """Pick values of ``input`` at ``indices`` along ``dim`` (both broadcast over the other dims),
    or from the flattened input when ``dim`` is None. The partner of ``argsort``/``argmax``.

    >>> import numtorch
    >>> x = numtorch.tensor([[3., 1.], [2., 4.]])
    >>> numtorch.take_along_dim(x, x.argmax(1, keepdim=True), 1)
    tensor([[3.],
            [4.]])
    """
    if indices._data.dtype.kind not in 'iu':
        raise RuntimeError(f'torch.take_along_dim(): dtype of indices should be Long but got '
                           f'{_CAP.get(indices._data.dtype.name, indices._data.dtype.name)}')
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError('torch.take_along_dim(): input and indices should have the same number '
                           f'of dimensions, but got {nd} dimensions for input, and '
                           f'{indices._data.ndim} dimensions for indices')
    d = _one(dim, nd)
    si, sx = list(indices._data.shape), list(input._data.shape)
    si[d] = sx[d] = 1
    try:
        b = list(xp.broadcast_shapes(tuple(si), tuple(sx)))
    except ValueError:
        _apply.raise_if_unbroadcastable(tuple(sx), tuple(si))
        raise
    bi, bx = list(b), list(b)
    bi[d], bx[d] = indices._data.shape[d], input._data.shape[d]
    return input.expand(*bx).gather(d, indices.expand(*bi))


def _tri_indices(fn, row, col, offset, dtype):
    r, c = fn(row, offset, col)
    np_dt = to_dtype(dtype).np if dtype is not None else xp.int64
    return wrap(xp.stack([r, c]).astype(np_dt).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a 2 x N tensor) of the lower triangle of a ``row`` x ``col`` matrix.

    >>> import numtorch
    >>> numtorch.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _tri_indices(xp.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a 2 x N tensor) of the upper triangle of a ``row`` x ``col`` matrix.

    >>> import numtorch
    >>> numtorch.triu_indices(2, 2)
    tensor([[0, 0, 1],
            [0, 1, 1]])
    """
    return _tri_indices(xp.triu_indices, row, col, offset, dtype)


class Rot90(Node):
    def forward(self, a, k, axes):
        self.k, self.axes = k, axes
        return self.xp.ascontiguousarray(xp.rot90(a, k, axes))

    def backward(self, g):
        return xp.rot90(g, -self.k, self.axes)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by ``k`` quarter turns in the plane of ``dims`` (from the first toward the second).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).rot90()
    tensor([[2, 4],
            [1, 3]])
    """
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f'expected total rotation dims == 2, but got dims = {len(dims)}')
    if nd < 2:
        raise RuntimeError(f'expected total dims >= 2, but got total dims = {nd}')
    d0, d1 = _one(dims[0], nd), _one(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f'expected rotation dims to be different, but got dim0 = {d0} and '
                           f'dim1 = {d1}')
    return unary(Rot90, input, k % 4, (d0, d1))


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
        b = b.astype(a.dtype, copy=False) if (b.__class__ is ndarray or b.__class__ in ARRAYS) else b
        self.saved = (a, b)
        # a Python number as a scalar of a's dtype (a 0-d host array would not mix with a device
        # array; binary() binds self.xp only after forward)
        return _xlogy(a, b if b.__class__ is ndarray or b.__class__ in ARRAYS else a.dtype.type(b))

    def backward(self, g):
        a, b = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            ga = unbroadcast(_xlogy(g, b) if (b.__class__ is ndarray or b.__class__ in ARRAYS) else g * xp.log(b), a.shape)
            gb = None if (b.__class__ is not ndarray and b.__class__ not in ARRAYS) else unbroadcast(g * a / b, b.shape)
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


# --------------------------------------------------------------------------- scans
class Logcumsumexp(Node):
    def forward(self, a, axis):
        self.axis = axis
        out = xp.logaddexp.accumulate(a, axis=axis) if a.size else a.copy()
        self.saved = (a, out)
        return out

    def backward(self, g):
        # grad_i = sum_{j>=i} g_j exp(a_i - out_j), done in log space on the positive and
        # negative parts of g separately so nothing overflows (torch's formula).
        a, out = self.saved
        ax = self.axis
        res = self.xp.zeros_like(a)
        with xp.errstate(divide='ignore'):
            for part, sign in ((xp.maximum(g, 0), 1), (xp.maximum(-g, 0), -1)):
                lw = xp.log(part) - out
                rev = xp.flip(xp.logaddexp.accumulate(xp.flip(lw, ax), axis=ax), ax)
                res += sign * xp.exp(a + rev)
        return res


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


# --------------------------------------------------------------------------- covariance
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns),
    optionally with integer frequency and float observation weights; composed as torch does.

    >>> import numtorch
    >>> numtorch.tensor([[0., 1., 2.], [2., 1., 0.]]).cov()
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f'cov(): expected input to have two or fewer dimensions but got an input '
                         f'with {nd} dimensions')
    x = input.reshape(1, -1) if nd < 2 else input
    if x._data.dtype.kind in 'biu':
        x = x.to(get_default_dtype())
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        if fweights._data.ndim > 1:
            raise RuntimeError(f'cov(): expected fweights to have one or fewer dimensions but got '
                             f'fweights with {fweights._data.ndim} dimensions')
        if fweights._data.dtype.kind not in 'iu':
            raise RuntimeError(f'cov(): expected fweights to have integral dtype but got fweights '
                             f'with {_CAP.get(fweights._data.dtype.name)} dtype')
        if fweights._data.size != n_obs:
            raise RuntimeError(f'cov(): expected fweights to have the same numel as there are '
                             f'observations in the input but got {fweights._data.size} != {n_obs}')
        if xp.any(fweights._data < 0):
            raise RuntimeError('cov(): fweights cannot be negative')
        w = fweights
    if aweights is not None:
        if aweights._data.ndim > 1:
            raise RuntimeError(f'cov(): expected aweights to have one or fewer dimensions but got '
                             f'aweights with {aweights._data.ndim} dimensions')
        if aweights._data.dtype.kind != 'f':
            raise RuntimeError('cov(): expected aweights to have floating point dtype but got '
                             f'aweights with {_CAP.get(aweights._data.dtype.name)} '
                             'dtype')
        if aweights._data.size != n_obs:
            raise RuntimeError(f'cov(): expected aweights to have the same numel as there are '
                             f'observations in the input but got {aweights._data.size} != {n_obs}')
        if xp.any(aweights._data < 0):
            raise RuntimeError('cov(): aweights cannot be negative')
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.mean(1)
        norm = w_sum - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
    norm_v = float(norm._data) if isinstance(norm, _apply.Tensor) else norm
    if norm_v <= 0:
        warnings.warn('cov(): degrees of freedom is <= 0. Correction should be strictly less '
                      'than the number of observations.')
        norm = 0 * norm if isinstance(norm, _apply.Tensor) else 0
    xm = x - avg.unsqueeze(1)
    c = xm.mm((xm if w is None else xm * w).t())
    return (c / norm).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1].

    >>> import numtorch
    >>> numtorch.tensor([[0., 1., 2.], [2., 1., 0.]]).corrcoef()
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f'corrcoef(): expected input to have two or fewer dimensions but got an '
                         f'input with {input._data.ndim} dimensions')
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    sd = c.diagonal().sqrt()
    c = c / sd.unsqueeze(1)
    c = c / sd.unsqueeze(0)
    return c.clamp(-1, 1)


# --------------------------------------------------------------------------- in-place
class FillDiagonal(Node):
    def forward(self, a, value, wrap):
        self.wrap = wrap
        out = a.copy()
        xp.fill_diagonal(out, value, wrap=wrap)
        return out

    def backward(self, g):
        g = g.copy()
        xp.fill_diagonal(g, 0, wrap=self.wrap)
        return g


def fill_diagonal_(input, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal in place (every dim must be equal beyond 2-d;
    ``wrap`` restarts the diagonal below a tall matrix every ``cols + 1`` rows).

    >>> import numtorch
    >>> numtorch.zeros(2, 3).fill_diagonal_(5.)
    tensor([[5., 0., 0.],
            [0., 5., 0.]])
    """
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f'dimensions must larger than 1')
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError('all dimensions of input must be of equal length')
    if isinstance(fill_value, _apply.Tensor):
        fill_value = fill_value.item()
    return input._inplace(lambda t: unary(FillDiagonal, t, fill_value, wrap))


def _shape_inplace(self, fn, *args, name=None):
    """Give ``self`` the shape of ``fn(self, *args)`` (a view op), keeping its identity: its
    array is rebound to the view, and under autograd it takes the view op's history."""
    if _enabled[0] and self._rg:
        if self.grad_fn is None:
            raise RuntimeError('a leaf Variable that requires grad is being used in an in-place '
                               'operation.')
        base = self._base
        # Only the leaf checks of Tensor._check_inplace: no values are written, so the view's
        # base needs no new history and a view may change shape in place.
        if base is not None and base._rg and base.grad_fn is None:
            raise RuntimeError('a view of a leaf Variable that requires grad is being used in an '
                               'in-place operation.')
        src = wrap(self._data)
        src._rg, src.grad_fn = True, self.grad_fn
        if self._output_nr:
            src._output_nr = self._output_nr
        out = fn(src, *args)
        node = out.grad_fn
        if node is not None:
            # torch numbers the in-place overloads after the out-of-place ones:
            # UnsqueezeBackward0 -> 1, TBackward0 -> 1, SqueezeBackward0-2 -> 3-5, ...
            base, num = node._name[:-1], int(node._name[-1])
            node._name = name or base + str(num + 1)
            _rename(node)
        self.grad_fn = node
        self.__dict__.pop('_output_nr', None)
    else:
        out = fn(self, *args)
    self._data = out._data
    self._vc[0] += 1
    return self


def squeeze_(input, dim=None):
    """``squeeze`` in place: drop size-1 dims (all, or those in ``dim``).

    >>> import numtorch
    >>> numtorch.zeros(1, 2, 1).squeeze_().shape
    torch.Size([2])
    """
    kind = 3 if dim is None else 5 if isinstance(dim, (tuple, list)) else 4
    return _shape_inplace(input, squeeze, dim, name=f'SqueezeBackward{kind}')


def unsqueeze_(input, dim):
    """``unsqueeze`` in place: insert a size-1 dim at ``dim``.

    >>> import numtorch
    >>> numtorch.zeros(2).unsqueeze_(0).shape
    torch.Size([1, 2])
    """
    return _shape_inplace(input, unsqueeze, dim)


def t_(input):
    """``t`` in place: transpose a matrix (a 0-d or 1-d tensor is unchanged).

    >>> import numtorch
    >>> numtorch.zeros(2, 3).t_().shape
    torch.Size([3, 2])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f't_() expects a tensor with <= 2 dimensions, but self is '
                           f'{input._data.ndim}D')
    return _shape_inplace(input, lambda x: x.t())


def transpose_(input, dim0, dim1):
    """``transpose`` in place: swap dims ``dim0`` and ``dim1``.

    >>> import numtorch
    >>> numtorch.zeros(2, 3, 4).transpose_(0, 2).shape
    torch.Size([4, 3, 2])
    """
    return _shape_inplace(input, transpose, dim0, dim1)


# Tensor-only methods: torch has no torch.<name>
METHODS = {'fill_diagonal_': fill_diagonal_, 'squeeze_': squeeze_, 'unsqueeze_': unsqueeze_,
           't_': t_, 'transpose_': transpose_}
