"""User-defined differentiable operations, with torch's ``autograd.Function`` API.

A subclass writes ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods
over Tensors; ``apply`` runs forward without recording, then records one graph node whose
backward calls the user's. The engine treats it like any built-in node.
"""
from . import graph
from .grad_mode import _enabled
from .._tensor import Tensor
from .._ops._apply import wrap


class FunctionCtx(graph.Node):
    """The ``ctx`` passed to ``forward``/``backward``; it is also the graph node itself."""

    to_save = ()
    _saved = ()
    _freed = False
    # As torch, a backward without retain_graph frees a custom node whatever it saved, but
    # only ``saved_tensors`` raises afterwards: a backward that does not read it may run again.
    # So ``saved`` is a property: freeing (the engine sets None) only marks the node freed.
    frees = True

    @property
    def saved(self):
        return self._saved

    @saved.setter
    def saved(self, value):
        if value is None:
            self._freed = True
            self._saved = self.to_save = ()
        else:
            self._saved = value

    def save_for_backward(self, *tensors):
        self.to_save = tensors
        self.saved = tuple(t._data for t in tensors if t is not None) or ((),)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(graph._FREED)
        if self._versions:
            graph._check_versions(self)
        saved = self.saved
        if saved.__class__ is tuple and saved and saved[0].__class__ is not tuple:
            # saved_tensors_hooks: the engine put the unpacked arrays in ``saved``
            it = iter(saved)
            return tuple(None if t is None else _unpacked(t, next(it)) for t in self.to_save)
        return self.to_save

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value

    def name(self):
        return self._name


def _unpacked(t, arr):
    """The saved tensor ``t`` as backward sees it: itself, or (when a saved_tensors_hooks
    unpack hook gave another array) a tensor of that array with ``t``'s history, as torch."""
    if arr is t._data:
        return t
    u = wrap(arr)
    if t._requires_grad:
        u._requires_grad = True
        u.grad_fn = t.grad_fn
        u._output_nr = t._output_nr
        if t.grad_fn is None:
            u._acc = graph.edge(t)[0]    # gradients reach t's own accumulator
    return u


class Function:
    """Define a new op with its own backward.

    >>> import numtorch
    >>> class Cube(numtorch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         x, = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> x = numtorch.tensor([2.], requires_grad=True)
    >>> Cube.apply(x).backward(); x.grad
    tensor([12.])
    """

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError('You must implement the forward function for custom '
                                  'autograd.Function.')

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError('You must implement either the backward or vjp method for your '
                                  'custom autograd.Function to use it with backward mode AD.')

    @classmethod
    def apply(cls, *args, **kwargs):
        node_cls = cls.__dict__.get('_node_cls')
        if node_cls is None:
            node_cls = type(cls.__name__ + 'Backward', (_UserNode,),
                            {'_fn': cls, '_name': cls.__name__ + 'Backward'})
            cls._node_cls = node_cls
        ctx = node_cls()
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.n_args = len(args)
        ctx.tensor_pos = tensor_pos
        prev = _enabled[0]
        _enabled[0] = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            _enabled[0] = prev
        if not (prev and any(ctx.needs_input_grad)):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        fresh = []
        for o in outs:
            if isinstance(o, Tensor):
                # An output that is an input returned as is gets a new tensor object, as torch.
                if any(o is a for a in args) and o not in getattr(ctx, 'dirty', ()):
                    o = o.detach()
                fresh.append(o)
        nondiff = getattr(ctx, 'non_differentiable', ())
        tensor_outs = tuple(o for o in fresh if not any(o is n for n in nondiff))
        ctx.n_tensor_outs = len(tensor_outs)
        inputs = tuple(args[i] for i in tensor_pos)
        if len(tensor_outs) == 1 and not isinstance(out, tuple):
            graph.connect(ctx, tensor_outs[0], inputs)
        elif tensor_outs:
            graph.connect(ctx, tensor_outs, inputs)
        it = iter(fresh)
        result = tuple(next(it) if isinstance(o, Tensor) else o for o in outs)
        return result if isinstance(out, tuple) else result[0]


class _UserNode(FunctionCtx):
    materialize_grads = True

    def backward(self, *grads):
        res = self._grads(self._fn.backward(self, *[wrap(g) for g in grads]))
        return tuple(None if g is None else g._data for g in res)

    def backward_graphed(self, *grads):
        """create_graph: the user's ``backward`` runs on the gradient tensors in grad mode
        (the engine turned it on), ``ctx.saved_tensors`` being the saved tensors themselves
        with their history, so the gradients it returns can be differentiated again."""
        return self._grads(self._fn.backward(self, *grads))

    def _grads(self, res):
        """The gradients of the tensor arguments out of what the user's backward returned."""
        if not isinstance(res, tuple):
            res = (res,)
        if len(res) != self.n_args:
            # torch allows extra trailing Nones; fewer is an error
            if len(res) < self.n_args:
                raise RuntimeError(f'function {self._name} returned an incorrect number of '
                                   f'gradients (expected {self.n_args}, got {len(res)})')
        return tuple(res[i] for i in self.tensor_pos)


def once_differentiable(fn):
    """Decorator for a ``backward`` that cannot itself be differentiated: it runs without
    recording; under ``create_graph`` its results (where a gradient it got has history) lead
    to a node that raises torch's error if a second backward reaches it.

    >>> import numtorch
    >>> class Double(numtorch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     @once_differentiable
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> x = numtorch.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    tensor([2., 2.])
    """
    import functools
    from .grad_mode import no_grad

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        # as torch: only when recording (create_graph) and some incoming gradient has history
        if not _enabled[0] or not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        # Each output becomes an alias whose grad_fn is a node that raises when reached.
        fakes = tuple(None if o is None else o.detach().requires_grad_() for o in outs)
        aliases = tuple(None if o is None else wrap(o._data) for o in outs)
        node = _DelayedError()
        present = tuple(a for a in aliases if a is not None)
        if present:
            graph.connect(node, present if len(present) > 1 else present[0],
                          tuple(f for f in fakes if f is not None))
        return aliases if isinstance(outputs, tuple) else aliases[0]
    return wrapper


class _DelayedError(graph.ErrorNode):
    """The node ``once_differentiable`` puts after a backward's results: reaching it in a
    backward pass is torch's error (torch names this node ``Error``)."""
    _name = 'Error'

    def __init__(self):
        super().__init__(RuntimeError('trying to differentiate twice a function that was marked '
                                      'with @once_differentiable'))
