"""The optimizers, GradScaler, autograd's entry points, distributions, parametrizations and
``nn.utils.rnn`` on the strict stand-in device (``cuda`` without a GPU), against the CPU.

The stand-in computes with NumPy, so a run on it must give the CPU's numbers bit for bit; its
arrays refuse host operands and implicit host conversion, so a stray ``numpy.zeros`` or
``np.asarray`` in these modules fails here. Read-backs (device -> host copies) are counted where
torch makes none (the optimizer step, ``GradScaler.update``).
"""
import copy

import numpy as np
import pytest

import numtorch
from numtorch import nn
from numtorch.testing import stand_in

O = numtorch.optim


@pytest.fixture
def cuda():
    with stand_in.enabled() as b:
        yield b


def host(t):
    return stand_in.to_host(t.detach() if isinstance(t, numtorch.Tensor) else t).copy()


def same(a, b):
    """Bit-for-bit equality of lists of tensors/arrays (NaNs in the same places)."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = host(x), host(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y, equal_nan=True), (x, y)


def on_device(*ts):
    assert all(t.is_cuda for t in ts), [t.device for t in ts]


# ----------------------------------------------------------------------------- optimizers
OPTIMIZERS = [
    ('SGD', dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ('SGD', dict(lr=0.1, momentum=0.5, dampening=0.2, maximize=True, foreach=True)),
    ('Adam', dict(lr=0.01)),
    ('Adam', dict(lr=0.01, amsgrad=True, weight_decay=0.1, foreach=True)),
    ('Adam', dict(lr=0.01, maximize=True, betas=(0.3, 0.9))),        # lerp's other branch
    ('AdamW', dict(lr=0.01, amsgrad=True)),
    ('Adadelta', dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ('Adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, foreach=True)),
    ('Adamax', dict(lr=0.01, weight_decay=0.1)),
    ('ASGD', dict(lr=0.05, t0=1, weight_decay=0.1)),
    ('NAdam', dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ('NAdam', dict(lr=0.01, maximize=True, foreach=True)),
    ('RAdam', dict(lr=0.01, betas=(0.9, 0.5))),                       # rectified from step 2
    ('RAdam', dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ('RMSprop', dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ('RMSprop', dict(lr=0.01, maximize=True, foreach=True)),
    ('Rprop', dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(0.01, 0.1))),
]
# state torch keeps on the host for a CUDA parameter (non-capturable): the step counters, NAdam's
# mu_product; ASGD keeps step, eta and mu on the parameter's device
HOST_STATE = {'step', 'mu_product'}


def _steps(dev, name, kw, steps=3):
    numtorch.manual_seed(0)
    ps = [numtorch.randn(3, 4).to(dev).requires_grad_(), numtorch.randn(4).to(dev).requires_grad_()]
    opt = getattr(O, name)(ps, **kw)
    syncs = 0
    for i in range(steps):
        opt.zero_grad()
        loss = sum(((p - 0.3) ** 2 * (i + 1 - 2 * p)).sum() for p in ps)   # grads change sign
        loss.backward()
        before = stand_in.transfers['d2h']
        opt.step()
        syncs += stand_in.transfers['d2h'] - before
    return ps, opt, syncs


@pytest.mark.parametrize('name,kw', OPTIMIZERS, ids=[f'{n}-{i}' for i, (n, _) in
                                                      enumerate(OPTIMIZERS)])
def test_optimizer_steps_on_the_device_as_on_the_cpu(cuda, name, kw):
    cpu, _, _ = _steps('cpu', name, kw)
    dev, opt, syncs = _steps('cuda', name, kw)
    same(dev, cpu)
    on_device(*dev)
    for p in dev:
        for k, v in opt.state[p].items():
            if isinstance(v, numtorch.Tensor):
                host_side = k in HOST_STATE and name != 'ASGD'
                assert v.is_cuda != host_side, (k, v.device)
    # no read-back in a step, except ASGD's (torch reads eta, mu and step back with .item())
    assert syncs == (3 * 2 * 3 if name == 'ASGD' else 0)


def test_sparse_adam_on_the_device(cuda):
    out = {}
    for dev in ('cpu', 'cuda'):
        w = numtorch.arange(12.).reshape(4, 3).to(dev).requires_grad_()
        opt = O.SparseAdam([w], lr=0.1)
        for rows in ([1, 2], [2], [0, 3]):
            mask = numtorch.zeros(4, 1)
            mask[rows] = 1.0
            w.grad = (mask * numtorch.tensor([1., -2., 0.5])).to(dev)
            opt.step()
        out[dev] = (w, opt.state[w]['exp_avg'], opt.state[w]['exp_avg_sq'])
    same(out['cuda'], out['cpu'])
    on_device(*out['cuda'])


@pytest.mark.parametrize('kw', [dict(line_search_fn='strong_wolfe', max_iter=4),
                                dict(lr=0.5, max_iter=3, history_size=2)],
                         ids=['wolfe', 'fixed'])
def test_lbfgs_on_the_device(cuda, kw):
    out = {}
    for dev in ('cpu', 'cuda'):
        rng = np.random.default_rng(7)
        X = numtorch.tensor(rng.standard_normal((6, 3))).to(dev)
        y = numtorch.tensor(rng.standard_normal(6)).to(dev)
        w = numtorch.tensor([0.5, -1.0, 2.0], dtype=numtorch.float64).to(dev).requires_grad_()
        opt = O.LBFGS([w], **kw)

        def closure():
            opt.zero_grad()
            loss = ((X @ w - y) ** 2).mean() + ((w[1:] - w[:-1] ** 2) ** 2).sum()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(2)]
        st = opt.state[w]
        out[dev] = losses, [w, st['d'], st['prev_flat_grad']] + st['old_dirs'], st['func_evals']
    assert out['cuda'][0] == out['cpu'][0] and out['cuda'][2] == out['cpu'][2]
    same(out['cuda'][1], out['cpu'][1])
    on_device(*out['cuda'][1])


# ----------------------------------------------------------------------------- GradScaler
def _scaled_training(dev, scaler):
    numtorch.manual_seed(0)
    w = numtorch.randn(3).to(dev).requires_grad_()
    opt = O.SGD([w], lr=0.1)
    scales, update_syncs = [], 0
    for i in range(5):
        opt.zero_grad()
        big = 1e38 if i == 1 else 1.0              # step 1 overflows: skipped, scale backs off
        loss = (w * w * big).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        before = stand_in.transfers['d2h']
        scaler.update()
        update_syncs += stand_in.transfers['d2h'] - before
        scales.append(scaler.get_scale())
    return w, scales, update_syncs


def test_grad_scaler_on_the_device(cuda):
    sc_cpu = numtorch.amp.GradScaler('cpu', init_scale=2.0 ** 10, growth_interval=2)
    sc_dev = numtorch.amp.GradScaler('cuda', init_scale=2.0 ** 10, growth_interval=2)
    assert sc_dev.is_enabled()                 # CUDA is available (the stand-in)
    w_cpu, s_cpu, _ = _scaled_training('cpu', sc_cpu)
    w_dev, s_dev, syncs = _scaled_training('cuda', sc_dev)
    assert s_dev == s_cpu and s_cpu[1] == 2.0 ** 9 and s_cpu[-1] == 2.0 ** 10
    same([w_dev], [w_cpu])
    on_device(w_dev, sc_dev._scale, sc_dev._growth_tracker)
    assert syncs == 0                          # update() runs on the device, as torch's
    assert sc_dev.state_dict() == sc_cpu.state_dict()


def test_grad_scaler_step_without_gradients_fails_as_torch():
    from errcheck import same_error

    def run(m):
        w = m.ones(2, requires_grad=True)
        opt = m.optim.SGD([w], lr=0.1)
        s = m.amp.GradScaler('cpu')
        s.scale((w * w).sum())                    # no backward: no gradient to check
        s.step(opt)
    same_error(run)


# ----------------------------------------------------------------------------- autograd
def test_autograd_entry_points_on_the_device(cuda):
    from numtorch.autograd.functional import jacobian, vjp
    out = {}
    for dev in ('cpu', 'cuda'):
        x = numtorch.tensor([1., 2., 3.], dtype=numtorch.float64).to(dev).requires_grad_()
        z = numtorch.zeros(2).to(dev).requires_grad_()
        g, = numtorch.autograd.grad((x * x).sin().sum(), x)
        gu = numtorch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True,
                                    materialize_grads=True)
        x.exp().backward(gradient=numtorch.tensor([1., .5, 2.], dtype=numtorch.float64).to(dev))
        (x * x).sum().backward()                  # the implicit ones_like root, accumulated
        J = jacobian(lambda t: t.sin() * t, x.detach())
        val, vj = vjp(lambda t: t ** 3, x.detach(), numtorch.ones(3, dtype=numtorch.float64,
                                                                     device=dev))
        assert numtorch.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
        out[dev] = [g, gu[0], gu[1], x.grad, J, val, vj]
    same(out['cuda'], out['cpu'])
    on_device(*out['cuda'])


# ----------------------------------------------------------------------------- distributions
def test_distributions_on_the_device(cuda):
    D = numtorch.distributions
    out = {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        logits = numtorch.tensor([[0.1, 1.0, -2.0], [0.5, 0.5, 0.0]]).to(dev)
        # validation needs all()/gather on the device: see the xfail below
        c = D.Categorical(logits=logits, validate_args=False)
        u = D.Uniform(numtorch.tensor([0., 1.]).to(dev), 3.0, validate_args=False)
        v = numtorch.tensor([0.5, 4.0]).to(dev)
        out[dev] = [c.sample((4,)), c.entropy(), c.mean, u.rsample((3,)), u.sample(),
                    u.log_prob(v), u.entropy(), u.cdf(v), u.high]
    same(out['cuda'], out['cpu'])
    on_device(*out['cuda'])


@pytest.mark.xfail(raises=TypeError, reason='all()/any(dim) and gather are not yet device-neutral '
                   '(_ops/reductions/reduce.py _logical, _ops/indexing/gather_scatter.py): validation and log_prob fail')
def test_distribution_validation_on_the_device(cuda):
    D = numtorch.distributions
    c = D.Categorical(logits=numtorch.tensor([[0.1, 1.0, -2.0]]).to('cuda'))
    c.log_prob(numtorch.tensor([2]).to('cuda'))
    pd = D.constraints.positive_definite.check(numtorch.tensor([[2., 1.], [1., 2.]]).to('cuda'))
    assert pd.is_cuda and bool(pd)


# ----------------------------------------------------------------------------- parametrizations
PARAMETRIZED = [
    ('weight_norm', (4, 3), {}), ('spectral_norm', (4, 3), {}),
    ('orthogonal', (3, 3), {}), ('orthogonal', (3, 3), dict(orthogonal_map='cayley')),
    ('orthogonal', (4, 3), dict(orthogonal_map='matrix_exp')),
    ('orthogonal', (3, 4), dict(orthogonal_map='cayley')),
]


@pytest.mark.parametrize('fn,shape,kw', PARAMETRIZED,
                         ids=[f'{f}-{i}' for i, (f, _, _) in enumerate(PARAMETRIZED)])
def test_parametrizations_on_the_device(cuda, fn, shape, kw):
    P = nn.utils.parametrizations
    numtorch.manual_seed(0)
    x = numtorch.randn(2, shape[0])
    m = getattr(P, fn)(nn.Linear(*shape), **kw)          # made on the CPU, then moved
    md = copy.deepcopy(m).to('cuda')
    res = {}
    for dev, mod in (('cpu', m), ('cuda', md)):
        out = mod(x.to(dev))
        (out * out).sum().backward()
        res[dev] = [out, mod.weight] + [p.grad for p in mod.parameters()]
    same(res['cuda'], res['cpu'])
    on_device(*res['cuda'])
    # made directly on the device (its own random init there): runs there, keeps its law
    md2 = getattr(P, fn)(nn.Linear(*shape).to('cuda'), **kw)
    W = md2.weight
    on_device(W, md2(x.to('cuda')))
    if fn == 'orthogonal':
        W = host(W)
        W = W if W.shape[0] >= W.shape[1] else W.T
        np.testing.assert_allclose(W.T @ W, np.eye(W.shape[1]), atol=1e-5)


@pytest.mark.xfail(raises=TypeError, reason='diagonal() is not yet device-neutral '
                   '(_ops/shape/views.py as_strided): the householder map fails on the device')
def test_orthogonal_householder_on_the_device(cuda):
    m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 4), orthogonal_map='householder')
    assert m.to('cuda').weight.is_cuda


# ----------------------------------------------------------------------------- nn.utils.rnn
def test_pack_and_pad_on_the_device_with_cpu_lengths(cuda):
    R = nn.utils.rnn
    res = {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        x = numtorch.randn(4, 3, 2).to(dev).requires_grad_()
        lengths = numtorch.tensor([2, 4, 1])                 # on the CPU, as torch requires
        p = R.pack_padded_sequence(x, lengths, enforce_sorted=False)
        assert p.batch_sizes.device.type == 'cpu'
        padded, ls = R.pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
        assert ls.device.type == 'cpu'                       # lengths come back on the CPU
        (padded * padded).sum().backward()
        seqs = [numtorch.randn(n, 2).to(dev) for n in (3, 1, 2)]
        ps = R.pack_sequence(seqs, enforce_sorted=False)
        res[dev] = ([p.data, p.sorted_indices, p.unsorted_indices, padded, x.grad, ps.data,
                     R.pad_sequence(seqs, batch_first=True, padding_side='left')] +
                    R.unpack_sequence(ps) + R.unpad_sequence(padded, ls, batch_first=True))
    same(res['cuda'], res['cpu'])
    on_device(*res['cuda'])
