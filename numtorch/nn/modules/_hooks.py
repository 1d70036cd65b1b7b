"""Module hook plumbing: removable handles, and the identity nodes behind
``register_full_backward_hook`` (torch's ``torch/utils/hooks.py`` ``BackwardHook``).

A full backward hook needs the gradients w.r.t. the module's *inputs* and *outputs*. As torch
does, the module's tensor inputs and outputs are passed through an identity node each: the
output node's backward sees ``grad_output``, the input node's backward sees ``grad_input`` and
calls the hooks, which may replace ``grad_input``.
"""
import itertools

from ...autograd.graph import Node, connect
from ...autograd.grad_mode import _enabled
from ..._ops import _apply

_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*_hook``: ``handle.remove()`` unregisters the hook.

    >>> from numtorch import nn
    >>> m = nn.ReLU()
    >>> h = m.register_forward_hook(lambda mod, inp, out: None)
    >>> len(m._forward_hooks); h.remove(); len(m._forward_hooks)
    1
    0
    """

    def __init__(self, *dicts):
        self.id = next(_ids)
        self._dicts = dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend=False, extra=()):
    """Insert ``hook`` into the ordered dict ``hooks`` (at the front with ``prepend``);
    ``extra`` are side dicts (keyed by handle id) the handle also cleans on ``remove``."""
    handle = RemovableHandle(hooks, *extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class HookRegistration:
    """``Module``'s ``register_*_hook`` methods (a base class of Module, kept here so
    module.py stays about the module itself)."""

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before ``state_dict`` collects this module."""
        return add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after collection."""
        return add_hook(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before this module loads its entries."""
        return add_hook(self._load_state_dict_pre_hooks, hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return add_hook(self._load_state_dict_pre_hooks,
                               lambda module, *args: hook(*args))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict``."""
        return add_hook(self._load_state_dict_post_hooks, hook)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` runs before forward; it may return new args.

        >>> import numtorch
        >>> from numtorch import nn
        >>> m = nn.Identity()
        >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        >>> m(numtorch.ones(2))
        tensor([2., 2.])
        """
        h = add_hook(self._forward_pre_hooks, hook, prepend,
                            (self._forward_pre_hooks_with_kwargs,))
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` runs after forward; it may return a new output.

        >>> import numtorch
        >>> from numtorch import nn
        >>> shapes = []
        >>> m = nn.Linear(3, 2)
        >>> h = m.register_forward_hook(lambda mod, args, out: shapes.append(tuple(out.shape)))
        >>> _ = m(numtorch.ones(5, 3)); shapes
        [(5, 2)]
        """
        h = add_hook(self._forward_hooks, hook, prepend,
                            (self._forward_hooks_with_kwargs, self._forward_hooks_always_called))
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
        if always_call:
            self._forward_hooks_always_called[h.id] = True
        return h

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients w.r.t. the
        module's inputs are computed; it may return a replacement ``grad_input``.

        >>> import numtorch
        >>> from numtorch import nn
        >>> seen = []
        >>> m = nn.Linear(3, 2)
        >>> h = m.register_full_backward_hook(lambda mod, gi, go: seen.append(tuple(go[0].shape)))
        >>> m(numtorch.ones(4, 3, requires_grad=True)).sum().backward(); seen
        [(4, 2)]
        """
        return add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs before the module's input gradients are computed;
        it may return a replacement ``grad_output``."""
        return add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        raise NotImplementedError('register_backward_hook is deprecated in torch; use '
                                  'register_full_backward_hook')


class BackwardHookFunctionBackward(Node):
    """Identity on several tensors; its backward hands the gradients to ``on_grad``."""

    def forward(self, arrays, on_grad):
        self.on_grad = on_grad
        return tuple(arrays)

    def backward(self, *grads):
        out = self.on_grad(grads)
        return tuple(grads) if out is None else tuple(out)


def _through_identity(tensors, on_grad):
    """Return ``tensors`` passed through one identity node whose backward calls ``on_grad``."""
    node = BackwardHookFunctionBackward()
    outs = tuple(_apply.wrap(a) for a in node.forward([t._data for t in tensors], on_grad))
    connect(node, outs, tensors)
    return outs


def _wrap_tensors(args, fn):
    """Apply ``fn`` to the grad-requiring tensors found in ``args`` (a tuple or one value)."""
    from ..._tensor import Tensor
    single = not isinstance(args, tuple)
    seq = (args,) if single else args
    idx = [i for i, a in enumerate(seq) if isinstance(a, Tensor) and a._requires_grad]
    if not idx:
        return args, 0
    new = fn(tuple(seq[i] for i in idx), len(seq), idx)
    seq = list(seq)
    for i, t in zip(idx, new):
        seq[i] = t
    return (seq[0] if single else tuple(seq)), len(idx)


class BackwardHook:
    """Runs a module's full backward (pre-)hooks for one forward call."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_idx = ()
        self.inputs_hooked = False

    def setup_input_hook(self, args):
        if not _enabled[0]:
            return args

        def wrap_in(tensors, n, idx):
            self.n_inputs, self.input_idx = n, idx

            def on_grad(grads):
                full = [None] * n
                for i, g in zip(idx, grads):
                    full[i] = _apply.wrap(g)
                res = self._run_hooks(tuple(full))
                if res is None:
                    return None
                return tuple(None if res[i] is None else res[i]._data for i in idx)
            return _through_identity(tensors, on_grad)

        out, k = _wrap_tensors(args, wrap_in)
        self.inputs_hooked = k > 0
        if not k:
            self.n_inputs = len(args) if isinstance(args, tuple) else 1
        return out

    def setup_output_hook(self, result):
        if not _enabled[0]:
            return result

        def wrap_out(tensors, n, idx):
            def on_grad(grads):
                gout = [None] * n
                for i, g in zip(idx, grads):
                    gout[i] = _apply.wrap(g)
                gout = tuple(gout)
                for hook in self.pre_hooks.values():
                    res = hook(self.module, gout)
                    if res is not None:
                        gout = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                self.grad_outputs = gout
                if not self.inputs_hooked:
                    # No input needs grad: torch still calls the hooks, with grad_input Nones.
                    self._run_hooks((None,) * self.n_inputs)
                return tuple(None if gout[i] is None else gout[i]._data for i in idx)
            return _through_identity(tensors, on_grad)

        out, _ = _wrap_tensors(result, wrap_out)
        return out

    def _run_hooks(self, grad_input):
        changed = None
        for hook in self.hooks.values():
            res = hook(self.module, grad_input if changed is None else changed, self.grad_outputs)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f'Backward hook returned an invalid number of grad_input, '
                                       f'got {len(res)}, but expected {len(grad_input)}')
                changed = res
        return changed
