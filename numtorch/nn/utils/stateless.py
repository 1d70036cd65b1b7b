"""``stateless.functional_call``: run a module with some parameters and buffers replaced by the
given tensors (torch's older name of ``torch.func.functional_call``), restoring them after.

Gradients flow to the given tensors, which is what makes it useful (meta-learning, per-sample
gradients, ensembles).
"""
import contextlib
import warnings

from ..._tensor import Tensor

__all__ = ['functional_call']

_MISSING = object()


def _untie(module, parameters_and_buffers):
    """Give every name of a tied tensor the value given for any one of its names (torch's
    ``tie_weights=True``); two different values for one tied tensor is an error."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    groups = {}
    for name, t in named.items():
        groups.setdefault(id(t), set()).add(name)
    tied = {n: names for names in groups.values() if len(names) > 1 for n in names}
    given = [n for n in parameters_and_buffers if n in tied]
    for n in given:
        names = tied[n]
        values = {id(parameters_and_buffers[m]) for m in names if m in parameters_and_buffers}
        if len([m for m in names if m in parameters_and_buffers]) > 1 and len(values) != 1:
            raise ValueError(f'functional_call got multiple values for keys {sorted(names)}, '
                             'which are tied. Consider using tie_weights=False')
    out = dict(parameters_and_buffers)
    for n in given:
        for m in tied[n]:
            out[m] = parameters_and_buffers[n]
    return out


def _swap(module, path, tensor):
    """Put ``tensor`` at dotted ``path``; return what was there (``_MISSING`` if nothing)."""
    *prefix, name = path.split('.')
    owner = module.get_submodule('.'.join(prefix)) if prefix else module
    for reg in (owner._parameters, owner._buffers):
        if name in reg:
            orig = reg[name]
            if tensor is _MISSING:
                del reg[name]
            else:
                reg[name] = tensor
            return orig
    orig = getattr(owner, name, _MISSING)
    if tensor is _MISSING:
        if orig is not _MISSING:
            delattr(owner, name)
    else:
        setattr(owner, name, tensor)
    return orig


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    values = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        known = [n for n, _ in module.named_parameters(remove_duplicate=False)] + \
            [n for n, _ in module.named_buffers(remove_duplicate=False)]
        missing = sorted(set(known) - set(values))
        unexpected = sorted(set(values) - set(known))
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError('Error(s) in reparametrizing for {}:\n\t{}'.format(
                module._get_name(), '\n\t'.join(msgs)))
    originals = {}
    try:
        for name, t in values.items():
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f'{t} is not an instance of torch.Tensor')
            originals[name] = _swap(module, name, t)
        yield
    finally:
        for name, orig in originals.items():
            _swap(module, name, orig)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """``module(*args, **kwargs)`` with the named parameters/buffers replaced for this call.

    >>> import numtorch, warnings
    >>> from numtorch.nn.utils import stateless
    >>> m = numtorch.nn.Linear(2, 1)
    >>> w = {'weight': numtorch.ones(1, 2), 'bias': numtorch.zeros(1)}
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     stateless.functional_call(m, w, (numtorch.tensor([[1., 2.]]),))
    tensor([[3.]])
    """
    warnings.warn('`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 '
                  'and will be removed in a future version of PyTorch. Please use '
                  '`torch.func.functional_call` instead which is a drop-in replacement.',
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                     tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)
