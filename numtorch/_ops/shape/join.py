"""Ops that join several tensors into one: ``block_diag``, ``cartesian_prod``, ``combinations``.
"""
import itertools
from .._compose import _nt


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

__all__ = ['block_diag', 'cartesian_prod', 'combinations']
FUNCTION_ONLY = {'block_diag', 'cartesian_prod', 'combinations'}
