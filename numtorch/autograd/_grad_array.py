"""Differentiable arrays: how one backward formula also builds the graph of its own derivative.

Every op's ``backward`` is written once, with NumPy-style array code (``g * b``,
``xp.where(x > 0, g, 0)``, ``g.sum(axis=0).reshape(shape)``). For a first-order pass it runs on
plain arrays, at NumPy's speed. For ``create_graph=True`` the engine hands the same formula
``GradArray`` objects instead: each wraps a numtorch ``Tensor`` and answers the array calls the
formulas make by calling numtorch's differentiable ops, so the gradient comes out as a tensor
with history, differentiable again, to any order (Chainer's and PyTorch's idea: derivatives are
written in the framework's own differentiable functions).

NumPy's protocols route the calls: operators go to the dunder methods below, ``numpy.exp(ga)``
to ``__array_ufunc__`` and ``numpy.where(c, ga, 0)`` to ``__array_function__``. Device
namespaces (CuPy) do not dispatch, so the engine also swaps a node's ``xp`` for ``GradNamespace``.

Anything a formula does that has no differentiable meaning here (writing into a plain buffer,
``ufunc.at``, ``out=``) raises ``NotImplementedError`` naming the op, never a silent constant:
``__array__`` refuses, so a GradArray cannot quietly turn into a plain array.
"""
import numbers

_nt = None   # the numtorch package, bound on first use (it imports this module)


def _torch():
    global _nt
    if _nt is None:
        import numtorch
        _nt = numtorch
    return _nt


class DoubleBackwardError(NotImplementedError):
    """A backward formula used an array operation that cannot be recorded for create_graph."""


def _refuse(what):
    raise DoubleBackwardError(
        f'double backward (create_graph=True) through this op is not supported by numtorch: its '
        f'backward uses {what}, which has no differentiable form here')


