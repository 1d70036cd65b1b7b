"""Variable-length sequences for recurrent layers: padding and packing (torch's ``nn.utils.rnn``).

A *packed* batch stores the time steps of sequences sorted by decreasing length one after
another, each step holding only the sequences still running: ``data`` is ``(sum(lengths), *)``
and ``batch_sizes[t]`` says how many rows step ``t`` has. Every conversion here is one gather
(``index_select``) over a flattened view, so it is differentiable and costs one copy; the
row order is computed with NumPy from the lengths, which are plain integers (host data, as in
torch where ``lengths`` must be on the CPU and ``batch_sizes`` always lives there); on a device
only ``data`` and the index vectors, which cross once, live there.
"""
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ..._ops.shape.join import cat

__all__ = ['PackedSequence', 'invert_permutation', 'pack_padded_sequence', 'pad_packed_sequence',
           'pad_sequence', 'unpad_sequence', 'pack_sequence', 'unpack_sequence']

_UNSORTED = ('`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. '
             'You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to '
             'sidestep this requirement if you do not need ONNX exportability.')


def _long(values):
    return Tensor._from_any(np.asarray(values, dtype=np.int64))


def _bind(t, fn):
    return None if t is None else fn(t)


class PackedSequence(namedtuple('PackedSequence_', ['data', 'batch_sizes', 'sorted_indices',
                                                    'unsorted_indices'])):
    """A packed batch of sequences: ``(data, batch_sizes, sorted_indices, unsorted_indices)``.

    Made by :func:`pack_padded_sequence` / :func:`pack_sequence`, accepted by the recurrent
    layers. ``batch_sizes`` is an int64 tensor; ``sorted_indices`` (None when the input was
    already sorted) maps sorted position -> original batch index, ``unsorted_indices`` back.

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pack_sequence
    >>> p = pack_sequence([numtorch.tensor([1, 2, 3]), numtorch.tensor([4, 5])])
    >>> p
    PackedSequence(data=tensor([1, 4, 2, 5, 3]), batch_sizes=tensor([2, 2, 1]), sorted_indices=None, unsorted_indices=None)
    >>> p.double().data.dtype
    torch.float64
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:   # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError('Expected data to be a list or tuple of length 2')
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Convert ``data`` (dtype/device as ``Tensor.to``); ``batch_sizes`` stays as it is.
        Returns ``self`` when nothing changes.

        >>> import numtorch
        >>> from numtorch.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([numtorch.ones(2)])
        >>> p.to(numtorch.float32) is p
        True
        """
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731  (indices keep int64, follow the device)
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def cpu(self, *args, **kwargs):
        """``data`` on the CPU (a no-op here)."""
        return self.to('cpu', *args, **kwargs)

    def cuda(self, *args, **kwargs):
        """``data`` on a CUDA device (fails as ``Tensor.cuda`` does without one)."""
        return self.to('cuda', *args, **kwargs)

    def pin_memory(self):
        """``data`` in pinned memory (on the CPU: the same data)."""
        return type(self)(self.data.pin_memory() if hasattr(self.data, 'pin_memory') else self.data,
                          self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def double(self):
        """``data`` as float64."""
        return self.to(dtype=_dtype.float64)

    def float(self):
        """``data`` as float32."""
        return self.to(dtype=_dtype.float32)

    def half(self):
        """``data`` as float16."""
        return self.to(dtype=_dtype.float16)

    def long(self):
        """``data`` as int64."""
        return self.to(dtype=_dtype.int64)

    def int(self):
        """``data`` as int32."""
        return self.to(dtype=_dtype.int32)

    def short(self):
        """``data`` as int16."""
        return self.to(dtype=_dtype.int16)

    def char(self):
        """``data`` as int8."""
        return self.to(dtype=_dtype.int8)

    def byte(self):
        """``data`` as uint8."""
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        """Whether ``data`` is on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self):
        """Whether ``data`` is in pinned memory."""
        return self.data.is_pinned() if hasattr(self.data, 'is_pinned') else False


def invert_permutation(permutation):
    """The inverse of a permutation (``None`` stays ``None``).

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import invert_permutation
    >>> invert_permutation(numtorch.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    p = permutation.cpu().numpy() if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = _long(_inverse(p))
    return out.to(permutation.device) if isinstance(permutation, Tensor) else out


def _inverse(p):
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return out


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.reshape(-1).tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths):
    """Rows per time step of sorted ``lengths``: ``batch_sizes[t] = #{l > t}``."""
    ls = np.asarray(lengths, dtype=np.int64)
    return (ls[None, :] > np.arange(ls[0])[:, None]).sum(1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) batch of sequences of
    the given ``lengths``. Without ``enforce_sorted`` the batch is sorted by decreasing length
    first (``sorted_indices`` records how); with it, lengths must already decrease.

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pack_padded_sequence
    >>> x = numtorch.tensor([[1, 4], [2, 5], [3, 0]])            # T=3, B=2
    >>> pack_padded_sequence(x, [3, 2]).data
    tensor([1, 4, 2, 5, 3])
    >>> pack_padded_sequence(x, [2, 3], enforce_sorted=False).sorted_indices
    tensor([1, 0])
    """
    ls = _lengths_list(lengths)
    sorted_indices = unsorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-np.asarray(ls, dtype=np.int64), kind='stable')
        ls = [ls[i] for i in order]
        # both permutations are made here on the host and cross once each (no read-back)
        sorted_indices = _long(order).to(input.device)
        unsorted_indices = _long(_inverse(order)).to(input.device)
    B = input.shape[0 if batch_first else 1]
    T = input.shape[1 if batch_first else 0]
    if len(ls) != B:
        raise RuntimeError(f'Expected `len(lengths)` to be equal to batch_size, but got {len(ls)} '
                           f'(batch_size={B})')
    if ls and ls[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(ls, ls[1:])):
        raise RuntimeError(_UNSORTED)
    if ls and ls[0] > T:
        raise RuntimeError(f'pack_padded_sequence: a length ({ls[0]}) exceeds the padded '
                           f'sequence length ({T}) of the input')
    bs = _batch_sizes(ls)
    t, j = np.nonzero(np.arange(ls[0])[:, None] < np.asarray(ls)[None, :])   # packed order
    col = j if sorted_indices is None else order[j]
    idx = col * T + t if batch_first else t * B + col
    flat = input.reshape((B * T,) + tuple(input.shape[2:]))
    data = flat.index_select(0, _long(idx).to(input.device))
    return PackedSequence(data, _long(bs), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of :func:`pack_padded_sequence`: ``(padded, lengths)``, the batch back in its
    original order, padded with ``padding_value`` to the longest length (or ``total_length``).

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> p = pack_sequence([numtorch.tensor([1., 2.]), numtorch.tensor([3., 4., 5.])],
    ...                   enforce_sorted=False)
    >>> pad_packed_sequence(p, batch_first=True, padding_value=-1)
    (tensor([[ 1.,  2., -1.],
            [ 3.,  4.,  5.]]), tensor([2, 3]))
    """
    bs = [int(b) for b in sequence.batch_sizes.tolist()]
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f'Expected total_length to be at least the length of the longest '
                             f'sequence in input, but got total_length={total_length} and max '
                             f'sequence length being {T}')
        T = total_length
    data = sequence.data
    N, B = data.shape[0], bs[0]
    bsa = np.asarray(bs + [0] * (T - len(bs)), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(bsa)[:-1]])
    lengths_sorted = (bsa[:, None] > np.arange(B)[None, :]).sum(0)
    unsorted = (np.arange(B) if sequence.unsorted_indices is None
                else sequence.unsorted_indices.cpu().numpy())
    # padded[t, j] = data[offset[t] + rank of j] if that row exists, else the padding row (N)
    rank = unsorted[None, :]
    idx = np.where(rank < bsa[:, None], offsets[:, None] + rank, N)
    if batch_first:
        idx = idx.T
    pad = data.new_full((1,) + tuple(data.shape[1:]), padding_value)
    src = cat([data, pad])
    out = src.index_select(0, _long(idx.reshape(-1)).to(data.device))
    out = out.reshape(idx.shape + tuple(data.shape[1:]))
    return out, _long(lengths_sorted[unsorted])


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    """Stack variable-length ``(L_i, *)`` tensors into ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), padding with ``padding_value`` on ``padding_side`` ('right' or 'left').

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pad_sequence
    >>> pad_sequence([numtorch.ones(2), numtorch.ones(3)], batch_first=True)
    tensor([[1., 1., 0.],
            [1., 1., 1.]])
    >>> pad_sequence([numtorch.ones(1), numtorch.ones(2)], padding_side='left')
    tensor([[0., 1.],
            [1., 1.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f'pad_sequence: Expected iterable for input sequences, but got arg of '
                           f'type: {type(sequences)}')
    seqs = tuple(sequences)
    if not seqs:
        raise RuntimeError('received an empty list of sequences')
    if padding_side not in ('left', 'right'):
        raise RuntimeError(f'Expected padding_side to be one of left or right, but got '
                           f'{padding_side}.')
    trail = tuple(seqs[0].shape[1:])
    for s in seqs[1:]:
        if tuple(s.shape[1:]) != trail:
            raise RuntimeError(f'pad_sequence: all sequences must have the same trailing '
                               f'dimensions, got {list(seqs[0].shape)} and {list(s.shape)}')
    ls = np.asarray([s.shape[0] for s in seqs], dtype=np.int64)
    B, T = len(seqs), int(ls.max())
    starts = np.concatenate([[0], np.cumsum(ls)[:-1]])
    N = int(ls.sum())
    t = np.arange(T)[:, None]
    pos = t if padding_side == 'right' else t - (T - ls)[None, :]   # position within sequence
    idx = np.where((pos >= 0) & (pos < ls[None, :]), starts[None, :] + pos, N)   # (T, B)
    if batch_first:
        idx = idx.T
    first = seqs[0]
    pad = first.new_full((1,) + trail, padding_value)
    src = cat([s.reshape((-1,) + trail) for s in seqs] + [pad])
    out = src.index_select(0, _long(idx.reshape(-1)).to(first.device))
    return out.reshape(idx.shape + trail)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of its ``lengths[i]``-long sequences (unlike
    torch, the input is not transposed in place).

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import unpad_sequence
    >>> x = numtorch.tensor([[1, 4], [2, 5], [3, 0]])
    >>> unpad_sequence(x, numtorch.tensor([3, 2]))
    [tensor([1, 2, 3]), tensor([4, 5])]
    """
    seqs = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    ls = _lengths_list(lengths)
    if len(ls) != seqs.shape[0]:
        raise ValueError(f'zip() argument 2 is shorter than argument 1' if len(ls) < seqs.shape[0]
                         else 'zip() argument 2 is longer than argument 1')
    return [seqs[i, :n] for i, n in enumerate(ls)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of ``(L_i, *)`` tensors (:func:`pad_sequence` then
    :func:`pack_padded_sequence`).

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pack_sequence
    >>> pack_sequence([numtorch.tensor([1, 2]), numtorch.tensor([3, 4, 5])],
    ...               enforce_sorted=False).batch_sizes
    tensor([2, 2, 1])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a :class:`PackedSequence` holds, in their original order.

    >>> import numtorch
    >>> from numtorch.nn.utils.rnn import pack_sequence, unpack_sequence
    >>> unpack_sequence(pack_sequence([numtorch.tensor([1, 2]), numtorch.tensor([3])]))
    [tensor([1, 2]), tensor([3])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
