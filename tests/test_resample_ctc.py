"""Issue 13 vs torch: interpolate's interpolating modes, grid_sample/affine_grid, embedding_bag,
ctc_loss, gumbel_softmax (forward, gradients, float64 finite differences; modules; errors)."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=1e-4, atol=1e-5)


def F(m):
    return m.nn.functional


def _interp(name, cases, **kw):
    return Op(name, lambda m, x: F(m).interpolate(x, **kw), cases, tol=TOL)


OPS = []
for ac in (False, True):
    OPS += [
        _interp(f'linear-{ac}', [((2, 3, 5),)], size=9, mode='linear', align_corners=ac),
        _interp(f'linear-sf-{ac}', [((2, 3, 5),)], scale_factor=1.7, mode='linear', align_corners=ac),
        _interp(f'bilinear-{ac}', [((2, 2, 4, 5),), ((1, 1, 3, 3),)], size=(7, 3), mode='bilinear',
                align_corners=ac),
        _interp(f'bilinear-sf-{ac}', [((1, 2, 4, 5),)], scale_factor=(2, 0.6), mode='bilinear',
                align_corners=ac),
        _interp(f'bicubic-{ac}', [((2, 2, 4, 5),), ((1, 1, 3, 3),)], size=(7, 3), mode='bicubic',
                align_corners=ac),
        _interp(f'trilinear-{ac}', [((1, 2, 3, 4, 2),)], scale_factor=1.5, mode='trilinear',
                align_corners=ac),
    ]
OPS += [
    _interp('bilinear-recompute', [((1, 2, 4, 5),)], scale_factor=1.3, mode='bilinear',
            recompute_scale_factor=True),
    _interp('nearest-3d', [((1, 2, 3, 4, 2),)], scale_factor=1.5),
    _interp('nearest-exact', [((1, 2, 5, 6),), ((2, 2, 5),)], scale_factor=0.7, mode='nearest-exact'),
    _interp('area', [((1, 2, 5, 6),), ((2, 2, 7),), ((1, 1, 4, 3, 5),)], scale_factor=0.5, mode='area'),
]
for pm in ('zeros', 'border', 'reflection'):
    for ac in (False, True):
        for mode in ('bilinear', 'nearest'):
            OPS.append(Op(f'grid_sample-{pm}-{ac}-{mode}', lambda m, x, g, pm=pm, ac=ac, mode=mode:
                          F(m).grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac),
                          [((2, 2, 4, 5), (2, 3, 2, 2))], domain=(-1.3, 1.3), tol=TOL,
                          gradcheck=mode == 'bilinear'))
for pm in ('zeros', 'border', 'reflection'):
    for mode in ('bilinear', 'nearest'):
        OPS.append(Op(f'grid_sample3d-{pm}-{mode}', lambda m, x, g, pm=pm, mode=mode:
                      F(m).grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=pm == 'border'),
                      [((1, 2, 3, 4, 3), (1, 2, 2, 1, 3))], domain=(-1.3, 1.3), tol=TOL,
                      gradcheck=mode == 'bilinear'))
for ac in (False, True):
    OPS += [Op(f'affine_grid-{ac}', lambda m, t, ac=ac: F(m).affine_grid(t, (2, 3, 4, 5), ac),
               [((2, 2, 3),)], tol=TOL),
            Op(f'affine_grid3d-{ac}', lambda m, t, ac=ac: F(m).affine_grid(t, (1, 3, 2, 4, 3), ac),
               [((1, 3, 4),)], tol=TOL)]

_BAG_IN = [1, 2, 4, 5, 4, 3, 2, 9]
_OFF = [0, 2, 2, 5]
for kw in (dict(mode='sum'), dict(mode='mean'), dict(mode='max'), dict(mode='mean', padding_idx=2),
           dict(mode='max', padding_idx=4), dict(mode='max', include_last_offset=True),
           dict(mode='sum', include_last_offset=True)):
    # include_last_offset: CSR offsets, the last one is len(input)
    OPS.append(Op('embedding_bag-' + '-'.join(f'{v}' for v in kw.values()),
                  lambda m, w, kw=kw: F(m).embedding_bag(
                      m.tensor(_BAG_IN, device=w.device), w,
                      m.tensor(_OFF + [8] if kw.get('include_last_offset') else _OFF,
                               device=w.device), **kw),
                  [((10, 3),)], tol=TOL))
OPS += [
    Op('embedding_bag-2d-psw', lambda m, w, p: F(m).embedding_bag(
        m.tensor([[1, 2, 4, 5], [4, 3, 2, 9]], device=w.device), w, mode='sum',
        per_sample_weights=p),
       [((10, 3), (2, 4))], tol=TOL),
    Op('embedding_bag-2d-mean', lambda m, w: F(m).embedding_bag(
        m.tensor([[1, 2, 4], [4, 3, 2]], device=w.device), w), [((10, 3),)], tol=TOL),
]

# embedding: torch differentiates its backward again (EmbeddingDenseBackwardBackward0), so the
# specs' second derivatives are checked too (repeated rows, a padding row, frequency scaling).
# A padding row's zero gradient and the frequency scaling are torch's conventions, not the
# derivative: those two are compared with torch only (no finite differences).
OPS += [Op('embedding-' + '-'.join(f'{k}' for k in kw) if kw else 'embedding',
           lambda m, w, kw=kw: F(m).embedding(m.tensor([[1, 2, 1], [4, 1, 0]], device=w.device),
                                               w, **kw), [((5, 3),)], gradcheck=not kw)
        for kw in (dict(), dict(padding_idx=1), dict(scale_grad_by_freq=True),
                   dict(padding_idx=1, scale_grad_by_freq=True))]

_TG = [[1, 1, 3], [3, 2, 1], [2, 1, 3]]
_TG3 = [[1, 1, 2], [2, 0, 1], [0, 2, 1]]     # labels for blank=3
for kw in (dict(reduction='none'), dict(reduction='mean'), dict(reduction='sum', blank=3)):
    OPS.append(Op('ctc_loss-' + '-'.join(f'{v}' for v in kw.values()), lambda m, x, kw=kw:
                  F(m).ctc_loss(x.log_softmax(2), m.tensor(_TG3 if kw.get('blank') else _TG),
                                m.tensor([7, 5, 6]),
                                m.tensor([3, 2, 1]), **kw), [((7, 3, 4),)], tol=TOL))
OPS += [
    # log_probs as a leaf: torch's native gradient form (exp(lp) - ...), not the plain derivative.
    Op('ctc_loss-leaf', lambda m, x: F(m).ctc_loss(x, m.tensor(_TG), [7, 5, 6], [3, 2, 1]),
       [((7, 3, 4),)], tol=TOL, gradcheck=False),
    Op('ctc_loss-concat', lambda m, x: F(m).ctc_loss(
        x.log_softmax(2), m.tensor([1, 2, 3, 4, 4]), m.tensor([6, 6]), m.tensor([2, 3])),
       [((6, 2, 5),)], tol=TOL),
    Op('ctc_loss-unbatched', lambda m, x: F(m).ctc_loss(
        x.log_softmax(1), m.tensor([1, 2, 2]), m.tensor(5), m.tensor(3)), [((5, 3),)], tol=TOL),
    Op('ctc_loss-zero_infinity', lambda m, x: F(m).ctc_loss(
        x.log_softmax(2), m.tensor([[1, 1], [1, 2]]), [2, 3], [2, 2], zero_infinity=True),
       [((3, 2, 3),)], tol=TOL),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check_op(op, shapes, dt)


def test_ctc_impossible_alignment_is_inf():
    lp = numtorch.randn(2, 1, 3).log_softmax(2)
    loss = F(numtorch).ctc_loss(lp, numtorch.tensor([[1, 1]]), [2], [2], reduction='sum')
    assert loss.item() == float('inf')


def test_gumbel_softmax():
    numtorch.manual_seed(0)
    logits = numtorch.tensor([[0., 2., -1.], [1., 1., 1.]], requires_grad=True)
    soft = F(numtorch).gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1, rtol=1e-6)
    hard = F(numtorch).gumbel_softmax(logits, hard=True)
    assert sorted(hard.detach().numpy().ravel().tolist()) == [0, 0, 0, 0, 1, 1]
    (hard * numtorch.arange(3.)).sum().backward()     # straight-through: the soft sample's grad
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    # Frequencies follow softmax(logits) (tau only sharpens): 2000 draws, loose bound.
    numtorch.manual_seed(1)
    draws = F(numtorch).gumbel_softmax(numtorch.tensor([0., 1., 2.]).expand(2000, 3), hard=True)
    freq = draws.mean(0).numpy()
    np.testing.assert_allclose(freq, torch.softmax(torch.tensor([0., 1., 2.]), 0).numpy(), atol=0.04)


MODULES = ['EmbeddingBag(10, 3)', "EmbeddingBag(10, 3, max_norm=1.0, mode='sum', padding_idx=0)",
           "EmbeddingBag(10, 3, mode='max')", "EmbeddingBag(10, 3, mode='sum', scale_grad_by_freq=True)", 'CTCLoss()',
           "CTCLoss(blank=2, reduction='sum', zero_infinity=True)",
           "Upsample(scale_factor=2, mode='bilinear', align_corners=True)",
           "Upsample(size=(3, 4), mode='bicubic')"]


@pytest.mark.parametrize('spec', MODULES)
def test_module(spec):
    n, t = eval('numtorch.nn.' + spec), eval('torch.nn.' + spec)
    assert repr(n) == repr(t)
    assert list(n.state_dict()) == list(t.state_dict())
    n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(0)
    if spec.startswith('EmbeddingBag'):
        args = (np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2]))
    elif spec.startswith('CTCLoss'):
        args = (rng.standard_normal((5, 2, 4)).astype(np.float32), np.array([[1, 3], [3, 1]]),
                np.array([5, 4]), np.array([2, 1]))
    else:
        args = (rng.standard_normal((1, 2, 3, 3)).astype(np.float32),)
    out_n = n(*[numtorch.tensor(a) for a in args])
    out_t = t(*[torch.tensor(a) for a in args])
    np.testing.assert_allclose(out_n.detach().numpy(), out_t.detach().numpy(), **TOL)


ERRORS = [
    lambda m: m.nn.functional.interpolate(m.randn(1, 2, 3, 4), size=5, mode='linear'),
    lambda m: m.nn.functional.interpolate(m.randn(1, 2, 3), size=5, mode='bilinear'),
    lambda m: m.nn.functional.interpolate(m.randn(1, 2, 3), size=5, mode='area', align_corners=True),
    lambda m: m.nn.functional.interpolate(m.randn(1, 2, 3), size=5, mode='linear',
                                          recompute_scale_factor=True),
    lambda m: m.nn.functional.grid_sample(m.randn(1, 2, 3, 4), m.randn(1, 2, 2, 2), mode='cubic'),
    lambda m: m.nn.functional.grid_sample(m.randn(1, 2, 3, 4), m.randn(1, 2, 2, 2),
                                          padding_mode='wrap'),
    lambda m: m.nn.functional.affine_grid(m.randn(1, 3, 3), (1, 1, 2, 2), align_corners=False),
    lambda m: m.nn.functional.grid_sample(m.randn(1, 2, 3, 4, 5), m.randn(1, 2, 2, 2, 2),
                                          align_corners=False),
    lambda m: m.nn.functional.embedding_bag(m.tensor([1, 2]), m.randn(4, 2), m.tensor([0]),
                                            mode='mean', per_sample_weights=m.ones(2)),
    lambda m: m.nn.functional.embedding_bag(m.tensor([[1, 2]]), m.randn(4, 2), m.tensor([0])),
    lambda m: m.nn.functional.ctc_loss(m.randn(3, 1, 4), m.tensor([[1]]), [4], [1]),
    lambda m: m.nn.EmbeddingBag(4, 2, mode='max', scale_grad_by_freq=True)(m.tensor([[1, 2]])),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])
