"""``numtorch.func``: torch.func's first-order function transforms and ``functional_call``.

``grad``, ``grad_and_value``, ``vjp`` and ``jacrev`` run over numtorch's reverse-mode engine:
the differentiated inputs are detached copies that require grad (inputs need not require grad),
and the results are detached from the internal graph. ``jacrev`` builds the Jacobian by rows,
one backward pass per output element (torch vectorizes this with vmap; numtorch has no vmap).
Inputs may be tensors or tuples/lists/dicts of tensors (e.g. a module's parameters), as torch's
pytrees.

Not provided: nesting transforms (``grad(grad(f))``, ``jacrev(jacrev(f))``), ``hessian`` and
``jacfwd`` need gradients of gradients (``autograd.grad(create_graph=True)``) or forward-mode AD,
which numtorch's engine does not have yet (issue 11): they raise NotImplementedError, never a
wrong answer. ``vmap`` is not provided.
"""
import threading

from .nn.utils.stateless import _functional_call
from ._tensor import Tensor
from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from ._creation import zeros, zeros_like, eye
from ._ops.shape.join import stack

__all__ = ['functional_call', 'grad', 'grad_and_value', 'vjp', 'jacrev', 'hessian', 'jacfwd']

_NO_HIGHER = ('numtorch.func.{} is not available: it needs gradients of gradients '
              '(autograd.grad(create_graph=True), double backward) or forward-mode AD, which '
              "numtorch's engine does not support yet (issue 11)")
_NESTED = ('numtorch.func.{} was called inside another numtorch.func transform: nested '
           'transforms need gradients of gradients (autograd.grad(create_graph=True), double '
           "backward), which numtorch's engine does not support yet (issue 11)")

_state = threading.local()     # how many transforms are running their function (per thread)


class _Running:
    """Marks "a transform is running its function" so a nested transform refuses to run."""

    def __enter__(self):
        _state.depth = getattr(_state, 'depth', 0) + 1

    def __exit__(self, *exc):
        _state.depth -= 1


def _refuse_nesting(name):
    if getattr(_state, 'depth', 0):
        raise NotImplementedError(_NESTED.format(name))


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


def _detach_tree(tree):
    leaves, rebuild = _flatten(tree)
    return rebuild([t.detach() if isinstance(t, Tensor) else t for t in leaves])


def _differentiable(tree):
    """Detached copies of the tensors of ``tree`` that require grad (the transform's inputs)."""
    leaves, rebuild = _flatten(tree)
    for t in leaves:
        if not isinstance(t, Tensor):
            raise ValueError(f'Thing passed to transform API must be Tensor, got {type(t)}')
    leaves = [t.detach().requires_grad_() for t in leaves]
    return leaves, rebuild(leaves)


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


def _prepare(args, argnums):
    """``(args with the differentiated ones replaced, leaves, rebuild per argnum)``."""
    nums = _argnums(argnums, len(args))
    args = list(args)
    leaves, rebuilds = [], []
    for n in (nums,) if isinstance(nums, int) else nums:
        ls, args[n] = _differentiable(args[n])
        _, rb = _flatten(args[n])
        leaves.append(ls)
        rebuilds.append(rb)
    return args, leaves, rebuilds


