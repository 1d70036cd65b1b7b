"""Losses vs torch: values, input (and target) gradients for every reduction, float64 finite
differences, numerical stability at extreme logits, and torch's errors for bad targets."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from numtorch.nn import functional as F
from errcheck import same_error

TOL = {'float32': dict(rtol=2e-5, atol=1e-6), 'float64': dict(rtol=1e-10, atol=1e-12)}
REDUCTIONS = ['mean', 'sum', 'none']


def _indices(shape, C, ignore=None):
    def make(rng, dt):
        t = rng.integers(0, C, size=shape)
        if ignore is not None and t.size > 1:
            t.reshape(-1)[::3] = ignore
        return t
    return make


def _probs(shape):
    def make(rng, dt):
        p = rng.uniform(0.05, 1.0, size=shape)
        return (p / p.sum(1, keepdims=True)).astype(dt)
    return make


def _floats(shape, lo=-2.0, hi=2.0):
    return lambda rng, dt: rng.uniform(lo, hi, size=shape).astype(dt)


def check_loss(name, x_make, t_make, dt, grad_target=False, extra=None, seed=0, **kw):
    """``F.<name>(x, target, *extra, **kw)`` on both libraries: value, dtype, grads of x (and of a
    float target), then a float64 gradcheck when the inputs are small."""
    rng = np.random.default_rng(seed)
    x = x_make(rng, dt)
    t = t_make(rng, dt)
    kw_extra = {k: v(rng, dt) for k, v in kw.pop('kw_extra', {}).items()}
    extra = [e(rng, dt) for e in (extra or [])]
    float_t = t.dtype.kind == 'f'
    res = {}
    for m, f in ((numtorch, F), (torch, TF)):
        xt = m.tensor(x, requires_grad=True)
        tt = m.tensor(t, requires_grad=grad_target and float_t)
        ex = [m.tensor(e) for e in extra]
        kx = {k: m.tensor(v) for k, v in kw_extra.items()}
        out = getattr(f, name)(xt, tt, *ex, **kx, **kw)
        up = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape)).astype(dt)
        out.backward(m.tensor(up))
        res[m] = (out.detach().numpy(), str(out.dtype), xt.grad.numpy(),
                  tt.grad.numpy() if tt.grad is not None else None)
    (nv, nd, ngx, ngt), (tv, td, tgx, tgt) = res[numtorch], res[torch]
    assert nd == td and np.shape(nv) == np.shape(tv)
    np.testing.assert_allclose(nv, tv, equal_nan=True, **TOL[dt])
    np.testing.assert_allclose(ngx, tgx, equal_nan=True, **TOL[dt])
    assert (ngt is None) == (tgt is None)
    if ngt is not None:
        np.testing.assert_allclose(ngt, tgt, **TOL[dt])
    if dt == 'float64' and x.size <= 40:
        xs = [numtorch.tensor(x, requires_grad=True)]
        if grad_target and float_t:
            xs.append(numtorch.tensor(t, requires_grad=True))
        tc = numtorch.tensor(t)
        ex = [numtorch.tensor(e) for e in extra]
        kx = {k: numtorch.tensor(v) for k, v in kw_extra.items()}

        def fn(*a):
            return getattr(F, name)(a[0], a[1] if len(a) > 1 else tc, *ex, **kx, **kw)
        assert numtorch.autograd.gradcheck(fn, xs, atol=1e-6, rtol=1e-5)


X = _floats((4, 5))
CASES = [
    # (name, x maker, target maker, kwargs, grad_target, extra makers)
    ('cross_entropy', X, _indices((4,), 5), {}, False, None),
    ('cross_entropy', X, _indices((4,), 5, ignore=2), {'ignore_index': 2}, False, None),
    ('cross_entropy', X, _indices((4,), 5), {'label_smoothing': 0.2}, False, None),
    ('cross_entropy', X, _indices((4,), 5, ignore=-100), {'label_smoothing': 0.1}, False, None),
    ('cross_entropy', X, _indices((4,), 5, ignore=1),
     {'ignore_index': 1, 'label_smoothing': 0.3}, False, [_floats((5,), 0.2, 2.0)]),
    ('cross_entropy', X, _indices((4,), 5), {}, False, [_floats((5,), 0.2, 2.0)]),
    ('cross_entropy', _floats((2, 3, 4, 2)), _indices((2, 4, 2), 3), {}, False, None),
    ('cross_entropy', _floats((2, 3, 4)), _indices((2, 4), 3, ignore=0),
     {'ignore_index': 0, 'label_smoothing': 0.1}, False, [_floats((3,), 0.2, 2.0)]),
    ('cross_entropy', _floats((5,)), lambda rng, dt: np.array(3), {}, False, None),
    ('cross_entropy', X, _probs((4, 5)), {}, True, None),
    ('cross_entropy', X, _probs((4, 5)), {'label_smoothing': 0.2}, True, [_floats((5,), 0.2, 2.0)]),
    ('cross_entropy', _floats((2, 3, 4)), _probs((2, 3, 4)), {}, True, None),
    ('nll_loss', _floats((4, 5), -3, 0), _indices((4,), 5), {}, False, None),
    ('nll_loss', _floats((4, 5), -3, 0), _indices((4,), 5, ignore=4), {'ignore_index': 4}, False,
     [_floats((5,), 0.2, 2.0)]),
    ('nll_loss', _floats((2, 3, 2, 2), -3, 0), _indices((2, 2, 2), 3), {}, False, None),
    ('nll_loss', _floats((3,), -3, 0), lambda rng, dt: np.array(1), {}, False, None),
    ('mse_loss', X, _floats((4, 5)), {}, True, None),
    ('l1_loss', X, _floats((4, 5)), {}, True, None),
    ('smooth_l1_loss', X, _floats((4, 5)), {}, True, None),
    ('smooth_l1_loss', X, _floats((4, 5)), {'beta': 0.5}, True, None),
    ('smooth_l1_loss', X, _floats((4, 5)), {'beta': 0.0}, True, None),
    ('huber_loss', X, _floats((4, 5)), {}, True, None),
    ('huber_loss', X, _floats((4, 5)), {'delta': 0.3}, True, None),
    ('binary_cross_entropy', _floats((4, 5), 0.02, 0.98), _floats((4, 5), 0, 1), {}, True, None),
    ('binary_cross_entropy', _floats((4, 5), 0.02, 0.98), _floats((4, 5), 0, 1), {}, False,
     [_floats((5,), 0.2, 2.0)]),
    ('binary_cross_entropy_with_logits', X, _floats((4, 5), 0, 1), {}, True, None),
    ('binary_cross_entropy_with_logits', X, _floats((4, 5), 0, 1),
     {'kw_extra': {'pos_weight': _floats((5,), 0.5, 3.0)}}, True, [_floats((4, 5), 0.2, 2.0)]),
    ('kl_div', _floats((4, 5), -3, 0), _probs((4, 5)), {'reduction': 'batchmean'}, True, None),
    ('kl_div', _floats((4, 5), -3, 0), _floats((4, 5), -3, 0),
     {'reduction': 'sum', 'log_target': True}, True, None),
    ('kl_div', _floats((4, 5), -3, 0), _probs((4, 5)), {'reduction': 'none'}, True, None),
]


def _params():
    for i, (name, xm, tm, kw, gt, ex) in enumerate(CASES):
        reds = REDUCTIONS if 'reduction' not in kw else [None]
        for red in reds:
            for dt in ('float32', 'float64'):
                yield pytest.param(i, red, dt, id=f'{name}-{i}-{red}-{dt}')


@pytest.mark.parametrize('i,red,dt', list(_params()))
def test_loss(i, red, dt):
    name, xm, tm, kw, gt, ex = CASES[i]
    kw = dict(kw) if red is None else dict(kw, reduction=red)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check_loss(name, xm, tm, dt, grad_target=gt, extra=ex, **kw)


def test_broadcast_warns_and_matches():
    x = np.random.default_rng(5).standard_normal((3, 4))
    t = np.random.default_rng(6).standard_normal((4,))
    with pytest.warns(UserWarning, match='different to the input size'):
        n = F.mse_loss(numtorch.tensor(x, requires_grad=True), numtorch.tensor(t))
    t_ = TF.mse_loss(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(n.item(), t_.item(), rtol=1e-12)


def test_stable_at_extreme_logits():
    x = np.array([[1000., -1000., 0.], [-1e4, 1e4, 5.]], np.float32)
    y = np.array([1, 0])
    for f in ('cross_entropy',):
        n = getattr(F, f)(numtorch.tensor(x, requires_grad=True), numtorch.tensor(y))
        t = getattr(TF, f)(torch.tensor(x), torch.tensor(y))
        assert np.isfinite(n.item())
        np.testing.assert_allclose(n.item(), t.item(), rtol=1e-6)
    z = np.array([200., -200., 0.], np.float32)
    n = F.binary_cross_entropy_with_logits(numtorch.tensor(z), numtorch.tensor([0., 1., 1.]))
    t = TF.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor([0., 1., 1.]))
    np.testing.assert_allclose(n.item(), t.item(), rtol=1e-6)
    # probabilities of exactly 0 and 1: logs clamp at -100 instead of giving inf
    p = numtorch.tensor([0., 1.], requires_grad=True)
    n = F.binary_cross_entropy(p, numtorch.tensor([1., 0.]))
    t = TF.binary_cross_entropy(torch.tensor([0., 1.]), torch.tensor([1., 0.]))
    assert n.item() == t.item() == 100.0


def test_all_ignored_is_nan_with_zero_grad():
    x = numtorch.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, numtorch.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    assert not np.any(x.grad.numpy())


def test_grad_fn_names():
    x = numtorch.randn(3, 4, requires_grad=True)
    y = numtorch.tensor([0, 1, 3])
    assert F.cross_entropy(x, y).grad_fn.name() == 'NllLossBackward0'
    assert F.nll_loss(x, y).grad_fn.name() == 'NllLossBackward0'
    assert F.mse_loss(x, x.detach()).grad_fn.name() == 'MseLossBackward0'
    assert F.binary_cross_entropy_with_logits(x, x.detach()).grad_fn.name() == \
        'BinaryCrossEntropyWithLogitsBackward0'
    assert F.l1_loss(x, x.detach()).grad_fn.name() == 'MeanBackward0'


def test_legacy_size_average():
    x, y = numtorch.randn(3, 4), numtorch.tensor([0, 1, 3])
    with pytest.warns(UserWarning):
        s = F.cross_entropy(x, y, size_average=False)
    np.testing.assert_allclose(s.item(), F.cross_entropy(x, y, reduction='sum').item())


ERRORS = [
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.rand(3, 4)),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.rand(2, 5)),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 7])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, -1])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1., 2., 3.])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3], dtype=m.int32)),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([[1, 2, 3]])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.rand(3, 5), ignore_index=1),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3]), reduction='bogus'),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3]), weight=m.ones(4)),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor(1)),
    lambda m: m.nn.functional.cross_entropy(m.randn(5), m.tensor([1, 2])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5, 4), m.tensor([1, 2, 3])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3]), label_smoothing=1.5),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3]),
                                            weight=m.ones(5).double()),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5).long(), m.tensor([1, 2, 3])),
    lambda m: m.nn.functional.cross_entropy(m.randn(3, 5), m.tensor([1, 2, 3]),
                                            weight=m.ones(5, requires_grad=True)),
    lambda m: m.nn.functional.nll_loss(m.randn(3, 5), m.tensor([1, 2])),
    lambda m: m.nn.functional.nll_loss(m.randn(3, 5), m.tensor([1., 2, 3])),
    lambda m: m.nn.functional.nll_loss(m.randn(3, 5), m.tensor([1, 2, 30])),
    lambda m: m.nn.functional.nll_loss(m.randn(2, 3, 4, 5), m.zeros(2, 4, 4).long()),
    lambda m: m.nn.functional.nll_loss(m.randn(2, 3, 4, 5), m.zeros(2, 4).long()),
    lambda m: m.nn.functional.mse_loss(m.randn(3, 5), m.rand(4)),
    lambda m: m.nn.functional.mse_loss(m.ones(3, 5).long(), m.ones(3, 5).long()),
    lambda m: m.nn.functional.l1_loss(m.randn(3, 5), m.rand(3, 5), reduction='bogus'),
    lambda m: m.nn.functional.binary_cross_entropy(m.rand(3, 5), m.rand(5)),
    lambda m: m.nn.functional.binary_cross_entropy(m.randn(3, 5) + 2, m.rand(3, 5)),
    lambda m: m.nn.functional.binary_cross_entropy(m.rand(3, 5), m.rand(3, 5).double()),
    lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.randn(3, 5), m.rand(5)),
    lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.randn(3, 5), m.ones(3, 5).long()),
    lambda m: m.nn.functional.binary_cross_entropy_with_logits(
        m.randn(3, 5), m.rand(3, 5), pos_weight=m.ones(5, requires_grad=True)),
    lambda m: m.nn.functional.binary_cross_entropy(m.rand(3, 5), m.rand(3, 5),
                                                   weight=m.ones(5, requires_grad=True)),
    lambda m: m.nn.functional.smooth_l1_loss(m.randn(3, 5), m.rand(3, 5), beta=-1),
    lambda m: m.nn.functional.huber_loss(m.randn(3, 5), m.rand(3, 5), delta=0),
    lambda m: m.nn.functional.kl_div(m.randn(3, 5), m.rand(3, 5), reduction='bogus'),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        same_error(ERRORS[i])



@pytest.mark.parametrize('spec,target', [
    ("CrossEntropyLoss()", 'idx'), ("CrossEntropyLoss(weight=W, ignore_index=2, label_smoothing=0.1)", 'idx'),
    ("CrossEntropyLoss(reduction='sum')", 'prob'), ("NLLLoss(weight=W)", 'idx'),
    ("MSELoss()", 'float'), ("L1Loss(reduction='none')", 'float'), ("SmoothL1Loss(beta=0.5)", 'float'),
    ("HuberLoss(delta=0.5)", 'float'), ("BCELoss(weight=W)", 'prob01'),
    ("BCEWithLogitsLoss(pos_weight=W)", 'prob01'), ("KLDivLoss(reduction='batchmean')", 'prob'),
])
def test_loss_modules(spec, target):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3))
    W = rng.uniform(0.5, 2, 3)
    t = {'idx': rng.integers(0, 3, 4), 'float': rng.standard_normal((4, 3)),
         'prob': _probs((4, 3))(rng, 'float64'), 'prob01': rng.uniform(0, 1, (4, 3))}[target]
    if 'BCELoss' in spec and 'Logits' not in spec:
        x = 1 / (1 + np.exp(-x))
    outs = []
    for m in (numtorch, torch):
        mod = eval('M.' + spec, {'M': m.nn, 'W': m.tensor(W)})
        assert list(mod.state_dict()) == list(eval('M.' + spec, {'M': torch.nn, 'W': torch.tensor(W)}).state_dict())
        outs.append(mod(m.tensor(x), m.tensor(t)).numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-12)
