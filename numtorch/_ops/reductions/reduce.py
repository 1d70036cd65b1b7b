"""Reductions over all elements or along ``dim`` (``axis=`` and ``keepdims=`` accepted too):
sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin, median, all/any,
count_nonzero, aminmax. Statistics (std/var/norm/logsumexp) are in ``stats.py``, scans
(cumsum/cumprod) in ``scan.py``.

Gradient routing follows torch: a full ``max()`` (and ``amax``, ``median()``) shares the gradient
evenly among tied elements; ``max(dim)`` sends it to the returned index.
"""
from ..._backend import xp, namespace, ufunc_at
from ..._dtype import scalar_name
from ..._dtype_ext import is_float
from ...autograd.graph import Node, connect, saved_tensors
from ...autograd.grad_mode import _enabled
from .._apply import bind, unary, wrap, ndarray
from ... import return_types
from .._compose import _nt


def _dims(dim, ndim):
    """Normalize ``dim`` (None, int or sequence) to a tuple of non-negative axes, or None.

    None means every axis; so does any valid dim of a 0-dim tensor (torch accepts 0 and -1).
    """
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(_one(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f'dim {axes[0]} appears multiple times in the list of dims')
    else:
        axes = (_one(dim, ndim),)
    return axes if ndim else None


def _one(d, ndim):
    n = ndim if ndim > 1 else 1
    d = int(d)
    if not -n <= d < n:
        raise IndexError(f'Dimension out of range (expected to be in range of [{-n}, {n - 1}], '
                         f'but got {d})')
    return d % n


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim and len(shape):
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


def _dim_kw(dim, kwargs):
    if 'axis' in kwargs:
        dim = kwargs.pop('axis')
    keepdim = kwargs.pop('keepdims', kwargs.pop('keepdim', False))
    return dim, keepdim, kwargs.pop('dtype', None)


class Sum(Node):
    axes = None
    keepdim = False

    def forward(self, a, axes=None, keepdim=False, dtype=None):
        self.shape = a.shape
        if axes is not None:
            self._name = 'SumBackward1'
            self.axes = axes
        if keepdim:
            self.keepdim = True
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64   # torch sums integers and bools in int64
        elif dtype is None and a.dtype.kind == 'V':   # bfloat16: accumulate in float32, as torch
            return a.sum(axes, xp.float32, None, keepdim).astype(a.dtype)
        return a.sum(axes, dtype, None, keepdim)

    def backward(self, g):
        return _expand_back(g, self.shape, self.axes, self.keepdim)


class Mean(Node):
    def forward(self, a, axes, keepdim, dtype):
        if dtype is None and not is_float(a.dtype):
            raise RuntimeError(f'mean(): could not infer output dtype. Input dtype must be either '
                               f'a floating point or complex dtype. Got: {_cap(a.dtype)}')
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        if axes is not None:
            self._name = 'MeanBackward1'
        n = a.size if axes is None else int(xp.prod([a.shape[i] for i in axes]))
        self.n = n
        return a.mean(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _expand_back(g / self.n, self.shape, self.axes, self.keepdim)


_cap = scalar_name


def sum(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """Sum of all elements, or along ``dim`` (an int or a tuple).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).sum(dim=0)
    tensor([4, 6])
    """
    if dim is None and not kwargs and dtype is None:
        return unary(Sum, input) if not keepdim else unary(Sum, input, None, True)   # fast path
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from ..._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(Sum, input, _dims(dim, input._data.ndim), keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """Mean of all elements, or along ``dim``; needs a floating input (or ``dtype=``).

    >>> import numtorch
    >>> numtorch.tensor([[1., 2.], [3., 4.]]).mean(1)
    tensor([1.5000, 3.5000])
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from ..._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(Mean, input, _dims(dim, input._data.ndim), keepdim, dtype)


def _reduced_empty(name, a, axes, error=RuntimeError):
    """torch refuses max/min/argmax/... over an empty dimension (there is no identity)."""
    if a.size:
        return
    if axes is None:
        tail = '' if error is IndexError else " Specify the reduction dim with the 'dim' argument."
        raise error(f'{name}(): Expected reduction dim to be specified for input.numel() == 0.{tail}')
    for d in axes:
        if a.shape[d] == 0:
            raise IndexError(f'{name}(): Expected reduction dim {d} to have non-zero size.')


def _ties(a, out_k):
    """Mask of the elements equal to the (keepdim) extreme ``out_k``; NaN matches NaN."""
    mask = a == out_k
    if out_k.dtype.kind == 'f':
        mask |= xp.isnan(a) & xp.isnan(out_k)
    return mask


class Prod(Node):
    def forward(self, a, axes, keepdim, dtype):
        if axes is not None:
            self._name = 'ProdBackward1'
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64
        out = a.prod(axis=axes, keepdims=keepdim, dtype=dtype)
        self.saved = (a,)
        self.axes, self.keepdim = axes, keepdim
        return out

    def backward(self, g):
        # With no zero, d prod / d x_i = prod / x_i. With one zero in a slice only that element
        # gets the product of the others; with two or more every gradient is zero.
        a, = self.saved
        axes = self.axes
        g = _expand_back(g, a.shape, axes, self.keepdim)
        zero = a == 0
        nz = zero.sum(axis=axes, keepdims=True)
        others = xp.where(zero, 1, a).prod(axis=axes, keepdims=True)
        safe = xp.where(zero, 1, a)
        grad = xp.where(zero, (nz == 1) * others, (nz == 0) * others / safe)
        return g * grad

    def backward_graphed(self, g):
        # The masks above make the gradient at a zero (and next to one) a constant, so its own
        # derivative would be wrong there. torch's prod_safe_zeros_backward instead: the
        # product of the elements before and after each one (exclusive cumprods), a smooth
        # function of every input; used whatever the values (no check of them on the host).
        a, = saved_tensors(self)
        if a.ndim == 0:
            return g
        nt = _nt()
        x = a.reshape(-1) if self.axes is None else a
        d = 0 if self.axes is None else self.axes[0]
        n = x.shape[d]
        if self.axes is not None and not self.keepdim:
            g = g.unsqueeze(d)
        if n == 0:
            return g.expand(a.shape) * 1
        ones = nt.ones(x.shape[:d] + (1,) + x.shape[d + 1:], dtype=x.dtype, device=x.device)
        before = nt.cat([ones, x.narrow(d, 0, n - 1)], d).cumprod(d)
        after = nt.cat([ones, x.narrow(d, 1, n - 1).flip(d)], d).cumprod(d).flip(d)
        return (g * (before * after)).reshape(a.shape)


class MaxAll(Node):
    """``max()`` / ``min()`` of every element; ties share the gradient evenly (as torch)."""
    _name = 'MaxBackward1'
    fn = staticmethod(xp.ndarray.max)   # the method: a fraction of np.max's Python-level overhead
    label = 'max'

    def forward(self, a):
        if not a.size:
            _reduced_empty(self.label, a, None)
        # the NumPy method is fast on the CPU; device arrays have their own method of that name
        out = self.fn(a) if a.__class__ is ndarray else getattr(a, self.fn.__name__)()
        self.saved = (a,)
        self.out = out
        return out

    def backward(self, g):
        a, = self.saved
        mask = _ties(a, self.xp.asarray(self.out))
        return mask * (g / mask.sum())


class MinAll(MaxAll):
    _name = 'MinBackward1'
    fn = staticmethod(xp.ndarray.min)
    label = 'min'


class Amax(Node):
    """``amax``/``amin`` over ``dim``: values only, ties share the gradient evenly."""
    fn = staticmethod(xp.ndarray.max)
    label = 'amax'

    def forward(self, a, axes, keepdim):
        _reduced_empty(self.label, a, axes)
        out_k = (self.fn(a, axis=axes, keepdims=True) if a.__class__ is ndarray
                 else getattr(a, self.fn.__name__)(axis=axes, keepdims=True))
        self.saved = (a, out_k)
        self.axes, self.keepdim = axes, keepdim
        if keepdim or a.ndim == 0:
            return out_k
        return out_k.reshape(()) if axes is None else xp.squeeze(out_k, axes)

    def backward(self, g):
        a, out_k = self.saved
        mask = _ties(a, out_k)
        if not self.keepdim and self.axes is not None and a.ndim:
            g = xp.expand_dims(g, self.axes)
        return mask * (g / mask.sum(axis=self.axes, keepdims=True))


class Amin(Amax):
    fn = staticmethod(xp.ndarray.min)
    label = 'amin'


class SelectAlong(Node):
    """Values picked along ``axis`` at ``idx``; the gradient goes back to those positions.

    The base of every (values, indices) node: max/min/median(dim) here, sort/topk/kthvalue/
    cummax in ``sorting``, nanmedian/mode in ``order_stats``."""
    frees = True   # torch saves the indices / mask / input as tensors

    def pick(self, a, idx, axis, keepdim=True):
        self.shape, self.axis, self.idx, self.keepdim = a.shape, axis, idx, keepdim
        vals = xp.take_along_axis(a, idx, axis)
        if not keepdim:
            vals, idx = vals.squeeze(axis), idx.squeeze(axis)
        return vals, idx.astype(xp.int64, copy=False)

    def backward(self, g):
        if self.axis is None:
            return g
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
        out = self.xp.zeros(self.shape, g.dtype)
        if self.accumulate:
            ufunc_at('add', out, _full_index(self.idx, self.axis), g)
        else:
            xp.put_along_axis(out, self.idx, g, self.axis)
        return out

    accumulate = False


def _full_index(idx, axis):
    """An advanced-index tuple addressing ``idx`` along ``axis`` (for ``add.at``)."""
    grids = list(namespace(idx).indices(idx.shape, sparse=True))
    grids[axis] = idx
    return tuple(grids)


class MaxDim(SelectAlong):
    """``max(dim)`` / ``min(dim)``: (values, indices); the gradient goes to each index
    (``SelectAlong.backward``)."""
    _name = 'MaxBackward0'
    arg = staticmethod(xp.ndarray.argmax)
    red = staticmethod(xp.ndarray.max)     # None: read the values at the indices instead
    label = 'max'

    def forward(self, a, axis, keepdim):
        self.shape, self.keepdim = a.shape, keepdim
        if a.ndim == 0:
            self.axis = None
            return a.copy(), self.xp.zeros((), xp.int64)
        if a.shape[axis] == 0:
            raise IndexError(f'{self.label}(): Expected reduction dim {axis} to have non-zero size.')
        # NumPy's methods are fast on the CPU; a device array has methods of the same names
        # (median's ``arg`` is a function of xp calls: any device)
        cpu = a.__class__ is ndarray or self.red is None
        idx = (self.arg(a, axis, keepdims=True) if cpu
               else getattr(a, self.arg.__name__)(axis, keepdims=True))
        # max/argmax agree, NaN included (both pick the first NaN), and max is cheaper than a gather
        vals = (xp.take_along_axis(a, idx, axis) if self.red is None
                else self.red(a, axis, None, True) if cpu
                else getattr(a, self.red.__name__)(axis, None, True))
        self.axis, self.idx = axis, idx
        if not keepdim:
            vals, idx = vals.squeeze(axis), idx.squeeze(axis)
        return vals, idx.astype(xp.int64, copy=False)


class MinDim(MaxDim):
    _name = 'MinBackward0'
    arg = staticmethod(xp.ndarray.argmin)
    red = staticmethod(xp.ndarray.min)
    label = 'min'


class MedianAll(Node):
    """The lower median of every element (torch does not average the middle two)."""
    _name = 'MedianBackward0'

    def forward(self, a):
        if a.size == 0:
            return self.xp.array(xp.nan, a.dtype) if a.dtype.kind == 'f' else self.xp.zeros((), a.dtype)
        flat = a.reshape(-1)
        k = (flat.size - 1) // 2
        out = xp.partition(flat, k)[k]
        if a.dtype.kind == 'f' and xp.isnan(flat).any():
            out = a.dtype.type(xp.nan)
        self.saved = (a,)
        self.out = out
        return self.xp.asarray(out)

    def backward(self, g):
        a, = self.saved
        mask = _ties(a, self.xp.asarray(self.out))
        return mask * (g / mask.sum())


class MedianDim(MaxDim):
    _name = 'MedianBackward1'
    label = 'median'
    red = None

    @staticmethod
    def arg(a, axis, keepdims=False):
        k = (a.shape[axis] - 1) // 2
        idx = xp.take(xp.argsort(a, axis=axis, kind='stable'), k, axis=axis)
        if a.dtype.kind == 'f':     # a slice with NaN has median NaN, at its first NaN
            nan = xp.isnan(a)
            idx = xp.where(nan.any(axis=axis), nan.argmax(axis=axis), idx)
        return xp.expand_dims(idx, axis) if keepdims else idx


def _values_indices(cls, x, kind, *args):
    """Run a (values, indices) node: only ``values`` joins the graph, as in torch."""
    node = cls()
    bind(node, x._data)
    v, i = node.forward(x._data, *args)
    out = wrap(v)
    if x._requires_grad and _enabled[0]:
        connect(node, out, (x,))
    return kind(out, wrap(i))


def _minmax(name, node_all, node_dim, kind, other_fn):
    def fn(input, dim=None, keepdim=False, *, out=None, **kwargs):
        if kwargs:
            dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
        if dim is None:
            return unary(node_all, input)
        if isinstance(dim, _apply_Tensor()):
            return other_fn(input, dim)
        return _values_indices(node_dim, input, kind, _one(dim, input._data.ndim), keepdim)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _apply_Tensor():
    from .. import _apply
    return _apply.Tensor


def _maximum(a, b):
    from ..pointwise.binary import maximum
    return maximum(a, b)


def _minimum(a, b):
    from ..pointwise.binary import minimum
    return minimum(a, b)


max = _minmax('max', MaxAll, MaxDim, return_types.max, _maximum)
max.__doc__ = """``max(input)``: the largest element. ``max(input, dim, keepdim=False)``: a named
    tuple ``(values, indices)`` along ``dim``. ``max(input, other)``: ``maximum``.

    >>> import numtorch
    >>> x = numtorch.tensor([[1, 5], [7, 2]])
    >>> x.max(), x.max(dim=1).indices
    (tensor(7), tensor([1, 0]))
    """
min = _minmax('min', MinAll, MinDim, return_types.min, _minimum)
min.__doc__ = """``min(input)``, ``min(input, dim, keepdim=False)`` -> ``(values, indices)``, or
    ``min(input, other)`` (``minimum``); see ``max``.

    >>> import numtorch
    >>> numtorch.tensor([[1, 5], [7, 2]]).min(0).values
    tensor([1, 2])
    """


def amax(input, dim=(), keepdim=False, **kwargs):
    """Largest values over ``dim`` (an int or tuple; ``()`` = all); ties share the gradient.

    >>> import numtorch
    >>> numtorch.tensor([[1, 5], [7, 2]]).amax(1)
    tensor([5, 7])
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    return unary(Amax, input, _dims(dim, input._data.ndim), keepdim)


def amin(input, dim=(), keepdim=False, **kwargs):
    """Smallest values over ``dim`` (an int or tuple; ``()`` = all)."""
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    return unary(Amin, input, _dims(dim, input._data.ndim), keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` as a named tuple, over everything or along ``dim``.

    >>> import numtorch
    >>> numtorch.aminmax(numtorch.tensor([3, 1, 2]))
    torch.return_types.aminmax(
    min=tensor(1),
    max=tensor(3))
    """
    dims = None if dim is None else _dims(dim, input._data.ndim)
    return return_types.aminmax(unary(Amin, input, dims, keepdim), unary(Amax, input, dims, keepdim))


def _arg(name, fn):
    def arg(input, dim=None, keepdim=False, **kwargs):
        if kwargs:
            dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
        a = input._data
        if a.dtype.kind == 'b':
            raise RuntimeError(f'{name}(): does not support bool input')
        if dim is None:
            _reduced_empty(name, a, None, IndexError)
            out = (xp if a.__class__ is ndarray else namespace(a)).asarray(fn(a), xp.int64)
            return wrap(out.reshape((1,) * a.ndim) if keepdim else out)
        axis = _one(dim, a.ndim)
        if a.ndim == 0:
            return wrap(namespace(a).zeros((), xp.int64))
        _reduced_empty(name, a, (axis,))
        return wrap(fn(a, axis=axis, keepdims=keepdim).astype(xp.int64, copy=False))
    arg.__name__ = arg.__qualname__ = name
    return arg


argmax = _arg('argmax', xp.argmax)
argmax.__doc__ = """Index of the largest element (of the flattened input, or along ``dim``).

    >>> import numtorch
    >>> numtorch.tensor([[1, 5], [7, 2]]).argmax(), numtorch.tensor([[1, 5], [7, 2]]).argmax(1)
    (tensor(2), tensor([1, 0]))
    """
argmin = _arg('argmin', xp.argmin)
argmin.__doc__ = """Index of the smallest element (of the flattened input, or along ``dim``)."""


def median(input, dim=None, keepdim=False, **kwargs):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``.

    >>> import numtorch
    >>> numtorch.tensor([1., 4., 2., 3.]).median()
    tensor(2.)
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    if input._data.dtype.kind == 'b':
        raise NotImplementedError('"median_cpu" not implemented for \'Bool\'')
    if dim is None:
        return unary(MedianAll, input)
    return _values_indices(MedianDim, input, return_types.median, _one(dim, input._data.ndim), keepdim)


def _logical(name, method):
    def fn(input, dim=None, keepdim=False, **kwargs):
        if kwargs:
            dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
        a = input._data
        out = getattr(a, method)(axis=_dims(dim, a.ndim), keepdims=keepdim)
        # torch keeps uint8 for uint8 input, bool for everything else
        return wrap(namespace(a).asarray(out, xp.uint8 if a.dtype == xp.uint8 else xp.bool_))
    fn.__name__ = fn.__qualname__ = name
    return fn


all = _logical('all', 'all')
all.__doc__ = """True if every element (along ``dim``) is nonzero.

    >>> import numtorch
    >>> numtorch.tensor([[1, 0], [2, 3]]).all(dim=1)
    tensor([False,  True])
    """
any = _logical('any', 'any')
any.__doc__ = """True if some element (along ``dim``) is nonzero.

    >>> import numtorch
    >>> numtorch.tensor([0., 0.]).any()
    tensor(False)
    """


def count_nonzero(input, dim=None):
    """Number of nonzero elements, over everything or along ``dim`` (int or tuple), as int64.

    >>> import numtorch
    >>> numtorch.count_nonzero(numtorch.tensor([[0, 1], [2, 3]]), dim=0)
    tensor([1, 2])
    """
    a = input._data
    return wrap(namespace(a).asarray(xp.count_nonzero(a, axis=_dims(dim, a.ndim)), xp.int64))


def prod(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """Product of all elements, or along ``dim`` (integers multiply in int64).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).prod(1)
    tensor([ 2, 12])
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from ..._dtype import to_dtype
        dtype = to_dtype(dtype).np
    axes = None if dim is None else _dims(int(dim), input._data.ndim)
    if dim is not None and axes is None:
        return unary(Prod, input, None, keepdim, dtype)
    return unary(Prod, input, axes, keepdim, dtype)


__all__ = ['sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'aminmax', 'argmax', 'argmin',
           'median', 'all', 'any', 'count_nonzero']
