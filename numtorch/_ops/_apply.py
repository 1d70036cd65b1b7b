"""How an op runs: unwrap tensors to arrays, call ``Node.forward``, wrap, maybe record.

These three helpers are the whole per-op hot path. A node object is made for every call (it is
cheap) so ``forward`` can stash what backward needs on ``self``; it is attached to the result
only when grad mode is on and some input requires grad.
"""
from weakref import ref

from .._backend import xp, namespace, device_of, to_device, _BY_ARRAY
from .._dtype import result_type, get_default_dtype
from .._dtype_ext import FLOAT_NP
from ..autograd.grad_mode import _enabled
from ..autograd.graph import connect

ndarray = xp.ndarray
Tensor = None   # set by numtorch._tensor (avoids an import cycle)
register = None   # set by numtorch._ops.shape.copyslices (remembers views whose base may change)
_new = object.__new__


def wrap(data):
    """A fresh Tensor around an array (no copy). NumPy returns scalars for 0-dim results."""
    if data.__class__ is not ndarray and data.__class__ not in _BY_ARRAY:
        data = xp.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = False
    t.grad_fn = None
    t._version_counter = [0]
    return t


def unary(cls, x, *args):
    node = cls()
    d = x._data
    if d.__class__ is not ndarray:   # a device array: the node computes with its namespace
        node.xp = namespace(d)
    out = wrap(node.forward(d, *args))
    if x._requires_grad and _enabled[0]:
        connect(node, out, (x,))
    return out


def binary(cls, a, b, *args):
    """``a`` is a Tensor; ``b`` a Tensor or a Python scalar. Dtypes promote as torch's do."""
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        if ad.__class__ is not bd.__class__:
            ad, bd = same_device(ad, bd)
        if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:
            if cls.bool_error and (ad.dtype.kind == 'b' or bd.dtype.kind == 'b'):
                raise RuntimeError(cls.bool_error)
            dt = result_type(a, b).np
            ad = ad.astype(dt, copy=False)
            bd = bd.astype(dt, copy=False)
        node = cls()
        if ad.__class__ is not ndarray:
            node.xp = namespace(ad)   # before forward: a node creates its arrays with self.xp
        try:
            out = wrap(node.forward(ad, bd, *args))
        except ValueError:
            # Only here (never on the hot path): say it in torch's words when shapes clash.
            raise_if_unbroadcastable(ad.shape, bd.shape)
            raise
        if (a._requires_grad or b._requires_grad) and _enabled[0]:
            connect(node, out, (a, b))
        return out
    # A Python scalar is "weak": it keeps the tensor's dtype unless it is of a higher category.
    if ad.dtype.kind in 'biu' and (b.__class__ is float or (ad.dtype.kind == 'b' and b.__class__ is int)):
        if cls.bool_error and ad.dtype.kind == 'b':
            raise RuntimeError(cls.bool_error)
        ad = ad.astype(result_type(a, b).np)
    elif b.__class__ is bool and cls.bool_error:
        raise RuntimeError(cls.bool_error)
    elif b.__class__ not in (int, float, bool, complex):
        if b.__class__ is ndarray or hasattr(b, '__array__') or isinstance(b, (list, tuple)):
            return binary(cls, a, Tensor._from_any(b), *args)
        b = b.item() if hasattr(b, 'item') else b
    node = cls()
    if ad.__class__ is not ndarray:
        node.xp = namespace(ad)
    out = wrap(node.forward(ad, b, *args))
    if a._requires_grad and _enabled[0]:
        connect(node, out, (a, None))
    return out


def view(cls, x, *args):
    """Like ``unary`` for ops whose result may share memory with ``x`` (reshape, slicing...):
    a view shares its base's version counter, so in-place changes through either are seen."""
    node = cls()
    d = x._data
    if d.__class__ is not ndarray:
        node.xp = namespace(d)
    d = node.forward(d, *args)
    out = wrap(d)
    if d.base is not None and (xp.may_share_memory(d, x._data) or not d.size):   # (empty: a view)
        out._version_counter = x._version_counter
        # The recipe (view op, args, parent's recipe) regenerates the view from its base after
        # an in-place change through it (_ops/shape/copyslices.py); how it was made (no_grad,
        # multi-output) decides torch's refusals of in-place changes.
        base = x._base
        if base is None:
            out._base = base = x
            out._vfn = (cls, args, None)
        else:
            out._base = base
            out._vfn = (cls, args, x._vfn)
            c = x._creation
            if c is not None:
                out._creation = 'multi' if c == 'multi' else 'no_grad_child'
        if not _enabled[0]:
            out._creation = 'no_grad'
        elif x._requires_grad:
            connect(node, out, (x,))
            if base.grad_fn is not None:   # remembered, so an in-place change regenerates it
                views = base._views
                if views is None or len(views) & 63 == 63:
                    register(base, out)
                else:
                    views.append(ref(out))
        return out
    if x._requires_grad and _enabled[0]:
        connect(node, out, (x,))
    return out


