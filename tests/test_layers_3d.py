"""Issue 13 layers vs torch: 3-D convolution/pooling, 1-D/3-D adaptive pooling, instance/RMS/
local-response norms, padding modes, pixel shuffle, fold/unfold, Tensor.unfold, distances.
Forward values, gradients (same upstream gradient) and float64 finite differences via opcheck;
modules: repr, state_dict keys, forward equal to torch's with the same weights."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from numtorch.nn import functional as F
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=1e-4, atol=1e-4)    # float32 sums of up to ~100 products


def _f(name, **kw):
    """The same functional call on numtorch (m is numtorch) and torch."""
    return lambda m, *xs: getattr(F if m is numtorch else TF, name)(*xs, **kw)


def _op(name, cases, **kw):
    return Op(name, _f(name.split('-')[0], **kw), cases, tol=TOL)


OPS = [
    _op('conv3d', [((2, 3, 4, 5, 4), (4, 3, 2, 3, 2), (4,)), ((2, 3, 3, 3), (2, 2, 2, 2, 2))]),
    _op('conv3d-args', [((2, 4, 5, 6, 5), (6, 2, 2, 3, 2), (6,))], stride=(2, 1, 2),
        padding=(1, 0, 1), dilation=(2, 1, 1), groups=2),
    _op('conv3d-same', [((1, 2, 4, 4, 3), (3, 2, 2, 3, 2))], padding='same'),
    _op('conv_transpose1d', [((2, 4, 7), (4, 3, 3), (3,)), ((2, 3), (2, 2, 2))], stride=2,
        padding=1, output_padding=1),
    _op('conv_transpose1d-groups', [((2, 4, 6), (4, 2, 3), (4,))], groups=2, dilation=2),
    _op('conv_transpose3d', [((2, 4, 3, 4, 3), (4, 3, 3, 2, 3), (6,)),
                             ((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (2,))],
        stride=(2, 2, 1), padding=(1, 0, 1), output_padding=(1, 1, 0), groups=2),
    _op('conv_transpose3d-dil', [((4, 3, 4, 3), (4, 3, 2, 2, 3))], stride=3, padding=1,
        dilation=(2, 1, 1)),
    _op('max_pool3d', [((2, 3, 4, 4, 6),), ((3, 4, 4, 4),)], kernel_size=2),
    _op('max_pool3d-args', [((2, 2, 5, 6, 7),)], kernel_size=(2, 3, 2), stride=(1, 2, 2),
        padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True, return_indices=True),
    _op('avg_pool3d', [((2, 3, 4, 4, 6),), ((3, 4, 4, 4),)], kernel_size=2),
    _op('avg_pool3d-args', [((2, 2, 5, 6, 7),)], kernel_size=(2, 3, 2), stride=(1, 2, 2),
        padding=(1, 1, 0), ceil_mode=True),
    _op('avg_pool3d-nocount', [((2, 2, 5, 6, 7),)], kernel_size=3, stride=2, padding=1,
        ceil_mode=True, count_include_pad=False),
    _op('avg_pool3d-divisor', [((1, 2, 4, 4, 4),)], kernel_size=2, divisor_override=3),
    _op('adaptive_avg_pool1d', [((2, 3, 7),), ((3, 5),)], output_size=3),
    _op('adaptive_max_pool1d', [((2, 3, 7),), ((3, 5),)], output_size=3, return_indices=True),
    _op('adaptive_avg_pool3d', [((2, 2, 5, 6, 7),), ((2, 3, 4, 5),)], output_size=(2, None, 3)),
    _op('adaptive_max_pool3d', [((2, 2, 5, 6, 7),)], output_size=(2, 4, 3), return_indices=True),
    _op('instance_norm', [((2, 3, 5),), ((2, 3, 4, 4),), ((1, 2, 2, 3, 2),)]),
    Op('instance_norm-affine', lambda m, x, w, b: (F if m is numtorch else TF).instance_norm(
        x, weight=w, bias=b, eps=1e-3), [((2, 3, 5), (3,), (3,))], tol=TOL),
    Op('rms_norm', lambda m, x, w: (F if m is numtorch else TF).rms_norm(x, (x.shape[-1],), w),
       [((2, 5), (5,)), ((3, 2, 4), (4,))], tol=TOL),
    Op('rms_norm-2d', lambda m, x: (F if m is numtorch else TF).rms_norm(x, x.shape[-2:], eps=1e-3),
       [((3, 2, 4),)], tol=TOL),
    _op('local_response_norm', [((2, 5, 3),), ((2, 4, 3, 3),)], size=3, alpha=0.1, beta=0.6, k=2.),
    _op('local_response_norm-even', [((2, 6, 2, 2, 2),)], size=2),
    _op('pad-reflect', [((2, 3, 6),)], pad=(2, 3), mode='reflect'),
    _op('pad-reflect2d', [((2, 3, 5, 6),)], pad=(1, 2, 3, 1), mode='reflect'),
    _op('pad-reflect3d', [((1, 2, 4, 3, 5),)], pad=(1, 2, 0, 1, 2, 1), mode='reflect'),
    _op('pad-replicate', [((2, 3, 4),), ((3, 4),)], pad=(1, 2), mode='replicate'),
    _op('pad-replicate3d', [((1, 2, 3, 3, 4),)], pad=(1, 2, 0, 1, 2, 1), mode='replicate'),
    _op('pad-circular', [((2, 3, 4, 5),)], pad=(1, 2, 2, 0), mode='circular'),
    _op('pad-constant', [((2, 3, 4, 5, 2),)], pad=(1, 2, 0, 1, -1, 1), value=0.5),
    Op('pixel_shuffle', lambda m, x: (F if m is numtorch else TF).pixel_shuffle(x, 2),
       [((2, 8, 3, 2),), ((2, 1, 8, 2, 2),)]),
    Op('pixel_unshuffle', lambda m, x: (F if m is numtorch else TF).pixel_unshuffle(x, 2),
       [((2, 3, 4, 6),), ((2, 4, 2),)]),
    _op('unfold', [((2, 3, 5, 6),), ((2, 4, 4),)], kernel_size=(2, 3)),
    _op('unfold-args', [((2, 2, 7, 6),)], kernel_size=2, dilation=(2, 1), padding=1, stride=2),
    Op('fold', lambda m, x: (F if m is numtorch else TF).fold(x, (4, 5), (2, 3)),
       [((2, 12, 9),), ((6, 9),)], tol=TOL),
    Op('fold-args', lambda m, x: (F if m is numtorch else TF).fold(
        x, (7, 6), 2, dilation=(2, 1), padding=1, stride=2), [((2, 8, 16),)], tol=TOL),
    Op('Tensor.unfold', lambda m, x: x.unfold(1, 3, 2), [((2, 7, 3),), ((3, 8),)]),
    Op('Tensor.unfold-neg', lambda m, x: x.unfold(-1, 2, 1), [((3, 4),), ((5,),)]),
    Op('cosine_similarity', lambda m, a, b: m.cosine_similarity(a, b),
       [((4, 5), (4, 5)), ((3, 4, 2), (4, 1))]),
    Op('cosine_similarity-dim', lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=-1,
                                                                                  eps=1e-3),
       [((4, 5), (5,))]),
    Op('pairwise_distance', lambda m, a, b: m.pairwise_distance(a, b),
       [((4, 5), (4, 5)), ((5,), (5,)), ((3, 4), (4,))]),
    Op('pairwise_distance-p', lambda m, a, b: m.nn.functional.pairwise_distance(
        a, b, p=1.5, eps=1e-3, keepdim=True), [((4, 5), (4, 5))]),
    Op('cdist', lambda m, a, b: m.cdist(a, b), [((4, 3), (5, 3)), ((2, 3, 4), (2, 2, 4))]),
    Op('cdist-p1', lambda m, a, b: m.cdist(a, b, p=1.0), [((4, 3), (5, 3))]),
    Op('cdist-p3', lambda m, a, b: m.cdist(a, b, p=3.0), [((4, 3), (5, 3))]),
    Op('cdist-mm', lambda m, a, b: m.cdist(a, b), [((30, 3), (4, 3))], gradcheck=False, tol=TOL),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


ERRORS = [
    lambda m: m.nn.functional.avg_pool3d(m.randn(2, 2, 4, 6, 4), (2, 1, 2), 1, 1),
    lambda m: m.nn.functional.conv3d(m.randn(2, 3, 4, 4, 4), m.randn(4, 2, 2, 2, 2)),
    lambda m: m.nn.functional.conv_transpose3d(m.randn(2, 3, 4, 4, 4), m.randn(4, 2, 2, 2, 2)),
    lambda m: m.nn.functional.rms_norm(m.randn(2, 3), (4,)),
    lambda m: m.nn.functional.instance_norm(m.randn(2, 3, 1)),
    lambda m: m.nn.functional.local_response_norm(m.randn(3, 4), 2),
    lambda m: m.nn.functional.pixel_shuffle(m.randn(1, 3, 2, 2), 2),
    lambda m: m.nn.functional.pixel_unshuffle(m.randn(1, 3, 3, 2), 2),
    lambda m: m.nn.functional.fold(m.randn(1, 12, 8), (4, 5), (2, 3)),
    lambda m: m.randn(3, 4).unfold(1, 5, 1),
    lambda m: m.cdist(m.randn(3, 4), m.randn(3, 5)),
    lambda m: m.nn.functional.pad(m.randn(1, 2, 3, 4, 2), (1, 2), mode='replicate'),
    lambda m: m.nn.functional.pad(m.randn(2, 3), (1, 2, 1, 1), mode='reflect'),
    lambda m: m.nn.functional.pad(m.randn(2, 3, 3), (3, 1), mode='reflect'),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])


def test_tensor_unfold_is_a_view():
    x = numtorch.arange(6.)
    w = x.unfold(0, 2, 2)
    x[0] = 10.
    assert w[0, 0].item() == 10.


def test_instance_norm_running_stats():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2, 5)).astype(np.float32)
    mods = numtorch.nn.InstanceNorm1d(2, track_running_stats=True, affine=True), \
        torch.nn.InstanceNorm1d(2, track_running_stats=True, affine=True)
    n, t = mods
    n(numtorch.tensor(a)), t(torch.tensor(a))
    for k in ('running_mean', 'running_var', 'num_batches_tracked'):
        np.testing.assert_allclose(n.state_dict()[k].numpy(), t.state_dict()[k].numpy(), rtol=1e-5)
    n.eval(), t.eval()
    np.testing.assert_allclose(n(numtorch.tensor(a)).detach().numpy(), t(torch.tensor(a)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- modules

MODULES = [
    'Conv3d(2, 4, 3, padding=1)', 'Conv3d(2, 4, (1, 2, 3), stride=2, bias=False)',
    "Conv3d(2, 4, 3, padding=1, padding_mode='reflect')",
    'ConvTranspose1d(4, 2, 3, stride=2)', 'ConvTranspose3d(4, 2, 2, stride=2, groups=2)',
    'MaxPool3d(2)', 'MaxPool3d((2, 3, 1), 1)', 'AvgPool3d(2)',
    'AvgPool3d((2, 3, 2), stride=1, padding=1, ceil_mode=True)', 'AdaptiveAvgPool1d(3)',
    'AdaptiveMaxPool1d(3)', 'AdaptiveAvgPool3d((2, None, 3))', 'AdaptiveMaxPool3d(2)',
    'BatchNorm3d(2)', 'InstanceNorm1d(3)', 'InstanceNorm2d(3, affine=True)',
    'InstanceNorm3d(2, track_running_stats=True)', 'RMSNorm(4)',
    'RMSNorm([3, 4], eps=1e-3, elementwise_affine=False)', 'LocalResponseNorm(2)',
    'ZeroPad1d(2)', 'ZeroPad2d((1, 1, 2, 0))', 'ZeroPad3d(1)', 'ConstantPad1d(2, 3.5)',
    'ConstantPad2d((1, 0, 2, 1), 1.0)', 'ConstantPad3d(1, -1.0)', 'ReflectionPad1d((1, 2))',
    'ReflectionPad2d(1)', 'ReflectionPad3d(1)', 'ReplicationPad1d(2)', 'ReplicationPad2d((1, 0, 2, 1))',
    'ReplicationPad3d(1)', 'CircularPad1d(1)', 'CircularPad2d(1)', 'CircularPad3d(1)',
    'PixelShuffle(2)', 'PixelUnshuffle(2)', 'Fold((4, 5), 2)', 'Unfold(2, stride=2)',
    'CosineSimilarity()', 'PairwiseDistance()',
]
INPUTS = {'Conv3d': (2, 2, 4, 5, 4), 'ConvTranspose1d': (2, 4, 5), 'ConvTranspose3d': (1, 4, 2, 3, 2),
          'MaxPool3d': (2, 2, 4, 6, 4), 'AvgPool3d': (2, 2, 4, 6, 4), 'AdaptiveAvgPool1d': (2, 2, 7),
          'AdaptiveMaxPool1d': (2, 2, 7), 'AdaptiveAvgPool3d': (2, 2, 5, 6, 7),
          'AdaptiveMaxPool3d': (2, 2, 5, 6, 7), 'BatchNorm3d': (3, 2, 2, 3, 2),
          'InstanceNorm1d': (2, 3, 5), 'InstanceNorm2d': (2, 3, 4, 4),
          'InstanceNorm3d': (2, 2, 3, 2, 3), 'RMSNorm': (2, 3, 4), 'LocalResponseNorm': (2, 4, 3, 3),
          'Pad1d': (2, 3, 5), 'Pad2d': (2, 3, 4, 5), 'Pad3d': (1, 2, 3, 4, 5),
          'PixelShuffle': (2, 8, 3, 3), 'PixelUnshuffle': (2, 2, 4, 6), 'Fold': (2, 8, 12),
          'Unfold': (2, 2, 4, 6), 'CosineSimilarity': (3, 4), 'PairwiseDistance': (3, 4)}


def _input_shape(name):
    for k, v in INPUTS.items():
        if name.startswith(k) or (k.startswith('Pad') and name.endswith(k)):
            return v
    raise KeyError(name)


@pytest.mark.parametrize('spec', MODULES)
def test_module(spec):
    """repr, state_dict keys and the forward with torch's weights loaded."""
    numtorch.manual_seed(0)
    n = eval('numtorch.nn.' + spec)
    t = eval('torch.nn.' + spec)
    assert repr(n) == repr(t)
    sd = t.state_dict()
    assert list(n.state_dict()) == list(sd)
    n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in sd.items()})
    name = spec.split('(')[0]
    a = np.random.default_rng(1).standard_normal(_input_shape(name)).astype(np.float32)
    args_n, args_t = [numtorch.tensor(a)], [torch.tensor(a)]
    if name in ('CosineSimilarity', 'PairwiseDistance'):
        args_n.append(numtorch.tensor(a[::-1].copy()))
        args_t.append(torch.tensor(a[::-1].copy()))
    out_n, out_t = n(*args_n), t(*args_t)
    np.testing.assert_allclose(out_n.detach().numpy(), out_t.detach().numpy(), **TOL)
    for k, v in t.state_dict().items():     # running stats updated the same way
        np.testing.assert_allclose(n.state_dict()[k].numpy(), v.numpy(), **TOL)


def test_conv_transpose3d_output_size():
    m = numtorch.nn.ConvTranspose3d(2, 2, 3, stride=2, padding=1)
    assert m(numtorch.randn(1, 2, 3, 3, 3), output_size=(6, 5, 6)).shape == (1, 2, 6, 5, 6)


def test_not_subclasses_of_other_dims():
    nn = numtorch.nn
    assert not isinstance(nn.ConvTranspose1d(2, 2, 2), nn.ConvTranspose2d)
    assert not isinstance(nn.AvgPool3d(2), nn.AvgPool2d)
    assert not isinstance(nn.AdaptiveAvgPool1d(2), nn.AdaptiveAvgPool2d)
