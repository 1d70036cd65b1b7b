"""Reductions and scans vs torch: values, dtypes, indices, gradients (incl. how ties share
them), float64 finite differences, named-tuple results, keyword aliases and errors."""
import pickle
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, check_op, parametrize

SHAPES = [((2, 3, 4),), ((5,),), ((),)]


def with_ties(rng, shape, dt):
    return rng.integers(-2, 3, size=shape).astype(dt)


def with_zeros(rng, shape, dt):
    """Values in [0.5, 2] with some exact zeros (prod/cumprod gradients need the zero cases)."""
    x = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.where(rng.random(shape) < 0.3, 0.0, x).astype(dt)


def distinct(rng, shape, dt):
    """A permutation of distinct values: no ties, so indices are unambiguous."""
    n = int(np.prod(shape))
    return (rng.permutation(n) - n / 2).reshape(shape).astype(dt) / 4


OPS = [
    Op('prod', lambda m, a: a.prod(), SHAPES + [((0,),)], domain=(0.5, 1.5)),
    Op('prod_dim', lambda m, a: (a.prod(1), a.prod(-1, keepdim=True)), [((2, 3, 4),)], domain=(0.5, 1.5)),
    Op('prod_zeros', lambda m, a: (a.prod(0), a.prod()), [((6, 3),)], make=with_zeros),
    Op('prod_int', lambda m, a: (a.prod(), a.prod(1)), [((2, 3),)], int_inputs=True),
    Op('max', lambda m, a: a.max(), SHAPES),
    Op('min', lambda m, a: m.min(a), SHAPES),
    Op('max_ties', lambda m, a: (a.max(), a.min()), [((4, 5),)], make=with_ties, gradcheck=False),
    Op('max_dim', lambda m, a: a.max(1), [((2, 3, 4),)], make=distinct),
    Op('max_dim_keep', lambda m, a: m.max(a, dim=-1, keepdim=True), [((2, 3, 4),), ((3,),)], make=distinct),
    Op('min_dim', lambda m, a: a.min(0), [((3, 4),)], make=distinct),
    Op('max_dim_0d', lambda m, a: (*a.max(0), *a.min(-1), a.argmax(0)), [((),)]),
    Op('max_dim_empty_other', lambda m, a: a.max(1), [((0, 3),)]),
    Op('max_dim_ties', lambda m, a: (a.max(1).values, a.min(0).values), [((4, 5),)], make=with_ties,
       gradcheck=False),
    Op('max_int', lambda m, a: (a.max(), *a.max(1), a.amin(0), a.argmax(), a.argmin(1)), [((3, 4),)],
       int_inputs=True, make=lambda rng, s, dt: rng.permutation(12).reshape(s)),
    Op('amax', lambda m, a: (a.amax(), a.amax(1), a.amin((0, 2), keepdim=True)), [((2, 3, 4),)]),
    Op('amax_ties', lambda m, a: (a.amax(1), a.amin(), a.amax((0, 1))), [((4, 5),)], make=with_ties,
       gradcheck=False),
    Op('aminmax', lambda m, a: tuple(m.aminmax(a)), [((3, 4),)]),
    Op('aminmax_dim', lambda m, a: tuple(m.aminmax(a, dim=1, keepdim=True)), [((3, 4),)]),
    Op('argmax', lambda m, a: (a.argmax(), a.argmax(1), a.argmin(-1, keepdim=True),
                               m.argmax(a, keepdim=True)), [((3, 4),)], make=distinct),
    Op('median', lambda m, a: a.median(), [((3, 4),), ((5,),), ((),)], make=distinct),
    Op('median_ties', lambda m, a: a.median(), [((4, 5),)], make=with_ties, gradcheck=False),
    Op('median_dim', lambda m, a: (*a.median(1), *a.median(0, keepdim=True)), [((3, 4),)], make=distinct),
    Op('all_any', lambda m, a: (a.all(), a.any(), (a > 0).all(1), (a > 0).any(dim=0, keepdim=True),
                                (a > 5).any(), m.all(a > -5)), [((3, 4),), ((0, 2),)], grad=False),
    Op('all_any_1d', lambda m, a: (a.all(), (a > 0).any(0), (a > 0).all(-1, keepdim=True)), [((5,),), ((),)],
       grad=False),
    Op('all_any_int', lambda m, a: (a.all(), a.any(0), a.byte().all(1)), [((3, 4),)], int_inputs=True),
    Op('count_nonzero', lambda m, a: (m.count_nonzero(a), a.count_nonzero(dim=1), m.count_nonzero(a, (0, 1))),
       [((3, 4),)], int_inputs=True),
    Op('var', lambda m, a: (a.var(), a.var(1), a.var(dim=(0, 2), keepdim=True)), [((2, 3, 4),)]),
    Op('var_1d', lambda m, a: (a.var(), a.std(0), a.var(-1, keepdim=True)), [((5,),)]),
    Op('var_correction', lambda m, a: (a.var(unbiased=False), a.var(1, correction=0), a.var(0, True, True),
                                       a.var(correction=2)), [((4, 3),)]),
    Op('std', lambda m, a: (a.std(), a.std(-1), a.std(dim=0, keepdim=True, unbiased=False)), [((2, 3, 4),)]),
    Op('std_constant_rows', lambda m, a: a.std(1), [((3, 4),)],
       make=lambda rng, s, dt: np.repeat(rng.uniform(-1, 1, size=(s[0], 1)), s[1], 1).astype(dt), gradcheck=False),
    Op('var_mean', lambda m, a: (*m.var_mean(a, 1), *m.std_mean(a, dim=0, keepdim=True)), [((3, 4),)]),
    Op('norm', lambda m, a: (a.norm(), a.norm(dim=1), a.norm(2, 1, True)), [((3, 4),)]),
    Op('norm_1d', lambda m, a: (a.norm(), a.norm(dim=0), a.norm(1.5, 0, True)), [((5,),)]),
    Op('norm_p', lambda m, a: (a.norm(p=1), a.norm(p=3, dim=0), a.norm(p=0.5), a.norm(p=float('inf'), dim=1),
                               a.norm(p=-float('inf')), a.norm(p='fro', dim=(0, 1))), [((3, 4),)]),
    Op('norm_zero', lambda m, a: (a.norm(p=0), a.norm(dim=1)), [((3, 4),)], make=with_ties, gradcheck=False),
    Op('norm_inf_ties', lambda m, a: a.norm(p=float('inf')), [((3, 4),)], make=with_ties, gradcheck=False),
    Op('norm_0d', lambda m, a: a.norm(), [((),)]),
    Op('logsumexp', lambda m, a: (a.logsumexp(1), m.logsumexp(a, dim=(0, 2), keepdim=True)), [((2, 3, 4),)]),
    Op('logsumexp_large', lambda m, a: m.logsumexp(a * 500, -1), [((3, 4),)]),
    Op('logsumexp_0d', lambda m, a: a.logsumexp(0), [((),)]),
    Op('logsumexp_empty', lambda m, a: a.logsumexp(1), [((2, 0),)]),
    Op('logsumexp_int', lambda m, a: a.logsumexp(0), [((4,),)], int_inputs=True),
    Op('cumsum', lambda m, a: (a.cumsum(1), a.cumsum(dim=-1), m.cumsum(a, 0)), [((2, 3, 4),), ((0, 3),)]),
    Op('cumsum_0d', lambda m, a: a.cumsum(0), [((),)]),
    Op('cumsum_int', lambda m, a: (a.cumsum(0), a.int().cumsum(1), a.cumsum(1, dtype=numtorch_or_torch(m).int32)),
       [((3, 4),)], int_inputs=True),
    Op('cumprod', lambda m, a: (a.cumprod(1), a.cumprod(0)), [((2, 3, 4),)], domain=(0.5, 1.5)),
    Op('cumprod_1d', lambda m, a: a.cumprod(0), [((5,),), ((),)], domain=(0.5, 1.5)),
    Op('cumprod_zeros', lambda m, a: (a.cumprod(1), a.cumprod(0)), [((4, 6),)], make=with_zeros),
    Op('nansum', lambda m, a: (m.log(a).nansum(), m.log(a).nansum(1), m.log(a).nanmean(0)), [((3, 4),)],
       domain=(-1, 3), gradcheck=False),
    Op('sum_mean_0d_dim', lambda m, a: (a.sum(0), a.mean(-1), a.sum(0, keepdim=True)), [((),)]),
    Op('reduce_axis_alias', lambda m, a: (a.sum(axis=1), a.mean(axis=0, keepdims=True), a.max(axis=1)[0],
                                          a.amax(axis=0), a.std(axis=1), a.var(axis=1, keepdims=True),
                                          a.prod(axis=1), a.logsumexp(axis=1), a.norm(dim=1)),
       [((3, 4),)]),
]


def numtorch_or_torch(m):
    return m


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


@pytest.mark.parametrize('expr', [
    'x.prod()', 'x.prod(1)', 'x.max()', 'x.max(1)[0]', 'x.min()', 'x.min(0)[0]', 'torch.max(x, y)',
    'x.amax()', 'x.amax(1)', 'x.amin(0)', 'x.std()', 'x.std(1)', 'x.var()', 'x.var(0)', 'x.norm()',
    'x.norm(dim=1)', 'x.norm(p=1)', 'x.logsumexp(1)', 'x.cumsum(1)', 'x.cumprod(0)', 'x.median()',
    'x.median(1)[0]', 'x.sum()', 'x.sum(1)', 'x.mean()', 'x.mean(0)', 'x.nansum()',
])
def test_grad_fn_names(expr):
    def run(m):
        x = m.tensor([[0.25, 0.5, 0.75], [1.0, 1.5, 2.0]], requires_grad=True)
        y = m.tensor([0.5, 0.6, 0.7], requires_grad=True)
        return eval(expr, {'torch': m, 'x': x, 'y': y}).grad_fn.name()
    assert run(numtorch) == run(torch)


def test_named_tuples():
    x = numtorch.tensor([[1, 5, 2], [7, 0, 3]])
    t = torch.tensor([[1, 5, 2], [7, 0, 3]])
    for fn in (lambda m, a: a.max(1), lambda m, a: a.min(dim=0), lambda m, a: a.median(1),
               lambda m, a: m.aminmax(a), lambda m, a: m.max(a, 1, keepdim=True)):
        rn, rt = fn(numtorch, x), fn(torch, t)
        assert type(rn).__name__ == type(rt).__name__
        assert isinstance(rn, tuple) and len(rn) == len(rt) == 2
        assert repr(rn) == repr(rt)
    values, indices = x.max(1)
    assert values.tolist() == [5, 7] and indices.tolist() == [1, 0]
    assert x.max(1).indices.dtype == numtorch.int64 and x.max(1)[0] is not None
    r = pickle.loads(pickle.dumps(x.max(1)))
    assert r.values.tolist() == [5, 7]


