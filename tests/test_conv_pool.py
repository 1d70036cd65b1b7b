"""Convolution, pooling and nearest upsampling vs torch: forward, input/weight/bias gradients,
float64 finite differences (small cases), and torch's error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from numtorch.nn import functional as F
from errcheck import same_error
from opcheck import Op, assert_close, parametrize, check_op


def _f(name, **kw):
    """The same functional call on numtorch (m is numtorch) and torch."""
    return lambda m, *xs: (F if m is numtorch else TF).__dict__[name](*xs, **kw)


def _conv(name, cases, **kw):
    return Op(name, _f(name.split('-')[0], **kw), cases)   # opcheck scales float32 tolerances with the sums' length


OPS = [
    # conv2d: (input, weight[, bias]); the tiny float64 cases also run the finite-difference check
    _conv('conv2d', [((2, 3, 7, 6), (4, 3, 3, 3), (4,)), ((1, 2, 4, 4), (2, 2, 2, 2), (2,)),
                     ((3, 5, 5), (2, 3, 2, 2))]),
    _conv('conv2d-nobias', [((2, 3, 7, 6), (4, 3, 3, 3))]),
    _conv('conv2d-stride', [((2, 3, 9, 8), (4, 3, 3, 2), (4,)), ((1, 1, 5, 5), (2, 1, 2, 2), (2,))],
          stride=2),
    _conv('conv2d-stride-pad', [((2, 3, 9, 8), (4, 3, 3, 3), (4,))], stride=(2, 3), padding=(1, 2)),
    _conv('conv2d-dilation', [((2, 2, 9, 10), (3, 2, 3, 2), (3,)), ((1, 1, 5, 5), (2, 1, 2, 2))],
          dilation=(2, 1), padding=1),
    _conv('conv2d-stride-dil', [((2, 2, 11, 10), (3, 2, 3, 3), (3,))], stride=2, dilation=2),
    _conv('conv2d-groups', [((2, 4, 6, 6), (6, 2, 3, 3), (6,)), ((1, 2, 4, 4), (4, 1, 2, 2), (4,))],
          groups=2),
    _conv('conv2d-depthwise', [((2, 3, 6, 6), (3, 1, 3, 3), (3,))], groups=3, padding=1),
    _conv('conv2d-same', [((2, 3, 7, 6), (4, 3, 3, 3), (4,)), ((2, 2, 5, 6), (3, 2, 4, 2), (3,))],
          padding='same'),
    _conv('conv2d-same-dil', [((1, 2, 7, 6), (3, 2, 2, 3), (3,))], padding='same', dilation=2),
    _conv('conv2d-valid', [((2, 3, 7, 6), (4, 3, 3, 3), (4,))], padding='valid'),
    _conv('conv2d-lenet', [((4, 1, 28, 28), (6, 1, 5, 5), (6,))], padding=2),
    _conv('conv1d', [((2, 3, 10), (4, 3, 3), (4,)), ((2, 2, 6), (3, 2, 2), (3,)),
                     ((3, 10), (4, 3, 3), (4,))]),
    _conv('conv1d-args', [((2, 4, 17), (6, 2, 3), (6,))], stride=2, padding=2, dilation=2, groups=2),
    _conv('conv1d-same', [((2, 3, 10), (4, 3, 4), (4,))], padding='same'),
    _conv('conv_transpose2d', [((2, 4, 5, 6), (4, 3, 3, 3), (3,)), ((1, 2, 3, 3), (2, 2, 2, 2), (2,)),
                               ((4, 5, 6), (4, 3, 3, 3), (3,))]),
    _conv('conv_transpose2d-stride', [((2, 4, 5, 6), (4, 3, 3, 3), (3,)),
                                      ((1, 2, 3, 3), (2, 2, 2, 2), (2,))],
          stride=2, padding=1, output_padding=1),
    _conv('conv_transpose2d-mixed', [((2, 4, 5, 6), (4, 3, 3, 2), (3,))],
          stride=(2, 3), padding=(0, 1), dilation=(1, 2), output_padding=(1, 0)),
    _conv('conv_transpose2d-groups', [((2, 4, 5, 6), (4, 3, 3, 3), (6,))], groups=2, stride=2),
    _conv('conv_transpose2d-dil-op', [((2, 2, 4, 5), (2, 3, 3, 3))], dilation=2, output_padding=1),
    # pooling
    Op('max_pool2d', _f('max_pool2d', kernel_size=2), [((2, 3, 8, 6),), ((1, 2, 4, 4),), ((3, 5, 4),)]),
    Op('max_pool2d-idx', _f('max_pool2d', kernel_size=3, stride=2, padding=1, return_indices=True),
       [((2, 3, 9, 8),), ((1, 1, 5, 5),)]),
    Op('max_pool2d-dil-ceil', _f('max_pool2d', kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1),
                                 ceil_mode=True, return_indices=True), [((2, 2, 9, 7),)]),
    Op('max_pool2d-ceil-pad', _f('max_pool2d', kernel_size=2, stride=2, padding=1, ceil_mode=True),
       [((2, 2, 7, 7),), ((1, 1, 4, 5),)]),
    Op('avg_pool2d', _f('avg_pool2d', kernel_size=2), [((2, 3, 8, 6),), ((1, 2, 4, 4),), ((3, 5, 4),)]),
    Op('avg_pool2d-odd', _f('avg_pool2d', kernel_size=2), [((2, 3, 7, 5),)]),
    Op('avg_pool2d-overlap', _f('avg_pool2d', kernel_size=3, stride=2, padding=1),
       [((2, 3, 9, 8),), ((1, 1, 5, 5),)]),
    Op('avg_pool2d-nopad-count', _f('avg_pool2d', kernel_size=3, stride=2, padding=1,
                                    count_include_pad=False), [((2, 3, 9, 8),)]),
    Op('avg_pool2d-ceil', _f('avg_pool2d', kernel_size=2, stride=2, padding=1, ceil_mode=True),
       [((2, 2, 7, 7),), ((1, 1, 4, 5),)]),
    Op('avg_pool2d-ceil-nocount', _f('avg_pool2d', kernel_size=3, stride=2, padding=1,
                                     ceil_mode=True, count_include_pad=False), [((2, 2, 8, 7),)]),
    Op('avg_pool2d-divisor', _f('avg_pool2d', kernel_size=2, divisor_override=3), [((2, 2, 6, 6),)]),
    Op('max_pool1d', _f('max_pool1d', kernel_size=3, stride=2, padding=1, return_indices=True),
       [((2, 3, 9),), ((3, 8),)]),
    Op('avg_pool1d', _f('avg_pool1d', kernel_size=3, stride=2, padding=1), [((2, 3, 9),), ((3, 8),)]),
    Op('adaptive_avg_pool2d', _f('adaptive_avg_pool2d', output_size=(3, 2)),
       [((2, 3, 7, 5),), ((1, 2, 6, 4),), ((3, 5, 4),)]),
    Op('adaptive_avg_pool2d-1', _f('adaptive_avg_pool2d', output_size=1), [((2, 3, 7, 5),)]),
    Op('adaptive_avg_pool2d-none', _f('adaptive_avg_pool2d', output_size=(None, 3)), [((2, 3, 4, 7),)]),
    Op('adaptive_avg_pool2d-up', _f('adaptive_avg_pool2d', output_size=(5, 6)), [((1, 2, 3, 4),)]),
    Op('adaptive_max_pool2d', _f('adaptive_max_pool2d', output_size=(3, 2), return_indices=True),
       [((2, 3, 7, 5),), ((1, 2, 6, 4),), ((3, 5, 4),)]),
    Op('interpolate-x2', _f('interpolate', scale_factor=2), [((2, 3, 4, 5),), ((1, 1, 3, 3),), ((2, 3, 5),)]),
    Op('interpolate-size', _f('interpolate', size=(5, 7)), [((2, 3, 4, 3),), ((1, 1, 3, 3),)]),
    Op('interpolate-down', _f('interpolate', size=(3, 2)), [((2, 3, 7, 5),)]),
    Op('interpolate-frac', _f('interpolate', scale_factor=(1.5, 0.7)), [((2, 3, 4, 10),)]),
    Op('interpolate-recompute', _f('interpolate', scale_factor=1.7, recompute_scale_factor=True),
       [((1, 2, 5, 3),)]),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_grad_fn_names():
    x = numtorch.randn(1, 2, 6, 6, requires_grad=True)
    w = numtorch.randn(3, 2, 3, 3, requires_grad=True)
    assert F.conv2d(x, w).grad_fn.name() == 'ConvolutionBackward0'
    assert F.conv1d(x[:, :, 0], w[:, :, 0]).grad_fn.name() == 'ConvolutionBackward0'
    assert F.max_pool2d(x, 2).grad_fn.name() == 'MaxPool2DWithIndicesBackward0'
    assert F.avg_pool2d(x, 2).grad_fn.name() == 'AvgPool2DBackward0'
    assert F.adaptive_avg_pool2d(x, 2).grad_fn.name() == 'AdaptiveAvgPool2DBackward0'
    assert F.adaptive_max_pool2d(x, 2).grad_fn.name() == 'AdaptiveMaxPool2DBackward0'
    assert F.interpolate(x, scale_factor=2).grad_fn.name() == 'UpsampleNearest2DBackward0'


def test_torch_level_names():
    x = numtorch.randn(1, 2, 6, 6)
    w = numtorch.randn(3, 2, 3, 3)
    assert numtorch.conv2d is F.conv2d and numtorch.max_pool2d is F.max_pool2d
    assert not hasattr(numtorch.Tensor, 'conv2d')
    assert numtorch.conv2d(x, w).shape == (1, 3, 4, 4)


def test_no_input_grad_when_not_needed():
    # The first layer of a network: only the weight gets a gradient.
    x = numtorch.randn(2, 1, 8, 8)
    w = numtorch.randn(3, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 1, 3, 3)


def test_nan_propagates_in_max_pool():
    a = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    a[0, 0, 1, 1] = np.nan
    a[0, 0, 3, 2] = np.nan
    n = F.max_pool2d(numtorch.tensor(a), 2, return_indices=True)
    t = TF.max_pool2d(torch.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(n[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(n[1].numpy(), t[1].numpy())


@pytest.mark.parametrize('kw', [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool_ties_pick_first_like_torch(kw):
    # ReLU outputs are full of equal zeros: indices and gradients must follow torch's tie rule.
    a = np.maximum(np.random.default_rng(3).integers(-3, 3, (2, 3, 7, 6)), 0).astype(np.float32)
    xn, xt = numtorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    n = F.max_pool2d(xn, return_indices=True, **kw)
    t = TF.max_pool2d(xt, return_indices=True, **kw)
    np.testing.assert_array_equal(n[0].detach().numpy(), t[0].detach().numpy())
    np.testing.assert_array_equal(n[1].numpy(), t[1].numpy())
    n[0].sum().backward()
    t[0].sum().backward()
    np.testing.assert_array_equal(xn.grad.numpy(), xt.grad.numpy())


CONV_ERRORS = [
    lambda m: m.nn.functional.conv2d(m.randn(2, 3), m.randn(6, 3, 3, 3)),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 4, 3, 3)),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 9, 9)),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), padding='same', stride=2),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), padding='bogus'),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3).double()),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), m.randn(5)),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), m.randn(6).double()),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(5, 1, 3, 3), groups=3),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), stride=0),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), padding=-1),
    lambda m: m.nn.functional.conv2d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3, 3), stride=(1, 2, 3)),
    lambda m: m.nn.functional.conv1d(m.randn(2, 3, 8, 8), m.randn(6, 3, 3)),
    lambda m: m.nn.functional.conv_transpose2d(m.randn(2, 3, 8, 8), m.randn(3, 2, 3, 3), stride=2,
                                               output_padding=2),
    lambda m: m.nn.functional.conv_transpose2d(m.randn(2, 3, 8, 8), m.randn(4, 2, 3, 3)),
    lambda m: m.nn.functional.max_pool2d(m.randn(2, 3, 8, 8), 2, padding=2),
    lambda m: m.nn.functional.max_pool2d(m.randn(2, 3, 8, 8), 2, stride=0),
    lambda m: m.nn.functional.max_pool2d(m.randn(2, 3, 8, 8), 9),
    lambda m: m.nn.functional.max_pool2d(m.randn(8, 8), 2),
    lambda m: m.nn.functional.max_pool2d(m.randn(2, 3, 7, 7), 2, dilation=0),
    lambda m: m.nn.functional.avg_pool2d(m.randn(2, 3, 8, 8), 2, padding=2),
    lambda m: m.nn.functional.adaptive_avg_pool2d(m.randn(8, 8), 2),
    lambda m: m.nn.functional.interpolate(m.randn(2, 3, 8, 8)),
    lambda m: m.nn.functional.interpolate(m.randn(2, 3, 8, 8), size=3, scale_factor=2),
]


@pytest.mark.parametrize('i', range(len(CONV_ERRORS)))
def test_errors(i):
    same_error(CONV_ERRORS[i])


def test_lenet_shapes_float32():
    # The shapes LeNet trains on, float32 end to end (no float64 upcast).
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    w = (rng.standard_normal((6, 1, 5, 5)) * 0.2).astype(np.float32)
    out = F.avg_pool2d(F.conv2d(numtorch.tensor(x), numtorch.tensor(w), padding=2), 2)
    ref = TF.avg_pool2d(TF.conv2d(torch.tensor(x), torch.tensor(w), padding=2), 2)
    assert out.dtype == numtorch.float32 and out.shape == (8, 6, 14, 14)
    assert_close(out.numpy(), ref.numpy(), 'float32', 25)     # 1 channel x 5 x 5 per output


# ----------------------------------------------------------------- modules

REPRS = [
    "Conv2d(1, 6, 5, padding=2)", "Conv2d(6, 16, 5)",
    "Conv2d(3, 8, (3, 1), stride=2, padding=(1, 0), dilation=2, bias=False, padding_mode='reflect')",
    "Conv2d(4, 4, 3, groups=2, padding='same')", "Conv2d(4, 4, 3, padding='valid')",
    "Conv1d(3, 5, 3)", "Conv1d(3, 6, 3, stride=2, padding=1, dilation=2, groups=3, bias=False)",
    "ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)",
    "ConvTranspose2d(4, 2, 3, dilation=2, groups=2, bias=False)",
    "MaxPool2d(2)", "MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)",
    "MaxPool2d((2, 3), stride=(1, 2))", "AvgPool2d(2)", "AvgPool2d((2, 3))",
    "AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False, divisor_override=2)",
    "AdaptiveAvgPool2d((1, 1))", "AdaptiveAvgPool2d(7)", "AdaptiveAvgPool2d((None, 3))",
    "AdaptiveMaxPool2d(2)", "AdaptiveMaxPool2d((2, 3), return_indices=True)", "MaxPool1d(2)",
    "AvgPool1d(3, 2)", "BatchNorm2d(6)", "BatchNorm2d(4, bias=False)",
    "BatchNorm1d(120, momentum=None, affine=False, track_running_stats=False)",
    "BatchNorm1d(4, eps=1e-3)", "LayerNorm(5)", "LayerNorm((3, 4), elementwise_affine=False)",
    "LayerNorm(5, bias=False)", "GroupNorm(2, 4)", "GroupNorm(2, 4, affine=False, eps=1e-3)",
    "Embedding(10, 3)", "Embedding(10, 3, padding_idx=-1)",
    "Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)",
    "Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='nearest')",
    "Upsample(scale_factor=(2.0, 1.5))", "UpsamplingNearest2d(scale_factor=2)",
    "CrossEntropyLoss(label_smoothing=0.1)", "NLLLoss()", "MSELoss()", "L1Loss()",
    "SmoothL1Loss(beta=0.5)", "HuberLoss()", "BCELoss()", "BCEWithLogitsLoss()", "KLDivLoss()",
    "Sequential(M.Conv2d(1, 6, kernel_size=5, padding=2), M.Sigmoid(), M.AvgPool2d(kernel_size=2, "
    "stride=2), M.Conv2d(6, 16, kernel_size=5), M.BatchNorm2d(16), M.Flatten())",
]


@pytest.mark.parametrize('spec', REPRS)
def test_module_repr(spec):
    assert repr(eval('M.' + spec, {'M': numtorch.nn})) == repr(eval('M.' + spec, {'M': torch.nn}))


def _same_weights(nt, th):
    nt.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in th.state_dict().items()})


@pytest.mark.parametrize('spec,shape', [
    ("Conv2d(3, 4, 3, padding=1)", (2, 3, 6, 5)),
    ("Conv2d(3, 4, 3, padding=(1, 2), padding_mode='reflect')", (2, 3, 6, 5)),
    ("Conv2d(3, 6, 3, padding=1, padding_mode='replicate', groups=3)", (2, 3, 6, 5)),
    ("Conv2d(3, 4, 2, padding='same', padding_mode='circular')", (2, 3, 6, 5)),
    ("Conv1d(3, 4, 3, stride=2, padding=1, padding_mode='reflect')", (2, 3, 9)),
    ("ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)", (2, 3, 4, 5)),
])
def test_conv_modules_match_torch(spec, shape):
    th = eval('M.' + spec, {'M': torch.nn})
    nt = eval('M.' + spec, {'M': numtorch.nn})
    assert [p.shape for p in nt.parameters()] == [tuple(p.shape) for p in th.parameters()]
    _same_weights(nt, th)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    on, ot = nt(xn), th(xt)
    k = on.numel()      # the weight gradient sums over every output position
    assert_close(on.detach().numpy(), ot.detach().numpy(), 'float32', k)
    on.sum().backward()
    ot.sum().backward()
    assert_close(xn.grad.numpy(), xt.grad.numpy(), 'float32', k)
    assert_close(nt.weight.grad.numpy(), th.weight.grad.numpy(), 'float32', k)


def test_conv_transpose_output_size():
    th = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    nt = numtorch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = np.ones((1, 2, 4, 4), np.float32)
    assert nt(numtorch.tensor(x), output_size=[8, 8]).shape == th(torch.tensor(x), output_size=[8, 8]).shape


def test_conv_default_init_bounds():
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    m = numtorch.nn.Conv2d(6, 16, 5)
    bound = 1 / np.sqrt(6 * 25)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound and w.std() > 0.5 * bound


@pytest.mark.parametrize('spec', ["MaxPool2d(3, 2, 1, ceil_mode=True)", "AvgPool2d(2)",
                                  "AdaptiveAvgPool2d((2, 3))", "AdaptiveMaxPool2d(2)",
                                  "Upsample(scale_factor=2)", "MaxPool1d(2)", "AvgPool1d(3, 2)"])
def test_pool_modules_match_torch(spec):
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6)).astype(np.float32)
    if '1d' in spec:
        x = x[:, :, 0]
    on = eval('M.' + spec, {'M': numtorch.nn})(numtorch.tensor(x))
    ot = eval('M.' + spec, {'M': torch.nn})(torch.tensor(x))
    np.testing.assert_allclose(on.numpy(), ot.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('dt', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('k', [2, (3, 2), (1, 2), (2, 3)])
def test_avg_pool_tiling_backward_bits_as_torch(dt, k):
    # tiling 2-wide windows spread each gradient value over its pair by an integer multiply of
    # its bits (pool._spread_pairs): the same bits as torch's, infinities and NaNs included
    kh, kw = (k, k) if isinstance(k, int) else k
    x = np.random.default_rng(0).standard_normal((2, 3, 3 * kh, 4 * kw)).astype(dt)
    g = np.random.default_rng(1).standard_normal((2, 3, 3, 4)).astype(dt)
    g[0, 0, 0, :2] = np.inf, np.nan
    g[1, 2, 2, 3] = -np.inf
    grads = []
    for m in (numtorch, torch):
        xt = m.tensor(x, requires_grad=True)
        m.nn.functional.avg_pool2d(xt, k).backward(m.tensor(g))
        grads.append(xt.grad.numpy())
    assert grads[0].dtype == grads[1].dtype
    np.testing.assert_array_equal(grads[0], grads[1])


def test_avg_pool_tiling_backward_on_the_stand_in():
    from devicecheck import same
    from numtorch.testing import stand_in
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 8)).astype(np.float32)
    grads = []
    with stand_in.enabled():
        for dev in ('cpu', 'cuda'):
            xt = numtorch.tensor(x, device=dev, requires_grad=True)
            F.avg_pool2d(xt, 2).backward(numtorch.ones(2, 3, 3, 4, device=dev))
            grads.append(xt.grad)
        assert grads[1].is_cuda
        same([grads[0]], [grads[1]])
