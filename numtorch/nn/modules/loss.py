"""Loss modules: thin wrappers over ``nn.functional`` keeping torch's attributes (``reduction``,
``ignore_index``, ...) and buffers (``weight``, ``pos_weight`` are in the state_dict, as torch)."""
from ..._ops import loss as _loss
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
