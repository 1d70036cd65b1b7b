"""Saved-tensor hooks (torch's ``torch.autograd.graph.saved_tensors_hooks`` and friends).

A node keeps what its backward needs as arrays in ``node.saved``. While hooks are active,
``graph.connect`` hands each saved array, as a tensor (the very input or output tensor where
it is one of those), to ``pack_hook`` and keeps only what that returns (``Packed``); the
engine calls ``unpack_hook`` on it right before the node's backward runs (again on each run
of a retained graph). With no hooks active the cost is one truth test per recorded op.

numtorch still references the original arrays of a node's inputs and outputs for its
in-place (version) checks, so ``save_on_cpu`` does not free device memory as torch's does.
The names are exported from ``numtorch.autograd.graph``, where torch has them (so are the
small ``GradientEdge`` / ``get_gradient_edge`` / ``increment_version`` at the end).
"""
from typing import Any, NamedTuple

from .._backend import ARRAYS
from .grad_mode import _enabled

__all__ = ['saved_tensors_hooks', 'save_on_cpu', 'disable_saved_tensors_hooks',
           'register_multi_grad_hook', 'GradientEdge', 'get_gradient_edge', 'increment_version']

_stack = []          # the active (pack_hook, unpack_hook) pairs; the innermost is used
_disabled = [None]   # the error message while disable_saved_tensors_hooks is active


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor)`` is called on every tensor an op saves for
    backward, and ``unpack_hook(packed)`` on what it returned when backward needs it.

    >>> import numtorch
    >>> from numtorch.autograd.graph import saved_tensors_hooks
    >>> calls = []
    >>> x = numtorch.tensor([1., 2.], requires_grad=True)
    >>> with saved_tensors_hooks(lambda t: calls.append('pack') or t,
    ...                          lambda p: calls.append('unpack') or p):
    ...     y = x.exp().sum()
    >>> y.backward(); calls, x.grad
    (['pack', 'unpack'], tensor([2.7183, 7.3891]))
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args):
        _stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device for backward.

    >>> import numtorch
    >>> x = numtorch.tensor([1., 2.], requires_grad=True)
    >>> with numtorch.autograd.graph.save_on_cpu():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    tensor([2., 4.])
    """

    def __init__(self, pin_memory=False, device_type='cuda'):
        def pack_to_cpu(tensor):
            # pin_memory: torch copies into page-locked memory; numtorch has none, so a copy
            return (tensor.device, tensor.detach().cpu().clone() if pin_memory else tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """Context manager: entering ``saved_tensors_hooks`` inside it (or entering it while
    hooks are active) raises ``RuntimeError(error_message)``.

    >>> import numtorch
    >>> from numtorch.autograd import graph
    >>> with graph.disable_saved_tensors_hooks('no hooks here'):
    ...     with graph.save_on_cpu():
    ...         pass
    Traceback (most recent call last):
    RuntimeError: no hooks here
    """

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self.prev = _disabled[0]
        if _stack:
            raise RuntimeError(self.error_message)
        _disabled[0] = self.error_message

    def __exit__(self, *args):
        _disabled[0] = self.prev


_INPLACE = ('A saved tensor pack hook is modifying its input in place. Tensors provided as input '
            'to pack hook cannot be modified by in-place operations as this can lead to '
            'unexpected side-effects. Please open an issue if you need to perform in-place '
            'operations on the input to a pack hook.')


class Packed:
    """What a node keeps in ``saved`` while hooks were active when it was recorded: per saved
    entry, the pack hook's result (arrays) or the entry itself (numbers, shapes)."""
    __slots__ = ('items', 'unpack_hook', 'links', 'versions', 'same')

    def unpack(self, node):
        """Set ``node.saved`` to the unpacked arrays for one backward run (``repack`` after)."""
        saved = []
        for j, (is_tensor, p) in enumerate(self.items):
            if is_tensor:
                t = self.unpack_hook(p)
                if not hasattr(t, '_data'):
                    raise TypeError('Output of saved tensor unpack_hook expected to be a Tensor '
                                    f'but got result of type {type(t).__name__}')
                p = t._data if self.same[j] == j else saved[self.same[j]]
            saved.append(p)
        node.saved = tuple(saved)
        if self.links:
            # the version records point at the unpacked arrays, so create_graph still knows
            # which saved arrays are the node's inputs and outputs
            vs = list(self.versions)
            for k, j in self.links:
                cell, version, _arr, t = vs[k]
                vs[k] = (cell, version, node.saved[j], t)
            node._versions = vs

    def repack(self, node):
        node.saved = self
        node._versions = self.versions


PACKED_EVER = [False]   # whether any node was ever packed: the engine checks for packs only then


