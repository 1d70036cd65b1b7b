"""Issue 13 losses vs torch: margin, embedding and likelihood losses (functional forward and
gradients over shapes, dtypes, reductions and options; float64 finite differences), their
modules (repr, attributes, forward) and torch's errors. Targets are made inside each lambda
from the random inputs (sign for +-1 labels, abs for counts/variances) so both libraries see
the same values."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=1e-4, atol=1e-5)


def F(m):
    return m.nn.functional


def _pm1(m, t):
    """+-1 labels from a random tensor (never 0: sign of a continuous draw)."""
    return m.sign(t.detach())


OPS = []
for red in ('mean', 'sum', 'none'):
    OPS += [
        Op(f'triplet_margin_loss-{red}', lambda m, a, p, n, red=red: F(m).triplet_margin_loss(
            a, p, n, margin=1.5, reduction=red), [((4, 5), (4, 5), (4, 5)), ((5,), (5,), (5,))],
           tol=TOL),
        Op(f'margin_ranking_loss-{red}', lambda m, a, b, t, red=red: F(m).margin_ranking_loss(
            a, b, _pm1(m, t), margin=0.3, reduction=red), [((6,), (6,), (6,))], tol=TOL),
        Op(f'cosine_embedding_loss-{red}', lambda m, a, b, t, red=red: F(m).cosine_embedding_loss(
            a, b, _pm1(m, t), margin=0.2, reduction=red), [((4, 5), (4, 5), (4,)), ((5,), (5,), ())],
           tol=TOL),
        Op(f'hinge_embedding_loss-{red}', lambda m, a, t, red=red: F(m).hinge_embedding_loss(
            a, _pm1(m, t), margin=0.5, reduction=red), [((3, 4), (3, 4))], tol=TOL),
        Op(f'soft_margin_loss-{red}', lambda m, a, t, red=red: F(m).soft_margin_loss(
            a, _pm1(m, t), reduction=red), [((3, 4), (3, 4))], tol=TOL),
        Op(f'multilabel_soft_margin_loss-{red}', lambda m, a, t, w, red=red:
           F(m).multilabel_soft_margin_loss(a, (t.detach() > 0).to(a.dtype), weight=w, reduction=red),
           [((3, 4), (3, 4), (4,))], tol=TOL),
        Op(f'multi_margin_loss-{red}', lambda m, a, red=red: F(m).multi_margin_loss(
            a, m.tensor([0, 3, 2], device=a.device),
            weight=m.tensor([0.5, 1., 2., 1.5], dtype=a.dtype, device=a.device),
            reduction=red), [((3, 4),)], tol=TOL),
        Op(f'multilabel_margin_loss-{red}', lambda m, a, red=red: F(m).multilabel_margin_loss(
            a, m.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]], device=a.device),
            reduction=red),
           [((3, 4),)], tol=TOL),
        Op(f'poisson_nll_loss-{red}', lambda m, a, t, red=red: F(m).poisson_nll_loss(
            a, t.abs() * 3, reduction=red), [((3, 4), (3, 4))], tol=TOL),
        Op(f'gaussian_nll_loss-{red}', lambda m, a, t, v, red=red: F(m).gaussian_nll_loss(
            a, t, v.abs() + 0.1, reduction=red), [((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 4), (3,))],
           tol=TOL),
    ]
OPS += [
    Op('triplet_margin_loss-swap', lambda m, a, p, n: F(m).triplet_margin_loss(
        a, p, n, p=1.0, swap=True, eps=1e-3), [((4, 5), (4, 5), (4, 5))], tol=TOL),
    Op('triplet_margin_with_distance_loss', lambda m, a, p, n:
       F(m).triplet_margin_with_distance_loss(
           a, p, n, distance_function=lambda x, y: 1 - F(m).cosine_similarity(x, y), swap=True),
       [((4, 5), (4, 5), (4, 5))], tol=TOL),
    Op('multi_margin_loss-p2', lambda m, a: F(m).multi_margin_loss(
        a, m.tensor(2, device=a.device), p=2, margin=0.7),
       [((4,),)], tol=TOL),
    Op('poisson_nll_loss-full', lambda m, a, t: F(m).poisson_nll_loss(
        a.abs() + 0.1, t.abs() * 3, log_input=False, full=True), [((3, 4), (3, 4))],
       tol=TOL),
    Op('gaussian_nll_loss-full', lambda m, a, t, v: F(m).gaussian_nll_loss(
        a, t, v.abs() + 0.1, full=True, eps=0.5), [((3, 4), (3, 4), (3, 1))], tol=TOL),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


MODULES = ['TripletMarginLoss(margin=2.0, p=1.0)', 'TripletMarginWithDistanceLoss()',
           'MarginRankingLoss(0.5)', 'CosineEmbeddingLoss(margin=0.1)', 'HingeEmbeddingLoss()',
           'SoftMarginLoss()', "MultiLabelSoftMarginLoss(reduction='sum')", 'MultiMarginLoss(p=2)',
           'MultiLabelMarginLoss()', 'PoissonNLLLoss(full=True)', 'GaussianNLLLoss(eps=1e-3)']


@pytest.mark.parametrize('spec', MODULES)
def test_module(spec):
    n, t = eval('numtorch.nn.' + spec), eval('torch.nn.' + spec)
    assert repr(n) == repr(t)
    assert list(n.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    name = spec.split('(')[0]
    args = {'TripletMarginLoss': (a, b, c), 'TripletMarginWithDistanceLoss': (a, b, c),
            'MarginRankingLoss': (a[0], b[0], np.sign(c[0])),
            'CosineEmbeddingLoss': (a, b, np.sign(c[:, 0])), 'HingeEmbeddingLoss': (a, np.sign(b)),
            'SoftMarginLoss': (a, np.sign(b)), 'MultiLabelSoftMarginLoss': (a, (b > 0) * 1.0),
            'MultiMarginLoss': (a, np.array([0, 3, 1])),
            'MultiLabelMarginLoss': (a, np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]])),
            'PoissonNLLLoss': (a, np.abs(b) * 3), 'GaussianNLLLoss': (a, b, np.abs(c) + 0.1)}[name]
    out_n = n(*[numtorch.tensor(x) for x in args])
    out_t = t(*[torch.tensor(x) for x in args])
    np.testing.assert_allclose(out_n.numpy(), out_t.numpy(), **TOL)


ERRORS = [
    lambda m: m.nn.functional.margin_ranking_loss(m.randn(3), m.randn(3, 1), m.randn(3)),
    lambda m: m.nn.functional.cosine_embedding_loss(m.randn(3, 2), m.randn(3, 2), m.randn(3, 1)),
    lambda m: m.nn.functional.triplet_margin_loss(m.randn(3, 2), m.randn(3), m.randn(3, 2)),
    lambda m: m.nn.functional.multi_margin_loss(m.randn(3, 2), m.tensor([0, 1, 1]), p=3),
    lambda m: m.nn.functional.gaussian_nll_loss(m.randn(3, 2), m.randn(3, 2), m.ones(2, 2)),
    lambda m: m.nn.functional.gaussian_nll_loss(m.randn(3, 2), m.randn(3, 2), -m.ones(3, 2)),
    lambda m: m.nn.functional.soft_margin_loss(m.randn(3), m.randn(3), reduction='bad'),
    lambda m: m.nn.TripletMarginWithDistanceLoss(margin=0),
    lambda m: m.nn.functional.multi_margin_loss(m.randn(3, 2), m.tensor([0, 1, 1]),
                                                weight=m.ones(2, requires_grad=True)),
    lambda m: m.nn.functional.cosine_embedding_loss(m.randn(3, 2), m.randn(3, 2), m.randn(3, 1, 1)),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])
