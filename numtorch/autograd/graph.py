"""The autograd graph and the engine that walks it backwards.

A ``Node`` is one recorded op. Its ``forward`` maps NumPy arrays to an array (or a tuple of
arrays, for multi-output ops) and keeps in ``self.saved`` what its ``backward`` will need;
``backward`` maps the gradient(s) of its output(s) to one gradient per input (``None`` where an
input gets none). ``edges`` holds one edge ``(node, output_nr)`` per input, pointing at
the node that produced it (``AccumulateGrad`` for a leaf), or ``None``.

The engine below knows no op by name: it counts how many edges lead into each node, runs a node
once all of its gradients have arrived, and hands each input gradient along its edge.
"""
import contextlib
import re
import sys

from .._backend import xp as _cpu_xp
from .._backend import quiet_on, quiet_off, contiguous_copy
from .._dtype import tensor_type_name

from .grad_mode import _enabled
from ._grad_array import GradArray, GradNamespace
from . import anomaly_mode as _anomaly
from .anomaly_mode import _on as _anomaly_on
from . import _saved_hooks
from ._saved_hooks import (saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks,  # noqa
                           register_multi_grad_hook, GradientEdge, get_gradient_edge,
                           increment_version, Packed as _Packed)
# torch.autograd.graph's names live here; their code is in _saved_hooks.py
_hooks_on = _saved_hooks._stack   # non-empty while saved_tensors_hooks are active
_pass = [None]   # the nodes the running backward pass reaches (register_multi_grad_hook)
_ndarray = _cpu_xp.ndarray   # AccumulateGrad.take keeps only NumPy arrays it owns


def _wrap_array(arr):
    from .._ops._apply import wrap    # _apply imports this module
    return wrap(arr)

_FREED = ('Trying to backward through the graph a second time (or directly access saved tensors '
          'after they have already been freed). Saved intermediate values of the graph are freed '
          'when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to '
          'backward through the graph a second time or if you need to access saved tensors after '
          'calling backward.')


class Node:
    """One recorded operation (``tensor.grad_fn``).

    Subclasses define ``forward(*arrays, *params) -> array`` and ``backward(grad) -> grads``.
    ``name()`` is torch's node name, ``<OpName>Backward0`` unless the class sets ``_name``.
    """
    saved = ()            # arrays kept for backward; None once freed by a backward pass
    edges = ()   # one (node, output_nr) edge or None per input
    n_outputs = 1
    _versions = None      # [(version_cell, version_at_save, array)] checked before backward
    _pre_hooks = None     # {output_nr: [fn(grad Tensor) -> Tensor or None]}
    _retain = None        # {output_nr: weakref to a tensor that retains its grad}
    _out_meta = None      # [(shape, np dtype)] per output, for zero-filling unused outputs
    bool_error = None     # message if the op refuses a bool operand mixed with a number (Sub)
    xp = _cpu_xp          # the array namespace of the inputs' device; _apply sets it per node
                          # for device arrays (numpy, cupy, the test stand-in)
    # create_graph: a node class whose backward cannot run on GradArrays (see _grad_array.py)
    # defines ``backward_graphed(*grad tensors) -> grad tensors`` instead; one that torch
    # cannot double-differentiate sets ``double_backward_error`` to torch's message.
    backward_graphed = None
    double_backward_error = None
    # Whether a backward without retain_graph frees this node (a second backward through it
    # then raises torch's "backward through the graph a second time"). None: when ``saved``
    # is non-empty. A class whose torch counterpart saves tensors numtorch keeps outside
    # ``saved`` (indices, masks, a scalar operand) sets True; one torch keeps nothing for
    # (lerp with a number weight) sets False.
    frees = None

    quiet = False         # True: forward can give inf/nan (log(0), 0/0): NumPy must not warn

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.quiet and 'forward' in cls.__dict__:
            cls.forward = _quiet(cls.forward)
        # The class takes torch's node name, so ``type(t.grad_fn).__name__`` (what graph
        # printers read) is ``SumBackward0`` as in torch; the Python name stays ``Sum``.
        name = cls.__dict__.get('_name') or cls.__name__ + 'Backward0'
        cls.__name__ = cls.__qualname__ = name
        cls._name = cls.__name__   # the very same str object: ``connect`` tests identity
        # An op whose torch name depends on its arguments (``sum(dim)`` is SumBackward1) sets
        # ``self._name`` in forward (a plain attribute set, cheap on the hot path); ``connect``
        # then makes the node an instance of a same-behaviour subclass of that name.

    def name(self):
        """torch's name for this node, e.g. ``'SumBackward0'`` (also its class name)."""
        return self._name

    def take(self, grads):
        """The engine's call for a one-output node: ``backward(grads[0])``. ``grads`` is the
        engine's own list, handed over: a node may take its array (``AccumulateGrad.take``
        keeps a gradient nothing else refers to without a copy)."""
        return self.backward(grads[0])

    @property
    def next_functions(self):
        """torch's view of the edges: ``((node, output_nr), ...)``, ``(None, 0)`` for no grad."""
        return tuple(e if e is not None else (None, 0) for e in self.edges)

    def __repr__(self):
        return f'<{self._name} object at {hex(id(self))}>'

    def register_hook(self, fn):
        raise NotImplementedError('Node.register_hook: use Tensor.register_hook instead')

    def register_prehook(self, fn):
        raise NotImplementedError('Node.register_prehook: use Tensor.register_hook instead')


