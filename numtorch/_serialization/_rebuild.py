"""What the allowlisted globals of a checkpoint mean in numtorch, each validating its arguments.

``Rebuilder`` owns one load: it turns persistent ids into storages (through the format reader's
``fetch`` callback, which checks the record's size first) and rebuilds tensors from (storage,
offset, size, stride) after checking that every element lies inside the storage -- so a forged
size or stride is refused before any view or allocation is made.
"""
import collections
import warnings

import numpy as np

from .. import _dtype
from .._device import device
from .._size import Size
from ._errors import UnpicklingError, CheckpointError
from ._storage import STORAGE_TYPES, StorageType

_MAX_DIMS = 64
_MAX_ELEMS = 1 << 62



def _need_ml_dtypes(dt):
    """bfloat16 / float8 storages need ml_dtypes: say so (not "malformed pickle") when absent."""
    if dt.__class__ is not _dtype.dtype:
        try:
            dt.np
        except ImportError as e:
            raise CheckpointError(f'the checkpoint holds {dt} tensors: {e}') from None


class Storage:
    """A loaded storage: a 1-D array of its dtype (``None`` while only metadata is wanted)."""
    __slots__ = ('array', 'dtype', 'numel')

    def __init__(self, array, dtype, numel):
        self.array, self.dtype, self.numel = array, dtype, numel


class _Marker:
    """Stands for a torch class that a pickle may name (torch.Tensor, nn.Parameter)."""
    __slots__ = ('name',)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


TENSOR, PARAMETER = _Marker('torch.Tensor'), _Marker('torch.nn.parameter.Parameter')


def _is_int(x):
    return type(x) is int


def _ints(x, what):
    if type(x) not in (tuple, list, Size) or not all(type(v) is int for v in x):
        raise UnpicklingError(f'tensor {what} must be a tuple of ints, got {x!r:.100}')
    if len(x) > _MAX_DIMS:
        raise UnpicklingError(f'tensor has {len(x)} dimensions (at most {_MAX_DIMS})')
    return tuple(x)


