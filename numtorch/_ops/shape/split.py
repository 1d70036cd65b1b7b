"""Splitting a tensor into views along a dimension: ``tensor_split``, ``hsplit``/``vsplit``/``dsplit``,
``split_with_sizes`` (``split``, ``chunk`` and ``unbind`` are in ``views.py``).
"""
from ..reductions.reduce import _one
from .. import _apply


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

__all__ = ['tensor_split']
