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
    __slots__ = ('t',)
    __array_priority__ = 2000   # above Tensor's: `ndarray * GradArray` comes here

    def __init__(self, t):
        self.t = t

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

    # In-place operators rebind the name to a new recorded value (value semantics): a formula's
    # `g *= 2` is then `g = g * 2`, which is what it means for a fresh gradient.
    __iadd__, __isub__, __imul__, __itruediv__ = __add__, __sub__, __mul__, __truediv__

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
        return GradArray(self.t[_index(idx)])

    def __setitem__(self, idx, value):
        # numpy writes into the array; here the wrapper takes the written copy's history.
        out = self.t.clone()
        out[_index(idx)] = _tensor(value)
        self.t = out

    # -- methods formulas call ---------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _sum(self, axis, dtype, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _mean(self, axis, dtype, out, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _prod(self, axis, dtype, out, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _cumsum(self, axis, dtype, out)

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
        return _transpose(self, axes or None)

    @property
    def T(self):
        return _transpose(self, None)

    def swapaxes(self, a, b):
        return GradArray(self.t.transpose(a, b))

    def squeeze(self, axis=None):
        return _squeeze(self, axis)

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
        return _repeat(self, repeats, axis)

    def clip(self, a_min=None, a_max=None):
        return _clip(self, a_min, a_max)

    def max(self, axis=None, keepdims=False):
        return _amax(self, axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _amin(self, axis, keepdims=keepdims)

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


def _call(name, *args, **kwargs):
    fn = HANDLERS.get(name)
    if fn is None:
        _refuse(f'numpy.{name}')
    return fn(*args, **kwargs)


# -- the handlers: NumPy's name and signature, numtorch's differentiable op --------------------
def _binary(op):
    def handler(a, b, **kwargs):
        if kwargs.get('dtype') is not None or kwargs.get('where', True) is not True:
            _refuse(f'numpy.{op}(dtype=/where=)')
        ta, tb = _tensor(a), _tensor(b)
        if not hasattr(ta, '_data'):
            if not hasattr(tb, '_data'):
                return _raw_call(op, a, b)
            ta = _scalar_like(ta, tb)
        elif not hasattr(tb, '_data') and op not in _SCALAR_OK:
            tb = _scalar_like(tb, ta)
        return GradArray(getattr(_torch(), _OPS[op])(ta, tb))
    return handler


_SCALAR_OK = ('add', 'subtract', 'multiply', 'true_divide', 'divide', 'power')
_OPS = {'add': 'add', 'subtract': 'sub', 'multiply': 'mul', 'true_divide': 'div',
        'divide': 'div', 'power': 'pow', 'maximum': 'maximum', 'minimum': 'minimum',
        'matmul': 'matmul', 'arctan2': 'atan2', 'logaddexp': 'logaddexp', 'hypot': 'hypot',
        'copysign': 'copysign', 'fmax': 'fmax', 'fmin': 'fmin'}


def _scalar_like(s, t):
    """A number as a 0-d tensor of ``t``'s dtype and device (torch has no `number op tensor`
    for every op; the number then keeps ``t``'s dtype, as a weak scalar does)."""
    nt = _torch()
    dt = t.dtype
    if isinstance(s, complex) and not dt.is_complex:     # `1j * g`: complex, as torch's
        dt = nt.complex128 if dt == nt.float64 else nt.complex64
    return nt.tensor(s, dtype=dt, device=t.device)


def _raw_call(op, *args):
    nt = _torch()
    return getattr(nt._backend.xp, op)(*args)


def _unary(method):
    def handler(x, **kwargs):
        if kwargs.get('dtype') is not None:
            _refuse(f'numpy.{method}(dtype=)')
        return GradArray(getattr(_torch(), method)(_tensor(x)))
    return handler


def _constant(fn_name):
    """A NumPy function whose result is a constant of the derivative (a mask, a like-shaped
    buffer): computed on the plain arrays."""
    def handler(*args, **kwargs):
        nt = _torch()
        args = [_raw(a) for a in args]
        ns = nt._backend.namespace(next((a for a in args if hasattr(a, 'shape')), args[0]))
        return getattr(ns, fn_name)(*args, **{k: _raw(v) for k, v in kwargs.items()})
    return handler


def _axes(axis):
    return axis if axis is None or isinstance(axis, numbers.Integral) else tuple(axis)


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    if out is not None or kwargs.get('where', True) is not True:
        _refuse('numpy.sum(out=/where=)')
    t = _tensor(a)
    axis = _axes(axis)
    if dtype is not None:
        t = t.to(_torch()._dtype.from_numpy_dtype(_np_dtype(dtype)))
    if axis is None:
        r = t.sum()
        if keepdims:
            r = r.reshape((1,) * t.ndim)
        return GradArray(r)
    if axis == ():
        return GradArray(t)
    return GradArray(t.sum(dim=axis, keepdim=keepdims))


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    if out is not None:
        _refuse('numpy.mean(out=)')
    t = _tensor(a)
    axis = _axes(axis)
    if axis is None:
        r = t.mean()
        return GradArray(r.reshape((1,) * t.ndim) if keepdims else r)
    return GradArray(t.mean(dim=axis, keepdim=keepdims))


def _prod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    t = _tensor(a)
    if axis is None:
        r = t.prod()
        return GradArray(r.reshape((1,) * t.ndim) if keepdims else r)
    if not isinstance(axis, numbers.Integral):
        _refuse('numpy.prod over several axes')
    return GradArray(t.prod(dim=axis, keepdim=keepdims))


def _cumsum(a, axis=None, dtype=None, out=None):
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return GradArray(t.cumsum(axis))


def _cumprod(a, axis=None, dtype=None, out=None):
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return GradArray(t.cumprod(axis))


def _amax(a, axis=None, out=None, keepdims=False, **kwargs):
    t = _tensor(a)
    if axis is None:
        r = t.amax()
        return GradArray(r.reshape((1,) * t.ndim) if keepdims else r)
    return GradArray(t.amax(dim=axis, keepdim=keepdims))


def _amin(a, axis=None, out=None, keepdims=False, **kwargs):
    t = _tensor(a)
    if axis is None:
        r = t.amin()
        return GradArray(r.reshape((1,) * t.ndim) if keepdims else r)
    return GradArray(t.amin(dim=axis, keepdim=keepdims))


def _transpose(a, axes=None):
    t = _tensor(a)
    if axes is None:
        axes = tuple(range(t.ndim))[::-1]
    return GradArray(t.permute(*axes))


def _swapaxes(a, axis1, axis2):
    return GradArray(_tensor(a).transpose(axis1, axis2))


def _moveaxis(a, source, destination):
    return GradArray(_torch().moveaxis(_tensor(a), source, destination))


def _squeeze(a, axis=None):
    t = _tensor(a)
    if axis is None:
        return GradArray(t.squeeze())
    axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return GradArray(t.squeeze(axis))


def _expand_dims(a, axis):
    t = _tensor(a)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    nd = t.ndim + len(axes)
    for ax in sorted(x % nd for x in axes):
        t = t.unsqueeze(ax)
    return GradArray(t)


def _reshape(a, newshape=None, order='C', shape=None):
    return _wrap(GradArray(_tensor(a))).reshape(newshape if shape is None else shape, order=order)


def _broadcast_to(a, shape, subok=False):
    return GradArray(_tensor(a).expand(tuple(shape)))


def _where(cond, a=None, b=None):
    if a is None:
        _refuse('numpy.where(condition) (positions are not differentiable)')
    nt = _torch()
    c = nt._ops._apply.wrap(_raw(cond))
    ta, tb = _tensor(a), _tensor(b)
    ref = ta if hasattr(ta, '_data') else tb
    if not hasattr(ta, '_data'):
        ta = _scalar_like(ta, ref)
    if not hasattr(tb, '_data'):
        tb = _scalar_like(tb, ref)
    return GradArray(nt.where(c, ta, tb))


def _concatenate(arrays, axis=0, out=None, **kwargs):
    if axis is None:
        arrays, axis = [_tensor(a).reshape(-1) for a in arrays], 0
    return GradArray(_torch().cat([_tensor(a) for a in arrays], dim=axis))


def _stack(arrays, axis=0, out=None, **kwargs):
    return GradArray(_torch().stack([_tensor(a) for a in arrays], dim=axis))


def _einsum(subscripts, *operands, **kwargs):
    if kwargs.get('out') is not None:
        _refuse('numpy.einsum(out=)')
    return GradArray(_torch().einsum(subscripts, *[_tensor(o) for o in operands]))


def _tensordot(a, b, axes=2):
    if not isinstance(axes, numbers.Integral):
        axes = [list(x) if not isinstance(x, numbers.Integral) else [x] for x in axes]
    return GradArray(_torch().tensordot(_tensor(a), _tensor(b), dims=axes))


def _outer(a, b, out=None):
    return GradArray(_torch().outer(_tensor(a).reshape(-1), _tensor(b).reshape(-1)))


def _flip(m, axis=None):
    t = _tensor(m)
    dims = tuple(range(t.ndim)) if axis is None else (
        (axis,) if isinstance(axis, numbers.Integral) else tuple(axis))
    return GradArray(t.flip(dims))


def _roll(a, shift, axis=None):
    return GradArray(_torch().roll(_tensor(a), shift, axis))


def _tril(m, k=0):
    return GradArray(_torch().tril(_tensor(m), k))


def _triu(m, k=0):
    return GradArray(_torch().triu(_tensor(m), k))


def _diagonal(a, offset=0, axis1=0, axis2=1):
    return GradArray(_torch().diagonal(_tensor(a), offset, axis1, axis2))


def _repeat(a, repeats, axis=None):
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    if not isinstance(repeats, numbers.Integral):
        repeats = _torch()._ops._apply.wrap(_raw(repeats))
    return GradArray(t.repeat_interleave(repeats, dim=axis))


def _clip(a, a_min=None, a_max=None, out=None, **kwargs):
    return GradArray(_torch().clamp(_tensor(a), _raw(a_min), _raw(a_max)))


def _take_along_axis(arr, indices, axis):
    nt = _torch()
    return GradArray(nt.take_along_dim(_tensor(arr), nt._ops._apply.wrap(_raw(indices)), axis))


def _take(a, indices, axis=None, out=None, mode='raise'):
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    idx = _index_item(indices)
    return GradArray(t.index_select(axis, idx.reshape(-1)).reshape(
        t.shape[:axis] + tuple(idx.shape) + t.shape[axis + 1:]))


def _identity(a, *args, **kwargs):
    return a


def _square(x, **kwargs):
    t = _tensor(x)
    return GradArray(t * t)


def _reciprocal(x, **kwargs):
    return GradArray(_torch().reciprocal(_tensor(x)))


def _nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    return GradArray(_torch().nan_to_num(_tensor(x), nan, posinf, neginf))


def _dot(a, b, out=None):
    return _call('matmul', a, b)


def _rot90(m, k=1, axes=(0, 1)):
    return GradArray(_torch().rot90(_tensor(m), k, list(axes)))


def _like(fn_name):
    def handler(a, *args, **kwargs):
        nt = _torch()
        d = _raw(a)
        return getattr(nt._backend.namespace(d), fn_name)(d, *args, **kwargs)
    return handler


HANDLERS = {name: _binary(name) for name in _OPS}
HANDLERS.update({
    'negative': lambda x, **k: -x if x.__class__ is GradArray else _raw_call('negative', x),
    'positive': _identity,
    'exp': _unary('exp'), 'log': _unary('log'), 'sqrt': _unary('sqrt'), 'sin': _unary('sin'),
    'cos': _unary('cos'), 'tan': _unary('tan'), 'tanh': _unary('tanh'), 'sinh': _unary('sinh'),
    'cosh': _unary('cosh'), 'absolute': _unary('abs'), 'abs': _unary('abs'), 'fabs': _unary('abs'),
    'sign': _unary('sign'), 'expm1': _unary('expm1'), 'log1p': _unary('log1p'),
    'log2': _unary('log2'), 'log10': _unary('log10'), 'exp2': _unary('exp2'),
    'arcsin': _unary('asin'), 'arccos': _unary('acos'), 'arctan': _unary('atan'),
    'arcsinh': _unary('asinh'), 'arccosh': _unary('acosh'), 'arctanh': _unary('atanh'),
    'floor': _unary('floor'), 'ceil': _unary('ceil'), 'trunc': _unary('trunc'),
    'rint': _unary('round'), 'round': _unary('round'), 'conjugate': _unary('conj'),
    'conj': _unary('conj'), 'real': _unary('real'), 'imag': _unary('imag'),
    'square': _square, 'reciprocal': _reciprocal,
    'sum': _sum, 'mean': _mean, 'prod': _prod, 'cumsum': _cumsum, 'cumprod': _cumprod,
    'amax': _amax, 'max': _amax, 'amin': _amin, 'min': _amin,
    'transpose': _transpose, 'swapaxes': _swapaxes, 'moveaxis': _moveaxis,
    'squeeze': _squeeze, 'expand_dims': _expand_dims, 'reshape': _reshape,
    'broadcast_to': _broadcast_to, 'where': _where, 'concatenate': _concatenate,
    'stack': _stack, 'einsum': _einsum, 'tensordot': _tensordot, 'outer': _outer,
    'flip': _flip, 'roll': _roll, 'tril': _tril, 'triu': _triu, 'diagonal': _diagonal,
    'repeat': _repeat, 'clip': _clip, 'take': _take, 'take_along_axis': _take_along_axis,
    'ascontiguousarray': _identity, 'asarray': _identity, 'array': _identity,
    'nan_to_num': _nan_to_num, 'dot': _dot, 'rot90': _rot90,
    'shape': lambda a: a.shape, 'ndim': lambda a: a.ndim, 'size': lambda a, axis=None: (
        a.size if axis is None else a.shape[axis]),
    'result_type': lambda *a: _torch()._backend.xp.result_type(*[
        x.dtype if x.__class__ is GradArray else x for x in a]),
    'zeros_like': _like('zeros_like'), 'ones_like': _like('ones_like'),
    'empty_like': _like('zeros_like'), 'full_like': _like('full_like'),
})
for _name in ('isnan', 'isfinite', 'isinf', 'signbit', 'greater', 'greater_equal', 'less',
              'less_equal', 'equal', 'not_equal', 'logical_and', 'logical_or', 'logical_not',
              'logical_xor', 'sign_mask', 'any', 'all', 'count_nonzero', 'argmax', 'argmin',
              'argsort', 'nonzero', 'flatnonzero', 'isclose', 'allclose', 'array_equal'):
    HANDLERS[_name] = _constant(_name)


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


# -- handlers for gg-linalg --
# numpy.linalg's calls in the linear-algebra backward formulas (solve, inv, the decompositions a
# formula recomputes under create_graph) as numtorch.linalg's differentiable ops. NumPy's
# semantics are kept where torch's differ: numpy.linalg.solve takes a non-1-D ``b`` as a stack of
# matrices (torch may read a batch of vectors), numpy.linalg.svd/qr/eigh give plain tuples.
def _linalg_solve(a, b):
    ta, tb = _tensor(a), _tensor(b)
    if tb.ndim > 1 and tb.ndim == ta.ndim - 1 and tuple(tb.shape) == tuple(ta.shape[:-1]):
        tb = tb.unsqueeze(0)     # torch would take it as a batch of vectors; NumPy as a matrix
    return GradArray(_torch().linalg.solve(ta, tb))


def _linalg_tuple(ts):
    return tuple(GradArray(t) for t in ts)


def _linalg_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    nt = _torch()
    if not compute_uv:
        return GradArray(nt.linalg.svdvals(_tensor(a)))
    return _linalg_tuple(nt.linalg.svd(_tensor(a), full_matrices=full_matrices))


def _linalg_qr(a, mode='reduced'):
    if mode not in ('reduced', 'complete'):
        _refuse(f'numpy.linalg.qr(mode={mode!r})')
    return _linalg_tuple(_torch().linalg.qr(_tensor(a), mode=mode))


def _linalg_cholesky(a, upper=False):
    return GradArray(_torch().linalg.cholesky(_tensor(a), upper=upper))


def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is None:
        if not axisa == axisb == axisc:
            _refuse('numpy.cross with different axisa/axisb/axisc')
        axis = axisa
    ta, tb = _tensor(a), _tensor(b)
    nd = max(ta.ndim, tb.ndim)    # NumPy broadcasts operands of different ranks; torch does not
    if ta.ndim != tb.ndim and axis >= 0:
        _refuse('numpy.cross of operands of different ranks along a non-negative axis')
    ta = ta.reshape((1,) * (nd - ta.ndim) + tuple(ta.shape))
    tb = tb.reshape((1,) * (nd - tb.ndim) + tuple(tb.shape))
    return GradArray(_torch().linalg.cross(ta, tb, dim=axis))


HANDLERS.update({
    'cross': _cross,
    'linalg.solve': _linalg_solve,
    'linalg.inv': lambda a: GradArray(_torch().linalg.inv(_tensor(a))),
    'linalg.det': lambda a: GradArray(_torch().linalg.det(_tensor(a))),
    'linalg.slogdet': lambda a: _linalg_tuple(_torch().linalg.slogdet(_tensor(a))),
    'linalg.svd': _linalg_svd,
    'linalg.svdvals': lambda x: GradArray(_torch().linalg.svdvals(_tensor(x))),
    'linalg.eigh': lambda a, UPLO='L': _linalg_tuple(_torch().linalg.eigh(_tensor(a), UPLO)),
    'linalg.eigvalsh': lambda a, UPLO='L': GradArray(_torch().linalg.eigvalsh(_tensor(a), UPLO)),
    'linalg.qr': _linalg_qr,
    'linalg.cholesky': _linalg_cholesky,
    'linalg.matrix_transpose': lambda x: GradArray(_tensor(x).transpose(-2, -1)),
})


# -- handlers for gg-index --
def _fft(name, n_dim):
    """``numpy.fft.<name>`` (reached through ``__array_function__``) as numtorch.fft's
    differentiable transform of the same name: 1-D ones take ``n``/``axis``, n-D ones
    ``s``/``axes``; ``norm=None`` is NumPy's and torch's 'backward' alike."""
    if n_dim:
        def handler(a, s=None, axes=None, norm=None, out=None):
            if out is not None:
                _refuse(f'numpy.fft.{name}(out=)')
            nt = _torch()
            t = _tensor(a)
            dim = None if axes is None else tuple(axes)
            return GradArray(getattr(nt.fft, name)(t, None if s is None else tuple(s), dim,
                                                   norm))
    else:
        def handler(a, n=None, axis=-1, norm=None, out=None):
            if out is not None:
                _refuse(f'numpy.fft.{name}(out=)')
            return GradArray(getattr(_torch().fft, name)(_tensor(a), n, axis, norm))
    return handler


def _pad(array, pad_width, mode='constant', **kwargs):
    """``numpy.pad`` with zeros (the only mode a gradient formula pads with)."""
    if mode != 'constant' or kwargs.get('constant_values', 0) != 0:
        _refuse(f'numpy.pad(mode={mode!r}, constant_values=...)')
    t = _tensor(array)
    widths = [tuple(int(v) for v in w) for w in pad_width]
    flat = []
    for lo, hi in reversed(widths):      # torch's pad lists the last dim first
        flat += [lo, hi]
    from ..nn.functional import pad
    return GradArray(pad(t, flat))


HANDLERS.update({
    **{n: _fft(n, False) for n in ('fft', 'ifft', 'rfft', 'irfft', 'hfft', 'ihfft')},
    **{n: _fft(n, True) for n in ('fftn', 'ifftn', 'rfftn', 'irfftn', 'fft2', 'ifft2',
                                   'rfft2', 'irfft2')},
    'pad': _pad,
})


# -- handlers for gg-reduce --
def _put_along_axis(arr, indices, values, axis):
    """``numpy.put_along_axis`` into a gradient buffer: a differentiable ``scatter`` (the
    values' gradient is gathered back from the same positions)."""
    if arr.__class__ is not GradArray or axis is None:
        _refuse('numpy.put_along_axis into a plain array (or with axis=None)')
    nt = _torch()
    idx = _raw(indices)
    if idx.dtype != nt._backend.xp.int64:
        idx = idx.astype(nt._backend.xp.int64)
    v = _tensor(values)
    if not hasattr(v, '_data'):
        v = _scalar_like(v, arr.t)
    if tuple(v.shape) != idx.shape:
        v = v.expand(idx.shape)
    arr.t = arr.t.scatter(axis, nt._ops._apply.wrap(idx), v)


def _fill_diagonal(a, val, wrap=False):
    """``numpy.fill_diagonal`` of a gradient buffer: a ``where`` on the diagonal's mask."""
    if a.__class__ is not GradArray or val.__class__ is GradArray:
        _refuse('numpy.fill_diagonal of a plain array or with a gradient as the value')
    nt = _torch()
    mask = nt._backend.namespace(a.t._data).zeros(a.shape, bool)
    nt._backend.xp.fill_diagonal(mask, True, wrap=wrap)
    a.t = nt.where(nt._ops._apply.wrap(mask), _scalar_like(val, a.t), a.t)


HANDLERS.update({'put_along_axis': _put_along_axis, 'fill_diagonal': _fill_diagonal})
