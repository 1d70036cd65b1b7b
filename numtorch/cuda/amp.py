"""``numtorch.cuda.amp``: torch's deprecated CUDA spellings of ``autocast`` and ``GradScaler``.
They warn as torch does (FutureWarning), and, there being no CUDA, both come out disabled
with torch's UserWarning."""
import functools
import warnings

from ..amp import autocast_mode as _autocast_mode
from ..amp import grad_scaler as _grad_scaler
from ..amp.autocast_mode import custom_bwd as _custom_bwd, custom_fwd as _custom_fwd

__all__ = ['autocast', 'GradScaler', 'custom_fwd', 'custom_bwd']


class autocast(_autocast_mode.autocast):
    """``torch.cuda.amp.autocast(args...)``: ``torch.amp.autocast('cuda', args...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        from .. import float16
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__('cuda', dtype=float16 if dtype is None else dtype, enabled=enabled,
                         cache_enabled=cache_enabled)


class GradScaler(_grad_scaler.GradScaler):
    """``torch.cuda.amp.GradScaler(args...)``: ``torch.amp.GradScaler('cuda', args...)``,
    disabled here (no CUDA), with torch's two warnings.

    >>> import numtorch, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     numtorch.cuda.amp.GradScaler().is_enabled()
    False
    """

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__('cuda', init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated alias of ``numtorch.amp.custom_fwd(device_type='cuda')``."""
    return _custom_fwd(fwd, device_type='cuda', cast_inputs=cast_inputs)


def custom_bwd(bwd=None):
    """Deprecated alias of ``numtorch.amp.custom_bwd(device_type='cuda')``."""
    return _custom_bwd(bwd, device_type='cuda')


del functools
