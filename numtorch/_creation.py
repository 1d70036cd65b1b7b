"""Creation ops: ``tensor``, ``zeros``, ``ones``, ``arange``, ... with torch's signatures."""
import numpy as np

from ._backend import xp, to_device, backend_for
from . import _settings
from ._dtype import get_default_dtype, to_dtype
from ._device import check_device
from ._tensor import Tensor
from ._convert import _from_any
from ._ops._apply import wrap
from ._dtype_ext import is_float


def _default_device(device):
    """``device``, or the one ``numtorch.set_default_device`` chose (None: the CPU)."""
    return _settings._state['default_device'] if device is None else device


def _on(device):
    """The namespace that creates arrays on ``device`` (NumPy for the CPU)."""
    if device is None:
        return xp
    dev = check_device(device)
    return xp if dev.type == 'cpu' else backend_for(dev).xp


def _finish(data, requires_grad, device=None):
    if device is not None:   # host-built data (from Python values) crosses here, once
        data = to_device(data, check_device(device))
    t = wrap(data)
    if requires_grad:
        if not is_float(data.dtype):   # factories word it differently from requires_grad_()
            raise RuntimeError('Only Tensors of floating point and complex dtype can require '
                               'gradients')
        t._requires_grad = True
    return t


def _size(size, kwargs):
    if 'size' in kwargs:
        size = (kwargs.pop('size'),)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _dt(dtype):
    return (get_default_dtype() if dtype is None else to_dtype(dtype)).np


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor copying ``data`` (nested lists, numbers, NumPy arrays, tensors).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    """
    device = _default_device(device)
    return _finish(_from_any(data, dtype), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no cast is needed."""
    if isinstance(data, Tensor):
        if device is not None:
            data = data.to(device)
        return data if dtype is None or to_dtype(dtype).np == data._data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).np == data.dtype):
        t = from_numpy(data)
        return t if device is None else t.to(device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``.

    >>> import numpy as np, numtorch
    >>> a = np.zeros(2); t = numtorch.from_numpy(a); a[0] = 5; t
    tensor([5., 0.], dtype=torch.float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f'expected np.ndarray (got {type(ndarray).__name__})')
    from ._dtype import from_numpy_dtype
    from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray)


