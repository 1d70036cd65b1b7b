"""``numtorch.autograd.functional``: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``, ``vhp``
with torch's signatures, results and errors, over numtorch's reverse-mode engine.

The Jacobian is built by rows (one backward pass per output element, torch's non-vectorized
path). ``jvp`` and ``hvp`` use the double-backward trick, as torch does: the vector-Jacobian
product ``u -> u^T J`` is linear in ``u``, so differentiating it with respect to ``u`` against
``v`` gives ``J v``. ``create_graph=True`` keeps every result differentiable (it needs the
double backward of the ops ``func`` uses). ``vectorize=True`` gives the same numbers as the
default (torch batches the backward passes with vmap; numtorch loops over them), and the
forward-mode strategies compute the same Jacobian in reverse mode (numtorch has no forward AD).
"""
from .._tensor import Tensor
from .grad_mode import enable_grad, set_grad_enabled, is_grad_enabled
from . import grad as _grad
from .._creation import zeros, zeros_like
from .._ops.shape.join import stack

__all__ = ['vjp', 'jvp', 'jacobian', 'hessian', 'hvp', 'vhp']


# --- the plumbing every function shares --------------------------------------------------------

def _as_tuple(x, arg_name, fn_name):
    """``(was it a tuple, the tensors as a tuple)``; torch's TypeError for anything else."""
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, el in enumerate(xs):
        if not isinstance(el, Tensor):
            where = f'the value at index {i}' if is_tuple else f'the given {arg_name}'
            raise TypeError(f'The {arg_name} given to {fn_name} must be either a Tensor or a '
                            f'tuple of Tensors but {where} has type {type(el)}.')
    return is_tuple, xs


def _unpack(res, is_tuple):
    """Undo the tupling: ``is_tuple`` is one flag, or ``(outer, inner)`` for nested results."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if is_tuple else res[0]


def _prepare(tensors, create_graph, need_graph):
    """The tensors ``func`` is called with: under ``create_graph`` a tensor that requires grad
    stays connected to the caller's graph (a view of it), so the result can be differentiated
    with respect to it; otherwise a detached copy."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in tensors)


def _finish(tensors, create_graph):
    """Results are detached unless ``create_graph`` (tuples of tuples for Jacobians)."""
    if isinstance(tensors[0], Tensor):
        return tensors if create_graph else tuple(t.detach() for t in tensors)
    return tuple(_finish(t, create_graph) for t in tensors)


def _check_v(v, others, others_tuple):
    if len(v) != len(others):
        if others_tuple:
            raise RuntimeError(f'v is a tuple of invalid length: should be {len(others)} but got '
                               f'{len(v)}.')
        raise RuntimeError('The given v should contain a single Tensor.')
    for i, (a, b) in enumerate(zip(v, others)):
        if a.size() != b.size():
            where = f'Entry {i} in ' if others_tuple else ''
            raise RuntimeError(f'{where}v has invalid size: should be {b.size()} but got '
                               f'{a.size()}.')


_STRICT = {
    'outputs': ('Output {} of the user-provided function does not require gradients. The '
                'outputs must be computed in a differentiable manner from the input when running '
                'in strict mode.'),
    'grad_inputs': ('The gradient with respect to input {} is independent of the inputs of the '
                    'user-provided function. This is not allowed in strict mode.'),
    'jacobian': ('While computing the hessian, found that the jacobian of the user-provided '
                 'function with respect to input {} is independent of the input. This is not '
                 'allowed in strict mode. You should ensure that your function is twice '
                 'differentiable and that the jacobian depends on the inputs (this would be '
                 'violated by a linear function for example).'),
    'hessian': ('The hessian of the user-provided function with respect to input {} is '
                'independent of the input. This is not allowed in strict mode. You should ensure '
                'that your function is thrice differentiable and that the hessian depends on the '
                'inputs.'),
}


