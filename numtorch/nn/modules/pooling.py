"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d`` (thin wrappers over ``nn.functional``, torch's attributes and repr)."""
from ..._ops.nn import pool as _pool
from ..._ops.nn import pool as _pool_nd
from .module import Module


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f'kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, '
                f'dilation={self.dilation}, ceil_mode={self.ceil_mode}')


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over ``(N, C, L)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MaxPool1d(2)(numtorch.tensor([[[1., 3., 2., 0.]]]))
    tensor([[[3., 2.]]])
    """

    def forward(self, input):
        return _pool.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over ``(N, C, H, W)``; ``return_indices=True`` also returns argmax indices.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MaxPool2d(2)(numtorch.ones(1, 1, 4, 4)).shape
    torch.Size([1, 1, 2, 2])
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, input):
        return _pool.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """1-D average pooling over ``(N, C, L)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AvgPool1d(2)(numtorch.tensor([[[1., 3., 2., 0.]]]))
    tensor([[[2., 1.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        one = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,))
        self.kernel_size = one(kernel_size)
        self.stride = one(stride if stride is not None else kernel_size)
        self.padding = one(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return f'kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}'

    def forward(self, input):
        return _pool.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                                self.ceil_mode, self.count_include_pad)


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self):
        return f'kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}'


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling over ``(N, C, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AvgPool2d(kernel_size=2, stride=2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def forward(self, input):
        return _pool.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                                self.ceil_mode, self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f'output_size={self.output_size}'


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output size (``None`` keeps that input dim).

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))(numtorch.ones(2, 3, 7, 7)).shape
    torch.Size([2, 3, 1, 1])
    """

    def forward(self, input):
        return _pool.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f'output_size={self.output_size}'


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveMaxPool2d(2)(numtorch.ones(2, 3, 7, 7)).shape
    torch.Size([2, 3, 2, 2])
    """

    def forward(self, input):
        return _pool.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over ``(N, C, D, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.MaxPool3d(2)(numtorch.ones(1, 1, 4, 4, 4)).shape
    torch.Size([1, 1, 2, 2, 2])
    """

    def forward(self, input):
        return _pool_nd.max_pool3d(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, ceil_mode=self.ceil_mode,
                                   return_indices=self.return_indices)


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling over ``(N, C, D, H, W)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AvgPool3d(2)
    AvgPool3d(kernel_size=2, stride=2, padding=0)
    """

    def forward(self, input):
        return _pool_nd.avg_pool3d(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of ``(N, C, L)`` to a fixed length.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveAvgPool1d(2)(numtorch.ones(2, 3, 7)).shape
    torch.Size([2, 3, 2])
    """

    def forward(self, input):
        return _pool_nd.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling of ``(N, C, D, H, W)`` to a fixed size.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveAvgPool3d(1)(numtorch.ones(2, 3, 4, 5, 6)).shape
    torch.Size([2, 3, 1, 1, 1])
    """

    def forward(self, input):
        return _pool_nd.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, L)`` to a fixed length.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveMaxPool1d(2)(numtorch.ones(2, 3, 7)).shape
    torch.Size([2, 3, 2])
    """

    def forward(self, input):
        return _pool_nd.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, D, H, W)`` to a fixed size.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.AdaptiveMaxPool3d(2)(numtorch.ones(2, 3, 4, 5, 6)).shape
    torch.Size([2, 3, 2, 2, 2])
    """

    def forward(self, input):
        return _pool_nd.adaptive_max_pool3d(input, self.output_size, self.return_indices)
