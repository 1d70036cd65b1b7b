"""In-place ops through views, recorded as torch records them (``CopySlices``).

A view (``y[0]``, ``y.t()``, ``y.view(-1)``, ``y.diagonal()`` ...) shares memory with its base,
so writing into it changes the base. torch then rewrites the *base's* history: the base's
``grad_fn`` becomes ``CopySlices``, whose backward passes the base's gradient through unchanged
outside the region the view covers, and inside it runs the in-place op's backward. The view
itself is regenerated from the base (``AsStridedBackward0``), so later uses of it, and of any
other live view of the same base, see the new history.

How a view covers its base: ``_apply.view`` records on every view a small recipe, the chain
``(node class, args, parent recipe)`` of view ops from its base. Replaying that recipe on an
index array ``arange(base.numel()).reshape(base.shape)`` gives, for each view element, its
flat position in the base (``_positions``). Backward formulas below gather with ``take`` and
scatter through the inverse index with ``take``/``where`` (no writes into gradient buffers),
so the same formulas can later be differentiated again.

>>> import numtorch
>>> x = numtorch.ones(2, 2, requires_grad=True)
>>> y = x * 1
>>> v = y[0]
>>> _ = v.mul_(3)
>>> type(y.grad_fn).__name__, type(v.grad_fn).__name__
('CopySlices', 'AsStridedBackward0')
>>> (y.sum() + v.sum()).backward()
>>> x.grad
tensor([[6., 6.],
        [1., 1.]])
"""
import re
import weakref

from ..._backend import namespace, ufunc_at, ARRAYS
from ..._backend import xp as _np_xp   # may_share_memory: dispatches to any device's arrays
from ...autograd import graph
from ...autograd.graph import Node
from .views import View, _ViewDtype, Expand

# -------------------------------------------------------------------------- recipes
_REPLAY = {}   # view class -> the class to replay it with on index arrays (see _replay)


def _steps(vfn):
    """The recipe's ``(cls, args)`` steps, base first."""
    out = []
    while vfn is not None:
        out.append(vfn[:2])
        vfn = vfn[2]
    out.reverse()
    return out


def _replay(vfn, arr, xp):
    """Apply the view recipe ``vfn`` to ``arr`` (an array shaped like the view's base)."""
    for cls, args in _steps(vfn):
        if issubclass(cls, View):
            # ``view`` refuses layouts that need a copy; on an index array a copy is as good
            # (only the values, the positions, matter), and the index array's layout need not
            # be the data's.
            cls = View
        node = cls()
        node.xp = xp
        arr = node.forward(arr, *args)
    return arr


def _overlapping(vfn):
    """Whether a view may hold one base element several times (an expanded view)."""
    return any(issubclass(cls, Expand) for cls, _ in _steps(vfn))


def _replayable(vfn):
    return vfn is not None and not any(issubclass(cls, _ViewDtype) for cls, _ in _steps(vfn))


def through_view(t):
    """Whether an in-place write into ``t`` rewrites a base's history: ``t`` is a view torch
    differentiates through (not a ``view(dtype)`` reinterpretation)."""
    return t._base is not None and _replayable(t._vfn)


class _Region:
    """Where a view lies in its base: ``pos`` (view-shaped flat positions), and for views
    without repeats ``inv`` (for every base element, its flat index in the view, or
    ``view.numel()`` where the view does not cover it)."""

    # Built at each backward and dropped after: ``inv`` is as large as the base, and a graph
    # may hold many of these nodes (one per view still alive at each in-place change).
    def __init__(self, xp, shape, vfn):
        n = 1
        for s in shape:
            n *= s
        self.shape, self.n = shape, n
        self.pos = _replay(vfn, xp.arange(n).reshape(shape), xp)
        self.k = self.pos.size
        if not _overlapping(vfn):
            inv = xp.full(n, self.k, dtype=self.pos.dtype)
            inv[self.pos.reshape(-1)] = xp.arange(self.k)   # an index buffer, not a gradient
            self.inv = inv
            self.mask = (inv < self.k).reshape(shape)
        else:
            self.inv = None

    def scatter(self, xp, gv, dtype):
        """A base-shaped array: ``gv`` (view-shaped) at the view's places, zero elsewhere
        (summed where the view repeats an element)."""
        if self.inv is None:
            z = xp.zeros(self.n, dtype)
            ufunc_at('add', z, self.pos.reshape(-1), gv.reshape(-1).astype(dtype, copy=False))
            return z.reshape(self.shape)
        padded = xp.concatenate([gv.reshape(-1).astype(dtype, copy=False), xp.zeros(1, dtype)])
        return xp.take(padded, self.inv).reshape(self.shape)


# Two forms of the same backward formulas. The functional one (index arithmetic: ``take`` and
# ``where`` on the positions above) never writes into an array, so a differentiable array
# wrapper can run it; but it builds base-sized index arrays, and writing the view's part into
# a fresh copy of the gradient through the replayed view is faster (the whole backward of
# ``y = x * 1; y[:, 0].mul_(2); y.sum()`` for a (1000, 1000) x: 9.9 ms functional, 4.8 ms
# writing, 2.5 ms without the in-place op). The writing form runs unless FUNCTIONAL[0] is set,
# or the replayed view of the copy does not share its memory (then the functional one runs).
FUNCTIONAL = [False]