def _strict_requires_grad(tensors, kind, strict):
    """strict mode: every tensor must be there and carry history (torch's messages)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f'The output of the user-provided function is independent of '
                               f'input {i}. This is not allowed in strict mode.')
        if not t.requires_grad:
            raise RuntimeError(_STRICT[kind].format(i))


def _vjp_grads(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad (None for an unused input; all
    None when no output requires grad)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return _grad(outs, inputs, list(gos), retain_graph=retain_graph, create_graph=create_graph,
                 allow_unused=True)


_MISSING = {
    'back': ('The output of the user-provided function is independent of input {}. This is not '
             'allowed in strict mode.'),
    'back_trick': ('The gradient with respect to the input is independent of entry {} in the '
                   'grad_outputs when using the double backward trick to compute forward mode '
                   'gradients. This is not allowed in strict mode.'),
    'double_back': ('The jacobian of the user-provided function is independent of input {}. '
                    'This is not allowed in strict mode.'),
    'double_back_trick': ('The hessian of the user-provided function is independent of entry {} '
                          'in the grad_jacobian. This is not allowed in strict mode as it '
                          'prevents from using the double backward trick to replace forward '
                          'mode AD.'),
}


def _zeros_for_missing(grads, refs, strict, create_graph, stage):
    """Zeros where a gradient is None (the mathematical value), or torch's strict errors."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = 'hessian' if 'double' in stage else 'jacobian'
            raise RuntimeError(f'The {what} of the user-provided function is independent of '
                               f'input {i}. This is not allowed in strict mode when '
                               'create_graph=True.')
        res.append(g)
    return tuple(res)


def _vector(v, others, others_tuple, create_graph, fn_name, v_none_msg):
    if v is None:
        if len(others) != 1 or others[0].nelement() != 1:
            raise RuntimeError(v_none_msg)
        return None
    v = _prepare(_as_tuple(v, 'v', fn_name)[1], create_graph, need_graph=False)
    _check_v(v, others, others_tuple)
    return v


_V_INPUT = ('The vector v can only be None if the input to the user-provided function is a '
            'single Tensor with a single element.')