def pack(node, out, inputs, wrap):
    """Replace ``node.saved`` by the active pack hook's results (``graph.connect`` calls this
    when hooks are active)."""
    PACKED_EVER[0] = True
    pack_hook, unpack_hook = _stack[-1]
    by_id = {}
    for o in (out if out.__class__ is tuple else (out,)):
        by_id[id(o._data)] = o
    for t in inputs:          # an input wins over an output sharing its array (a view)
        if t is not None:
            by_id[id(t._data)] = t
    items = []
    prev = _enabled[0]
    for s in node.saved:
        if s.__class__ in ARRAYS:
            t = by_id.get(id(s))
            if t is None:
                t = wrap(s)
            version = t._version_counter[0]
            items.append((True, pack_hook(t)))
            _enabled[0] = prev    # a hook that switched grad mode off and failed to restore it
            if t._version_counter[0] != version:
                raise RuntimeError(_INPLACE)
        else:
            items.append((False, s))
    # where the same array is saved twice, both unpack to one array (so create_graph, which
    # matches saved arrays to inputs/outputs by identity, still finds each)
    first = {}
    for j, s in enumerate(node.saved):
        if s.__class__ in ARRAYS:
            first.setdefault(id(s), j)
    p = Packed()
    p.items, p.unpack_hook, p.versions = items, unpack_hook, node._versions
    p.same = [first.get(id(s), j) for j, s in enumerate(node.saved)]
    p.links = [(k, first[id(v[2])]) for k, v in enumerate(node._versions or ())
               if id(v[2]) in first]
    node.saved = p


def register_multi_grad_hook(tensors, fn, *, mode='all'):
    """Call ``fn`` once the gradients of ``tensors`` have been computed in a backward pass:
    ``mode='all'``: ``fn(grads)`` with a list of one gradient per tensor (None for those the
    pass does not reach); ``mode='any'``: ``fn(grad)`` with the first one computed.

    >>> import numtorch
    >>> from numtorch.autograd.graph import register_multi_grad_hook
    >>> a = numtorch.ones(2, requires_grad=True); b = numtorch.ones(2, requires_grad=True)
    >>> h = register_multi_grad_hook((a, b), lambda gs: print([g.sum().item() for g in gs]))
    >>> (a * 2 + b * 3).sum().backward()
    [4.0, 6.0]
    """
    from . import graph
    if mode not in ('all', 'any'):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise AssertionError('Expected gradient function to be set')
    state = {'pass': None}
    if mode == 'any':
        def any_hook(grad):
            if state['pass'] is not graph._pass[0]:   # the first of this backward pass
                state['pass'] = graph._pass[0]
                fn(grad)
        return _MultiHandle([t.register_hook(any_hook) for t in tensors])

    def make(i):
        def all_hook(grad):
            reached = graph._pass[0]     # the nodes this backward pass runs
            if state['pass'] is not reached:
                state['pass'], state['grads'] = reached, [None] * len(tensors)
                state['left'] = sum(1 for t in tensors if graph.edge(t)[0] in reached)
            state['grads'][i] = grad
            state['left'] -= 1
            if state['left'] == 0:
                fn(state['grads'])
        return all_hook
    return _MultiHandle([t.register_hook(make(i)) for i, t in enumerate(tensors)])


class _MultiHandle:
    """The handle of ``register_multi_grad_hook``: ``remove()`` removes every hook it set."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.remove()


# ------------------------------------------------------------------ edges and versions
class GradientEdge(NamedTuple):
    """An edge of the graph: ``(node, output_nr)``; ``autograd.grad`` takes one as an input."""
    node: Any
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor):
    """The edge whose gradient is ``tensor``'s: its grad_fn (or leaf accumulator) and output.

    >>> import numtorch
    >>> x = numtorch.ones(2, requires_grad=True); y = x * 2
    >>> e = numtorch.autograd.graph.get_gradient_edge(y)
    >>> e.node.name(), numtorch.autograd.grad(y.sum(), e)
    ('MulBackward0', (tensor([1., 1.]),))
    """
    if not tensor.requires_grad:
        raise RuntimeError('It is not possible to get the gradient edge for a Tensor that does '
                           'not require gradients')
    from .graph import edge
    node, nr = edge(tensor)
    return GradientEdge(node, nr)


def increment_version(tensor):
    """Mark ``tensor`` (or each of an iterable of tensors) as modified in place, so backward
    refuses stale saved values as after a numtorch in-place op.

    >>> import numtorch
    >>> x = numtorch.ones(2); numtorch.autograd.graph.increment_version(x); x._version
    1
    """
    for t in ((tensor,) if hasattr(tensor, '_data') else tensor):
        t._version_counter[0] += 1
