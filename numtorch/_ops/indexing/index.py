"""Indexing: ``x[idx]`` and ``x[idx] = v`` with torch's (NumPy-like) rules.

Basic indices (ints, slices, None, Ellipsis) give views; integer/bool tensors or lists give
copies ("advanced" indexing), whose backward scatters with ``add.at`` so repeated indices
accumulate.
"""
from ..._backend import xp, ufunc_at, to_device, device_of, namespace
from ..._dtype import scalar_name
from ...autograd.graph import Node, connect
from ...autograd.grad_mode import _enabled
from .._apply import bind, view as view_op, unary, unbroadcast
from .. import _apply
from ..._backend import ARRAYS, is_array, ndarray
import math
from .._apply import wrap
from ..shape import copyslices
from .._compose import _nt


def _convert(index, like=None):
    """Tensors in an index become arrays; report whether the index is advanced. Index arrays
    land on the device of ``like`` (the indexed array): as torch does, CPU indices (tensors,
    lists) are copied to a device tensor's device."""
    if not isinstance(index, tuple):
        index = (index,)
    out, advanced = [], False
    device = like is not None and like.__class__ is not ndarray
    for i in index:
        if isinstance(i, _apply.Tensor):
            d = i._data
            if d.dtype.kind not in 'biu':
                raise IndexError('tensors used as indices must be long, int, byte or bool tensors')
            if d.ndim == 0 and d.dtype.kind in 'iu':
                i = int(d)
            else:
                i = d
                advanced = True
                if like is not None and d.__class__ is not like.__class__:
                    i = _to_data_device(d, like)
        elif isinstance(i, (list, tuple, range, xp.ndarray)):   # any sequence, as in torch
            i = xp.asarray(i)
            if i.size == 0 and i.dtype.kind == 'f':   # x[[]], x[range(0)]: an empty long index
                i = i.astype(xp.int64)
            if i.dtype.kind == 'f':
                raise IndexError('tensors used as indices must be long, int, byte or bool tensors')
            if device:
                i = to_device(i, device_of(like))
            advanced = True
        elif isinstance(i, bool):
            advanced = True
        elif i.__class__ is slice:
            if i.step is not None and i.step <= 0:
                raise ValueError('step must be greater than zero')
        elif not isinstance(i, (int, slice, type(None), type(Ellipsis))):
            if hasattr(i, '__index__'):
                i = i.__index__()
            else:
                raise IndexError('only integers, slices (`:`), ellipsis (`...`), None and long or '
                                 'byte Variables are valid indices (got '
                                 f'{type(i).__name__})')
        out.append(i)
    return tuple(out), advanced


def _to_data_device(idx, like):
    """An index array moved to the indexed array's device: CPU indices may index a device
    tensor (one copy), device indices may not index a CPU tensor (torch's error)."""
    src, dst = device_of(idx), device_of(like)
    if src.type != 'cpu':
        raise RuntimeError(f'indices should be either on cpu or on the same device as the '
                           f'indexed tensor ({dst})')
    return to_device(idx, dst)


def _basic_name(index):
    for i in reversed(index):
        if isinstance(i, int):
            return 'SelectBackward0'
        if isinstance(i, slice) and i != slice(None):
            return 'SliceBackward0'
        if i is None:
            return 'UnsqueezeBackward0'
    return 'AliasBackward0'


class Index(Node):
    def forward(self, a, index, advanced):
        self.shape, self.dtype, self.index, self.advanced = a.shape, a.dtype, index, advanced
        if advanced:
            self._name = 'IndexBackward0'
            self.frees = True   # torch saves the index tensors (basic indexing saves none)
        else:
            self._name = _basic_name(index)
        try:
            out = a[index]
            if not advanced and out.ndim == 0 and Ellipsis not in index:
                # all ints: NumPy gives a scalar copy, torch a 0-d view (y[0][1].add_(1) writes y)
                out = a[index + (Ellipsis,)]
            return out
        except IndexError as e:
            raise IndexError(_torch_msg(e, a.shape, index)) from None

    def backward(self, g):
        full = self.xp.zeros(self.shape, self.dtype)
        if self.advanced:
            ufunc_at('add', full, self.index, g)
        else:
            full[self.index] = g
        return full


