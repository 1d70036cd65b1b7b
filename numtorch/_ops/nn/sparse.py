"""``embedding`` (rows of a weight picked by index) and ``embedding_bag``: sums, means or maxima of bags of embedding rows, without materializing
the per-bag lists. Composed from ``embedding`` (rows, with its padding-row and max-norm rules)
and ``index_add`` (the per-bag reduction), so the weight and ``per_sample_weights`` get their
gradients from those nodes."""

from ..._backend import xp, namespace
from ...autograd.graph import Node
from .._apply import wrap, unary
from ..._dtype import tensor_type_name
from .._apply import nary
from .._compose import no_double_backward


# ---------------------------------------------------------------- embedding

class Embedding(Node):
    def forward(self, arrays, padding_idx, scale_grad_by_freq):
        weight, idx = arrays
        self.saved = (idx,)
        self.meta = weight.shape, padding_idx, scale_grad_by_freq
        return weight[idx]

    def backward(self, g):
        idx, = self.saved
        shape, padding_idx, by_freq = self.meta
        flat = idx.reshape(-1)
        g2 = g.reshape(-1, shape[1])
        if by_freq:
            counts = xp.bincount(flat, minlength=shape[0])
            g2 = g2 / counts[flat][:, None].astype(g.dtype)
        gw = self.xp.zeros(shape, g.dtype)
        xp.add.at(gw, flat, g2)
        if padding_idx is not None:
            gw[padding_idx] = 0      # the padding row never learns
        return gw, None


class EmbeddingFreq(Embedding):
    """``scale_grad_by_freq=True``: the same node, with torch's create_graph rule."""
    _name = 'EmbeddingBackward0'

    def backward_graphed(self, g):
        """create_graph with ``scale_grad_by_freq``: the gradient is scaled as above, but its
        own derivative is not, as torch's (its double backward gathers the incoming gradient
        unscaled, "the first backward takes care of scaling")"""
        idx, = self.saved
        shape, padding_idx, _ = self.meta
        flat = idx.reshape(-1)
        counts = xp.bincount(flat, minlength=shape[0])
        g2 = g.reshape(-1, shape[1])
        d = g2.detach()
        g2 = d / wrap(counts[flat][:, None].astype(d._data.dtype)) + (g2 - d)
        gw = wrap(self.xp.zeros(shape, d._data.dtype)).index_add(0, wrap(flat), g2)
        if padding_idx is not None:
            gw = gw.index_fill(0, wrap(self.xp.asarray([padding_idx])), 0.)
        return gw, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by integer ``input``; the ``padding_idx`` row gets no gradient.
    ``sparse=True`` still produces a dense gradient in numtorch.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.embedding(numtorch.tensor([2, 0]), numtorch.arange(6.).reshape(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    idx = input._data
    if idx.dtype.kind not in 'iu':
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"{tensor_type_name(idx.dtype)} instead "
                           f"(while checking arguments for embedding)")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError('Padding_idx must be within num_embeddings')
        padding_idx = padding_idx % n
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError('index out of range in self')
    if max_norm is not None:
        # torch renormalizes the referenced rows of weight in place (under no_grad).
        rows = xp.unique(idx)
        norms = xp.linalg.norm(w[rows].astype(xp.float64), ord=norm_type, axis=1)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)
        weight._version_counter[0] += 1
    return nary(EmbeddingFreq if scale_grad_by_freq else Embedding,
                [weight, wrap(idx.astype(xp.int64, copy=False))], padding_idx,
                bool(scale_grad_by_freq))



# ---------------------------------------------------------------- embedding_bag

def _type_name(x):
    from ..._tensor import Tensor
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _bags(input, offsets, include_last_offset):
    """Flat indices, the bag number of each and the bag count, plus a mask of the positions in
    no bag (trailing ones past a short last CSR offset; None when every position is in a bag).
    Built with the indices' namespace, without data-sized shapes, so a device never syncs."""
    idx = input._data
    ns = namespace(idx)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError('if input is 2D, then offsets has to be None, as input is treated is '
                             'a mini-batch of fixed length sequences. However, found offsets of '
                             f'type {_type_name(offsets)}')
        B, L = idx.shape
        return idx.reshape(-1), ns.arange(B * L) // max(L, 1), B, None
    if idx.ndim != 1:
        raise ValueError(f'input has to be 1D or 2D Tensor, but got Tensor of dimension '
                         f'{idx.ndim}')
    if offsets is None:
        raise ValueError('offsets has to be a 1D Tensor but got None')
    off = offsets._data.astype(xp.int64)
    if off.ndim != 1:
        raise ValueError('offsets has to be a 1D Tensor')
    n = idx.shape[0]
    # With include_last_offset the last offset must be len(input) (CSR format, torch's
    # documented rule); torch's kernels disagree among themselves when it is not, this one
    # closes the last bag there.
    starts = off[:-1] if include_last_offset else off
    # The checks read two offsets back (a sync on a device, as torch's checks).
    if len(off) and off[0] != 0:
        raise RuntimeError(f'offsets[0] has to be 0, i.e., the first sequence in the mini-batch '
                           f'has to start from position 0. However, got {off[0]}')
    if len(off) and off[-1] > n:
        raise RuntimeError(f'offsets[-1] can not be greater than input\'s length ({n}), but got '
                           f'offsets[-1] of {off[-1]}')
    B = len(starts)
    pos = ns.arange(n)
    bag = xp.searchsorted(starts, pos, side='right') - 1    # the bag each position falls in
    out = pos >= off[-1] if include_last_offset and len(off) else None
    if B == 0:
        out = ns.ones(n, bool)
    return idx, xp.maximum(bag, 0), B, out


