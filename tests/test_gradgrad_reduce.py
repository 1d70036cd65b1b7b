"""create_graph through reductions, scans, sorting and shape ops, beyond what the declarative
specs check (their second derivatives vs torch run in test_ops_*.py / test_audit_core.py):
third derivatives, products with several zeros in a slice, constant rows of std, saved-input
version checks, refusals, and the stand-in device deferring to GradArray."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from numtorch.autograd._grad_array import DoubleBackwardError, GradArray
from numtorch.testing import stand_in


def _nth_derivatives(m, fn, x, order, seed=0):
    """Gradients of orders 1..order of sum(fn(x) * w) at x (each with create_graph), each
    contracted with a fixed random weight before the next differentiation."""
    rng = np.random.default_rng(seed)
    t = m.tensor(x, requires_grad=True)
    y = fn(m, t)
    s = (y * m.tensor(rng.standard_normal(tuple(y.shape)))).sum()
    out = []
    for _ in range(order):
        g, = m.autograd.grad(s, t, create_graph=True)
        out.append(g.detach().numpy() if m is numtorch else g.detach().numpy())
        s = (g * m.tensor(rng.standard_normal(x.shape))).sum()
    return out


THIRD = {
    'logsumexp': lambda m, a: a.logsumexp(1),
    'std': lambda m, a: a.std(0),
    'var': lambda m, a: a.var() * a.var(1),
    'norm': lambda m, a: a.norm(dim=1) ** 3,
    'prod': lambda m, a: a.prod(1),
    'logcumsumexp': lambda m, a: a.logcumsumexp(1),
    'sort': lambda m, a: a.sort(1).values ** 3,
    'max_dim': lambda m, a: a.max(0).values ** 3,
    'diagonal': lambda m, a: a.diagonal(1).exp(),
    'cross': lambda m, a: m.linalg.cross(a[:, :3], a[:, 1:] ** 2),
}


@pytest.mark.parametrize('name', sorted(THIRD))
def test_third_derivatives_match_torch(name):
    x = np.random.default_rng(3).uniform(-1.5, 1.5, size=(3, 4))
    got = _nth_derivatives(numtorch, THIRD[name], x, 3)
    want = _nth_derivatives(torch, THIRD[name], x, 3)
    for n, (a, b) in enumerate(zip(got, want), 1):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f'order {n}')


@pytest.mark.parametrize('dim', [None, 0, 1])
def test_prod_hessian_with_two_zeros_in_a_slice(dim):
    # two zeros in row 0 / column 1: the first-order gradient there is all zeros, but the
    # mixed second derivative between the two zeros is the product of the others
    x = np.array([[0., 2., 0.5, 3.], [1.5, 0., -2., 0.75], [0.5, 0., 1.25, -1.]])
    if dim is None:   # exactly two zeros in all
        x[1, 1] = 0.25
    for m in (numtorch, torch):
        t = m.tensor(x, requires_grad=True)
        y = t.prod() if dim is None else t.prod(dim)
        g, = m.autograd.grad(y.sum(), t, create_graph=True)
        rows = [m.autograd.grad(g.reshape(-1)[i], t, retain_graph=True)[0].reshape(-1)
                for i in range(x.size)]
        h = m.stack(rows).detach().numpy()
        if m is numtorch:
            got = h
    np.testing.assert_allclose(got, h, rtol=1e-12, atol=1e-12)
    assert np.abs(h).max() > 0    # the case exercises nonzero mixed terms


def test_std_constant_rows_double_backward_masks_like_torch():
    # std == 0: torch's gradient is 0 there; its second derivative is 0 for the input and NaN
    # for the incoming gradient (0/0 in g / (2 std)), which numtorch reproduces
    x = np.array([[1., 1., 1.], [1., 2., 4.]])
    res = []
    for m in (numtorch, torch):
        a = m.tensor(x, requires_grad=True)
        v = m.tensor([0.5, -1.], requires_grad=True)
        g, = m.autograd.grad(a.std(1), a, v, create_graph=True)
        res.append([t.numpy() for t in m.autograd.grad((g * m.tensor(x + 1)).sum(), (a, v))])
    for got, want in zip(*res):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isnan(res[1][1][0]) and not np.isnan(res[1][0]).any()


@pytest.mark.parametrize('fn', [lambda a: a.var(1), lambda a: a.std(), lambda a: a.logsumexp(0),
                                lambda a: a.norm(dim=1), lambda a: a.prod(1)])
def test_saved_input_modified_in_place_is_caught(fn):
    def run(m):
        a = (m.ones(3, 4, dtype=m.float64, requires_grad=True) * 1.5).clone()
        y = fn(a)
        a.mul_(2)
        y.sum().backward()
    same_error(run)


def test_put_along_axis_into_a_plain_array_is_refused():
    g = GradArray(numtorch.ones(2, 3, dtype=numtorch.float64))
    with pytest.raises(DoubleBackwardError, match='put_along_axis'):
        np.put_along_axis(np.zeros((2, 3)), np.zeros((2, 1), np.int64), g, 1)


def test_stand_in_defers_to_grad_array():
    with stand_in.enabled():
        t = numtorch.ones(3, dtype=numtorch.float64, device='cuda', requires_grad=True)
        ga = GradArray(t * 2)
        mask = t._data > 0                       # a stand-in array
        for r in (mask * ga, ga * mask, np.where(mask, ga, 0), np.multiply(mask, ga)):
            assert r.__class__ is GradArray and r.t.device.type == 'cuda'
            assert r.t.requires_grad
        # a method giving the array itself keeps its identity (saved inputs are found by it)
        d = t._data
        assert d.astype(d.dtype, copy=False) is d
