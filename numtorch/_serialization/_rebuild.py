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
from ._errors import UnpicklingError, CheckpointError, short
from ._storage import STORAGE_TYPES, StorageType
from ._objects import user_globals
from ._unpickler import COST_OBJ, COST_DICT, COST_DICT_ITEM, COST_SET, COST_SET_ITEM

_MAX_DIMS = 64
_MAX_ELEMS = 1 << 62
_MAX_INT = 1 << 63      # every size, stride, offset and element count is an int below this
COST_TENSOR = 512       # budget charge for a rebuilt tensor (Tensor, ndarray view, tuples)



def _need_ml_dtypes(dt):
    """bfloat16 / float8 storages need ml_dtypes: say so (not "malformed pickle") when absent."""
    if dt.__class__ is not _dtype.dtype:
        try:
            dt.np
        except ImportError as e:
            raise CheckpointError(f'the checkpoint holds {dt} tensors: {e}') from None


class Storage:
    """A loaded storage: a 1-D array of its dtype (``None`` while only metadata is wanted)."""
    __slots__ = ('array', 'dtype', 'numel', 'device')

    def __init__(self, array, dtype, numel, device=None):
        self.array, self.dtype, self.numel = array, dtype, numel
        self.device = device   # where its tensors go (None: the CPU); views are made on the host


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
    # length first, then types and range: nothing is computed from a value before it is known
    # to be a small int (a 2 MB int as a size made one multiplication take 25 s)
    if type(x) not in (tuple, list, Size):
        raise UnpicklingError(f'tensor {what} must be a tuple of ints, got {short(x)}')
    if len(x) > _MAX_DIMS:
        raise UnpicklingError(f'tensor has {len(x)} dimensions (at most {_MAX_DIMS})')
    for v in x:
        if type(v) is not int:
            raise UnpicklingError(f'tensor {what} must be a tuple of ints, got {short(x)}')
        if not -_MAX_INT < v < _MAX_INT:
            raise UnpicklingError(f'tensor {what} {short(x)} is impossibly large')
    return tuple(x)


