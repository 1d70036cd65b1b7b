"""Findings of the training/checkpoint audit, each checked against torch 2.13: loss dtype
promotion, gradients of ignored targets, and a D2L-style training run whose optimizer and
scheduler are checkpointed through a file object mid-way and resumed."""
import io

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
from errcheck import same_error
from numtorch.nn import functional as F


@pytest.mark.parametrize('name', ['mse_loss', 'l1_loss', 'smooth_l1_loss', 'huber_loss'])
@pytest.mark.parametrize('dts', [('float32', 'int64'), ('int64', 'float32'), ('float16', 'float32'),
                                 ('float32', 'float64'), ('float64', 'int32'), ('float32', 'bool')])
def test_regression_loss_dtype_follows_torch_promotion(name, dts):
    a = np.array([0.5, -1.0, 2.0]).astype(dts[0])
    b = np.array([1, 0, 1]).astype(dts[1])
    try:
        want = getattr(TF, name)(torch.tensor(a), torch.tensor(b))
    except RuntimeError:      # torch refuses (l1_loss of a bool target): numtorch must too, alike
        same_error(lambda m: getattr(m.nn.functional, name)(m.tensor(a), m.tensor(b)))
        return
    got = getattr(F, name)(numtorch.tensor(a), numtorch.tensor(b))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-3)


@pytest.mark.parametrize('fn,smoothing', [('cross_entropy', 0.0), ('cross_entropy', 0.2),
                                          ('nll_loss', 0.0)])   # nll_loss has no smoothing
def test_ignored_targets_get_positive_zero_gradients(fn, smoothing):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = np.array([0, -100, 1])
    kw = dict(label_smoothing=smoothing) if fn == 'cross_entropy' else {}
    grads = []
    for lib, F_ in ((numtorch, F), (torch, TF)):
        xt = lib.tensor(x, requires_grad=True)
        getattr(F_, fn)(xt, lib.tensor(t), **kw).backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)
    assert not np.signbit(grads[0][1]).any() and str(numtorch.tensor(grads[0][1])) == str(
        torch.tensor(grads[1][1]))


def _train(lib, X, y, epochs, ckpt=None, resume=None):
    """D2L-style loop: two parameter groups with different lrs, SGD with momentum and weight
    decay, StepLR; optionally checkpoint to / resume from a BytesIO mid-way."""
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(6, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
    with lib.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(lib.tensor(np.random.default_rng(i).standard_normal(tuple(p.shape)) * 0.3,
                               dtype=lib.float32))
    opt = lib.optim.SGD([{'params': net[1].parameters(), 'lr': 0.2},
                         {'params': net[3].parameters()}], lr=0.05, momentum=0.9,
                        weight_decay=1e-3)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    start = 0
    if resume is not None:
        resume.seek(0)
        ck = lib.load(resume, map_location='cpu')
        net.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        sched.load_state_dict(ck['scheduler'])
        start = ck['epoch']
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(y)),
                                       batch_size=4)
    loss = lib.nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(start, epochs):
        for Xb, yb in loader:
            opt.zero_grad()
            loss(net(Xb), yb).backward()
            opt.step()
        sched.step()
        if ckpt is not None and epoch == 1:
            lib.save({'model': net.state_dict(), 'optimizer': opt.state_dict(),
                      'scheduler': sched.state_dict(), 'epoch': epoch + 1}, ckpt)
    return [p.detach().numpy().copy() for p in net.parameters()], [g['lr'] for g in opt.param_groups]


def test_training_with_checkpoint_through_file_objects_matches_torch():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((12, 2, 3)).astype(np.float32)
    y = rng.integers(0, 3, 12)
    want, want_lr = _train(torch, X, y, 5)
    full, full_lr = _train(numtorch, X, y, 5)
    for a, b in zip(full, want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert full_lr == pytest.approx(want_lr)
    # resume from a numtorch checkpoint, and from one torch wrote: both continue identically
    for lib in (numtorch, torch):
        buf = io.BytesIO()
        _train(lib, X, y, 2, ckpt=buf)
        resumed, lr = _train(numtorch, X, y, 5, resume=buf)
        assert lr == full_lr
        for a, b in zip(resumed, full):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('opt,kw', [
    ('Adam', dict(lr=-1)), ('Adam', dict(eps=-1)), ('AdamW', dict(weight_decay=-1)),
    ('RMSprop', dict(alpha=-1)), ('RMSprop', dict(momentum=-1, weight_decay=-1)),
    ('Adagrad', dict(lr_decay=-1)), ('Adagrad', dict(initial_accumulator_value=-1, eps=-1)),
    ('Adagrad', dict(eps=-1)), ('SGD', dict(lr=float('nan'))), ('SGD', dict(momentum=-1)),
    ('Adam', dict(lr=float('nan'))), ('SGD', dict(lr=0.1, weight_decay=-0.5))])
def test_optimizer_argument_checks_match_torch(opt, kw):
    outcomes = []
    for lib in (numtorch, torch):
        try:
            getattr(lib.optim, opt)([lib.nn.Parameter(lib.zeros(1))], **kw)
            outcomes.append('ok')
        except ValueError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]
