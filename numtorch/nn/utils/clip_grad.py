"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, and the two halves of the norm
clip, ``get_total_norm`` and ``clip_grads_with_norm_`` (torch's formulas: the norm of the
per-tensor norms; scale by ``min(1, max_norm / (total + 1e-6))``).

``foreach`` is accepted for torch's signature; numtorch has one code path, so it changes
nothing (torch's CPU foreach kernels give the same numbers).
"""
import types
import warnings

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..._backend import quiet_on, quiet_off

__all__ = ['clip_grad_norm', 'clip_grad_norm_', 'clip_grad_value_', 'get_total_norm',
           'clip_grads_with_norm_']


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` taken together (as if concatenated).

    >>> import numtorch
    >>> numtorch.nn.utils.get_total_norm([numtorch.tensor([3.]), numtorch.tensor([4.])])
    tensor(5.)
    """
    from ... import tensor, stack, linalg
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return tensor(0.0)
    with no_grad():
        norms = [linalg.vector_norm(t, norm_type) for t in tensors]
        total_norm = linalg.vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(f'The total norm of order {norm_type} for gradients from '
                           '`parameters` is non-finite, so it cannot be clipped. To disable '
                           'this error and scale the gradients by the non-finite norm anyway, '
                           'set `error_if_nonfinite=False`')
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm +
    1e-6))``.

    >>> import numtorch
    >>> w = numtorch.zeros(2, requires_grad=True); w.grad = numtorch.tensor([3., 4.])
    >>> numtorch.nn.utils.clip_grads_with_norm_([w], 1.0, numtorch.tensor(5.)); w.grad
    tensor([0.6000, 0.8000])
    """
    from ... import clamp
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    token = quiet_on()   # a non-finite norm makes the gradients nan (inf * 0), silently as torch
    try:
        with no_grad():
            coef = clamp(max_norm / (total_norm + 1e-6), max=1.0)
            for g in grads:
                g.mul_(coef)
    finally:
        quiet_off(token)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``;
    returns the norm before clipping.

    >>> import numtorch
    >>> w = numtorch.zeros(2, requires_grad=True); w.grad = numtorch.tensor([3., 4.])
    >>> numtorch.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn('`parameters` is an empty generator, no gradient clipping will occur.',
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (warns, as torch does)."""
    warnings.warn('`torch.nn.utils.clip_grad_norm` is now deprecated in favor of '
                  '`torch.nn.utils.clip_grad_norm_`.', FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place.

    >>> import numtorch
    >>> w = numtorch.zeros(3, requires_grad=True); w.grad = numtorch.tensor([-3., 0.5, 2.])
    >>> numtorch.nn.utils.clip_grad_value_([w], 1.0); w.grad
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
