"""``Identity``, ``Linear`` (and ``NonDynamicallyQuantizableLinear``), ``Bilinear``: fully
connected layers with torch's initialization."""
import math

from ... import _dtype
from ..._backend import xp, empty_on
from ..._ops import _apply
from ..._ops.nn.activations import linear as _linear, bilinear as _bilinear
from ..parameter import Parameter
from .. import init
from .module import Module


def _empty(shape, dtype, device=None):
    """An uninitialized parameter array on ``device`` (torch's factory kwargs)."""
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if device is None:
        return _apply.wrap(xp.empty(shape, dt.np))
    return _apply.wrap(empty_on(device, 'empty', shape, dt.np))


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as torch).

    >>> import numtorch
    >>> from numtorch import nn
    >>> x = numtorch.ones(2); nn.Identity(54, unused='x')(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out_features, in_features)``.

    Initialized as torch: Kaiming-uniform with ``a=sqrt(5)`` for the weight, which is
    U(-1/sqrt(in_features), 1/sqrt(in_features)) (torch issue 57109), and the bias uniform in
    the same bound.

    >>> import numtorch
    >>> from numtorch import nn
    >>> m = nn.Linear(20, 30)
    >>> m(numtorch.randn(128, 20)).shape
    torch.Size([128, 30])
    >>> m
    Linear(in_features=20, out_features=30, bias=True)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype, device))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype, device))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias with torch's default initialization."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return _linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f'in_features={self.in_features}, out_features={self.out_features}, '
                f'bias={self.bias is not None}')


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under another name: torch uses it for ``MultiheadAttention.out_proj`` (to keep
    its quantization tools off it), and scripts subclass it, so it lives where torch's does.

    >>> from numtorch.nn.modules.linear import NonDynamicallyQuantizableLinear
    >>> NonDynamicallyQuantizableLinear(2, 3)
    NonDynamicallyQuantizableLinear(in_features=2, out_features=3, bias=True)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)


class Bilinear(Module):
    """``y_k = x1^T A_k x2 + b_k``; weight ``(out_features, in1_features, in2_features)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.Bilinear(20, 30, 40)(numtorch.randn(128, 20), numtorch.randn(128, 30)).shape
    torch.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), dtype, device))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype, device))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f'in1_features must be > 0, but got '
                             f'(in1_features={self.in1_features})')
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return _bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f'in1_features={self.in1_features}, in2_features={self.in2_features}, '
                f'out_features={self.out_features}, bias={self.bias is not None}')
