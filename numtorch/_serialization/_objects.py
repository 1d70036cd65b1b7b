"""Ordinary Python objects in checkpoints, as torch handles them.

* ``ObjectPickler``: what ``save`` uses when an object is more than tensors and containers --
  NumPy arrays, ``argparse.Namespace``, whole modules, optimizers, any picklable class. Like
  ``torch.save`` it pickles classes and functions by reference (module and name) and writes
  every tensor exactly as torch does (``torch._utils._rebuild_tensor_v2`` + a storage
  persistent id), without importing torch: the torch names are written as GLOBAL opcodes.
* The user allowlist (``add_safe_globals``, ``safe_globals``, ``get_safe_globals``,
  ``clear_safe_globals``): globals that ``load`` (``weights_only=True``, the default) may
  resolve besides its own; they are called, constructed (NEWOBJ) and given BUILD state exactly
  as torch's weights-only unpickler does, and every such object is charged to the budget.
  Nothing is added silently.
* ``unsafe_load``: ``weights_only=False``, torch's explicit opt-in for trusted files -- the
  standard unpickler, which can run any code the file names.
"""
import collections
import pickle

from .. import _dtype
from .._backend import is_array
from .._device import device
from .._size import Size
from ._storage import STORAGE_NAMES, UNTYPED_DTYPES

# ------------------------------------------------------------------ the user allowlist
_SAFE = []   # what add_safe_globals was given, in order: callables or (callable, name)


def _name(entry):
    if isinstance(entry, tuple):
        return entry[1], entry[0]
    return f'{entry.__module__}.{entry.__qualname__}', entry


def user_globals():
    """``{'module.name': object}`` of the user allowlist (read at the start of each load)."""
    return dict(_name(e) for e in _SAFE)


def add_safe_globals(safe_globals):
    """Mark globals as safe for ``load(weights_only=True)`` (torch's API).

    >>> import argparse, io, numtorch
    >>> from numtorch.serialization import add_safe_globals, get_safe_globals, clear_safe_globals
    >>> buf = io.BytesIO()
    >>> numtorch.save({'args': argparse.Namespace(lr=0.1)}, buf)
    >>> add_safe_globals([argparse.Namespace])
    >>> numtorch.load(io.BytesIO(buf.getvalue()))
    {'args': Namespace(lr=0.1)}
    >>> get_safe_globals()
    [<class 'argparse.Namespace'>]
    >>> clear_safe_globals()
    """
    for g in safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2 or not callable(g[0]) or type(g[1]) is not str:
                raise TypeError('add_safe_globals takes callables or (callable, "module.name")')
        elif not callable(g):
            raise TypeError(f'add_safe_globals takes callables, got {type(g).__name__}')
        _SAFE.append(g)


def get_safe_globals():
    """The user's allowlist, as given to ``add_safe_globals``."""
    return list(_SAFE)


def clear_safe_globals():
    """Empty the user's allowlist."""
    _SAFE.clear()


class safe_globals:
    """Context manager: ``with safe_globals([...]): load(...)`` allows them only inside.

    >>> import argparse
    >>> from numtorch.serialization import safe_globals, get_safe_globals
    >>> with safe_globals([argparse.Namespace]):
    ...     len(get_safe_globals())
    1
    >>> get_safe_globals()
    []
    """

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self.before = list(_SAFE)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _SAFE[:] = self.before


# ------------------------------------------------------------------ saving any object
class _TorchGlobal:
    """Stands for a torch global (``torch._utils._rebuild_tensor_v2``) in a pickle being
    written; numtorch never imports torch, so it is written by name."""
    __slots__ = ('module', 'name')

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):   # pickle wants a callable; only its name is ever written
        raise TypeError(f'{self.module}.{self.name} is a name written into a checkpoint')


class _StorageRef:
    __slots__ = ('key', 'dtype_name', 'numel', 'untyped')

    def __init__(self, key, dtype_name, numel, untyped):
        self.key, self.dtype_name, self.numel, self.untyped = key, dtype_name, numel, untyped


