"""numtorch.optim.lr_scheduler against torch's: the lr (and momentum) sequences, step(epoch),
state_dict round trips."""
import math
import warnings

import pytest
import torch

import numtorch


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
