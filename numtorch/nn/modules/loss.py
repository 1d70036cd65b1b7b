"""Loss modules: thin wrappers over ``nn.functional`` keeping torch's attributes (``reduction``,
``ignore_index``, ...) and buffers (``weight``, ``pos_weight`` are in the state_dict, as torch)."""
from ..._ops.nn import losses as _loss
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction='mean'):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _loss._reduction(reduction, size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer('weight', weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy between logits and class indices or class probabilities.

    >>> import numtorch
    >>> from numtorch import nn
    >>> loss = nn.CrossEntropyLoss()
    >>> loss(numtorch.tensor([[2., 0.], [0., 2.]]), numtorch.tensor([0, 1]))
    tensor(0.1269)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction='mean', label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return _loss.cross_entropy(input, target, weight=self.weight,
                                   ignore_index=self.ignore_index, reduction=self.reduction,
                                   label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.NLLLoss()(numtorch.tensor([[-1., -2.]]), numtorch.tensor([1]))
    tensor(2.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction='mean'):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return _loss.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                              reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MSELoss()(numtorch.tensor([1., 2.]), numtorch.tensor([0., 0.]))
    tensor(2.5000)
    """

    def forward(self, input, target):
        return _loss.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.L1Loss()(numtorch.tensor([1., -2.]), numtorch.tensor([0., 0.]))
    tensor(1.5000)
    """

    def forward(self, input, target):
        return _loss.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.SmoothL1Loss()(numtorch.tensor([0.5, 3.]), numtorch.tensor([0., 0.]))
    tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction='mean', beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return _loss.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below ``delta``, ``delta``-scaled absolute error above.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.HuberLoss(delta=2.0)(numtorch.tensor([3.]), numtorch.tensor([0.]))
    tensor(4.)
    """

    def __init__(self, reduction='mean', delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return _loss.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.BCELoss()(numtorch.tensor([0.8, 0.2]), numtorch.tensor([1., 0.]))
    tensor(0.2231)
    """

    def forward(self, input, target):
        return _loss.binary_cross_entropy(input, target, weight=self.weight,
                                          reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy, numerically stable; optional ``pos_weight`` per class.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.BCEWithLogitsLoss()(numtorch.tensor([0.]), numtorch.tensor([1.]))
    tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction='mean',
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer('weight', weight)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, input, target):
        return _loss.binary_cross_entropy_with_logits(input, target, self.weight,
                                                      pos_weight=self.pos_weight,
                                                      reduction=self.reduction)


class KLDivLoss(_Loss):
    """KL divergence; ``input`` holds log-probabilities (``log_target`` for the target too).

    >>> import numtorch
    >>> from numtorch import nn
    >>> p = numtorch.tensor([[0.5, 0.5]])
    >>> nn.KLDivLoss(reduction='batchmean')(p.log(), p)
    tensor(0.)
    """

    def __init__(self, size_average=None, reduce=None, reduction='mean', log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return _loss.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


# ----------------------------------------------------------------- margin / embedding losses

from ..._ops.nn import losses_margin as _lm  # noqa: E402


class TripletMarginLoss(_Loss):
    """Triplet loss with the p-norm distance.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.TripletMarginLoss(margin=2.0)(numtorch.zeros(1, 2), numtorch.zeros(1, 2),
    ...                                  numtorch.ones(1, 2))
    tensor(0.5858)
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-06, swap=False, size_average=None, reduce=None,
                 reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f'TripletMarginLoss: expected margin to be greater than 0, got '
                             f'{margin} instead')
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return _lm.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                       eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss with any distance function (default ``PairwiseDistance()``).

    >>> from numtorch import nn
    >>> nn.TripletMarginWithDistanceLoss()
    TripletMarginWithDistanceLoss(
      (distance_function): PairwiseDistance()
    )
    """

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction='mean'):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f'TripletMarginWithDistanceLoss: expected margin to be greater '
                             f'than 0, got {margin} instead')
        from .distance import PairwiseDistance
        self.distance_function = distance_function if distance_function is not None \
            else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return _lm.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y * (x1 - x2) + margin)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MarginRankingLoss()(numtorch.tensor([1., 2.]), numtorch.tensor([2., 1.]),
    ...                        numtorch.tensor([1., 1.]))
    tensor(0.5000)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _lm.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos`` for similar pairs (y = 1), ``max(0, cos - margin)`` for dissimilar (y = -1).

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.CosineEmbeddingLoss()(numtorch.tensor([[1., 0.]]), numtorch.tensor([[0., 1.]]),
    ...                          numtorch.tensor([1.]))
    tensor(1.)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _lm.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                         reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for y = 1, ``max(0, margin - x)`` for y = -1.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.HingeEmbeddingLoss()(numtorch.tensor([0.3, 2.]), numtorch.tensor([1., -1.]))
    tensor(0.1500)
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return _lm.hinge_embedding_loss(input, target, margin=self.margin,
                                        reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y * x))``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.SoftMarginLoss()(numtorch.tensor([0.]), numtorch.tensor([1.]))
    tensor(0.6931)
    """

    def forward(self, input, target):
        return _lm.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss averaged over classes.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MultiLabelSoftMarginLoss()(numtorch.tensor([[0., 0.]]), numtorch.tensor([[1., 0.]]))
    tensor(0.6931)
    """

    def forward(self, input, target):
        return _lm.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                               reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MultiMarginLoss()(numtorch.tensor([[0.1, 0.2, 0.4, 0.8]]), numtorch.tensor([3]))
    tensor(0.3250)
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction='mean'):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError('only p == 1 and p == 2 supported')
        if weight is not None and weight.dim() != 1:
            raise ValueError(f'MultiMarginLoss: expected weight to be None or 1D tensor, got '
                             f'{weight.dim()}D instead')
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return _lm.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                     weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss over the -1-terminated class lists in ``target``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MultiLabelMarginLoss()(numtorch.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                           numtorch.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """

    def forward(self, input, target):
        return _lm.multilabel_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.PoissonNLLLoss()(numtorch.tensor([0.]), numtorch.tensor([2.]))
    tensor(1.)
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None,
                 reduction='mean'):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return _lm.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                    eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.GaussianNLLLoss()(numtorch.tensor([1.]), numtorch.tensor([3.]), numtorch.tensor([2.]))
    tensor(1.3466)
    """

    def __init__(self, *, full=False, eps=1e-06, reduction='mean'):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return _lm.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                     reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss over ``(T, N, C)`` log-probabilities.

    >>> import numtorch
    >>> from numtorch import nn
    >>> lp = numtorch.zeros(3, 1, 2).log_softmax(2)
    >>> nn.CTCLoss(reduction='sum')(lp, numtorch.tensor([[1]]), [3], [1])
    tensor(0.2877)
    """

    def __init__(self, blank=0, reduction='mean', zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        from ..._ops.nn.losses_ctc import ctc_loss
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
