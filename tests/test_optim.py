"""numtorch.optim against torch.optim: the same parameters and gradient sequence through several
steps, for every optimizer and option, float32 and float64; plus param groups, zero_grad,
state_dict round trips (numtorch <-> torch, and through numtorch.save/load)."""
import io

import numpy as np
import pytest
import torch

import numtorch

SHAPES = [(3, 4), (5,), ()]
STEPS = 6

CONFIGS = [
    ('SGD', dict(lr=0.1)),
    ('SGD', dict(lr=0.1, momentum=0.9)),
    ('SGD', dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ('SGD', dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ('SGD', dict(lr=0.1, maximize=True, momentum=0.5)),
    ('Adam', dict()),
    ('Adam', dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ('Adam', dict(lr=0.01, amsgrad=True)),
    ('Adam', dict(lr=0.01, maximize=True, betas=(0.3, 0.9))),     # lerp's other branch
    ('AdamW', dict(lr=0.01)),
    ('AdamW', dict(lr=0.02, weight_decay=0.5, amsgrad=True)),
    ('RMSprop', dict()),
    ('RMSprop', dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ('RMSprop', dict(lr=0.01, momentum=0.9)),
    ('RMSprop', dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ('Adagrad', dict()),
    ('Adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-6)),
    ('Adagrad', dict(lr=0.1, weight_decay=0.1, maximize=True)),
]
TOL = {'float32': dict(rtol=2e-6, atol=2e-6), 'float64': dict(rtol=1e-12, atol=1e-12)}


def _params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    nt = [numtorch.tensor(a, requires_grad=True) for a in arrs]
    tt = [torch.tensor(a, requires_grad=True) for a in arrs]
    return nt, tt


def _grads(rng, dtype, skip=None):
    return [None if i == skip else rng.standard_normal(s).astype(dtype) for i, s in enumerate(SHAPES)]


def _set_grads(params, grads, mod):
    for p, g in zip(params, grads):
        p.grad = None if g is None else mod.tensor(g)


def _close(nt, tt, dtype, what):
    for i, (a, b) in enumerate(zip(nt, tt)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL[dtype],
                                   err_msg=f'{what}: tensor {i}')


def _state_arrays(opt, mod):
    out = []
    for group in opt.param_groups:
        for p in group['params']:
            for k, v in sorted(opt.state[p].items()):
                out.append((k, np.asarray(v.detach()) if isinstance(v, mod.Tensor) else v))
    return out


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('name,kw', CONFIGS, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CONFIGS)])
def test_steps_match_torch(name, kw, dtype):
    nps, tps = _params(dtype)
    nopt = getattr(numtorch.optim, name)(nps, **kw)
    topt = getattr(torch.optim, name)(tps, **kw)
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        grads = _grads(rng, dtype, skip=1 if step == 2 else None)   # a step without a grad
        _set_grads(nps, grads, numtorch)
        _set_grads(tps, grads, torch)
        nopt.step()
        topt.step()
        _close(nps, tps, dtype, f'{name} step {step}')
    ns, ts = _state_arrays(nopt, numtorch), _state_arrays(topt, torch)
    assert [k for k, _ in ns] == [k for k, _ in ts]
    for (k, a), (_, b) in zip(ns, ts):
        assert np.asarray(a).dtype == np.asarray(b).dtype, k
        np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=k)


def test_param_groups_and_real_backward():
    """Two groups with their own lr; gradients from autograd; the version counter moves."""
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    w0, b0 = rng.standard_normal(3).astype(np.float32), np.zeros(1, np.float32)
    res = {}
    for mod in (numtorch, torch):
        w = mod.tensor(w0, requires_grad=True)
        b = mod.tensor(b0, requires_grad=True)
        opt = mod.optim.Adam([{'params': [w]}, {'params': b, 'lr': 0.1}], lr=0.01)
        Xt, yt = mod.tensor(X), mod.tensor(y)
        for _ in range(5):
            opt.zero_grad()
            loss = ((Xt @ w + b - yt) ** 2).mean()
            loss.backward()
            opt.step()
        res[mod.__name__] = (w.detach().numpy().copy(), b.detach().numpy().copy(), w._version)
    np.testing.assert_allclose(res['numtorch'][0], res['torch'][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res['numtorch'][1], res['torch'][1], rtol=1e-5, atol=1e-6)
    assert res['numtorch'][2] >= 5


def test_closure_zero_grad_and_errors():
    w = numtorch.tensor([1., 2.], requires_grad=True)
    opt = numtorch.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert w.grad is not None
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None
    with pytest.raises(ValueError, match='optimizer got an empty parameter list'):
        numtorch.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match='should be an iterable of Tensors or dicts'):
        numtorch.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match='Invalid learning rate'):
        numtorch.optim.Adam([w], lr=-1)
    with pytest.raises(ValueError, match='Nesterov momentum requires'):
        numtorch.optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        numtorch.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match='more than one parameter group'):
        opt.add_param_group({'params': [w]})
    with pytest.raises(TypeError, match='ordered collections'):
        numtorch.optim.SGD([{'params': {w}}], lr=0.1)


@pytest.mark.parametrize('name,kw', [('SGD', dict(lr=0.1, momentum=0.9)), ('Adam', dict(lr=0.01)),
                                     ('RMSprop', dict(centered=True, momentum=0.1)),
                                     ('Adagrad', dict(lr_decay=0.1))])
def test_state_dict_layout_and_repr_match_torch(name, kw):
    nps, tps = _params('float32')
    nopt = getattr(numtorch.optim, name)([{'params': nps[:2]}, {'params': nps[2:], 'lr': 0.5}], **kw)
    topt = getattr(torch.optim, name)([{'params': tps[:2]}, {'params': tps[2:], 'lr': 0.5}], **kw)
    assert repr(nopt) == repr(topt)
    rng = np.random.default_rng(3)
    grads = _grads(rng, 'float32')
    _set_grads(nps, grads, numtorch)
    _set_grads(tps, grads, torch)
    nopt.step()
    topt.step()
    nsd, tsd = nopt.state_dict(), topt.state_dict()
    assert nsd['param_groups'] == tsd['param_groups']
    assert list(nsd['state']) == list(tsd['state'])
    for i in tsd['state']:
        assert list(nsd['state'][i]) == list(tsd['state'][i])
        for k, v in tsd['state'][i].items():
            assert tuple(nsd['state'][i][k].shape) == tuple(v.shape)
            assert str(nsd['state'][i][k].dtype) == str(v.dtype)


def _to_torch(obj):
    if isinstance(obj, numtorch.Tensor):
        return torch.tensor(obj.numpy())
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_torch(v) for v in obj]
    return obj


