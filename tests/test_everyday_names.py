"""The everyday torch names added for real scripts (once numtorch/_ops/everyday.py, now spread
by kind over _ops/: tensor_meta.py, shape/, linalg/, ...): values and gradients against torch
2.13, float64 gradcheck of the differentiable compositions, errors."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)


def _pair(*shape, dtype=np.float64):
    a = RNG.standard_normal(shape).astype(dtype)
    return (numtorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def _check(fn, *shapes, grad=True, dtype=np.float64):
    """fn(lib, *tensors) equal in both; gradients of sum(out * w) equal; gradcheck in float64."""
    pairs = [_pair(*s, dtype=dtype) for s in shapes]
    n_in, t_in = [p[0] for p in pairs], [p[1] for p in pairs]
    on, ot = fn(numtorch, *n_in), fn(torch, *t_in)
    if isinstance(ot, (tuple, list)):
        assert len(on) == len(ot)
        on, ot = numtorch.cat([o.reshape(-1) for o in on]), torch.cat([o.reshape(-1) for o in ot])
    assert tuple(on.shape) == tuple(ot.shape) and str(on.dtype) == str(ot.dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=tol, atol=tol)
    if not grad:
        return
    w = RNG.standard_normal(tuple(ot.shape))
    (on * numtorch.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for a, b in zip(n_in, t_in):
        if a.grad is None:    # an input the result does not depend on: torch gives zeros
            assert not b.grad.any()
            continue
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
    if dtype == np.float64:
        assert numtorch.autograd.gradcheck(lambda *xs: fn(numtorch, *xs),
                                           [x.detach().requires_grad_() for x in n_in])


@pytest.mark.parametrize('args', [(0, -2, -1), (1, -2, -1), (-1, 0, 2), (2, 1, 0)])
def test_diag_embed(args):
    _check(lambda L, x: L.diag_embed(x, *args), (2, 3))
    _check(lambda L, x: x.diag_embed(*args), (3,) if args[1] in (-2, 0) and args[2] != 2 else (2, 3))


def test_diagflat_dist_matrix_power_addr_addbmm():
    _check(lambda L, x: L.diagflat(x, -1), (2, 2))
    for p in (2, 1, float('inf'), 0.5):
        _check(lambda L, x, y: L.dist(x, y, p), (2, 3), (3,))
    for n in (0, 1, 2, 3, 5, -2):
        _check(lambda L, x: L.matrix_power(x + 3 * L.eye(3, dtype=x.dtype), n), (2, 3, 3),
               grad=n != 0)   # n=0: the identity (numtorch's carries no graph)
    for beta, alpha in ((1, 1), (0.5, 2), (0, 1)):
        _check(lambda L, m, a, b: L.addr(m, a, b, beta=beta, alpha=alpha), (3, 2), (3,), (2,))
        _check(lambda L, m, a, b: m.addbmm(a, b, beta=beta, alpha=alpha), (2, 4), (3, 2, 5),
               (3, 5, 4))
    same_error(lambda L: L.matrix_power(L.ones(2, 3), 2))


def test_splits_and_sum_to_size():
    _check(lambda L, x: L.hsplit(x, 2), (3, 4))
    _check(lambda L, x: L.hsplit(x, [1, 3]), (6,))
    _check(lambda L, x: L.vsplit(x, [1]), (3, 4))
    _check(lambda L, x: L.dsplit(x, 2), (1, 2, 4))
    _check(lambda L, x: x.split_with_sizes([1, 3], 1), (2, 4))
    _check(lambda L, x: x.sum_to_size(3, 1), (2, 3, 4))
    _check(lambda L, x: x.sum_to_size((1, 4)), (2, 3, 4), grad=False)
    same_error(lambda L: L.hsplit(L.ones(3, 5), 2))
    same_error(lambda L: L.vsplit(L.ones(3), 1))
    same_error(lambda L: L.ones(5).split_with_sizes([1, 2]))


def test_block_diag_cartesian_combinations_trapezoid():
    _check(lambda L, a, b, c: L.block_diag(a, b, c), (2, 3), (4,), ())
    _check(lambda L, a, b: L.cartesian_prod(a, b), (3,), (2,))
    for r, wr in ((2, False), (3, False), (2, True)):
        _check(lambda L, a: L.combinations(a, r, wr), (4,))
    _check(lambda L, y: L.trapezoid(y), (3, 5))
    _check(lambda L, y: L.trapezoid(y, dx=0.5, dim=0), (3, 5))
    _check(lambda L, y, x: L.trapezoid(y, x), (3, 5), (5,))
    _check(lambda L, y, x: L.trapz(y, x, dim=0), (3, 5), (3, 5))


def test_copysign_heaviside_gcd_unravel():
    _check(lambda L, x, y: L.copysign(x, y), (3, 4), (4,))
    for L in (numtorch, torch):
        assert L.copysign(L.tensor([1, -2]), -0.0).tolist() == [-1.0, -2.0]
    x = [-1., 0., 0., 2.]
    h = [numtorch.heaviside(numtorch.tensor(x), numtorch.tensor([0.5])).tolist(),
         torch.heaviside(torch.tensor(x), torch.tensor([0.5])).tolist()]
    assert h[0] == h[1]
    a, b = [4, -6, 0, 7], [6, 9, 5, 0]
    for f in ('gcd', 'lcm'):
        assert getattr(numtorch, f)(numtorch.tensor(a), numtorch.tensor(b)).tolist() == \
            getattr(torch, f)(torch.tensor(a), torch.tensor(b)).tolist()
    idx = [0, 5, 11, -1]
    got = numtorch.unravel_index(numtorch.tensor(idx), (3, 4))
    want = torch.unravel_index(torch.tensor(idx), (3, 4))
    assert [g.tolist() for g in got] == [w.tolist() for w in want]


def test_predicates_and_detach():
    for L in (numtorch, torch):
        f, i, u = L.ones(2), L.ones(2, dtype=L.long), L.ones(1, dtype=L.uint8)
        assert (L.is_floating_point(f), L.is_floating_point(i), L.is_complex(f)) == \
            (True, False, False)
        assert (f.is_signed(), u.is_signed(), f.get_device(), f.is_inference()) == \
            (True, False, -1, False)
        assert f.is_same_size(L.zeros(2)) and not f.is_same_size(L.zeros(3))
        assert L.is_nonzero(L.tensor([2.])) and not L.tensor(0).is_nonzero()
        assert not L.detach(L.ones(1, requires_grad=True)).requires_grad
    same_error(lambda L: L.is_nonzero(L.ones(2)))
    same_error(lambda L: L.is_nonzero(L.ones(0)))


def test_new_inplace_methods():
    def run(L):
        x = L.tensor(np.arange(12.).reshape(3, 4), requires_grad=True)
        y = x * 1
        y.addmm_(L.ones(3, 2, dtype=x.dtype), x[:2] * 1, beta=0.5, alpha=2)
        y.tril_(1)
        y.triu_(-1)
        y.addr_(x[:, 0] * 1, x[0] * 1)
        y.multiply_(2).subtract_(x, alpha=0.5).divide_(3).true_divide_(2)
        y.copysign_(x - 5)
        z = L.zeros(2, 4, 4, dtype=x.dtype).baddbmm_(L.ones(2, 4, 1, dtype=x.dtype), x[:2, None] * 1)
        v = x[:, 0].clone().addmv_(x, x[0] * 1)
        out = y.sum() + z.sum() + v.sum()
        out.backward()
        return y.detach().numpy(), z.detach().numpy(), v.detach().numpy(), x.grad.numpy()
    for a, b in zip(run(numtorch), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    same_error(lambda L: L.ones(2, 2, requires_grad=True).tril_())


def test_mvlgamma_to_dense_dim_order():
    for p in (1, 2, 4):
        _check(lambda L, x: L.mvlgamma(x.abs() + 3, p), (2, 3))
        _check(lambda L, x: (x.abs() + 3).mvlgamma(p), (4,))
    for L in (numtorch, torch):
        x = L.ones(2, 3, 4)
        assert x.to_dense() is x and x.to_dense(L.float64).dtype == L.float64
    for shape, perm in (((2, 3, 4), (0, 1, 2)), ((2, 3, 4), (2, 0, 1)), ((3, 2), (1, 0))):
        got = numtorch.ones(*shape).permute(*perm).dim_order()
        assert got == torch.ones(*shape).permute(*perm).dim_order()
