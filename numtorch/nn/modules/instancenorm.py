"""``InstanceNorm1d/2d/3d``: per-sample, per-channel normalization (torch's defaults: no affine
map, no running statistics); parameters and buffers named as BatchNorm's, as torch's are."""
import warnings

from ..._ops.nn import norm as _fnorm
from .batchnorm import _BatchNorm


class _InstanceNorm(_BatchNorm):
    _no_batch_dim = None    # the input rank without the batch dim

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def _check_input_dim(self, input):
        nd = self._no_batch_dim
        if input.dim() not in (nd, nd + 1):
            raise ValueError(f'expected {nd}D or {nd + 1}D input (got {input.dim()}D input)')

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # Pre-0.4 checkpoints carry running stats that an untracked InstanceNorm has no place
        # for: torch reports them and drops them.
        version = local_metadata.get('version', None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ('running_mean', 'running_var') if prefix + n in state_dict]
            if keys:
                klass = type(self).__name__
                error_msgs.append(
                    'Unexpected running stats buffer(s) {names} for {klass} with '
                    'track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0, '
                    'this may be expected because {klass} does not track running stats by '
                    'default since 0.4.0. Please remove these keys from state_dict. If the '
                    'running stats are actually needed, instead set track_running_stats=True in '
                    '{klass} to enable them. See the documentation of {klass} for details.'.format(
                        names=' and '.join(f'"{k}"' for k in keys), klass=klass))
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def _apply_instance_norm(self, input):
        return _fnorm.instance_norm(input, self.running_mean, self.running_var, self.weight,
                                    self.bias, self.training or not self.track_running_stats,
                                    self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        fdim = input.dim() - self._no_batch_dim
        if input.shape[fdim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={fdim} to match num_features "
                                 f'({self.num_features}), but got: {input.shape[fdim]}.')
            warnings.warn(f"input's size at dim={fdim} does not match num_features. You can "
                          'silence this warning by not passing in num_features, which is not '
                          'used because affine=False', stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over ``(N, C, L)`` or ``(C, L)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.InstanceNorm1d(3)
    InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over ``(N, C, H, W)`` or ``(C, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.InstanceNorm2d(3, affine=True)(numtorch.randn(2, 3, 4, 4)).shape
    torch.Size([2, 3, 4, 4])
    """
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.InstanceNorm3d(2)(numtorch.randn(1, 2, 3, 3, 3)).shape
    torch.Size([1, 2, 3, 3, 3])
    """
    _no_batch_dim = 4
