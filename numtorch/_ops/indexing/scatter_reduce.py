"""``scatter_reduce`` (sum / prod / mean / amax / amin into positions an index names, as GNN
message passing uses it) and ``masked_scatter`` (fill masked positions from a source, in order).

Forward: one ``ufunc.at`` per reduction over the flat target positions. Backward follows torch's
formulas: mean divides by the per-position count; amax/amin split the gradient evenly among
the elements equal to the result; prod uses the product of the *other* elements, computed
zero-safely (a group with one zero gives that zero the product of the rest; two zeros give 0).
"""

from ..._backend import xp, ufunc_at, to_host
from ...autograd.graph import Node
from .. import _apply
from .._apply import nary
from .gather_scatter import _scatter_args, _along, _crop

_REDUCES = ('sum', 'prod', 'mean', 'amax', 'amin')


class ScatterReduce(Node):
    _name = 'ScatterReduceBackward0'

    def forward(self, arrays, dim, idx, reduce, include_self):
        a, src = arrays
        where = _along(idx, dim)
        flat = xp.ravel_multi_index(where, a.shape).reshape(-1)     # target of each src element
        v = src[_crop(src.shape, idx.shape)].reshape(-1)
        out = a.copy().reshape(-1)
        hit = self.xp.zeros(out.size, bool)
        hit[flat] = True
        if not include_self:
            ident = {'sum': 0, 'mean': 0, 'prod': 1,
                     'amax': _low(a.dtype), 'amin': _high(a.dtype)}[reduce]
            out[hit] = ident
        ufunc_at({'sum': 'add', 'mean': 'add', 'prod': 'multiply', 'amax': 'maximum',
                  'amin': 'minimum'}[reduce], out, flat, v)
        cnt = None
        if reduce == 'mean':
            cnt = xp.bincount(flat, minlength=out.size) + (1 if include_self else 0)
            cnt = xp.maximum(cnt, 1)
            if out.dtype.kind in 'iu':
                out = xp.floor_divide(out, cnt.astype(out.dtype))
            else:
                out = out / cnt.astype(out.dtype)
        res = out.reshape(a.shape)
        self.meta = flat, hit, cnt, reduce, include_self, a.shape, src.shape, idx.shape
        if reduce == 'prod':
            # prod's derivative depends on the values: create_graph needs the input, source and
            # result themselves (saved by identity, as torch saves self, src and result)
            self.saved = (a.reshape(-1), v, out, a, src, res)
        else:
            self.saved = (a.reshape(-1), v, out)
        return res

    def backward(self, g):
        a, v, out = self.saved[:3]
        flat, hit, cnt, reduce, inc, ashape, sshape, ishape = self.meta
        g = g.reshape(-1)
        if reduce == 'sum':
            ga, gv = g.copy(), g[flat]
        elif reduce == 'mean':
            gc = g / cnt.astype(g.dtype)
            ga, gv = gc.copy(), gc[flat]
        elif reduce in ('amax', 'amin'):
            # Ties share the gradient evenly (torch's rule).
            sel_a = (a == out) & (inc | ~hit)
            sel_v = v == out[flat]
            n = sel_a.astype(g.dtype) + xp.bincount(flat, weights=sel_v, minlength=out.size)
            n = xp.maximum(n, 1)
            share = g / n.astype(g.dtype)
            ga, gv = share * sel_a, share[flat] * sel_v
        else:
            ga, gv = self._prod_grads(self.xp, g, a, v, out, flat, hit, inc)
        if not inc:
            ga = ga.copy()
            ga[hit] = 0
        gs = self.xp.zeros(sshape, g.dtype)
        gs[_crop(sshape, ishape)] = gv.reshape(ishape)
        return ga.reshape(ashape), gs

    @staticmethod
    def _prod_grads(xpd, g, a, v, out, flat, hit, inc):
        """d out / d element = product of the other elements of its group, zero-safe."""
        n = out.size
        zeros = xp.bincount(flat, weights=(v == 0), minlength=n)
        nz = xpd.ones(n, a.dtype)
        ufunc_at('multiply', nz, flat, xp.where(v == 0, 1, v))
        if inc:
            zeros = zeros + (a == 0)
            nz = nz * xp.where(a == 0, 1, a)
        with xp.errstate(divide='ignore', invalid='ignore'):
            def others(x, z):           # product of the other members for elements x in group z
                return xp.where(zeros[z] == 0, nz[z] / xp.where(x == 0, 1, x),
                                xp.where((zeros[z] == 1) & (x == 0), nz[z], 0))
            ga = g * others(a, xpd.arange(n)) if inc else g.copy()   # not hit: out is a
            gv = g[flat] * others(v, flat)
        return ga, gv


