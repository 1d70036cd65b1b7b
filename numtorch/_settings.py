"""Process-wide switches real scripts set at the top: float32 matmul precision, deterministic
algorithms, the default device. numtorch's kernels are NumPy's (full float32 matmuls, and
deterministic for a given BLAS), so the switches are recorded and reported back, with torch's
argument checks, and do not change results.
"""
import warnings

from ._device import device as _device, check_device

__all__ = ['set_float32_matmul_precision', 'get_float32_matmul_precision',
           'use_deterministic_algorithms', 'are_deterministic_algorithms_enabled',
           'is_deterministic_algorithms_warn_only_enabled', 'set_deterministic_debug_mode',
           'get_deterministic_debug_mode', 'set_default_device', 'get_default_device']

_state = {'matmul_precision': 'highest', 'deterministic': False, 'warn_only': False,
          'default_device': None}


def set_float32_matmul_precision(precision):
    """Record ``'highest'``, ``'high'`` or ``'medium'`` (numtorch always multiplies in full
    float32, i.e. ``'highest'``); anything else warns and is ignored, as in torch.

    >>> import numtorch
    >>> numtorch.set_float32_matmul_precision('high')
    >>> numtorch.get_float32_matmul_precision()
    'high'
    >>> numtorch.set_float32_matmul_precision('highest')
    """
    if not isinstance(precision, str):
        raise RuntimeError(f'set_float32_matmul_precision expects a str, but got '
                           f'{type(precision).__name__}')
    if precision not in ('highest', 'high', 'medium'):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      'setFloat32MatmulPrecision call has no effect.', stacklevel=2)
        return
    _state['matmul_precision'] = precision


def get_float32_matmul_precision():
    """The value last given to ``set_float32_matmul_precision`` (default ``'highest'``)."""
    return _state['matmul_precision']


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the deterministic-algorithms switch (numtorch's ops are deterministic already).

    >>> import numtorch
    >>> numtorch.use_deterministic_algorithms(True)
    >>> numtorch.are_deterministic_algorithms_enabled()
    True
    >>> numtorch.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f'bool, not {type(mode).__name__}')
    if not isinstance(warn_only, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f'not {type(warn_only).__name__}')
    _state['deterministic'] = mode
    _state['warn_only'] = warn_only


def are_deterministic_algorithms_enabled():
    """Whether ``use_deterministic_algorithms(True)`` is in effect."""
    return _state['deterministic']


def is_deterministic_algorithms_warn_only_enabled():
    """Whether it was set with ``warn_only=True``."""
    return _state['warn_only']


def set_deterministic_debug_mode(debug_mode):
    """torch's int/str form of ``use_deterministic_algorithms``: 0/'default', 1/'warn',
    2/'error'."""
    names = {'default': 0, 'warn': 1, 'error': 2}
    if isinstance(debug_mode, str):
        if debug_mode not in names:
            raise RuntimeError('invalid value of debug_mode, expected one of `default`, `warn`, '
                               f'`error`, but got {debug_mode}')
        debug_mode = names[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError('invalid value of debug_mode, expected 0, 1, or 2, but got '
                           f'{debug_mode}')
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0 (off), 1 (warn only) or 2 (on)."""
    if not _state['deterministic']:
        return 0
    return 1 if _state['warn_only'] else 2


def set_default_device(device):
    """Set the device the factories (``zeros``, ``tensor``, ``arange``, ...) build on when no
    ``device=`` is given; ``'cuda'`` needs CUDA (torch's error without it), ``None`` resets.

    >>> import numtorch
    >>> numtorch.set_default_device('cpu'); numtorch.get_default_device()
    device(type='cpu')
    >>> numtorch.set_default_device(None)
    """
    _state['default_device'] = None if device is None else check_device(device)


def get_default_device():
    """The default device for new tensors: ``device(type='cpu')``."""
    return _state['default_device'] or _device('cpu')
