"""batch_norm (train and eval, running-stat updates), layer_norm, group_norm and embedding vs
torch: forward, gradients, float64 finite differences, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from numtorch.nn import functional as F
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=1e-4, atol=1e-5)


def _f(name, *args, **kw):
    """``name(x, *args, *rest, **kw)`` on numtorch or torch: ``args`` go after the input."""
    return lambda m, x, *xs: (F if m is numtorch else TF).__dict__[name](x, *args, *xs, **kw)


def _bn(training, momentum=0.1, eps=1e-5):
    """batch_norm(x, weight, bias) with fresh running stats of the input's dtype."""
    def fn(m, x, *wb):
        C = x.shape[1]
        on = {'dtype': x.dtype, 'device': x.device}   # the stats live with the input
        rm = m.zeros(C, **on)
        rv = m.ones(C, **on)
        if not training:   # non-trivial running stats for eval mode
            rm = m.arange(C, **on) * 0.1
            rv = m.arange(C, **on) * 0.5 + 0.5
        w, b = (wb + (None, None))[:2]
        return m.nn.functional.batch_norm(x, rm, rv, w, b, training, momentum, eps)
    return fn


OPS = [
    Op('batch_norm-train', _bn(True), [((4, 3),), ((4, 3), (3,), (3,)), ((2, 3, 4, 5), (3,), (3,)),
                                       ((3, 2, 5), (2,), (2,)), ((2, 2, 3, 3), (2,), (2,))], tol=TOL),
    Op('batch_norm-eval', _bn(False), [((4, 3),), ((2, 3, 4, 5), (3,), (3,)), ((3, 2, 5), (2,), (2,))],
       tol=TOL),
    Op('batch_norm-eps', _bn(True, eps=0.1), [((5, 2, 3), (2,), (2,))], tol=TOL),
    Op('layer_norm', _f('layer_norm', (5,)),
       [((3, 5),), ((2, 4, 5), (5,), (5,)), ((5,), (5,), (5,)), ((3, 5), (5,))], tol=TOL),
    Op('layer_norm-2d', _f('layer_norm', (3, 4)),
       [((2, 3, 4), (3, 4), (3, 4)), ((2, 2, 3, 4),)], tol=TOL),
    Op('group_norm', _f('group_norm', 2),
       [((2, 4, 3, 3), (4,), (4,)), ((3, 6), (6,), (6,)), ((2, 4, 5),), ((1, 4, 2, 2), (4,), (4,))],
       tol=TOL),
    Op('group_norm-1', _f('group_norm', 1), [((2, 3, 4), (3,), (3,))], tol=TOL),
    Op('group_norm-c', _f('group_norm', 3), [((2, 3, 4), (3,), (3,))], tol=TOL),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


@pytest.mark.parametrize('momentum', [0.1, 0.3])
@pytest.mark.parametrize('shape', [(6, 3), (4, 3, 5, 2)])
def test_batch_norm_running_stats(momentum, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32) * 3 + 1
    stats = {}
    for m, f in ((numtorch, F), (torch, TF)):
        rm, rv = m.zeros(shape[1]), m.ones(shape[1])
        v0 = rm._version
        for _ in range(3):   # momentum updates accumulate in place
            f.batch_norm(m.tensor(x), rm, rv, training=True, momentum=momentum)
        stats[m] = rm.numpy().copy(), rv.numpy().copy(), rm._version - v0
    for a, b in zip(stats[numtorch][:2], stats[torch][:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert stats[numtorch][2] == stats[torch][2] == 0   # torch's kernel does not bump it


def test_batch_norm_no_running_stats():
    x = np.random.default_rng(2).standard_normal((5, 3, 2)).astype(np.float64)
    n = F.batch_norm(numtorch.tensor(x), None, None, training=True)
    t = TF.batch_norm(torch.tensor(x), None, None, training=True)
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)


def test_grad_fn_names():
    x = numtorch.randn(4, 3, 2, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == 'NativeBatchNormBackward0'
    assert F.layer_norm(x, (2,)).grad_fn.name() == 'NativeLayerNormBackward0'
    assert F.group_norm(x, 3).grad_fn.name() == 'NativeGroupNormBackward0'
    w = numtorch.randn(5, 2, requires_grad=True)
    assert F.embedding(numtorch.tensor([1, 2]), w).grad_fn.name() == 'EmbeddingBackward0'


@pytest.mark.parametrize('kw', [{}, {'padding_idx': 1}, {'padding_idx': -2},
                                {'scale_grad_by_freq': True}])
@pytest.mark.parametrize('dt', ['float32', 'float64'])
def test_embedding(kw, dt):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 3)).astype(dt)
    idx = np.array([[1, 2, 1], [5, 0, 1]])
    up = rng.standard_normal((2, 3, 3)).astype(dt)
    nw, tw = numtorch.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    n = F.embedding(numtorch.tensor(idx), nw, **kw)
    t = TF.embedding(torch.tensor(idx), tw, **kw)
    np.testing.assert_array_equal(n.detach().numpy(), t.detach().numpy())
    n.backward(numtorch.tensor(up))
    t.backward(torch.tensor(up))
    np.testing.assert_allclose(nw.grad.numpy(), tw.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_embedding_max_norm():
    w = np.random.default_rng(4).standard_normal((5, 4)) * 3
    nw, tw = numtorch.tensor(w), torch.tensor(w)
    idx = [0, 2, 2]
    n = F.embedding(numtorch.tensor(idx), nw, max_norm=1.0)
    t = TF.embedding(torch.tensor(idx), tw, max_norm=1.0)
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-10)
    np.testing.assert_allclose(nw.numpy(), tw.numpy(), rtol=1e-10)   # renormalized in place


def test_embedding_gradcheck():
    w = numtorch.randn(4, 3, dtype=numtorch.float64, requires_grad=True)
    idx = numtorch.tensor([[0, 3], [3, 1]])
    assert numtorch.autograd.gradcheck(lambda w: F.embedding(idx, w, padding_idx=2), (w,))


ERRORS = [
    lambda m: m.nn.functional.batch_norm(m.randn(1, 5), m.zeros(5), m.ones(5), training=True),
    lambda m: m.nn.functional.batch_norm(m.randn(2, 5), None, None, training=False),
    lambda m: m.nn.functional.batch_norm(m.randn(2, 5), m.zeros(4), m.ones(5)),
    lambda m: m.nn.functional.batch_norm(m.randn(2, 5), m.zeros(5), m.ones(5), m.ones(4)),
    lambda m: m.nn.functional.batch_norm(m.randn(2, 5, 3), m.zeros(5), m.ones(5).double()),
    lambda m: m.nn.functional.layer_norm(m.randn(2, 3), (5,)),
    lambda m: m.nn.functional.layer_norm(m.randn(2, 3), (3,), m.ones(4)),
    lambda m: m.nn.functional.group_norm(m.randn(2, 6, 4), 4),
    lambda m: m.nn.functional.group_norm(m.randn(2, 6, 4), 3, m.ones(5)),
    lambda m: m.nn.functional.embedding(m.tensor([1.]), m.randn(3, 2)),
    lambda m: m.nn.functional.embedding(m.tensor([5]), m.randn(3, 2)),
    lambda m: m.nn.functional.embedding(m.tensor([-1]), m.randn(3, 2)),
    lambda m: m.nn.functional.embedding(m.tensor([1]), m.randn(3, 2), padding_idx=3),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])