def zeros(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    device = _default_device(device)
    return _finish(_on(device).zeros(_size(size, kwargs), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of ones."""
    device = _default_device(device)
    return _finish(_on(device).ones(_size(size, kwargs), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """An uninitialized tensor (zeros here: NumPy's empty would leak old memory into prints)."""
    device = _default_device(device)
    return _finish(_on(device).zeros(_size(size, kwargs), _dt(dtype)), requires_grad, device)


def _infer_fill(value):
    if isinstance(value, bool):
        return xp.bool_
    if isinstance(value, int):
        return xp.int64
    if isinstance(value, complex):
        return xp.complex64
    return get_default_dtype().np


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value``; its dtype follows the value as in torch."""
    device = _default_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _infer_fill(fill_value) if dtype is None else to_dtype(dtype).np
    return _finish(_on(device).full(_size((size,), {}), fill_value, dt), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """An identity matrix."""
    device = _default_device(device)
    return _finish(_on(device).eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``arange(end)``, ``arange(start, end, step)``; int64 unless a bound is a float.

    >>> import numtorch
    >>> numtorch.arange(4)
    tensor([0, 1, 2, 3])
    """
    device = _default_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dt = np.dtype(np.int64) if all(isinstance(v, int) for v in vals) else get_default_dtype().np
    else:
        dt = to_dtype(dtype).np
    if vals[2] == 0:
        raise RuntimeError('step must be nonzero')
    # torch computes the length as ceil((end - start) / step) in double precision
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    ns = _on(device)
    data = (vals[0] + ns.arange(max(n, 0), dtype=np.float64 if dt.kind == 'f' else np.int64) * vals[2]).astype(dt)
    return _finish(data, requires_grad, device)


def _fma(a, b, c):
    """``a * b + c`` rounded once (a fused multiply-add, as torch's compiled kernels do), in
    float64 arrays: the product's rounding error is recovered exactly (Dekker's two-product)."""
    p = a * b
    split = 134217729.0   # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    bh = b * split
    bh = bh - (bh - b)
    err = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)
    s = p + c
    bb = s - p
    return s + ((p - (s - bb)) + (c - bb) + err)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, bit for bit torch's.

    >>> import numtorch
    >>> numtorch.linspace(-1, 1, 20)[5].item()
    -0.4736841917037964
    """
    device = _default_device(device)
    steps = int(steps)
    if steps < 0:
        raise RuntimeError('number of steps must be non-negative')
    np_dt = _dt(dtype)
    if np_dt.kind == 'c' or steps <= 1:
        return _finish(xp.linspace(start, end, steps).astype(np_dt), requires_grad, device)
    start, end = (v.item() if hasattr(v, 'item') else v for v in (start, end))
    # torch's formula: the first half steps up from ``start``, the second half down from
    # ``end`` (so both ends are exact), each value one fused multiply-add; integer dtypes step
    # in float64 and truncate. Computed in float64 then rounded once to float32.
    s = float(xp.asarray(start).astype(np_dt))
    e = float(xp.asarray(end).astype(np_dt))
    if np_dt.kind == 'f' and np_dt.itemsize < 8:
        step = float(xp.float32((xp.float32(e) - xp.float32(s)) / xp.float32((steps - 1))))
    else:
        step = (e - s) / (steps - 1)
    i = xp.arange(steps, dtype=xp.float64)
    half = steps // 2
    out = xp.concatenate([_fma(xp.full(half, step), i[:half], xp.full(half, s)),
                          _fma(xp.full(steps - half, -step), steps - 1 - i[half:],
                               xp.full(steps - half, e))])
    if np_dt.kind in 'iu':
        out = xp.trunc(out)
    return _finish(out.astype(np_dt), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    device = _default_device(device)
    return _finish(_on(device).logspace(start, end, int(steps), base=base).astype(_dt(dtype)),
                   requires_grad, device)


def _like(input, dtype):
    return input._data.dtype if dtype is None else to_dtype(dtype).np


def _like_device(input, device):
    return input.device if device is None and input._data.__class__ is not np.ndarray else device


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    device = _like_device(input, device)
    return _finish(_on(device).zeros(input._data.shape, _like(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    device = _like_device(input, device)
    return _finish(_on(device).ones(input._data.shape, _like(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    device = _like_device(input, device)
    return _finish(_on(device).full(input._data.shape, fill_value, _like(input, dtype)), requires_grad, device)


def is_tensor(obj):
    """True for numtorch tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def numel(input):
    return input._data.size


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing memory with an object exposing the buffer protocol (``bytes``,
    ``bytearray``, ``array.array``, ``memoryview``...); torch warns when it is read-only.

    >>> import numtorch
    >>> numtorch.frombuffer(bytearray(b'\\x01\\x00\\x02\\x00'), dtype=numtorch.int16)
    tensor([1, 2], dtype=torch.int16)
    """
    import warnings
    mv = memoryview(buffer)
    nbytes = mv.nbytes
    item = to_dtype(dtype).np.itemsize
    if offset < 0 or offset >= nbytes:
        raise ValueError(f'offset ({offset} bytes) must be non-negative and no greater than '
                         f'buffer length ({nbytes} bytes) minus 1')
    if count == 0 or count < -1:
        raise ValueError(f'expected count to be -1 or a positive number, but got {count}')
    if count < 0:
        if (nbytes - offset) % item:
            raise ValueError(f'buffer length ({nbytes - offset} bytes) after offset ({offset} '
                             f'bytes) must be a multiple of element size ({item})')
        count = (nbytes - offset) // item
    elif offset + count * item > nbytes:
        raise ValueError(f'requested buffer length ({count} * {item} bytes) after offset '
                         f'({offset} bytes) must not be greater than actual buffer length '
                         f'({nbytes} bytes)')
    if mv.readonly:
        warnings.warn('The given buffer is not writable, and PyTorch does not support '
                      'non-writable tensors. This means you can write to the underlying '
                      '(supposedly non-writable) buffer using the tensor. You may want to copy the '
                      'buffer to protect its data or make it writable before converting it to a '
                      'tensor. This type of warning will be suppressed for the rest of this '
                      'program.', UserWarning, stacklevel=2)
    arr = xp.frombuffer(buffer, dtype=dtype.np if hasattr(dtype, 'np') else dtype, count=count,
                        offset=offset)
    t = wrap(arr)
    return t.requires_grad_() if requires_grad else t


__all__ = ['tensor', 'as_tensor', 'asarray', 'from_numpy', 'zeros', 'ones', 'empty', 'full', 'eye',
           'arange', 'linspace', 'logspace', 'zeros_like', 'ones_like', 'empty_like', 'full_like',
           'is_tensor', 'numel', 'frombuffer']
