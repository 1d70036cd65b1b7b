"""torch is silent where IEEE arithmetic gives inf or nan; numtorch must be too, without touching
the user's own NumPy error state (issue 12)."""
import warnings

import numpy as np
import pytest
import torch

import numtorch

X = [0., -1., 1., 2., -0.5]          # zeros and negatives: log(0), 0/0, sqrt(-1), 1/0 ...
CASES = {
    'log': lambda m, x: m.log(x), 'log2': lambda m, x: m.log2(x), 'log10': lambda m, x: m.log10(x),
    'log1p': lambda m, x: m.log1p(x - 1), 'sqrt': lambda m, x: m.sqrt(x), 'rsqrt': lambda m, x: m.rsqrt(x),
    'reciprocal': lambda m, x: m.reciprocal(x), 'div00': lambda m, x: x / x, 'div0': lambda m, x: 1 / x,
    'div_scalar0': lambda m, x: x / 0, 'pow-1': lambda m, x: x ** -1, 'pow_half': lambda m, x: x ** 0.5,
    'rpow': lambda m, x: 0 ** (-x), 'floordiv': lambda m, x: x // 0, 'remainder': lambda m, x: x % 0,
    'fmod': lambda m, x: m.fmod(x, m.zeros(5)), 'acos': lambda m, x: m.acos(x * 2),
    'asin': lambda m, x: m.asin(x * 2), 'atanh': lambda m, x: m.atanh(x), 'acosh': lambda m, x: m.acosh(x),
    'exp_overflow': lambda m, x: m.exp(x * 1000), 'sinh_overflow': lambda m, x: m.sinh(x * 1000),
    'cosh_overflow': lambda m, x: m.cosh(x * 1000), 'sin_inf': lambda m, x: m.sin(1 / x),
    'logit': lambda m, x: m.logit(x), 'lgamma_pole': lambda m, x: m.lgamma(x),
    'erfinv_edge': lambda m, x: m.erfinv(x), 'frac_inf': lambda m, x: m.frac(1 / x),
    'log_inplace': lambda m, x: x.clone().log_(), 'div_inplace': lambda m, x: x.clone().div_(0),
}


@pytest.mark.parametrize('name', CASES)
def test_no_numpy_warning_and_torchs_values(name):
    fn = CASES[name]
    want = fn(torch, torch.tensor(X))
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # any RuntimeWarning fails the test
        got = fn(numtorch, numtorch.tensor(X))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-7)   # sin: 1 ulp libm to libm


@pytest.mark.parametrize('name', ['log', 'sqrt', 'reciprocal', 'div00', 'pow-1', 'acos', 'atanh'])
def test_backward_is_silent_too(name):
    grads = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            y = CASES[name](m, x)
            y.backward(m.ones_like(y))     # (not .sum(): a sum over +inf and -inf, see below)
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_users_numpy_error_state_is_left_alone():
    before = np.geterr()
    with np.errstate(divide='raise'):
        numtorch.log(numtorch.zeros(2))           # numtorch is silent even so ...
        with pytest.raises(FloatingPointError):   # ... and the user's setting still holds after
            np.log(np.zeros(2))
    assert np.geterr() == before
    x = numtorch.zeros(2, requires_grad=True)
    numtorch.log(x).sum().backward()
    assert np.geterr() == before
    with pytest.warns(RuntimeWarning):           # the user's own NumPy code still warns
        np.log(np.zeros(2))


def test_hot_path_ops_are_not_wrapped():
    # add/mul/sum run unwrapped for speed (docs/internals.md): only a sum or product that
    # meets inf and -inf can still warn there
    from numtorch._ops.pointwise import arithmetic as elementwise, unary
    from numtorch._ops.reductions import reduce
    for cls in (elementwise.Add, elementwise.Mul, elementwise.Sub, reduce.Sum, reduce.Mean):
        assert not cls.quiet
    assert unary.Log.quiet
