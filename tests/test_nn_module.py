"""nn.Module semantics vs torch: registration, traversal and de-duplication, state_dict and
load_state_dict (keys, sharing, error texts), hooks, modes, dtype casts, repr."""
from collections import OrderedDict
import copy

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn


def _both(build):
    """Build the same architecture with torch and numtorch; copy torch's weights across."""
    t = build(torch.nn)
    n = build(nn)
    n.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return n, t


def _norm(s):
    return s.replace('numtorch.', 'torch.')


def _compare_fwd_bwd(n, t, shape, seed=0, atol=1e-5):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = n(xn), t(xt)
    np.testing.assert_allclose(yn._data, yt.detach().numpy(), rtol=1e-5, atol=atol)
    assert (yn.grad_fn.name() if yn.grad_fn else None) == (yt.grad_fn.name() if yt.grad_fn else None)
    up = np.random.default_rng(seed + 1).standard_normal(yt.shape).astype(np.float32)
    yn.backward(numtorch.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xn.grad._data, xt.grad.numpy(), rtol=1e-5, atol=atol)
    tp = dict(t.named_parameters())
    for name, p in n.named_parameters():
        np.testing.assert_allclose(p.grad._data, tp[name].grad.numpy(), rtol=1e-5, atol=atol,
                                   err_msg=name)


class NestMLP:
    """The spec's NestMLP, for either library."""

    @staticmethod
    def build(m):
        class Nest(m.Module):
            def __init__(self):
                super().__init__()
                self.net = m.Sequential(m.Linear(20, 64), m.ReLU(), m.Linear(64, 32), m.ReLU())
                self.linear = m.Linear(32, 16)

            def forward(self, X):
                return self.linear(self.net(X))
        return Nest()


ARCHS = {
    'mlp': (lambda m: m.Sequential(m.Linear(20, 256), m.ReLU(), m.Linear(256, 10)), (2, 20)),
    'nest': (lambda m: m.Sequential(NestMLP.build(m), m.Linear(16, 20)), (3, 20)),
    'acts': (lambda m: m.Sequential(m.Linear(6, 8), m.GELU(), m.Linear(8, 8), m.SiLU(),
                                    m.Linear(8, 8), m.ELU(0.5), m.Linear(8, 8), m.LeakyReLU(0.1),
                                    m.Linear(8, 8), m.Softplus(), m.Linear(8, 8), m.Tanh(),
                                    m.Linear(8, 8), m.Sigmoid(), m.Linear(8, 8), m.Hardtanh(),
                                    m.Linear(8, 8), m.ReLU6(), m.PReLU(8), m.Linear(8, 4),
                                    m.LogSoftmax(dim=1)), (5, 6)),
    'softmax': (lambda m: m.Sequential(m.Flatten(), m.Linear(12, 5), m.Softmax(dim=-1)), (4, 3, 4)),
    'unflatten': (lambda m: m.Sequential(m.Linear(6, 8), m.Unflatten(1, (2, 4)), m.Linear(4, 3),
                                         m.Flatten(0, 1)), (5, 6)),
    'batched_linear': (lambda m: m.Sequential(m.Linear(4, 3), m.Identity(), m.Linear(3, 2, bias=False)),
                       (2, 5, 4)),
    'lazy': (lambda m: m.Sequential(m.Linear(3, 3), m.Dropout(0.0), m.Linear(3, 2)), (2, 3)),
}


@pytest.mark.parametrize('arch', list(ARCHS))
def test_architecture_matches_torch(arch):
    build, shape = ARCHS[arch]
    n, t = _both(build)
    assert _norm(repr(n)) == repr(t)
    assert list(n.state_dict().keys()) == list(t.state_dict().keys())
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in n.named_modules()] == [k for k, _ in t.named_modules()]
    _compare_fwd_bwd(n, t, shape)


