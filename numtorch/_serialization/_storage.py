"""Storages: how a tensor's memory maps to torch's (storage, offset, size, stride) and back.

A numtorch tensor's storage is the memory of the root ndarray reached by walking ``_data.base``
(the array that owns the memory); tensors saved together whose roots are the same object share
one storage record, so views stay views after loading, in numtorch and in torch.
"""
import numpy as np

from .. import _dtype

# torch's legacy typed-storage class for each dtype (what torch.save writes in the pickle).
STORAGE_NAMES = {
    'float32': 'FloatStorage', 'float64': 'DoubleStorage', 'float16': 'HalfStorage',
    'int64': 'LongStorage', 'int32': 'IntStorage', 'int16': 'ShortStorage', 'int8': 'CharStorage',
    'uint8': 'ByteStorage', 'bool': 'BoolStorage', 'complex64': 'ComplexFloatStorage',
    'complex128': 'ComplexDoubleStorage', 'bfloat16': 'BFloat16Storage',
}
# torch >= 2.3 writes the unsigned types beyond uint8 as an UntypedStorage + _rebuild_tensor_v3.
# So are the float8 dtypes (which have no typed-storage class).
UNTYPED_DTYPES = ('uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz',
                  'float8_e5m2fnuz', 'float8_e8m0fnu')


class StorageType:
    """What a storage-class global (``torch.FloatStorage``) unpickles to: a dtype marker."""
    __slots__ = ('name', 'dtype')

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f'torch.{self.name}'


STORAGE_TYPES = {f'torch.{name}': StorageType(name, _dtype._BY_NAME[dt])
                 for dt, name in STORAGE_NAMES.items()}
STORAGE_TYPES['torch.UntypedStorage'] = STORAGE_TYPES['torch.storage.UntypedStorage'] = \
    StorageType('UntypedStorage', _dtype.uint8)


def _root(a):
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _byte_bounds(a):
    lo = hi = a.__array_interface__['data'][0]
    for n, s in zip(a.shape, a.strides):
        if s > 0:
            hi += (n - 1) * s
        else:
            lo += (n - 1) * s
    return lo, hi + a.itemsize


class StorageTable:
    """Collects the storages of the tensors in one ``save`` call, keyed '0', '1', ... in order."""

    def __init__(self):
        self.keys = {}      # id(root array) -> key
        self.roots = []     # keep roots alive so ids stay unique during the save
        self.data = []      # key order: a 1-D array whose bytes are the storage
        self.dtypes = []

    def locate(self, arr):
        """``(key, numel, offset, stride)`` of ``arr`` in its storage, adding the storage if new."""
        item = arr.itemsize
        if arr.size == 0:
            return self._empty(arr)
        root = _root(arr)
        strides = arr.strides
        if any(s < 0 or s % item for s in strides):
            return self._copy(arr)   # negative / odd strides: torch has no such view; save a copy
        lo, hi = _byte_bounds(root)
        whole = root.flags.c_contiguous or root.flags.f_contiguous
        if not whole or (hi - lo) % item:
            return self._copy(arr)
        key = self.keys.get(id(root))
        if key is None:
            key = self._add(root, np.ndarray((hi - lo) // item, arr.dtype,
                                             buffer=root.reshape(-1, order='A').view(np.uint8)))
            self.keys[id(root)] = key
        k = int(key)
        if self.dtypes[k] != arr.dtype:
            raise RuntimeError('Cannot save multiple tensors or storages that view the same data '
                               'as different types')
        off = arr.__array_interface__['data'][0] - lo
        if off % item:
            return self._copy(arr)
        return key, self.data[k].size, off // item, tuple(s // item for s in strides)

    def _add(self, root, flat):
        key = str(len(self.data))
        self.roots.append(root)
        self.data.append(flat)
        self.dtypes.append(flat.dtype)
        return key

    def _copy(self, arr):
        c = arr.copy()   # C order (np.ascontiguousarray would make a 0-dim array 1-dim)
        key = self._add(c, c.reshape(-1))
        return key, c.size, 0, tuple(s // c.itemsize for s in c.strides)

    def _empty(self, arr):
        key = self._add(None, np.empty(0, arr.dtype))
        st, acc = [], 1
        for n in reversed(arr.shape):
            st.append(acc)
            acc *= max(n, 1)
        return key, 0, 0, tuple(reversed(st))
