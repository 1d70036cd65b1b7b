"""numtorch.optim.lr_scheduler against torch's: the lr (and momentum) sequences, step(epoch),
state_dict round trips."""
import math
import warnings

import pytest
import torch

import numtorch
from errcheck import same_error


def _opt(mod, name='SGD', **kw):
    a = mod.zeros(2, requires_grad=True)
    b = mod.zeros(3, requires_grad=True)
    groups = [{'params': [a]}, {'params': [b], 'lr': 0.05}]
    kw = dict(dict(lr=0.1, momentum=0.9) if name == 'SGD' else dict(lr=0.1), **kw)
    return getattr(mod.optim, name)(groups, **kw)


class Warmup:
    """A callable object, whose attributes LambdaLR's state_dict keeps."""

    def __init__(self, n):
        self.n = n

    def __call__(self, e):
        return min(1.0, (e + 1) / self.n)


SCHEDULERS = [
    ('StepLR', dict(step_size=3, gamma=0.5), 'SGD'),
    ('MultiStepLR', dict(milestones=[2, 5, 5, 9], gamma=0.3), 'SGD'),
    ('ExponentialLR', dict(gamma=0.9), 'SGD'),
    ('CosineAnnealingLR', dict(T_max=5, eta_min=0.001), 'SGD'),       # runs past T_max: rises again
    ('LambdaLR', dict(lr_lambda=lambda e: 0.95 ** e), 'SGD'),
    ('LambdaLR', dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5 ** e]), 'SGD'),
    ('OneCycleLR', dict(max_lr=1.0, total_steps=13), 'SGD'),
    ('OneCycleLR', dict(max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=4, anneal_strategy='linear',
                        three_phase=True), 'SGD'),
    ('OneCycleLR', dict(max_lr=0.01, total_steps=10, pct_start=0.25), 'Adam'),
]


def _run(mod, cls, kw, opt_name, n):
    opt = _opt(mod, opt_name)
    sched = getattr(mod.optim.lr_scheduler, cls)(opt, **kw)
    seq = [(sched.get_last_lr(), [g.get('momentum', g.get('betas')) for g in opt.param_groups])]
    for _ in range(n):
        opt.step()
        sched.step()
        seq.append((sched.get_last_lr(), [g.get('momentum', g.get('betas')) for g in opt.param_groups]))
    return seq


def _assert_seq_close(a, b):
    assert len(a) == len(b)
    for (lr_a, m_a), (lr_b, m_b) in zip(a, b):
        assert lr_a == pytest.approx(lr_b, rel=1e-12, abs=1e-15)
        for x, y in zip(m_a, m_b):
            assert x == pytest.approx(y, rel=1e-12)


@pytest.mark.parametrize('cls,kw,opt_name', SCHEDULERS,
                         ids=[f'{c}-{i}' for i, (c, _, _) in enumerate(SCHEDULERS)])
def test_lr_sequence_matches_torch(cls, kw, opt_name):
    n = kw.get('total_steps') or (kw['epochs'] * kw['steps_per_epoch'] if 'epochs' in kw else 12)
    _assert_seq_close(_run(numtorch, cls, kw, opt_name, n), _run(torch, cls, kw, opt_name, n))


@pytest.mark.parametrize('cls,kw', [('StepLR', dict(step_size=3, gamma=0.5)),
                                    ('MultiStepLR', dict(milestones=[2, 4], gamma=0.1)),
                                    ('ExponentialLR', dict(gamma=0.8)),
                                    ('CosineAnnealingLR', dict(T_max=6))])
def test_step_with_epoch_uses_closed_form(cls, kw):
    out = {}
    for mod in (numtorch, torch):
        opt = _opt(mod)
        sched = getattr(mod.optim.lr_scheduler, cls)(opt, **kw)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for e in (4, 1, 7, 3):
                opt.step()
                sched.step(e)
                lrs.append(sched.get_last_lr())
        out[mod.__name__] = lrs
    for a, b in zip(out['numtorch'], out['torch']):
        assert a == pytest.approx(b, rel=1e-12)