def _torch_msg(e, shape, index):
    """NumPy's IndexError text in torch's words (only on the error path)."""
    msg = str(e)
    if msg.startswith('too many indices'):
        return f'too many indices for tensor of dimension {len(shape)}'
    if 'out of bounds for axis' in msg:
        # torch names the position among the index tensors (ints are applied first as selects)
        bad, size = int(msg.split()[1]), int(msg.split()[-1])
        ordinal, pos = 0, 0
        for ix in index:
            if ix is Ellipsis:
                pos += len(shape) - sum(_width(j) for j in index if j is not Ellipsis)
                continue
            if is_array(ix):
                if ix.dtype != bool and pos < len(shape) and shape[pos] == size and \
                        xp.any(ix == bad):
                    return f'index {bad} is out of bounds for dimension {ordinal} with size {size}'
                ordinal += ix.ndim if ix.dtype == bool else 1
            pos += _width(ix)
        return msg.replace('for axis', 'for dimension')
    if msg.startswith('boolean index did not match'):
        pos = 0
        for k, ix in enumerate(index):
            if ix is Ellipsis:
                pos += len(shape) - sum(_width(j) for j in index if j is not Ellipsis)
                continue
            if is_array(ix) and ix.dtype == bool and \
                    ix.shape != shape[pos:pos + ix.ndim]:
                return (f'The shape of the mask [{", ".join(map(str, ix.shape))}] at index {k} '
                        f'does not match the shape of the indexed tensor '
                        f'[{", ".join(map(str, shape))}] at index {pos}')
            pos += _width(ix)
    return msg


def _width(ix):
    """How many dims of the indexed tensor one index item consumes."""
    if ix is None:
        return 0
    if is_array(ix) and ix.dtype == bool:
        return ix.ndim
    return 1


def getitem(input, index):
    index, advanced = _convert(index, input._data)
    if advanced:
        return unary(Index, input, index, True)
    return view_op(Index, input, index, False)


def _sum_to(g, shape):
    """Reduce ``g`` to a ``shape`` that broadcasts to it (leading size-1 dims allowed)."""
    core = shape
    while len(core) > g.ndim and core[0] == 1:
        core = core[1:]
    return unbroadcast(g, tuple(core)).reshape(shape)


class IndexPut(Node):
    """``x[idx] = v`` recorded on ``x``'s history: torch calls this node CopySlices."""
    _name = 'CopySlices'

    def forward(self, a, v, index, accumulate=False):
        self.index, self.vshape = index, (v.shape if (v.__class__ is ndarray or v.__class__ in ARRAYS) else None)
        _assign(a, index, v, accumulate)
        return a

    def backward(self, g):
        gv = None if self.vshape is None else _sum_to(g[self.index], self.vshape)
        ga = g.copy()
        ga[self.index] = 0
        return ga, gv


def _assign(a, index, v, accumulate=False):
    """``a[index] = v`` (or ``+=`` with repeats accumulating) with torch's error texts."""
    try:
        if accumulate:
            ufunc_at('add', a, index, v)
        else:
            a[index] = v
    except IndexError as e:
        raise IndexError(_torch_msg(e, a.shape, index)) from None
    except ValueError:
        target = a[index].shape
        vs = xp.shape(v)
        extra = len(vs) - len(target)
        if extra > 0 and all(n == 1 for n in vs[:extra]):
            # torch drops a value's leading size-1 dims: preds[i] = net(x) with a (1, 1) result
            return _assign(a, index, xp.reshape(v, vs[extra:]), accumulate)
        if len(vs) > len(target):
            raise RuntimeError(f'expand(torch.{_cap(a.dtype)}Tensor{{[{", ".join(map(str, vs))}]}}, '
                               f'size=[{", ".join(map(str, target))}]): the number of sizes provided '
                               f'({len(target)}) must be greater or equal to the number of '
                               f'dimensions in the tensor ({len(vs)})') from None
        for i in range(1, len(vs) + 1):
            if vs[-i] != 1 and vs[-i] != target[-i]:
                raise RuntimeError(f'The expanded size of the tensor ({target[-i]}) must match the '
                                   f'existing size ({vs[-i]}) at non-singleton dimension '
                                   f'{len(target) - i}.  Target sizes: '
                                   f'[{", ".join(map(str, target))}].  Tensor sizes: '
                                   f'[{", ".join(map(str, vs))}]') from None
        raise


_cap = scalar_name


