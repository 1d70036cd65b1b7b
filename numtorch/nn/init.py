"""``numtorch.nn.init``: in-place weight initializers with torch's formulas.

Every function runs under ``no_grad`` (so it may overwrite a leaf Parameter) and returns the
tensor. Random draws come from ``numtorch.random``'s generators (pass ``generator=`` for a
private stream): a device tensor is filled on its device from that device's generator, so the
CPU generator's stream does not move. Fan-in/fan-out and gains follow torch's ``torch/nn/init.py``:
``fan_in = size(1) * receptive_field``, ``fan_out = size(0) * receptive_field``.

>>> import numtorch
>>> from numtorch import nn
>>> w = numtorch.empty(3, 5)
>>> nn.init.constant_(w, 0.3)[0]
tensor([0.3000, 0.3000, 0.3000, 0.3000, 0.3000])
"""
import math
import warnings

from .._backend import namespace
from ..autograd.grad_mode import no_grad
from .._ops.random import _rng
from .._ops.pointwise.unary import _erfinv64


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (torch's table).

    ========== =====================================
    linear, conv*, sigmoid   1
    tanh                     5/3
    relu                     sqrt(2)
    leaky_relu               sqrt(2 / (1 + negative_slope**2))
    selu                     3/4
    ========== =====================================

    >>> from numtorch import nn
    >>> round(nn.init.calculate_gain('relu'), 4), nn.init.calculate_gain('tanh')
    (1.4142, 1.6666666666666667)
    """
    linear_fns = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
                  'conv_transpose3d']
    if nonlinearity in linear_fns or nonlinearity == 'sigmoid':
        return 1
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f'negative_slope {param} not a valid number')
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4   # value found empirically (torch PR 50664)
    raise ValueError(f'Unsupported nonlinearity {nonlinearity}')


def _calculate_fan_in_and_fan_out(tensor):
    dims = tensor.dim()
    if dims < 2:
        raise ValueError('Fan in and fan out can not be computed for tensor with fewer than 2 '
                         'dimensions')
    shape = tensor._data.shape
    receptive = math.prod(shape[2:]) if dims > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid = ['fan_in', 'fan_out']
    if mode not in valid:
        raise ValueError(f'Mode {mode} not supported, please use one of {valid}')
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == 'fan_in' else fan_out


def _no_elements(tensor):
    if 0 in tensor._data.shape:
        warnings.warn('Initializing zero-element tensors is a no-op')
        return True
    return False


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b).

    >>> import numtorch
    >>> from numtorch import nn
    >>> w = nn.init.uniform_(numtorch.empty(100), -10, 10)
    >>> bool((w.abs() <= 10).all())
    True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std**2).

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.init.normal_(numtorch.empty(2, 3), mean=0, std=0.01).shape
    torch.Size([2, 3])
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) samples truncated to [a, b] (inverse-CDF method, as torch)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn('mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The '
                      'distribution of values may be incorrect.', stacklevel=2)
    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    d = tensor._data
    u = _rng(generator, tensor).uniform(2 * lo - 1, 2 * hi - 1, d.shape)   # on d's device
    vals = namespace(d).clip(_erfinv64(u) * (std * math.sqrt(2.0)) + mean, a, b)
    with no_grad():
        d[...] = vals
        tensor._version_counter[0] += 1
    return tensor


def constant_(tensor, val):
    """Fill with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.init.zeros_(numtorch.ones(3))
    tensor([0., 0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (preserves the identity of Linear inputs)."""
    if tensor.dim() != 2:
        raise ValueError('Only tensors with 2 dimensions are supported')
    with no_grad():
        d = tensor._data
        d[...] = namespace(d).eye(*d.shape, dtype=d.dtype)
        tensor._version_counter[0] += 1
    return tensor


def dirac_(tensor, groups=1):
    """Fill a {3,4,5}-D conv weight with the Dirac delta (identity convolution), per group."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError('Only tensors with 3, 4, or 5 dimensions are supported')
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError('dim 0 must be divisible by groups')
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    d = tensor._data
    with no_grad():
        d[...] = 0
        for g in range(groups):
            for i in range(min_dim):
                d[(g * out_per_group + i, i) + tuple(s // 2 for s in sizes[2:])] = 1
        tensor._version_counter[0] += 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> w = nn.init.xavier_uniform_(numtorch.empty(8, 4))
    >>> bool((w.abs() <= (6 / 12) ** 0.5).all())
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    """He uniform: U(-bound, bound), ``bound = gain * sqrt(3 / fan)``, gain from
    ``calculate_gain(nonlinearity, a)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> w = nn.init.kaiming_uniform_(numtorch.empty(64, 16), nonlinearity='relu')
    >>> bool((w.abs() <= (6 / 16) ** 0.5).all())
    True
    """
    if _no_elements(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None):
    """He normal: N(0, std**2), ``std = gain / sqrt(fan)``."""
    if _no_elements(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (tensor viewed as ``size(0) x rest``), times gain."""
    if tensor.dim() < 2:
        raise ValueError('Only tensors with 2 or more dimensions are supported')
    if tensor.numel() == 0:
        return tensor
    d = tensor._data
    rows = d.shape[0]
    cols = d.size // rows
    flat = _rng(generator, tensor).standard_normal((rows, cols))   # on d's device
    if rows < cols:
        flat = flat.T
    xp = namespace(d)
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))   # makes the distribution uniform (torch does the same)
    if rows < cols:
        q = q.T
    with no_grad():
        d[...] = (q * gain).reshape(d.shape)
        tensor._version_counter[0] += 1
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std**2) values, zeroing a ``sparsity`` fraction of each
    column."""
    if tensor.dim() != 2:
        raise ValueError('Only tensors with 2 dimensions are supported')
    rows, cols = tensor._data.shape
    num_zeros = int(math.ceil(sparsity * rows))
    rng = _rng(generator, tensor)   # permutations drawn on the tensor's device
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        for c in range(cols):
            tensor._data[rng.permutation(rows)[:num_zeros], c] = 0
    return tensor


__all__ = ['calculate_gain', 'uniform_', 'normal_', 'trunc_normal_', 'constant_', 'ones_',
           'zeros_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_',
           'kaiming_normal_', 'orthogonal_', 'sparse_']
