"""``numtorch.nn.functional``: the stateless forms of the layers (``F.relu``, ``F.linear``...).

The differentiable ops themselves live in ``numtorch/_ops/nn/activations.py`` (one Node each); this
module gives them torch's functional signatures and adds the few composites (``normalize``,
``one_hot``, ``pad``...). Losses, convolutions and pooling are added by their own modules and
re-exported at the bottom when present.
"""
import math

from .._backend import xp as _xp
from .._tensor import Tensor
from .._ops.nn import activations as _act
from .._ops.pointwise import arithmetic as _ew
from .._ops._apply import bind as _bind, wrap as _wrap, unary as _unary
from ..autograd.graph import Node as _Node
from .._ops.nn.activations import (linear, bilinear, softmax, log_softmax, softmin, gelu, silu,  # noqa: F401
                               elu, selu, celu, leaky_relu, softplus, hardtanh, relu6, prelu,
                               threshold, hardshrink, softshrink, hardsigmoid, hardswish, mish,
                               logsigmoid, glu)


def relu(input, inplace=False):
    """``max(input, 0)``, recorded as ReluBackward0.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.relu(numtorch.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    if inplace:
        return input._inplace(_act.relu)
    return _unary(_act.Relu, input)


def relu_(input):
    """In-place ``relu``."""
    return relu(input, inplace=True)


def sigmoid(input):
    """Logistic function (same as ``numtorch.sigmoid``)."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent (same as ``numtorch.tanh``)."""
    return input.tanh()


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def dropout(input, p=0.5, training=True, inplace=False):
    """Randomly zero elements with probability ``p`` (scaling the rest by ``1/(1-p)``) when
    ``training``; the identity otherwise.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> x = numtorch.ones(4)
    >>> F.dropout(x, 0.5, training=False) is x
    True
    """
    if not 0 <= p <= 1:
        raise ValueError(f'dropout probability has to be between 0 and 1, but got {p}')
    if inplace:
        return input._inplace(_act.dropout, p, training) if training and p > 0 else input
    return _act.dropout(input, p, training)


def _feature_dropout(input, p, training, inplace, min_dim, name):
    if not 0 <= p <= 1:
        raise ValueError(f'dropout probability has to be between 0 and 1, but got {p}')
    if not training or p == 0:
        return input
    a = input._data
    if a.ndim < min_dim:
        raise RuntimeError(f'{name}: Expected {min_dim}D or {min_dim + 1}D input, but received '
                           f'a {a.ndim}D input.')
    from ..random import default_generator
    # One keep/drop decision per (sample, channel): the mask is broadcast over the rest.
    shape = a.shape[:-(min_dim - 1)] + (1,) * (min_dim - 1)
    keep = default_generator._np.random(shape) >= p
    mask = keep.astype(a.dtype) * (1.0 / (1.0 - p)) if p < 1 else _xp.zeros(shape, a.dtype)
    out = input * _wrap(mask)
    if inplace:
        input._data[...] = out._data
        return input
    return out


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, L) input."""
    return _feature_dropout(input, p, training, inplace, 2, 'dropout1d')


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 3, 'dropout2d')


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, D, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 4, 'dropout3d')


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalizing mean and variance."""
    if not 0 <= p <= 1:
        raise ValueError(f'dropout probability has to be between 0 and 1, but got {p}')
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    from ..random import default_generator
    alpha_p = -_act._SELU_ALPHA * _act._SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    keep = _wrap((default_generator._np.random(input._data.shape) >= p).astype(input._data.dtype))
    return (input * keep + alpha_p * (1 - keep)) * a + b


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot rows (``num_classes=-1``: max + 1).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.one_hot(numtorch.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    a = tensor._data
    if a.dtype.kind not in 'iu':
        raise RuntimeError('one_hot is only applicable to index tensor of type LongTensor.')
    if a.size and a.min() < 0:
        raise RuntimeError('Class values must be non-negative.')
    if num_classes == -1:
        if not a.size:
            raise RuntimeError('Can not infer total number of classes from empty tensor.')
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise RuntimeError('Class values must be smaller than num_classes.')
    out = _xp.zeros(a.shape + (num_classes,), _xp.int64)
    _xp.put_along_axis(out, a[..., None].astype(_xp.int64), 1, axis=-1)
    return _wrap(out)


class _ConstantPadNd(_Node):
    _name = 'ConstantPadNdBackward0'   # torch's node name (the class is private here)
    def forward(self, a, pads, value):
        if any(lo < 0 or hi < 0 for lo, hi in pads):
            # Negative padding crops: pad the positive parts, then slice.
            crop = tuple(slice(max(-lo, 0), a.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pads))
            a = a[crop]
            pads = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
            self.crop = crop
        else:
            self.crop = None
        self.pads = pads
        return _xp.pad(a, pads, mode='constant', constant_values=value)

    def backward(self, g):
        inner = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.pads))
        g = g[inner]
        if self.crop is not None:
            full = self.xp.zeros(self._full_shape, g.dtype)
            full[self.crop] = g
            return full
        return g


