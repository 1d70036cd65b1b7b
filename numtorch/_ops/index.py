"""Indexing: ``x[idx]`` and ``x[idx] = v`` with torch's (NumPy-like) rules.

Basic indices (ints, slices, None, Ellipsis) give views; integer/bool tensors or lists give
copies ("advanced" indexing), whose backward scatters with ``add.at`` so repeated indices
accumulate.
"""
from .._backend import xp
from ..autograd.graph import Node, connect
from ..autograd.grad_mode import _enabled
from ._apply import view as view_op, unary, unbroadcast
from . import _apply


def _convert(index):
    """Tensors in an index become arrays; report whether the index is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    out, advanced = [], False
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
        elif isinstance(i, (list, xp.ndarray)):
            i = xp.asarray(i)
            if i.dtype.kind == 'f':
                raise IndexError('tensors used as indices must be long, int, byte or bool tensors')
            advanced = True
        elif isinstance(i, bool):
            advanced = True
        elif not isinstance(i, (int, slice, type(None), type(Ellipsis))):
            if hasattr(i, '__index__'):
                i = i.__index__()
            else:
                raise IndexError('only integers, slices (`:`), ellipsis (`...`), None and long or '
                                 'byte Variables are valid indices (got '
                                 f'{type(i).__name__})')
        out.append(i)
    return tuple(out), advanced


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
        self._name = 'IndexBackward0' if advanced else _basic_name(index)
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(_torch_msg(e, a.shape, index)) from None

    def backward(self, g):
        full = xp.zeros(self.shape, self.dtype)
        if self.advanced:
            xp.add.at(full, self.index, g)
        else:
            full[self.index] = g
        return full


def _torch_msg(e, shape, index):
    msg = str(e)
    for i, (d, ix) in enumerate(zip(range(len(shape)), index)):
        if isinstance(ix, int) and not -shape[i] <= ix < shape[i]:
            return f'index {ix} is out of bounds for dimension {i} with size {shape[i]}'
    return msg


def getitem(input, index):
    index, advanced = _convert(index)
    if advanced:
        return unary(Index, input, index, True)
    return view_op(Index, input, index, False)


class IndexPut(Node):
    """``x[idx] = v`` recorded on ``x``'s history: torch calls this node CopySlices."""
    _name = 'CopySlices'

    def forward(self, a, v, index, accumulate=False):
        self.index, self.vshape = index, (v.shape if v.__class__ is xp.ndarray else None)
        if accumulate:
            xp.add.at(a, index, v)
        else:
            a[index] = v
        return a

    def backward(self, g):
        gv = None
        if self.vshape is not None:
            sel = g[self.index]
            gv = unbroadcast(sel, self.vshape) if sel.ndim >= len(self.vshape) else \
                xp.broadcast_to(sel, self.vshape).copy()
        ga = g.copy()
        ga[self.index] = 0
        return ga, gv


def setitem(input, index, value):
    index, _ = _convert(index)
    Tensor = _apply.Tensor
    if isinstance(value, Tensor):
        vd = value._data
    else:
        vd = value
    grad = _enabled[0] and (input._rg or (isinstance(value, Tensor) and value._rg))
    if not grad:
        try:
            input._data[index] = vd
        except ValueError as e:
            raise RuntimeError(str(e)) from None
        input._vc[0] += 1
        return
    input._check_inplace()
    node = IndexPut()
    if isinstance(value, Tensor) and vd.dtype != input._data.dtype:
        vd = vd.astype(input._data.dtype)
    node.forward(input._data, vd, index)
    input._vc[0] += 1
    node.next_functions = (_edge_of(input), _edge_of(value))
    input.grad_fn = node
    input._rg = True
    input.__dict__.pop('_output_nr', None)


def _edge_of(v):
    from ..autograd.graph import edge
    return edge(v) if isinstance(v, _apply.Tensor) else None


__all__ = ['getitem', 'setitem']
