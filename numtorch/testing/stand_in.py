"""A strict stand-in device: proves numtorch's device handling on machines without a GPU.

``enable()`` registers an array type that plays ``cuda`` the way ``cupy.ndarray`` does: it wraps
a NumPy array but refuses implicit conversion to a host array (``__array__`` raises, as CuPy's
does), refuses host (NumPy) arrays as operands, and counts every host <-> device transfer. So a
test that runs on ``device='cuda'`` under the stand-in fails at the first stray host call: an op
that builds an array with ``numpy.zeros`` and mixes it in, or reads ``.tolist()`` in the middle of
a computation, breaks here exactly where it would break (or silently sync) on a real GPU.

Arithmetic goes through NumPy's dispatch protocols (``__array_ufunc__``/``__array_function__``),
which CuPy implements too, so ``numpy.exp(a)`` on a stand-in array stays on the stand-in.

>>> import numtorch
>>> from numtorch.testing import stand_in
>>> with stand_in.enabled():
...     x = numtorch.ones(2, device='cuda')
...     y = (x * 3).sum()
...     print(y, y.device, numtorch.cuda.is_available())
...     print(y.item(), stand_in.transfers['d2h'])   # one copy to print, one for item()
tensor(6., device='cuda:0') cuda:0 True
6.0 2
"""
import contextlib
import types

import numpy as np

from .. import _backend
from .._device import device

transfers = {'h2d': 0, 'd2h': 0}   # host -> device and device -> host copies since enable()


class HostOperandError(TypeError):
    """A host (NumPy) array met a stand-in device array inside one operation."""


def _refuse(x):
    raise HostOperandError(
        f'stand-in device: a host array ({type(x).__module__}.{type(x).__name__} of shape '
        f'{x.shape}) was passed to a device operation; move it with Tensor.to(device) first')


def _unwrap(x):
    """Stand-in arrays -> their NumPy arrays, recursively; host arrays are refused."""
    c = x.__class__
    if c is StrictArray:
        return x._a
    if c is np.ndarray:
        _refuse(x)
    if c is tuple or c is list:
        return c(_unwrap(v) for v in x)
    if c is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    c = x.__class__
    if c is np.ndarray:
        return StrictArray(x)
    if isinstance(x, np.generic):
        return StrictArray(np.asarray(x))   # device results stay 0-d arrays, as CuPy's do
    if c is tuple or c is list:
        return c(_wrap(v) for v in x)
    if isinstance(x, tuple):   # NumPy's named results (linalg.qr's QRResult, eigh's, svd's ...)
        return c(*(_wrap(v) for v in x))
    return x


_HOST_METHODS = {'tobytes', 'tofile', 'dump', 'dumps', 'tostring', 'ctypes', 'data'}


def _foreign(values):
    """Whether an operand is another array-like type with its own NumPy protocol (create_graph's
    GradArray): the stand-in then defers to it, as NumPy's protocols intend."""
    for v in values:
        c = v.__class__
        if c is not StrictArray and c is not np.ndarray and hasattr(c, '__array_ufunc__') \
                and not isinstance(v, np.generic):
            return True
    return False


