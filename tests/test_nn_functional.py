"""nn.functional ops vs torch: forward values, gradients, float64 finite differences (opcheck)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from numtorch.nn import functional as F
from errcheck import same_error
from opcheck import Op, parametrize, check_op


def _f(name, **kw):
    """The same functional call on numtorch (m is numtorch) and torch."""
    return lambda m, *xs: (F if m is numtorch else TF).__dict__[name](*xs, **kw)


S = [((2, 3),), ((4,),), ((2, 3, 4),), ((),)]

OPS = [
    Op('relu', _f('relu'), S),
    Op('linear', _f('linear'), [((2, 4), (3, 4), (3,)), ((4,), (3, 4), (3,)),
                                ((5, 2, 4), (3, 4), (3,)), ((0, 4), (3, 4), (3,))]),
    Op('linear_nobias', _f('linear'), [((2, 4), (3, 4)), ((5, 2, 4), (3, 4)), ((4,), (3, 4))]),
    Op('bilinear', _f('bilinear'), [((3, 2), (3, 4), (5, 2, 4), (5,)), ((2, 3, 2), (2, 3, 4), (5, 2, 4))]),
    Op('softmax0', _f('softmax', dim=0), S[:3]),
    Op('softmax-1', _f('softmax', dim=-1), S[:3]),
    Op('log_softmax1', _f('log_softmax', dim=1), [((2, 3),), ((2, 3, 4),)]),
    Op('log_softmax-1', _f('log_softmax', dim=-1), S[:3]),
    Op('softmin', _f('softmin', dim=1), [((2, 3),)]),
    Op('gelu', _f('gelu'), S),
    Op('gelu_tanh', _f('gelu', approximate='tanh'), S),
    Op('silu', _f('silu'), S),
    Op('elu', _f('elu', alpha=0.7), S),
    Op('selu', _f('selu'), S),
    Op('celu', _f('celu', alpha=1.3), S, tol=dict(rtol=1e-7)),  # torch: float32 1/alpha
    Op('leaky_relu', _f('leaky_relu', negative_slope=0.2), S),
    Op('softplus', _f('softplus', beta=2.0, threshold=3.0), S),
    Op('hardtanh', _f('hardtanh', min_val=-0.5, max_val=0.8), S),
    Op('relu6', _f('relu6'), S, domain=(-8, 8)),
    Op('threshold', _f('threshold', threshold=0.1, value=2.0), S),
    Op('hardshrink', _f('hardshrink', lambd=0.3), S),
    Op('softshrink', _f('softshrink', lambd=0.3), S),
    Op('hardsigmoid', _f('hardsigmoid'), S, domain=(-5, 5), tol=dict(rtol=1e-7)),  # torch: float32 1/6
    Op('hardswish', _f('hardswish'), S, domain=(-5, 5)),
    Op('mish', _f('mish'), S),
    Op('logsigmoid', _f('logsigmoid'), S, domain=(-30, 30)),
    Op('softsign', _f('softsign'), S),
    Op('tanhshrink', _f('tanhshrink'), S),
    Op('glu', _f('glu', dim=-1), [((2, 4),), ((3, 2, 6),)]),
    Op('prelu1', _f('prelu'), [((2, 3), (1,)), ((2, 3, 4), (1,))]),
    Op('prelu_ch', _f('prelu'), [((2, 3), (3,)), ((2, 3, 4, 2), (3,))]),
    Op('pad_const', lambda m, x: (F if m is numtorch else TF).pad(x, (1, 2), value=0.5),
       [((2, 3),), ((2, 3, 4),)]),
    Op('pad_const2d', lambda m, x: (F if m is numtorch else TF).pad(x, (1, 2, 0, 1)),
       [((2, 3, 4),)]),
    Op('pad_crop', lambda m, x: (F if m is numtorch else TF).pad(x, (-1, 2)), [((2, 4),)]),
    Op('pad_reflect', lambda m, x: (F if m is numtorch else TF).pad(x, (2, 1), mode='reflect'),
       [((2, 3, 4),)]),
    Op('pad_replicate', lambda m, x: (F if m is numtorch else TF).pad(x, (2, 1, 1, 1), mode='replicate'),
       [((1, 2, 3, 4),)]),
    Op('pad_circular', lambda m, x: (F if m is numtorch else TF).pad(x, (2, 1), mode='circular'),
       [((1, 2, 4),)]),
    Op('normalize', _f('normalize'), [((2, 3),), ((2, 3, 4),)]),
    Op('sigmoid', _f('sigmoid'), S),
    Op('tanh', _f('tanh'), S),
    Op('softmax_torch_level', lambda m, x: m.softmax(x, 1), [((2, 3),)]),
    Op('softmax_method', lambda m, x: x.log_softmax(-1), [((2, 3),)]),
]


@parametrize(OPS)
def test_functional_vs_torch(op, shapes, dt):
    check_op(op, shapes, dt)


@pytest.mark.parametrize('name,call', [
    ('linear', lambda m, x, w, b: (F if m is numtorch else TF).linear(x, w, b)),
    ('softmax', lambda m, x, w, b: (F if m is numtorch else TF).softmax(x, 1)),
    ('log_softmax', lambda m, x, w, b: (F if m is numtorch else TF).log_softmax(x, 1)),
    ('gelu', lambda m, x, w, b: (F if m is numtorch else TF).gelu(x)),
    ('elu', lambda m, x, w, b: (F if m is numtorch else TF).elu(x)),
    ('relu6', lambda m, x, w, b: (F if m is numtorch else TF).relu6(x)),
    ('prelu', lambda m, x, w, b: (F if m is numtorch else TF).prelu(x, b[:1])),
    ('leaky_relu', lambda m, x, w, b: (F if m is numtorch else TF).leaky_relu(x)),
    ('softplus', lambda m, x, w, b: (F if m is numtorch else TF).softplus(x)),
    ('silu', lambda m, x, w, b: (F if m is numtorch else TF).silu(x)),
    ('hardtanh', lambda m, x, w, b: (F if m is numtorch else TF).hardtanh(x)),
])
def test_grad_fn_names(name, call):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s).astype(np.float32) for s in ((2, 4), (3, 4), (3,))]
    n = call(numtorch, *[numtorch.tensor(a, requires_grad=True) for a in arrs])
    t = call(torch, *[torch.tensor(a, requires_grad=True) for a in arrs])
    assert n.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize('shape', [(2, 4), (4,), (5, 2, 4)])
@pytest.mark.parametrize('bias', [True, False])
def test_linear_grad_fn_name_by_rank(shape, bias):
    x = np.ones(shape, np.float32)
    w, b = np.ones((3, 4), np.float32), np.ones(3, np.float32)
    n = F.linear(numtorch.tensor(x), numtorch.tensor(w, requires_grad=True),
                 numtorch.tensor(b) if bias else None)
    t = TF.linear(torch.tensor(x), torch.tensor(w, requires_grad=True),
                  torch.tensor(b) if bias else None)
    assert n.grad_fn.name() == t.grad_fn.name()


def test_linear_errors_match_torch():
    same_error(lambda m: m.nn.functional.linear(m.ones(2, 5), m.ones(3, 4)))
    same_error(lambda m: m.nn.functional.linear(m.ones(2, 4), m.ones(3, 4, dtype=m.float64)))


def test_softmax_implicit_dim_warns_and_matches_torch():
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match='Implicit dimension choice for softmax'):
        n = F.softmax(numtorch.tensor(x))
    with pytest.warns(UserWarning):
        t = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(n._data, t.numpy(), rtol=1e-6)


def test_softmax_extreme_values_stable():
    x = numtorch.tensor([[1000., 0., -1000.]])
    assert np.isfinite(F.softmax(x, 1)._data).all()
    np.testing.assert_allclose(F.log_softmax(x, 1)._data,
                               TF.log_softmax(torch.tensor([[1000., 0., -1000.]]), 1).numpy())


def test_softmax_dtype_argument():
    x = numtorch.tensor([[1., 2.]])
    assert F.softmax(x, 1, dtype=numtorch.float64).dtype == numtorch.float64


def test_dropout_train_and_eval():
    numtorch.manual_seed(0)
    x = numtorch.ones(10000, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = set(np.unique(y._data).tolist())
    assert vals <= {0.0, np.float32(1 / 0.7)}
    assert abs((y._data == 0).mean() - 0.3) < 0.03
    assert y.grad_fn.name() == 'MulBackward0'
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, y._data)   # grad = mask / (1 - p)
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0)._data == 0).all()
    with pytest.raises(ValueError, match='dropout probability has to be between 0 and 1, but got 1.5'):
        F.dropout(x, 1.5)


def test_dropout2d_zeroes_whole_channels():
    numtorch.manual_seed(0)
    y = F.dropout2d(numtorch.ones(8, 16, 3, 3), 0.5)
    per_channel = y._data.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


def test_one_hot_matches_torch():
    idx = [0, 2, 1, 2]
    np.testing.assert_array_equal(F.one_hot(numtorch.tensor(idx))._data,
                                  TF.one_hot(torch.tensor(idx)).numpy())
    assert F.one_hot(numtorch.tensor(idx), 5).dtype == numtorch.int64
    assert tuple(F.one_hot(numtorch.tensor([[0, 1]]), 3).shape) == (1, 2, 3)
    with pytest.raises(RuntimeError, match='Class values must be smaller than num_classes'):
        F.one_hot(numtorch.tensor([3]), 3)


def test_inplace_activation_returns_same_tensor():
    x = numtorch.tensor([-1., 2.])
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x._data, [0., 2.])
    y = numtorch.tensor([-1., 2.])
    F.leaky_relu(y, 0.5, inplace=True)
    np.testing.assert_array_equal(y._data, [-0.5, 2.])


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError):
        F.gelu(numtorch.ones(2), approximate='fast')
