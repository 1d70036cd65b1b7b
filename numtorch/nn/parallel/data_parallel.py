"""``DataParallel`` as torch runs it on a machine without GPUs: a wrapper whose forward calls the
wrapped module (``device_ids`` are ignored, state-dict keys gain the ``module.`` prefix)."""
from ..modules.module import Module


class DataParallel(Module):
    """Wrap ``module``; with no GPUs, ``forward`` runs ``module`` directly, as torch does.

    >>> import numtorch
    >>> m = numtorch.nn.DataParallel(numtorch.nn.Linear(2, 1))
    >>> list(m.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.dim = dim
        self.output_device = None
        self.src_device_obj = None

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