def _to_numtorch(obj):
    if isinstance(obj, torch.Tensor):
        return numtorch.tensor(obj.numpy())
    if isinstance(obj, dict):
        return {k: _to_numtorch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_numtorch(v) for v in obj]
    return obj


@pytest.mark.parametrize('name,kw', [('SGD', dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     ('Adam', dict(lr=0.01, amsgrad=True)), ('AdamW', dict(lr=0.01)),
                                     ('RMSprop', dict(momentum=0.5, centered=True)),
                                     ('Adagrad', dict(lr=0.1))])
def test_state_dict_resume_crosses_over_with_torch(name, kw):
    """Step twice, move the state to a fresh optimizer of the *other* library, keep stepping:
    the trajectories stay together; and a resumed numtorch run is bit-identical."""
    rng = np.random.default_rng(4)
    grads = [_grads(rng, 'float32') for _ in range(5)]
    nps, tps = _params('float32')
    nopt = getattr(numtorch.optim, name)(nps, **kw)
    topt = getattr(torch.optim, name)(tps, **kw)
    for g in grads[:2]:
        _set_grads(nps, g, numtorch)
        _set_grads(tps, g, torch)
        nopt.step()
        topt.step()
    # numtorch state -> torch optimizer, torch state -> numtorch optimizer
    nps2 = [numtorch.tensor(p.detach().numpy(), requires_grad=True) for p in tps]
    tps2 = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in nps]
    nopt2 = getattr(numtorch.optim, name)(nps2, lr=123.0)
    topt2 = getattr(torch.optim, name)(tps2, lr=123.0)
    nopt2.load_state_dict(_to_numtorch(topt.state_dict()))
    topt2.load_state_dict(_to_torch(nopt.state_dict()))
    assert nopt2.param_groups[0]['lr'] == kw.get('lr', nopt.defaults['lr'])
    for g in grads[2:]:
        for ps, mod in ((nps, numtorch), (tps, torch), (nps2, numtorch), (tps2, torch)):
            _set_grads(ps, g, mod)
        for o in (nopt, topt, nopt2, topt2):
            o.step()
    _close(nps, tps, 'float32', 'uninterrupted')
    _close(nps2, tps, 'float32', 'numtorch resumed from torch state')
    _close(nps, tps2, 'float32', 'torch resumed from numtorch state')


