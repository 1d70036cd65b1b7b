"""The optimizers added after the first five (Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop,
SparseAdam, LBFGS) against torch's: trajectories from the same weights and gradients, state
layouts, state-dict interchange both ways, argument errors. Reuses test_optim's helpers."""
import inspect

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from test_optim import _params, _grads, _set_grads, _close, _state_arrays, _to_torch, _to_numtorch

CONFIGS = [
    ('Adadelta', dict()),
    ('Adadelta', dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ('Adamax', dict()),
    ('Adamax', dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1)),
    ('Adamax', dict(lr=0.01, maximize=True)),
    ('NAdam', dict()),
    ('NAdam', dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ('NAdam', dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ('RAdam', dict()),
    ('RAdam', dict(lr=0.01, betas=(0.9, 0.5), weight_decay=0.1)),      # rho_t > 5 early
    ('RAdam', dict(lr=0.01, betas=(0.8, 0.6), weight_decay=0.1, decoupled_weight_decay=True)),
    ('ASGD', dict()),
    ('ASGD', dict(lr=0.05, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1)),
    ('ASGD', dict(lr=0.05, t0=0, maximize=True)),
    ('Rprop', dict()),
    ('Rprop', dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(0.01, 0.1), maximize=True)),
]
ALL = ['Adadelta', 'Adamax', 'NAdam', 'RAdam', 'ASGD', 'Rprop', 'LBFGS', 'SparseAdam']


@pytest.mark.parametrize('name', ALL)
def test_signature_and_defaults_match_torch(name):
    tsig = inspect.signature(getattr(torch.optim, name))
    nsig = inspect.signature(getattr(numtorch.optim, name))
    assert [(p.name, p.kind, p.default) for p in nsig.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in tsig.parameters.values()]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('name,kw', CONFIGS, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CONFIGS)])
def test_steps_match_torch(name, kw, dtype):
    nps, tps = _params(dtype)
    nopt = getattr(numtorch.optim, name)(nps, **kw)
    topt = getattr(torch.optim, name)(tps, **kw)
    rng = np.random.default_rng(1)
    for step in range(6):
        grads = _grads(rng, dtype, skip=1 if step == 2 else None)
        if name == 'Rprop' and step == 3:
            grads = [-g if g is not None else None for g in grads]
        _set_grads(nps, grads, numtorch)
        _set_grads(tps, grads, torch)
        nopt.step()
        topt.step()
        _close(nps, tps, dtype, f'{name} step {step}')
    ns, ts = _state_arrays(nopt, numtorch), _state_arrays(topt, torch)
    assert [k for k, _ in ns] == [k for k, _ in ts]
    for (k, a), (_, b) in zip(ns, ts):
        assert np.asarray(a).dtype == np.asarray(b).dtype, k
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6, err_msg=k)


@pytest.mark.parametrize('name,kw', [c for c in CONFIGS if c[1]][::2])
def test_state_dict_layout_repr_and_interchange(name, kw):
    """Groups and state keys as torch's; state moved across libraries mid-run keeps both
    trajectories together."""
    rng = np.random.default_rng(4)
    grads = [_grads(rng, 'float32') for _ in range(5)]
    nps, tps = _params('float32')
    nopt = getattr(numtorch.optim, name)([{'params': nps[:2]}, {'params': nps[2:]}], **kw)
    topt = getattr(torch.optim, name)([{'params': tps[:2]}, {'params': tps[2:]}], **kw)
    assert repr(nopt) == repr(topt)
    for g in grads[:2]:
        _set_grads(nps, g, numtorch)
        _set_grads(tps, g, torch)
        nopt.step()
        topt.step()
    nsd, tsd = nopt.state_dict(), topt.state_dict()
    assert nsd['param_groups'] == tsd['param_groups']
    assert {i: list(s) for i, s in nsd['state'].items()} == \
        {i: list(s) for i, s in tsd['state'].items()}
    nps2 = [numtorch.tensor(p.detach().numpy(), requires_grad=True) for p in tps]
    tps2 = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in nps]
    nopt2 = getattr(numtorch.optim, name)([{'params': nps2[:2]}, {'params': nps2[2:]}])
    topt2 = getattr(torch.optim, name)([{'params': tps2[:2]}, {'params': tps2[2:]}])
    nopt2.load_state_dict(_to_numtorch(tsd))
    topt2.load_state_dict(_to_torch(nsd))
    for g in grads[2:]:
        for ps, mod in ((nps, numtorch), (tps, torch), (nps2, numtorch), (tps2, torch)):
            _set_grads(ps, g, mod)
        for o in (nopt, topt, nopt2, topt2):
            o.step()
    _close(nps2, tps, 'float32', 'numtorch resumed from torch state')
    _close(nps, tps2, 'float32', 'torch resumed from numtorch state')


