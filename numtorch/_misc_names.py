"""Small torch-level names everyday scripts touch: math constants, memory formats and layouts
(accepted and ignored: NumPy arrays have one strided layout), interop threads, anomaly mode,
``typename``, ``is_storage``, ``set_default_tensor_type``.
"""
import math
import warnings

__all__ = ['e', 'pi', 'inf', 'nan', 'newaxis', 'memory_format', 'contiguous_format',
           'channels_last', 'channels_last_3d', 'preserve_format', 'layout', 'strided',
           'get_num_interop_threads', 'set_num_interop_threads', 'set_anomaly_enabled',
           'is_anomaly_enabled', 'is_anomaly_check_nan_enabled', 'typename', 'is_storage',
           'set_default_tensor_type', 'is_inference_mode_enabled']

from .autograd.grad_mode import is_inference_mode_enabled  # noqa: E402
from .autograd.anomaly_mode import (set_anomaly_enabled, is_anomaly_enabled,  # noqa: E402
                                    is_anomaly_check_nan_enabled)

e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None


class _Tag:
    """A named module-level constant that prints and pickles as ``torch.<name>``."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return 'torch.' + self._name

    def __reduce__(self):
        return self._name


class memory_format(_Tag):
    """A memory-format tag (``numtorch.channels_last``...). Accepted wherever torch takes one;
    numtorch tensors are NumPy arrays and keep their own (C-contiguous) layout.

    >>> import numtorch
    >>> numtorch.channels_last
    torch.channels_last
    """


contiguous_format = memory_format('contiguous_format')
channels_last = memory_format('channels_last')
channels_last_3d = memory_format('channels_last_3d')
preserve_format = memory_format('preserve_format')


class layout(_Tag):
    """A tensor layout tag; numtorch has only ``numtorch.strided`` (dense).

    >>> import numtorch
    >>> numtorch.strided
    torch.strided
    """


strided = layout('strided')
_interop = [1]


def get_num_interop_threads():
    """The recorded inter-op thread count (numtorch runs ops one after another).

    >>> import numtorch
    >>> numtorch.get_num_interop_threads() >= 1
    True
    """
    return _interop[0]


def set_num_interop_threads(num):
    """Record the inter-op thread count (no effect: numtorch has no inter-op pool).

    >>> import numtorch
    >>> numtorch.set_num_interop_threads(1)
    """
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError('set_num_interop_threads expects a positive integer')
    _interop[0] = num


def typename(obj):
    """torch's type name: ``'torch.FloatTensor'`` for a float32 tensor, else the qualified name.

    >>> import numtorch
    >>> numtorch.typename(numtorch.ones(1)), numtorch.typename(1.0)
    ('torch.FloatTensor', 'float')
    """
    from ._tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, '__module__', '') or ''
    qual = getattr(obj, '__qualname__', None) or type(obj).__qualname__
    if module in ('', 'builtins'):
        return qual
    if module.startswith('numtorch'):
        module = 'torch' + module[len('numtorch'):]
    return module + '.' + qual


def is_storage(obj):
    """True for a storage object (``tensor.untyped_storage()``...).

    >>> import numtorch
    >>> numtorch.is_storage(numtorch.ones(1).untyped_storage()), numtorch.is_storage(1)
    (True, False)
    """
    from . import storage
    return isinstance(obj, tuple(getattr(storage, n) for n in ('UntypedStorage', 'TypedStorage')
                                 if hasattr(storage, n)))


def set_default_tensor_type(t):
    """Deprecated torch API: ``'torch.DoubleTensor'`` (or the class) sets the default dtype.

    >>> import numtorch, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     numtorch.set_default_tensor_type('torch.FloatTensor')
    """
    import numtorch
    warnings.warn('torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use '
                  'torch.set_default_dtype() and torch.set_default_device() as alternatives.',
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, '__name__', str(t))
    name = name.rsplit('.', 1)[-1]
    dts = {'FloatTensor': numtorch.float32, 'DoubleTensor': numtorch.float64,
           'HalfTensor': numtorch.float16}
    if name not in dts:
        raise TypeError('only floating-point types are supported as the default type')
    numtorch.set_default_dtype(dts[name])