class ScatterReduceProd(ScatterReduce):
    """``reduce='prod'``: the same node, with a create_graph formula of its own."""
    _name = 'ScatterReduceBackward0'

    def backward_graphed(self, g):
        """prod's gradients as torch's double-differentiable formulas, in numtorch's ops (the
        fast first-order ``_prod_grads`` divides a group's product of non-zeros, whose
        derivative is wrong where a group holds zeros). Zeros are masked to 1 where they would
        divide; a group with several zeros of ``src`` cannot be differentiated twice for
        ``src`` (torch's own limit): that gradient carries torch's error."""
        from ...autograd.graph import saved_tensors
        from ..pointwise.binary import where
        flat, hit, cnt, reduce, inc, ashape, sshape, ishape = self.meta
        _, _, _, a, src, res = saved_tensors(self)
        ns = self.xp
        fi = _apply.wrap(flat)
        af, rf, gf = a.reshape(-1), res.reshape(-1), g.reshape(-1)
        vf = src[_crop(sshape, ishape)].reshape(-1)
        if inc:
            ms = where(_apply.wrap(af._data == 0), 1., af)
            ga = gf * ms.scatter_reduce(0, fi, vf, 'prod', include_self=True) / ms
        else:
            ga = where(_apply.wrap(hit), 0., gf)
        vzero = vf._data == 0
        zeros = xp.bincount(flat, weights=vzero, minlength=rf.shape[0])[flat]
        single = _apply.wrap(vzero & (zeros == 1))
        msr = af.scatter_reduce(0, fi, where(single, 1., vf), 'prod', include_self=inc)
        gv = where(single, (gf * msr)[fi], (gf * rf)[fi] / where(_apply.wrap(vzero), 1., vf))
        if flat.size and bool(to_host((zeros > 1).any())):
            gv = _apply.unary(_Refused, gv, _MANY_ZEROS)
        gv = gv.reshape(ishape)
        if tuple(ishape) != tuple(sshape):
            gs = _apply.wrap(ns.zeros(sshape, g._data.dtype))
            gs[_crop(sshape, ishape)] = gv
            gv = gs
        return ga.reshape(ashape), gv


_MANY_ZEROS = ('scatter_reduce(): Double backward is unsupported for src when >1 zeros in src '
               'are scattered to the same position in self')


class _Refused(Node):
    """Identity whose own backward raises (torch's DelayedError node): a first derivative that
    exists but cannot be differentiated again."""
    _name = 'Error'

    def forward(self, a, msg):
        self.msg = msg
        return a

    def backward(self, g):
        raise RuntimeError(self.msg)


def _low(dt):
    return -xp.inf if dt.kind == 'f' else xp.iinfo(dt).min


def _high(dt):
    return xp.inf if dt.kind == 'f' else xp.iinfo(dt).max


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into a copy of ``input`` at ``index`` along ``dim`` with ``reduce`` in
    'sum', 'prod', 'mean', 'amax', 'amin'; ``include_self=False`` leaves ``input``'s own values
    out of the positions that receive something.

    >>> import numtorch
    >>> x = numtorch.zeros(3)
    >>> x.scatter_reduce(0, numtorch.tensor([0, 0, 2]), numtorch.tensor([1., 3., 2.]), 'amax')
    tensor([3., 0., 2.])
    """
    if reduce not in _REDUCES:
        raise RuntimeError(f'reduce argument must be either sum, prod, mean, amax or amin, got '
                           f'{reduce}')
    d, idx = _scatter_args(input, dim, index, src, 'scatter_reduce')
    return nary(ScatterReduceProd if reduce == 'prod' else ScatterReduce, (input, src), d, idx,
                reduce, bool(include_self))


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    """In-place ``scatter_reduce``."""
    return input._inplace(scatter_reduce, dim, index, src, reduce, include_self=include_self)


class MaskedScatter(Node):
    _name = 'MaskedScatterBackward0'

    def forward(self, arrays, mask):
        a, src = arrays
        m = xp.broadcast_to(mask, a.shape)
        k = int(to_host(m.sum()))   # the source check reads the count on the host (one sync)
        if src.size < k:
            raise RuntimeError('masked_scatter: expected source to have at least as many '
                               'elements as ones in mask')
        out = a.copy()
        out[m] = src.reshape(-1)[:k]
        self.meta = m, k, src.shape
        return out

    def backward(self, g):
        m, k, sshape = self.meta
        gs = self.xp.zeros(int(xp.prod(sshape)), g.dtype)
        gs[:k] = g[m]
        return xp.where(m, 0, g), gs.reshape(sshape)


def masked_scatter(input, mask, source):
    """Copy of ``input`` whose positions where ``mask`` (broadcast) is True take the elements of
    ``source`` in row-major order.

    >>> import numtorch
    >>> x = numtorch.zeros(2, 2)
    >>> x.masked_scatter(numtorch.tensor([[True, False], [False, True]]), numtorch.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    md = mask._data if isinstance(mask, _apply.Tensor) else xp.asarray(mask)
    if md.dtype != xp.bool_:
        from ..._dtype import scalar_name
        raise RuntimeError(f'masked_scatter_ only supports boolean masks, but got mask with dtype '
                           f'{scalar_name(md.dtype)}')
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f'masked_scatter_: expected self and source to have same dtypes but '
                           f'got {str(input.dtype).replace("numtorch.", "")} and '
                           f'{str(source.dtype).replace("numtorch.", "")}')
    try:
        xp.broadcast_shapes(md.shape, input._data.shape)
    except ValueError:
        _apply.raise_if_unbroadcastable(input._data.shape, md.shape)
    return nary(MaskedScatter, (input, source), md)


def masked_scatter_(input, mask, source):
    """In-place ``masked_scatter``."""
    return input._inplace(masked_scatter, mask, source)


__all__ = ['scatter_reduce', 'masked_scatter']
# Tensor-only methods: torch has no torch.<name>
METHODS = {'scatter_reduce_': scatter_reduce_, 'masked_scatter_': masked_scatter_}
