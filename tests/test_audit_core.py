"""Audit of the core against torch 2.13: sorting/selection/counting ops, and the small
divergences an item-by-item comparison found (each test names what it guards)."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, check_op, parametrize


def distinct(rng, shape, dt):
    """A permutation of distinct values: no ties, so indices are unambiguous."""
    n = int(np.prod(shape))
    return (rng.permutation(n) - n / 2).reshape(shape).astype(dt) / 4


def with_ties(rng, shape, dt):
    return rng.integers(-2, 3, size=shape).astype(dt)


OPS = [
    # With ties, finite differences are meaningless; torch's routing is still compared.
    Op('sort', lambda m, a: m.sort(a), [((5,),), ((2, 3, 4),), ((),), ((0,),)], make=distinct),
    Op('sort_ties', lambda m, a: m.sort(a), [((7,),), ((2, 3, 4),)], make=with_ties,
       gradcheck=False),
    Op('sort_dim_desc', lambda m, a: a.sort(dim=0, descending=True), [((4, 3),)], make=with_ties,
       gradcheck=False),
    Op('sort_stable', lambda m, a: m.sort(a, stable=True, descending=True), [((3, 6),)],
       make=with_ties, gradcheck=False),
    Op('msort', lambda m, a: m.msort(a), [((4, 3),)], make=distinct),
    Op('topk', lambda m, a: a.topk(2), [((5,),), ((3, 4),)], make=distinct),
    Op('topk_small', lambda m, a: m.topk(a, 3, dim=0, largest=False), [((4, 2),)], make=distinct),
    Op('topk_0d', lambda m, a: a.topk(1), [((),)]),
    Op('kthvalue', lambda m, a: a.kthvalue(2), [((5,),), ((3, 4),)], make=distinct),
    Op('kthvalue_keep', lambda m, a: m.kthvalue(a, 1, 0, keepdim=True), [((3, 4),)],
       make=distinct),
    Op('cummax', lambda m, a: m.cummax(a, 0), [((6,),), ((4, 3),)], make=with_ties,
       gradcheck=False),
    Op('cummin', lambda m, a: a.cummin(dim=1), [((3, 5),), ((0, 2),)], make=with_ties,
       gradcheck=False),
    Op('cummax_distinct', lambda m, a: a.cummax(-1), [((3, 5),)], make=distinct),
    Op('diff', lambda m, a: a.diff(), [((5,),), ((3, 4),)]),
    Op('diff_n2_dim0', lambda m, a: m.diff(a, n=2, dim=0), [((5, 2),)]),
    Op('diff_prepend', lambda m, a, p: m.diff(a, prepend=p, append=p), [((3, 4), (3, 1))]),
    Op('cross', lambda m, a, b: m.cross(a, b, dim=1), [((2, 3), (2, 3)), ((4, 3), (1, 3))]),
    Op('linalg_cross', lambda m, a, b: m.linalg.cross(a, b), [((3, 2, 3), (3, 2, 3))]),
    Op('cross_first3', lambda m, a, b: a.cross(b), [((3, 3), (3, 3))]),   # warns, as torch does
]


@pytest.mark.filterwarnings('ignore:Using torch.cross without')
@parametrize(OPS)
def test_ops_vs_torch(op, shapes, dt):
    check_op(op, shapes, dt)


def test_sort_nan_and_bool():
    x = [3., float('nan'), 1., float('nan'), -0.0]
    for desc in (False, True):
        t = torch.sort(torch.tensor(x), descending=desc)
        n = numtorch.sort(numtorch.tensor(x), descending=desc)
        np.testing.assert_array_equal(n.values.numpy(), t.values.numpy())
        assert n.indices.tolist() == t.indices.tolist()
    b = [True, False, True]
    assert numtorch.sort(numtorch.tensor(b)).indices.tolist() == torch.sort(torch.tensor(b)).indices.tolist()
    assert repr(numtorch.tensor([2, 1]).sort()) == repr(torch.tensor([2, 1]).sort())


def test_argsort():
    x = [[2, 1, 2, 0], [5, 5, 1, 1]]
    for kw in ({}, dict(descending=True), dict(dim=0), dict(dim=-1, descending=True, stable=True)):
        n = numtorch.argsort(numtorch.tensor(x), **kw)
        t = torch.argsort(torch.tensor(x), **kw)
        assert n.tolist() == t.tolist() and n.dtype == numtorch.int64, kw
    assert numtorch.tensor([3., 1.]).argsort(axis=0).tolist() == [1, 0]
    assert numtorch.tensor(2.).argsort().tolist() == 0


def test_cummax_nan_indices():
    x = [1., float('nan'), 3., float('nan'), 0.]
    n, t = numtorch.cummax(numtorch.tensor(x), 0), torch.cummax(torch.tensor(x), 0)
    assert n.indices.tolist() == t.indices.tolist()
    np.testing.assert_array_equal(n.values.numpy(), t.values.numpy())


def test_grad_fn_names():
    a, b = numtorch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    for f in (lambda m, x: m.sort(x).values, lambda m, x: x.topk(2).values,
              lambda m, x: x.kthvalue(2).values, lambda m, x: x.cummax(0).values,
              lambda m, x: m.msort(x), lambda m, x: m.cross(x, x, dim=0)):
        assert f(numtorch, a).grad_fn.name() == f(torch, b).grad_fn.name()
    assert numtorch.sort(a).indices.requires_grad is False


@pytest.mark.parametrize('kw', [{}, dict(return_inverse=True), dict(return_counts=True),
                                dict(return_inverse=True, return_counts=True), dict(dim=0),
                                dict(dim=1, return_inverse=True, return_counts=True)])
@pytest.mark.parametrize('fn', ['unique', 'unique_consecutive'])
def test_unique(fn, kw):
    x = [[1, 2, 2], [1, 2, 2], [0, 1, 0]]
    n = getattr(numtorch, fn)(numtorch.tensor(x), **kw)
    t = getattr(torch, fn)(torch.tensor(x), **kw)
    n, t = (n, t) if isinstance(t, tuple) else ((n,), (t,))
    assert len(n) == len(t)
    for a, b in zip(n, t):
        assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype)
    assert numtorch.tensor([3., 1., 3.]).unique().tolist() == [1., 3.]


def test_bincount_histc():
    i = [0, 2, 2, 5]
    for kw in ({}, dict(minlength=8)):
        assert numtorch.bincount(numtorch.tensor(i), **kw).tolist() == torch.bincount(torch.tensor(i), **kw).tolist()
    for w in ([1., 2., 3., 4.], np.array([1., 2, 3, 4])):
        for dt in ('float32', 'float64', 'int64'):
            n = numtorch.tensor(i).bincount(numtorch.tensor(np.asarray(w, dt)))
            t = torch.tensor(i).bincount(torch.tensor(np.asarray(w, dt)))
            assert n.tolist() == t.tolist() and str(n.dtype) == str(t.dtype)
    x = np.random.default_rng(0).normal(size=50).astype(np.float32)
    for kw in (dict(bins=5), dict(bins=4, min=-1, max=1), dict(bins=3, min=2, max=2)):
        n, t = numtorch.histc(numtorch.tensor(x), **kw), torch.histc(torch.tensor(x), **kw)
        assert n.tolist() == t.tolist() and n.dtype == numtorch.float32, kw
    same_error(lambda m: m.bincount(m.tensor([-1])))
    same_error(lambda m: m.bincount(m.ones(2, 2, dtype=m.int64)))
    same_error(lambda m: m.bincount(m.tensor([1.])))
    same_error(lambda m: m.histc(m.tensor([1, 2])))


def test_searchsorted_bucketize_isin():
    seq = [1, 3, 5, 7]
    v = [[0, 3], [6, 9]]
    for kw in ({}, dict(right=True), dict(side='right'), dict(out_int32=True)):
        n = numtorch.searchsorted(numtorch.tensor(seq), numtorch.tensor(v), **kw)
        t = torch.searchsorted(torch.tensor(seq), torch.tensor(v), **kw)
        assert n.tolist() == t.tolist() and str(n.dtype) == str(t.dtype)
    seq2 = [[1, 3, 5], [2, 4, 6]]
    assert (numtorch.searchsorted(numtorch.tensor(seq2), numtorch.tensor(v)).tolist()
            == torch.searchsorted(torch.tensor(seq2), torch.tensor(v)).tolist())
    assert numtorch.searchsorted(numtorch.tensor(seq), 3, right=True).tolist() == 2
    for kw in ({}, dict(right=True)):
        assert (numtorch.bucketize(numtorch.tensor(v), numtorch.tensor(seq), **kw).tolist()
                == torch.bucketize(torch.tensor(v), torch.tensor(seq), **kw).tolist())
    assert numtorch.isin(numtorch.tensor(v), numtorch.tensor([3, 9])).tolist() == \
        torch.isin(torch.tensor(v), torch.tensor([3, 9])).tolist()


def test_diff_bool_and_errors():
    assert numtorch.tensor([True, False, False]).diff().tolist() == \
        torch.tensor([True, False, False]).diff().tolist()
    n = numtorch.diff(numtorch.tensor([1, 4, 9]), n=2, prepend=numtorch.tensor([0]))
    assert n.tolist() == torch.diff(torch.tensor([1, 4, 9]), n=2, prepend=torch.tensor([0])).tolist()
    same_error(lambda m: m.diff(m.tensor(1.)))


@pytest.mark.parametrize('fn', [
    lambda m: m.topk(m.ones(3), 4),
    lambda m: m.kthvalue(m.ones(3), 0),
    lambda m: m.kthvalue(m.ones(2, 3), 4, dim=1),
    lambda m: m.sort(m.ones(3), dim=2),
    lambda m: m.argsort(m.ones(3), dim=-2),
    lambda m: m.cross(m.ones(2, 4), m.ones(2, 4), dim=1),
    lambda m: m.cross(m.ones(2, 3), m.ones(3), dim=1),
    lambda m: m.cross(m.ones(2, 3), m.ones(4, 3), dim=1),
    lambda m: m.unique(m.ones(2, 2), dim=2),
])
def test_errors(fn):
    same_error(fn)


# ---------------------------------------------------------------- small divergences found by the audit
@pytest.mark.parametrize('fn', [
    lambda m: m.tensor([2]) ** -1,
    lambda m: -m.tensor([True]),
    lambda m: m.tensor([True]) - m.tensor([True]),
    lambda m: m.arange(6.)[::-1],
    lambda m: m.arange(6.)[1:5:-2],
    lambda m: m.ones(3, dtype=m.int64, requires_grad=True),
    lambda m: f'{m.tensor([1.5]):.2f}',
    lambda m: m.finfo(m.int32),
    lambda m: m.iinfo(m.float32),
    lambda m: ~m.tensor([1.]),
    lambda m: m.bitwise_not(m.tensor([1.])),
    lambda m: m.nn.Parameter(m.ones(2, dtype=m.int64)),
])
def test_error_kinds(fn):
    same_error(fn)


def test_small_api_gaps():
    for m in (numtorch, torch):
        assert tuple(m.Tensor().shape) == (0,) and m.Tensor().dtype == m.float32
        assert tuple(m.ones(2, 3, 4).permute(dims=(2, 0, 1)).shape) == (4, 2, 3)
        assert m.arange(6.)[::2].tolist() == [0., 2., 4.]

        @m.no_grad
        def f(x):
            return x * 2

        @m.enable_grad
        def g(x):
            return x * 2
        x = m.ones(1, requires_grad=True)
        assert f(x).requires_grad is False and f.__name__ == 'f'
        with m.no_grad():
            assert g(x).requires_grad is True
    a = numtorch.ones(2, requires_grad=True).to(numtorch.float64)
    assert a.grad_fn.name() == torch.ones(2, requires_grad=True).to(torch.float64).grad_fn.name()
    assert f'{numtorch.tensor(1.5):.2f}' == '1.50' and f'{numtorch.ones(1)}' == str(numtorch.ones(1))


def test_finfo_iinfo():
    for d in ('float16', 'float32', 'float64', None):
        n = numtorch.finfo(getattr(numtorch, d)) if d else numtorch.finfo()
        t = torch.finfo(getattr(torch, d)) if d else torch.finfo()
        assert repr(n) == repr(t)
        for k in ('eps', 'max', 'min', 'tiny', 'smallest_normal', 'resolution', 'bits', 'dtype'):
            assert getattr(n, k) == getattr(t, k), (d, k)
    for d in ('uint8', 'int8', 'int16', 'int32', 'int64'):
        n, t = numtorch.iinfo(getattr(numtorch, d)), torch.iinfo(getattr(torch, d))
        assert (n.min, n.max, n.bits, n.dtype, repr(n)) == (t.min, t.max, t.bits, t.dtype, repr(t))


def test_sign_of_nan_is_zero():
    x = [float('nan'), -2., -0.0, 3.]
    for f in ('sign', 'sgn'):
        np.testing.assert_array_equal(getattr(numtorch, f)(numtorch.tensor(x)).numpy(),
                                      getattr(torch, f)(torch.tensor(x)).numpy())


@pytest.mark.parametrize('expr', [
    lambda m: m.ones(2) - m.zeros(2, dtype=m.bool),
    lambda m: m.zeros(2, dtype=m.bool) - 1,
    lambda m: m.zeros(2, dtype=m.bool) - 1.5,
    lambda m: True - m.ones(2),
    lambda m: 1 - m.zeros(2, dtype=m.bool),
    lambda m: m.ones(2) - True,
    lambda m: m.sub(m.ones(2), m.ones(2, dtype=m.bool)),
])
def test_subtraction_with_bool_raises_like_torch(expr):
    import torch
    with pytest.raises(RuntimeError) as theirs:
        expr(torch)
    with pytest.raises(RuntimeError) as ours:
        expr(numtorch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize('expr', [lambda x: x.squeeze(), lambda x: x.squeeze(1),
                                  lambda x: x.squeeze((1,)), lambda x: x.squeeze(-2)])
def test_squeeze_grad_fn_names_match_torch(expr):
    import torch
    theirs = expr(torch.ones(2, 1, 3, requires_grad=True)).grad_fn.name()
    ours = expr(numtorch.ones(2, 1, 3, requires_grad=True)).grad_fn.name()
    assert ours == theirs


@pytest.mark.parametrize('name,args', [('eq_', (1.,)), ('lt_', (1.5,)), ('logical_not_', ()),
                                       ('logical_and_', ([1., 1., 0.],)), ('ge_', (2.,))])
def test_inplace_comparisons_match_torch(name, args):
    # They come from the one in-place method factory, _apply.inplace_method.
    import torch
    ours = numtorch.tensor([1., 0., 2.])
    theirs = torch.tensor([1., 0., 2.])
    conv = lambda m: [m.tensor(a) if isinstance(a, list) else a for a in args]  # noqa: E731
    assert getattr(ours, name)(*conv(numtorch)) is ours
    getattr(theirs, name)(*conv(torch))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == numtorch.float32 and ours._version == 1


def test_inplace_bitwise_not_matches_torch():
    import torch
    ours, theirs = numtorch.tensor([1, 2]), torch.tensor([1, 2])
    ours.bitwise_not_(); theirs.bitwise_not_()
    assert ours.tolist() == theirs.tolist()
