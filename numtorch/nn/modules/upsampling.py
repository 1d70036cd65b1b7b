"""``Upsample``, ``UpsamplingNearest2d`` and ``UpsamplingBilinear2d``."""
from ..._ops.nn import vision as _pool
from .module import Module


class Upsample(Module):
    """Resize by ``size`` or ``scale_factor`` (``F.interpolate``); nearest neighbour.

    >>> import numtorch
    >>> from numtorch import nn
    >>> up = nn.Upsample(scale_factor=2)
    >>> up(numtorch.ones(1, 1, 2, 2)).shape
    torch.Size([1, 1, 4, 4])
    >>> up
    Upsample(scale_factor=2.0, mode='nearest')
    """

    def __init__(self, size=None, scale_factor=None, mode='nearest', align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return _pool.interpolate(input, self.size, self.scale_factor, self.mode,
                                 self.align_corners, recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = 'scale_factor=' + repr(self.scale_factor)
        else:
            info = 'size=' + repr(self.size)
        return info + ', mode=' + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode='nearest')


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with ``align_corners=True`` (torch's definition).

    >>> import numtorch
    >>> numtorch.nn.UpsamplingBilinear2d(scale_factor=2)
    UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode='bilinear', align_corners=True)
