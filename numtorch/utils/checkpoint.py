"""``numtorch.utils.checkpoint``: activation checkpointing (trade compute for memory).

``checkpoint(fn, *args)`` keeps no intermediate activations of ``fn``: only its inputs are
saved, and ``fn`` runs again (with the same random state, so dropout masks repeat) when the
backward pass reaches it.

- ``use_reentrant=True`` (torch's default when the argument is omitted, with its warning): the
  forward runs without grad; the recomputation then backpropagates into the parameters ``fn``
  uses directly, and gradients reach the checkpoint's tensor inputs. As in torch, if no input
  requires grad the output does not either ("Gradients will be None").
- ``use_reentrant=False``: the output is connected to every leaf ``fn`` used (found by running
  ``fn`` once with grad enabled and dropping its graph at once), so parameters get their
  gradients even when no input requires grad; keyword arguments are passed to ``fn``.
"""
import warnings

from .. import random as _random
from ..autograd import grad as _grad, backward as _backward
from ..autograd.function import Function
from ..autograd.graph import AccumulateGrad
from ..autograd.grad_mode import enable_grad, no_grad

_REENTRANT_WARNING = (
    'torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in '
    'PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. '
    'use_reentrant=False is recommended, but if you need to preserve the current default '
    'behavior, you can pass use_reentrant=True. Refer to docs for more details on the '
    'differences between the two variants.')


def _is_tensor(x):
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _leaves(outputs):
    """Leaf tensors requiring grad that ``outputs``' graph reaches (each once, in order)."""
    seen, found, stack = set(), [], [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.append(node.variable)
            continue
        for e in node.edges:
            if e is not None:
                stack.append(e[0])
    return found


class CheckpointFunction(Function):
    """Runs ``fn`` without grad; backward recomputes it and backpropagates."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, reentrant, n_args, kwargs, *args):
        ctx.run_function, ctx.reentrant, ctx.n_args, ctx.kwargs = (run_function, reentrant,
                                                                   n_args, kwargs)
        ctx.rng = _random.get_rng_state() if preserve_rng_state else None
        ctx.inputs = args                 # the n_args call arguments, then the found leaves
        with no_grad():
            out = run_function(*args[:n_args], **kwargs)
        ctx.tuple_out = isinstance(out, tuple)
        return out

    @staticmethod
    def backward(ctx, *grads):
        args = ctx.inputs[:ctx.n_args]
        leaves = list(ctx.inputs[ctx.n_args:])
        detached = [a.detach().requires_grad_(a.requires_grad) if _is_tensor(a) else a
                    for a in args]
        state = None
        if ctx.rng is not None:
            state = _random.get_rng_state()
            _random.set_rng_state(ctx.rng)
        try:
            with enable_grad():
                out = ctx.run_function(*detached, **ctx.kwargs)
        finally:
            if state is not None:
                _random.set_rng_state(state)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if _is_tensor(o) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError('none of output has requires_grad=True, this checkpoint() is not '
                               'necessary')
        wanted = [d for d in detached if _is_tensor(d) and d.requires_grad]
        if ctx.reentrant:
            _backward([o for o, _ in pairs], [g for _, g in pairs])
            in_grads = [d.grad if _is_tensor(d) else None for d in detached]
            leaf_grads = []
        else:
            got = _grad([o for o, _ in pairs], wanted + leaves, [g for _, g in pairs],
                        allow_unused=True) if wanted + leaves else ()
            by_id = {id(t): g for t, g in zip(wanted, got[:len(wanted)])}
            in_grads = [by_id.get(id(d)) if _is_tensor(d) else None for d in detached]
            leaf_grads = list(got[len(wanted):])
        return (None, None, None, None, None) + tuple(in_grads) + tuple(leaf_grads)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check='default',
               debug=False, early_stop=True, **kwargs):
    """Run ``function(*args)`` keeping only its inputs; recompute it during backward.

    >>> import numtorch
    >>> from numtorch.utils.checkpoint import checkpoint
    >>> lin = numtorch.nn.Linear(3, 2)
    >>> y = checkpoint(lin, numtorch.randn(4, 3), use_reentrant=False)
    >>> y.sum().backward()
    >>> lin.weight.grad.shape
    torch.Size([2, 3])
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop('preserve_rng_state', True)
    if kwargs and use_reentrant:
        raise ValueError('Unexpected keyword arguments: ' + ','.join(kwargs))
    if use_reentrant:
        if context_fn is not None:
            raise ValueError('Passing `context_fn` or `debug` is only supported when '
                             'use_reentrant=False.')
        if not any(_is_tensor(a) and a.requires_grad for a in args):
            warnings.warn('None of the inputs have requires_grad=True. Gradients will be None',
                          stacklevel=2)
        return CheckpointFunction.apply(function, preserve, True, len(args), {}, *args)
    # Non-reentrant: find the leaves fn uses (one throwaway forward with grad), so its output
    # is connected to the parameters even when no input requires grad.
    rng = _random.get_rng_state() if preserve else None
    from ..autograd.grad_mode import is_grad_enabled
    if not is_grad_enabled():
        return function(*args, **kwargs)
    with enable_grad():
        probe = function(*args, **kwargs)
    outs = probe if isinstance(probe, tuple) else (probe,)
    arg_ids = {id(a) for a in args if _is_tensor(a)}
    leaves = [t for t in _leaves([o for o in outs if _is_tensor(o)]) if id(t) not in arg_ids]
    del probe, outs
    if rng is not None:
        _random.set_rng_state(rng)    # the real forward below draws the same random numbers
    return CheckpointFunction.apply(function, preserve, False, len(args), kwargs, *args, *leaves)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Checkpoint a sequence of modules (or an ``nn.Sequential``) in ``segments`` chunks; the
    last chunk runs normally.

    >>> import numtorch
    >>> from numtorch.utils.checkpoint import checkpoint_sequential
    >>> net = numtorch.nn.Sequential(numtorch.nn.Linear(3, 3), numtorch.nn.ReLU(),
    ...                              numtorch.nn.Linear(3, 1))
    >>> checkpoint_sequential(net, 2, numtorch.randn(2, 3), use_reentrant=False).shape
    torch.Size([2, 1])
    """
    if use_reentrant is None:
        warnings.warn(
            'torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be '
            'passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not '
            'passed. use_reentrant=False is recommended, but if you need to preserve the current '
            'default behavior, you can pass use_reentrant=True. Refer to docs for more details on '
            'the differences between the two variants.', stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop('preserve_rng_state', True)
    if kwargs:
        raise ValueError('Unexpected keyword arguments: ' + ','.join(kwargs))

    def run(start, end, fns):
        def forward(x):
            for j in range(start, end + 1):
                x = fns[j](x)
            return x
        return forward
    from ..nn.modules.container import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end, functions), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1, functions)(input)


__all__ = ['checkpoint', 'checkpoint_sequential']