def _view_of(node, g):
    """The view's part of the base-shaped gradient ``g`` (view-shaped)."""
    if _raw(g):
        return _replay(node.vfn, g, node.xp)
    # create_graph: a GradArray is indexed at the view's positions (a strided view of it,
    # as diagonal's, has no meaning)
    return g.reshape(-1)[_Region(node.xp, node.base_shape, node.vfn).pos]


def _with_view(node, g, gv):
    """``g`` (base-shaped) with the view's part replaced by ``gv`` (None: zeros)."""
    xp = node.xp
    if not FUNCTIONAL[0] and _raw(g):
        out = g.copy()
        part = _replay(node.vfn, out, xp)
        if _shares(part, out):
            part[...] = 0 if gv is None else gv
            return out
    r = _Region(xp, node.base_shape, node.vfn)
    inside = xp.zeros((), g.dtype) if gv is None else r.scatter(xp, gv, g.dtype)
    return xp.where(r.mask, inside, g)


def _placed(node, gv, dtype):
    """A base-shaped array: ``gv`` at the view's places, zero elsewhere (summed where the view
    repeats a base element)."""
    xp = node.xp
    if not FUNCTIONAL[0] and _raw(gv) and not _overlapping(node.vfn):
        out = xp.zeros(node.base_shape, dtype)
        part = _replay(node.vfn, out, xp)
        if _shares(part, out):
            part[...] = gv
            return out
    return _Region(xp, node.base_shape, node.vfn).scatter(xp, gv, dtype)


def _raw(g):
    """Whether ``g`` is a plain array: a create_graph pass hands GradArrays (values, not
    memory), for which the functional form runs."""
    return g.__class__ is _np_xp.ndarray or g.__class__ in ARRAYS


def _shares(part, whole):
    return part.size == 0 or _np_xp.may_share_memory(part, whole)


# -------------------------------------------------------------------------- nodes
class AsStrided(Node):
    """A view's value as a function of its base's current value (torch regenerates views
    this way after an in-place change): backward puts the gradient at the view's places."""
    _name = 'AsStridedBackward0'

    def backward(self, g):
        return _placed(self, g, g.dtype)


class CopySlices(Node):
    """The base's history after an in-place op wrote through one of its views: outside the
    view, the base's gradient passes unchanged; inside, the in-place op's backward (``op``,
    whose input number ``i`` was the view) maps it. ``op`` None: nothing flows to the view's
    old value (fill_, random fills)."""
    _name = 'CopySlices'

    op = None
    i = 0

    # The engine frees and version-checks what the wrapped op saved.
    @property
    def saved(self):
        return self.op.saved if self.op is not None else ()

    @saved.setter
    def saved(self, value):
        if self.op is not None:
            self.op.saved = value

    @property
    def _versions(self):
        return self.op._versions if self.op is not None else None

    def backward(self, g):
        op = self.op
        if op is None:
            return (_with_view(self, g, None),)
        # under create_graph the engine swapped this node's namespace only: the op uses it too
        with graph.namespace_of(op, self.xp):
            grads = op.backward(_view_of(self, g))
        if grads.__class__ is not tuple:
            grads = (grads,)
        gv = grads[self.i]
        if gv is not None:
            gv = gv.astype(g.dtype, copy=False)
        return (_with_view(self, g, gv),) + grads[:self.i] + grads[self.i + 1:]


class CopySlicesComposite(CopySlices):
    """CopySlices for an in-place op made of several nodes (``op`` is its last one): the op's
    graph reaches the view's old value through an ``AsStrided`` stand-in, so this node only
    splits the gradient: the base's part outside the view, and the view's part to ``op``."""
    _name = 'CopySlices'

    saved = ()
    _versions = None

    def backward(self, g):
        return _with_view(self, g, None), _view_of(self, g)


class _StaleMultiView(Node):
    """grad_fn of an output of split/chunk/unbind whose base was modified in place since:
    torch refuses to use it (on access); numtorch refuses when backward reaches it."""
    _name = 'AsStridedBackward0'

    def backward(self, g):
        raise RuntimeError(self.message)

    def name(self):
        raise RuntimeError(self.message)   # where torch reads its grad_fn (version errors too)


# -------------------------------------------------------------------------- recording
def _as_strided(view, base):
    node = AsStrided()
    node.xp = namespace(base._data)
    node.base_shape, node.vfn = base._data.shape, view._vfn
    node.edges = (graph.edge(base),)
    return node


def stand_in(view):
    """A node standing for ``view``'s value as a function of its base's current history (the
    graph place of the in-place op's ``self`` input)."""
    return _as_strided(view, view._base)


