"""Order statistics: nanmedian, quantile/nanquantile, mode.

Each is one Node with torch's grad_fn name; the ``(values, indices)`` forms along a dim reuse
``reduce.SelectAlong`` (pick by index, scatter the gradient back to the picked places).
"""
from ..._backend import xp, namespace
from ...autograd.graph import Node
from .._apply import unary
from .reduce import _one, _ties, _values_indices, SelectAlong
from ... import return_types
from .. import _apply

__all__ = ['nanmedian', 'quantile', 'nanquantile', 'mode']


def _along(cls, fn, kind, input, dim, keepdim):
    """``(values, indices)`` from node ``cls`` along ``dim``; a 0-dim input runs ``fn`` on it as a
    one-element 1-d tensor (torch accepts dim 0 or -1 there)."""
    nd = input._data.ndim
    if nd == 0:
        _one(dim, 1)
        v, i = fn(input.reshape(1), 0, keepdim)
        return kind(v.reshape(()), i.reshape(()))
    return _values_indices(cls, input, kind, _one(dim, nd), keepdim)


class NanmedianAll(Node):
    _name = 'NanmedianBackward0'

    def forward(self, a):
        flat = a.reshape(-1)
        ok = flat[~xp.isnan(flat)] if a.dtype.kind == 'f' else flat
        if ok.size == 0:
            out = self.xp.array(xp.nan if a.dtype.kind == 'f' else 0, a.dtype)
        else:
            k = (ok.size - 1) // 2
            out = self.xp.asarray(xp.partition(ok, k)[k])
        self.saved, self.out = (a,), out
        return out

    def backward(self, g):
        a, = self.saved
        mask = _ties(a, self.out)
        return mask * (g / mask.sum())


