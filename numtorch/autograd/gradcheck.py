"""Finite-difference gradient checks (``numtorch.autograd.gradcheck``).

Compares the analytic vector-Jacobian product from backward against central differences of
``<v, f(x)>`` for a random ``v``, one input element at a time. Use float64 inputs.
"""
from .._backend import namespace, to_host, to_device, device_of, xp as host
from .grad_mode import no_grad
from .._tensor import Tensor
from . import grad as autograd_grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0,
              _record=False, **_):
    """Check ``func``'s gradients w.r.t. every input that requires grad.

    >>> import numtorch
    >>> x = numtorch.rand(3, dtype=numtorch.float64, requires_grad=True)
    >>> numtorch.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]
    if not diff:
        raise ValueError('gradcheck expects at least one input tensor to require gradient')
    rng = host.random.default_rng(seed)   # the probe vectors are drawn on the host
    first = _outputs(func, inputs)
    # Positions of the differentiable outputs (a result like max(dim) also holds indices).
    keep = [i for i, o in enumerate(first) if isinstance(o, Tensor) and o._requires_grad]
    outs = [first[i] for i in keep]
    if not outs:
        raise GradcheckError('gradcheck: no output requires grad')
    vs = [to_device(rng.standard_normal(o._data.shape).astype(o._data.dtype), device_of(o._data))
          for o in outs]
    analytic = autograd_grad(outs, diff, grad_outputs=[Tensor._wrap(v) for v in vs],
                             allow_unused=True)

    def inner():
        if _record:        # func takes gradients itself (gradgradcheck): grad mode stays on
            res = _outputs(func, inputs)
        else:
            with no_grad():
                res = _outputs(func, inputs)
        res = [res[i] for i in keep]
        return sum(float((o._data * v).sum()) for o, v in zip(res, vs))

    for t, a in zip(diff, analytic):
        a = namespace(t._data).zeros_like(t._data) if a is None else a._data
        a = to_host(a)   # compared on the host with the numerical Jacobian (host floats)
        num = host.zeros(t._data.shape, dtype=host.float64)
        flat = t._data.reshape(-1) if t._data.flags.c_contiguous else None
        if flat is None:
            raise ValueError('gradcheck needs contiguous inputs')
        for i, hi, lo in _central_differences(flat, eps, inner):
            num.reshape(-1)[i] = (hi - lo) / (2 * eps)
        if not host.allclose(a, num, atol=atol, rtol=rtol, equal_nan=True):
            if raise_exception:
                worst = host.abs(a - num).max()
                raise GradcheckError(f'Jacobian mismatch for an input of shape {tuple(t.shape)}: '
                                     f'max |analytic - numerical| = {worst:.3g}\n'
                                     f'analytic:  {a.ravel()[:8]}\nnumerical: {num.ravel()[:8]}')
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: ``gradcheck`` of the map (inputs, v) -> v^T J(inputs), whose
    gradient is what ``create_graph=True`` records. ``grad_outputs`` (v) are drawn at random
    (requiring grad) when not given, and the check covers those that require grad too (the
    backward must be linear in v). numtorch has no forward-mode AD and no batched gradients:
    ``check_fwd_over_rev`` / ``check_batched_grad`` raise NotImplementedError;
    ``gen_non_contig_grad_outputs``, ``nondet_tol``, ``check_undefined_grad``, ``fast_mode``
    and ``masked`` do not change what is checked here.

    >>> import numtorch
    >>> x = numtorch.rand(3, dtype=numtorch.float64, requires_grad=True)
    >>> numtorch.autograd.gradgradcheck(lambda t: (t * t).sin(), (x,))
    True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError('Expected at least one of check_fwd_over_rev or check_rev_over_rev '
                             'to be True')
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError('Setting check_undefined_grad=True requires check_rev_over_rev to '
                             'be True')
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError('Setting check_batched_grad=True requires check_rev_over_rev to be '
                             'True')
    if check_fwd_over_rev:
        raise NotImplementedError('gradgradcheck(check_fwd_over_rev=True): numtorch has no '
                                  'forward-mode AD')
    if check_batched_grad:
        raise NotImplementedError('gradgradcheck(check_batched_grad=True): numtorch has no '
                                  'batched gradients (vmap)')
    seed = 0
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]
    if grad_outputs is None:
        outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o._requires_grad]
        rng = host.random.default_rng(seed)
        vs = [Tensor._wrap(to_device(rng.standard_normal(o._data.shape).astype(
            o._data.dtype), device_of(o._data))).requires_grad_(True) for o in outs]
    else:   # as given: those that require grad are checked too
        vs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    n = len(inputs)

    def first_order(*args):
        ins, v = args[:n], args[n:]
        outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o._requires_grad]
        grads = autograd_grad(outs, [t for t in ins if isinstance(t, Tensor) and t._requires_grad],
                              grad_outputs=list(v), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not diff:
        raise ValueError('gradgradcheck expects at least one input tensor to require gradient')
    if not any(g._requires_grad for g in first_order(*inputs, *vs)):
        # the first derivative has no history (floor, trunc; a once_differentiable backward):
        # its analytic derivative is zero, which the numerical one must confirm
        return _constant_check(first_order, inputs + tuple(vs), eps, atol, raise_exception)
    return gradcheck(first_order, inputs + tuple(vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed + 1, _record=True)


def _constant_check(func, inputs, eps, atol, raise_exception):
    """``func``'s outputs must not move when any input that requires grad does (central
    differences, one element at a time)."""
    def values():
        return [to_host(o._data).astype(host.float64) for o in _outputs(func, inputs)
                if isinstance(o, Tensor)]
    for t in inputs:
        if not (isinstance(t, Tensor) and t._requires_grad):
            continue
        for _, hi, lo in _central_differences(t._data.reshape(-1), eps, values):
            worst = max((float(host.abs((h - lo_) / (2 * eps)).max(initial=0))
                         for h, lo_ in zip(hi, lo)), default=0.0)
            if worst > atol:
                if raise_exception:
                    raise GradcheckError(
                        f'Jacobian mismatch for an input of shape {tuple(t.shape)}: the analytic '
                        'second derivative is zero (the first derivative has no history: a '
                        'backward that is not differentiable?) but the numerical one is '
                        f'{worst:.3g}')
                return False
    return True


def _central_differences(flat, eps, f):
    """``(i, f() at flat[i] + eps, f() at flat[i] - eps)`` for each element of the writeable
    flat view ``flat`` of an input, which is restored after each pair."""
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        hi = f()
        flat[i] = orig - eps
        lo = f()
        flat[i] = orig
        yield i, hi, lo