def rebase(view, op, sentinel):
    """After an in-place op wrote through ``view``: give its base a ``CopySlices`` history and
    regenerate the view (and the base's other live views) from it. ``op`` is the grad_fn of the
    op's out-of-place result (None if it recorded none); ``sentinel`` the ``stand_in`` node its
    ``self`` input stood on."""
    base = view._base
    edges = list(op.edges) if op is not None else ()
    where = [k for k, e in enumerate(edges) if e is not None and e[0] is sentinel]
    if op is None:
        node = CopySlices()
        node.edges = (graph.edge(base),)
    elif len(where) == 1 and op.n_outputs == 1:
        node = CopySlices()
        node.op, node.i = op, where[0]
        node.edges = (graph.edge(base),) + tuple(edges[:node.i] + edges[node.i + 1:])
    else:   # several nodes: the stand-in stays in the op's graph
        node = CopySlicesComposite()
        node.edges = (graph.edge(base), (op, 0))
    node.xp = namespace(base._data)
    node.base_shape, node.vfn = base._data.shape, view._vfn
    set_history(base, node)
    refresh(base, view)


def refresh(base, also=None):
    """``base`` has a new history: regenerate its live views' grad_fns from it (torch does this
    lazily on access; numtorch eagerly, for the views it registered, see ``register``)."""
    views = base._views
    seen = False
    if views:
        alive = []
        for ref in views:
            v = ref()
            if v is not None:
                alive.append(ref)
                if v._requires_grad or v is also:   # (not one detached since)
                    _regenerate(v, base)
                seen = seen or v is also
        views[:] = alive
    if also is not None and not seen:
        _regenerate(also, base)


def _regenerate(v, base):
    if v._creation == 'multi':
        node = _StaleMultiView()
        node.edges = (graph.edge(base),)
        node.message = creation_error(v, indirect=True)
    elif _replayable(v._vfn):
        node = _as_strided(v, base)
    else:
        return
    set_history(v, node)


def set_history(t, node):
    """After an in-place change, ``t``'s grad_fn is ``node``; a retained grad moves along (torch
    retains the gradient of the tensor's current value)."""
    old = t.grad_fn
    if t._retains_grad and old is not None and old._retain:
        ref = old._retain.pop(t._output_nr, None)
        if ref is not None:
            if node._retain is None:
                node._retain = {}
            node._retain[0] = ref
    t.grad_fn = node
    t._requires_grad = True
    t.__dict__.pop('_output_nr', None)


def refill_history(t, make_node):
    """After ``t`` was overwritten with values that do not depend on it (fill_, random fills):
    ``t``'s grad_fn is ``make_node(t)`` (zero gradient to its past); a view's base gets a
    CopySlices history instead, zero inside the view."""
    if through_view(t):
        rebase(t, None, None)
        return
    set_history(t, make_node(t))
    if t._views:
        refresh(t)


def register(base, view):
    """Remember ``view`` (weakly) so that an in-place change of ``base``'s history regenerates
    it. Called for views recorded with grad of a base that is not a leaf (a leaf that requires
    grad cannot be changed in place with grad on)."""
    views = base._views
    if views is None:
        views = base._views = []
    elif len(views) & 63 == 63:   # now and then (_apply.view appends the rest): drop dead ones
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


from .. import _apply  # noqa: E402
_apply.register = register


# -------------------------------------------------------------------------- torch's refusals
_MULTI = (' This view is the output of a function that returns multiple views. Such functions do '
          'not allow the output views to be modified inplace. You should replace the inplace '
          'operation by an out-of-place one.')
_NO_GRAD = (' Given that this use case is ambiguous and error-prone, it is forbidden. You can '
            'clarify your code by moving both the view and the inplace either both inside the '
            'no_grad block (if you don\'t want the inplace to be tracked) or both outside (if you '
            'want the inplace to be tracked).')


def _short(name):
    return re.sub(r'Backward\d*$', '', name)


def _view_op_name(view):
    """torch's name of the op that made ``view`` (its grad_fn's, or, for a view without one, the
    name its last view op's node would have)."""
    if view.grad_fn is not None:
        return _short(view.grad_fn.name()), view._output_nr
    cls, args = view._vfn[:2]
    node = cls()
    node.xp = namespace(view._base._data)
    node.forward(_replay(view._vfn[2], view._base._data, node.xp), *args)
    return _short(node._name), 0


def creation_error(view, indirect=False):
    """torch's message for an in-place change of a view made in no_grad mode, or by an op with
    several view outputs (``indirect``: the base or another view was changed)."""
    what = 'its base or another view of its base has been' if indirect else 'is being'
    c = view._creation
    # torch's no_grad views require grad when their base does, so a view of one made with grad
    # on has a grad_fn there (numtorch's has none).
    has_fn = view.grad_fn is not None or (c == 'no_grad_child' and view._base._requires_grad)
    if c != 'multi' or not has_fn:
        if has_fn:
            name, nr = _view_op_name(view)
            msg = f'Output {nr} of {name} is a view of a view which was created in'
        else:
            msg = 'A view was created in'
        msg += f' no_grad mode and {what} modified inplace with grad mode enabled.'
    else:
        name, nr = _view_op_name(view)
        msg = f'Output {nr} of {name} is a view and {what} modified inplace.'
    return msg + (_MULTI if c == 'multi' else _NO_GRAD)