class _Pad(_Node):
    """reflect / replicate / circular padding via ``np.pad``; backward by scatter-adding the
    gradient of every output position into the input position it was copied from."""

    def forward(self, a, pads, mode):
        idx = self.xp.arange(a.size).reshape(a.shape)
        src = _xp.pad(idx, pads, mode={'reflect': 'reflect', 'replicate': 'edge',
                                      'circular': 'wrap'}[mode])
        self.src, self.shape = src, a.shape
        return a.reshape(-1)[src]

    def backward(self, g):
        out = self.xp.zeros(int(math.prod(self.shape)), g.dtype)
        _xp.add.at(out, self.src.reshape(-1), g.reshape(-1))
        return out.reshape(self.shape)


def _check_mode_pad(shape, pads, n, mode):
    """torch's limits for the non-constant modes: ``n`` padded dims need an input of ``n + 1``
    or ``n + 2`` dims; reflection needs pads smaller than the dim, circular at most the dim."""
    if len(shape) not in (n + 1, n + 2):
        raise NotImplementedError(f'Padding size {2 * n} is not supported for {len(shape)}D input '
                                  f'tensor.')
    for d in range(len(shape) - n, len(shape)):
        lo, hi = pads[d]
        if mode == 'reflect' and (lo >= shape[d] or hi >= shape[d]):
            raise RuntimeError(f'Argument #4: Padding size should be less than the corresponding '
                               f'input dimension, but got: padding ({lo}, {hi}) at dimension {d} '
                               f'of input [{", ".join(map(str, shape))}]')
        if mode == 'circular' and (lo > shape[d] or hi > shape[d]):
            raise RuntimeError('Padding value causes wrapping around more than once.')


