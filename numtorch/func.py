"""``numtorch.func``: torch.func's function transforms over numtorch's reverse-mode engine, and
``functional_call``.

``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd`` and ``hessian`` differentiate with
respect to fresh copies of the ``argnums`` inputs (inputs need not require grad). They nest
(``grad(grad(f))``, ``jacrev(jacrev(f))``, ``hessian = jacrev(jacrev(f))``) and compose with
ordinary autograd, as torch's do: when grad mode is on and a result depends on a tensor from
outside the transform (an input that requires grad, a captured parameter, the variable of an
enclosing transform), the backward pass runs with ``create_graph=True`` and the result keeps its
history; otherwise results are detached, and the backward pass is a plain first-order one.

``jacrev`` builds the Jacobian by rows (one backward pass per output element; torch vectorizes
with vmap). ``jacfwd`` gives the same Jacobian (same structure, argnums, has_aux and errors as
torch.func.jacfwd) but computes it in reverse mode too: numtorch has no forward-mode AD.
Inputs may be tensors or tuples/lists/dicts of tensors (e.g. a module's parameters), as torch's
pytrees. ``vmap`` is not provided.
"""
from .nn.utils.stateless import _functional_call
from ._tensor import Tensor
from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad, is_grad_enabled
from .autograd.graph import AccumulateGrad, ErrorNode, connect as _connect, edge as _edge
from ._creation import zeros, zeros_like, eye
from ._ops.shape.join import stack

__all__ = ['functional_call', 'grad', 'grad_and_value', 'vjp', 'jacrev', 'hessian', 'jacfwd']


# --- pytrees: a tensor, or tuples/lists/dicts of them ---------------------------------------

def _flatten(tree):
    """``(leaves, rebuild)``: the leaves in order and a function making the same structure."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        kind = type(tree)

        def rebuild(leaves):
            out, i = [], 0
            for ls, rb in parts:
                out.append(rb(leaves[i:i + len(ls)]))
                i += len(ls)
            return kind(out)
        return [leaf for ls, _ in parts for leaf in ls], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        vals, rb = _flatten([tree[k] for k in keys])
        return vals, lambda leaves: dict(zip(keys, rb(leaves)))
    return [tree], lambda leaves: leaves[0]


def _structure(tree):
    if isinstance(tree, (tuple, list)):
        return (type(tree), tuple(_structure(t) for t in tree))
    if isinstance(tree, dict):
        return (dict, tuple((k, _structure(v)) for k, v in tree.items()))
    return '*'


# --- what the transform differentiates, and what its results stay connected to --------------

_last_id = [0]     # the id of the newest transform call (ids only grow)


class _Scope:
    """One transform call. Its fresh input leaves are tagged with its id; the leaves of calls
    made while it runs its function (nested transforms) have larger ids, up to ``end``. Any
    other leaf is outside it: a user's tensor, or the variable of an enclosing transform."""

    def __init__(self):
        self.outer = is_grad_enabled()
        _last_id[0] += 1
        self.id = _last_id[0]
        self.end = None            # set once the call has run its function

    def close(self):
        self.end = _last_id[0]

    def differentiable(self, tree):
        """The tensors of ``tree`` as the transform's inputs: a tensor that requires grad
        outside stays connected to the caller's graph (a view of it, so the results can be
        differentiated further with respect to it); any other is a fresh leaf."""
        leaves, rebuild = _flatten(tree)
        for t in leaves:
            if not isinstance(t, Tensor):
                raise ValueError(f'Thing passed to transform API must be Tensor, got {type(t)}')
        out = []
        for t in leaves:
            if self.outer and t.requires_grad:
                out.append(t.view_as(t))
            else:
                t = t.detach().requires_grad_()
                _edge(t)[0]._func_scope = self.id
                out.append(t)
        return out, rebuild(out)

    def _inside(self, node):
        tag = getattr(node, '_func_scope', None)
        return tag is not None and self.id <= tag and (self.end is None or tag <= self.end)

    def outside(self, t):
        """Does ``t``'s history reach a leaf outside this call (then a result computed from it
        must keep its graph)? Always False with grad mode off outside."""
        if not (self.outer and isinstance(t, Tensor) and t.requires_grad):
            return False
        stack, seen = [_edge(t)[0]], set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if isinstance(node, AccumulateGrad):
                if not self._inside(node):
                    return True
                continue
            if isinstance(node, ErrorNode):
                return True
            stack.extend(e[0] for e in node.edges if e is not None)
        return False

    def finish(self, tree):
        """Results: those that depend on the outside keep their history, others are detached."""
        leaves, rebuild = _flatten(tree)
        return rebuild([t if not isinstance(t, Tensor) or self.outside(t) else t.detach()
                        for t in leaves])


