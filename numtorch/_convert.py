"""Python/NumPy data -> ndarray with torch's dtype inference, and torch's dtype spellings.

Kept apart from ``_tensor.py`` so that file holds the class alone: ``Tensor(...)``,
``numtorch.tensor`` and every op that accepts a Python number come through ``_from_any``.
"""
import numpy as np

from . import _dtype
from ._dtype import get_default_dtype, to_dtype, from_numpy_dtype

Tensor = None   # set by numtorch._tensor (avoids an import cycle)


def _from_any(data, dtype=None):
    """An ndarray (always a new one) from Python data, NumPy data, or tensors, with torch's
    dtype inference: Python floats become the default dtype, ints int64, bools bool."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.array(data)
    else:
        if isinstance(data, (list, tuple)) and data and _has_tensor(data):
            data = _tensors_to_lists(data)
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f'expected sequence of equal-length lists: {e}') from None
        if arr.dtype.kind == 'f':
            # Only without an explicit dtype: tensor([0.1], dtype=float64) must not pass
            # through float32 on the way.
            if dtype is None and arr.dtype != get_default_dtype().np:
                arr = arr.astype(get_default_dtype().np)
        elif arr.dtype.kind in 'iu':
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == 'c':
            arr = arr.astype(np.complex64 if get_default_dtype() is _dtype.float32 else np.complex128)
        elif arr.dtype.kind not in 'b':
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        d = to_dtype(dtype)
        arr = arr.astype(d.np, copy=False) if d.__class__ is _dtype.dtype else \
            _dtype._dtype_ext.cast(arr, d.np)
    else:
        from_numpy_dtype(arr.dtype)
    return arr


def _has_tensor(seq):
    for x in seq:
        if isinstance(x, Tensor):
            return True
        if isinstance(x, (list, tuple)) and x and _has_tensor(x):
            return True
    return False


def _tensors_to_lists(seq):
    out = []
    for x in seq:
        if isinstance(x, Tensor):
            out.append(x._data)
        elif isinstance(x, (list, tuple)):
            out.append(_tensors_to_lists(x))
        else:
            out.append(x)
    return out


from ._dtype import scalar_name as _cap  # noqa: E402


_LEGACY_NAMES = {_dtype.float32: 'FloatTensor', _dtype.float64: 'DoubleTensor',
                 _dtype.float16: 'HalfTensor', _dtype.int64: 'LongTensor',
                 _dtype.int32: 'IntTensor', _dtype.int16: 'ShortTensor', _dtype.int8: 'CharTensor',
                 _dtype.uint8: 'ByteTensor', _dtype.bool_: 'BoolTensor'}