_RENAMED = {}   # (Node subclass, torch name) -> its renamed subclass


def _rename(node):
    """Give ``node`` the class named by its pending ``_name`` (made once per name and cached)."""
    cls, name = node.__class__, node._name
    if cls.__name__ != name:
        sub = _RENAMED.get((cls, name))
        if sub is None:
            sub = _RENAMED[(cls, name)] = type(cls)(name, (cls,), {'_name': name,
                                                                  '__module__': cls.__module__})
        node.__class__ = sub


def _quiet(forward):
    """``forward`` with NumPy's floating-point warnings off (torch gives inf/nan silently)."""
    if getattr(forward, '_quiet', False):
        return forward

    def quiet_forward(self, *args, **kwargs):
        token = quiet_on()
        try:
            return forward(self, *args, **kwargs)
        finally:
            quiet_off(token)
    quiet_forward._quiet = True
    quiet_forward.__doc__ = forward.__doc__
    return quiet_forward


def _sole_owner(grad):
    """``grad`` owns its memory, or is a reshape of a whole array that nothing else refers to
    (a GEMM's result reshaped to the weight's shape, as the convolutions return their weight
    gradients): either way no one else can see the memory."""
    if grad.flags.owndata:
        return True
    base = grad.base
    # three references to the base: grad's, this local's, getrefcount's argument
    return (base.__class__ is _ndarray and base.flags.owndata and base.size == grad.size
            and sys.getrefcount(base) == 3)


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds the incoming gradient to ``leaf.grad``."""
    _name = 'AccumulateGrad'
    _post_hooks = None   # [fn(leaf)] run once ``leaf.grad`` holds this pass's sum (DDP's trigger)

    def __init__(self, variable):
        self.variable = variable

    def take(self, grads):
        """The engine's call: ``backward(grads[0])`` for the engine's list ``grads``, which it
        hands over: a gradient nothing else refers to becomes ``leaf.grad`` without a copy.

        As torch's AccumulateGrad, which steals a gradient whose use count says it is not
        shared: here two references (``grad`` below and getrefcount's argument) mean no other
        list, tensor, hook, saved tensor or view holds the array (a view holds its base), so
        no one else can see or change it. Only a C-contiguous, writeable NumPy array that owns
        its memory, or reshapes the whole of an array no one else refers to, is kept (the layout
        ``copy()`` gives; anything else is copied into it, see ``contiguous_copy``).
        docs/speed.md has the figures."""
        grad = grads[0]
        grads[0] = None
        owned = (grad.__class__ is _ndarray and sys.getrefcount(grad) == 2
                 and grad.flags.c_contiguous and grad.flags.writeable and _sole_owner(grad))
        return self.backward(grad, owned)

    def backward(self, grad, owned=False):
        """Add ``grad`` to ``leaf.grad`` (a copy of it when the leaf has none, unless ``owned``:
        no one else refers to ``grad``)."""
        leaf = self.variable
        if grad.shape != leaf._data.shape:
            raise RuntimeError(f'Function AccumulateGrad returned an invalid gradient - got '
                               f'[{", ".join(map(str, grad.shape))}] but expected shape compatible '
                               f'with [{", ".join(map(str, leaf._data.shape))}]')
        if grad.dtype != leaf._data.dtype:
            grad = grad.astype(leaf._data.dtype)   # a fresh array: kept if C-contiguous
            owned = grad.__class__ is _ndarray and grad.flags.c_contiguous
        g = leaf.grad
        if g is None:
            # A copy unless owned: the incoming array may be shared with other edges (Add
            # passes one array on), a hook, a saved tensor or the caller.
            leaf.grad = leaf._wrap(grad if owned else contiguous_copy(grad))
        else:
            g._data += grad   # in place, as torch: `p.grad` keeps its identity across steps
            g._version_counter[0] += 1
        if self._post_hooks:
            for fn in tuple(self._post_hooks):
                fn(leaf)
        return ()

    def backward_graphed(self, grad):
        """create_graph: ``leaf.grad`` becomes a tensor with history (summed out of place, as
        torch does in grad mode, so an earlier ``.grad`` used in a graph keeps its value)."""
        leaf = self.variable
        if grad.shape != leaf._data.shape:
            return self.backward(grad._data)   # torch's shape error
        if grad._data.dtype != leaf._data.dtype:
            grad = grad.to(leaf.dtype)
        if leaf.grad is None:
            leaf.grad = grad if grad._requires_grad else leaf._wrap(grad._data.copy())
        else:
            leaf.grad = leaf.grad + grad
        if self._post_hooks:
            for fn in tuple(self._post_hooks):
                fn(leaf)
        return ()


def edge(t):
    """The edge an op records for input tensor ``t``: its grad_fn, or its leaf accumulator."""
    if not t._requires_grad:
        return None
    fn = t.grad_fn
    if fn is None:
        acc = t._acc
        if acc is None:
            acc = t._acc = AccumulateGrad(t)
        return (acc, 0)
    return (fn, t._output_nr)


def connect(node, out, inputs):
    """Make ``node`` the grad_fn of ``out`` (one tensor or a tuple) with ``inputs`` as its edges.

    Also records the version of every input or output whose array ``node.saved`` holds, so a
    later in-place change to one of them is caught before backward uses stale values.
    """
    edges = []
    for t in inputs:   # inlined `edge(t)`: this loop runs for every recorded op
        if t is None or not t._requires_grad:
            edges.append(None)
        elif t.grad_fn is None:
            acc = t._acc
            if acc is None:
                acc = t._acc = AccumulateGrad(t)
            edges.append((acc, 0))
        else:
            edges.append((t.grad_fn, t._output_nr))
    node.edges = edges
    if node._name is not node.__class__.__name__:
        _rename(node)
    saved = node.saved
    if saved:
        _record_versions(node, saved, out, inputs)
    if out.__class__ is tuple:
        node.n_outputs = len(out)
        node._out_meta = [(o._data.shape, o._data.dtype) for o in out]
        for i, o in enumerate(out):
            if o._data.dtype.kind in 'fc':   # integer outputs (indices) never require grad
                o._requires_grad = True
                o.grad_fn = node
                o._output_nr = i
    else:
        out._requires_grad = True
        out.grad_fn = node
    if _anomaly_on[0]:          # anomaly mode: keep where this node was created
        _anomaly.record(node)
    if saved and _hooks_on:     # saved_tensors_hooks: node.saved keeps what pack_hook gives
        _saved_hooks.pack(node, out, inputs, _wrap_array)
    return out


def _record_versions(node, saved, out, inputs):
    vs = []
    for t in inputs:
        if t is not None:
            d = t._data
            for s in saved:
                if s is d:
                    vs.append((t._version_counter, t._version_counter[0], d, t))
                    break
    for i, o in enumerate(out if out.__class__ is tuple else (out,)):
        d = o._data
        if d.ndim == 0:
            saved = _saved_scalar_output(node, saved, d)
        for s in saved:
            if s is d:
                vs.append((o._version_counter, 0, d, i))   # a saved output: its index (an int)
                break
    if vs:
        node._versions = vs


def _saved_scalar_output(node, saved, d):
    """NumPy gives a 0-d result as a scalar, which ``wrap`` turned into the array ``d``: a
    saved scalar equal to it is that output, so the node saves ``d`` instead (create_graph
    then knows it as the output)."""
    for j, s in enumerate(saved):
        if (s is not d and s.__class__ is not d.__class__ and getattr(s, 'shape', None) == ()
                and getattr(s, 'dtype', None) == d.dtype and s == d):
            saved = node.saved = saved[:j] + (d,) + saved[j + 1:]
    return saved


def _type_name(arr):
    return tensor_type_name(arr.dtype)


def _check_versions(node):
    for cell, version, arr, t in node._versions:
        if cell[0] != version:
            shape = ', '.join(map(str, arr.shape))
            # torch names the op that now produces the modified tensor (its grad_fn after the
            # in-place op), without the "Backward0" suffix
            # (a saved input: its grad_fn now, as torch names it; a saved output: this node)
            fn = node if t.__class__ is int else t.grad_fn
            if fn is None:
                which = ''
            else:
                name = fn.name()
                name = 'torch::autograd::CopySlices' if name == 'CopySlices' else \
                    re.sub(r'Backward\d*$', '', name)
                nr = t if t.__class__ is int else getattr(t, '_output_nr', 0)
                which = f', which is output {nr} of {name},'
            raise RuntimeError(
                'one of the variables needed for gradient computation has been modified by an '
                f'inplace operation: [{_type_name(arr)} [{shape}]]{which} is at version '
                f'{cell[0]}; expected version {version} instead. Hint: enable anomaly detection '
                'to find the operation that failed to compute its gradient, with '
                'torch.autograd.set_detect_anomaly(True, check_nan=False).')


def _apply_hooks(node, grads, wrap, create_graph=False):
    """Run tensor hooks on the gradients arriving at ``node`` (arrays; Tensors under
    create_graph, which hooks see and return as they are)."""
    if node._pre_hooks:
        for nr, fns in node._pre_hooks.items():
            for fn in fns:
                if grads[nr] is not None:
                    res = fn(grads[nr] if create_graph else wrap(grads[nr]))
                    if res is not None:
                        grads[nr] = res if create_graph else res._data
    if node._retain:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                # as torch: a clone first, then out-of-place sums (an earlier .grad object
                # keeps its value; under create_graph the sum is recorded)
                if create_graph:
                    t.grad = grads[nr].clone() if t.grad is None else t.grad + grads[nr]
                elif t.grad is None:
                    t.grad = wrap(grads[nr].copy())
                else:
                    t.grad = wrap(t.grad._data + grads[nr])


def _graphed_backward(node, grads):
    """Run ``node``'s backward formula on GradArrays, so that it records its own graph.

    The formula's saved inputs and outputs become the tensors they were (inputs keep their
    history; an output is a tensor whose grad_fn is ``node`` itself), so the derivative
    depends on them differentiably; everything else it saved (masks, indices, shapes) is a
    constant. Missing gradients of unused outputs are zeros.
    """
    if node.double_backward_error:
        return _refused_backward(node, grads)
    gs = [g if g is not None else _zeros_tensor(node, i) for i, g in enumerate(grads)]
    if node.backward_graphed is not None:
        res = node.backward_graphed(*gs)
        return res if res.__class__ is tuple else (res,)
    return run_formula(node, gs)


def run_formula(node, grads, saved=None):
    """``node.backward`` (its one formula) run on GradArrays of the gradient tensors ``grads``,
    ``saved`` standing in for ``node.saved`` (default: ``saved_grad_arrays(node)``); the
    results as tensors. A ``backward_graphed`` that recomputes an intermediate passes its own
    ``saved``."""
    old = node.saved
    node.saved = saved_grad_arrays(node) if saved is None else saved
    try:
        with namespace_of(node, _grad_namespace(node.xp)):
            res = node.backward(*[GradArray(g) for g in grads])
    finally:
        node.saved = old
    if res.__class__ is not tuple:
        res = (res,)
    return tuple(_as_tensor(r) for r in res)


class ErrorNode(Node):
    """A node that raises ``error`` when a backward pass reaches it: torch's ``NotImplemented``
    node, the grad_fn of a gradient that cannot be differentiated again (a node's
    ``double_backward_error``, a torch.func result, a ``once_differentiable`` backward)."""
    _name = 'NotImplemented'

    def __init__(self, error):
        self.error = error          # an exception instance; a fresh copy is raised each time

    def backward(self, *grads):
        raise type(self.error)(*self.error.args)

    backward_graphed = backward


def _refused_backward(node, grads):
    """create_graph through a node torch cannot differentiate twice: its first-order
    gradients, each behind an ``ErrorNode``, so (as in torch) the error comes only
    if a later backward reaches them. Their edges: the node's inputs and the incoming
    gradients that have history (what torch's node hangs on)."""
    data = [g._data if g is not None else _zeros_tensor(node, i)._data
            for i, g in enumerate(grads)]
    res = node.backward(*data)
    if res.__class__ is not tuple:
        res = (res,)
    out = []
    for r in res:
        if r is None:
            out.append(None)
            continue
        t = _wrap_array(r)
        err = ErrorNode(RuntimeError(node.double_backward_error))
        connect(err, t, [g for g in grads if g is not None])
        err.edges = err.edges + [e for e in node.edges if e is not None]
        out.append(t)
    return tuple(out)


@contextlib.contextmanager
def namespace_of(node, xp):
    """``node.xp`` is ``xp`` inside the block (create_graph's GradNamespace), then restored."""
    own = node.__dict__.get('xp')
    node.xp = xp
    try:
        yield
    finally:
        if own is None:
            del node.xp
        else:
            node.xp = own


def _zeros_tensor(node, i):
    shape, dtype = node._out_meta[i] if node._out_meta else (None, None)
    return _wrap_array(node.xp.zeros(shape, dtype))


def saved_grad_arrays(node):
    """create_graph: ``node.saved`` with each array that is one of the node's inputs or outputs
    as a GradArray of that tensor (found through the versions ``connect`` recorded); the rest
    (masks, indices, intermediates) as they are."""
    saved = node.saved
    if not node._versions:
        return saved
    found = {}
    for _cell, _version, arr, t in node._versions:
        if arr.dtype.kind not in 'fc':   # index/mask inputs and outputs stay plain constants
            continue
        if t.__class__ is int:     # output number t of this node
            nr, t = t, _wrap_array(arr)
            t._requires_grad = True
            t.grad_fn = node
            if nr:
                t._output_nr = nr
        found[id(arr)] = GradArray(t)
    return tuple(found.get(id(s), s) for s in saved)


def saved_tensors(node):
    """``saved_grad_arrays`` as Tensors (a plain array as a constant one, None as None), for
    a ``backward_graphed`` written with tensor ops."""
    return tuple(s.t if s.__class__ is GradArray else (None if s is None else _wrap_array(s))
                 for s in saved_grad_arrays(node))


def input_tensor(node, i, data):
    """create_graph: a tensor holding ``data`` with the history of ``node``'s input ``i`` (its
    edge), for a ``backward_graphed`` that rebuilt the input's values rather than keep the
    input alive (a leaf is the leaf itself)."""
    e = node.edges[i]
    if e is None:
        return _wrap_array(data)
    fn, nr = e
    if fn.__class__ is AccumulateGrad:
        return fn.variable
    t = _wrap_array(data)
    t._requires_grad = True
    t.grad_fn = fn
    if nr:
        t._output_nr = nr
    return t


def _as_tensor(r):
    if r is None:
        return None
    if r.__class__ is GradArray:
        return r.t
    return _wrap_array(r)


_NAMESPACES = {}


def _grad_namespace(real):
    ns = _NAMESPACES.get(id(real))
    if ns is None:
        ns = _NAMESPACES[id(real)] = GradNamespace(real)
    return ns


def run_backward(roots, root_grads, retain_graph=False, capture=None, wrap=None,
                 create_graph=False):
    """Propagate ``root_grads`` (arrays) from the edges ``roots`` down the graph.

    With ``capture`` (a dict edge -> slot), gradients arriving at those edges are collected and
    returned in a list instead of being accumulated into leaves (``autograd.grad``).
    With ``create_graph`` the gradients are Tensors (``root_grads`` too) and every backward
    formula is recorded as it runs (``_graphed_backward``), so the results can be
    differentiated again.
    """
    token = quiet_on()    # backward formulas meet 1/0, 0*inf like torch's: silently
    try:
        return _run_backward(roots, root_grads, retain_graph, capture, wrap, create_graph)
    finally:
        quiet_off(token)


def _reaching(nodes, capture):
    """The nodes among ``nodes`` from which an edge in ``capture`` can be reached (those
    edges' own nodes included): the part of the graph ``autograd.grad`` must run."""
    parents = {}
    for node in nodes:
        for e in node.edges:
            if e is not None:
                parents.setdefault(e[0], []).append(node)
    reach = set()
    stack = [e[0] for e in capture if e is not None and (e[0] in nodes or e[0] in parents)]
    while stack:
        n = stack.pop()
        if n not in reach:
            reach.add(n)
            stack.extend(parents.get(n, ()))
    return reach


def _run_backward(roots, root_grads, retain_graph, capture, wrap, create_graph=False):
    # 1. Count, for every node reachable from the roots, how many edges lead into it.
    deps = {}
    # Unique: several roots may be outputs of one node (split pieces); walking it twice would
    # double-count the edges below it and its inputs would never run.
    stack = list(dict.fromkeys(r[0] for r in roots))
    seen = set(stack)
    while stack:
        node = stack.pop()
        for e in node.edges:
            if e is not None:
                nxt = e[0]
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)

    # autograd.grad / backward(inputs=): only the nodes on a path to an input run, as torch's
    reach = _reaching(seen, capture) if capture is not None else None

    # 2. Seed the roots' gradients.
    grads = {}
    for (node, nr), g in zip(roots, root_grads):
        buf = grads.get(node)
        if buf is None:
            buf = grads[node] = [None] * node.n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    captured = [None] * len(capture) if capture else None
    ready = [node for node in dict.fromkeys(r[0] for r in roots) if deps.get(node, 0) == 0]
    prev_pass, _pass[0] = _pass[0], seen

    # 3. Run each node once all the gradients flowing into it have arrived.
    prev = _enabled[0]
    _enabled[0] = create_graph   # backward math is recorded only for create_graph
    packs = _saved_hooks.PACKED_EVER[0]   # saved_tensors_hooks ever packed a node
    anomaly = _anomaly_on[0]     # anomaly mode: NaN checks, and a warning naming where the
    prev_node = _anomaly._current[0]   # failing node was created (anomaly_mode.py)
    node = None
    try:
        while ready:
            node = ready.pop()
            if reach is not None and node not in reach:
                continue          # no input below: torch's engine does not run it either
            if anomaly:
                _anomaly._current[0] = node
            gs = grads.pop(node, None)
            if gs is not None and (node._pre_hooks or node._retain):
                _apply_hooks(node, gs, wrap, create_graph)
            if capture:
                for nr in range(node.n_outputs):
                    slot = capture.get((node, nr))
                    if slot is not None and gs is not None and gs[nr] is not None:
                        captured[slot] = gs[nr]
            if gs is None or all(g is None for g in gs):
                in_grads = (None,) * len(node.edges)
            elif capture is not None and (node.__class__ is AccumulateGrad or not any(
                    e is not None and e[0] in reach for e in node.edges)):
                in_grads = ()     # an input itself, with no other input below it
            else:
                if node.saved is None:
                    raise RuntimeError(_FREED)
                packed = node.saved if packs and node.saved.__class__ is _Packed else None
                if packed is not None:    # saved_tensors_hooks: unpack_hook, for this run
                    packed.unpack(node)
                if node._versions:
                    _check_versions(node)
                if create_graph:
                    in_grads = _graphed_backward(node, gs)
                elif node.n_outputs == 1:
                    in_grads = node.take(gs)
                else:
                    in_grads = node.backward(*[
                        g if g is not None else node.xp.zeros(shape, dtype)
                        for g, (shape, dtype) in zip(gs, node._out_meta)])
                if in_grads.__class__ is not tuple:
                    in_grads = (in_grads,)
                if anomaly and _anomaly._anomaly['check_nan']:
                    _anomaly.check_nan(node, in_grads)
                if packed is not None:    # packed again: a retained graph unpacks anew
                    packed.repack(node)
                if not retain_graph:
                    f = node.frees     # see Node.frees: torch frees what it saved
                    if node.saved if f is None else f:
                        node.saved = None
            for e, g in zip(node.edges, in_grads):
                if e is None:
                    continue
                nxt, nr = e
                if g is not None:
                    buf = grads.get(nxt)
                    if buf is None:
                        buf = grads[nxt] = [None] * nxt.n_outputs
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
            in_grads = g = None   # the next node may be an AccumulateGrad that keeps its grad
    except Exception:
        if anomaly and node is not None:
            _anomaly.report(node)
        raise
    finally:
        _enabled[0] = prev
        _pass[0] = prev_pass
        if anomaly:
            _anomaly._current[0] = prev_node
    return captured
