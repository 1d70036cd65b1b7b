"""Splitting a tensor into views along a dimension: ``tensor_split``,
``hsplit``/``vsplit``/``dsplit``, ``split_with_sizes`` (``split``, ``chunk`` and ``unbind`` are in ``views.py``).
"""
from ..reductions.reduce import _one
from .. import _apply
from .._compose import _nt


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


__all__ = ['tensor_split', 'hsplit', 'vsplit', 'dsplit', 'split_with_sizes']
