"""``numtorch.compile``: accepted with torch's signature; numtorch does not compile, so it
returns the module or function unchanged (eager execution, same results). Works as a call,
as ``@compile`` and as ``@compile(mode=...)``."""

__all__ = ['compile']


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,
            options=None, name=None, disable=False, recompile_limit=None,
            isolate_recompiles=False, shapes_spec=None):
    """Return ``model`` unchanged (numtorch runs eagerly); without ``model``, a decorator that
    does the same.

    >>> import numtorch
    >>> net = numtorch.nn.Linear(2, 2)
    >>> numtorch.compile(net) is net
    True
    >>> @numtorch.compile(mode='max-autotune')
    ... def f(x):
    ...     return x * 2
    >>> f(numtorch.ones(1))
    tensor([2.])
    """
    if mode is not None and options is not None:
        raise RuntimeError('Either mode or options can be specified, but both can\'t be '
                           'specified at the same time.')
    if model is None:
        def fn(model):
            if model is None:
                raise RuntimeError('Model can\'t be None')
            return model
        return fn
    if not callable(model):
        raise AssertionError(f'A callable function is expected, but {type(model)} is provided.')
    return model