def test_state_dict_round_trip_resumes_the_schedule():
    full = _run(numtorch, 'OneCycleLR', dict(max_lr=1.0, total_steps=12), 'SGD', 12)
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=12)
    for _ in range(5):
        opt.step()
        sched.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    assert 'optimizer' not in sd and sd['last_epoch'] == 5
    opt2 = _opt(numtorch)
    opt2.load_state_dict(osd)
    sched2 = numtorch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=1.0, total_steps=12, last_epoch=4)
    sched2.load_state_dict(sd)
    lrs = []
    for _ in range(7):
        opt2.step()
        sched2.step()
        lrs.append(sched2.get_last_lr())
    assert lrs == [lr for lr, _ in full[6:]]
    # the torch scheduler's state dict has the same keys
    topt = _opt(torch)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=1.0, total_steps=12)
    assert set(sd) == set(tsched.state_dict())


def test_multistep_state_dict_saves_and_loads():
    import io
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 4], gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    buf = io.BytesIO()
    numtorch.save(sched.state_dict(), buf)
    buf.seek(0)
    sd = numtorch.load(buf)
    opt2 = _opt(numtorch)
    opt2.load_state_dict(opt.state_dict())
    s2 = numtorch.optim.lr_scheduler.MultiStepLR(opt2, milestones=[9], last_epoch=2)
    s2.load_state_dict(sd)
    with pytest.warns(UserWarning):
        s2.step(5)      # the closed form needs the Counter back
    assert s2.get_last_lr() == pytest.approx([0.1 * 0.5 ** 3, 0.05 * 0.5 ** 3])


def test_lambda_state_dict_keeps_callable_objects_only():
    opt = _opt(numtorch)
    w = Warmup(4)
    sched = numtorch.optim.lr_scheduler.LambdaLR(opt, [w, lambda e: 1.0])
    sd = sched.state_dict()
    assert sd['lr_lambdas'] == [{'n': 4}, None]
    w2 = Warmup(99)
    sched2 = numtorch.optim.lr_scheduler.LambdaLR(_opt(numtorch), [w2, lambda e: 1.0])
    sched2.load_state_dict(sd)
    assert w2.n == 4


def test_scheduler_errors_and_warning():
    opt = _opt(numtorch)
    with pytest.raises(TypeError, match='is not an Optimizer'):
        numtorch.optim.lr_scheduler.StepLR(object(), 2)
    with pytest.raises(ValueError, match='total_steps OR'):
        numtorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match='Expected 2 lr_lambdas'):
        numtorch.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(KeyError, match="'initial_lr' is not specified"):
        numtorch.optim.lr_scheduler.StepLR(_opt(numtorch), 2, last_epoch=3)
    sched = numtorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    with pytest.warns(UserWarning, match='before `optimizer.step\\(\\)`'):
        sched.step()
    sched.step()
    with pytest.raises(ValueError, match='Tried to step 3 times'):
        sched.step()
    assert math.isclose(numtorch.optim.lr_scheduler.ExponentialLR(_opt(numtorch), 0.5).get_last_lr()[0], 0.1)


# --- ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR,
# ChainedScheduler, ReduceLROnPlateau: each built by a function of (lr_scheduler module, optimizer)
# so that composite schedulers can build their children in either framework.

