"""Second derivatives through linear algebra beyond the Op specs (tests/test_ops_linalg.py,
test_ops_decomp.py run check_gradgrad on every spec): the singular-matrix path of det, how
numpy.linalg calls in backward formulas map to numtorch.linalg, and the stand-in deferring to
GradArrays as CuPy does."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.autograd._grad_array import GradArray, DoubleBackwardError
from numtorch.testing import stand_in


def _t(a, **kw):
    return numtorch.tensor(np.asarray(a, dtype=np.float64), **kw)


def test_det_of_singular_matrix_second_derivative():
    # torch gives a zero gradient at a singular matrix; numtorch's cofactor path is the true
    # derivative, and under create_graph its minors are differentiable: finite differences.
    a = _t([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]], requires_grad=True)
    g, = numtorch.autograd.grad(numtorch.linalg.det(a), a, create_graph=True)
    assert g.requires_grad
    assert numtorch.autograd.gradgradcheck(numtorch.linalg.det, (a,))


@pytest.mark.parametrize('fn', [
    lambda m, a: m.linalg.svdvals(a),
    lambda m, a: m.linalg.eigvalsh(a + a.mT),
    lambda m, a: m.linalg.matrix_norm(a, 'nuc'),
    lambda m, a: m.linalg.matrix_norm(a, 2),
])
def test_recomputed_factors_give_the_same_first_derivative(fn):
    # svdvals/eigvalsh/nuc- and 2-norms recompute U, V from A under create_graph: the gradient
    # must equal the first-order one, and the second derivative torch's.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3))
    a = _t(x, requires_grad=True)
    plain, = numtorch.autograd.grad(fn(numtorch, a).sum(), a)
    graphed, = numtorch.autograd.grad(fn(numtorch, a).sum(), a, create_graph=True)
    np.testing.assert_allclose(graphed.detach().numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)
    w = rng.standard_normal((3, 3))
    (graphed * _t(w)).sum().backward()
    ta = torch.tensor(x, requires_grad=True)
    tg, = torch.autograd.grad(fn(torch, ta).sum(), ta, create_graph=True)
    (tg * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_numpy_linalg_solve_keeps_numpy_semantics():
    # numpy.linalg.solve takes a b of A's shape minus one dim as a matrix; torch would read it
    # as a batch of vectors. The handler keeps NumPy's meaning.
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 3))
    ga, gb = GradArray(_t(a, requires_grad=True)), GradArray(_t(b, requires_grad=True))
    x = np.linalg.solve(ga, gb)
    assert x.__class__ is GradArray and x.t.requires_grad
    np.testing.assert_allclose(x.t.detach().numpy(), np.linalg.solve(a, b), rtol=1e-12)


def test_numpy_linalg_functions_are_keyed_by_module():
    # numpy.linalg.diagonal reads the last two axes, numpy.diagonal the first two: a linalg
    # function never falls to a top-level handler of the same name.
    ga = GradArray(_t(np.ones((2, 3, 3)) + np.eye(3), requires_grad=True))
    with pytest.raises(DoubleBackwardError, match='numpy.linalg.diagonal'):
        np.linalg.diagonal(ga)
    inv = np.linalg.inv(ga)
    assert inv.__class__ is GradArray and inv.t.grad_fn is not None


def test_stand_in_defers_to_grad_arrays():
    # CuPy returns NotImplemented for array types it does not know, so NumPy asks the
    # GradArray: the device array then enters the derivative as a constant on its device.
    with stand_in.enabled():
        g = GradArray(numtorch.ones(2, 2, dtype=numtorch.float64, device='cuda',
                                    requires_grad=True))
        d = numtorch.full((2, 2), 3., dtype=numtorch.float64, device='cuda')._data
        mask = numtorch.eye(2, dtype=numtorch.bool, device='cuda')._data
        for r in (d * g, np.multiply(d, g), np.where(mask, 1, g), np.where(mask, d, g)):
            assert r.__class__ is GradArray and r.t.device.type == 'cuda'
            assert r.t.requires_grad
        np.testing.assert_array_equal(stand_in.to_host((d * g).t), np.full((2, 2), 3.))


THIRD = {
    'det': lambda m, a: m.linalg.det(a),
    'svdvals': lambda m, a: m.linalg.svdvals(a).sum(),
    'solve': lambda m, a: m.linalg.solve(a, a[:, :1] * 2 + 1).sum(),
    'cholesky': lambda m, a: m.linalg.cholesky(a @ a.mT).sum(),
    'eigvalsh': lambda m, a: (m.linalg.eigvalsh(a + a.mT) ** 2).sum(),
    'slogdet': lambda m, a: m.linalg.slogdet(a)[1],
    'qr': lambda m, a: (m.linalg.qr(a)[1] ** 2).sum(),
    'nuc': lambda m, a: m.linalg.matrix_norm(a, 'nuc'),
}


@pytest.mark.parametrize('name', sorted(THIRD))
def test_third_derivatives_match_torch(name):
    # the derivative graphs are differentiable again: d/dA sum(d/dA |grad|^2) as torch's
    x = np.random.default_rng(0).standard_normal((3, 3)) + 3 * np.eye(3)
    res = []
    for m in (numtorch, torch):
        a = m.tensor(x, requires_grad=True)
        g, = m.autograd.grad(THIRD[name](m, a), a, create_graph=True)
        h, = m.autograd.grad((g * g).sum(), a, create_graph=True)
        t3, = m.autograd.grad(h.sum(), a)
        res.append(t3.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-9, atol=1e-9)