class NanmedianDim(SelectAlong):
    _name = 'NanmedianBackward1'

    def forward(self, a, axis, keepdim):
        if a.shape[axis] == 0:
            raise IndexError(f'nanmedian(): Expected reduction dim {axis} to have non-zero size.')
        order = xp.argsort(a, axis=axis, kind='stable')        # NaN sorts last
        cnt = (~xp.isnan(a)).sum(axis=axis, keepdims=True) if a.dtype.kind == 'f' else \
            self.xp.full(a.shape[:axis] + (1,) + a.shape[axis + 1:], a.shape[axis])
        k = xp.maximum((cnt - 1) // 2, 0)
        idx = xp.take_along_axis(order, k, axis)
        return self.pick(a, idx, axis, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """The lower median ignoring NaN, of all elements or ``(values, indices)`` along ``dim``.

    >>> import numtorch
    >>> numtorch.tensor([1., float('nan'), 3., 2.]).nanmedian()
    tensor(2.)
    """
    if input._data.dtype.kind == 'b':
        raise NotImplementedError('"nanmedian_cpu" not implemented for \'Bool\'')
    if dim is None:
        return unary(NanmedianAll, input)
    return _along(NanmedianDim, nanmedian, return_types.nanmedian, input, dim, keepdim)


class Mode(SelectAlong):
    def forward(self, a, axis, keepdim):
        if a.shape[axis] == 0:
            raise IndexError(f'mode(): Expected reduction dim {axis} to have non-zero size.')
        # Vectorized over all rows (no per-row host loop): sort each row, then the count so
        # far of each run of equal values is position - (start of its run) + 1; the first
        # position reaching the largest count ends the earliest longest run, i.e. the smallest
        # of the most frequent values, and the stable sort puts its last index there (torch
        # reports the last position).
        m = xp.moveaxis(a, axis, -1)
        order = xp.argsort(m, axis=-1, kind='stable')
        s = xp.take_along_axis(m, order, -1)
        pos = self.xp.arange(m.shape[-1])
        new = xp.concatenate([xp.ones_like(s[..., :1], dtype=bool), s[..., 1:] != s[..., :-1]],
                             axis=-1)
        start = xp.maximum.accumulate(xp.where(new, pos, 0), axis=-1)
        best = xp.argmax(pos - start, axis=-1)[..., None]
        idx = xp.take_along_axis(order, best, -1)
        idx = xp.moveaxis(idx, -1, axis)
        return self.pick(a, idx, axis, keepdim)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest on ties) and its (last) index.

    >>> import numtorch
    >>> numtorch.tensor([1, 2, 2, 3]).mode()
    torch.return_types.mode(
    values=tensor(2),
    indices=tensor(2))
    """
    return _along(Mode, mode, return_types.mode, input, dim, keepdim)


_INTERP = ('linear', 'lower', 'higher', 'midpoint', 'nearest')


class Quantile(Node):
    """Quantiles of ``a`` (..., 1, n) along its last axis, one per ``q`` (nq, 1): (..., nq)."""

    def forward(self, a, q, ignore_nan, interpolation):
        order = xp.argsort(a, axis=-1, kind='stable')          # NaN sorts last
        s = xp.take_along_axis(a, order, -1)
        n = a.shape[-1]
        nan = xp.isnan(a)
        if ignore_nan:
            last = nan.shape[-1] - nan.sum(-1, keepdims=True) - 1   # -1 where all NaN
            ranks = xp.maximum(q * last, 0)                           # all NaN -> rank 0 (NaN)
        else:
            ranks = xp.where(nan.any(-1, keepdims=True), n - 1, q * (n - 1))
        ranks = ranks.astype(a.dtype, copy=False)
        lo = xp.floor(ranks)
        if interpolation == 'lower':
            hi = lo
        elif interpolation == 'higher':
            lo = hi = xp.ceil(ranks)
        elif interpolation == 'nearest':
            lo = hi = xp.round(ranks)
        else:
            hi = xp.ceil(ranks)
        w = ranks - lo if interpolation == 'linear' else \
            self.xp.full_like(ranks, 0.5 if interpolation == 'midpoint' else 0)
        lo, hi = lo.astype(xp.int64), hi.astype(xp.int64)
        vlo, vhi = xp.take_along_axis(s, lo, -1), xp.take_along_axis(s, hi, -1)
        # torch's lerp: two formulas, each exact at its own end.
        out = xp.where(w < 0.5, vlo + w * (vhi - vlo), vhi - (vhi - vlo) * (1 - w))
        self.saved = (xp.take_along_axis(order, lo, -1), xp.take_along_axis(order, hi, -1), w)
        self.shape = a.shape
        return out[..., 0]

    def backward(self, g):
        # a is (..., 1, n) and the picks (..., nq, 1): scatter each q's weights into its row.
        ilo, ihi, w = self.saved
        out = self.xp.zeros(self.shape, g.dtype)
        at = tuple(self.xp.indices(ilo.shape, sparse=True)[:-2]) + (0,)
        g = g[..., None]
        xp.add.at(out, at + (ilo,), g * (1 - w))
        xp.add.at(out, at + (ihi,), g * w)
        return out


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    dt = input._data.dtype
    if dt.kind != 'f' or dt.itemsize < 4:
        raise RuntimeError(f'{name}() input tensor must be either float or double dtype')
    if interpolation not in _INTERP:
        raise RuntimeError(f'{name}() interpolation must be one of linear, lower, higher, midpoint '
                           f'or nearest, but got {interpolation}')
    scalar_q = not isinstance(q, _apply.Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f'{name}() q must be in the range [0, 1] but got {q}')
        qa = namespace(input._data).asarray([float(q)], dt)
    else:
        if q._data.ndim > 1:
            raise RuntimeError(f'{name}() q must be a scalar or 1D tensor')
        if q._data.dtype != dt:
            raise RuntimeError(f'{name}() q tensor must be same dtype as the input tensor')
        scalar_q = q._data.ndim == 0
        qa = q._data.reshape(-1)
        if xp.any((qa < 0) | (qa > 1)):   # reads q back to the host, as torch's check does
            raise RuntimeError(f'{name}() q values must be in the range [0, 1]')
    nd = input._data.ndim
    if input._data.size == 0 and dim is None:
        raise RuntimeError(f'{name}() input tensor must be non-empty')
    if dim is None:
        x = input.reshape(1, -1)                     # one row holding every element
        d = None
    else:
        d = _one(dim, max(nd, 1))
        x = input.reshape(1) if nd == 0 else input
        if x._data.shape[d] == 0:
            raise RuntimeError(f'{name}() input tensor must be non-empty')
        x = x.movedim(d, -1).unsqueeze(-2)          # (..., 1, n): q broadcasts on the new axis
    r = unary(Quantile, x, qa[:, None], ignore_nan, interpolation)   # (..., nq)
    r = r.movedim(-1, 0)                             # (nq, ...)
    if dim is None:
        r = r.reshape(-1, *([1] * nd if keepdim else []))
    elif keepdim and nd:
        r = r.unsqueeze(d + 1)
    return r.squeeze(0) if scalar_q else r


def quantile(input, q, dim=None, keepdim=False, *, interpolation='linear', out=None):
    """The ``q``-th quantiles (``q`` a float or 1-d tensor in [0, 1]) of all elements or along
    ``dim``, interpolating between the neighbouring order statistics. NaN anywhere gives NaN.

    >>> import numtorch
    >>> numtorch.tensor([0., 1., 2., 3.]).quantile(0.5)
    tensor(1.5000)
    """
    return _quantile('quantile', input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation='linear', out=None):
    """``quantile`` ignoring NaN (a slice of only NaN gives NaN).

    >>> import numtorch
    >>> numtorch.tensor([0., float('nan'), 2.]).nanquantile(0.5)
    tensor(1.)
    """
    return _quantile('nanquantile', input, q, dim, keepdim, interpolation, True)
