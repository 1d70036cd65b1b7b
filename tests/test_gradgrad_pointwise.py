"""create_graph through pointwise ops and activations beyond what the Op harness checks: third
derivatives vs torch (the harness stops at the second), and the large-array fast paths (threaded
sigmoid/relu, float32 gelu's one-exp Phi) that the harness's tiny cases never reach."""
import numpy as np
import pytest
import torch

import numtorch
from opcheck import assert_close


def _tf(m):
    return numtorch.nn.functional if m is numtorch else torch.nn.functional


THIRD = {
    'sigmoid': (lambda m, x: m.sigmoid(x), (-4, 4)),
    'tanh': (lambda m, x: m.tanh(x), (-2, 2)),
    'gelu': (lambda m, x: _tf(m).gelu(x), (-3, 3)),
    'gelu_tanh': (lambda m, x: _tf(m).gelu(x, approximate='tanh'), (-3, 3)),
    'silu': (lambda m, x: _tf(m).silu(x), (-3, 3)),
    'mish': (lambda m, x: _tf(m).mish(x), (-3, 3)),
    'softplus': (lambda m, x: _tf(m).softplus(x, beta=2.0), (-3, 3)),
    'elu': (lambda m, x: _tf(m).elu(x), (-3, 3)),
    'logsigmoid': (lambda m, x: _tf(m).logsigmoid(x), (-3, 3)),
    'glu': (lambda m, x: _tf(m).glu(x, dim=0), (-2, 2)),
    'digamma': (lambda m, x: m.digamma(x), (0.5, 4)),
    'i1': (lambda m, x: m.special.i1(x), (0.2, 3)),
    'lgamma': (lambda m, x: m.lgamma(x), (0.5, 4)),
    'erf': (lambda m, x: m.erf(x), (-2, 2)),
}


def _third(m, fn, x, v, w, u):
    """<u, d/dx <w, d/dx <v, f(x)>>> 's gradient: a third derivative, through two graphed
    backward passes."""
    xs = m.tensor(x, requires_grad=True)
    y = fn(m, xs)
    g1, = m.autograd.grad(y, xs, m.tensor(v), create_graph=True)
    g2, = m.autograd.grad((g1 * m.tensor(w)).sum(), xs, create_graph=True)
    g3, = m.autograd.grad((g2 * m.tensor(u)).sum(), xs)
    return g1.detach().numpy(), g2.detach().numpy(), g3.numpy()


@pytest.mark.parametrize('name', sorted(THIRD))
def test_third_derivative_vs_torch(name):
    fn, (lo, hi) = THIRD[name]
    rng = np.random.default_rng(3)
    x = rng.uniform(lo, hi, (4, 3))
    with torch.enable_grad():
        out_shape = tuple(fn(torch, torch.tensor(x)).shape)
    v = rng.standard_normal(out_shape)
    w, u = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    got = _third(numtorch, fn, x, v, w, u)
    want = _third(torch, fn, x, v, w, u)
    # digamma's third derivative is polygamma(3): torch's own is only ~1e-9 accurate
    tol = dict(rtol=1e-7, atol=1e-7) if name in ('digamma', 'lgamma') else None
    for n, t in zip(got, want):
        assert_close(n, t, 'float64', x.size, tol)


# 2**18 elements and more take the threaded (split) paths of sigmoid and relu; float32 gelu
# above 512 elements its one-exp Phi. Second derivatives there must be the same as torch's.
BIG = (512, 513)


@pytest.mark.parametrize('dt', ['float32', 'float64'])
@pytest.mark.parametrize('name', ['sigmoid', 'relu', 'gelu', 'silu'])
def test_large_array_second_derivative(name, dt):
    rng = np.random.default_rng(4)
    x = rng.uniform(-3, 3, BIG).astype(dt)
    v, w = rng.standard_normal(BIG).astype(dt), rng.standard_normal(BIG).astype(dt)

    def second(m):
        xs = m.tensor(x, requires_grad=True)
        vs = m.tensor(v, requires_grad=True)
        y = m.relu(xs) if name == 'relu' else (
            m.sigmoid(xs) if name == 'sigmoid' else getattr(_tf(m), name)(xs))
        g, = m.autograd.grad(y, xs, vs, create_graph=True)
        hx, hv = m.autograd.grad((g * m.tensor(w)).sum(), (xs, vs), allow_unused=True)
        return [g.detach()] + [np.zeros(BIG) if h is None else h for h in (hx, hv)]

    got = [np.asarray(t.numpy(), np.float64) for t in map(numtorch.as_tensor, second(numtorch))]
    want = [np.asarray(t.numpy(), np.float64) for t in map(torch.as_tensor, second(torch))]
    # float32: torch's gelu/silu kernels and numtorch's round differently (a few ulps); pointwise,
    # so no reduction growth
    tol = dict(rtol=2e-5, atol=2e-5) if dt == 'float32' else None
    for n, t in zip(got, want):
        assert_close(n, t, dt, 1, tol)


def test_hardsigmoid_refuses_double_backward_as_torch():
    """torch's message for the second backward. (torch raises it when the second backward
    reaches the node; numtorch's engine already when create_graph records it.)"""
    msgs = []
    for m in (torch, numtorch):
        x = m.tensor([0.5, -1.0], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            g, = m.autograd.grad(_tf(m).hardsigmoid(x).sum(), x, create_graph=True)
            g.sum().backward()
        msgs.append(str(info.value).split('\n')[0])
    assert msgs[0] == msgs[1]


def test_first_order_fast_paths_unchanged():
    """First order, the large paths still give their exact plain-array results: sigmoid's
    g * (1 - y) * y in torch's order on its own output, relu's g * (x > 0)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, BIG).astype(np.float32)
    up = rng.standard_normal(BIG).astype(np.float32)
    for name in ('sigmoid', 'relu'):
        xs = numtorch.tensor(x, requires_grad=True)
        y = getattr(numtorch, name)(xs)
        y.backward(numtorch.tensor(up))
        yd = y.detach().numpy()
        want = up * (1 - yd) * yd if name == 'sigmoid' else up * (x > 0)
        np.testing.assert_array_equal(xs.grad.numpy(), want)
