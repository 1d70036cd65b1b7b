"""``CosineSimilarity`` and ``PairwiseDistance`` layers."""
from ..._ops.nn import distance as _dist
from .module import Module


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dim.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.PairwiseDistance()(numtorch.zeros(2, 3), numtorch.ones(2, 3)).shape
    torch.Size([2])
    """

    def __init__(self, p=2.0, eps=1e-06, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return _dist.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.CosineSimilarity()(numtorch.ones(2, 3), numtorch.ones(2, 3)).shape
    torch.Size([2])
    """

    def __init__(self, dim=1, eps=1e-08):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return _dist.cosine_similarity(x1, x2, self.dim, self.eps)