def test_bilinear_matches_torch():
    n, t = _both(lambda m: m.Bilinear(3, 4, 5))
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 4)).astype(np.float32)
    yn, yt = n(numtorch.tensor(a), numtorch.tensor(b)), t(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(yn._data, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    yn.sum().backward(); yt.sum().backward()
    np.testing.assert_allclose(n.weight.grad._data, t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert repr(n) == repr(t)


def _tied(m):
    shared = m.Linear(8, 8)
    return m.Sequential(m.Linear(4, 8), m.ReLU(), shared, m.ReLU(), shared, m.ReLU(), m.Linear(8, 1))


def test_tied_parameters_like_torch():
    n, t = _both(_tied)
    # parameters()/named_parameters() de-duplicate; state_dict keeps every name
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert len(list(n.parameters())) == len(list(t.parameters())) == 6
    assert list(n.state_dict()) == list(t.state_dict())
    assert '4.weight' in n.state_dict()
    assert n[2].weight is n[4].weight
    assert n.state_dict()['2.weight'].data_ptr() == n.state_dict()['4.weight'].data_ptr()
    # the shared layer's grad is the sum of both uses' grads
    _compare_fwd_bwd(n, t, (2, 4))
    n[2].weight.data[0, 0] = 100
    assert n[4].weight.data[0, 0].item() == 100
    # load keeps them tied
    n.load_state_dict(n.state_dict())
    assert n[2].weight is n[4].weight


def test_shared_parameter_across_modules():
    for m, lib in ((nn, numtorch), (torch.nn, torch)):
        a, b = m.Linear(3, 3), m.Linear(3, 3)
        b.weight = a.weight
        net = m.Sequential(a, b)
        assert [k for k, _ in net.named_parameters()] == ['0.weight', '0.bias', '1.bias']
        assert list(net.state_dict()) == ['0.weight', '0.bias', '1.weight', '1.bias']


def test_named_parameters_remove_duplicate_false_and_prefix():
    n, t = _both(_tied)
    assert [k for k, _ in n.named_parameters(remove_duplicate=False)] == \
        [k for k, _ in t.named_parameters(remove_duplicate=False)]
    assert [k for k, _ in n.named_parameters(prefix='net')] == \
        [k for k, _ in t.named_parameters(prefix='net')]
    assert [k for k, _ in n.named_parameters(recurse=False)] == []
    assert [k for k, _ in n.named_modules(prefix='m')] == [k for k, _ in t.named_modules(prefix='m')]
    assert [k for k, _ in n.named_children()] == [k for k, _ in t.named_children()]


def test_state_dict_values_share_memory_and_are_detached():
    net = nn.Sequential(nn.Linear(2, 2))
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    w = sd['0.weight']
    assert type(w) is numtorch.Tensor and not w.requires_grad
    w[0, 0] = 7.0
    assert net[0].weight[0, 0].item() == 7.0
    kv = net.state_dict(keep_vars=True)
    assert kv['0.weight'] is net[0].weight
    assert list(net.state_dict(prefix='pre.')) == ['pre.0.weight', 'pre.0.bias']


def test_buffers_persistent_and_not():
    for m, lib in ((nn, numtorch), (torch.nn, torch)):
        mod = m.Module()
        mod.register_buffer('a', lib.zeros(2))
        mod.register_buffer('b', lib.ones(2), persistent=False)
        mod.c = m.Buffer(lib.ones(1))
        assert list(mod.state_dict()) == ['a', 'c']
        assert [k for k, _ in mod.named_buffers()] == ['a', 'b', 'c']
        assert type(mod.c) is lib.Tensor
        mod.a = lib.full((2,), 3.0)   # reassigning a buffer keeps it a buffer
        assert 'a' in mod._buffers


def test_load_state_dict_errors_match_torch_text():
    def check(build_dst, sd_src, strict=True):
        msgs = []
        for m, lib in ((nn, numtorch), (torch.nn, torch)):
            dst = build_dst(m)
            src = {k: lib.tensor(v) for k, v in sd_src.items()}
            with pytest.raises(RuntimeError) as e:
                dst.load_state_dict(src, strict=strict)
            msgs.append(_norm(str(e.value)))
        assert msgs[0] == msgs[1]
        return msgs[0]

    seq = lambda m: m.Sequential(m.Linear(3, 4), m.ReLU(), m.Linear(4, 1))
    good = {k: v.numpy() for k, v in seq(torch.nn).state_dict().items()}
    missing = dict(good); del missing['2.bias']
    text = check(seq, missing)
    assert text == 'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "2.bias". '
    extra = dict(good, **{'2.scale': np.ones(1, np.float32), '5.weight': np.ones(1, np.float32)})
    check(seq, extra)
    wrong = dict(good, **{'0.weight': np.ones((4, 5), np.float32)})
    text = check(seq, wrong)
    assert 'size mismatch for 0.weight: copying a param with shape torch.Size([4, 5]) from ' \
           'checkpoint, the shape in current model is torch.Size([4, 3]).' in text
    both = dict(wrong, x=np.ones(1, np.float32)); del both['0.bias']
    check(seq, both)
    check(seq, dict(wrong), strict=False)   # shape errors raise even when not strict


def test_load_state_dict_returns_incompatible_keys():
    net = nn.Sequential(nn.Linear(2, 2))
    r = net.load_state_dict({'0.weight': numtorch.ones(2, 2), 'zz': numtorch.ones(1)}, strict=False)
    assert r.missing_keys == ['0.bias'] and r.unexpected_keys == ['zz']
    t = torch.nn.Sequential(torch.nn.Linear(2, 2))
    rt = t.load_state_dict({'0.weight': torch.ones(2, 2), 'zz': torch.ones(1)}, strict=False)
    assert repr(r) == repr(rt)
    assert repr(net.load_state_dict(net.state_dict())) == '<All keys matched successfully>'
    missing, unexpected = r
    assert missing == ['0.bias']


def test_load_state_dict_copies_in_place():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    w = b.weight
    b.load_state_dict(a.state_dict())
    assert b.weight is w and w.requires_grad
    np.testing.assert_array_equal(w._data, a.weight._data)
    assert not np.shares_memory(w._data, a.weight._data)
    b.load_state_dict({'weight': numtorch.ones(2, 3, dtype=numtorch.float64), 'bias': numtorch.zeros(2)})
    assert b.weight.dtype == numtorch.float32   # cast into the existing parameter, as torch


def test_setattr_registration_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(numtorch.ones(2))
    m.sub = nn.Linear(1, 1)
    m.plain = numtorch.ones(1)
    assert list(m._parameters) == ['w'] and list(m._modules) == ['sub']
    assert 'plain' in m.__dict__
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'w'"):
        m.w = numtorch.ones(2)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.w = None
    assert m.w is None and 'w' in m._parameters
    m.sub = nn.Parameter(numtorch.ones(1))   # re-registers as a parameter
    assert 'sub' in m._parameters and 'sub' not in m._modules
    del m.sub
    assert 'sub' not in m._parameters
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(KeyError, match='module name can'):
        m.add_module('a.b', nn.ReLU())
    with pytest.raises(TypeError, match='is not a Module subclass'):
        m.add_module('x', 3)

    class Early(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(numtorch.ones(1))
    with pytest.raises(AttributeError, match='cannot assign parameters before Module.__init__'):
        Early()


def test_register_parameter_and_non_leaf_refused():
    m = nn.Module()
    x = numtorch.ones(2, requires_grad=True)
    with pytest.raises(TypeError):
        m.register_parameter('p', x * 2)
    m.register_parameter('p', None)
    assert list(m.named_parameters()) == []


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_apply_order_children_first():
    for m in (nn, torch.nn):
        order = []
        net = m.Sequential(m.Linear(1, 1), m.Sequential(m.ReLU()))
        assert net.apply(lambda mod: order.append(type(mod).__name__)) is net
        if m is nn:
            got = order
        else:
            assert got == order
    assert got == ['Linear', 'ReLU', 'Sequential', 'Sequential']


def test_train_eval_and_dropout():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    assert net.training and net[1].training
    assert net.eval() is net and not net[1].training
    x = numtorch.ones(3, 4)
    np.testing.assert_array_equal(net(x)._data, net[0](x)._data)
    net.train()
    assert net[1].training
    with pytest.raises(ValueError, match='training mode is expected to be boolean'):
        net.train(1)


def test_requires_grad_and_zero_grad():
    net = nn.Linear(2, 2)
    net(numtorch.ones(1, 2)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.weight.grad is not None and not net.weight.grad._data.any()
    net.zero_grad()
    assert net.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_keeps_parameter_identity():
    net = nn.Sequential(nn.Linear(2, 2))
    w = net[0].weight
    net.register_buffer('steps', numtorch.tensor(3))
    assert net.to(numtorch.float64) is net
    assert w.dtype == numtorch.float64 and net[0].weight is w and isinstance(w, nn.Parameter)
    assert net.steps.dtype == numtorch.int64     # only floating tensors are cast
    net.float()
    assert w.dtype == numtorch.float32
    net.to('cpu')
    net.double()
    assert net[0].bias.dtype == numtorch.float64
    y = net(numtorch.ones(1, 2, dtype=numtorch.float64))
    assert y.dtype == numtorch.float64
    with pytest.raises(TypeError, match='floating point or complex dtypes'):
        net.to(numtorch.int64)


def test_get_submodule_and_parameter():
    net = nn.Sequential(nn.Sequential(nn.Linear(2, 3)))
    assert net.get_submodule('0.0') is net[0][0]
    assert net.get_parameter('0.0.bias') is net[0][0].bias
    with pytest.raises(AttributeError):
        net.get_submodule('0.5')


def test_dir_lists_registered_names():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)
            self.register_buffer('buf', numtorch.zeros(1))
    d = dir(M())
    assert 'fc' in d and 'buf' in d and 'forward' in d


def test_deepcopy_preserves_structure_and_ties():
    net = _tied(nn)
    c = copy.deepcopy(net)
    assert c[2].weight is c[4].weight and c[2].weight is not net[2].weight
    np.testing.assert_array_equal(c[2].weight._data, net[2].weight._data)
    assert isinstance(c[2].weight, nn.Parameter)


def test_forward_hooks_like_torch():
    log = {}
    for m, lib in ((nn, numtorch), (torch.nn, torch)):
        calls = []
        lin = m.Linear(2, 2)
        h1 = lin.register_forward_pre_hook(lambda mod, args: calls.append('pre') or (args[0] * 0,))
        h2 = lin.register_forward_hook(lambda mod, args, out: calls.append('post'))
        h3 = lin.register_forward_hook(lambda mod, args, out: calls.append('first'), prepend=True)
        h4 = lin.register_forward_hook(lambda mod, args, kwargs, out: out * 0 + 5, with_kwargs=True)
        y = lin(lib.ones(1, 2))
        assert y.tolist() == [[5.0, 5.0]]
        for h in (h1, h2, h3, h4):
            h.remove()
        lin(lib.ones(1, 2))
        log[m] = calls
    assert log[nn] == log[torch.nn] == ['pre', 'first', 'post']


def test_full_backward_hook_like_torch():
    results = []
    for m, lib in ((nn, numtorch), (torch.nn, torch)):
        lin = m.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1., 2., 3.], [4., 5., 6.]]))
        seen = []

        def hook(mod, gin, gout):
            seen.append(([None if g is None else g.tolist() for g in gin], [g.tolist() for g in gout]))
            return (gin[0] * 2,)
        lin.register_full_backward_hook(hook)
        x = lib.ones(2, 3, requires_grad=True)
        out = lin(x)
        out.sum().backward()
        results.append((seen, x.grad.tolist(), lin.weight.grad.tolist()))
        # without any input requiring grad the hook still runs, with grad_input None
        seen2 = []
        lin2 = m.Linear(3, 2)
        lin2.register_full_backward_hook(lambda mod, gi, go: seen2.append(gi))
        lin2(lib.ones(1, 3)).sum().backward()
        results.append(seen2)
    assert results[0] == results[2]
    assert results[1] == results[3] == [(None,)]


