"""``numtorch.autograd``: ``backward``, ``grad`` and user-defined ``Function``s.

The graph and engine are in ``graph.py``; this file turns tensors into edges and gradients into
arrays and back.
"""
from .._backend import namespace
from . import graph
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .._ops._apply import wrap as _wrap

# The user-facing half loads on first use (PEP 562): it builds on Tensor, and Tensor's module
# imports the engine above, so importing it here would close the cycle _tensor -> autograd.
_LAZY = {'Function': 'function', 'FunctionCtx': 'function', 'function': None,
         'gradcheck': 'gradcheck', 'GradcheckError': 'gradcheck', 'gradgradcheck': 'gradcheck',
         'Variable': 'variable', 'variable': None, 'functional': None}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    sub = _LAZY[name] or name
    mod = __import__('importlib').import_module(f'{__name__}.{sub}')
    # bind every name that module provides (its import bound the module's own name here, and
    # `gradcheck` must stay the function)
    globals().update({n: getattr(mod, n) for n, m in _LAZY.items() if m == sub})
    return globals()[name]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def _roots(tensors, grad_tensors, what):
    edges, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f'element {i} of tensors does not require grad and does not have a '
                               'grad_fn')
        if g is None:
            if t._data.size != 1:
                raise RuntimeError('grad can be implicitly created only for scalar outputs')
            g = namespace(t._data).ones_like(t._data)
        else:
            g = (g._data if hasattr(g, '_data') else
                 namespace(t._data).asarray(g, dtype=t._data.dtype))   # on the output's device
            if g.shape != t._data.shape:
                raise RuntimeError(f'Mismatch in shape: grad_output[{i}] has a shape of '
                                   f'{_torch_size(g.shape)} and output[{i}] has a shape of '
                                   f'{_torch_size(t._data.shape)}.')
        edges.append(graph.edge(t))
        grads.append(g)
    return edges, grads


def _graph_roots(grads, grad_tensors):
    """create_graph: the roots' gradients as Tensors, the user's own where given (so the result
    can be differentiated with respect to them too)."""
    return [g if hasattr(g, '_data') and g._data is a else _wrap(a)
            for a, g in zip(grads, grad_tensors)]


def _input_edge(t):
    """The edge an ``autograd.grad`` input stands for (a tensor's, or a GradientEdge)."""
    return (t.node, t.output_nr) if isinstance(t, graph.GradientEdge) else graph.edge(t)


def _torch_size(shape):
    return f'torch.Size([{", ".join(map(str, shape))}])'


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


_WARNED_CYCLE = []


def _warn_cycle():
    """torch's warning (once per process) on backward(create_graph=True) into ``.grad``."""
    _WARNED_CYCLE.append(True)
    import warnings
    warnings.warn('Using backward() with create_graph=True will create a reference cycle between '
                  'the parameter and its gradient which can cause a memory leak. We recommend '
                  'using autograd.grad when creating the graph to avoid this. If you have to use '
                  'this function, make sure to reset the .grad fields of your parameters to None '
                  'after use to break the cycle and avoid the leak.', stacklevel=3)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    >>> import numtorch
    >>> x = numtorch.tensor([1., 2.], requires_grad=True)
    >>> numtorch.autograd.backward((x * 3).sum())
    >>> x.grad
    tensor([3., 3.])
    """
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and not _WARNED_CYCLE:
        _warn_cycle()
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    edges, grads = _roots(tensors, grad_tensors, 'backward')
    if create_graph:
        grads = _graph_roots(grads, grad_tensors)
    if inputs is not None:
        inputs = _as_list(inputs)
        captured = graph.run_backward(edges, grads, bool(retain_graph),
                                      capture={graph.edge(t): i for i, t in enumerate(inputs)},
                                      wrap=_wrap, create_graph=create_graph)
        for t, g in zip(inputs, captured):
            if g is not None:
                acc = graph.AccumulateGrad(t)
                acc.backward_graphed(g) if create_graph else acc.backward(g)
        return
    graph.run_backward(edges, grads, bool(retain_graph), wrap=_wrap, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``.

    >>> import numtorch
    >>> x = numtorch.tensor([1., 2.], requires_grad=True)
    >>> numtorch.autograd.grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    if retain_graph is None:
        retain_graph = create_graph
    outputs = _as_list(outputs)
    # an input may be a graph.GradientEdge (a tuple itself) instead of a tensor
    inputs_l = [inputs] if isinstance(inputs, graph.GradientEdge) else _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    for t in inputs_l:
        if not isinstance(t, graph.GradientEdge) and not t._requires_grad:
            raise RuntimeError('One of the differentiated Tensors does not require grad')
    edges, grads = _roots(outputs, grad_outputs, 'grad')
    if create_graph:
        grads = _graph_roots(grads, grad_outputs)
    capture = {}
    for i, t in enumerate(inputs_l):
        capture.setdefault(_input_edge(t), i)
    captured = graph.run_backward(edges, grads, bool(retain_graph), capture=capture, wrap=_wrap,
                                  create_graph=create_graph)
    result = []
    for i, t in enumerate(inputs_l):
        g = captured[capture[_input_edge(t)]]
        if isinstance(t, graph.GradientEdge):
            if g is None and not allow_unused:
                raise RuntimeError(f'The differentiated Tensor at index {i} appears to not have '
                                   'been used in the graph. Set allow_unused=True if this is the '
                                   'desired behavior.')
            result.append(g if g is None or hasattr(g, '_data') else _wrap(g.copy()))
            continue
        if g is None:
            if materialize_grads:
                g = namespace(t._data).zeros_like(t._data)
            elif not allow_unused:
                raise RuntimeError(f'The differentiated Tensor at index {i} appears to not have '
                                   'been used in the graph. Set allow_unused=True if this is the '
                                   'desired behavior.')
        if g is None or not create_graph:
            g = None if g is None else _wrap(g.astype(t._data.dtype))
        elif not hasattr(g, '_data'):     # materialized zeros
            g = _wrap(g)
        elif g._data.dtype != t._data.dtype:
            g = g.to(t.dtype)
        result.append(g)
    return tuple(result)