def pad(input, pad, mode='constant', value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``, last dim
    first. Modes: constant (negative pads crop), reflect, replicate, circular.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.pad(numtorch.ones(1, 2), (1, 1))
    tensor([[0., 1., 1., 0.]])
    """
    if len(pad) % 2:
        raise RuntimeError('Padding length must be divisible by 2')
    a = input._data
    if len(pad) // 2 > a.ndim:
        raise RuntimeError(f'Padding length should be less than or equal to two times the input '
                           f'dimension but got padding length {len(pad)} and input of dimension '
                           f'{a.ndim}')
    pads = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        pads[a.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == 'constant':
        node = _ConstantPadNd()
        node._full_shape = a.shape
        _bind(node, a)
        out = _wrap(node.forward(a, pads, 0 if value is None else value))
        return _act._record(node, out, (input,))
    if mode not in ('reflect', 'replicate', 'circular'):
        raise NotImplementedError(f'Unsupported padding mode: {mode}')
    _check_mode_pad(a.shape, pads, len(pad) // 2, mode)
    node = _Pad()
    node._name = 'CopySlices' if mode == 'circular' else \
        {'reflect': 'ReflectionPad', 'replicate': 'ReplicationPad'}[mode] + f'{len(pad) // 2}DBackward0'
    _bind(node, a)
    out = _wrap(node.forward(a, pads, mode))
    return _act._record(node, out, (input,))


__all__ = ['relu', 'relu_', 'linear', 'bilinear', 'softmax', 'log_softmax', 'softmin', 'gelu',
           'silu', 'elu', 'selu', 'celu', 'leaky_relu', 'softplus', 'hardtanh', 'relu6', 'prelu',
           'threshold', 'hardshrink', 'softshrink', 'hardsigmoid', 'hardswish', 'mish',
           'logsigmoid', 'glu', 'sigmoid', 'tanh', 'softsign', 'tanhshrink', 'dropout',
           'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'normalize', 'one_hot', 'pad']

# Convolution, pooling, normalization and embedding ops (numtorch/_ops/nn/).
from .._ops.nn.conv import conv1d, conv2d, conv_transpose2d  # noqa: E402
from .._ops.nn.pool import (max_pool1d, max_pool2d, avg_pool1d, avg_pool2d,  # noqa: E402
                            adaptive_avg_pool2d, adaptive_max_pool2d)
from .._ops.nn.vision import interpolate, upsample_nearest  # noqa: E402
from .._ops.nn.norm import batch_norm, layer_norm, group_norm  # noqa: E402
from .._ops.nn.sparse import embedding  # noqa: E402
__all__ += ['conv1d', 'conv2d', 'conv_transpose2d', 'max_pool1d', 'max_pool2d', 'avg_pool1d',
            'avg_pool2d', 'adaptive_avg_pool2d', 'adaptive_max_pool2d', 'interpolate',
            'upsample_nearest', 'batch_norm', 'layer_norm', 'group_norm', 'embedding']
from .._ops.nn.losses import (cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss,  # noqa: E402
                         huber_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
                         kl_div)
__all__ += ['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'smooth_l1_loss', 'huber_loss',
            'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'kl_div']
from .._ops.nn.attention import scaled_dot_product_attention  # noqa: E402
__all__ += ['scaled_dot_product_attention']
from ._multi_head import (multi_head_attention_forward, _canonical_mask, _none_or_dtype,  # noqa: E402,F401
                          _mha_shape_check, _in_projection_packed, _in_projection)
__all__ += ['multi_head_attention_forward']

# 3-D and transposed convolution, 3-D/adaptive pooling, per-sample norms, patches, distances.
from .._ops.nn.conv_nd import conv3d, conv_transpose1d, conv_transpose3d  # noqa: E402
from .._ops.nn.pool import (max_pool3d, avg_pool3d, adaptive_avg_pool1d, adaptive_max_pool1d,  # noqa: E402
                            adaptive_avg_pool3d, adaptive_max_pool3d)
from .._ops.nn.norm import instance_norm, rms_norm, local_response_norm  # noqa: E402
from .._ops.nn.patches import pixel_shuffle, pixel_unshuffle, fold, unfold  # noqa: E402
from .._ops.nn.distance import cosine_similarity, pairwise_distance  # noqa: E402
__all__ += ['conv3d', 'conv_transpose1d', 'conv_transpose3d', 'max_pool3d', 'avg_pool3d',
            'adaptive_avg_pool1d', 'adaptive_max_pool1d', 'adaptive_avg_pool3d',
            'adaptive_max_pool3d', 'instance_norm', 'rms_norm', 'local_response_norm',
            'pixel_shuffle', 'pixel_unshuffle', 'fold', 'unfold', 'cosine_similarity',
            'pairwise_distance']
from .._ops.nn.losses_margin import (triplet_margin_loss, triplet_margin_with_distance_loss,  # noqa: E402
                                margin_ranking_loss, cosine_embedding_loss, hinge_embedding_loss,
                                soft_margin_loss, multilabel_soft_margin_loss, multi_margin_loss,
                                multilabel_margin_loss, poisson_nll_loss, gaussian_nll_loss)
__all__ += ['triplet_margin_loss', 'triplet_margin_with_distance_loss', 'margin_ranking_loss',
            'cosine_embedding_loss', 'hinge_embedding_loss', 'soft_margin_loss',
            'multilabel_soft_margin_loss', 'multi_margin_loss', 'multilabel_margin_loss',
            'poisson_nll_loss', 'gaussian_nll_loss']
from .._ops.nn.vision import grid_sample, affine_grid  # noqa: E402
__all__ += ['grid_sample', 'affine_grid']
from .._ops.nn.sparse import embedding_bag  # noqa: E402
from .._ops.nn.losses_ctc import ctc_loss  # noqa: E402
__all__ += ['embedding_bag', 'ctc_loss', 'gumbel_softmax']


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution over ``dim``: ``softmax((logits + g) / tau)``
    with Gumbel(0, 1) noise ``g``; ``hard=True`` returns one-hot samples whose gradient is the
    soft sample's (straight-through). Draws from numtorch's generator, so the noise differs from
    torch's for the same seed.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> y = F.gumbel_softmax(numtorch.zeros(2, 3), hard=True)
    >>> y.sum(-1)
    tensor([1., 1.])
    """
    import warnings
    if eps != 1e-10:
        warnings.warn('`eps` parameter is deprecated and has no effect.', stacklevel=2)
    from .. import _creation
    noise = -_creation.empty(*logits.shape, dtype=logits.dtype).exponential_().log()
    y_soft = ((logits + noise) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _creation.zeros(*logits.shape, dtype=logits.dtype).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft

# In-place activations and deprecated upsampling aliases (issue 13 audit).
from ._functional_aliases import (elu_, leaky_relu_, hardtanh_, threshold_, upsample,  # noqa: E402
                                  upsample_bilinear)
__all__ += ['elu_', 'leaky_relu_', 'hardtanh_', 'threshold_', 'upsample', 'upsample_bilinear']