def test_full_backward_pre_hook_can_scale_grad_output():
    lin = nn.Linear(2, 1)
    lin.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 3,))
    x = numtorch.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad._data, 3 * lin.weight._data)


def test_parameter_basics():
    p = nn.Parameter(numtorch.tensor([1.0, 2.0]))
    assert type(p) is nn.Parameter and isinstance(p, numtorch.Tensor)
    assert str(type(p)) == "<class 'numtorch.nn.parameter.Parameter'>"
    assert p.requires_grad and p.is_leaf
    assert repr(p) == 'Parameter containing:\n' + repr(p.detach()).replace(')', ', requires_grad=True)')
    assert repr(nn.Parameter(numtorch.ones(1), requires_grad=False)) == \
        'Parameter containing:\ntensor([1.])'
    assert type(p * 2) is numtorch.Tensor
    assert type(p.data) is numtorch.Tensor
    t = numtorch.zeros(2)
    q = nn.Parameter(t)
    t[0] = 5
    assert q[0].item() == 5    # shares memory with the data it wraps
    with pytest.raises(RuntimeError, match='floating point'):
        nn.Parameter(numtorch.tensor([1, 2]))
    assert nn.Parameter(numtorch.tensor([1, 2]), requires_grad=False).dtype == numtorch.int64


