"""``nn.Parameter``: a Tensor that a Module registers as one of its parameters.

A Parameter is a plain Tensor subclass sharing Tensor's slots (``_data``, ``_requires_grad``, ``grad_fn``,
``_version_counter``): ops on it return ordinary Tensors, and ``Module.__setattr__`` recognises it by type.
``UninitializedParameter`` is the placeholder lazy modules (``LazyLinear``) hold until their first
forward tells them the input size.
"""
from .._backend import xp
from .._tensor import Tensor
from .._ops import _apply
from .. import _dtype

_new = object.__new__


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``requires_grad=True`` unless told otherwise.

    The Parameter shares memory (and version counter) with ``data``, as torch's does.

    >>> import numtorch
    >>> from numtorch import nn
    >>> p = nn.Parameter(numtorch.zeros(2))
    >>> p.requires_grad, type(p).__name__
    (True, 'Parameter')
    """
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _apply.wrap(xp.empty((0,), _dtype.get_default_dtype().np))
        elif not isinstance(data, Tensor):
            raise TypeError(f'Parameter(): argument data must be Tensor, not {type(data).__name__}')
        p = _new(cls)
        p._data = data._data
        p._requires_grad = False
        p.grad_fn = None
        p._version_counter = data._version_counter
        if requires_grad:
            if p._data.dtype.kind not in 'fc':   # torch's constructor wording (not the setter's)
                raise RuntimeError('Only Tensors of floating point and complex dtype can require '
                                   'gradients')
            p._requires_grad = True
        return p

    def __repr__(self):
        return 'Parameter containing:\n' + Tensor.__repr__(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # torch's Parameter.__deepcopy__ copies data and requires_grad only: the copy has no
        # .grad (a plain Tensor's deepcopy keeps it; Tensor.__deepcopy__ does that).
        p = type(self)(_apply.wrap(self._data.copy()), self._requires_grad)
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(_apply.wrap(data), requires_grad)


_UNINIT = ('Attempted to use an uninitialized parameter in {}. This error happens when you are '
           'using a `LazyModule` or explicitly manipulating '
           '`torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call '
           '`forward` with a dummy batch to initialize the parameters before calling torch '
           'functions')


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (held by lazy modules before their first call).

    Using it as a tensor raises a clear error; ``materialize(shape)`` turns it into a
    ``Parameter`` of that shape in place.

    >>> from numtorch import nn
    >>> p = nn.parameter.UninitializedParameter()
    >>> p
    <UninitializedParameter>
    >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
    ('Parameter', (2, 3))
    """
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        p = _new(cls)
        p._data = _Uninit(cls.__name__)
        p._requires_grad = bool(requires_grad)
        p.grad_fn = None
        p._version_counter = [0]
        p.__dict__['_init_dtype'] = _dtype.to_dtype(dtype) if dtype is not None else None
        return p

    def materialize(self, shape, device=None, dtype=None):
        """Give the parameter real (uninitialized: zero) storage of ``shape``; it becomes a
        ``Parameter`` (the lazy module then runs its ``reset_parameters``)."""
        dt = dtype or self.__dict__.get('_init_dtype') or _dtype.get_default_dtype()
        self._data = xp.zeros(tuple(shape), _dtype.to_dtype(dt).np)
        # Module.to/cuda/cpu before the first forward: replay the moves and casts now
        for fn in self.__dict__.pop('_pending', ()):
            self._data = fn(self)._data
        if device is not None:
            self._data = self.to(device)._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f'<{type(self).__name__}>'

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = type(self)(self._requires_grad)
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol):
        raise ValueError('Attempted to use an uninitialized parameter in pickling; run a '
                         'forward pass first so the lazy module can infer its shape')

    @property
    def shape(self):
        raise ValueError(_UNINIT.format('shape'))

    def size(self, dim=None):
        raise ValueError(_UNINIT.format('size'))


class _Uninit:
    """Stands where an uninitialized parameter's array would be: any use raises."""
    __slots__ = ('who',)

    def __init__(self, who):
        self.who = who

    def __getattr__(self, name):
        raise ValueError(_UNINIT.format(f'an op (it read {name})'))

    def __array__(self, *a, **k):
        raise ValueError(_UNINIT.format('an op'))


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (lazy modules with buffers)."""
    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        p = _new(cls)
        p._data = _Uninit(cls.__name__)
        p._requires_grad = False
        p.grad_fn = None
        p._version_counter = [0]
        p.__dict__['_init_dtype'] = _dtype.to_dtype(dtype) if dtype is not None else None
        return p

    def materialize(self, shape, device=None, dtype=None):
        dt = dtype or self.__dict__.get('_init_dtype') or _dtype.get_default_dtype()
        self._data = xp.zeros(tuple(shape), _dtype.to_dtype(dt).np)
        # Module.to/cuda/cpu before the first forward: replay the moves and casts now
        for fn in self.__dict__.pop('_pending', ()):
            self._data = fn(self)._data
        if device is not None:
            self._data = self.to(device)._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f'<{type(self).__name__}>'


def is_lazy(param):
    """True for a parameter or buffer that is still uninitialized."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: assigning one to a module attribute registers a
    buffer (torch >= 2.5). It unwraps to a plain Tensor on registration."""
    __slots__ = ()

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _apply.wrap(xp.empty((0,), _dtype.get_default_dtype().np))
        b = _new(cls)
        b._data = data._data
        b._requires_grad = data._requires_grad
        b.grad_fn = None
        b._version_counter = data._version_counter
        b.__dict__['persistent'] = persistent
        return b
