"""Differentiable collectives (torch's ``torch.distributed.nn.functional``).

``all_reduce`` with SUM: every rank's output is the sum of every rank's input, so the gradient of
one rank's input is the sum over ranks of the gradients arriving at their outputs: backward is
the same all-reduce, of the incoming gradients. ``SyncBatchNorm`` builds on it.
"""
from ...autograd.function import Function
from .. import _collectives as _coll


class _AllReduceSum(Function):
    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        out = tensor.clone()
        _coll.all_reduce(out, _coll.ReduceOp.SUM, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        _coll.all_reduce(grad, _coll.ReduceOp.SUM, group=ctx.group)
        return grad, None


def all_reduce(tensor, op=_coll.ReduceOp.SUM, group=None):
    """Out-of-place, differentiable ``all_reduce`` (SUM only).

    >>> import numtorch.distributed.nn.functional as F
    >>> F.all_reduce.__name__
    'all_reduce'
    """
    if _coll.RedOpType(op) != _coll.RedOpType.SUM:
        raise NotImplementedError('numtorch.distributed.nn.functional.all_reduce: only '
                                  'ReduceOp.SUM is differentiable here')
    return _AllReduceSum.apply(tensor, group)
