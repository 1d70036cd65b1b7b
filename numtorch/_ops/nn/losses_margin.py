"""Margin, embedding and likelihood losses: ``triplet_margin_loss`` (and the ``_with_distance``
form), ``margin_ranking_loss``, ``cosine_embedding_loss``, ``hinge_embedding_loss``,
``soft_margin_loss``, ``multi_margin_loss``, ``multilabel_margin_loss``,
``multilabel_soft_margin_loss``, ``poisson_nll_loss``, ``gaussian_nll_loss``.

Composites, as in torch (their ``grad_fn``s are the pieces'): each is a few pointwise ops and a
reduction, so a fused node would save little; gradients come from tested ops.
"""
import math

from ..._backend import xp, namespace
from ...autograd.grad_mode import no_grad
from .._apply import wrap
from .losses import _reduction, _reduce, _no_weight_grad
from .distance import pairwise_distance
from .._compose import no_double_backward


def _zeros_where(cond, a):
    """``a`` where ``cond`` (a bool array) else 0: a product with a 0/1 mask keeps gradients."""
    return a * wrap(cond.astype(a._data.dtype))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        size_average=None, reduce=None, reduction='mean'):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm distance (``swap``: use the
    smaller of ``d(a, n)`` and ``d(p, n)``).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> a, p, n = numtorch.zeros(1, 2), numtorch.zeros(1, 2), numtorch.ones(1, 2)
    >>> F.triplet_margin_loss(a, p, n, margin=2.0)
    tensor(0.5858)
    """
    reduction = _reduction(reduction, size_average, reduce)
    nd = (anchor.dim(), positive.dim(), negative.dim())
    if not (nd[0] == nd[1] == nd[2]):
        raise RuntimeError(f'The anchor, positive, and negative tensors are expected to have the '
                           f'same number of dimensions, but got: anchor {nd[0]}D, positive '
                           f'{nd[1]}D, and negative {nd[2]}D inputs')
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction='mean'):
    """``triplet_margin_loss`` with any ``distance_function(x, y)`` (default: pairwise
    Euclidean distance).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> a, p, n = numtorch.zeros(1, 2), numtorch.zeros(1, 2), numtorch.ones(1, 2)
    >>> F.triplet_margin_with_distance_loss(a, p, n, margin=2.0).shape
    torch.Size([])
    """
    if margin <= 0:
        raise ValueError(f'TripletMarginWithDistanceLoss: expected margin to be greater than 0, '
                         f'got {margin} instead')
    reduction = _reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction='mean'):
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` = 1 ranks ``input1`` higher.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.margin_ranking_loss(numtorch.tensor([1., 2.]), numtorch.tensor([2., 1.]),
    ...                       numtorch.tensor([1., 1.]))
    tensor(0.5000)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f'margin_ranking_loss : All input tensors should have same dimension '
                           f'but got sizes: input1: {input1.shape}, input2: {input2.shape}, '
                           f'target: {target.shape} '.replace('numtorch.', 'torch.'))
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction='mean'):
    """``1 - cos(x1, x2)`` where ``target`` = 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.cosine_embedding_loss(numtorch.tensor([[1., 0.]]), numtorch.tensor([[0., 1.]]),
    ...                         numtorch.tensor([1.]))
    tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    nd = input1.dim()
    if nd != input2.dim():
        raise RuntimeError(f'cosine_embedding_loss : All input tensors should have same dimension '
                           f'but got sizes: input1: {input1.shape}, input2: {input2.shape}, '
                           f'target: {target.shape} '.replace('numtorch.', 'torch.'))
    if target.dim() > 1:
        raise RuntimeError('0D or 1D target tensor expected, multi-target not supported')
    if target.dim() != nd - 1:
        raise RuntimeError(f'0D target tensor expects 1D input tensors, but found inputs with '
                           f'sizes {list(input1.shape)} and {list(input2.shape)}.' if target.dim() == 0
                           else f'1D target tensor expects 2D input tensors, but found inputs '
                           f'with sizes {list(input1.shape)} and {list(input2.shape)}.')
    d = 1 if nd == 2 else 0
    # torch's form: the squared magnitudes get 1e-12 before the square root of their product.
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    t = target._data
    loss = _zeros_where(t == 1, 1 - cos) + _zeros_where(t == -1, (cos - margin).clamp_min(0))
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction='mean'):
    """``x`` where ``target`` = 1, ``max(0, margin - x)`` where ``target`` = -1.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.hinge_embedding_loss(numtorch.tensor([0.3, 2.]), numtorch.tensor([1., -1.]))
    tensor(0.1500)
    """
    reduction = _reduction(reduction, size_average, reduce)
    t = target._data
    loss = _zeros_where(t != 1, (margin - input).clamp_min(0)) + _zeros_where(t != -1, input)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """``log(1 + exp(-target * input))``, averaged.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.soft_margin_loss(numtorch.tensor([0.]), numtorch.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce((-target * input).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction='mean'):
    """Per-class binary logistic loss, averaged over the classes (last dim).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.multilabel_soft_margin_loss(numtorch.tensor([[0., 0.]]), numtorch.tensor([[1., 0.]]))
    tensor(0.6931)
    """
    from .activations import logsigmoid
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    C = input.shape[-1] if input.dim() else 1
    return _reduce(loss.sum(input.dim() - 1) / C, reduction)


def _margin_target(input, target, name):
    x = input.unsqueeze(0) if input.dim() <= 1 else input
    if input.dim() > 2:
        raise RuntimeError(f'{name}: Expected non-empty vector or matrix with optional 0-dim batch '
                           f'size, but got: {list(input.shape)}')
    t = target._data.reshape(x.shape[0], -1) if name == 'multilabel_margin_loss' \
        else target._data.reshape(-1)
    return x, t


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction='mean'):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])**p / C``.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.multi_margin_loss(numtorch.tensor([[0.1, 0.2, 0.4, 0.8]]), numtorch.tensor([3]))
    tensor(0.3250)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError('only p == 1 and p == 2 supported')
    if weight is not None and weight.dim() != 1:
        raise ValueError('weight must be one-dimensional')
    _no_weight_grad(weight, 'multi_margin_loss')
    x, t = _margin_target(input, target, 'multi_margin_loss')
    N, C = x.shape
    if t.size and (t.min() < 0 or t.max() >= C):
        raise RuntimeError('target out of range')
    t = t.astype(xp.int64)
    xy = x.gather(1, wrap(t[:, None]))                    # (N, 1) score of the true class
    z = (margin - xy + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[wrap(t)].unsqueeze(1)
    ns = namespace(t)                                     # masks are built on t's device
    off = ns.ones((N, C), bool)
    off[ns.arange(N), t] = False                          # the true class does not count
    loss = _zeros_where(off, z).sum(1) / C
    if input.dim() <= 1:
        loss = loss.reshape(())
    # torch's kernel has no double backward: neither has this composition
    return no_double_backward(_reduce(loss, reduction), 'derivative for '
                              'aten::multi_margin_loss_backward is not implemented',
                              'MultiMarginLossBackward0')


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """Multi-label hinge loss; ``target`` lists each sample's classes, ended by -1:
    ``sum_{j in y} sum_{i not in y} max(0, 1 - (x[j] - x[i])) / C``.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.multilabel_margin_loss(numtorch.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                          numtorch.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _reduction(reduction, size_average, reduce)
    x, t = _margin_target(input, target, 'multilabel_margin_loss')
    N, C = x.shape
    if t.shape != (N, C):
        raise RuntimeError(f'inconsistent target size: {list(target.shape)} for input of size: '
                           f'{list(input.shape)}')
    # Each row's classes are its entries before the first negative one (torch stops there).
    # Vectorized, so a device computes it without reading the target back entry by entry.
    # Every entry must lie in [-1, C), after the end marker too (torch's check). A clear error,
    # never a silent wrong answer: on a device one sync (torch's CUDA kernel asserts there).
    if t.size and ((t < -1) | (t >= C)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)       # (N, C): entry k is still a class
    ns = namespace(t)
    is_target = ((t[:, :, None] == ns.arange(C)) & listed[:, :, None]).any(1)   # (N, C)
    pairs = is_target[:, :, None] & ~is_target[:, None, :]  # (sample, target j, other i)
    z = (1 - (x.unsqueeze(2) - x.unsqueeze(1))).clamp_min(0)   # z[n, j, i]
    loss = _zeros_where(pairs, z).sum((1, 2)) / C
    if input.dim() <= 1:
        loss = loss.reshape(())
    # torch's kernel has no double backward: neither has this composition
    return no_double_backward(_reduce(loss, reduction), 'derivative for '
                              'aten::multilabel_margin_loss_backward is not implemented',
                              'MultilabelMarginLossBackward0')


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08,
                     reduce=None, reduction='mean'):
    """Poisson negative log-likelihood: ``exp(input) - target * input`` (``log_input``), or
    ``input - target * log(input + eps)``; ``full`` adds Stirling's term for ``target > 1``.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.poisson_nll_loss(numtorch.tensor([0.]), numtorch.tensor([2.]))
    tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction='mean'):
    """Gaussian negative log-likelihood ``0.5 * (log(var) + (input - target)**2 / var)``, with
    ``var`` clamped at ``eps`` (value only); ``var`` may miss the last dim or be a float.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.gaussian_nll_loss(numtorch.tensor([1.]), numtorch.tensor([3.]), numtorch.tensor([2.]))
    tensor(1.3466)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError('var has negative entry/entries')
        var = var * input.new_ones(input.shape)
    elif (var._data < 0).any():
        raise ValueError('var has negative entry/entries')
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError('var is of incorrect size')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(reduction + ' is not valid')
    with no_grad():
        fix = var.clamp_min(eps) - var
    var = var + fix          # clamped in value, the gradient still reaches var (as torch)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


__all__ = ['triplet_margin_loss', 'margin_ranking_loss', 'cosine_embedding_loss',
           'hinge_embedding_loss', 'poisson_nll_loss']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