class StrictArray:
    """A NumPy array on the stand-in device. ``.get()`` copies it to the host (counted)."""
    __slots__ = ('_a', '__weakref__')
    __array_priority__ = 100

    def __init__(self, a):
        self._a = a

    # -- the host boundary: only explicit, counted copies
    def __array__(self, dtype=None, copy=None):
        raise TypeError('Implicit conversion to a NumPy array is not allowed. Please use '
                        '`.get()` to construct a NumPy array explicitly. (numtorch stand-in '
                        'device)')

    def get(self):
        transfers['d2h'] += 1
        return self._a.copy()

    def item(self):
        transfers['d2h'] += 1
        return self._a.item()

    def tolist(self):
        transfers['d2h'] += 1
        return self._a.tolist()

    def __bool__(self):
        transfers['d2h'] += 1
        return bool(self._a)

    def __float__(self):
        transfers['d2h'] += 1
        return float(self._a)

    def __int__(self):
        transfers['d2h'] += 1
        return int(self._a)

    def __complex__(self):
        transfers['d2h'] += 1
        return complex(self._a)

    def __index__(self):
        transfers['d2h'] += 1
        return self._a.__index__()

    def __repr__(self):
        return f'stand_in.StrictArray({self._a!r})'

    # -- metadata (no transfer)
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, new):   # as CuPy's: reshape in place without a copy, else AttributeError
        self._a.shape = new

    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))
    device = property(lambda self: _STANDIN_DEVICE)

    @property
    def base(self):
        b = self._a.base
        return None if b is None else (StrictArray(b) if b.__class__ is np.ndarray else b)

    @property
    def data_ptr(self):
        return self._a.__array_interface__['data'][0]

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap(index)] = _unwrap(value)

    def __getattr__(self, name):
        # Array methods (astype, reshape, sum, ...) run on the wrapped array; results stay here.
        # No protocol dunders (__array_interface__, __array_struct__, buffers): those would let
        # NumPy read the data without a counted transfer.
        if name.startswith('__'):
            raise AttributeError(name)
        if name in _HOST_METHODS:   # CuPy arrays have no such methods: the data would leave
            raise AttributeError(f"stand-in device array has no attribute '{name}' (copy it "
                                 f"to the host with Tensor.cpu() first)")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            r = attr(*_unwrap(args), **_unwrap(kwargs))
            # astype(copy=False) and friends return the array itself, as CuPy's do: the same
            # object then (autograd matches saved arrays to their tensors by identity)
            return self if r is self._a else _wrap(r)
        return method

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _foreign(inputs):
            return NotImplemented   # NEP 13: let the other operand's type (a GradArray) answer
        if 'out' in kwargs:
            kwargs['out'] = _unwrap(kwargs['out'])
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        for t in types_:
            if t is not StrictArray and t is not np.ndarray:
                return NotImplemented   # NEP 18: a GradArray among the arguments answers
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def __copy__(self):
        return StrictArray(self._a.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._a.copy())

    def __reduce__(self):
        raise TypeError('stand-in device arrays cannot be pickled directly (save tensors with '
                        'numtorch.save, which copies storages to the host)')


def _operator(name):
    def op(self, *args):
        if _foreign(args):
            return NotImplemented   # Python then asks the other operand (a GradArray)
        return _wrap(getattr(self._a, name)(*_unwrap(args)))
    op.__name__ = name
    return op


for _name in ('add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow '
              'matmul rmatmul and rand or ror xor rxor lshift rshift eq ne lt le gt ge neg pos '
              'abs invert iadd isub imul itruediv ifloordiv imod ipow iand ior ixor').split():
    setattr(StrictArray, f'__{_name}__', _operator(f'__{_name}__'))
for _name in ('iadd isub imul itruediv ifloordiv imod ipow iand ior ixor').split():
    def _inplace(self, other, _n=f'__{_name}__'):
        getattr(self._a, _n)(_unwrap(other))
        return self
    setattr(StrictArray, f'__{_name}__', _inplace)
StrictArray.__hash__ = None


class _Namespace:
    """NumPy's namespace with arrays made on the stand-in device (``cupy`` in miniature)."""
    _UPLOAD = {'asarray', 'array', 'ascontiguousarray', 'asanyarray'}

    def __init__(self, module):
        self._mod = module
        self.__name__ = 'numtorch.testing.stand_in.xp'

    def __getattr__(self, name):
        v = getattr(self._mod, name)
        if name == 'ndarray':
            return StrictArray
        if isinstance(v, types.ModuleType):
            ns = _Namespace(v)
        elif isinstance(v, type) or not callable(v):
            return v
        elif name in self._UPLOAD:
            def ns(a, *args, **kwargs):
                if a.__class__ is np.ndarray or isinstance(a, (list, tuple, np.generic)):
                    transfers['h2d'] += a.__class__ is np.ndarray
                    return _wrap(v(a, *args, **kwargs))
                return _wrap(v(_unwrap(a), *args, **kwargs))
        else:
            def ns(*args, **kwargs):
                return _wrap(v(*_unwrap(args), **_unwrap(kwargs)))
        setattr(self, name, ns)   # cache: later lookups skip __getattr__
        return ns