_GLOBALS = {}


def _g(module, name):
    g = _GLOBALS.get((module, name))
    if g is None:
        g = _GLOBALS[module, name] = _TorchGlobal(module, name)
    return g


class ObjectPickler(pickle._Pickler):
    """``pickle``'s Python pickler, protocol 2, with tensors, storages, dtypes, devices and
    ``torch.Size`` written as ``torch.save`` writes them."""

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self.storages = storages
        self.keep = []   # plain tensors made for parameters stay alive (ids in the memo)
        from .._tensor import Tensor
        from ..nn.parameter import Parameter
        self.Tensor, self.Parameter = Tensor, Parameter

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            if obj.untyped:
                return ('storage', _g('torch.storage', 'UntypedStorage'), obj.key, 'cpu',
                        obj.numel)
            return ('storage', _g('torch', STORAGE_NAMES[obj.dtype_name]), obj.key, 'cpu',
                    obj.numel)
        return None

    def reducer_override(self, obj):
        t = type(obj)
        if t is _TorchGlobal:
            return obj.name            # -> save_global below
        if isinstance(obj, self.Tensor):
            return self._tensor(obj)
        if isinstance(obj, _dtype.dtype):   # bfloat16/float8 are a subclass
            return obj.name            # a dtype is the global torch.<name>: save_global
        if t is device:
            return _g('torch', 'device'), (str(obj),)
        if t is Size:
            return _g('torch', 'Size'), (tuple(obj),)
        return NotImplemented

    def save_global(self, obj, name=None):
        if type(obj) is _TorchGlobal:
            self.write(pickle.GLOBAL + obj.module.encode() + b'\n' + obj.name.encode() + b'\n')
            self.memoize(obj)
            return
        if isinstance(obj, _dtype.dtype):
            return self.save_global(_g('torch', obj.name))
        super().save_global(obj, name)

    def _tensor(self, t):
        if not is_array(t._data):   # a lazy module's UninitializedParameter
            raise ValueError('numtorch.save: cannot save an uninitialized parameter')
        if isinstance(t, self.Parameter):
            from .._ops._apply import wrap
            plain = wrap(t._data)      # the parameter's data as a plain tensor, as torch
            self.keep.append(plain)
            return (_g('torch._utils', '_rebuild_parameter'),
                    (plain, t._requires_grad, collections.OrderedDict()))
        arr = t._data
        dt = _dtype._BY_NP[arr.dtype]
        key, numel, offset, stride = self.storages.locate(arr)
        untyped = dt.name in UNTYPED_DTYPES
        ref = _StorageRef(key, dt.name, numel * (arr.itemsize if untyped else 1), untyped)
        self.keep.append(ref)
        args = (ref, offset, tuple(arr.shape), tuple(stride), bool(t._requires_grad),
                collections.OrderedDict())
        if untyped:
            return _g('torch._utils', '_rebuild_tensor_v3'), args + (_g('torch', dt.name),)
        return _g('torch._utils', '_rebuild_tensor_v2'), args


def dump_objects(obj, storages):
    """``data.pkl`` for any picklable object (see ``ObjectPickler``)."""
    import io
    buf = io.BytesIO()
    ObjectPickler(buf, storages).dump(obj)
    return buf.getvalue()


# ------------------------------------------------------------------ weights_only=False
def unsafe_load(data, rb):
    """The standard unpickler over ``data`` (a trusted file's ``data.pkl``): any global the
    file names is imported, and torch's own names mean what they mean in numtorch."""
    import io

    class _Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            full = f'{module}.{name}'
            if full in rb.allowed:
                return rb.allowed[full]
            if module == 'torch.nn.parameter' and name == 'Parameter':
                return rb.param
            if module == 'torch' or module.startswith('torch.'):
                module = 'numtorch' + module[5:]   # torch.nn.modules.linear -> numtorch...
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return rb.persistent_load(tuple(pid))

    return _Unpickler(io.BytesIO(data)).load()