def test_lazy_linear():
    numtorch.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    assert repr(net[0]) == 'LazyLinear(in_features=0, out_features=8, bias=True)'
    ps = list(net.parameters())
    assert len(ps) == 4 and all(isinstance(p, nn.UninitializedParameter) for p in ps)
    assert repr(ps[0]) == '<UninitializedParameter>'
    with pytest.raises(ValueError, match='uninitialized parameter'):
        ps[0] * 2
    with pytest.raises(ValueError, match='uninitialized parameter'):
        ps[0].shape
    y = net(numtorch.rand(3, 5))
    assert tuple(y.shape) == (3, 2)
    assert type(net[0]) is nn.Linear and net[0].in_features == 5
    assert repr(net[0]) == 'Linear(in_features=5, out_features=8, bias=True)'
    assert type(net[0].weight) is nn.Parameter and tuple(net[0].weight.shape) == (8, 5)
    assert abs(net[0].weight._data).max() <= 1 / np.sqrt(5)
    y.sum().backward()
    assert net[2].weight.grad is not None
    # torch agrees on the structure
    t = torch.nn.Sequential(torch.nn.LazyLinear(8), torch.nn.ReLU(), torch.nn.LazyLinear(2))
    t(torch.rand(3, 5))
    assert repr(t) == repr(net)


