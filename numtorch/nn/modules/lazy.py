"""Deferred initialization: ``LazyLinear`` infers ``in_features`` at its first forward.

Until then its weight and bias are ``UninitializedParameter``s (using one raises a clear
error). A forward pre-hook materializes them from the first input's shape, runs the normal
``reset_parameters`` and turns the module into a plain ``Linear`` (``cls_to_become``), as
torch's ``LazyModuleMixin`` does.
"""
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedParameter, is_lazy
from .linear import Linear


class LazyModuleMixin:
    """Mixin for modules whose parameter shapes come from the first input.

    A subclass defines ``initialize_parameters(*inputs)`` and ``cls_to_become``.
    """
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        """True while any parameter or buffer is still uninitialized."""
        for p in list(self._parameters.values()) + list(self._buffers.values()):
            if p is not None and is_lazy(p):
                return True
        return False

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f'initialize_parameters is not implemented for '
                                  f'{type(self).__name__}')


def _infer_parameters(module, args, kwargs=None):
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f'module {module._get_name()} has not been fully initialized')
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is inferred from the first input.

    >>> import numtorch
    >>> from numtorch import nn
    >>> net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    >>> net[0]
    LazyLinear(in_features=0, out_features=256, bias=True)
    >>> net(numtorch.rand(2, 20)).shape
    torch.Size([2, 10])
    >>> net[0]
    Linear(in_features=20, out_features=256, bias=True)
    """
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        # Build a 0-input Linear, then swap in uninitialized parameters (as torch does).
        super().__init__(0, 0, False)
        self.out_features = out_features
        self._init_dtype = dtype
        self._init_device = device   # materialized there (torch's factory kwargs)
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """Materialize weight ``(out_features, input.shape[-1])`` and bias, then initialize."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                dev = getattr(self, '_init_device', None)
                self.weight.materialize((self.out_features, self.in_features), device=dev)
                if self.bias is not None:
                    self.bias.materialize((self.out_features,), device=dev)
                self.reset_parameters()
        elif self.in_features == 0:
            self.in_features = self.weight.shape[1]


__all__ = ['LazyModuleMixin', 'LazyLinear']
