"""CPU autocast vs torch.autocast('cpu'): lower-precision ops cast float inputs to the autocast
dtype (outputs bfloat16/float16, gradients reach float32 leaves in float32), fp32-policy losses
run in float32, and enabled/nesting/decorator/cache_enabled behave as torch's."""
import numpy as np
import pytest
import torch

import numtorch

MODS = (numtorch, torch)
BF16_EPS = 2.0 ** -7   # one bfloat16 ulp (relative)


def _np(t):
    return t.detach().float().numpy()


def _close(a, b, k=1, low=None):
    """numtorch vs torch results: same dtype, values within a few low-precision roundings
    (k = length of the reduction, errors grow with it)."""
    assert str(a.dtype) == str(b.dtype)
    low = str(a.dtype) if low is None else low   # precision the values were computed in
    eps = BF16_EPS if 'bfloat16' in low else 2.0 ** -10 if 'float16' in low \
        else 1e-6
    x, y = _np(a), _np(b)
    scale = np.abs(y).max() + 1e-6
    np.testing.assert_allclose(x, y, rtol=0, atol=4 * eps * np.sqrt(k) * scale)


def _leaves(shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [[m.tensor(a, requires_grad=True) for a in arrs] for m in MODS]


OPS = {
    'linear': ([(2, 3, 8), (5, 8), (5,)], lambda m, x, w, b: m.nn.functional.linear(x, w, b)),
    'linear_nobias': ([(4, 8), (5, 8)], lambda m, x, w: m.nn.functional.linear(x, w)),
    'matmul': ([(3, 4, 8), (8, 5)], lambda m, a, b: a @ b),
    'matmul_vec': ([(4, 8), (8,)], lambda m, a, b: m.matmul(a, b)),
    'mm': ([(4, 8), (8, 5)], lambda m, a, b: m.mm(a, b)),
    'bmm': ([(2, 4, 8), (2, 8, 5)], lambda m, a, b: m.bmm(a, b)),
    'addmm': ([(5,), (4, 8), (8, 5)], lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2)),
    'baddbmm': ([(2, 4, 5), (2, 4, 8), (2, 8, 5)], lambda m, c, a, b: m.baddbmm(c, a, b)),
    'addbmm': ([(4, 5), (2, 4, 8), (2, 8, 5)], lambda m, c, a, b: m.addbmm(c, a, b)),
    'einsum': ([(2, 4, 8), (2, 8, 5)], lambda m, a, b: m.einsum('bij,bjk->bik', a, b)),
}


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
@pytest.mark.parametrize('name', sorted(OPS))
def test_lower_precision_ops_match_torch(name, dtype):
    shapes, fn = OPS[name]
    res = []
    for m, leaves in zip(MODS, _leaves(shapes)):
        with m.autocast('cpu', dtype=getattr(m, dtype)):
            out = fn(m, *leaves)
        out.float().pow(2).sum().backward()
        res.append((out, [t.grad for t in leaves]))
    (o, gs), (to, tgs) = res
    assert str(o.dtype) == f'torch.{dtype}'
    _close(o, to, 16)
    for g, tg in zip(gs, tgs):
        assert str(g.dtype) == str(tg.dtype) == 'torch.float32'
        _close(g, tg, 64, low=dtype)


def test_ineligible_inputs_are_not_cast_and_mixed_inputs_are():
    for m in MODS:
        a = m.ones(2, 3)
        with m.autocast('cpu'):
            d = m.mm(a.double(), a.double().T)
            i = m.mm(a.long(), a.long().T)
            mixed = a.bfloat16() @ a.T
            h = m.mm(a.half(), a.T)
        assert (str(d.dtype), str(i.dtype), str(mixed.dtype), str(h.dtype)) == \
            ('torch.float64', 'torch.int64', 'torch.bfloat16', 'torch.bfloat16')


def _state_run(m):
    a = m.ones(2, 2)
    seen = []
    with m.autocast('cpu'):
        seen.append(str((a @ a).dtype))
        with m.autocast('cpu', enabled=False):
            seen.append(str((a @ a).dtype))
            with m.autocast('cpu', dtype=m.float16):
                seen.append(str((a @ a).dtype))
            seen.append(str((a @ a).dtype))
        seen.append(str((a @ a).dtype))
        with m.autocast('cpu', cache_enabled=False):
            seen.append(str(m.nn.functional.linear(a, a).dtype))
    seen.append(str((a @ a).dtype))

    @m.autocast('cpu')
    def f(x):
        return x @ x
    seen.append(str(f(a).dtype))
    seen.append(str((a @ a).dtype))
    try:
        with m.autocast('cpu'):
            raise KeyError
    except KeyError:
        pass
    seen.append(str((a @ a).dtype))
    return seen


def test_enabled_nesting_decorator_cache_enabled_match_torch():
    assert _state_run(numtorch) == _state_run(torch)
    assert 'torch.bfloat16' in _state_run(numtorch)


def test_fp32_policy_losses_match_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    outs = []
    for m in MODS:
        F = m.nn.functional
        xb = m.tensor(x).bfloat16().requires_grad_()
        t = m.tensor([0, 1, 2, 0])
        with m.autocast('cpu'):
            losses = [F.cross_entropy(xb, t), F.nll_loss(xb, t), F.mse_loss(xb, xb * 0),
                      F.softmax(xb, -1), F.log_softmax(xb, -1), F.layer_norm(xb, (3,))]
        losses[0].backward()
        outs.append((losses, xb.grad))
    for a, b in zip(outs[0][0], outs[1][0]):
        _close(a, b, 4, low='bfloat16')
    _close(outs[0][1], outs[1][1], 4)


def test_mlp_training_step_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    nets, losses = [], []
    for m in MODS:
        m.manual_seed(0)
        nn = m.nn
        net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        nets.append(net)
    nets[0].load_state_dict({k: numtorch.tensor(v.detach().numpy())
                             for k, v in nets[1].state_dict().items()})
    for m, net in zip(MODS, nets):
        opt = m.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(2):
            with m.autocast('cpu'):
                out = net(m.tensor(x))
                loss = m.nn.functional.cross_entropy(out, m.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert str(out.dtype) == 'torch.bfloat16' and str(loss.dtype) == 'torch.float32'
        losses.append(loss)
    _close(losses[0], losses[1], 16, low='bfloat16')
    for p, tp in zip(nets[0].parameters(), nets[1].parameters()):
        assert str(p.dtype) == str(p.grad.dtype) == 'torch.float32'
        _close(p, tp, 16, low='bfloat16')


def test_conv_stays_float32_documented_difference():
    # torch runs conv in bfloat16 under CPU autocast; numtorch keeps float32 (more accurate)
    x, w = numtorch.randn(1, 2, 5), numtorch.randn(3, 2, 2, requires_grad=True)
    with numtorch.autocast('cpu'):
        y = numtorch.nn.functional.conv1d(x, w)
    y.sum().backward()
    assert y.dtype == numtorch.float32 and w.grad.dtype == numtorch.float32
    ref = torch.nn.functional.conv1d(torch.tensor(x.numpy()), torch.tensor(w.detach().numpy()))
    np.testing.assert_allclose(y.detach().numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