_BAG_GRADGRAD = "the derivative for '_embedding_bag_backward' is not implemented."
_PSW_GRADGRAD = ('derivative for aten::_embedding_bag_per_sample_weights_backward is not '
                 'implemented')


class BagMax(Node):
    """Each bag's elementwise maximum of its rows (zeros for an empty bag): one ``maximum.at``
    over all positions (``bag`` B collects the left-out ones), no per-bag loop. The gradient
    goes to the first row holding each maximum, as ``max(dim)``'s does."""
    _name = 'EmbeddingBagBackward0'
    double_backward_error = _BAG_GRADGRAD

    def forward(self, rows, bag, B):
        ns = self.xp
        n, D = rows.shape
        out = ns.full((B + 1, D), -xp.inf, rows.dtype)
        xp.maximum.at(out, bag, rows)                  # NaN wins, as in max(dim)
        cnt = xp.bincount(bag, minlength=B + 1)[:B]
        hit = rows == out[bag]
        hit |= (rows != rows) & (out[bag] != out[bag])   # a NaN maximum is its NaN row's
        first = ns.full((B + 1, D), n, xp.int64)        # first position holding each maximum
        col = ns.arange(D)
        xp.minimum.at(first, (bag[:, None], col[None, :]), xp.where(hit, ns.arange(n)[:, None], n))
        self.saved = (first[:B], cnt, n)
        return xp.where(cnt[:, None] > 0, out[:B], 0).astype(rows.dtype, copy=False)

    def backward(self, g):
        first, cnt, n = self.saved
        D = g.shape[1]
        gr = self.xp.zeros((n + 1, D), g.dtype)         # row n takes the empty bags' nothing
        gr[first, self.xp.arange(D)[None, :]] = xp.where(cnt[:, None] > 0, g, 0)
        return gr[:n]


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Reduce bags of embedding rows: ``input`` ``(B, L)`` (fixed-size bags) or 1-D with
    ``offsets`` (bag starts); ``mode`` 'sum', 'mean' or 'max'; rows equal to ``padding_idx`` are
    left out; an empty bag gives zeros.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> w = numtorch.arange(6.).reshape(3, 2)
    >>> F.embedding_bag(numtorch.tensor([0, 2, 1]), w, numtorch.tensor([0, 2]), mode='sum')
    tensor([[4., 6.],
            [2., 3.]])
    """
    if mode not in ('sum', 'mean', 'max'):
        raise ValueError(f'mode has to be one of sum, mean or max')
    if mode == 'max' and scale_grad_by_freq:
        raise ValueError('max mode does not support scaling the gradient by the frequency')
    if per_sample_weights is not None:
        if mode != 'sum':
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' (got "
                                      f"mode='{mode}'). Please open a feature request on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f'embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}) '
                             f'is not None, then it must have the same shape as the input '
                             f'({list(input.shape)})')
    flat, bag, B, out_of_bags = _bags(input, offsets, include_last_offset)
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError('padding_idx must be within num_embeddings')
        padding_idx %= n
    # Left-out positions (padding rows, positions in no bag) stay in the arrays and go to an
    # extra bag B that is then dropped: no data-sized selection (a device would sync on it).
    drop = out_of_bags
    if padding_idx is not None:
        pad = flat == padding_idx
        drop = pad if drop is None else drop | pad
    rows = embedding(wrap(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    dt = weight._data.dtype
    D = weight.shape[1]
    ns = namespace(weight._data)
    kept = bag if drop is None else xp.where(drop, B, bag)   # left-out ones go to bag B
    if mode == 'max':
        return unary(BagMax, rows, kept, B)
    if per_sample_weights is not None:
        # Read through an index so its gradient is accumulated from +0 (as torch's; a plain
        # product would hand back -0 where a row is zero).
        psw = per_sample_weights.reshape(-1)[wrap(ns.arange(flat.shape[0]))]
        rows = rows * psw.unsqueeze(1)
    if drop is None:
        out = wrap(ns.zeros((B, D), dt)).index_add(0, wrap(bag), rows)
    else:   # the left-out rows are summed into an extra bag B, dropped here
        out = wrap(ns.zeros((B + 1, D), dt)).index_add(0, wrap(kept), rows)[:B]
    if mode == 'mean':
        cnt = xp.maximum(xp.bincount(kept, minlength=B + 1)[:B], 1).astype(dt)
        out = out / wrap(cnt[:, None])
    # torch's fused kernel is the last node, and it refuses a double backward
    return no_double_backward(out, _BAG_GRADGRAD if per_sample_weights is None else _PSW_GRADGRAD,
                              'EmbeddingBagBackward0')

__all__ = []
