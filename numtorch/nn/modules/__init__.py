"""Every layer class, importable as ``numtorch.nn.modules.<Name>`` (and ``numtorch.nn.<Name>``)."""
from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .lazy import LazyModuleMixin, LazyLinear
from .activation import (ReLU, ReLU6, LeakyReLU, ELU, CELU, SELU, GELU, SiLU, Mish, Sigmoid,
                         Tanh, Softmax, Softmin, LogSoftmax, Softmax2d, Softplus, Hardtanh,
                         Hardswish, Hardsigmoid, LogSigmoid, Softsign, Tanhshrink, Threshold,
                         Hardshrink, Softshrink, GLU, PReLU)
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout
from .flatten import Flatten, Unflatten

__all__ = ['Module', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict',
           'Identity', 'Linear', 'Bilinear', 'LazyModuleMixin', 'LazyLinear', 'ReLU', 'ReLU6',
           'LeakyReLU', 'ELU', 'CELU', 'SELU', 'GELU', 'SiLU', 'Mish', 'Sigmoid', 'Tanh',
           'Softmax', 'Softmin', 'LogSoftmax', 'Softmax2d', 'Softplus', 'Hardtanh', 'Hardswish',
           'Hardsigmoid', 'LogSigmoid', 'Softsign', 'Tanhshrink', 'Threshold', 'Hardshrink',
           'Softshrink', 'GLU', 'PReLU', 'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d',
           'AlphaDropout', 'Flatten', 'Unflatten']
