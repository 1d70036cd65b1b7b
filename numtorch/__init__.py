"""numtorch: PyTorch's API on NumPy. ``import numtorch as torch`` and write PyTorch code.

>>> import numtorch as torch
>>> x = torch.ones(2, 2, requires_grad=True)
>>> (x * 3).sum().backward()
>>> x.grad
tensor([[3., 3.],
        [3., 3.]])
"""
from ._dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, uint16, uint32,
                     uint64, float16, float32, float64, complex64, complex128, bfloat16,
                     float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu,
                     get_default_dtype, set_default_dtype, promote_types, finfo, iinfo)
from ._dtype import result_type as _result_type
from ._device import device
from ._size import Size
from ._tensor import Tensor
from ._registry import install as _install_ops
globals().update(_install_ops(Tensor))  # every op: numtorch.add, Tensor.add, ... (see _registry)
del _install_ops
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from . import autograd
from . import cuda
from ._threads import set_num_threads, get_num_threads
from ._creation import *  # noqa: F401,F403
from . import _creation
from . import linalg
from . import random
from .random import (Generator, default_generator, manual_seed, seed, initial_seed,  # noqa: F401
                     get_rng_state, set_rng_state)  # torch has no torch.fork_rng
from ._tensor_str import set_printoptions

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128


def result_type(tensor1, tensor2):
    """The dtype torch's promotion gives ``tensor1 op tensor2``."""
    return _result_type(tensor1, tensor2)


def _legacy(name, dt):
    cls = type(name, (Tensor,), {'_legacy_dtype': dt, '__module__': __name__,
                                 '__doc__': f'Legacy constructor: ``{name}([1, 2])`` is a {dt} tensor.'})
    return cls


FloatTensor = _legacy('FloatTensor', float32)
DoubleTensor = _legacy('DoubleTensor', float64)
HalfTensor = _legacy('HalfTensor', float16)
LongTensor = _legacy('LongTensor', int64)
IntTensor = _legacy('IntTensor', int32)
ShortTensor = _legacy('ShortTensor', int16)
CharTensor = _legacy('CharTensor', int8)
ByteTensor = _legacy('ByteTensor', uint8)
BoolTensor = _legacy('BoolTensor', bool)

from . import utils  # noqa: E402  (numtorch.utils.data after a bare `import numtorch`, as torch)
from . import nn  # noqa: E402  (numtorch.nn.Linear after a bare `import numtorch`, as torch)
from . import optim  # noqa: E402  (numtorch.optim.SGD after a bare `import numtorch`, as torch)
from . import distributions  # noqa: E402  (numtorch.distributions.Normal, as torch)
from . import distributed  # noqa: E402  (numtorch.distributed; mpi4py loads only when used)
from .serialization import save, load  # noqa: E402
from . import serialization  # noqa: E402
# device-era boilerplate real scripts run at the top (CPU-only answers; see each module)
from . import accelerator, amp, backends, jit, multiprocessing, onnx, version  # noqa: E402
from .amp import autocast  # noqa: E402
from .amp.autocast_mode import is_autocast_enabled, get_autocast_dtype  # noqa: E402
from ._settings import *  # noqa: F401,F403,E402  (set_default_device, use_deterministic_algorithms)
from ._compile import compile  # noqa: E402
from . import fft, special, storage, testing  # noqa: E402  (issue 13)
from . import func  # noqa: E402  (torch.func.functional_call)
from ._misc_names import *  # noqa: F401,F403,E402  (pi, channels_last, typename, ...)

__version__ = '0.1.0'
# torch.instance_norm's argument order differs from F.instance_norm's (ATen's schema)
from ._ops.nn.norm import _aten_instance_norm as instance_norm  # noqa: E402
