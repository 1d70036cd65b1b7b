"""The handlers behind ``GradArray`` (``_grad_array.py``): for each NumPy function or ufunc a
backward formula calls, by NumPy's name and with NumPy's signature, the differentiable numtorch
op that records it. Grouped as written: the general table first, then the blocks added for
linear algebra, FFT/padding and reductions.
"""
import numbers

from ._grad_array import (GradArray, HANDLERS, _refuse, _raw, _tensor, _torch, _wrap,
                          _index_item, _scalar_like, _np_dtype, _call)


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


def _extreme(method):
    """``np.amax`` / ``np.amin`` on a GradArray: the tensor's ``amax`` / ``amin``."""
    def extreme(a, axis=None, out=None, keepdims=False, **kwargs):
        t = _tensor(a)
        if axis is None:
            r = getattr(t, method)()
            return GradArray(r.reshape((1,) * t.ndim) if keepdims else r)
        return GradArray(getattr(t, method)(dim=axis, keepdim=keepdims))
    return extreme


_amax, _amin = _extreme('amax'), _extreme('amin')


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


HANDLERS.update({name: _binary(name) for name in _OPS})
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