# ----------------------------------------------------------------- modules

def _copy_state(nt_model, th_model):
    nt_model.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                              for k, v in th_model.state_dict().items()})


def _lenet_bn(m):
    nn = m.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
        nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.LayerNorm(84), nn.Sigmoid(), nn.Linear(84, 10))


def test_lenet_bn_train_and_eval_match_torch():
    """D2L's LeNet with batch norm (plus LayerNorm/MaxPool for coverage): same weights in both
    frameworks -> same loss, same gradients for every parameter, same running statistics
    after two training steps, and the same outputs in eval mode."""
    torch.manual_seed(0)
    th = _lenet_bn(torch)
    nt = _lenet_bn(numtorch)
    _copy_state(nt, th)
    rng = np.random.default_rng(0)
    for step in range(2):
        x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 8)
        lt = TF.cross_entropy(th(torch.tensor(x)), torch.tensor(y))
        ln = F.cross_entropy(nt(numtorch.tensor(x)), numtorch.tensor(y))
        np.testing.assert_allclose(ln.item(), lt.item(), rtol=1e-5)
        th.zero_grad()
        nt.zero_grad()
        lt.backward()
        ln.backward()
        for (name, pt), (_, pn) in zip(th.named_parameters(), nt.named_parameters()):
            np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=2e-6,
                                       err_msg=name)
    for (name, bt), (_, bn) in zip(th.named_buffers(), nt.named_buffers()):
        np.testing.assert_allclose(bn.numpy(), bt.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    assert int(nt[1].num_batches_tracked) == 2
    th.eval()
    nt.eval()
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(nt(numtorch.tensor(x)).detach().numpy(),
                               th(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('kw', [{'momentum': None}, {'affine': False},
                                {'track_running_stats': False}, {'bias': False}])
def test_batchnorm_module_options(kw):
    th = torch.nn.BatchNorm1d(3, **kw)
    nt = numtorch.nn.BatchNorm1d(3, **kw)
    assert list(nt.state_dict()) == list(th.state_dict())
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((5, 3, 2)).astype(np.float32)
        np.testing.assert_allclose(nt(numtorch.tensor(x)).detach().numpy(),
                                   th(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    for (k, a), (_, b) in zip(nt.state_dict().items(), th.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    th.eval()
    nt.eval()
    x = rng.standard_normal((5, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(nt(numtorch.tensor(x)).detach().numpy(),
                               th(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_state_dict_and_errors():
    bn = numtorch.nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ['weight', 'bias', 'running_mean', 'running_var',
                                     'num_batches_tracked']
    assert bn.num_batches_tracked.dtype == numtorch.int64
    same_error(lambda m: m.nn.BatchNorm2d(4)(m.randn(2, 4)))
    same_error(lambda m: m.nn.BatchNorm1d(4)(m.randn(2, 4, 3, 3)))
    # an old checkpoint without num_batches_tracked still loads (torch's version-2 rule)
    sd = {k: v for k, v in bn.state_dict().items() if k != 'num_batches_tracked'}
    bn2 = numtorch.nn.BatchNorm2d(4)
    bn2.load_state_dict(sd, strict=False)


def test_layernorm_groupnorm_modules():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    for args in [('LayerNorm', (5,)), ('LayerNorm', ((4, 5),), {'elementwise_affine': False}),
                 ('LayerNorm', (5,), {'bias': False}), ('GroupNorm', (2, 4)),
                 ('GroupNorm', (1, 4), {'affine': False})]:
        name, a = args[:2]
        kw = args[2] if len(args) > 2 else {}
        th = getattr(torch.nn, name)(*a, **kw)
        nt = getattr(numtorch.nn, name)(*a, **kw)
        assert repr(nt) == repr(th)
        assert list(nt.state_dict()) == list(th.state_dict())
        np.testing.assert_allclose(nt(numtorch.tensor(x)).detach().numpy(),
                                   th(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='divisible'):
        numtorch.nn.GroupNorm(3, 4)


def test_embedding_module():
    e = numtorch.nn.Embedding(10, 3, padding_idx=2)
    assert not np.any(e.weight.detach().numpy()[2])
    out = e(numtorch.tensor([[2, 5], [5, 9]]))
    out.sum().backward()
    g = e.weight.grad.numpy()
    assert not np.any(g[2]) and np.all(g[5] == 2) and np.all(g[9] == 1)
    f = numtorch.nn.Embedding.from_pretrained(numtorch.tensor([[1., 2.], [3., 4.]]))
    assert not f.weight.requires_grad
    with pytest.raises(AssertionError):
        numtorch.nn.Embedding(3, 2, padding_idx=3)
