"""``numtorch.Tensor``: a NumPy array plus the autograd bookkeeping torch keeps per tensor.

Fields (``__slots__`` for the ones every op touches):
- ``_data``: the ndarray. Views share memory with their base, as torch's views do.
- ``_requires_grad``: requires_grad. ``grad_fn``: the Node that made it (None for leaves).
- ``_version_counter``: a one-element list, the version counter, shared by a tensor and its views; in-place ops
  bump it, and backward compares it against the version saved at forward time.
Rarely-set fields (``grad``, ``_base``, ``_acc``, ...) default to class attributes and live in
``__dict__`` only once set, which keeps creating a tensor to four stores.

Ops live in ``numtorch/_ops/`` as plain functions; ``_registry.py`` also installs them as
methods here, so ``x.exp()`` and ``numtorch.exp(x)`` are the same function.
"""
import numbers

import numpy as np

from ._backend import xp, device_of, to_device, to_host, namespace
from . import _backend
from . import _dtype, _dtype_ext
from ._dtype import get_default_dtype, to_dtype
from ._device import CPU, check_device
from ._size import Size
from . import _convert
from ._convert import _from_any, _LEGACY_NAMES
from . import autograd as _autograd   # the engine's entry points (backward)
from .autograd import graph
from ._ops import _apply

_new = object.__new__
_BY_NP = _dtype._BY_NP


