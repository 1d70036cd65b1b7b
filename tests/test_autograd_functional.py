"""numtorch.autograd.functional.vjp / jacobian against torch 2.13 (values, nesting, unused
inputs, outputs independent of the inputs); the double-backward ones raise clearly."""
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


@pytest.mark.parametrize('name', ['hessian', 'jvp', 'hvp', 'vhp'])
def test_double_backward_ones_raise(name):
    with pytest.raises(NotImplementedError, match='higher-order'):
        getattr(numtorch.autograd.functional, name)(lambda a: a.sum(), numtorch.ones(2))
    with pytest.raises(NotImplementedError, match='higher-order'):
        numtorch.autograd.functional.jacobian(lambda a: a, numtorch.ones(2), create_graph=True)
