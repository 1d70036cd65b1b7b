"""``autocast``: torch's mixed-precision context, with torch's arguments, checks, warnings and
state (``is_autocast_enabled``, ``get_autocast_dtype``); also a decorator.

Inside ``autocast('cpu')`` (dtype ``bfloat16`` by default, or ``float16``), as torch's CPU
autocast:

* lower-precision ops -- ``linear``, ``matmul``/``@``, ``mm``, ``bmm``, ``addmm``, ``baddbmm``,
  ``addbmm``, ``einsum`` -- cast their float32/float16/bfloat16 tensor inputs to the autocast
  dtype (differentiably: gradients reach float32 leaves as float32) and return that dtype;
  float64 and integer inputs are left alone;
* fp32-policy losses -- ``cross_entropy``, ``nll_loss``, ``mse_loss`` -- cast lower-precision
  inputs to float32 and return float32. (``softmax``, ``log_softmax``, ``layer_norm`` keep
  their input dtype under torch's CPU autocast too.)

Differences from torch: convolutions, ``scaled_dot_product_attention``, ``tensordot`` and the
other fp32-policy ops not listed above keep their inputs' dtype (convolutions and attention
stay float32: numtorch has no bfloat16 kernel for them), so they are more accurate than
torch's there. ``cache_enabled`` is accepted; casts are not cached (same numbers, a cast per
use). The mechanism is ``numtorch._autocast``: each op listed starts with ``if _ac[0]:``, one
list lookup when autocast is off. Non-CPU device types only track state (no such devices here).
"""
import functools
import warnings

from .._device import device as _device_cls
from .._autocast import _ac

__all__ = ['autocast', 'is_autocast_available', 'custom_fwd', 'custom_bwd']

# per device type: [enabled, dtype]; the dtypes are torch's defaults
_DEFAULT_DTYPE = {'cpu': 'bfloat16', 'cuda': 'float16', 'mps': 'float16', 'xpu': 'float16'}
_state = {'cpu': _ac}   # the CPU entry is the list the ops read: updated in place
_KNOWN = ('cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, '
          'vulkan, mps, meta, hpu, mtia, privateuseone')


def _check_type(device_type):
    if device_type not in _KNOWN.split(', '):
        raise RuntimeError(f'Expected one of {_KNOWN} device type at start of device string: '
                           f'{device_type}')


def _dtype_named(name):
    from .. import _dtype
    return getattr(_dtype, name, None) or getattr(_dtype, 'float16')


def _get(device_type):
    _check_type(device_type)
    st = _state.get(device_type)
    if st is None:
        st = _state[device_type] = [False, None]
    if st[1] is None:
        st[1] = _dtype_named(_DEFAULT_DTYPE.get(device_type, 'float16'))
    return st


def is_autocast_available(device_type):
    """Whether autocast is usable for ``device_type`` (``'cpu'`` always).

    >>> import numtorch
    >>> numtorch.amp.is_autocast_available('cpu')
    True
    """
    _check_type(device_type)
    return device_type in ('cpu', 'cuda', 'mps', 'xpu')


def is_autocast_enabled(device_type=None):
    """Whether an ``autocast`` region for ``device_type`` (default ``'cuda'``) is active.

    >>> import numtorch
    >>> with numtorch.autocast('cpu'):
    ...     numtorch.is_autocast_enabled('cpu')
    True
    """
    return _get('cuda' if device_type is None else device_type)[0]


def get_autocast_dtype(device_type):
    """The dtype an ``autocast`` region for ``device_type`` declares (torch's default:
    bfloat16 on CPU where numtorch has it, else float16)."""
    return _get(device_type)[1]


class autocast:
    """``with autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` — also a
    decorator. On the CPU, matrix products inside run in the autocast dtype (see the module).

    >>> import numtorch
    >>> x = numtorch.ones(2, 2)
    >>> with numtorch.autocast('cpu'):
    ...     (x @ x).dtype
    torch.bfloat16
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            kind = "<class 'torch.device'>" if isinstance(device_type, _device_cls) else \
                type(device_type)
            raise ValueError(f'Expected `device_type` of type `str`, got: `{kind}`')
        _check_type(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if device_type == 'cuda' and enabled:
            warnings.warn('CUDA is not available or torch_xla is imported. Disabling autocast.',
                          stacklevel=2)
            enabled = False
        if device_type == 'cpu' and enabled and \
                self.fast_dtype not in (_dtype_named('bfloat16'), _dtype_named('float16')):
            warnings.warn('In CPU autocast, but the target dtype is not supported. Disabling '
                          'autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, '
                          'torch.float16 currently.', stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        st = _get(self.device)
        self._prev = list(st)
        st[0] = self._enabled
        st[1] = self.fast_dtype
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _get(self.device)[:] = self._prev   # in place: ops hold this very list
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self.__class__(self.device, self.fast_dtype, self._enabled,
                                self._cache_enabled):
                return func(*args, **kwargs)
        return decorate_autocast


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom ``autograd.Function.forward`` under autocast; numtorch runs
    ``forward`` as written (``cast_inputs`` is not applied)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom ``autograd.Function.backward`` under autocast (runs it as is)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd

