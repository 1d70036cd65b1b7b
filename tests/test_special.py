"""numtorch.special and the new special functions vs torch: values over wide ranges (tails
included), gradients with the same upstream gradient, float64 finite differences."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=2e-6, atol=2e-6)       # float32 transcendental rounding; float64 below


def S(name, **kw):
    return lambda m, *xs: getattr(m.special, name)(*xs, **kw)


OPS = [
    Op('digamma', S('digamma'), [((3, 4),)], domain=(0.1, 8), tol=TOL),
    # near the poles float32 rounding is amplified (torch computes in float32, numtorch in 64)
    Op('digamma-neg', lambda m, x: m.digamma(x), [((6,),)], domain=(-3.9, -3.1),
       tol=dict(rtol=1e-5, atol=1e-5)),
    Op('psi', S('psi'), [((5,),)], domain=(0.5, 30), tol=TOL),
    # torch's trigamma is itself only ~5e-10 accurate
    Op('polygamma1', lambda m, x: m.polygamma(1, x), [((5,),)], domain=(0.2, 6),
       tol=TOL),
    Op('polygamma3', lambda m, x: x.polygamma(3), [((5,),)], domain=(0.5, 6),
       tol=TOL),
    Op('gammaln', S('gammaln'), [((5,),)], domain=(0.2, 9), tol=TOL),
    Op('i0', lambda m, x: m.i0(x), [((7,),)], domain=(-20, 20), tol=TOL),
    Op('i0e', S('i0e'), [((7,),)], domain=(-40, 40), tol=TOL),
    Op('i1', S('i1'), [((7,),)], domain=(-20, 20), tol=TOL),
    Op('i1e', S('i1e'), [((7,),)], domain=(-40, 40), tol=TOL),
    Op('ndtr', S('ndtr'), [((6,),)], domain=(-5, 5), tol=TOL),
    Op('ndtri', S('ndtri'), [((6,),)], domain=(0.02, 0.98), tol=TOL),
    Op('log_ndtr', S('log_ndtr'), [((6,),)], domain=(-30, 6), tol=dict(rtol=1e-4, atol=1e-5)),
    Op('erfcx', S('erfcx'), [((6,),)], domain=(-3, 40), tol=TOL),
    Op('entr', S('entr'), [((6,),)], domain=(0.01, 3), tol=TOL),
    Op('sinc', lambda m, x: m.sinc(x), [((6,),)], domain=(-3, 3), tol=TOL),
    Op('xlog1py', S('xlog1py'), [((2, 3), (2, 3)), ((2, 3), (3,))], domain=(0.1, 3), tol=TOL),
    Op('xlogy', S('xlogy'), [((2, 3), (2, 3))], domain=(0.1, 3), tol=TOL),
    Op('expit', S('expit'), [((2, 3),)]),
    Op('logit', S('logit', eps=1e-3), [((2, 3),)], domain=(0.05, 0.95)),
    Op('multigammaln', S('multigammaln', p=3), [((4,),)], domain=(1.5, 5), tol=TOL),
    Op('softmax', S('softmax', dim=1), [((2, 3),)]),
    Op('log_softmax', S('log_softmax', dim=0), [((2, 3),)]),
    Op('logsumexp', S('logsumexp', dim=1), [((2, 3),)]),
    Op('zeta', lambda m, x, q: m.special.zeta(x, q), [((4,), (4,))], domain=(1.5, 4), grad=False,
       tol=TOL),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_special_values():
    """Edges: poles, zeros, tails and NaN, as torch."""
    x = np.array([0., -1., -2.5, 1e-8, 1e3, np.nan, np.inf])
    for name in ('digamma', 'i0', 'i0e', 'i1', 'i1e', 'ndtr', 'log_ndtr', 'erfcx', 'sinc', 'entr'):
        n = getattr(numtorch.special, name)(numtorch.tensor(x)).numpy()
        t = getattr(torch.special, name)(torch.tensor(x)).numpy()
        finite = np.isfinite(t)
        np.testing.assert_array_equal(np.isnan(n), np.isnan(t), err_msg=name)
        np.testing.assert_array_equal(np.isinf(n[~np.isnan(t)]), np.isinf(t[~np.isnan(t)]),
                                      err_msg=name)
        np.testing.assert_allclose(n[finite], t[finite], rtol=1e-9, err_msg=name)


def test_namespace_matches_torch():
    names = ['digamma', 'psi', 'polygamma', 'i0', 'i0e', 'i1', 'i1e', 'ndtr', 'ndtri', 'log_ndtr',
             'erfcx', 'entr', 'sinc', 'xlog1py', 'zeta', 'erf', 'erfc', 'erfinv', 'exp2',
             'expm1', 'log1p', 'round', 'xlogy', 'logit', 'logsumexp', 'gammaln', 'expit',
             'softmax', 'log_softmax', 'multigammaln']
    for n in names:
        assert hasattr(torch.special, n) and hasattr(numtorch.special, n), n


ERRORS = [
    lambda m: m.polygamma(-1, m.ones(2)),
    lambda m: m.special.multigammaln(m.ones(2), 0),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])
