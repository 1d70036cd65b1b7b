"""``numtorch.func``: ``functional_call`` (run a module with other parameters/buffers).

torch.func's transforms (``grad``, ``vmap``, ``jacrev``...) are not provided: numtorch has no
function transforms; use ``numtorch.autograd.grad`` / ``numtorch.autograd.functional``.
"""
from .nn.utils.stateless import _functional_call

__all__ = ['functional_call']


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
