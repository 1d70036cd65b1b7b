"""Distances between vectors: ``cosine_similarity``, ``pairwise_distance``, ``cdist`` —
compositions of norm, product and sum, so their gradients come from those ops."""
from ...autograd.grad_mode import no_grad
from .._compose import no_double_backward

_CDIST_2ND = "the derivative for '_cdist_backward' is not implemented."


def _clamped(n, eps):
    """``n`` clamped below at ``eps`` in value only: the gradient is still the norm's, as torch
    clamps its norms in place under no_grad."""
    with no_grad():
        fix = n.clamp_min(eps) - n
    return n + fix


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcasting), each norm
    clamped at ``eps``.

    >>> import numtorch
    >>> numtorch.cosine_similarity(numtorch.tensor([[1., 0.]]), numtorch.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    if x1.dtype.is_floating_point is False:
        x1 = x1.float()
    if x2.dtype.is_floating_point is False:
        x2 = x2.float()
    if tuple(x1.shape) != tuple(x2.shape):   # the norms are of the broadcast vectors
        from ..shape.join import broadcast_tensors
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = _clamped(x1.norm(2, dim, keepdim=True), eps)
    n2 = _clamped(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim (broadcasting).

    >>> import numtorch
    >>> numtorch.pairwise_distance(numtorch.tensor([[0., 0.]]), numtorch.tensor([[3., 4.]]))
    tensor([5.0000])
    """
    nd = max(x1.dim(), x2.dim())
    return (x1 - x2 + eps).norm(p, max(nd - 1, 0), keepdim=keepdim)


def cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary'):
    """p-norm distances between every row of ``x1`` (``*, P, M``) and of ``x2`` (``*, R, M``):
    ``(*, P, R)``. For ``p=2`` on more than 25 rows torch uses the matrix-product form
    ``sqrt(|a|^2 + |b|^2 - 2 a.b)``; so does this, to give the same numbers.

    >>> import numtorch
    >>> numtorch.cdist(numtorch.tensor([[0., 0.]]), numtorch.tensor([[3., 4.], [0., 1.]]))
    tensor([[5., 1.]])
    """
    if x1.dim() < 2:
        raise RuntimeError(f'cdist only supports at least 2D tensors, X1 got: {x1.dim()}D')
    if x2.dim() < 2:
        raise RuntimeError(f'cdist only supports at least 2D tensors, X2 got: {x2.dim()}D')
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f'X1 and X2 must have the same number of columns. X1: '
                           f'{x1.shape[-1]} X2: {x2.shape[-1]}')
    if p < 0:
        raise RuntimeError('cdist only supports non-negative p values')
    modes = ('use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist',
             'donot_use_mm_for_euclid_dist')
    if compute_mode not in modes:
        raise ValueError(f'{compute_mode} is not a valid value for compute_mode')
    P, R = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == modes[1] or (compute_mode == modes[0] and (P > 25 or R > 25)))
    if use_mm:
        a2 = (x1 * x1).sum(-1, keepdim=True)
        b2 = (x2 * x2).sum(-1, keepdim=True)
        d2 = a2 - 2 * (x1 @ x2.transpose(-1, -2)) + b2.transpose(-1, -2)
        return d2.clamp_min(1e-30).sqrt()
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        return (diff != 0).sum(-1).to(x1.dtype)
    # torch's cdist kernel has no double backward: neither has this composition
    return no_double_backward(diff.norm(p, -1), _CDIST_2ND, 'CdistBackward0')


__all__ = ['cosine_similarity', 'pairwise_distance', 'cdist']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