def _grads(out, leaves, cotangent=None):
    """d out / d leaves (zeros where ``out`` does not depend on a leaf), graph kept."""
    if not out.requires_grad:
        return [zeros_like(t) for t in leaves]
    gs = _autograd_grad([out], leaves, None if cotangent is None else [cotangent],
                        retain_graph=True, allow_unused=True)
    return [zeros_like(t) if g is None else g for g, t in zip(gs, leaves)]


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
        _refuse_nesting('grad_and_value' if wrapper._name is None else wrapper._name)
        with enable_grad():
            args, leaves, rebuilds = _prepare(args, argnums)
            with _Running():
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
            gs = _grads(output, flat)
        grads = _per_argnum(gs, leaves, rebuilds, isinstance(argnums, int))
        value = output.detach()
        return (grads, (value, _detach_tree(aux))) if has_aux else (grads, value)
    wrapper._name = None
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of scalar-valued ``func`` w.r.t. the ``argnums``
    arguments (a tuple of gradients for a tuple ``argnums``; ``(gradient, aux)`` with
    ``has_aux``). Typical use: a model's loss w.r.t. its parameters via ``functional_call``.

    >>> import numtorch
    >>> numtorch.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
    ...     numtorch.tensor([1., 2.]), numtorch.tensor([3., 4.]))
    (tensor([3., 4.]), tensor([1., 2.]))
    """
    inner = grad_and_value(func, argnums, has_aux)
    inner._name = 'grad'

    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def _outputs(out, has_aux, floating=False):
    """``func``'s result split into ``(output, aux, output tensors, rebuild)``, with
    torch.func's checks (jacrev reuses vjp's, so the messages name vjp as torch's do)."""
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError('vjp(f, *primals): output of function f should be a tuple: '
                               '(output, aux) if has_aux is True')
        out, aux = out
    outs, rebuild = _flatten(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError('vjp(f, *primals): expected f(*primals) to return only '
                               f'tensors, got unsupported type {type(o)}')
        if floating and not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError('vjp(f, ...): All outputs of f must be floating-point or '
                               f'complex Tensors, got Tensor with dtype {o.dtype}')
    return out, aux, outs, rebuild


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``); ``vjp_fn(cotangents)``
    returns the vector-Jacobian products, a tuple with one entry per primal.

    >>> import numtorch
    >>> out, vjp_fn = numtorch.func.vjp(lambda x: x ** 2, numtorch.tensor([1., 2.]))
    >>> vjp_fn(numtorch.tensor([1., 10.]))
    (tensor([ 2., 40.]),)
    """
    _refuse_nesting('vjp')
    with enable_grad():
        leaves, diff = _differentiable(primals)
        _, rebuild = _flatten(diff)
        with _Running():
            out = func(*diff)
        out, aux, outs, _ = _outputs(out, has_aux, floating=True)
    structure = _structure(out)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        """The vector-Jacobian products for ``cotangents`` (shaped as the outputs)."""
        _refuse_nesting('vjp (its vjp_fn)')
        if create_graph:
            raise NotImplementedError(_NO_HIGHER.format('vjp(...)[1](create_graph=True)'))
        if _structure(cotangents) != structure:
            raise RuntimeError('Expected pytree structure of cotangents to be the same as '
                               'pytree structure of outputs to the function.')
        cots, _ = _flatten(cotangents)
        total = None
        with enable_grad():
            for o, c in zip(outs, cots):
                gs = _grads(o, leaves, c)
                total = gs if total is None else [a + b for a, b in zip(total, gs)]
        return rebuild([g.detach() for g in total])

    result = _detach_tree(out)
    return (result, vjp_fn, _detach_tree(aux)) if has_aux else (result, vjp_fn)


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
        _refuse_nesting('jacrev')
        with enable_grad():
            args, leaves, rebuilds = _prepare(args, argnums)
            with _Running():
                output = func(*args, **kwargs)
            output, aux, outs, rebuild_out = _outputs(output, has_aux)
            flat = [t for ls in leaves for t in ls]
            jacs = []
            for o in outs:
                n = o.numel()
                if n == 0:
                    rows = [zeros((0,) + tuple(t.shape), dtype=t.dtype) for t in flat]
                else:
                    basis = eye(n, dtype=o.dtype)
                    per_row = [_grads(o, flat, basis[i].reshape(o.shape)) for i in range(n)]
                    rows = [stack([r[k] for r in per_row]) for k in range(len(flat))]
                jacs.append(_per_argnum([r.reshape(tuple(o.shape) + tuple(t.shape)).detach()
                                         for r, t in zip(rows, flat)],
                                        leaves, rebuilds, isinstance(argnums, int)))
        result = rebuild_out(jacs)
        return (result, _detach_tree(aux)) if has_aux else result
    return wrapper


def hessian(func, argnums=0):
    """Not available yet: the Hessian needs gradients of gradients (issue 11).

    >>> import numtorch
    >>> numtorch.func.hessian(lambda x: (x ** 3).sum())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    NotImplementedError: numtorch.func.hessian is not available: ...
    """
    raise NotImplementedError(_NO_HIGHER.format('hessian'))


def jacfwd(func, argnums=0, has_aux=False, *, randomness='error'):
    """Not available yet: forward-mode AD is not implemented (issue 11).

    >>> import numtorch
    >>> numtorch.func.jacfwd(lambda x: x ** 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    NotImplementedError: numtorch.func.jacfwd is not available: ...
    """
    raise NotImplementedError(_NO_HIGHER.format('jacfwd'))


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
