"""Writes ``data.pkl``: protocol-2 pickle opcodes for the objects a checkpoint may hold.

This is not ``pickle.Pickler``: that one names a function by importing its module, and the
globals a torch checkpoint must name (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``)
live in torch, which numtorch never imports. So the few object kinds a checkpoint holds are
written directly, byte for byte as ``torch.save`` writes them; anything else raises
``Unsupported`` and ``save`` pickles the object with ``_objects.ObjectPickler`` instead.
"""
import collections
import struct

import numpy as np

from .. import _dtype, _dtype_ext
from .._device import device
from .._size import Size
from .._tensor import Tensor
from ._storage import STORAGE_NAMES, UNTYPED_DTYPES

MAX_DEPTH = 200   # nesting deeper than this is refused on save and on load (see _unpickler)
_pack_d = struct.Struct('>d').pack
_pack_i = struct.Struct('<i').pack
_pack_I = struct.Struct('<I').pack


class Unsupported(TypeError):
    """An object this fast writer does not handle; ``save`` then pickles the whole object
    with ``_objects.ObjectPickler`` (by reference, as torch does)."""


class Pickler:
    """``Pickler(storages).dump(obj) -> bytes``; ``storages`` is a ``_storage.StorageTable``."""

    def __init__(self, storages):
        self.storages = storages
        self.out = bytearray(b'\x80\x02')
        self.memo = {}          # id(obj) or global name -> memo index
        self.alive = []         # objects whose id is memoized stay alive until the dump ends
        self.parameter = _parameter_class()

    def dump(self, obj):
        self.save(obj, 0)
        self.out += b'.'
        return bytes(self.out)

    # ---------------------------------------------------------------- memo and primitives
    def _put(self, key, obj=None):
        i = len(self.memo)
        self.memo[key] = i
        if obj is not None:
            self.alive.append(obj)
        self.out += b'q' + bytes((i,)) if i < 256 else b'r' + _pack_I(i)

    def _get(self, key):
        i = self.memo.get(key)
        if i is None:
            return False
        self.out += b'h' + bytes((i,)) if i < 256 else b'j' + _pack_I(i)
        return True

    def _global(self, module, name):
        key = ('g', module, name)
        if not self._get(key):
            self.out += f'c{module}\n{name}\n'.encode()
            self._put(key)

    def _int(self, v):
        if 0 <= v < 256:
            self.out += b'K' + bytes((v,))
        elif 0 <= v < 65536:
            self.out += b'M' + struct.pack('<H', v)
        elif -2 ** 31 <= v < 2 ** 31:
            self.out += b'J' + _pack_i(v)
        else:
            b = v.to_bytes((v + (v < 0)).bit_length() // 8 + 1, 'little', signed=True)
            self.out += (b'\x8a' + bytes((len(b),)) if len(b) < 256 else b'\x8b' + _pack_i(len(b))) + b

    def _str(self, s):
        if not self._get(('s', s)):
            b = s.encode('utf-8', 'surrogatepass')
            self.out += b'X' + _pack_I(len(b)) + b
            self._put(('s', s))

    def _tuple(self, items, depth, obj=None):
        if not items:
            self.out += b')'
            return
        if len(items) > 3:
            self.out += b'('
        for x in items:
            self.save(x, depth)
        self.out += b't' if len(items) > 3 else b'\x85\x86\x87'[len(items) - 1:len(items)]
        # memoize like pickle does (so the bytes match torch.save's); a user's tuple by identity
        self._put(id(obj) if obj is not None else ('t', len(self.memo)), obj)

    def _reduce(self, module, name, args, depth):
        self._global(module, name)
        self._tuple(args, depth)
        self.out += b'R'
        self._put(('r', len(self.memo)))

    # ---------------------------------------------------------------- objects
    def save(self, obj, depth):
        if depth > MAX_DEPTH:
            raise ValueError(f'numtorch.save: object nesting is deeper than {MAX_DEPTH} levels')
        t = type(obj)
        if obj is None:
            self.out += b'N'
        elif t is bool:
            self.out += b'\x88' if obj else b'\x89'
        elif t is int:
            self._int(obj)
        elif t is float:
            self.out += b'G' + _pack_d(obj)
        elif t is str:
            self._str(obj)
        elif id(obj) in self.memo and self._get(id(obj)):
            pass
        elif isinstance(obj, Tensor):
            self._tensor(obj, depth)
        elif t is list:
            self.out += b']'
            self._put(id(obj), obj)
            self._batched(obj, b'e', depth)
        elif t is dict:
            self.out += b'}'
            self._put(id(obj), obj)
            self._batched(obj.items(), b'u', depth)
        elif t is collections.OrderedDict:
            self._reduce('collections', 'OrderedDict', (), depth)
            self.memo[id(obj)] = len(self.memo) - 1   # the REDUCE result just memoized
            self.alive.append(obj)
            self._batched(obj.items(), b'u', depth)
            state = vars(obj)
            if state:   # Module.state_dict() carries `_metadata` (versions); torch keeps it
                self.save(dict(state), depth + 1)
                self.out += b'b'
        elif t is tuple or t is Size:
            if t is Size:
                self._global('torch', 'Size')
                self._tuple(tuple(obj), depth + 1)
                self.out += b'\x85'
                self._put(('t', len(self.memo)))
                self.out += b'R'
                self._put(id(obj), obj)
            else:
                self._tuple(obj, depth + 1, obj)
        elif t is _dtype.dtype or t is _dtype_ext.ext_dtype:
            self._global('torch', obj.name)
        elif t is device:
            self._reduce('torch', 'device', (str(obj),), depth)
        elif t is set:
            self._reduce('__builtin__', 'set', (list(obj),), depth + 1)
        elif t is bytes:
            self._reduce('_codecs', 'encode', (obj.decode('latin1'), 'latin1'), depth)
        elif t is bytearray:
            self._global('__builtin__', 'bytearray')
            self._reduce('_codecs', 'encode', (obj.decode('latin1'), 'latin1'), depth)
            self.out += b'\x85'
            self._put(('t', len(self.memo)))
            self.out += b'R'
            self._put(id(obj), obj)
        elif t is complex:
            self._reduce('__builtin__', 'complex', (obj.real, obj.imag), depth)
        elif isinstance(obj, (np.bool_, np.integer, np.floating, np.complexfloating)):
            self.save(obj.item(), depth)   # NumPy scalars (a loss read with .item() is common)
        elif isinstance(obj, (int, float, str)):   # subclasses (IntEnum, ...) as the base type
            base = int if isinstance(obj, int) else float if isinstance(obj, float) else str
            self.save(base(obj) if base is not str else str.__str__(obj), depth)
        else:
            raise Unsupported(f'numtorch.save: {t.__module__}.{t.__qualname__} is not a '
                              'tensor, container or scalar')

    def _batched(self, items, op, depth):
        # pickle's batching: MARK ... APPENDS/SETITEMS per 1000 items, as pickle does.
        it = iter(items)
        while True:
            n = 0
            for x in it:
                if n == 0:
                    self.out += b'('
                if op == b'u':
                    self.save(x[0], depth + 1)
                    self.save(x[1], depth + 1)
                else:
                    self.save(x, depth + 1)
                n += 1
                if n == 1000:
                    break
            if n:
                self.out += op
            if n < 1000:
                return

    def _tensor(self, t, depth):
        from .._backend import is_device_array
        if is_device_array(t._data):
            # A device tensor: its storage crosses to the host here (one copy per tensor, so
            # device views are saved as separate storages) and carries torch's location.
            self._device_tensor(t, depth)
            return
        if not isinstance(t._data, np.ndarray):   # a lazy module's UninitializedParameter
            raise ValueError('numtorch.save: cannot save an uninitialized parameter; run a '
                             'forward pass first so the lazy module can infer its shape')
        if self.parameter is not None and isinstance(t, self.parameter):
            # torch: _rebuild_parameter(<the data as a plain tensor>, requires_grad, OrderedDict())
            self._global('torch._utils', '_rebuild_parameter')
            self._plain_tensor(t._data, False)
            self.out += b'\x88' if t._requires_grad else b'\x89'
            self._reduce('collections', 'OrderedDict', (), depth)
            self.out += b'\x87'
            self._put(('t', len(self.memo)))
            self.out += b'R'
            self._put(id(t), t)
        else:
            self._plain_tensor(t._data, t._requires_grad, t)

    def _device_tensor(self, t, depth):
        from .._backend import to_host
        loc = str(t.device)
        host = to_host(t._data)
        self._keep = getattr(self, '_keep', [])
        self._keep.append(host)   # alive until the save ends: storages are keyed by id
        if self.parameter is not None and isinstance(t, self.parameter):
            self._global('torch._utils', '_rebuild_parameter')
            self._plain_tensor(host, False, location=loc)
            self.out += b'\x88' if t._requires_grad else b'\x89'
            self._reduce('collections', 'OrderedDict', (), depth)
            self.out += b'\x87'
            self._put(('t', len(self.memo)))
            self.out += b'R'
            self._put(id(t), t)
        else:
            self._plain_tensor(host, t._requires_grad, t, location=loc)

    def _plain_tensor(self, arr, requires_grad, t=None, location='cpu'):
        dt = _dtype._BY_NP[arr.dtype]
        key, numel, offset, stride = self.storages.locate(arr)
        v3 = dt.name in UNTYPED_DTYPES
        self._global('torch._utils', '_rebuild_tensor_v3' if v3 else '_rebuild_tensor_v2')
        self.out += b'(('
        self._str('storage')
        if v3:
            self._global('torch.storage', 'UntypedStorage')
            numel *= arr.itemsize
        else:
            self._global('torch', STORAGE_NAMES[dt.name])
        self._str(key)
        self._str(location)
        self._int(numel)
        self.out += b't'
        self._put(('t', len(self.memo)))
        self.out += b'Q'
        self._int(offset)
        self._tuple(arr.shape, 0)
        self._tuple(stride, 0)
        self.out += b'\x88' if requires_grad else b'\x89'
        self._reduce('collections', 'OrderedDict', (), 0)
        if v3:
            self._global('torch', dt.name)
        self.out += b't'
        self._put(('t', len(self.memo)))
        self.out += b'R'
        self._put(id(t) if t is not None else ('r', len(self.memo)), t)


def _parameter_class():
    # numtorch.nn is optional at save time (a checkpoint of plain tensors needs none of it).
    try:
        from ..nn.parameter import Parameter
    except ImportError:
        return None
    return Parameter
