"""``Fold`` / ``Unfold``: sliding blocks to columns (im2col) and back (col2im)."""
from ..._ops.nn import patches as _patches
from .module import Module


class Fold(Module):
    """Sum columns ``(N, C*kh*kw, L)`` into an ``output_size`` image ``(N, C, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.Fold((4, 5), 2)(numtorch.ones(1, 8, 12)).shape
    torch.Size([1, 2, 4, 5])
    >>> nn.Fold((4, 5), 2)
    Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return _patches.fold(input, self.output_size, self.kernel_size, self.dilation,
                             self.padding, self.stride)

    def extra_repr(self):
        return (f'output_size={self.output_size}, kernel_size={self.kernel_size}, '
                f'dilation={self.dilation}, padding={self.padding}, stride={self.stride}')


class Unfold(Module):
    """Extract sliding blocks of ``(N, C, H, W)`` as columns ``(N, C*kh*kw, L)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.Unfold(2, stride=2)(numtorch.ones(1, 2, 4, 4)).shape
    torch.Size([1, 8, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return _patches.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f'kernel_size={self.kernel_size}, dilation={self.dilation}, '
                f'padding={self.padding}, stride={self.stride}')