# --- argnums ----------------------------------------------------------------------------------

def _argnums(argnums, num_args):
    """``argnums`` validated and made non-negative, as torch checks it."""
    def one(a):
        if not isinstance(a, int):
            raise RuntimeError(f'argnum must be int, got: {type(a)}')
        if -num_args <= a < num_args:
            return a % num_args
        raise RuntimeError(f'Got argnum={a}, but only {num_args} positional inputs')
    if isinstance(argnums, int):
        return one(argnums)
    if isinstance(argnums, tuple):
        if len(argnums) == 0:
            raise RuntimeError('argnums must be non-empty')
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f'argnums elements must be unique, got {argnums}')
        return tuple(one(a) for a in argnums)
    raise RuntimeError(f'argnums must be int or Tuple[int, ...], got: {type(argnums)}')


def _prepare(scope, args, argnums):
    """``(args with the differentiated ones replaced, leaves, rebuild per argnum)``."""
    nums = _argnums(argnums, len(args))
    args = list(args)
    leaves, rebuilds = [], []
    for n in (nums,) if isinstance(nums, int) else nums:
        ls, args[n] = scope.differentiable(args[n])
        _, rb = _flatten(args[n])
        leaves.append(ls)
        rebuilds.append(rb)
    return args, leaves, rebuilds


def _grads(outs, leaves, cotangents=None, retain_graph=True, create_graph=False):
    """d outs / d leaves against ``cotangents`` (zeros where nothing depends on a leaf).

    ``create_graph`` is the transform's own choice (a result depends on the outside), not the
    user's: where an op cannot record its double backward, the gradients are computed first
    order and carry a grad_fn that raises that error if they are ever differentiated (torch
    also fails only then), so first-order uses keep working."""
    if cotangents is None:
        cotangents = [None] * len(outs)
    pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if not pairs:
        return [zeros_like(t) for t in leaves]
    args = ([o for o, _ in pairs], leaves, [c for _, c in pairs])
    try:
        gs = _autograd_grad(*args, retain_graph=retain_graph or create_graph,
                            create_graph=create_graph, allow_unused=True)
    except NotImplementedError as exc:       # DoubleBackwardError: an op has no double backward
        if not create_graph:
            raise
        gs = _autograd_grad(*args, retain_graph=retain_graph, allow_unused=True)
        gs = [None if g is None else _unavailable(g, exc) for g in gs]
    return [zeros_like(t) if g is None else g for g, t in zip(gs, leaves)]


def _unavailable(g, exc):
    return _connect(ErrorNode(exc), g.detach(), ())


def _per_argnum(flat, leaves, rebuilds, single):
    out, i = [], 0
    for ls, rb in zip(leaves, rebuilds):
        out.append(rb(flat[i:i + len(ls)]))
        i += len(ls)
    return out[0] if single else tuple(out)