class Scale:
    """A callable object: CyclicLR's state_dict keeps its attributes."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return 1.0 / (1.0 + self.k * x)


BUILDERS = {
    'ConstantLR': lambda L, o: L.ConstantLR(o, factor=0.3, total_iters=4),
    'ConstantLR-default': lambda L, o: L.ConstantLR(o),
    'LinearLR': lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7),
    'LinearLR-down': lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=5),
    'PolynomialLR': lambda L, o: L.PolynomialLR(o, total_iters=9, power=2.5),
    'PolynomialLR-linear': lambda L, o: L.PolynomialLR(o),
    'WarmRestarts': lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=0.001),
    'WarmRestarts-Tmult': lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    'CyclicLR': lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4,
                                        step_size_down=3),
    'CyclicLR-tri2': lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode='triangular2',
                                             base_momentum=[0.7, 0.6], max_momentum=0.95),
    'CyclicLR-exp': lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode='exp_range',
                                            gamma=0.97, cycle_momentum=False),
    'CyclicLR-fn': lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=Scale(0.5),
                                           scale_mode='iterations'),
    'CyclicLR-Adam': lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=4),
    'SequentialLR': lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.2, total_iters=5), L.CosineAnnealingLR(o, T_max=10),
            L.ExponentialLR(o, gamma=0.9)], milestones=[5, 15]),
    'SequentialLR-restarts': lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.5, total_iters=3),
            L.CosineAnnealingWarmRestarts(o, T_0=5)], milestones=[4]),
    'ChainedScheduler': lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.5, total_iters=6), L.StepLR(o, step_size=4, gamma=0.7),
         L.PolynomialLR(o, total_iters=20)]),
    'Chained-in-Sequential': lambda L, o: L.SequentialLR(
        o, [L.ChainedScheduler([L.ConstantLR(o, factor=0.5), L.ExponentialLR(o, gamma=0.95)]),
            L.MultiStepLR(o, milestones=[3, 8])], milestones=[6]),
}
ADAM = {'CyclicLR-Adam'}
PLATEAU = {
    'min-rel': dict(factor=0.5, patience=2),
    'min-abs-cooldown': dict(factor=0.3, patience=1, threshold=0.02, threshold_mode='abs',
                             cooldown=2, min_lr=[0.004, 0.01]),
    'max-rel': dict(mode='max', factor=0.2, patience=0, threshold=0.1, min_lr=0.003),
    'max-abs-eps': dict(mode='max', factor=0.9, patience=1, threshold_mode='abs', eps=0.006),
}
N_STEPS = 30


def _metric(i, mode):
    # plateaus, small wiggles and improvements, so every branch of _is_better is taken
    m = 1.0 / (1 + i // 5) + 0.004 * (i % 3)
    return m if mode == 'min' else -m


def _record(opt, sched):
    return (list(sched.get_last_lr()), [g.get('momentum', g.get('betas')) for g in opt.param_groups])


def _make(mod, name):
    opt = _opt(mod, 'Adam' if name in ADAM else 'SGD')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')       # torch warns about some children's initial steps
        if name in BUILDERS:
            return opt, BUILDERS[name](mod.optim.lr_scheduler, opt)
        return opt, mod.optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU[name])


def _advance(opt, sched, name, start, stop):
    out = []
    for i in range(start, stop):
        opt.step()
        if name in PLATEAU:
            sched.step(_metric(i, PLATEAU[name].get('mode', 'min')))
        else:
            sched.step()
        out.append(_record(opt, sched))
    return out


NEW = list(BUILDERS) + list(PLATEAU)


@pytest.mark.parametrize('name', NEW)
def test_new_scheduler_sequence_matches_torch(name):
    seqs = {}
    for mod in (numtorch, torch):
        opt, sched = _make(mod, name)
        seqs[mod.__name__] = [_record(opt, sched)] + _advance(opt, sched, name, 0, N_STEPS)
    _assert_seq_close(seqs['numtorch'], seqs['torch'])


def _keys(sd):
    return {k: ([_keys(c) for c in v] if k == '_schedulers' else None) for k, v in sd.items()}


@pytest.mark.parametrize('name', NEW)
def test_new_scheduler_resumes_from_state_dict(name):
    t_opt, t_sched = _make(torch, name)
    full = _advance(t_opt, t_sched, name, 0, N_STEPS)
    opt, sched = _make(numtorch, name)
    _advance(opt, sched, name, 0, 13)
    sd, osd = sched.state_dict(), opt.state_dict()
    t_opt2, t_sched2 = _make(torch, name)
    assert _keys(sd) == _keys(t_sched2.state_dict())         # torch's keys, children's included
    opt2, sched2 = _make(numtorch, name)          # scheduler first, then the optimizer's state
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    assert sched2.get_last_lr() == pytest.approx(full[12][0], rel=1e-12)
    _assert_seq_close(_advance(opt2, sched2, name, 13, N_STEPS), full[13:])


def test_cyclic_state_dict_keeps_callable_objects_only():
    opt, sched = _make(numtorch, 'CyclicLR-fn')
    sd = sched.state_dict()
    assert sd['_scale_fn_custom'] == {'k': 0.5} and '_scale_fn_ref' not in sd
    opt2 = _opt(numtorch)
    s2 = numtorch.optim.lr_scheduler.CyclicLR(opt2, 0.01, 0.1, step_size_up=2, scale_fn=Scale(9))
    s2.load_state_dict(sd)
    assert s2._scale_fn_custom.k == 0.5
    _, tri = _make(numtorch, 'CyclicLR')
    assert tri.state_dict()['_scale_fn_custom'] is None
    lam = numtorch.optim.lr_scheduler.CyclicLR(_opt(numtorch), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert lam.state_dict()['_scale_fn_custom'] is None


@pytest.mark.parametrize('cls,kw', [('ConstantLR', dict(factor=0.25, total_iters=4)),
                                    ('LinearLR', dict(start_factor=0.1, total_iters=6)),
                                    ('PolynomialLR', dict(total_iters=6, power=3.0)),
                                    ('CosineAnnealingWarmRestarts', dict(T_0=3, T_mult=2)),
                                    ('CosineAnnealingWarmRestarts', dict(T_0=4))])
def test_new_step_with_epoch_matches_torch(cls, kw):
    out = {}
    for mod in (numtorch, torch):
        opt = _opt(mod)
        sched = getattr(mod.optim.lr_scheduler, cls)(opt, **kw)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for e in (4, 1, 7, 3, 0, 9, 2.5, 13.25, 30):
                opt.step()
                sched.step(e)
                lrs.append((sched.get_last_lr(), sched.last_epoch))
        out[mod.__name__] = lrs
    for (a, ea), (b, eb) in zip(out['numtorch'], out['torch']):
        assert a == pytest.approx(b, rel=1e-12) and ea == eb


def test_plateau_accepts_tensor_metric_and_epoch():
    opt = _opt(numtorch)
    s = numtorch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    s.step(numtorch.tensor(1.0))
    s.step(numtorch.tensor(2.0))
    assert s.get_last_lr() == pytest.approx([0.01, 0.005])
    with pytest.warns(UserWarning, match='epoch parameter'):
        s.step(0.5, epoch=10)
    assert s.last_epoch == 10 and s.best == 0.5


@pytest.mark.parametrize('fn,exc', [
    (lambda L, o, m: L.ConstantLR(o, factor=1.5), ValueError),
    (lambda L, o, m: L.LinearLR(o, start_factor=0), ValueError),
    (lambda L, o, m: L.LinearLR(o, end_factor=1.1), ValueError),
    (lambda L, o, m: L.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
    (lambda L, o, m: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError),
    (lambda L, o, m: L.CosineAnnealingWarmRestarts(o, T_0=2, eta_min='0'), ValueError),
    (lambda L, o, m: L.CosineAnnealingWarmRestarts(o, T_0=2).step(-1), ValueError),
    (lambda L, o, m: L.CyclicLR(o, 0.1, 1.0, mode='zigzag'), ValueError),
    (lambda L, o, m: L.CyclicLR(o, [0.1], 1.0), ValueError),
    (lambda L, o, m: L.CyclicLR(m.optim.Adagrad([m.zeros(1, requires_grad=True)]), 0.1, 1.0),
     ValueError),
    (lambda L, o, m: L.CyclicLR(object(), 0.1, 1.0), TypeError),
    (lambda L, o, m: L.SequentialLR(o, [], []), ValueError),
    (lambda L, o, m: L.SequentialLR(o, [L.ConstantLR(o), L.ConstantLR(o)], [1, 2]), ValueError),
    (lambda L, o, m: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], []), ValueError),
    (lambda L, o, m: L.SequentialLR(o, [object()], []), TypeError),
    (lambda L, o, m: L.ChainedScheduler([]), ValueError),
    (lambda L, o, m: L.ChainedScheduler([L.ReduceLROnPlateau(o)]), ValueError),
    (lambda L, o, m: L.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda L, o, m: L.ReduceLROnPlateau(o, mode='up'), ValueError),
    (lambda L, o, m: L.ReduceLROnPlateau(o, threshold_mode='pct'), ValueError),
    (lambda L, o, m: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda L, o, m: L.ReduceLROnPlateau(object()), TypeError),
])
def test_new_scheduler_errors_match_torch(fn, exc):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        n, t = same_error(lambda m: fn(m.optim.lr_scheduler, _opt(m), m))
    assert isinstance(t, exc)


def test_composites_reject_a_foreign_optimizer():
    for mod in (numtorch, torch):
        L = mod.optim.lr_scheduler
        o1, o2 = _opt(mod), _opt(mod)
        with pytest.raises(ValueError, match='expects all schedulers to belong to the same optimizer'):
            L.SequentialLR(o1, [L.ConstantLR(o1), L.ConstantLR(o2)], [2])
        with pytest.raises(ValueError, match='at index 1'):
            L.ChainedScheduler([L.ConstantLR(o1), L.ConstantLR(o2)])


def test_plateau_param_group_added_after_init():
    for mod in (numtorch, torch):
        opt = _opt(mod)
        s = mod.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({'params': [mod.zeros(1, requires_grad=True)]})
        s.step(1.0)
        with pytest.raises(RuntimeError, match=r'param groups in the `optimizer` \(3\) differs'):
            s.step(2.0)


SCHEDULERS = {
    'StepLR': lambda L, o: L.StepLR(o, 2), 'MultiStepLR': lambda L, o: L.MultiStepLR(o, [1, 2]),
    'ExponentialLR': lambda L, o: L.ExponentialLR(o, 0.9),
    'CosineAnnealingLR': lambda L, o: L.CosineAnnealingLR(o, 5),
    'LambdaLR': lambda L, o: L.LambdaLR(o, lambda e: 1.0), 'ConstantLR': lambda L, o: L.ConstantLR(o),
    'LinearLR': lambda L, o: L.LinearLR(o), 'PolynomialLR': lambda L, o: L.PolynomialLR(o),
    'ReduceLROnPlateau': lambda L, o: L.ReduceLROnPlateau(o),
    'CyclicLR': lambda L, o: L.CyclicLR(o, 0.01, 0.1),
    'OneCycleLR': lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10),
    'CosineAnnealingWarmRestarts': lambda L, o: L.CosineAnnealingWarmRestarts(o, 2),
    'SequentialLR': lambda L, o: L.SequentialLR(o, [L.ConstantLR(o), L.ExponentialLR(o, 0.9)], [2]),
    'ChainedScheduler': lambda L, o: L.ChainedScheduler([L.ConstantLR(o), L.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize('name', SCHEDULERS)
def test_state_dict_key_order_is_torchs(name):
    keys = []
    for m in (numtorch, torch):
        o = _opt(m)
        s = SCHEDULERS[name](m.optim.lr_scheduler, o)
        for _ in range(3):
            o.step()
            s.step(1.0) if name == 'ReduceLROnPlateau' else s.step()
        keys.append(list(s.state_dict()))
    assert keys[0] == keys[1]