BAD = [
    ('Adadelta', dict(lr=-1)), ('Adadelta', dict(rho=1.5)), ('Adadelta', dict(eps=-1)),
    ('Adadelta', dict(weight_decay=-1)), ('Adamax', dict(betas=(1.0, 0.9))),
    ('Adamax', dict(betas=(0.9, -0.1))), ('Adamax', dict(eps=-1)),
    ('NAdam', dict(momentum_decay=-1)), ('NAdam', dict(weight_decay=-0.5)),
    ('RAdam', dict(lr=-0.1)), ('RAdam', dict(betas=(0.9, 1.0))), ('ASGD', dict(lr=-1)),
    ('ASGD', dict(weight_decay=-1)), ('Rprop', dict(etas=(1.1, 1.2))),
    ('Rprop', dict(etas=(0.5, 0.9))), ('LBFGS', dict(lr=-1)), ('SparseAdam', dict(lr=0.0)),
    ('SparseAdam', dict(eps=0.0)), ('SparseAdam', dict(betas=(0.9, 1.0))),
    ('Adam', dict(betas=(1.0, 0.9))), ('AdamW', dict(betas=(0.9, -0.1))),
]


@pytest.mark.parametrize('name,kw', BAD, ids=[f'{n}-{i}' for i, (n, _) in enumerate(BAD)])
def test_bad_arguments_raise_like_torch(name, kw):
    same_error(lambda m: getattr(m.optim, name)([m.zeros(2, requires_grad=True)], **kw))