def setitem(input, index, value):
    """``input[index] = value``: in place, bumping the version; differentiable (CopySlices)."""
    index, advanced = _convert(index, input._data)
    Tensor = _apply.Tensor
    vd = value._data if isinstance(value, Tensor) else value
    if vd.__class__ is not input._data.__class__ and vd.__class__ in ARRAYS:
        vd = to_device(vd, device_of(input._data))   # as torch's copy_: any device's values
    if advanced and (vd.__class__ is ndarray or vd.__class__ in ARRAYS) and vd.dtype != input._data.dtype and not (
            len(index) == 1 and getattr(index[0], 'dtype', None) == bool and vd.ndim == 0):
        # an index put (not a mask fill, not basic slicing) refuses to cast, as torch does
        raise RuntimeError(f'Index put requires the source and destination dtypes match, got '
                           f'{_cap(input._data.dtype)} for the destination and {_cap(vd.dtype)} '
                           f'for the source.')
    base = input._base
    grad = _enabled[0] and (input._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
                            or (base is not None and base._requires_grad))
    if not grad:
        _assign(input._data, index, vd)
        input._version_counter[0] += 1
        return
    if input._requires_grad and input.grad_fn is None and not advanced and index != (Ellipsis,):
        # torch writes basic indices through a view of the leaf, so it names the view.
        raise RuntimeError('a view of a leaf Variable that requires grad is being used in an '
                           'in-place operation.')
    if input._creation is not None and not advanced:
        # torch writes through the view input[index], made from this one: its refusal names
        # that view's op (a no-op index leaves the input itself)
        child = view_op(Index, input, index, False)
        fn = child.grad_fn
        if child._base is not None and (fn is None or fn.name() != 'AliasBackward0'):
            child._check_inplace()
    input._check_inplace()
    node = IndexPut()
    if isinstance(value, Tensor) and vd.dtype != input._data.dtype:
        vd = vd.astype(input._data.dtype)
    bind(node, input._data)
    node.forward(input._data, vd, index)
    input._version_counter[0] += 1
    if copyslices.through_view(input):
        # through a view (y[0][1] = v): the base takes a CopySlices history around this node
        stand = copyslices.stand_in(input)
        node.edges = ((stand, 0), _edge_of(value))
        copyslices.rebase(input, node, stand)
        return
    node.edges = (_edge_of(input), _edge_of(value))
    copyslices.set_history(input, node)
    if input._views:
        copyslices.refresh(input)


def _edge_of(v):
    from ...autograd.graph import edge
    return edge(v) if isinstance(v, _apply.Tensor) else None