# --- transforms -------------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of scalar-valued ``func`` w.r.t. the
    ``argnums`` arguments (``(gradient, (value, aux))`` with ``has_aux``).

    >>> import numtorch
    >>> numtorch.func.grad_and_value(lambda x: (x ** 2).sum())(numtorch.tensor([1., 2.]))
    (tensor([2., 4.]), tensor(5.))
    """
    def wrapper(*args, **kwargs):
        scope = _Scope()
        with enable_grad():
            args, leaves, rebuilds = _prepare(scope, args, argnums)
            output = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(output, tuple) and len(output) == 2):
                    raise RuntimeError('grad_and_value(f)(*args): output of function f should be '
                                       'a tuple: (output, aux) if has_aux is True')
                output, aux = output
            if not isinstance(output, Tensor):
                raise RuntimeError('grad_and_value(f)(*args): Expected f(*args) to return a '
                                   f'Tensor, got {type(output)}')
            if output.dim() != 0:
                raise RuntimeError('grad_and_value(f)(*args): Expected f(*args) to return a '
                                   f'scalar Tensor, got tensor with {output.dim()} dims. Maybe '
                                   'you wanted to use the vjp or jacrev APIs instead?')
            flat = [t for ls in leaves for t in ls]
            gs = _grads([output], flat, create_graph=scope.outside(output))
        scope.close()
        grads = scope.finish(_per_argnum(gs, leaves, rebuilds, isinstance(argnums, int)))
        value = scope.finish(output)
        return (grads, (value, scope.finish(aux))) if has_aux else (grads, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of scalar-valued ``func`` w.r.t. the ``argnums``
    arguments (a tuple of gradients for a tuple ``argnums``; ``(gradient, aux)`` with
    ``has_aux``). Typical use: a model's loss w.r.t. its parameters via ``functional_call``.
    Transforms nest: ``grad(grad(f))`` is the second derivative.

    >>> import numtorch
    >>> numtorch.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
    ...     numtorch.tensor([1., 2.]), numtorch.tensor([3., 4.]))
    (tensor([3., 4.]), tensor([1., 2.]))
    >>> numtorch.func.grad(numtorch.func.grad(lambda x: x ** 3))(numtorch.tensor(2.))
    tensor(12.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def _outputs(out, has_aux, floating=False, name='vjp(f, *primals)'):
    """``func``'s result split into ``(output, aux, output tensors, rebuild)``, with
    torch.func's checks (jacrev reuses vjp's, so the messages name vjp as torch's do)."""
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError(f'{name}: output of function f should be a tuple: '
                               '(output, aux) if has_aux is True')
        out, aux = out
    outs, rebuild = _flatten(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError(f'{name}: expected f(*primals) to return only '
                               f'tensors, got unsupported type {type(o)}')
        if floating and not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError('vjp(f, ...): All outputs of f must be floating-point or '
                               f'complex Tensors, got Tensor with dtype {o.dtype}')
    return out, aux, outs, rebuild


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``); ``vjp_fn(cotangents,
    retain_graph=True, create_graph=None)`` returns the vector-Jacobian products, a tuple with
    one entry per primal (differentiable when they depend on tensors outside the transform,
    e.g. cotangents that require grad, unless ``create_graph=False``).

    >>> import numtorch
    >>> out, vjp_fn = numtorch.func.vjp(lambda x: x ** 2, numtorch.tensor([1., 2.]))
    >>> vjp_fn(numtorch.tensor([1., 10.]))
    (tensor([ 2., 40.]),)
    """
    scope = _Scope()
    with enable_grad():
        leaves, diff = scope.differentiable(primals)
        _, rebuild = _flatten(diff)
        out = func(*diff)
        out, aux, outs, _ = _outputs(out, has_aux, floating=True)
    scope.close()
    structure = _structure(out)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        """The vector-Jacobian products for ``cotangents`` (shaped as the outputs)."""
        if create_graph is None:
            create_graph = is_grad_enabled()
        if _structure(cotangents) != structure:
            raise RuntimeError('Expected pytree structure of cotangents to be the same as '
                               'pytree structure of outputs to the function.')
        cots, _ = _flatten(cotangents)
        scope.outer = bool(create_graph)     # (results: connected only when asked for)
        graph = any(scope.outside(t) for t in outs + cots)
        with enable_grad():
            total = _grads(outs, leaves, cots, retain_graph=retain_graph, create_graph=graph)
        return scope.finish(rebuild(total))

    result = scope.finish(out)
    return (result, vjp_fn, scope.finish(aux)) if has_aux else (result, vjp_fn)


def _jacobian(func, argnums, has_aux, args, kwargs, name, floating):
    """The Jacobian by rows (one backward pass per output element) shared by jacrev/jacfwd."""
    scope = _Scope()
    with enable_grad():
        args, leaves, rebuilds = _prepare(scope, args, argnums)
        output = func(*args, **kwargs)
        output, aux, outs, rebuild_out = _outputs(output, has_aux, floating, name)
        flat = [t for ls in leaves for t in ls]
        jacs = []
        for o in outs:
            graph = scope.outside(o)
            n = o.numel()
            if n == 0:
                rows = [zeros((0,) + tuple(t.shape), dtype=t.dtype, device=t.device)
                        for t in flat]
            else:
                basis = eye(n, dtype=o.dtype, device=o.device)
                per_row = [_grads([o], flat, [basis[i].reshape(o.shape)], create_graph=graph)
                           for i in range(n)]
                rows = [stack([r[k] for r in per_row]) for k in range(len(flat))]
            if not floating:      # jacfwd: tangents have the output's dtype (a vjp: the input's)
                rows = [r.to(o.dtype) if o.is_floating_point() else r for r in rows]
            jacs.append(_per_argnum([r.reshape(tuple(o.shape) + tuple(t.shape))
                                     for r, t in zip(rows, flat)],
                                    leaves, rebuilds, isinstance(argnums, int)))
    scope.close()
    result = scope.finish(rebuild_out(jacs))
    return (result, scope.finish(aux)) if has_aux else result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of ``func`` w.r.t. the ``argnums`` arguments, shaped
    ``output.shape + input.shape``, computed by rows (one backward per output element).

    >>> import numtorch
    >>> numtorch.func.jacrev(lambda x: x ** 2)(numtorch.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError('jacrev: `chunk_size` should be greater than 0.')

    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, args, kwargs, 'vjp(f, *primals)', True)
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness='error'):
    """A function returning the Jacobian of ``func`` w.r.t. the ``argnums`` arguments, as
    torch.func.jacfwd (same structure, ``argnums``, ``has_aux``). numtorch has no forward-mode
    AD: the numbers are computed in reverse mode, equal to ``jacrev``'s.

    >>> import numtorch
    >>> numtorch.func.jacfwd(lambda x: x.sin())(numtorch.tensor([0., 1.]))
    tensor([[1.0000, 0.0000],
            [0.0000, 0.5403]])
    """
    def wrapper(*args):
        if randomness not in ('error', 'different', 'same'):
            raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                               f"'same'. Got {randomness}")
        for i, t in enumerate(_flatten(list(args))[0]):
            if isinstance(t, Tensor) and t.is_complex():
                raise RuntimeError('jacfwd: Expected all inputs to be real but received complex '
                                   f'tensor at flattened input idx: {i}')
        nums = _argnums(argnums, len(args))
        for n in (nums,) if isinstance(nums, int) else nums:
            for t in _flatten(args[n])[0]:
                if isinstance(t, Tensor) and not (t.is_floating_point() or t.is_complex()):
                    raise ValueError('Expected primal to be floating point or complex, but got: '
                                     f'{t.dtype}')
        return _jacobian(func, argnums, has_aux, args, {}, 'jvp(f, primals, tangents)', False)
    return wrapper


def hessian(func, argnums=0):
    """A function returning the Hessian of scalar ``func`` w.r.t. the ``argnums`` arguments:
    the Jacobian of its Jacobian (torch: ``jacfwd(jacrev(func))``; here ``jacrev(jacrev(func))``,
    the same numbers).

    >>> import numtorch
    >>> numtorch.func.hessian(lambda x: (x ** 3).sum())(numtorch.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacrev(jacrev(func, argnums), argnums)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the named parameters/buffers replaced for this call
    (a dict, or a tuple of dicts that must not share keys).

    >>> import numtorch
    >>> m = numtorch.nn.Linear(2, 1)
    >>> w = {'weight': numtorch.ones(1, 2), 'bias': numtorch.zeros(1)}
    >>> numtorch.func.functional_call(m, w, (numtorch.tensor([[1., 2.]]),))
    tensor([[3.]])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    else:
        merged, repeated = {}, []
        for d in parameter_and_buffer_dicts:
            repeated += [k for k in d if k in merged and k not in repeated]
            merged.update(d)
        if repeated:
            raise ValueError(f'{repeated} appeared in multiple dictionaries; behavior of '
                             'functional call is ambiguous')
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)