# --- the functions -----------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the outputs and the vector-Jacobian product (detached unless
    ``create_graph``).

    >>> import numtorch
    >>> from numtorch.autograd.functional import vjp
    >>> vjp(lambda x: (x ** 2).sum(), numtorch.tensor([1., 2.]))
    (tensor(5.), tensor([2., 4.]))
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, 'inputs', 'vjp')
        inputs = _prepare(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _as_tuple(func(*inputs), 'outputs of the user-provided function',
                                       'vjp')
        _strict_requires_grad(outputs, 'outputs', strict)
        v = _vector(v, outputs, out_tuple, create_graph, 'vjp',
                    'The vector v can only be None if the user-provided function returns a '
                    'single Tensor with a single element.')
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _vjp_grads(outputs, inputs, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, 'back')
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the outputs and the Jacobian-vector product, by the double
    backward trick (the derivative of ``u -> u^T J`` with respect to ``u``, against ``v``).

    >>> import numtorch
    >>> from numtorch.autograd.functional import jvp
    >>> jvp(lambda x: x ** 2, numtorch.tensor([1., 2.]), numtorch.tensor([1., 10.]))
    (tensor([1., 4.]), tensor([ 2., 40.]))
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, 'inputs', 'jvp')
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _vector(v, inputs, in_tuple, create_graph, 'jvp', _V_INPUT)
        out_tuple, outputs = _as_tuple(func(*inputs), 'outputs of the user-provided function',
                                       'jvp')
        _strict_requires_grad(outputs, 'outputs', strict)
        # u: the cotangents the double backward differentiates with respect to (any value
        # works, the vjp is linear in u; zeros as torch)
        us = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _vjp_grads(outputs, inputs, us, create_graph=True)
        _strict_requires_grad(grad_inputs, 'grad_inputs', strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _vjp_grads(grad_inputs, us, v, create_graph=create_graph)
        res = _zeros_for_missing(res, outputs, strict, create_graph, 'back_trick')
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), out_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy='reverse-mode'):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` (nested in
    tuples as the outputs/inputs are: ``J[i][j]`` is output i by input j).

    >>> import numtorch
    >>> from numtorch.autograd.functional import jacobian
    >>> jacobian(lambda x: x * 3, numtorch.tensor([1., 2.]))
    tensor([[3., 0.],
            [0., 3.]])
    """
    if strategy not in ('forward-mode', 'reverse-mode'):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             'Hint: If your function has more outputs than inputs, '
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == 'forward-mode':
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` '
                                      'and `strategy="forward-mode"` are not supported together '
                                      '(yet). Please either set `create_graph=False` or '
                                      '`strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and '
                               '`strategy="forward-mode"` are not supported together (yet). '
                               'Please either set `strict=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError('Computing Jacobian using forward-AD or forward-over-'
                                      'reverse Hessian isonly implemented for `vectorize=True`.')
        # numtorch has no forward-mode AD: the same Jacobian, computed in reverse mode
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, 'inputs', 'jacobian')
        inputs = _prepare(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _as_tuple(func(*inputs), 'outputs of the user-provided function',
                                       'jacobian')
        _strict_requires_grad(outputs, 'outputs', strict)
        if vectorize and strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and '
                               '`vectorized=True` are not supported together. Please either set '
                               '`strict=False` or `vectorize=False`.')
        jac = tuple(_jacobian_of(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
        return _unpack(_finish(jac, create_graph), (out_tuple, in_tuple))


def _jacobian_of(i, out, inputs, create_graph, strict):
    """Output ``i``'s Jacobian with respect to each input, row by row."""
    n = out.nelement()
    rows = tuple([] for _ in inputs)
    basis = zeros(n, dtype=out.dtype, device=out.device)
    for k in range(n):
        onehot = basis.clone()
        onehot[k] = 1
        vj = _vjp_grads((out,), inputs, (onehot.reshape(out.shape),), retain_graph=True,
                        create_graph=create_graph)
        for j, (g, x) in enumerate(zip(vj, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f'Output {i} of the user-provided function is independent '
                                       f'of input {j}. This is not allowed in strict mode.')
                g = zeros_like(x)
            elif strict and create_graph and not g.requires_grad:
                # (torch's message names the output's index here)
                raise RuntimeError(f'The jacobian of the user-provided function is independent '
                                   f'of input {i}. This is not allowed in strict mode when '
                                   'create_graph=True.')
            rows[j].append(g)
    return tuple(stack(r, dim=0).view(tuple(out.shape) + tuple(x.shape))
                 for r, x in zip(rows, inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy='reverse-mode'):
    """The Hessian of scalar ``func`` at ``inputs``: the Jacobian of its gradient (a tuple of
    tuples ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape`` for tuple inputs).

    >>> import numtorch
    >>> from numtorch.autograd.functional import hessian
    >>> hessian(lambda x: (x ** 3).sum(), numtorch.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    in_tuple, inputs = _as_tuple(inputs, 'inputs', 'hessian')
    if outer_jacobian_strategy not in ('forward-mode', 'reverse-mode'):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*xs):
        out = func(*xs)
        out_tuple, outs = _as_tuple(out, 'outputs of the user-provided function', 'hessian')
        _strict_requires_grad(outs, 'outputs', strict)
        if out_tuple or not isinstance(out, Tensor):
            raise RuntimeError('The function given to hessian should return a single Tensor')
        if out.nelement() != 1:
            raise RuntimeError('The Tensor returned by the function given to hessian should '
                               'contain a single element')
        return out.squeeze()

    def gradient(*xs):
        if outer_jacobian_strategy == 'forward-mode':
            xs = tuple(x.requires_grad_(True) for x in xs)
        jac = jacobian(scalar_func, xs, create_graph=True)
        _strict_requires_grad(jac, 'jacobian', strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(res, (in_tuple, in_tuple))


def _scalar_output(func, inputs, strict, fn_name):
    out_tuple, outputs = _as_tuple(func(*inputs), 'outputs of the user-provided function',
                                   fn_name)
    _strict_requires_grad(outputs, 'outputs', strict)
    if out_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f'The function given to {fn_name} should return a single Tensor')
    if outputs[0].nelement() != 1:
        raise RuntimeError(f'The Tensor returned by the function given to {fn_name} should '
                           'contain a single element')
    return out_tuple, outputs


def _gradient_of_scalar(func, inputs, v, create_graph, strict, fn_name):
    """vhp's and hvp's first half (under enable_grad): the checked inputs and vector, the
    scalar output and its gradient w.r.t. the inputs, with the graph kept for the second."""
    in_tuple, inputs = _as_tuple(inputs, 'inputs', fn_name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    v = _vector(v, inputs, in_tuple, create_graph, fn_name, _V_INPUT)
    out_tuple, outputs = _scalar_output(func, inputs, strict, fn_name)
    jac = _vjp_grads(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, 'jacobian', strict)
    return in_tuple, inputs, v, out_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)``: the value of scalar ``func`` and the vector-Hessian product.

    >>> import numtorch
    >>> from numtorch.autograd.functional import vhp
    >>> vhp(lambda x: (x ** 3).sum(), numtorch.tensor([1., 2.]), numtorch.tensor([1., 1.]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, 'vhp')
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _vjp_grads(jac, inputs, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, 'double_back')
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), in_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)``: the value of scalar ``func`` and the Hessian-vector product, by
    the double backward trick as torch (equal to ``vhp`` where the Hessian is symmetric).

    >>> import numtorch
    >>> from numtorch.autograd.functional import hvp
    >>> hvp(lambda x: (x ** 3).sum(), numtorch.tensor([1., 2.]), numtorch.tensor([1., 1.]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, 'hvp')
        us = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _vjp_grads(jac, inputs, us, create_graph=True)
        _strict_requires_grad(jac, 'hessian', strict)     # (torch checks jac here, as written)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _vjp_grads(double_back, us, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, 'double_back_trick')
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), in_tuple))
