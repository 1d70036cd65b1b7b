"""Containers vs torch: Sequential's list API, ModuleList/ModuleDict, ParameterList/Dict, and
every layer's repr."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn


def _names(mod):
    return [type(m).__name__ for m in mod]


def _norm(s):
    return s.replace('numtorch.', 'torch.')


def _seq_ops(m):
    """The same sequence of list operations on either library's Sequential."""
    s = m.Sequential(m.Linear(1, 2), m.ReLU(), m.Linear(2, 3))
    out = [repr(s), len(s), type(s[-1]).__name__, type(s[1:]).__name__, _names(s[::2])]
    s.append(m.Tanh())
    s.insert(1, m.Sigmoid())
    s.insert(-1, m.GELU())
    s.extend([m.Identity(), m.SiLU()])
    out.append(repr(s))
    popped = s.pop(2)
    out.append(type(popped).__name__)
    del s[0]
    s[0] = m.ELU()
    del s[1:3]
    out += [repr(s), list(s._modules), _names(iter(s))]
    s2 = s + m.Sequential(m.ReLU())
    out.append(repr(s2))
    s += m.Sequential(m.Tanh())
    out.append(repr(s))
    out.append(repr(m.Sequential(m.ReLU()) * 2))
    od = m.Sequential(OrderedDict([('fc', m.Linear(2, 2)), ('act', m.ReLU())]))
    out += [repr(od), type(od.fc).__name__, repr(od[0:1])]
    return out


def test_sequential_list_api_like_torch():
    got, want = _seq_ops(nn), _seq_ops(torch.nn)
    for g, w in zip(got, want):
        assert g == w


def test_sequential_index_errors():
    s = nn.Sequential(nn.ReLU())
    with pytest.raises(IndexError, match='index 3 is out of range'):
        s[3]
    with pytest.raises(IndexError):
        s[-2]
    assert s[-1] is s[0]


def test_sequential_forward_and_empty():
    s = nn.Sequential()
    x = numtorch.ones(2)
    assert s(x) is x
    assert repr(s) == repr(torch.nn.Sequential()) == 'Sequential()'


def _mlist_ops(m):
    ml = m.ModuleList([m.Linear(2, 2) for _ in range(3)])
    ml.append(m.ReLU())
    ml.extend([m.ReLU(), m.Tanh()])
    ml.insert(0, m.Sigmoid())
    out = [repr(ml), len(ml), type(ml[-1]).__name__, repr(ml[1:3])]
    ml[0] = m.GELU()
    del ml[1]
    out += [repr(ml), list(ml._modules), len(list(ml.parameters()))]
    out.append(repr(m.ModuleList()))
    out.append(repr(m.ModuleList([m.ReLU(), m.ReLU(), m.Linear(1, 1), m.ReLU()])))
    return out


def test_modulelist_like_torch():
    assert _mlist_ops(nn) == _mlist_ops(torch.nn)
    with pytest.raises(TypeError, match='should be called with an iterable'):
        nn.ModuleList().extend(nn.ReLU())


def _mdict_ops(m):
    md = m.ModuleDict({'lin': m.Linear(2, 2), 'act': m.ReLU()})
    md['out'] = m.Linear(2, 1)
    md.update([('x', m.Tanh())])
    out = [repr(md), list(md.keys()), len(md), 'act' in md, type(md['lin']).__name__]
    md.pop('act')
    del md['x']
    out += [repr(md), [k for k, _ in md.named_parameters()]]
    return out


def test_moduledict_like_torch():
    assert _mdict_ops(nn) == _mdict_ops(torch.nn)


def _plist_ops(m, lib):
    pl = m.ParameterList([m.Parameter(lib.ones(2)), lib.zeros(2, 3, dtype=lib.float64)])
    pl.append(m.Parameter(lib.ones(1)))
    out = [repr(pl), len(pl), type(pl[1]).__name__, [k for k, _ in pl.named_parameters()],
           pl[1].requires_grad]
    pl[0] = m.Parameter(lib.ones(4))
    out.append(repr(pl))
    out.append(len(pl[0:2]))
    return [_norm(str(o)) for o in out]


