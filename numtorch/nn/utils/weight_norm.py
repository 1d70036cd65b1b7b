"""Weight normalisation, the hook-based API (``nn.utils.weight_norm``, deprecated in torch in
favour of ``parametrizations.weight_norm`` but still everywhere in scripts):
``w = g * v / ||v||`` with the norm over every dim but ``dim``; parameters ``<name>_g`` and
``<name>_v`` as torch names them."""
import warnings

from ..parameter import Parameter, UninitializedParameter

__all__ = ['WeightNorm', 'weight_norm', 'remove_weight_norm']


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim except ``dim``, shaped to broadcast against
    ``v`` (``dim=-1``: over all of ``v``, as torch's ``norm_except_dim``).

    >>> import numtorch
    >>> norm_except_dim(numtorch.tensor([[3., 4.], [0., 1.]]), 2, 0)
    tensor([[5.],
            [1.]])
    """
    from ... import linalg
    if dim == -1:
        return linalg.vector_norm(v, pow)
    dims = tuple(d for d in range(v.dim()) if d != dim)
    return linalg.vector_norm(v, pow, dim=dims, keepdim=True) if dims else v.abs()


def _weight_norm(v, g, dim=0):
    """``v * (g / ||v||)``, differentiable in ``v`` and ``g`` (torch's ``_weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each call."""

    def __init__(self, name, dim):
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        """``g * v / ||v||`` from the module's current ``_g`` and ``_v`` parameters."""
        return _weight_norm(getattr(module, self.name + '_v'), getattr(module, self.name + '_g'),
                            self.dim)

    @staticmethod
    def apply(module, name, dim):
        """Split ``module.<name>`` into ``<name>_g`` and ``<name>_v`` and install the hook."""
        warnings.warn('`torch.nn.utils.weight_norm` is deprecated in favor of '
                      '`torch.nn.utils.parametrizations.weight_norm`.', FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f'Cannot register two weight_norm hooks on the same '
                                   f'parameter {name}')
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             'parameters. Make sure to run the dummy forward before applying '
                             'weight normalization')
        del module._parameters[name]
        module.register_parameter(name + '_g', Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + '_v', Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Fold ``g`` and ``v`` back into one parameter ``<name>``."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + '_g']
        del module._parameters[self.name + '_v']
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name='weight', dim=0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``;
    ``dim=None`` for one norm of the whole tensor).

    >>> import numtorch, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     m = numtorch.nn.utils.weight_norm(numtorch.nn.Linear(3, 2))
    >>> m.weight_g.shape, m.weight_v.shape
    (torch.Size([2, 1]), torch.Size([2, 3]))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name='weight'):
    """Remove the weight normalisation of ``module.<name>``, keeping its current value."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