class Tensor:
    """A multi-dimensional array that can record operations for automatic differentiation.

    >>> import numtorch
    >>> x = numtorch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])
    """
    __slots__ = ('_data', '_requires_grad', 'grad_fn', '_version_counter', '__dict__', '__weakref__')
    __array_priority__ = 1000   # `ndarray + Tensor` defers to Tensor.__radd__
    grad = None
    _base = None
    _vfn = None        # a view's recipe from its base; _creation: 'no_grad', 'multi', ... (how
    _creation = None   # it was made); _views: weakrefs to a base's views (_ops/shape/copyslices.py)
    _views = None
    _acc = None
    _output_nr = 0
    _retains_grad = False

    def __new__(cls, *args, **kwargs):
        # Legacy constructors: Tensor(2, 3) is uninitialized float32 (zeros here),
        # Tensor([1, 2]) copies data as float32.
        if not args:
            args = (0,)     # Tensor() is an empty 1-d tensor, as in torch
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = _from_any(args[0], getattr(cls, '_legacy_dtype', None) or get_default_dtype())
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            data = xp.zeros(tuple(int(s) for s in shape),
                            (getattr(cls, '_legacy_dtype', None) or get_default_dtype()).np)
        t = _new(Tensor)
        t._data = data
        t._requires_grad = False
        t.grad_fn = None
        t._version_counter = [0]
        return t

    # ----------------------------------------------------------------- construction helpers
    @staticmethod
    def _wrap(data):
        return _apply.wrap(data)

    @staticmethod
    def _from_any(data):
        return _apply.wrap(_from_any(data))

    @staticmethod
    def _scalar_like(scalar, other):
        """A Python number as a 0-dim tensor, for ``scalar - tensor`` and friends.

        The number takes the dtype ``scalar op other`` computes in, so it stays "weak" as in
        torch (``3 - int8_tensor`` is int8, not int64)."""
        if isinstance(other, Tensor) and scalar.__class__ in (int, float, bool):
            try:
                dt = _dtype.result_type(other, scalar).np
                if other._data.__class__ is not np.ndarray:   # build it where `other` lives
                    return _apply.wrap(namespace(other._data).asarray(scalar, dt))
                return _apply.wrap(np.asarray(scalar, dt))
            except OverflowError:
                pass
        return _apply.wrap(_from_any(scalar))

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the length of one dimension.

        >>> import numtorch
        >>> numtorch.zeros(2, 3).size(), numtorch.zeros(2, 3).size(-1)
        (torch.Size([2, 3]), 3)
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _BY_NP[self._data.dtype]

    @property
    def device(self):
        """Where the data lives: derived from the array (NumPy -> cpu, CuPy -> cuda:N)."""
        d = self._data
        return CPU if d.__class__ is np.ndarray else device_of(d)

    @property
    def is_cuda(self):
        return self._data.__class__ is not np.ndarray and self.device.type == 'cuda'

    @property
    def is_cpu(self):
        return self._data.__class__ is np.ndarray or self.device.type == 'cpu'

    def get_device(self):
        """The CUDA device index, or -1 for a CPU tensor.

        >>> import numtorch
        >>> numtorch.ones(1).get_device()
        -1
        """
        d = self.device
        return -1 if d.type == 'cpu' else d.index

    # the other device kinds a script may test; every numtorch tensor lives on the CPU
    is_xpu = is_mps = is_meta = is_quantized = is_sparse = is_mkldnn = is_cuda

    @property
    def is_cpu(self):
        return True

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self):
        """Number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        """Bytes per element (``element_size()``)."""
        return self._data.itemsize

    @property
    def nbytes(self):
        """Bytes the elements take: ``numel() * itemsize``."""
        return self._data.nbytes

    def stride(self, dim=None):
        """Strides in elements, as torch counts them (NumPy counts bytes)."""
        st = tuple(s // self._data.itemsize for s in self._data.strides) if self._data.itemsize else self._data.strides
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self):
        if self._data.__class__ is not np.ndarray:
            return _backend.backend_of(self._data).storage_offset(self._data) \
                if hasattr(_backend.backend_of(self._data), 'storage_offset') else 0
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        if not self._data.itemsize:
            return 0
        return (self._data.__array_interface__['data'][0] - base.__array_interface__['data'][0]) // self._data.itemsize

    def data_ptr(self):
        d = self._data
        if d.__class__ is not np.ndarray:
            return d.data.ptr if hasattr(d, 'data') and hasattr(d.data, 'ptr') else d.data_ptr
        return d.__array_interface__['data'][0]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def is_floating_point(self):
        return _BY_NP[self._data.dtype].is_floating_point

    def is_complex(self):
        return self._data.dtype.kind == 'c'

    def _is_view(self):
        """Whether this tensor is a view of another (``_base``)."""
        return self._base is not None

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if value and not _dtype_ext.is_float(self._data.dtype):
            raise RuntimeError('only Tensors of floating point dtype can require gradients')
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self.

        >>> import numtorch
        >>> numtorch.ones(2).requires_grad_().requires_grad
        True
        """
        self.requires_grad = requires_grad
        return self

    @property
    def _version(self):
        return self._version_counter[0]

    @property
    def data(self):
        """The same storage, detached from autograd (with its own version counter, as torch)."""
        return _apply.wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f'data must be a Tensor, not {type(value).__name__}')
        self._data = value._data

    @property
    def T(self):
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        >>> import numtorch
        >>> w = numtorch.tensor([2., 3.], requires_grad=True)
        >>> (w * w).sum().backward()
        >>> w.grad
        tensor([4., 6.])
        """
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """A tensor sharing storage (and version counter) that is not part of the graph."""
        t = _apply.wrap(self._data)
        t._version_counter = self._version_counter
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        fn = self.grad_fn
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad.

        >>> import numtorch
        >>> x = numtorch.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> x.sum().backward(); x.grad
        tensor([10., 10.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = graph.edge(self)
        if node._pre_hooks is None:
            node._pre_hooks = {}
        fns = node._pre_hooks.setdefault(nr, [])
        fns.append(hook)
        return _RemovableHandle(fns, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad``.

        >>> import numtorch
        >>> w = numtorch.ones(2, requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda p: print(p.grad))
        >>> (w * 3).sum().backward()
        tensor([3., 3.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError('post accumulate grad hooks cannot be registered on non-leaf tensors')
        node, _ = graph.edge(self)
        if node._post_hooks is None:
            node._post_hooks = []
        node._post_hooks.append(hook)
        return _RemovableHandle(node._post_hooks, hook)

    # ----------------------------------------------------------------- conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f'a Tensor with {self._data.size} elements cannot be converted to Scalar')
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        """The underlying NumPy array (shared memory, as torch's ``.numpy()``)."""
        d = self._data
        if d.__class__ is not np.ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                                f"Tensor.cpu() to copy the tensor to host memory first.")
            return to_host(d)
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return d

    def __array__(self, dtype=None, copy=None):
        d = self._data
        if d.__class__ is not np.ndarray:
            self.numpy()   # torch's TypeError for a device tensor
        return d if dtype is None else d.astype(dtype)

    def cpu(self, memory_format=None):
        """This tensor on the CPU (itself when already there; else a differentiable copy).

        >>> import numtorch
        >>> x = numtorch.ones(2); x.cpu() is x
        True
        """
        if self._data.__class__ is np.ndarray:
            return self
        return self._to_device(CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """This tensor on CUDA device ``device`` (the current one by default)."""
        from ._device import device as _dev
        if device is None:
            device = 'cuda'
        elif isinstance(device, int):
            device = _dev('cuda', device)
        dev = check_device(device)
        if dev.type != 'cuda':
            raise RuntimeError(f'Invalid device, must be cuda device')
        return self._to_device(dev)

    def _to_device(self, dev):
        if device_of(self._data) == dev:
            return self
        return _apply.unary(_ToDevice, self, dev)

    def to(self, *args, **kwargs):
        """Cast and/or move: ``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``.

        >>> import numtorch
        >>> numtorch.tensor([1, 2]).to(numtorch.float64)
        tensor([1., 2.], dtype=torch.float64)
        """
        dtype = kwargs.get('dtype')
        dev = kwargs.get('device')
        copy = kwargs.get('copy', False)
        for a in args:
            if isinstance(a, Tensor):
                dtype, dev = a.dtype, a.device
            elif isinstance(a, _dtype.dtype) or a in (float, int, bool):
                dtype = a
            elif a is not None:
                dev = a
        out = self
        if dev is not None:
            dev = check_device(dev)
            if dev != self.device:
                out = self._to_device(dev)
                copy = False   # already a fresh copy
        if dtype is None or to_dtype(dtype).np == out._data.dtype:
            return out.clone() if copy else out
        return out._to_dtype(to_dtype(dtype))

    def type(self, dtype=None, non_blocking=False):
        """``type()`` names the tensor type (``'torch.FloatTensor'``); ``type(dtype)`` casts."""
        if dtype is None:
            return graph._type_name(self._data)
        if isinstance(dtype, str):
            names = {v: k for k, v in _LEGACY_NAMES.items()}
            key = dtype.split('.')[-1]
            if key not in names:
                raise ValueError(f'invalid type: {dtype!r}')
            dtype = names[key]
        return self.to(dtype)

    def _to_dtype(self, dt):
        if dt.np == self._data.dtype:
            return self
        if dt._category < 2:   # integer/bool results are not differentiable (as torch)
            return _apply.wrap(self._data.astype(dt.np))
        return _apply.unary(_ToCopy, self, dt.np)

    def float(self):
        return self._to_dtype(_dtype.float32)

    def double(self):
        return self._to_dtype(_dtype.float64)

    def half(self):
        return self._to_dtype(_dtype.float16)

    def bfloat16(self):
        """This tensor as bfloat16 (needs the optional ml_dtypes)."""
        return self._to_dtype(_dtype.bfloat16)

    def long(self):
        return self._to_dtype(_dtype.int64)

    def int(self):
        return self._to_dtype(_dtype.int32)

    def short(self):
        return self._to_dtype(_dtype.int16)

    def char(self):
        return self._to_dtype(_dtype.int8)

    def byte(self):
        return self._to_dtype(_dtype.uint8)

    def bool(self):
        return self._to_dtype(_dtype.bool_)

    def type_as(self, other):
        return self._to_dtype(other.dtype)

    # ``new_*``: fresh tensors with this tensor's dtype (and device) unless told otherwise.
    def _new_like(self, data, dtype, requires_grad, device=None):
        if device is not None or data.__class__ is not self._data.__class__:
            data = to_device(data, check_device(device) if device is not None else self.device)
        t = _apply.wrap(data.astype(to_dtype(dtype).np if dtype is not None else self._data.dtype,
                                    copy=False))
        if requires_grad:
            t.requires_grad = True
        return t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype: ``x.new_zeros(2, 3)``."""
        return self._new_like(self._xp_for(device).zeros(_size_arg(size)), dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype."""
        return self._new_like(self._xp_for(device).ones(_size_arg(size)), dtype, requires_grad, device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialized (here: zero) tensor of ``size`` with this tensor's dtype."""
        return self._new_like(self._xp_for(device).zeros(_size_arg(size)), dtype, requires_grad, device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """``size`` filled with ``fill_value``, with this tensor's dtype.

        >>> import numtorch
        >>> numtorch.zeros(1, dtype=numtorch.int64).new_full((2,), 7)
        tensor([7, 7])
        """
        return self._new_like(self._xp_for(device).full(_size_arg((size,)), fill_value), dtype,
                              requires_grad, device)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` with this tensor's dtype (unless ``dtype`` is given)."""
        return self._new_like(_from_any(data), dtype, requires_grad,
                              device if device is not None else self.device)

    # ----------------------------------------------------------------- Python protocol
    def _xp_for(self, device):
        """The namespace that builds new arrays on ``device`` (this tensor's by default)."""
        if device is None:
            return namespace(self._data)
        return _backend.backend_for(check_device(device)).xp

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError('len() of a 0-d tensor')
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError('iteration over a 0-d tensor')
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f'Boolean value of Tensor with more than one value is ambiguous')
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in 'iub' or self._data.size != 1:
            raise TypeError('only integer tensors of a single element can be converted to an index')
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError('unsupported format string passed to Tensor.__format__')
        return repr(self)

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from . import _tensor_str
        return _tensor_str._str(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        t = type(self).__new__(type(self), _apply.wrap(self._data.copy())) if type(self) is not Tensor \
            else _apply.wrap(self._data.copy())
        t._requires_grad = self._requires_grad
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol):
        # Pickling goes through numtorch.save's format; plain pickle gets a NumPy round trip
        # (a device tensor's data crosses to the host and goes back on unpickling).
        if self._data.__class__ is not np.ndarray:
            return (_rebuild_plain, (to_host(self._data), self._requires_grad, str(self.device)))
        return (_rebuild_plain, (self._data, self._requires_grad))

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return _apply.binary(_ew.Add, self, other)

    def __radd__(self, other):
        return _apply.binary(_ew.Add, self, other)

    def __sub__(self, other):
        return _apply.binary(_ew.Sub, self, other)

    def __rsub__(self, other):
        if other.__class__ is bool or self._data.dtype.kind == 'b':
            raise RuntimeError(_ew.Sub.bool_error)
        if other.__class__ in (int, float):     # torch records `2 - x` as RsubBackward1
            return _apply.binary(_ew.RSub, self, other)
        return _apply.binary(_ew.Sub, Tensor._scalar_like(other, self), self)

    def __mul__(self, other):
        return _apply.binary(_ew.Mul, self, other)

    def __rmul__(self, other):
        return _apply.binary(_ew.Mul, self, other)

    def __truediv__(self, other):
        return _apply.binary(_ew.Div, self, other)

    def __rtruediv__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _apply.unary(_ew.RDiv, self, other)
        return _apply.binary(_ew.Div, Tensor._scalar_like(other, self), self)

    def __floordiv__(self, other):
        return _ew.div(self, other, rounding_mode='floor')

    def __rfloordiv__(self, other):
        return _ew.div(Tensor._scalar_like(other, self), self, rounding_mode='floor')

    def __mod__(self, other):
        return _ew.remainder(self, other)

    def __rmod__(self, other):
        return _ew.remainder(Tensor._scalar_like(other, self), self)

    def __pow__(self, other):
        return _apply.binary(_ew.Pow, self, other)

    def __rpow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _apply.unary(_ew.RPow, self, other)
        return _apply.binary(_ew.Pow, Tensor._scalar_like(other, self), self)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(Tensor._from_any(other), self)

    def __neg__(self):
        return _apply.unary(_ew.Neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _pw.abs(self)

    def __invert__(self):
        if self._data.dtype.kind not in 'biu':   # the operator words it apart from bitwise_not
            raise TypeError('~ (operator.invert) is only implemented on integer and Boolean-type '
                            'tensors')
        return _cmp.bitwise_not(self)

    def __and__(self, other):
        return _cmp.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _cmp.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _cmp.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        return _cmp.eq(self, other)

    def __ne__(self, other):
        return _cmp.ne(self, other)

    def __lt__(self, other):
        return _cmp.lt(self, other)

    def __le__(self, other):
        return _cmp.le(self, other)

    def __gt__(self, other):
        return _cmp.gt(self, other)

    def __ge__(self, other):
        return _cmp.ge(self, other)

    def __getitem__(self, index):
        return _index.getitem(self, index)

    def __setitem__(self, index, value):
        _index.setitem(self, index, value)


class _ToCopy(graph.Node):
    _name = 'ToCopyBackward0'
    def forward(self, a, np_dtype):
        self.src = a.dtype
        return a.astype(np_dtype) if np_dtype.kind != 'V' else _dtype_ext.cast(a, np_dtype)

    def backward(self, g):
        if g.dtype.kind == 'c' and self.src.kind != 'c':
            g = g.real      # a real tensor made complex gets the real part (torch's rule)
        return g.astype(self.src) if _dtype_ext.is_float(self.src) else None


class _ToDevice(graph.Node):
    """A copy to another device; its gradient goes back to the source device (torch's
    ``ToCopyBackward0`` covers both dtype and device copies)."""
    _name = 'ToCopyBackward0'

    def forward(self, a, dev):
        self.src = device_of(a)
        return to_device(a, dev)

    def backward(self, g):
        return to_device(g, self.src)


class _RemovableHandle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        if self._item in self._container:
            self._container.remove(self._item)


def _rebuild_plain(data, requires_grad, device=None):
    t = _apply.wrap(data if device is None else to_device(data, device))
    t._requires_grad = requires_grad
    return t


def _size_arg(size):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)`` -> a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f'Dimension out of range (expected to be in range of [{-n}, {n - 1}], '
                         f'but got {dim})')
    return dim + n if dim < 0 else dim


_apply.Tensor = Tensor
_convert.Tensor = Tensor
# The ops the operators above call (their methods are set by numtorch/_registry.py).
from ._ops.pointwise import arithmetic as _ew, unary as _pw, compare as _cmp  # noqa: E402
from ._ops.linalg import products as _la  # noqa: E402
from ._ops.indexing import index as _index  # noqa: E402