class GradArray:
    """An array-like view of a Tensor ``t`` whose operations are recorded by autograd."""
    __slots__ = ('t', 'base')
    __array_priority__ = 2000   # above Tensor's: `ndarray * GradArray` comes here

    def __init__(self, t, base=None):
        self.t = t
        self.base = base   # (parent GradArray, index) for a basic-indexing view: writes go back

    # -- what formulas read -------------------------------------------------------------------
    @property
    def shape(self):
        return self.t._data.shape

    @property
    def ndim(self):
        return self.t._data.ndim

    @property
    def dtype(self):
        return self.t._data.dtype

    @property
    def size(self):
        return self.t._data.size

    @property
    def data(self):
        return self.t._data

    def __len__(self):
        return len(self.t._data)

    def __repr__(self):
        return f'GradArray({self.t!r})'

    def __array__(self, *args, **kwargs):
        _refuse('a conversion of a gradient to a plain array (a write into a buffer, or a '
                'NumPy call numtorch does not map)')

    def __bool__(self):
        _refuse('the truth value of a gradient')

    # -- operators ----------------------------------------------------------------------------
    def __add__(self, o):
        return _call('add', self, o)

    def __radd__(self, o):
        return _call('add', o, self)

    def __sub__(self, o):
        return _call('subtract', self, o)

    def __rsub__(self, o):
        return _call('subtract', o, self)

    def __mul__(self, o):
        return _call('multiply', self, o)

    def __rmul__(self, o):
        return _call('multiply', o, self)

    def __truediv__(self, o):
        return _call('true_divide', self, o)

    def __rtruediv__(self, o):
        return _call('true_divide', o, self)

    def __pow__(self, o):
        return _call('power', self, o)

    def __rpow__(self, o):
        return _call('power', o, self)

    def __matmul__(self, o):
        return _call('matmul', self, o)

    def __rmatmul__(self, o):
        return _call('matmul', o, self)

    def __neg__(self):
        return GradArray(-self.t)

    def __pos__(self):
        return self

    def __abs__(self):
        return GradArray(self.t.abs())

    # In-place operators write, as NumPy's do: the wrapper takes the new value (cast to its
    # dtype) and, for a view (``d = buf[a:b]``), writes it into the parent too, so a formula
    # that fills a buffer through slices records what NumPy would compute.
    def _assign(self, value):
        t = value.t if value.__class__ is GradArray else _tensor(value)
        if t._data.dtype != self.t._data.dtype:
            t = t.to(self.t.dtype)
        self.t = t
        if self.base is not None:
            parent, idx = self.base
            parent[idx] = self
        return self

    def __iadd__(self, o):
        return self._assign(_call('add', self, o))

    def __isub__(self, o):
        return self._assign(_call('subtract', self, o))

    def __imul__(self, o):
        return self._assign(_call('multiply', self, o))

    def __itruediv__(self, o):
        return self._assign(_call('true_divide', self, o))

    # Comparisons give plain boolean arrays: masks are constants of the derivative.
    def __gt__(self, o):
        return self.t._data > _raw(o)

    def __ge__(self, o):
        return self.t._data >= _raw(o)

    def __lt__(self, o):
        return self.t._data < _raw(o)

    def __le__(self, o):
        return self.t._data <= _raw(o)

    def __eq__(self, o):
        return self.t._data == _raw(o)

    def __ne__(self, o):
        return self.t._data != _raw(o)

    __hash__ = None

    # -- indexing ----------------------------------------------------------------------------
    def __getitem__(self, idx):
        # basic indexing is a view in NumPy: remember the parent, so writes reach it
        return GradArray(self.t[_index(idx)], (self, idx) if _basic(idx) else None)

    def __setitem__(self, idx, value):
        # numpy writes into the array; here the wrapper takes the written copy's history.
        out = self.t.clone()
        v = _tensor(value)
        out[_index(idx)] = v if v.__class__ is not GradArray else v.t
        self._assign(GradArray(out))

    # -- methods formulas call ---------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _call('sum', self, axis, dtype, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _call('mean', self, axis, dtype, out, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _call('prod', self, axis, dtype, out, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _call('cumsum', self, axis, dtype, out)

    def reshape(self, *shape, order='C'):
        if order != 'C':
            _refuse(f'reshape(order={order!r})')
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = tuple(shape[0])
        return GradArray(self.t.reshape(shape))

    def ravel(self):
        return GradArray(self.t.reshape(-1))

    def transpose(self, *axes):
        if len(axes) == 1 and axes[0] is not None and not isinstance(axes[0], numbers.Integral):
            axes = tuple(axes[0])
        return _call('transpose', self, axes or None)

    @property
    def T(self):
        return _call('transpose', self, None)

    def swapaxes(self, a, b):
        return GradArray(self.t.transpose(a, b))

    def squeeze(self, axis=None):
        return _call('squeeze', self, axis)

    def astype(self, dtype, copy=True, **kwargs):
        nt = _torch()
        return GradArray(self.t.to(nt._dtype.from_numpy_dtype(_np_dtype(dtype))))

    def copy(self, order='C'):
        return GradArray(self.t.clone())

    def conj(self):
        return GradArray(self.t.conj())

    conjugate = conj

    @property
    def real(self):
        return GradArray(_torch().real(self.t)) if self.t.is_complex() else self

    @property
    def imag(self):
        return GradArray(_torch().imag(self.t))

    def repeat(self, repeats, axis=None):
        return _call('repeat', self, repeats, axis)

    def clip(self, a_min=None, a_max=None):
        return _call('clip', self, a_min, a_max)

    def max(self, axis=None, keepdims=False):
        return _call('amax', self, axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _call('amin', self, axis, keepdims=keepdims)

    def ufunc_at(self, name, index, values):
        """``numpy.<name>.at(self, index, values)``: an accumulating scatter, recorded."""
        if name != 'add':
            _refuse(f'numpy.{name}.at')
        self.t = _index_add(self.t, _index(index), _tensor(values))

    def fill(self, value):
        self.t = _torch().full_like(self.t, value)

    def item(self):
        _refuse('.item() of a gradient')

    def tolist(self):
        _refuse('.tolist() of a gradient')

    # -- NumPy's protocols --------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == 'at' and inputs[0].__class__ is GradArray:
            return inputs[0].ufunc_at(ufunc.__name__, inputs[1], *inputs[2:])
        if method != '__call__':
            _refuse(f'numpy.{ufunc.__name__}.{method}')
        if kwargs.get('out') is not None:
            _refuse(f'numpy.{ufunc.__name__}(out=...)')
        kwargs.pop('out', None)
        return _call(ufunc.__name__, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        # numpy.linalg's functions are keyed 'linalg.<name>': numpy.linalg.diagonal/trace/
        # cross/outer differ from the top-level functions of the same names.
        if func.__module__ == 'numpy.linalg':
            return _call('linalg.' + func.__name__, *args, **kwargs)
        return _call(func.__name__, *args, **kwargs)


def _np_dtype(dtype):
    return _torch()._backend.xp.dtype(dtype)


def _raw(x):
    """The plain array (or number) behind ``x``: a constant of the derivative."""
    return x.t._data if x.__class__ is GradArray else x


def _basic(idx):
    """Whether ``idx`` is NumPy basic indexing (ints, slices, ``...``, None): a view."""
    for i in (idx if idx.__class__ is tuple else (idx,)):
        if not (i is None or i is Ellipsis or i.__class__ is slice or isinstance(i, numbers.Integral)):
            return False
    return True


def _index(idx):
    """An index for a Tensor: GradArrays (never differentiable positions) made plain, and
    index arrays as Tensors (numtorch indexes with tensors, on their device)."""
    if idx.__class__ is tuple:
        return tuple(_index_item(i) for i in idx)
    return _index_item(idx)


def _index_item(i):
    i = _raw(i)
    if hasattr(i, 'shape') and hasattr(i, 'dtype') and not isinstance(i, numbers.Number):
        return _torch()._ops._apply.wrap(i)
    return i


def _tensor(x):
    """``x`` as a Tensor: a GradArray's own, a plain array as a constant, a number as is."""
    if x.__class__ is GradArray:
        return x.t
    if isinstance(x, numbers.Number):
        return x
    nt = _torch()
    if not (hasattr(x, 'shape') and hasattr(x, 'dtype')):
        x = nt._backend.xp.asarray(x)
    return nt._ops._apply.wrap(x)


def _index_add(base, index, values):
    """``base`` with ``values`` added at ``index`` (repeats accumulate), differentiably: the
    positions are found once on plain arrays (an arange of base's size), then one index_put."""
    nt = _torch()
    d = base._data
    ns = nt._backend.namespace(d)
    # the positions come from plain arrays: index tensors (GradArray's indexes) as their arrays
    index = tuple(_plain_index(i) for i in index) if index.__class__ is tuple \
        else _plain_index(index)
    pos = ns.arange(d.size).reshape(d.shape)[index]
    flat = base.reshape(-1)
    if not hasattr(values, '_data'):
        values = _scalar_like(values, base)
    vals = values.expand(pos.shape) if tuple(values.shape) != pos.shape else values
    out = flat.index_put((nt._ops._apply.wrap(pos.reshape(-1)),), vals.reshape(-1),
                         accumulate=True)
    return out.reshape(d.shape)


def _plain_index(i):
    return i._data if isinstance(i, _torch().Tensor) else i


def _wrap(t):
    return GradArray(t) if t.__class__ is not GradArray else t


def _any_grad(args):
    for a in args:
        if a.__class__ is GradArray:
            return True
        if a.__class__ in (list, tuple) and _any_grad(a):
            return True
    return False


def _scalar_like(s, t):
    """A number as a 0-d tensor of ``t``'s dtype and device (torch has no `number op tensor`
    for every op; the number then keeps ``t``'s dtype, as a weak scalar does)."""
    nt = _torch()
    dt = t.dtype
    if isinstance(s, complex) and not dt.is_complex:     # `1j * g`: complex, as torch's
        dt = nt.complex128 if dt == nt.float64 else nt.complex64
    return nt.tensor(s, dtype=dt, device=t.device)


def _call(name, *args, **kwargs):
    fn = HANDLERS.get(name)
    if fn is None:
        _refuse(f'numpy.{name}')
    return fn(*args, **kwargs)


_BUFFERS = ('zeros', 'zeros_like', 'empty', 'empty_like', 'ones', 'ones_like', 'full',
            'full_like')


def _buffer(real):
    """A float buffer a formula creates (``xp.zeros(shape)`` then writes gradients into) is a
    GradArray constant, so the writes are recorded; integer and bool buffers stay plain."""
    def create(*args, **kwargs):
        args = [_raw(a) for a in args]
        arr = real(*args, **kwargs)
        if arr.dtype.kind in 'fc':
            return GradArray(_torch()._ops._apply.wrap(arr))
        return arr
    return create


class GradNamespace:
    """A device's array namespace as a backward formula sees it under create_graph: a function
    given a GradArray runs its differentiable handler; anything else (creation functions,
    constants, dtypes, calls on plain arrays) is the real namespace's."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        real = getattr(self._real, name)
        if name in _BUFFERS:
            return _buffer(real)
        handler = HANDLERS.get(name)
        if handler is None or not callable(real):
            return real

        def dispatch(*args, **kwargs):
            if _any_grad(args) or _any_grad(tuple(kwargs.values())):
                return handler(*args, **kwargs)
            return real(*args, **kwargs)
        dispatch.__name__ = name
        return dispatch


# The table of handlers (NumPy name -> differentiable numtorch op) lives in _grad_handlers.py;
# it fills HANDLERS when imported, which must happen after the names above exist.
HANDLERS = {}
from . import _grad_handlers  # noqa: E402,F401