class Rebuilder:
    """Resolves allowlisted globals for one load. ``fetch(key, dtype, numel, location)`` returns
    a 1-D array holding the storage (or None in a metadata-only pass)."""

    def __init__(self, fetch, map_location):
        self.fetch = fetch
        self.map_location = map_location
        self.storages = {}
        self.tensor = None
        self.param = _parameter_class()
        f = self
        allowed = {
            'collections.OrderedDict': f.ordered_dict, 'collections.Counter': f.counter,
            'torch._utils._rebuild_tensor': f.rebuild_tensor,
            'torch._utils._rebuild_tensor_v2': f.rebuild_tensor_v2,
            'torch._utils._rebuild_tensor_v3': f.rebuild_tensor_v3,
            'torch._utils._rebuild_parameter': f.rebuild_parameter,
            'torch._utils._rebuild_parameter_with_state': f.rebuild_parameter_with_state,
            'torch._tensor._rebuild_from_type_v2': f.rebuild_from_type_v2,
            'torch.Tensor': TENSOR, 'torch.nn.parameter.Parameter': PARAMETER,
            'torch.Size': f.size, 'torch.device': f.device,
            '_codecs.encode': f.encode, 'builtins.set': f.set, 'builtins.frozenset': f.frozenset,
            'builtins.complex': f.complex, 'builtins.bytearray': f.bytearray,
        }
        for name, dt in _dtype._BY_NAME.items():
            allowed[f'torch.{name}'] = dt
        allowed.update(STORAGE_TYPES)
        self.allowed = allowed
        self.callables = {id(v) for v in allowed.values() if callable(v) and
                          not isinstance(v, (_Marker, StorageType, _dtype.dtype))}

    def close(self):
        """Break the reference cycle (``allowed`` holds bound methods of self) so the storages
        are freed as soon as the caller drops the loaded tensors, not at the next GC pass."""
        self.allowed = self.callables = None
        self.storages = {}

    # ------------------------------------------------------------------ storages
    def persistent_load(self, pid):
        if len(pid) == 6:   # legacy format: a trailing view_metadata, always None since torch 1.0
            if pid[5] is not None:
                raise UnpicklingError('legacy storage views are not supported')
            pid = pid[:5]
        if len(pid) != 5:
            raise UnpicklingError(f'storage persistent id has {len(pid)} fields, not 5')
        _, stype, key, location, numel = pid
        if type(stype) is not StorageType:
            raise UnpicklingError(f'persistent id names {stype!r:.60}, not a storage type')
        if type(key) is bytes:
            key = key.decode('ascii', 'replace')
        if type(location) is bytes:
            location = location.decode('ascii', 'replace')
        if type(key) is not str or type(location) is not str or not _is_int(numel) or numel < 0:
            raise UnpicklingError(f'malformed storage persistent id {pid!r:.120}')
        self._check_location(location)
        s = self.storages.get(key)
        if s is not None:
            if s.dtype != stype.dtype or s.numel != numel:
                raise UnpicklingError(f'storage {key!r} is referenced with two different types '
                                      'or sizes')
            return s
        dt = stype.dtype
        if dt.__class__ is _dtype.dtype:
            arr = self.fetch(key, dt, numel, location)
        else:   # bfloat16: read the bits as uint16 (ml_dtypes' types cannot be buffer formats)
            _need_ml_dtypes(dt)
            arr = self.fetch(key, _dtype.uint16 if dt.itemsize == 2 else _dtype.uint8, numel,
                             location)
            arr = None if arr is None else arr.view(dt.np)
        s = self.storages[key] = Storage(arr, dt, numel)
        return s

    def _check_location(self, location):
        ml = self.map_location
        if isinstance(ml, dict):
            location = ml.get(location, location)
            ml = None
        elif callable(ml):
            ml = None
            location = 'cpu'   # the callable decides where storages go; all of them are CPU here
        if ml is not None:
            if str(device(ml)) != 'cpu':
                raise CheckpointError(f'map_location={ml!r}: numtorch only has the cpu device')
            return
        if str(location).split(':')[0] != 'cpu':
            raise CheckpointError(
                f"Attempting to deserialize object on a {location!r} device but numtorch has "
                "only the CPU. Use numtorch.load(..., map_location='cpu') to map your storages "
                "to the CPU.")

    # ------------------------------------------------------------------ tensors
    def _view(self, storage, offset, size, stride, dtype=None):
        if type(storage) is not Storage:
            raise UnpicklingError(f'tensor storage is {type(storage).__name__}, not a storage')
        if not _is_int(offset) or offset < 0:
            raise UnpicklingError(f'tensor storage offset {offset!r:.40} is not an int >= 0')
        size, stride = _ints(size, 'size'), _ints(stride, 'stride')
        if len(size) != len(stride):
            raise UnpicklingError(f'tensor size {size} and stride {stride} differ in length')
        numel, last = 1, offset
        for n, s in zip(size, stride):
            if n < 0 or s < 0:
                raise UnpicklingError(f'negative size or stride: size {size}, stride {stride}')
            numel *= n
            last += (n - 1) * s
            if numel > _MAX_ELEMS or last > _MAX_ELEMS:
                raise UnpicklingError(f'tensor of size {size} is impossibly large')
        sdt, snumel, arr = storage.dtype, storage.numel, storage.array
        if dtype is not None:   # _rebuild_tensor_v3: an untyped byte storage read as `dtype`
            if not isinstance(dtype, _dtype.dtype):
                raise UnpicklingError(f'tensor dtype {dtype!r:.40} is not a dtype')
            _need_ml_dtypes(dtype)
            if snumel % dtype.itemsize:
                raise UnpicklingError(f'storage of {snumel} bytes is not a whole number of '
                                      f'{dtype} elements')
            snumel //= dtype.itemsize
            if arr is not None:
                arr = arr.view(dtype.np)
            sdt = dtype
        if numel and last >= snumel:
            raise UnpicklingError(f'tensor (offset {offset}, size {size}, stride {stride}) reads '
                                  f'element {last} of a storage holding {snumel}')
        if arr is None:
            return None
        np_dt = arr.dtype
        if numel == 0:
            return np.empty(size, np_dt)
        it = np_dt.itemsize
        raw = np_dt.kind == 'V'   # ml_dtypes' bfloat16/float8 cannot be a buffer's format: view
        out = np.ndarray(size, f'u{it}' if raw else np_dt,
                         buffer=arr.view(f'u{it}') if raw else arr,
                         offset=offset * it, strides=tuple(s * it for s in stride))
        return out.view(np_dt) if raw else out

    def _tensor(self, arr, requires_grad):
        if arr is None:
            return None
        if type(requires_grad) is not bool:
            raise UnpicklingError('requires_grad must be a bool')
        from .._ops._apply import wrap
        t = wrap(arr)
        if requires_grad:
            t.requires_grad = True   # refuses integer dtypes, as torch does
        return t

    def rebuild_tensor(self, storage, offset, size, stride):
        return self._tensor(self._view(storage, offset, size, stride), False)

    def rebuild_tensor_v2(self, storage, offset, size, stride, requires_grad, hooks,
                          metadata=None):
        return self._tensor(self._view(storage, offset, size, stride), requires_grad)

    def rebuild_tensor_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype,
                          metadata=None):
        return self._tensor(self._view(storage, offset, size, stride, dtype), requires_grad)

    def rebuild_parameter(self, data, requires_grad, hooks):
        if data is None:
            return None
        if not hasattr(data, '_data') or type(requires_grad) is not bool:
            raise UnpicklingError('malformed parameter')
        if self.param is None:
            data.requires_grad = requires_grad
            return data
        return self.param(data, requires_grad)

    def rebuild_parameter_with_state(self, data, requires_grad, hooks, state):
        p = self.rebuild_parameter(data, requires_grad, hooks)
        _set_state(p, state)
        return p

    def rebuild_from_type_v2(self, func, new_type, args, state):
        rebuilders = (self.rebuild_tensor, self.rebuild_tensor_v2, self.rebuild_tensor_v3,
                      self.rebuild_parameter, self.rebuild_parameter_with_state)
        if func not in rebuilders or type(args) is not tuple:
            raise UnpicklingError('_rebuild_from_type_v2 must call a tensor rebuild function')
        if new_type not in (TENSOR, PARAMETER):
            raise UnpicklingError(f'cannot rebuild a tensor of type {new_type!r:.60}')
        t = func(*args)
        if t is None:
            return None
        if new_type is PARAMETER and self.param is not None and not isinstance(t, self.param):
            t = self.param(t, t.requires_grad)
        _set_state(t, state)
        return t

    def newobj(self, cls, args):
        if cls is PARAMETER and 1 <= len(args) <= 2:
            return self.rebuild_parameter(*(args + (True,))[:2], None)
        raise UnpicklingError(f'NEWOBJ of {cls!r:.60} is not allowed')

    def build(self, inst, state):
        if type(inst) is collections.OrderedDict:
            if type(state) is not dict or not all(type(k) is str for k in state):
                raise UnpicklingError('OrderedDict state must be a dict of str keys')
            inst.__dict__.update(state)   # Module.state_dict()'s `_metadata`
        elif hasattr(inst, '_data') or inst is None:
            _set_state(inst, state)
        else:
            raise UnpicklingError(f'BUILD on a {type(inst).__name__} is not allowed')

    # ------------------------------------------------------------------ plain values
    @staticmethod
    def ordered_dict(items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('OrderedDict() takes a list of pairs')
        return collections.OrderedDict(items)

    @staticmethod
    def counter(items=()):
        if type(items) not in (dict, list, tuple):
            raise UnpicklingError('Counter() takes a dict or a list')
        return collections.Counter(items)

    @staticmethod
    def size(dims=()):
        return Size(_ints(dims, 'size'))

    @staticmethod
    def device(kind, index=None):
        if type(kind) is not str or (index is not None and type(index) is not int):
            raise UnpicklingError('torch.device() takes a str and an optional int')
        return device(kind, index)

    @staticmethod
    def encode(s, encoding='utf-8'):
        if type(s) is not str or encoding not in ('latin1', 'latin-1', 'utf-8', 'utf8', 'ascii'):
            raise UnpicklingError('_codecs.encode() only rebuilds bytes from a str')
        return s.encode(encoding)

    @staticmethod
    def set(items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('set() takes a list')
        return set(items)

    @staticmethod
    def frozenset(items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('frozenset() takes a list')
        return frozenset(items)

    @staticmethod
    def complex(real=0.0, imag=0.0):
        if type(real) not in (int, float) or type(imag) not in (int, float):
            raise UnpicklingError('complex() takes two numbers')
        return complex(real, imag)

    @staticmethod
    def bytearray(b=b''):
        if type(b) is not bytes:
            raise UnpicklingError('bytearray() takes bytes')
        return bytearray(b)


def _set_state(obj, state):
    """Python attributes saved with a tensor (``t.foo = 1``): plain names only."""
    if obj is None or state is None or state == {}:
        return
    if type(state) is tuple and len(state) == 2 and type(state[0]) in (dict, type(None)):
        state = dict(state[0] or {}, **(state[1] or {}))   # (dict state, slot state)
    if type(state) is not dict:
        raise UnpicklingError('tensor state must be a dict')
    for k, v in state.items():
        if (type(k) is not str or not k.isidentifier() or k.startswith('_')
                or hasattr(type(obj), k)):
            raise UnpicklingError(f'tensor attribute {k!r:.40} is not allowed')
        obj.__dict__[k] = v


def _parameter_class():
    try:
        from ..nn.parameter import Parameter
    except ImportError:
        return None
    return Parameter
