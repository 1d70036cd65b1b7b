"""``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``: convolution layers with torch's parameters,
initialization, padding modes and ``repr``."""
import math

from ... import _creation
from ..._ops.nn import conv as _conv
from ..._ops.nn import conv_nd as _conv_nd
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _ntuple(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v) if len(v) == n else tuple(v) * n if len(v) == 1 else tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """Shared parameters, init and ``extra_repr`` of the convolution layers (torch's _ConvNd)."""

    def __init__(self, nd, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, dtype, device=None):
        super().__init__()
        if groups <= 0:
            raise ValueError('groups must be a positive integer')
        if in_channels % groups != 0:
            raise ValueError('in_channels must be divisible by groups')
        if out_channels % groups != 0:
            raise ValueError('out_channels must be divisible by groups')
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == 'same' and any(s != 1 for s in _ntuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in ('zeros', 'reflect', 'replicate', 'circular'):
            raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', "
                             f"'circular'], but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, nd)
        self.dilation = _ntuple(dilation, nd)
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's order: last dim first, (before, after) each.
        if isinstance(self.padding, str):
            pads = []
            for d, k in zip(self.dilation, self.kernel_size):
                tot = d * (k - 1)
                pads.append((tot // 2, tot - tot // 2))
            self._reversed_padding_repeated_twice = [p for a, b in reversed(pads) for p in (a, b)] \
                if self.padding == 'same' else [0] * (2 * nd)
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding) for _ in (0, 1)]
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(_creation.empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: Kaiming-uniform weight with ``a=sqrt(5)`` (torch issue 57109), bias
        uniform in +-1/sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
             f'stride={self.stride}')
        if isinstance(self.padding, str) or self.padding != (0,) * len(self.padding):
            s += f', padding={self.padding}'
        if self.dilation != (1,) * len(self.dilation):
            s += f', dilation={self.dilation}'
        if self.output_padding != (0,) * len(self.output_padding):
            s += f', output_padding={self.output_padding}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        if self.bias is None:
            s += ', bias=False'
        if self.padding_mode != 'zeros':
            s += f', padding_mode={self.padding_mode}'
        return s

    def _conv_forward(self, fn, input, nd):
        if self.padding_mode != 'zeros':
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(input, self.weight, self.bias, self.stride, (0,) * nd, self.dilation,
                      self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C_in, L)``; weight ``(C_out, C_in/groups, k)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.Conv1d(3, 5, 3, padding=1)
    >>> m(numtorch.randn(2, 3, 10)).shape
    torch.Size([2, 5, 10])
    >>> m
    Conv1d(3, 5, kernel_size=(3,), stride=(1,), padding=(1,))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__(1, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype, device)

    def forward(self, input):
        return self._conv_forward(_conv.conv1d, input, 1)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C_in, H, W)``; weight ``(C_out, C_in/groups, kH, kW)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> m(numtorch.randn(2, 1, 28, 28)).shape
    torch.Size([2, 6, 28, 28])
    >>> m
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__(2, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype, device)

    def forward(self, input):
        return self._conv_forward(_conv.conv2d, input, 2)


class _ConvTransposeNd(_ConvNd):
    """Shared ``__init__``, ``output_size`` handling and forward of the transposed convolutions."""
    _nd = _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros',
                 device=None, dtype=None):
        if padding_mode != 'zeros':
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(self._nd, in_channels, out_channels, kernel_size, stride, padding,
                         dilation, True, output_padding, groups, bias, padding_mode, dtype,
                         device)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        nd = len(self.kernel_size)
        output_size = list(output_size)[-nd:]
        op = []
        for d in range(nd):
            size = input.shape[d - nd]
            least = ((size - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            extra = output_size[d] - least
            if not 0 <= extra < max(self.stride[d], self.dilation[d]):
                raise ValueError(f'requested an output size of {output_size}, but valid sizes '
                                 f'range from {least} to {least + self.stride[d] - 1} (for an '
                                 f'input of {list(input.shape[-nd:])})')
            op.append(extra)
        return tuple(op)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                        self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution; weight ``(C_in, C_out/groups, kH, kW)``. ``output_size`` in
    ``forward`` picks the ``output_padding`` that gives that size.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    >>> m(numtorch.randn(1, 4, 5, 5)).shape
    torch.Size([1, 2, 10, 10])
    """
    _nd, _fn = 2, staticmethod(_conv.conv_transpose2d)


class Conv3d(_ConvNd):
    """3-D convolution over ``(N, C_in, D, H, W)``; weight ``(C_out, C_in/groups, kD, kH, kW)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.Conv3d(2, 4, 3, padding=1)
    >>> m(numtorch.randn(1, 2, 4, 4, 4)).shape
    torch.Size([1, 4, 4, 4, 4])
    >>> m
    Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype, device)

    def forward(self, input):
        return self._conv_forward(_conv_nd.conv3d, input, 3)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution; weight ``(C_in, C_out/groups, k)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.ConvTranspose1d(4, 2, 3, stride=2)
    >>> m(numtorch.randn(1, 4, 5)).shape
    torch.Size([1, 2, 11])
    >>> m
    ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,))
    """
    _nd, _fn = 1, staticmethod(_conv_nd.conv_transpose1d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution; weight ``(C_in, C_out/groups, kD, kH, kW)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ConvTranspose3d(4, 2, 2, stride=2)(numtorch.randn(1, 4, 2, 3, 3)).shape
    torch.Size([1, 2, 4, 6, 6])
    """
    _nd, _fn = 3, staticmethod(_conv_nd.conv_transpose3d)
