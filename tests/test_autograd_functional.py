"""numtorch.autograd.functional against torch 2.13: vjp / jacobian (values, nesting, unused
inputs, outputs independent of the inputs) and the higher-order ones, hessian / jvp / hvp / vhp
and create_graph=True (values, tuple structure, differentiability of the results, strict-mode
errors, vectorize / forward-mode strategy)."""
import inspect

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)


def _f(L):
    def f(x, y):
        return (x.sin() * y[:3], (x @ y.reshape(3, 2)).tanh().sum(), L.ones(2) * 0)
    return f


def _flat(obj):
    if isinstance(obj, (tuple, list)):
        return [a for o in obj for a in _flat(o)]
    return [obj]


def _cmp(a, b):
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(x.numpy(), y.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_jacobian_like_torch():
    x, y = RNG.standard_normal(3), RNG.standard_normal(6)
    res = [L.autograd.functional.jacobian(_f(L), (L.tensor(x), L.tensor(y)))
           for L in (numtorch, torch)]
    _cmp(*res)
    # single input / single output, and an input the output does not use
    res = [L.autograd.functional.jacobian(lambda a: (a ** 2).cumsum(0), L.tensor(x))
           for L in (numtorch, torch)]
    _cmp(*res)
    res = [L.autograd.functional.jacobian(lambda a, b: a * 2, (L.tensor(x), L.tensor(y)))
           for L in (numtorch, torch)]
    _cmp(*res)


def test_vjp_like_torch():
    x, y = RNG.standard_normal(3), RNG.standard_normal(6)
    v = (RNG.standard_normal(3), np.array(0.7), RNG.standard_normal(2))
    res = [L.autograd.functional.vjp(_f(L), (L.tensor(x), L.tensor(y)),
                                      tuple(L.tensor(a) for a in v)) for L in (numtorch, torch)]
    _cmp(*res)
    res = [L.autograd.functional.vjp(lambda a: (a.exp() * 2).sum(), L.tensor(x))
           for L in (numtorch, torch)]
    _cmp(*res)
    same_error(lambda L: L.autograd.functional.vjp(lambda a: a * 2, L.ones(2)))



FN = ['vjp', 'jvp', 'jacobian', 'hessian', 'hvp', 'vhp']


def test_signatures_match_torch():
    for name in FN:
        ps = inspect.signature(getattr(torch.autograd.functional, name)).parameters
        ours = inspect.signature(getattr(numtorch.autograd.functional, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == \
            [(p.name, p.kind, p.default) for p in ps.values()], name


def _same(a, b, tol=1e-12):
    """Same nesting (tuples / tensors), shapes, values; results detached as torch's are."""
    if isinstance(b, tuple):
        assert type(a) is tuple and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, tol)
        return
    assert isinstance(a, numtorch.Tensor) and tuple(a.shape) == tuple(b.shape)
    assert a.requires_grad == b.requires_grad, (a, b)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def _scalar2(L):      # a scalar function of two inputs with a genuinely mixed Hessian
    return lambda x, y: ((x.sin() * y[:3]).sum() * (x @ y.reshape(3, 2)).tanh().sum()
                         + (x ** 3).sum())


def _vecf(L):
    return lambda x, y: ((x.exp() * y[:3]), (x @ y.reshape(3, 2)).sin())


def _args(L, *arrs):
    return tuple(L.tensor(a) for a in arrs)


X, Y = RNG.standard_normal(3), RNG.standard_normal(6)
VX, VY = RNG.standard_normal(3), RNG.standard_normal(6)


@pytest.mark.parametrize('vectorize', [False, True])
def test_hessian_like_torch(vectorize):
    res = [L.autograd.functional.hessian(_scalar2(L), _args(L, X, Y), vectorize=vectorize)
           for L in (numtorch, torch)]
    _same(*res)
    # single input, outer forward-mode (same numbers; torch needs vectorize there)
    for strat in ('reverse-mode', 'forward-mode'):
        res = [L.autograd.functional.hessian(lambda a: (a.sin() * a.sum()).sum(), L.tensor(X),
                                             vectorize=True, outer_jacobian_strategy=strat)
               for L in (numtorch, torch)]
        _same(res[0], res[1].detach())      # (torch's forward-mode result keeps a grad_fn)
    # an input the function ignores (zeros blocks), and one it uses only linearly
    res = [L.autograd.functional.hessian(lambda a, b, c: (a.exp() * a).sum() + (a * c).sum(),
                                         _args(L, X, Y, VX), vectorize=vectorize)
           for L in (numtorch, torch)]
    _same(*res)
    # a one-element input given as a tuple stays a tuple of tuples
    res = [L.autograd.functional.hessian(lambda a: (a ** 4).sum(), (L.tensor(np.array([1.5])),))
           for L in (numtorch, torch)]
    _same(*res)


def test_hessian_finite_differences():
    """float64 central differences of the gradient, independent of torch."""
    f = lambda a: ((a ** 2).sum().sqrt() * a.cos()).sum()      # noqa: E731
    H = numtorch.autograd.functional.hessian(f, numtorch.tensor(X)).numpy()
    grad = lambda a: numtorch.autograd.functional.vjp(f, numtorch.tensor(a))[1].numpy()  # noqa
    eps = 1e-6
    for j in range(3):
        d = np.zeros(3)
        d[j] = eps
        np.testing.assert_allclose(H[:, j], (grad(X + d) - grad(X - d)) / (2 * eps),
                                   rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14)


def test_jvp_hvp_vhp_like_torch():
    for name in ('hvp', 'vhp'):
        res = [getattr(L.autograd.functional, name)(_scalar2(L), _args(L, X, Y),
                                                    _args(L, VX, VY)) for L in (numtorch, torch)]
        _same(*res)
        res = [getattr(L.autograd.functional, name)(lambda a: (a.exp() * a).sum(), L.tensor(X),
                                                    L.tensor(VX)) for L in (numtorch, torch)]
        _same(*res)
        # v may be omitted for a one-element input
        res = [getattr(L.autograd.functional, name)(lambda a: (a.exp() * a).sum(),
                                                    L.tensor(np.array([0.3]))) for L in (numtorch, torch)]
        _same(*res)
    res = [L.autograd.functional.jvp(_vecf(L), _args(L, X, Y), _args(L, VX, VY))
           for L in (numtorch, torch)]
    _same(*res)
    res = [L.autograd.functional.jvp(lambda a: a.exp().cumsum(0), L.tensor(X), L.tensor(VX))
           for L in (numtorch, torch)]
    _same(*res)
    # an output independent of the input: zeros (strict=False)
    res = [L.autograd.functional.jvp(lambda a, b: (a * 2, b.sum() * 0 + 1.),
                                     _args(L, X, Y), _args(L, VX, VY)) for L in (numtorch, torch)]
    _same(*res)


def test_jvp_equals_jacobian_times_v():
    J = numtorch.autograd.functional.jacobian(_vecf(numtorch), _args(numtorch, X, Y))
    _, jv = numtorch.autograd.functional.jvp(_vecf(numtorch), _args(numtorch, X, Y),
                                             _args(numtorch, VX, VY))
    for o in range(2):
        want = J[o][0].numpy().reshape(-1, 3) @ VX + J[o][1].numpy().reshape(-1, 6) @ VY
        np.testing.assert_allclose(jv[o].numpy().reshape(-1), want, rtol=1e-12, atol=1e-14)


def _third(L, name, x):
    """Differentiate a create_graph result once more w.r.t. the input (requires_grad)."""
    fa = L.autograd.functional
    f = lambda a: (a.sin() * a.sum()).sum()                       # noqa: E731
    if name == 'hessian':
        r = fa.hessian(f, x, create_graph=True)
    elif name == 'jacobian':
        r = fa.jacobian(lambda a: a.sin() * a.sum(), x, create_graph=True)
    elif name == 'jvp':
        r = fa.jvp(lambda a: a.sin() * a.sum(), x, x.detach().cos(), create_graph=True)[1]
    elif name == 'vjp':
        r = fa.vjp(lambda a: a.sin() * a.sum(), x, x.detach().cos(), create_graph=True)[1]
    else:
        r = getattr(fa, name)(f, x, x.detach().cos(), create_graph=True)[1]
    assert r.requires_grad
    return r, L.autograd.grad((r * r).sum(), x)[0]


@pytest.mark.parametrize('name', FN)
def test_create_graph_results_differentiable_like_torch(name):
    res = [_third(L, name, L.tensor(X, requires_grad=True)) for L in (numtorch, torch)]
    _same(*res, tol=1e-11)


def test_create_graph_without_outer_requires_grad():
    """create_graph=True on inputs that do not require grad: values as torch, and the outputs
    keep (or lack) history exactly as torch's do."""
    for name in FN:
        kw = {} if name in ('jacobian', 'hessian') else {'v': None}
        fn = (lambda a: (a ** 3).sum()) if name != 'jacobian' else (lambda a: a ** 3)
        res = [getattr(L.autograd.functional, name)(fn, L.tensor(np.array([0.7])), create_graph=True, **kw)
               for L in (numtorch, torch)]
        _same(*res)


def _lin(L):
    return lambda a, b: a * 2


@pytest.mark.parametrize('call', [
    # strict mode: an output independent of an input, a linear function's constant Jacobian
    lambda L: L.autograd.functional.vjp(_lin(L), (L.ones(2), L.ones(2)), L.ones(2), strict=True),
    lambda L: L.autograd.functional.vjp(lambda a: L.ones(2), L.ones(2), L.ones(2), strict=True),
    lambda L: L.autograd.functional.vjp(lambda a: a * 2, L.ones(2), L.ones(2), strict=True,
                                        create_graph=True),
    lambda L: L.autograd.functional.jvp(_lin(L), (L.ones(2), L.ones(2)), (L.ones(2), L.ones(2)),
                                        strict=True),
    lambda L: L.autograd.functional.jvp(lambda a: a.detach(), L.ones(2), L.ones(2), strict=True),
    lambda L: L.autograd.functional.jacobian(_lin(L), (L.ones(2), L.ones(2)), strict=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, L.ones(2), strict=True,
                                             create_graph=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, L.ones(2), strict=True,
                                             vectorize=True),
    lambda L: L.autograd.functional.hessian(lambda a: a.sum(), L.ones(2), strict=True),
    lambda L: L.autograd.functional.hessian(lambda a, b: (a * a).sum(), (L.ones(2), L.ones(2)),
                                            strict=True),
    lambda L: L.autograd.functional.hvp(lambda a: a.sum(), L.ones(2), L.ones(2), strict=True),
    lambda L: L.autograd.functional.vhp(lambda a: a.sum(), L.ones(2), L.ones(2), strict=True),
    lambda L: L.autograd.functional.hvp(lambda a, b: (a * a).sum(), (L.ones(2), L.ones(2)),
                                        (L.ones(2), L.ones(2)), strict=True),
    lambda L: L.autograd.functional.vhp(lambda a, b: (a * a).sum(), (L.ones(2), L.ones(2)),
                                        (L.ones(2), L.ones(2)), strict=True),
    lambda L: L.autograd.functional.vhp(lambda a: (a * a).sum(), L.ones(2), L.ones(2),
                                        strict=True, create_graph=True),
    # misuse
    lambda L: L.autograd.functional.hessian(lambda a: a * 2, L.ones(2)),
    lambda L: L.autograd.functional.hessian(lambda a: (a, a), L.ones(2)),
    lambda L: L.autograd.functional.hvp(lambda a: a * 2, L.ones(2), L.ones(2)),
    lambda L: L.autograd.functional.vhp(lambda a: (a.sum(), a.sum()), L.ones(2), L.ones(2)),
    lambda L: L.autograd.functional.hvp(lambda a: a.sum(), L.ones(2)),
    lambda L: L.autograd.functional.jvp(lambda a: a * 2, L.ones(2)),
    lambda L: L.autograd.functional.jvp(lambda a: a * 2, L.ones(2), L.ones(3)),
    lambda L: L.autograd.functional.jvp(_lin(L), (L.ones(2), L.ones(2)), (L.ones(2), L.ones(3))),
    lambda L: L.autograd.functional.jvp(_lin(L), (L.ones(2), L.ones(2)), (L.ones(2),)),
    lambda L: L.autograd.functional.vhp(lambda a: a.sum(), L.ones(2), (L.ones(2), L.ones(2))),
    lambda L: L.autograd.functional.jacobian(lambda a: a, [L.ones(2)]),
    lambda L: L.autograd.functional.jacobian(lambda a: a, (L.ones(2), 3.0)),
    lambda L: L.autograd.functional.jacobian(lambda a: 3.0, L.ones(2)),
    lambda L: L.autograd.functional.jacobian(lambda a: a, L.ones(2), strategy='fwd'),
    lambda L: L.autograd.functional.hessian(lambda a: a.sum(), L.ones(2),
                                            outer_jacobian_strategy='fwd'),
    lambda L: L.autograd.functional.jacobian(lambda a: a, L.ones(2), strategy='forward-mode'),
    lambda L: L.autograd.functional.jacobian(lambda a: a, L.ones(2), strategy='forward-mode',
                                             create_graph=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a, L.ones(2), strategy='forward-mode',
                                             strict=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, L.tensor([1, 2])),
])
def test_errors_like_torch(call):
    same_error(call)


def test_strict_passes_where_torch_passes():
    for L in (numtorch, torch):
        fa = L.autograd.functional
        x = L.tensor(X)
        fa.hessian(lambda a: (a ** 3).sum(), x, strict=True)
        fa.hvp(lambda a: (a ** 3).sum(), x, x, strict=True)
        fa.jvp(lambda a: a ** 3, x, x, strict=True, create_graph=True)
        fa.jacobian(lambda a: a ** 3, x, strict=True, create_graph=True)