xp = _Namespace(np)
_STANDIN_DEVICE = device('cuda', 0)


class StandInBackend(_backend.Backend):
    """The stand-in as numtorch's ``cuda`` backend (``n_devices`` devices, all one memory)."""
    type = 'cuda'
    array_type = StrictArray

    def __init__(self, n_devices=1):
        self.xp = xp
        self.n = n_devices
        self.current = 0
        self.generators = None

    def device(self, arr):
        return _STANDIN_DEVICE

    def to_host(self, arr):
        return arr.get()

    def from_host(self, arr, index=None):
        transfers['h2d'] += 1
        return StrictArray(np.array(arr, copy=True))

    def device_count(self):
        return self.n

    def current_device(self):
        return self.current

    def check_index(self, index):
        if index is not None and not 0 <= index < self.n:
            raise RuntimeError('CUDA error: invalid device ordinal\nCUDA kernel errors might be '
                               'asynchronously reported at some other API call, so the '
                               'stacktrace below might be incorrect.\nFor debugging consider '
                               'passing CUDA_LAUNCH_BLOCKING=1\nCompile with '
                               '`TORCH_USE_CUDA_DSA` to enable device-side assertions.\n')

    def on(self, index):
        return contextlib.nullcontext()

    def conv_scope(self):
        """NumPy computes underneath: the CPU's BLAS setting keeps results equal to the CPU's."""
        return _backend.CPU_BACKEND.conv_scope()

    def gemm_block(self, pk, m):
        """The CPU's GEMM blocks too: NumPy's OpenBLAS computes underneath, and the same blocks
        keep a small model's weight gradients equal to the CPU's, bit for bit."""
        return _backend.CPU_BACKEND.gemm_block(pk, m)

    def name(self, index):
        return 'numtorch stand-in (NumPy, strict)'

    def memory_allocated(self, index):
        return 0

    def synchronize(self, index):
        pass

    def empty_cache(self):
        pass

    def generator_for(self, index):
        from ..random import Generator, _device_seed
        if self.generators is None:
            self.generators = [Generator(device=device('cuda', i)).manual_seed(_device_seed[0])
                               for i in range(self.n)]
        return self.generators[index or 0]

    def ufunc_at(self, name, arr, index, values):
        getattr(np, name).at(_unwrap(arr), _unwrap(index), _unwrap(values))

    def generated(self, host_arr, index=None):
        """A random draw made "on the device" (its generator's numbers, no counted copy)."""
        return StrictArray(host_arr)


_active = [None]
_previous = [None]   # the real cuda backend (CuPy), given back by disable()


def enable(n_devices=1):
    """Register the stand-in as ``cuda`` (``numtorch.cuda.is_available()`` becomes True)."""
    disable()
    _previous[0] = _backend._BY_TYPE.get('cuda')
    b = StandInBackend(n_devices)
    _backend.register(b)
    _active[0] = b
    transfers['h2d'] = transfers['d2h'] = 0
    return b


def disable():
    """Give ``cuda`` back (CuPy or nothing)."""
    if _active[0] is not None:
        _backend.unregister(_active[0])
        _active[0] = None
        if _previous[0] is not None:
            _backend.register(_previous[0])
            _previous[0] = None


@contextlib.contextmanager
def enabled(n_devices=1):
    """``with stand_in.enabled(): ...`` runs the block with the stand-in as ``cuda``."""
    b = enable(n_devices)
    try:
        yield b
    finally:
        disable()


def to_host(x):
    """A tensor's data as a NumPy array whatever its device, for test assertions."""
    d = x._data if hasattr(x, '_data') else x
    return d._a if d.__class__ is StrictArray else d