class Rebuilder:
    """Resolves allowlisted globals for one load. ``fetch(key, dtype, numel, location)`` returns
    a 1-D array holding the storage (or None in a metadata-only pass)."""

    def __init__(self, fetch, map_location):
        self.budget = None    # set per pickle by the loader (``_load._unpickler``)
        self.hashing = None
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
        self.callables = {id(v) for v in allowed.values() if callable(v) and
                          not isinstance(v, (_Marker, StorageType, _dtype.dtype))}
        # the user's allowlist (add_safe_globals / safe_globals), as torch's weights-only
        # unpickler treats it: called by REDUCE, constructed by NEWOBJ, given BUILD state
        user = {k: v for k, v in user_globals().items() if k not in allowed}
        allowed.update(user)
        self.callables |= {id(v) for v in user.values()}
        self.user_types = {id(v) for v in user.values() if isinstance(v, type)}
        self.allowed = allowed

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
            raise UnpicklingError(f'persistent id names {short(stype)}, not a storage type')
        if type(key) is bytes:
            key = key.decode('ascii', 'replace')
        if type(location) is bytes:
            location = location.decode('ascii', 'replace')
        if (type(key) is not str or type(location) is not str or not _is_int(numel)
                or not 0 <= numel < _MAX_INT):
            raise UnpicklingError(f'malformed storage persistent id {short(pid, 120)}')
        target = self._check_location(location)
        s = self.storages.get(key)
        if s is not None:
            if s.dtype != stype.dtype or s.numel != numel:
                raise UnpicklingError(f'storage {short(key)} is referenced with two different types '
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
        s = self.storages[key] = Storage(arr, dt, numel, target)
        return s

    def _check_location(self, location):
        """The device a storage saved at ``location`` loads onto (None for the CPU), as
        torch's ``map_location`` says: a string/device for all storages, a dict remapping
        locations, a callable (its storages stay on the CPU here), or None (where it was saved,
        with torch's error when that device is missing)."""
        ml = self.map_location
        if isinstance(ml, dict):
            location = ml.get(location, location)
            location = str(location) if isinstance(location, device) else location
        elif callable(ml) and not isinstance(ml, (str, device)):
            return None   # the callable decides where storages go; all of them are CPU here
        elif ml is not None:
            location = str(ml) if isinstance(ml, device) else ml
        if not isinstance(location, str):
            raise CheckpointError(f'map_location gave {short(location)}, not a device string')
        kind = location.split(':')[0]
        if kind == 'cpu':
            return None
        if kind != 'cuda':
            raise CheckpointError(
                f"Attempting to deserialize object on a {short(kind.upper())} device but numtorch "
                "has only the cpu and cuda devices. Use numtorch.load(..., map_location='cpu') to "
                "map your storages to the CPU.")
        from .. import cuda
        if not cuda.is_available():
            raise CheckpointError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        try:
            dev = device(location)
        except Exception:
            raise CheckpointError(f'invalid storage location {short(location)}') from None
        index = dev.index or 0
        if index >= cuda.device_count():
            raise CheckpointError(
                f"Attempting to deserialize object on CUDA device {index} but "
                f"torch.cuda.device_count() is {cuda.device_count()}. Please use torch.load with "
                "map_location to map your storages to an existing device.")
        return device('cuda', index)

    # ------------------------------------------------------------------ tensors
    def _view(self, storage, offset, size, stride, dtype=None):
        if type(storage) is not Storage:
            raise UnpicklingError(f'tensor storage is {type(storage).__name__}, not a storage')
        if not _is_int(offset) or not 0 <= offset < _MAX_INT:
            raise UnpicklingError(f'tensor storage offset {short(offset)} is not an int in '
                                  '[0, 2**63)')
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
                raise UnpicklingError(f'tensor dtype {short(dtype)} is not a dtype')
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
        self.budget.charge(COST_TENSOR)
        from .._ops._apply import wrap
        t = wrap(arr)
        if requires_grad:
            t.requires_grad = True   # refuses integer dtypes, as torch does
        return t

    def rebuild_tensor(self, storage, offset, size, stride):
        return self._on(storage, self._tensor(self._view(storage, offset, size, stride), False))

    def rebuild_tensor_v2(self, storage, offset, size, stride, requires_grad, hooks,
                          metadata=None):
        return self._on(storage, self._tensor(self._view(storage, offset, size, stride),
                                              requires_grad))

    def rebuild_tensor_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype,
                          metadata=None):
        return self._on(storage, self._tensor(self._view(storage, offset, size, stride, dtype),
                                              requires_grad))

    @staticmethod
    def _on(storage, t):
        """The host -> device boundary of loading: a tensor of a device storage moves there."""
        if t is not None and storage.device is not None:
            from .._backend import to_device
            t._data = to_device(t._data, storage.device)
        return t

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
        self._set_state(p, state)
        return p

    def rebuild_from_type_v2(self, func, new_type, args, state):
        rebuilders = (self.rebuild_tensor, self.rebuild_tensor_v2, self.rebuild_tensor_v3,
                      self.rebuild_parameter, self.rebuild_parameter_with_state)
        if func not in rebuilders or type(args) is not tuple:
            raise UnpicklingError('_rebuild_from_type_v2 must call a tensor rebuild function')
        if new_type is not TENSOR and new_type is not PARAMETER:
            raise UnpicklingError(f'cannot rebuild a tensor of type {short(new_type)}')
        t = func(*args)
        if t is None:
            return None
        if new_type is PARAMETER and self.param is not None and not isinstance(t, self.param):
            t = self.param(t, t.requires_grad)
        self._set_state(t, state)
        return t

    def newobj(self, cls, args):
        if cls is PARAMETER and 1 <= len(args) <= 2:
            return self.rebuild_parameter(*(args + (True,))[:2], None)
        if id(cls) in self.user_types:
            return cls.__new__(cls, *args)
        raise UnpicklingError(f'NEWOBJ of {short(cls)} is not allowed')

    def build(self, inst, state):
        if type(inst) is collections.OrderedDict:
            if type(state) is not dict:
                raise UnpicklingError('OrderedDict state must be a dict of str keys')
            self.budget.charge(COST_DICT_ITEM * len(state))
            if not all(type(k) is str for k in state):
                raise UnpicklingError('OrderedDict state must be a dict of str keys')
            inst.__dict__.update(state)   # Module.state_dict()'s `_metadata`
        elif id(type(inst)) in self.user_types:
            if type(state) in (dict, list, tuple, bytes, str):
                self.budget.charge(COST_DICT_ITEM * len(state))
            if hasattr(inst, '__setstate__'):
                inst.__setstate__(state)
            elif type(state) is dict:
                inst.__dict__.update(state)
            else:
                raise UnpicklingError(f'BUILD state of a {type(inst).__name__} must be a dict')
        elif hasattr(inst, '_data') or inst is None:
            self._set_state(inst, state)
        else:
            raise UnpicklingError(f'BUILD on a {type(inst).__name__} is not allowed')

    # ------------------------------------------------------------------ plain values
    # Each charges what it builds (and the hashing of what it hashes) before building it: a
    # memoised 1 MiB object passed to a constructor a thousand times is a GB, not a MB.
    def _pairs(self, items):
        if type(items) is dict:
            return list(items)
        return [p[0] for p in items if type(p) in (tuple, list) and len(p) == 2]

    def ordered_dict(self, items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('OrderedDict() takes a list of pairs')
        self.budget.charge(COST_DICT + 2 * COST_DICT_ITEM * len(items))
        self.hashing(self._pairs(items))
        return collections.OrderedDict(items)

    def counter(self, items=()):
        if type(items) not in (dict, list, tuple):
            raise UnpicklingError('Counter() takes a dict or a list')
        self.budget.charge(COST_DICT + COST_DICT_ITEM * len(items))
        self.hashing(items)
        return collections.Counter(items)

    def size(self, dims=()):
        return Size(_ints(dims, 'size'))

    @staticmethod
    def device(kind, index=None):
        if type(kind) is not str or (index is not None and type(index) is not int):
            raise UnpicklingError('torch.device() takes a str and an optional int')
        if len(kind) > 64 or (index is not None and not 0 <= index < _MAX_INT):
            raise UnpicklingError(f'malformed torch.device({short(kind)}, {short(index)})')
        return device(kind, index)

    def encode(self, s, encoding='utf-8'):
        if type(s) is not str or encoding not in ('latin1', 'latin-1', 'utf-8', 'utf8', 'ascii'):
            raise UnpicklingError('_codecs.encode() only rebuilds bytes from a str')
        self.budget.charge(COST_OBJ + 4 * len(s))
        return s.encode(encoding)

    def set(self, items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('set() takes a list')
        self.budget.charge(COST_SET + COST_SET_ITEM * len(items))
        self.hashing(items)
        return set(items)

    def frozenset(self, items=()):
        if type(items) not in (list, tuple):
            raise UnpicklingError('frozenset() takes a list')
        self.budget.charge(COST_SET + COST_SET_ITEM * len(items))
        self.hashing(items)
        return frozenset(items)

    @staticmethod
    def complex(real=0.0, imag=0.0):
        if type(real) not in (int, float) or type(imag) not in (int, float):
            raise UnpicklingError('complex() takes two numbers')
        return complex(real, imag)

    def bytearray(self, b=b''):
        if type(b) is not bytes:
            raise UnpicklingError('bytearray() takes bytes')
        self.budget.charge(COST_OBJ + len(b))
        return bytearray(b)

    def _set_state(self, obj, state):
        if type(state) in (dict, tuple):
            self.budget.charge(2 * COST_DICT_ITEM * sum(
                len(x) for x in ((state,) if type(state) is dict else state) if type(x) is dict))
        _set_state(obj, state)


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
            raise UnpicklingError(f'tensor attribute {short(k, 40)} is not allowed')
        obj.__dict__[k] = v


def _parameter_class():
    try:
        from ..nn.parameter import Parameter
    except ImportError:
        return None
    return Parameter
