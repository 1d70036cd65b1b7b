"""Functional names old and new scripts still call: the in-place activations (``F.elu_``...)
and the deprecated ``F.upsample`` / ``F.upsample_bilinear`` (warn, then ``interpolate``)."""
import warnings

from .._ops.nn import activations as _act
from .._ops.nn.vision import interpolate

__all__ = ['elu_', 'leaky_relu_', 'hardtanh_', 'threshold_', 'upsample', 'upsample_bilinear']


def elu_(input, alpha=1.):
    """In-place ``elu``.

    >>> import numtorch
    >>> numtorch.nn.functional.elu_(numtorch.tensor([1., 0.]))
    tensor([1., 0.])
    """
    return _act.elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``.

    >>> import numtorch
    >>> numtorch.nn.functional.leaky_relu_(numtorch.tensor([-1., 2.]), 0.5)
    tensor([-0.5000,  2.0000])
    """
    return _act.leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1., max_val=1.):
    """In-place ``hardtanh``.

    >>> import numtorch
    >>> numtorch.nn.functional.hardtanh_(numtorch.tensor([-3., 0.5]))
    tensor([-1.0000,  0.5000])
    """
    return _act.hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):
    """In-place ``threshold``.

    >>> import numtorch
    >>> numtorch.nn.functional.threshold_(numtorch.tensor([0.1, 2.]), 1., 0.)
    tensor([0., 2.])
    """
    return _act.threshold(input, threshold, value, inplace=True)


def upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    """Deprecated alias of ``interpolate`` (warns as torch does)."""
    warnings.warn('`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` '
                  'instead.', stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` (warns)."""
    warnings.warn('`nn.functional.upsample_bilinear` is deprecated. Use '
                  '`nn.functional.interpolate` instead.', stacklevel=2)
    return interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)
