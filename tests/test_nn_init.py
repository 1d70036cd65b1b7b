"""nn.init: statistics over large tensors against torch's formulas; gains and fans equal to
torch's; Linear's default initialization bounds."""
import math
import warnings

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn


@pytest.mark.parametrize('nl,param', [('linear', None), ('conv2d', None), ('sigmoid', None),
                                      ('tanh', None), ('relu', None), ('leaky_relu', None),
                                      ('leaky_relu', 0.2), ('leaky_relu', 3), ('selu', None),
                                      ('conv_transpose3d', None)])
def test_calculate_gain_equals_torch(nl, param):
    assert nn.init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match='Unsupported nonlinearity gelu'):
        nn.init.calculate_gain('gelu')
    with pytest.raises(ValueError, match='negative_slope True not a valid number'):
        nn.init.calculate_gain('leaky_relu', True)


@pytest.mark.parametrize('shape', [(3, 5), (4, 3, 2), (8, 4, 3, 3), (2, 3, 1, 2, 2)])
def test_fans_equal_torch(shape):
    assert nn.init._calculate_fan_in_and_fan_out(numtorch.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match='fewer than 2 dimensions'):
        nn.init.xavier_uniform_(numtorch.empty(5))
    with pytest.raises(ValueError, match='Mode fan_avg not supported'):
        nn.init.kaiming_uniform_(numtorch.empty(3, 3), mode='fan_avg')


def _stats(t):
    d = t._data.astype(np.float64)
    return d.mean(), d.std(), d.min(), d.max()


N = (400, 500)   # 200k samples: mean/std within ~1% of the formula


def test_uniform_and_normal_statistics():
    numtorch.manual_seed(0)
    m, s, lo, hi = _stats(nn.init.uniform_(numtorch.empty(*N), -10, 10))
    assert lo >= -10 and hi < 10 and abs(m) < 0.1 and abs(s - 20 / math.sqrt(12)) < 0.05
    m, s, _, _ = _stats(nn.init.normal_(numtorch.empty(*N), mean=2, std=0.01))
    assert abs(m - 2) < 1e-3 and abs(s - 0.01) < 2e-4


@pytest.mark.parametrize('gain', [1.0, 2.0])
def test_xavier_statistics(gain):
    numtorch.manual_seed(1)
    fan_in, fan_out = N[1], N[0]
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    m, s, lo, hi = _stats(nn.init.xavier_uniform_(numtorch.empty(*N), gain=gain))
    bound = math.sqrt(3) * std
    assert -bound <= lo and hi <= bound and abs(s - std) / std < 0.01 and abs(m) < 0.01 * std * 10
    m, s, _, _ = _stats(nn.init.xavier_normal_(numtorch.empty(*N), gain=gain))
    assert abs(s - std) / std < 0.01


@pytest.mark.parametrize('a,mode,nl', [(0, 'fan_in', 'relu'), (math.sqrt(5), 'fan_in', 'leaky_relu'),
                                       (0.1, 'fan_out', 'leaky_relu'), (0, 'fan_in', 'tanh')])
def test_kaiming_statistics(a, mode, nl):
    numtorch.manual_seed(2)
    shape = (200, 50, 2, 2)
    fan = 50 * 4 if mode == 'fan_in' else 200 * 4
    std = torch.nn.init.calculate_gain(nl, a) / math.sqrt(fan)
    t = nn.init.kaiming_uniform_(numtorch.empty(*shape), a=a, mode=mode, nonlinearity=nl)
    m, s, lo, hi = _stats(t)
    assert -math.sqrt(3) * std <= lo and hi <= math.sqrt(3) * std and abs(s - std) / std < 0.01
    m, s, _, _ = _stats(nn.init.kaiming_normal_(numtorch.empty(*shape), a=a, mode=mode, nonlinearity=nl))
    assert abs(s - std) / std < 0.01


def test_kaiming_on_empty_warns_and_is_noop():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        t = nn.init.kaiming_uniform_(numtorch.empty(0, 3))
    assert t.shape == (0, 3) and 'zero-element' in str(w[0].message)


def test_trunc_normal_statistics_match_torch_formula():
    numtorch.manual_seed(3)
    t = nn.init.trunc_normal_(numtorch.empty(*N), mean=0.5, std=1.0, a=-1.0, b=2.0)
    m, s, lo, hi = _stats(t)
    ref = torch.nn.init.trunc_normal_(torch.empty(*N), mean=0.5, std=1.0, a=-1.0, b=2.0).double()
    assert lo >= -1 and hi <= 2
    assert abs(m - ref.mean().item()) < 0.01 and abs(s - ref.std().item()) < 0.01


def test_constant_ones_zeros_eye_dirac_like_torch():
    assert nn.init.constant_(numtorch.empty(2, 3), 0.3).tolist() == \
        torch.nn.init.constant_(torch.empty(2, 3), 0.3).tolist()
    assert nn.init.ones_(numtorch.empty(2)).tolist() == [1.0, 1.0]
    assert nn.init.zeros_(numtorch.ones(2)).tolist() == [0.0, 0.0]
    assert nn.init.eye_(numtorch.empty(3, 4)).tolist() == torch.nn.init.eye_(torch.empty(3, 4)).tolist()
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 1, 3, 3), 1)]:
        assert nn.init.dirac_(numtorch.empty(*shape), groups).tolist() == \
            torch.nn.init.dirac_(torch.empty(*shape), groups).tolist()
    with pytest.raises(ValueError, match='Only tensors with 2 dimensions are supported'):
        nn.init.eye_(numtorch.empty(2, 2, 2))


@pytest.mark.parametrize('shape', [(6, 4), (4, 6), (3, 2, 2)])
def test_orthogonal(shape):
    w = nn.init.orthogonal_(numtorch.empty(*shape), gain=2.0)._data.reshape(shape[0], -1).astype(np.float64)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_sparse_zero_fraction_per_column():
    numtorch.manual_seed(4)
    w = nn.init.sparse_(numtorch.empty(10, 30), sparsity=0.3, std=0.01)._data
    assert ((w == 0).sum(0) >= 3).all()
    assert abs(w[w != 0].std() - 0.01) < 0.003


def test_init_overwrites_parameters_without_recording():
    lin = nn.Linear(4, 3)
    out = nn.init.normal_(lin.weight, 0, 0.01)
    assert out is lin.weight and out.grad_fn is None and out.requires_grad
    nn.init.zeros_(lin.bias)
    assert lin.bias.tolist() == [0.0, 0.0, 0.0]


def test_generator_makes_init_reproducible():
    a = nn.init.uniform_(numtorch.empty(5), generator=numtorch.Generator().manual_seed(7))
    b = nn.init.uniform_(numtorch.empty(5), generator=numtorch.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()


def test_linear_default_init_bounds_and_spread():
    numtorch.manual_seed(5)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight._data, lin.bias._data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): std = bound / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) / (bound / math.sqrt(3)) < 0.01
    tw = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert abs(w.std() - tw.std()) / tw.std() < 0.02


def test_bilinear_and_prelu_init():
    bl = nn.Bilinear(16, 3, 4)
    assert np.abs(bl.weight._data).max() <= 1 / 4
    assert nn.PReLU(3, init=0.1).weight.tolist() == pytest.approx([0.1] * 3)
