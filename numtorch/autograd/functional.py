"""``numtorch.autograd.functional``: ``vjp`` and ``jacobian`` (reverse mode, one backward pass
per output element, as torch's non-vectorized path). ``hessian``, ``jvp``, ``hvp``, ``vhp`` and
``create_graph=True`` need gradients of gradients, which numtorch's engine does not record: they
raise NotImplementedError saying so."""
from .grad_mode import enable_grad
from . import grad
from .._creation import zeros, zeros_like, ones_like
from .._ops.shape.join import stack

__all__ = ['vjp', 'jacobian', 'jvp', 'hessian', 'hvp', 'vhp']

_NO_DOUBLE = ('numtorch cannot differentiate through a backward pass (no higher-order '
              'gradients), so autograd.functional.{} is not available')


def _tuple(x):
    if isinstance(x, (tuple, list)):
        return tuple(x), False
    return (x,), True


def _run(func, inputs):
    ins_t, single_in = _tuple(inputs)
    ins = tuple(i.detach().requires_grad_(i.is_floating_point() or i.is_complex()) for i in ins_t)
    outs = func(*ins)
    outs_t, single_out = _tuple(outs)
    return ins, single_in, outs_t, single_out


def _grads(out, ins, v):
    if not out.requires_grad:        # the output does not depend on any input
        return tuple(zeros_like(i) for i in ins)
    gs = grad([out], list(ins), [v], retain_graph=True, allow_unused=True)
    return tuple(zeros_like(i) if g is None else g for g, i in zip(gs, ins))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the outputs (detached) and the vector-Jacobian product.

    >>> import numtorch
    >>> from numtorch.autograd.functional import vjp
    >>> vjp(lambda x: (x ** 2).sum(), numtorch.tensor([1., 2.]))
    (tensor(5.), tensor([2., 4.]))
    """
    if create_graph:
        raise NotImplementedError(_NO_DOUBLE.format('vjp(create_graph=True)'))
    with enable_grad():
        ins, single_in, outs_t, single_out = _run(func, inputs)
        if v is None:
            if len(outs_t) != 1 or outs_t[0].numel() != 1:
                raise RuntimeError('The vector v can only be None if the user-provided function '
                                   'returns a single Tensor with a single element.')
            vs = (ones_like(outs_t[0]),)
        else:
            vs = _tuple(v)[0]
        total = None
        for o, vv in zip(outs_t, vs):
            gs = _grads(o, ins, vv)
            total = gs if total is None else tuple(a + b for a, b in zip(total, gs))
    outs = tuple(o.detach() for o in outs_t)
    return (outs[0] if single_out else outs), (total[0] if single_in else total)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy='reverse-mode'):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` (nested in
    tuples as the outputs/inputs are).

    >>> import numtorch
    >>> from numtorch.autograd.functional import jacobian
    >>> jacobian(lambda x: x * 3, numtorch.tensor([1., 2.]))
    tensor([[3., 0.],
            [0., 3.]])
    """
    if create_graph:
        raise NotImplementedError(_NO_DOUBLE.format('jacobian(create_graph=True)'))
    if strategy not in ('reverse-mode', 'forward-mode'):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends to '
                         'be more performant. Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        ins, single_in, outs_t, single_out = _run(func, inputs)
        jac = []
        for o in outs_t:
            n = o.numel()
            rows = []
            for k in range(n):
                onehot = zeros(n, dtype=o.dtype, device=o.device)
                onehot[k] = 1
                rows.append(_grads(o, ins, onehot.reshape(o.shape)))
            per_in = []
            for j, i in enumerate(ins):
                if n:
                    per_in.append(stack([r[j] for r in rows]).reshape(tuple(o.shape) +
                                                                      tuple(i.shape)))
                else:
                    per_in.append(zeros(tuple(o.shape) + tuple(i.shape), dtype=i.dtype,
                                        device=i.device))
            jac.append(per_in[0] if single_in else tuple(per_in))
    return jac[0] if single_out else tuple(jac)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Not available in numtorch (needs a double backward)."""
    raise NotImplementedError(_NO_DOUBLE.format('jvp'))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy='reverse-mode'):
    """Not available in numtorch (needs gradients of gradients)."""
    raise NotImplementedError(_NO_DOUBLE.format('hessian'))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Not available in numtorch (needs gradients of gradients)."""
    raise NotImplementedError(_NO_DOUBLE.format('hvp'))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Not available in numtorch (needs gradients of gradients)."""
    raise NotImplementedError(_NO_DOUBLE.format('vhp'))
