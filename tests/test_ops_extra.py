"""The ops once in numtorch/_ops/extra.py (now in shape/, pointwise/binary.py, reductions/,
indexing/gather_scatter.py) and reductions/order_stats.py vs torch: tensor_split,
take_along_dim, tril/triu_indices, rot90, hypot,
xlogy, logaddexp, logcumsumexp, nanmedian, quantile/nanquantile, mode, cov, corrcoef,
fill_diagonal_, squeeze_/unsqueeze_/t_/transpose_, nbytes/itemsize."""
import numpy as np
import pytest
import torch

import numtorch
from opcheck import Op, check_op, parametrize

BCAST = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (4,)), ((0, 3), (3,))]


def _distinct(rng, shape, dt):
    # Distinct values so order statistics have no ties (finite differences stay valid).
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 + rng.uniform(-0.1, 0.1, shape)).astype(dt)


def _with_nan(rng, shape, dt):
    # No slice all NaN: torch's index for one is an artefact of its nth_element.
    a = _distinct(rng, shape, dt)
    a.reshape(-1)[::4] = np.nan
    return a


def _ties(rng, shape, dt):
    return rng.integers(0, 3, size=shape).astype(dt)


IDX = torch.tensor([[0, 2], [1, 1]])

OPS = [
    Op('tensor_split_n', lambda m, a: m.tensor_split(a, 3, 1), [((2, 7),), ((2, 2),)]),
    Op('tensor_split_idx', lambda m, a: a.tensor_split([1, 4, 9], dim=-1), [((3, 6),)]),
    Op('take_along_dim', lambda m, a: m.take_along_dim(a, m.tensor([[0, 2], [1, 1]], device=a.device), 1),
       [((2, 3),)]),
    Op('take_along_dim_bcast', lambda m, a: m.take_along_dim(a, m.tensor([[[0], [2]]], device=a.device), 2),
       [((3, 1, 4),)]),
    Op('take_along_dim_flat', lambda m, a: m.take_along_dim(a, m.tensor([5, 0, 5], device=a.device)), [((2, 3),)]),
    Op('rot90', lambda m, a: m.rot90(a), [((2, 3),)]),
    Op('rot90_k', lambda m, a: a.rot90(3, [2, 0]), [((2, 3, 4),)]),
    Op('rot90_neg', lambda m, a: a.rot90(-2, (0, 1)), [((2, 3),)]),
    Op('hypot', lambda m, a, b: m.hypot(a, b), BCAST),
    Op('logaddexp', lambda m, a, b: m.logaddexp(a, b), BCAST, domain=(-30, 30)),
    Op('xlogy', lambda m, a, b: m.xlogy(a, b), BCAST, domain=(0.2, 3.0)),
    Op('xlogy_scalar_other', lambda m, a: m.xlogy(a, 2.5), [((3,),)]),
    Op('xlogy_scalar_self', lambda m, b: m.xlogy(2.5, b), [((3,),), ((),)], domain=(0.2, 3.0)),
    Op('logcumsumexp', lambda m, a: m.logcumsumexp(a, 1), [((3, 4),), ((2, 0),)],
       domain=(-50, 50)),
    Op('logcumsumexp_0d', lambda m, a: a.logcumsumexp(-1), [((),)]),
    Op('nanmedian', lambda m, a: a.nanmedian(), [((3, 4),), ((5,),)], make=_distinct),
    Op('nanmedian_nan', lambda m, a: a.nanmedian(), [((3, 4),)], make=_with_nan, gradcheck=False),
    Op('nanmedian_dim', lambda m, a: m.nanmedian(a, 1), [((3, 5),), ((2, 4, 3),)],
       make=_with_nan, gradcheck=False),
    Op('nanmedian_dim_keep', lambda m, a: a.nanmedian(0, keepdim=True), [((4, 3),)],
       make=_distinct),
    Op('nanmedian_ties', lambda m, a: a.nanmedian(), [((7,),)], make=_ties, gradcheck=False),
    Op('mode', lambda m, a: a.mode(), [((3, 6),), ((6,),)], make=_ties, gradcheck=False),
    Op('mode_dim', lambda m, a: m.mode(a, 0, keepdim=True), [((6, 3),)], make=_ties,
       gradcheck=False),
    Op('quantile', lambda m, a: a.quantile(0.3), [((3, 4),), ((1,),)], make=_distinct),
    Op('quantile_dim', lambda m, a: m.quantile(a, 0.75, dim=1), [((3, 5),)], make=_distinct),
    Op('quantile_q', lambda m, a: m.quantile(a, m.tensor([0., 0.25, 0.6, 1.], dtype=a.dtype,
                                                              device=a.device),
                                             dim=0, keepdim=True), [((5, 3),)], make=_distinct),
    Op('quantile_keep_all', lambda m, a: a.quantile(0.4, keepdim=True), [((2, 3),)],
       make=_distinct),
    Op('quantile_nan', lambda m, a: a.quantile(0.5, dim=1), [((3, 5),)], make=_with_nan,
       gradcheck=False),
    Op('nanquantile', lambda m, a: a.nanquantile(0.3, dim=1), [((3, 5),)], make=_with_nan,
       gradcheck=False),
    Op('nanquantile_allnan', lambda m, a: a.nanquantile(0.3, dim=0),
       [((3, 2),)], make=lambda r, s, d: np.array([[np.nan, 1], [np.nan, 2], [np.nan, 0]], d),
       gradcheck=False),
    Op('cov', lambda m, a: m.cov(a), [((3, 5),), ((5,),), ((1, 4),)]),
    Op('cov_corr0', lambda m, a: a.cov(correction=0), [((2, 4),)]),
    Op('cov_weights', lambda m, a: m.cov(a, fweights=m.tensor([1, 2, 0, 3], device=a.device),
                                         aweights=m.tensor([0.5, 1.0, 2.0, 0.25],
                                                           device=a.device)), [((3, 4),)]),
    Op('cov_fweights', lambda m, a: m.cov(a, fweights=m.tensor([1, 2, 1, 3], device=a.device)), [((2, 4),)]),
    Op('corrcoef', lambda m, a: m.corrcoef(a), [((3, 5),), ((4,),)]),
    Op('fill_diagonal', lambda m, a: (a * 1).fill_diagonal_(2.5), [((3, 3),), ((2, 4),)]),
    Op('fill_diagonal_wrap', lambda m, a: (a * 1).fill_diagonal_(-1., wrap=True), [((7, 3),)]),
    Op('fill_diagonal_3d', lambda m, a: (a * 1).fill_diagonal_(0.), [((2, 2, 2),)]),
    Op('squeeze_', lambda m, a: (a * 1).squeeze_(), [((1, 3, 1),)]),
    Op('squeeze_dim', lambda m, a: (a * 1).squeeze_(0) * 2, [((1, 3, 1),)]),
    Op('unsqueeze_', lambda m, a: (a * 1).unsqueeze_(-1), [((2, 3),)]),
    Op('t_', lambda m, a: (a * 1).t_() * 3, [((2, 3),), ((3,),)]),
    Op('transpose_', lambda m, a: (a * 1).transpose_(0, 2), [((2, 3, 4),)]),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


INTERP = ['linear', 'lower', 'higher', 'midpoint', 'nearest']


@pytest.mark.parametrize('interp', INTERP)
def test_quantile_interpolation(interp):
    a = np.random.default_rng(0).permutation(9).reshape(3, 3).astype(np.float64)
    for q in (0.0, 0.1, 0.25, 0.5, 0.625, 1.0):
        for f in ('quantile', 'nanquantile'):
            n = getattr(numtorch.tensor(a), f)(q, dim=1, interpolation=interp)
            t = getattr(torch.tensor(a), f)(q, dim=1, interpolation=interp)
            np.testing.assert_allclose(n.numpy(), t.numpy())


def test_grad_fn_names():
    x = numtorch.randn(3, 3, requires_grad=True)
    y = numtorch.rand(3, 3, requires_grad=True)
    names = {
        'Rot90Backward0': x.rot90(), 'HypotBackward0': x.hypot(y),
        'XlogyBackward0': x.xlogy(y), 'XlogyBackward1': numtorch.xlogy(2., y),
        'XlogyBackward2': x.xlogy(2.), 'LogaddexpBackward0': x.logaddexp(y),
        'LogcumsumexpBackward0': x.logcumsumexp(0), 'NanmedianBackward0': x.nanmedian(),
        'NanmedianBackward1': x.nanmedian(0).values, 'ModeBackward0': x.mode().values,
        'SliceBackward0': x.tensor_split(2)[0], 'GatherBackward0': x.take_along_dim(
            numtorch.tensor([[0], [1], [2]]), 1),
        'SqueezeBackward3': (x * 1).unsqueeze(0).squeeze_(),
        'SqueezeBackward4': (x * 1).unsqueeze(0).squeeze_(0),
        'UnsqueezeBackward1': (x * 1).unsqueeze_(0), 'TBackward1': (x * 1).t_(),
        'TransposeBackward1': (x * 1).transpose_(0, 1),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name


def test_inplace_shape_keeps_identity():
    x = numtorch.zeros(1, 2, 3)
    assert x.squeeze_() is x and x.shape == (2, 3)
    assert x.unsqueeze_(1) is x and x.shape == (2, 1, 3)
    assert x.transpose_(0, 2) is x and x.shape == (3, 1, 2)
    assert numtorch.zeros(2, 3).t_().shape == (3, 2)
    leaf = numtorch.zeros(1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf Variable'):
        leaf.squeeze_()
    with numtorch.no_grad():
        assert leaf.squeeze_().shape == (3,)


def test_indices_and_props():
    for f in ('tril_indices', 'triu_indices'):
        for args in ((3, 3), (4, 2, 1), (2, 5, -1), (0, 3), (3, 3, 5)):
            n, t = getattr(numtorch, f)(*args), getattr(torch, f)(*args)
            assert str(n.dtype) == str(t.dtype)
            np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert numtorch.triu_indices(3, 3, dtype=numtorch.int32).dtype == numtorch.int32
    for dt in ('float32', 'float64', 'int8', 'int64', 'bool'):
        n, t = numtorch.zeros(2, 3, dtype=getattr(numtorch, dt)), \
            torch.zeros(2, 3, dtype=getattr(torch, dt))
        assert (n.nbytes, n.itemsize) == (t.nbytes, t.itemsize)


def test_int_dtypes():
    for f, args in (('xlogy', (numtorch.tensor([0, 1, 2]), numtorch.tensor([0, 3, 2]))),
                    ('cov', (numtorch.tensor([[1, 2, 4], [0, 1, 1]]),)),
                    ('mode', (numtorch.tensor([1, 2, 2]),)),
                    ('nanmedian', (numtorch.tensor([3, 1, 2]),)),
                    ('rot90', (numtorch.tensor([[1, 2]]),))):
        n = getattr(numtorch, f)(*args)
        t = getattr(torch, f)(*(torch.tensor(a.numpy()) for a in args))
        n, t = (n[0], t[0]) if isinstance(t, tuple) else (n, t)
        assert str(n.dtype) == str(t.dtype)
        np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-6)


ERRORS = [
    lambda m: m.hypot(m.tensor([1]), m.tensor([2])),
    lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])),
    lambda m: m.logcumsumexp(m.tensor([1]), 0),
    lambda m: m.rot90(m.zeros(3)),
    lambda m: m.rot90(m.zeros(2, 2), 1, [0, 0]),
    lambda m: m.rot90(m.zeros(2, 2), 1, [0, 1, 2]),
    lambda m: m.zeros(3).fill_diagonal_(1.),
    lambda m: m.zeros(2, 3, 2).fill_diagonal_(1.),
    lambda m: m.zeros(2, 3, 4).t_(),
    lambda m: m.tensor_split(m.tensor(1.), 2),
    lambda m: m.tensor_split(m.zeros(3), 0),
    lambda m: m.take_along_dim(m.zeros(2, 3), m.tensor([0]), 1),
    lambda m: m.take_along_dim(m.zeros(2, 3), m.tensor([[0.]]), 1),
    lambda m: m.quantile(m.tensor([1, 2]), 0.5),
    lambda m: m.quantile(m.tensor([1., 2.]), 1.5),
    lambda m: m.quantile(m.tensor([1., 2.]), m.tensor([0.5], dtype=m.float64)),
    lambda m: m.quantile(m.tensor([1., 2.]), 0.5, interpolation='cubic'),
    lambda m: m.quantile(m.zeros(0), 0.5),
    lambda m: m.cov(m.zeros(2, 2, 2)),
    lambda m: m.cov(m.zeros(2, 3), fweights=m.tensor([1., 2., 3.])),
    lambda m: m.cov(m.zeros(2, 3), aweights=m.tensor([1., 2.])),
    lambda m: m.cov(m.zeros(2, 3), fweights=m.tensor([1, -2, 3])),
    lambda m: m.mode(m.zeros(2, 0), 1),
]


@pytest.mark.parametrize('fn', ERRORS)
def test_errors(fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)) as ne:
        fn(numtorch)
    assert str(ne.value) == str(te.value)
