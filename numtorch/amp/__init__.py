"""``numtorch.amp``: ``autocast`` and ``GradScaler`` with torch's API, so mixed-precision training
scripts run unchanged on the CPU (see ``autocast_mode`` for what autocast does here).

>>> import numtorch
>>> scaler = numtorch.amp.GradScaler(enabled=False)
>>> scaler.is_enabled(), scaler.state_dict()
(False, {})
"""
from . import autocast_mode, grad_scaler
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ['autocast', 'custom_bwd', 'custom_fwd', 'GradScaler', 'is_autocast_available',
           'autocast_mode', 'grad_scaler']