def test_indices_do_not_require_grad():
    x = numtorch.tensor([[1., 5., 2.]], requires_grad=True)
    v, i = x.max(1)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None


def test_max_dim_gradient_goes_to_first_index():
    for m in (numtorch, torch):
        x = m.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
        x.max(1).values.sum().backward()
        if m is numtorch:
            ours = x.grad.tolist()
        else:
            assert ours == x.grad.tolist() == [[0., 1., 0.], [1., 0., 0.]]


def test_nan_propagation():
    vals = [1., float('nan'), 3., 2.]
    for fn in (lambda a: a.max(), lambda a: a.min(), lambda a: a.amax(), lambda a: a.argmax(),
               lambda a: a.max(0).indices, lambda a: a.median(), lambda a: a.sum(), lambda a: a.std()):
        n, t = fn(numtorch.tensor(vals)), fn(torch.tensor(vals))
        np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_empty_inputs():
    e = numtorch.zeros(0)
    te = torch.zeros(0)
    for fn in (lambda a: a.sum(), lambda a: a.prod(), lambda a: a.norm(), lambda a: a.logsumexp(0),
               lambda a: a.all(), lambda a: a.any(), lambda a: a.count_nonzero()):
        n, t = fn(e), fn(te)
        assert str(n.dtype) == str(t.dtype)
        np.testing.assert_array_equal(n.numpy(), t.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert np.isnan(e.std().item()) and np.isnan(te.std().item())


@pytest.mark.parametrize('fn', [
    lambda m: m.zeros(0).max(), lambda m: m.zeros(0, 3).max(0), lambda m: m.zeros(0).argmax(),
    lambda m: m.zeros(0, 2).amax(0), lambda m: m.zeros(3).max(1), lambda m: m.zeros(3).sum(2),
    lambda m: m.zeros(2, 3).std(dim=(0, 0)), lambda m: m.tensor([1, 2]).std(),
    lambda m: m.tensor([1, 2]).norm(), lambda m: m.tensor([True]).argmax(),
    lambda m: m.tensor([1, 2]).mean(), lambda m: m.zeros(3).cumsum(3),
])
def test_errors_match_torch(fn):
    same_error(fn)


def test_std_var_signatures():
    x = numtorch.tensor([[1., 2., 4.], [3., 5., 9.]])
    t = torch.tensor([[1., 2., 4.], [3., 5., 9.]])
    for fn in (lambda a: a.std(True), lambda a: a.std(False), lambda a: a.var(1, False),
               lambda a: a.std(1, True, True), lambda a: a.var(dim=1, correction=0),
               lambda a: a.std(0, keepdim=True)):
        np.testing.assert_allclose(fn(x).numpy(), fn(t).numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        x.std(0, unbiased=True, correction=1)
    with pytest.warns(UserWarning, match='degrees of freedom'):
        numtorch.tensor([1.]).std()


def test_inplace_scans():
    a, b = numtorch.tensor([1., 2., 3.]), torch.tensor([1., 2., 3.])
    a.cumsum_(0), b.cumsum_(0)
    assert a.tolist() == b.tolist()