# --------------------------------------------------------------------------- index_put
class IndexPutOp(Node):
    _name = 'IndexPutBackward0'

    def forward(self, arrays, index, accumulate):
        a, v = arrays
        self.index, self.vshape, self.acc = index, v.shape, accumulate
        out = a.copy()
        _assign(out, index, v.astype(a.dtype, copy=False), accumulate)
        return out

    def backward(self, g):
        gv = _sum_to(g[self.index], self.vshape)
        if not self.acc:
            g = g.copy()
            g[self.index] = 0
        return g, gv


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``out[indices] = values`` (``+=`` with ``accumulate=True``,
    where repeated indices add up). ``indices`` is a tuple of index tensors.

    >>> import numtorch
    >>> numtorch.zeros(3).index_put((numtorch.tensor([0, 0]),), numtorch.tensor(1.), True)
    tensor([2., 0., 0.])
    """
    index, _ = _convert(tuple(indices), input._data)
    if not isinstance(values, _apply.Tensor):
        values = _apply.Tensor._from_any(values)
    return _apply.nary(IndexPutOp, (input, values), index, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """In-place ``index_put``."""
    return input._inplace(index_put, indices, values, accumulate)


# --------------------------------------------------------------------------- masks
def _mask(mask, fname, like):
    md = mask._data if isinstance(mask, _apply.Tensor) else namespace(like).asarray(mask)
    if md.dtype != bool:
        raise RuntimeError(f'{fname} only supports boolean masks, but got mask with dtype '
                           f'{_C_NAMES.get(md.dtype.name, md.dtype.name)}')
    if md.__class__ is not like.__class__:   # torch's same-device error (a 0-d CPU mask joins)
        md = _apply.same_device(like, md)[1]
    return md


class MaskedFill(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    def forward(self, a, mask, value):
        self.shape, self.mask = a.shape, mask
        return xp.where(mask, self.xp.asarray(value).astype(a.dtype), a)

    def backward(self, g):
        return unbroadcast(xp.where(self.mask, 0, g), self.shape)


class MaskedFillT(Node):
    """The value is a 0-dim tensor: it gets the sum of the grads where the mask is set."""
    frees = True   # torch saves the indices / mask / input as tensors
    _name = 'MaskedFillBackward1'

    def forward(self, arrays, mask):
        a, v = arrays
        self.shape, self.vdt, self.mask = a.shape, v.dtype, mask
        return xp.where(mask, v.astype(a.dtype), a)

    def backward(self, g):
        gv = self.xp.asarray(xp.where(self.mask, g, 0).sum()).astype(self.vdt)
        return unbroadcast(xp.where(self.mask, 0, g), self.shape), gv


_C_NAMES = {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half', 'int64': 'long int',
            'int32': 'int', 'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char'}


def masked_fill(input, mask, value):
    """``value`` where the bool ``mask`` (broadcast against ``input``) is True.

    >>> import numtorch
    >>> x = numtorch.tensor([1., 2., 3.])
    >>> x.masked_fill(x > 1, 0.)
    tensor([1., 0., 0.])
    """
    md = _mask(mask, 'masked_fill_', input._data)
    if isinstance(value, _apply.Tensor):
        if value._data.ndim:
            raise RuntimeError(f'masked_fill_ only supports a 0-dimensional value tensor, but got '
                               f'tensor with {value._data.ndim} dimension(s).')
        if value._requires_grad:
            return _apply.nary(MaskedFillT, (input, value), md)
        value = value._data[()]
    return unary(MaskedFill, input, md, value)


def masked_fill_(input, mask, value):
    """In-place ``masked_fill`` (the mask must broadcast to ``input``'s shape)."""
    return input._inplace(masked_fill, mask, value)


class MaskedSelect(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    def forward(self, a, mask):
        shape = xp.broadcast_shapes(a.shape, mask.shape)
        self.shape, self.bshape = a.shape, shape
        self.mask = xp.broadcast_to(mask, shape)
        return xp.broadcast_to(a, shape)[self.mask]

    def backward(self, g):
        z = self.xp.zeros(self.bshape, g.dtype)
        z[self.mask] = g
        return unbroadcast(z, self.shape)


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor (mask and input broadcast).

    >>> import numtorch
    >>> x = numtorch.tensor([[1, 2], [3, 4]])
    >>> x.masked_select(x > 2)
    tensor([3, 4])
    """
    md = mask._data if isinstance(mask, _apply.Tensor) else namespace(input._data).asarray(mask)
    if md.dtype != bool:
        raise RuntimeError('masked_select: expected BoolTensor for mask')
    if md.__class__ is not input._data.__class__:
        md = _apply.same_device(input._data, md)[1]
    return unary(MaskedSelect, input, md)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an ``(n, dim)`` int64 tensor, or with ``as_tuple=True``
    one 1-D tensor per dim (what ``x[...]`` accepts).

    >>> import numtorch
    >>> numtorch.tensor([[0, 1], [2, 0]]).nonzero()
    tensor([[0, 1],
            [1, 0]])
    """
    d = input._data
    wrap = _apply.wrap
    if as_tuple:
        return tuple(wrap(i.astype(xp.int64, copy=False)) for i in xp.nonzero(xp.atleast_1d(d)))
    return wrap(xp.argwhere(d).astype(xp.int64, copy=False))


def argwhere(input):
    """Same as ``nonzero(input)``: an ``(n, dim)`` tensor of indices."""
    return nonzero(input)


def unravel_index(indices, shape):
    """Flat indices to a tuple of coordinate tensors for ``shape``.

    >>> import numtorch
    >>> [t.tolist() for t in numtorch.unravel_index(numtorch.tensor([5]), (2, 3))]
    [[1], [2]]
    """
    if indices.is_floating_point() or indices.dtype == _nt().bool:
        raise TypeError('expected \'indices\' to be integer dtype, but got '
                        f'{indices.dtype}')
    if isinstance(shape, int):
        shape = (shape,)
    total = math.prod(shape)
    d = indices._data
    if ((d < -total) | (d >= total)).any():
        raise ValueError('index out of bounds for the given shape')
    d = xp.where(d < 0, d + total, d)
    return tuple(wrap(c.astype(xp.int64)) for c in xp.unravel_index(d, tuple(shape)))

FUNCTION_ONLY = {'unravel_index'}


__all__ = ['index_put', 'index_put_', 'masked_fill', 'masked_select', 'nonzero', 'argwhere',
           'unravel_index']
# Tensor-only methods: torch has no torch.<name>
METHODS = {'masked_fill_': masked_fill_}