def test_state_dict_round_trips_through_numtorch_save_bit_identical():
    rng = np.random.default_rng(5)
    grads = [_grads(rng, 'float32') for _ in range(4)]
    runs = []
    for resume in (False, True):
        nps, _ = _params('float32')
        opt = numtorch.optim.Adam(nps, lr=0.01, amsgrad=True)
        for i, g in enumerate(grads):
            if resume and i == 2:
                buf = io.BytesIO()
                numtorch.save({'opt': opt.state_dict(), 'params': [p.detach() for p in nps]}, buf)
                buf.seek(0)
                ck = numtorch.load(buf)
                nps = [numtorch.tensor(p.numpy(), requires_grad=True) for p in ck['params']]
                opt = numtorch.optim.Adam(nps, lr=0.01, amsgrad=True)
                opt.load_state_dict(ck['opt'])
            _set_grads(nps, g, numtorch)
            opt.step()
        runs.append([p.detach().numpy().copy() for p in nps])
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_load_state_dict_errors_and_dtype_cast():
    w = numtorch.zeros(2, dtype=numtorch.float64, requires_grad=True)
    opt = numtorch.optim.SGD([w], lr=0.1, momentum=0.9)
    sd = {'state': {0: {'momentum_buffer': numtorch.ones(2)}},
          'param_groups': [dict(opt.state_dict()['param_groups'][0])]}
    opt.load_state_dict(sd)
    assert opt.state[w]['momentum_buffer'].dtype == numtorch.float64
    with pytest.raises(ValueError, match='different number of parameter groups'):
        opt.load_state_dict({'state': {}, 'param_groups': []})
    bad = dict(sd, param_groups=[dict(sd['param_groups'][0], params=[0, 1])])
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(bad)


@pytest.mark.parametrize('kw', [dict(momentum=0.9, weight_decay=5e-4),
                                dict(momentum=0.8, dampening=0.3),
                                dict(momentum=0.9, weight_decay=0.1, dampening=0.5)])
def test_sgd_blocked_momentum_step_is_bit_equal_to_the_general_path(monkeypatch, kw):
    # the fused per-block update (_momentum_step) does the general path's operations in its
    # order: the same bits, for blocks smaller than the parameter and several threads
    from numtorch.optim import sgd
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((37, 29)).astype(np.float32)
    grads = [rng.standard_normal((37, 29)).astype(np.float32) for _ in range(3)]

    def run():
        w = numtorch.tensor(w0, requires_grad=True)
        opt = numtorch.optim.SGD([w], lr=0.05, **kw)
        for g in grads:
            w.grad = numtorch.tensor(g)
            opt.step()
        return w.detach().numpy().copy(), opt.state[w]['momentum_buffer'].numpy().copy()
    monkeypatch.setattr(sgd, '_fusable', lambda *a: False)
    general = run()
    monkeypatch.undo()
    monkeypatch.setattr(sgd, '_STEP_BLOCK', 100)
    monkeypatch.setattr(numtorch._threads, 'SPLIT_MIN', 16)
    for t in (1, 2):
        numtorch.set_num_threads(t)
        got = run()
        assert all(a.tobytes() == b.tobytes() for a, b in zip(got, general))
