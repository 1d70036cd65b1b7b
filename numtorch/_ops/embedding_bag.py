"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without materializing
the per-bag lists. Composed from ``embedding`` (rows, with its padding-row and max-norm rules)
and ``index_add`` (the per-bag reduction), so the weight and ``per_sample_weights`` get their
gradients from those nodes."""

from .._backend import xp
from ._apply import wrap
from .normalization import embedding


def _type_name(x):
    from .._tensor import Tensor
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _bags(input, offsets, include_last_offset):
    """Flat indices and the bag number of each, plus the bag count."""
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError('if input is 2D, then offsets has to be None, as input is treated is '
                             'a mini-batch of fixed length sequences. However, found offsets of '
                             f'type {_type_name(offsets)}')
        B, L = idx.shape
        return idx.reshape(-1), xp.repeat(xp.arange(B), L), B
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
    ends = off[1:] if include_last_offset else xp.append(off[1:], n)
    if len(off) and off[0] != 0:
        raise RuntimeError(f'offsets[0] has to be 0, i.e., the first sequence in the mini-batch '
                           f'has to start from position 0. However, got {off[0]}')
    if len(off) and off[-1] > n:
        raise RuntimeError(f'offsets[-1] can not be greater than input\'s length ({n}), but got '
                           f'offsets[-1] of {off[-1]}')
    B = len(starts)
    bag = xp.repeat(xp.arange(B), xp.maximum(ends - starts, 0))
    return idx, bag, B


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
    flat, bag, B = _bags(input, offsets, include_last_offset)
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError('padding_idx must be within num_embeddings')
        padding_idx %= n
    keep = xp.ones(len(bag), bool) if padding_idx is None else flat[:len(bag)] != padding_idx
    sel = xp.nonzero(keep)[0]
    rows = embedding(wrap(flat[sel]), weight, None, max_norm, norm_type, scale_grad_by_freq)
    bag = bag[sel]
    D = weight.shape[1]
    out_zero = wrap(xp.zeros((B, D), weight._data.dtype))
    if mode == 'max':
        outs = []
        for b in range(B):
            r = xp.nonzero(bag == b)[0]
            outs.append(rows[wrap(r)].max(0)[0] if len(r) else out_zero[0])
        from .rearrange import stack
        return stack(outs) if outs else out_zero
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[wrap(sel)].unsqueeze(1)
    out = out_zero.index_add(0, wrap(bag), rows)
    if mode == 'mean':
        cnt = xp.maximum(xp.bincount(bag, minlength=B), 1).astype(weight._data.dtype)
        out = out / wrap(cnt[:, None])
    return out


__all__ = []
