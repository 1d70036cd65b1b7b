"""``PixelShuffle`` / ``PixelUnshuffle``: move ``r*r`` channels into an ``r``-times larger image
and back (sub-pixel convolution, ESPCN)."""
from ..._ops.nn import patches as _patches
from .module import Module


class PixelShuffle(Module):
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.PixelShuffle(2)(numtorch.ones(1, 8, 3, 3)).shape
    torch.Size([1, 2, 6, 6])
    >>> nn.PixelShuffle(2)
    PixelShuffle(upscale_factor=2)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return _patches.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f'upscale_factor={self.upscale_factor}'


class PixelUnshuffle(Module):
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.PixelUnshuffle(2)(numtorch.ones(1, 2, 6, 6)).shape
    torch.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return _patches.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f'downscale_factor={self.downscale_factor}'
