"""Type aliases scripts annotate with (``from torch.types import Number``)."""
from typing import Sequence, Union

from ._device import device as _device
from ._dtype import dtype as _dtype
from ._size import Size
from ._tensor import Tensor

_int, _float, _bool, _complex, _str, _bytes = int, float, bool, complex, str, bytes
_size = Union[Size, list[int], tuple[int, ...]]
Number = Union[int, float, bool]
_Number = (int, float, bool)
Device = Union[_device, str, int, None]
_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
IntLikeType = int
FloatLikeType = float
BoolLikeType = bool

__all__ = ['Number', 'Device', 'Size', 'Tensor']