def test_lbfgs_one_group_only_and_bad_line_search():
    same_error(lambda m: m.optim.LBFGS([{'params': [m.zeros(1, requires_grad=True)]},
                                        {'params': [m.zeros(1, requires_grad=True)]}]))

    def run(m):
        w = m.ones(2, requires_grad=True)
        opt = m.optim.LBFGS([w], line_search_fn='armijo')

        def closure():
            opt.zero_grad()
            loss = (w ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
    same_error(run)


# ---------------------------------------------------------------------- LBFGS
def _rosen_run(mod, dtype, steps, **kw):
    """A small least-squares + Rosenbrock-like problem with two parameters."""
    rng = np.random.default_rng(7)
    X = mod.tensor(rng.standard_normal((12, 3)).astype(dtype))
    y = mod.tensor(rng.standard_normal(12).astype(dtype))
    w = mod.tensor(np.array([0.5, -1.0, 2.0], dtype), requires_grad=True)
    b = mod.tensor(np.array([1.5], dtype), requires_grad=True)
    opt = mod.optim.LBFGS([w, b], **kw)
    losses, evals = [], []

    def closure():
        opt.zero_grad()
        r = X @ w + b - y
        loss = (r ** 2).mean() + ((w[1:] - w[:-1] ** 2) ** 2).sum() + (1 - b).pow(2).sum()
        loss.backward()
        return loss
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        evals.append(opt.state[w]['func_evals'])
    return losses, [w.detach().numpy().copy(), b.detach().numpy().copy()], evals, opt


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('kw', [dict(line_search_fn='strong_wolfe', max_iter=3),
                                dict(lr=0.1, max_iter=5),
                                dict(line_search_fn='strong_wolfe', history_size=2, max_iter=3),
                                dict(lr=0.5, max_iter=4, max_eval=6, tolerance_change=1e-5)],
                         ids=['wolfe', 'fixed', 'wolfe-short-history', 'max-eval'])
def test_lbfgs_trajectory_matches_torch(kw, dtype):
    # few iterations per step: near the optimum float32 rounding decides when LBFGS stops
    nl, nw, ne, nopt = _rosen_run(numtorch, dtype, 3, **kw)
    tl, tw, te, topt = _rosen_run(torch, dtype, 3, **kw)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == 'float32' else dict(rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(nl, tl, **tol)
    for a, b in zip(nw, tw):
        np.testing.assert_allclose(a, b, **tol)
    assert ne == te                     # the same number of closure evaluations
    ns = nopt.state_dict()['state'][0]
    ts = topt.state_dict()['state'][0]
    assert sorted(ns) == sorted(ts)
    for k in ts:
        a, b = ns[k], ts[k]
        if isinstance(b, list):
            assert len(a) == len(b), k
            assert [type(x).__name__ for x in a] == [type(x).__name__ for x in b], k
        else:
            assert type(a).__name__ == type(b).__name__, k


def test_lbfgs_state_dict_interchange():
    """Two steps in one library, the state moved into the other, one more step: the same."""
    kw = dict(line_search_fn='strong_wolfe', max_iter=4)
    for src, dst, to in ((torch, numtorch, _to_numtorch), (numtorch, torch, _to_torch)):
        _, ws, _, sopt = _rosen_run(src, 'float64', 2, **kw)
        _, _, _, dopt = _rosen_run(dst, 'float64', 0, **kw)
        p_dst = dopt.param_groups[0]['params']
        for p, w in zip(p_dst, ws):
            with dst.no_grad():
                p.copy_(dst.tensor(w))
        dopt.load_state_dict(to(sopt.state_dict()))
        rng = np.random.default_rng(7)
        X = rng.standard_normal((12, 3))
        y = rng.standard_normal(12)

        def closure_for(mod, opt, params):
            Xt, yt = mod.tensor(X), mod.tensor(y)
            w, b = params

            def closure():
                opt.zero_grad()
                r = Xt @ w + b - yt
                loss = (r ** 2).mean() + ((w[1:] - w[:-1] ** 2) ** 2).sum() + (1 - b).pow(2).sum()
                loss.backward()
                return loss
            return closure
        sopt.step(closure_for(src, sopt, sopt.param_groups[0]['params']))
        dopt.step(closure_for(dst, dopt, p_dst))
        for a, b in zip(sopt.param_groups[0]['params'], p_dst):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9)


def test_lbfgs_stops_at_optimum_and_returns_first_loss():
    w = numtorch.zeros(2, requires_grad=True)
    opt = numtorch.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 0.0 and opt.state[w]['func_evals'] == 1 and 'd' not in opt.state[w]


# ---------------------------------------------------------------------- SparseAdam
@pytest.mark.parametrize('kw', [dict(), dict(lr=0.1, betas=(0.5, 0.8), eps=1e-4, maximize=True)])
def test_sparse_adam_on_embedding_matches_torch_sparse_gradients(kw):
    """torch's embedding with sparse=True gives a sparse gradient; numtorch's is dense with zero
    rows; SparseAdam updates the looked-up rows alike in both."""
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 3)).astype(np.float32)
    idx = [[0, 2, 2], [5, 1, 2], [3, 3, 0]]
    res = []
    for mod in (numtorch, torch):
        emb = mod.nn.Embedding(6, 3, sparse=True)
        with mod.no_grad():
            emb.weight.copy_(mod.tensor(w0))
        opt = mod.optim.SparseAdam(emb.parameters(), **kw)
        for i in idx:
            opt.zero_grad()
            (emb(mod.tensor(i)) ** 2).sum().backward()
            opt.step()
        res.append((emb.weight.detach().numpy().copy(), opt.state_dict()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6, atol=1e-7)
    assert res[0][1]['param_groups'] == res[1][1]['param_groups']
    ns, ts = res[0][1]['state'][0], res[1][1]['state'][0]
    assert list(ns) == list(ts) and ns['step'] == ts['step'] == 3
    np.testing.assert_allclose(ns['exp_avg_sq'].numpy(), ts['exp_avg_sq'].numpy(), rtol=1e-6)


# ---------------------------------------------------------------------- swa_utils
def _net(mod, seed=0):
    rng = np.random.default_rng(seed)
    net = mod.nn.Sequential(mod.nn.Linear(3, 4), mod.nn.BatchNorm1d(4), mod.nn.ReLU(),
                            mod.nn.Linear(4, 2))
    with mod.no_grad():
        for p in net.parameters():
            p.copy_(mod.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


@pytest.mark.parametrize('avg', ['swa', 'ema', 'ema-multi', 'swa-multi', 'buffers'])
def test_swa_training_trajectory_matches_torch(avg):
    """SGD + SWALR + AveragedModel + update_bn, the same in both libraries: the averaged
    weights, buffers, n_averaged, lrs and the scheduler's state dict."""
    rng = np.random.default_rng(5)
    data = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(4)]
    target = rng.standard_normal((6, 2)).astype(np.float32)
    out = []
    for mod in (numtorch, torch):
        su = mod.optim.swa_utils
        net = _net(mod)
        kw = {'swa': {}, 'ema': dict(avg_fn=su.get_ema_avg_fn(0.9)),
              'ema-multi': dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.8)),
              'swa-multi': dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
              'buffers': dict(use_buffers=True)}[avg]
        swa = su.AveragedModel(net, **kw)
        opt = mod.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        sched = su.SWALR(opt, swa_lr=0.05, anneal_epochs=2)
        lrs = []
        for x in data:
            opt.zero_grad()
            ((net(mod.tensor(x)) - mod.tensor(target)) ** 2).mean().backward()
            opt.step()
            swa.update_parameters(net)
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        su.update_bn([(mod.tensor(x), 0) for x in data], swa)
        sd = {k: v.detach().numpy().copy() for k, v in swa.state_dict().items()}
        ssd = sched.state_dict()
        out.append((sd, lrs, ssd, swa(mod.tensor(data[0])).detach().numpy()))
    (nsd, nl, nss, ny), (tsd, tl, tss, ty) = out
    assert list(nsd) == list(tsd)
    for k in tsd:
        assert nsd[k].dtype == tsd[k].dtype, k
        np.testing.assert_allclose(nsd[k], tsd[k], rtol=1e-5, atol=1e-6, err_msg=k)
    np.testing.assert_allclose(nl, tl, rtol=1e-12)
    assert nss.keys() == tss.keys() and nss['_last_lr'] == pytest.approx(tss['_last_lr'])
    np.testing.assert_allclose(ny, ty, rtol=1e-5, atol=1e-6)


def test_swa_errors_match_torch():
    same_error(lambda m: m.optim.swa_utils.get_ema_avg_fn(1.5))
    same_error(lambda m: m.optim.swa_utils.get_ema_multi_avg_fn(-0.1))
    same_error(lambda m: m.optim.swa_utils.AveragedModel(m.nn.Linear(1, 1), avg_fn=print,
                                                         multi_avg_fn=print))

    def opt(m):
        return m.optim.SGD([m.zeros(1, requires_grad=True)], lr=0.1)
    same_error(lambda m: m.optim.swa_utils.SWALR(opt(m), 0.1, anneal_strategy='exp'))
    same_error(lambda m: m.optim.swa_utils.SWALR(opt(m), 0.1, anneal_epochs=-1))
    same_error(lambda m: m.optim.swa_utils.SWALR(opt(m), [0.1, 0.2]))