def test_parameterlist_like_torch():
    assert _plist_ops(nn, numtorch) == _plist_ops(torch.nn, torch)


def _pdict_ops(m, lib):
    pd = m.ParameterDict({'a': m.Parameter(lib.ones(2)), 'b': lib.zeros(3)})
    pd['c'] = m.Parameter(lib.ones(1, 2))
    out = [repr(pd), list(pd.keys()), type(pd['b']).__name__, 'a' in pd, len(pd),
           [k for k, _ in pd.named_parameters()]]
    pd.pop('a')
    out.append(repr(pd))
    pd2 = m.ParameterDict({'only': m.Parameter(lib.ones(2))})
    out.append(repr(pd2))
    return [_norm(str(o)) for o in out]


def test_parameterdict_like_torch():
    assert _pdict_ops(nn, numtorch) == _pdict_ops(torch.nn, torch)


def test_containers_register_parameters_for_training():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
            self.heads = nn.ModuleDict({'a': nn.Linear(3, 1)})
            self.scales = nn.ParameterList([nn.Parameter(numtorch.ones(3))])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x) * self.scales[0]
            return self.heads['a'](x)
    net = Net()
    assert len(list(net.parameters())) == 7
    net(numtorch.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


LAYERS = [
    lambda m: m.Linear(3, 4), lambda m: m.Linear(3, 4, bias=False), lambda m: m.Bilinear(2, 3, 4),
    lambda m: m.Identity(), lambda m: m.Flatten(), lambda m: m.Flatten(0, 2),
    lambda m: m.Unflatten(1, (2, 2)), lambda m: m.Dropout(), lambda m: m.Dropout(0.2, True),
    lambda m: m.Dropout1d(), lambda m: m.Dropout2d(0.1), lambda m: m.Dropout3d(), lambda m: m.AlphaDropout(),
    lambda m: m.ReLU(), lambda m: m.ReLU(inplace=True), lambda m: m.ReLU6(), lambda m: m.LeakyReLU(),
    lambda m: m.LeakyReLU(0.2, True), lambda m: m.ELU(), lambda m: m.ELU(0.5, True), lambda m: m.CELU(),
    lambda m: m.SELU(), lambda m: m.GELU(), lambda m: m.GELU('tanh'), lambda m: m.SiLU(),
    lambda m: m.SiLU(True), lambda m: m.Mish(), lambda m: m.Sigmoid(), lambda m: m.Tanh(),
    lambda m: m.Softmax(), lambda m: m.Softmax(dim=1), lambda m: m.Softmin(1), lambda m: m.LogSoftmax(1),
    lambda m: m.Softmax2d(), lambda m: m.Softplus(), lambda m: m.Softplus(2, 10), lambda m: m.Hardtanh(),
    lambda m: m.Hardtanh(-2, 2), lambda m: m.Hardswish(), lambda m: m.Hardsigmoid(),
    lambda m: m.LogSigmoid(), lambda m: m.Softsign(), lambda m: m.Tanhshrink(), lambda m: m.Threshold(0.1, 20),
    lambda m: m.Hardshrink(), lambda m: m.Softshrink(0.3), lambda m: m.GLU(), lambda m: m.PReLU(),
    lambda m: m.PReLU(3, 0.1), lambda m: m.LazyLinear(3),
]


@pytest.mark.parametrize('i', range(len(LAYERS)))
def test_layer_repr_matches_torch(i):
    assert repr(LAYERS[i](nn)) == repr(LAYERS[i](torch.nn))


@pytest.mark.parametrize('name,shape', [('ReLU6', (2, 3)), ('Softmax2d', (1, 2, 3, 3)),
                                        ('Hardswish', (2, 3)), ('GLU', (2, 4)), ('Mish', (2, 3)),
                                        ('LogSigmoid', (2, 3)), ('Softsign', (2, 3)),
                                        ('Tanhshrink', (2, 3)), ('CELU', (2, 3)), ('SELU', (2, 3))])
def test_activation_layers_forward_backward(name, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 3
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = getattr(nn, name)()(xn), getattr(torch.nn, name)()(xt)
    np.testing.assert_allclose(yn._data, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    yn.sum().backward(); yt.sum().backward()
    np.testing.assert_allclose(xn.grad._data, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
