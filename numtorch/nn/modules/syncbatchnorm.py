"""``SyncBatchNorm``: batch normalization whose statistics cover the batch of every rank.

In training, with a process group of more than one rank, the per-channel sums (and the sample
count) and then the sums of squared deviations are all-reduced, so every rank normalizes with the
mean and (biased) variance of the global batch: N ranks with per-rank batch B compute what one
BatchNorm computes on the N*B batch. The layer is a composition of differentiable ops and the
differentiable ``all_reduce`` (whose backward all-reduces the incoming gradients), so autograd
gives the exact gradient of the global-batch normalization. Otherwise it is a ``_BatchNorm``.
"""
from ... import _creation
from ..._ops.shape.join import cat
from ...autograd import grad_mode
from .batchnorm import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Batch norm over ``(N, C, *)`` with statistics synchronized across ``process_group``.

    >>> from numtorch import nn
    >>> nn.SyncBatchNorm(4)
    SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f'expected at least 2D input (got {input.dim()}D input)')

    def _group(self):
        from ... import distributed as dist
        if not self.training or not dist.is_initialized():
            return None
        group = self.process_group if self.process_group is not None else dist.group.WORLD
        return group if group.size() > 1 and group.comm is not None else None

    def forward(self, input):
        self._check_input_dim(input)
        group = self._group()
        if group is None:
            return super().forward(input)
        from ...distributed.nn.functional import all_reduce
        c = input.shape[1]
        dims = [0] + list(range(2, input.dim()))
        shape = [1, c] + [1] * (input.dim() - 2)
        local_n = input.numel() // max(c, 1)
        count = _creation.full((1,), float(local_n), dtype=input.dtype, device=input.device)
        # Two passes (sum, then squared deviations from the global mean), as accurate as the
        # single-process batch norm; the count rides along with the first sums.
        stats = all_reduce(_cat(input.sum(dims), count), group=group)
        n = float(stats[c])
        mean = stats[:c] / n
        centered = input - mean.reshape(shape)
        var = all_reduce((centered * centered).sum(dims), group=group) / n
        out = centered / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        if self.track_running_stats:
            self._update_running(mean, var, n)
        return out

    def _update_running(self, mean, var, n):
        with grad_mode.no_grad():
            self.num_batches_tracked.add_(1)
            if self.momentum is None:   # cumulative moving average
                f = 1.0 / float(self.num_batches_tracked)
            else:
                f = self.momentum
            unbiased = var.detach() * (n / (n - 1)) if n > 1 else var.detach()
            self.running_mean.mul_(1 - f).add_(mean.detach() * f)
            self.running_var.mul_(1 - f).add_(unbiased * f)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every ``BatchNorm*d`` replaced by a ``SyncBatchNorm`` sharing its
        parameters and running statistics.

        >>> from numtorch import nn
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        >>> nn.SyncBatchNorm.convert_sync_batchnorm(net)[1]
        SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        """
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                with grad_mode.no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, 'qconfig'):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


def _cat(a, b):
    return cat([a, b])
