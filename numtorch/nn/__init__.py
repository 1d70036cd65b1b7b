"""``numtorch.nn``: blocks (``Module``), parameters, layers, ``functional`` and ``init``.

>>> import numtorch
>>> from numtorch import nn
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
>>> net(numtorch.rand(2, 4)).shape
torch.Size([2, 1])
"""
from .parameter import Parameter, UninitializedParameter, UninitializedBuffer, Buffer
from .modules import *  # noqa: F401,F403
from .modules import Module, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict  # noqa: F401
from . import functional, init, parameter, modules  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401,E402  (DistributedDataParallel; mpi4py loads lazily)
from .parallel import DataParallel  # noqa: F401,E402
from . import attention  # noqa: F401,E402