def nary(cls, tensors, *args):
    """An op over a sequence of tensors (cat, stack, einsum, ...)."""
    node = cls()
    datas = [t._data for t in tensors]
    if datas:
        c = datas[0].__class__
        for d in datas:
            if d.__class__ is not c:
                datas = same_device(*datas)
                break
        if c is not ndarray:
            node.xp = namespace(datas[0])
    out = node.forward(datas, *args)
    out = tuple(wrap(o) for o in out) if out.__class__ is tuple else wrap(out)
    if _enabled[0]:
        for t in tensors:
            if t._requires_grad:
                connect(node, out, tensors)
                break
    return out


def multi(cls, x, *args):
    """A one-input op with several outputs (split, unbind, max with indices...)."""
    node = cls()
    d = x._data
    if d.__class__ is not ndarray:
        node.xp = namespace(d)
    outs = tuple(wrap(o) for o in node.forward(d, *args))
    if x._requires_grad and _enabled[0]:
        connect(node, outs, (x,))
    return outs


def bind(node, arr, *others):
    """Give a node built outside the helpers above the namespace of its first input array;
    ``others`` (arrays or None) must live on the same device (torch's error if not)."""
    c = arr.__class__
    for o in others:
        if o.__class__ is not c and o is not None:
            same_device(arr, o)
    if c is not ndarray and c in _BY_ARRAY:
        node.xp = namespace(arr)
    return node


def same_device(*arrays):
    """``arrays`` if they live on one device; a 0-dim CPU array joins the others' device (torch
    allows CPU scalars in device ops); else torch's RuntimeError naming the two devices."""
    devs = [device_of(a) for a in arrays]
    common = next((d for d in devs if d.type != 'cpu'), devs[0])
    out = []
    for a, d in zip(arrays, devs):
        if d != common:
            if d.type == 'cpu' and a.ndim == 0:
                a = to_device(a, common)
            else:
                raise RuntimeError(f'Expected all tensors to be on the same device, but found at '
                                   f'least two devices, {common} and {d}!')
        out.append(a)
    return out


def raise_if_unbroadcastable(*shapes):
    """Raise torch's RuntimeError if ``shapes`` do not broadcast together (else do nothing).

    Like torch, folds the shapes left to right and scans dimensions from the last one, so the
    message names the first clash found: "The size of tensor a (3) must match the size of
    tensor b (4) at non-singleton dimension 1".
    """
    acc = shapes[0]
    for s in shapes[1:]:
        n = max(len(acc), len(s))
        a = (1,) * (n - len(acc)) + tuple(acc)
        b = (1,) * (n - len(s)) + tuple(s)
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f'The size of tensor a ({a[i]}) must match the size of tensor '
                                   f'b ({b[i]}) at non-singleton dimension {i}')
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the backward of broadcasting (one helper for every op)."""
    if g.shape == shape:
        return g
    nd = g.ndim - len(shape)
    axes = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape) if s == 1 and g.shape[i + nd] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def keep_dtype(out, npd):
    """``out`` as ``npd``: NumPy multiplies bfloat16 matrices into float32 (accumulating in
    float32, as torch does), and torch rounds the result back to bfloat16."""
    return out if out.dtype is npd or out.dtype == npd else out.astype(npd)


def float_dtype(d):
    """The floating dtype an integer input computes in (torch: int -> default float)."""
    return d if d.kind in 'fc' or d in FLOAT_NP else get_default_dtype().np


def inplace_method(fn, doc=None):
    """The in-place method ``<fn>_`` of an out-of-place op: ``Tensor._inplace`` runs ``fn`` and
    writes the result back (with torch's leaf, view and dtype checks)."""
    def method(input, *args, **kwargs):
        return input._inplace(fn, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__ + '_'
    method.__doc__ = doc or f'In-place ``{fn.__name__}``: writes the result into ``input``, returns it.'
    return method