def test_lazy_linear_load_state_dict():
    src = nn.Linear(4, 3)
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(src.state_dict())
    out = lazy(numtorch.ones(1, 4))
    np.testing.assert_allclose(out._data, src(numtorch.ones(1, 4))._data)
    assert lazy.in_features == 4


def test_half_and_type_cast():
    net = nn.Linear(2, 2).half()
    assert net.weight.dtype == numtorch.float16


@pytest.mark.parametrize('modname', [
    'numtorch.nn.parameter', 'numtorch.nn.functional', 'numtorch.nn.init',
    'numtorch.nn.modules.module', 'numtorch.nn.modules.container', 'numtorch.nn.modules.linear',
    'numtorch.nn.modules.activation', 'numtorch.nn.modules.dropout', 'numtorch.nn.modules.flatten',
    'numtorch.nn.modules.lazy', 'numtorch.nn.modules._hooks', 'numtorch._ops.nn.activations'])
def test_docstring_examples_run(modname):
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(modname))
    assert res.failed == 0 and res.attempted > 0


def test_forgetting_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            pass

        def forward(self, x):
            return x
    with pytest.raises(AttributeError, match='super\\(\\).__init__\\(\\)'):
        Bad()(1)


def test_deepcopy_grad_like_torch():
    # torch: a deep-copied Parameter (and so a deep-copied Module) has no .grad; a deep-copied
    # plain leaf Tensor keeps a copy of its .grad.
    for lib in (numtorch, torch):
        lin = lib.nn.Linear(2, 2)
        lin(lib.ones(1, 2)).sum().backward()
        leaf = lib.ones(2, requires_grad=True)
        (leaf * 2).sum().backward()
        c, cl = copy.deepcopy(lin), copy.deepcopy(leaf)
        assert lin.weight.grad is not None and c.weight.grad is None and c.bias.grad is None
        assert isinstance(c.weight, lib.nn.Parameter) and c.weight.requires_grad
        assert cl.grad is not None and cl.grad is not leaf.grad
        assert cl.grad.tolist() == [2.0, 2.0]
