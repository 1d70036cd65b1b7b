"""Second derivatives through in-place ops on views (CopySlices, AsStrided) against torch:
create_graph runs CopySlices' functional backward on GradArrays."""
import numpy as np
import pytest
import torch

import numtorch

CASES = {
    'mul_column_by_tensor': lambda m, x, w: _f(m, x, lambda y: y[:, 0].mul_(w[0])),
    'setitem_chain': lambda m, x, w: _f(m, x, lambda y: y[0].__setitem__(1, (w * w).sum())),
    'view_add': lambda m, x, w: _f(m, x, lambda y: y.view(-1).add_(w.repeat(3))),
    'transpose_row_sin': lambda m, x, w: _f(m, x, lambda y: y.t()[1].copy_(w[:3].sin())),
    'diagonal_fill': lambda m, x, w: _f(m, x, lambda y: y.diagonal().fill_(0.5)),
    'reuse_view': lambda m, x, w: _reuse(m, x, w),
}


def _f(m, x, inplace):
    y = x * x
    inplace(y)
    return (y.exp() * 0.5).sum()


def _reuse(m, x, w):
    y = x.sin()
    v = y[1]
    v.mul_(w)
    return (v * v).sum() + (y ** 3).sum()


@pytest.mark.parametrize('name', sorted(CASES))
def test_second_derivative_through_view_inplace(name):
    rng = np.random.default_rng(0)
    xa, wa = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    res = []
    for m in (torch, numtorch):
        x = m.tensor(xa, requires_grad=True)
        w = m.tensor(wa, requires_grad=True)
        gx, gw = m.autograd.grad(CASES[name](m, x, w), (x, w), create_graph=True,
                                 allow_unused=True)
        terms = [(g * g).sum() for g in (gx, gw) if g is not None and g.requires_grad]
        hs = m.autograd.grad(sum(terms), (x, w), allow_unused=True)
        res.append([None if h is None else h.detach().numpy() for h in hs])
    for t, n in zip(*res):
        assert (t is None) == (n is None) or not np.any(t if n is None else n)
        if t is not None and n is not None:
            np.testing.assert_allclose(n, t, rtol=1e-10, atol=1e-10)


def test_gradgradcheck_through_view_inplace():
    x = numtorch.rand(3, 4, dtype=numtorch.float64, requires_grad=True)
    w = numtorch.rand(4, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradgradcheck(
        lambda x, w: CASES['mul_column_by_tensor'](numtorch, x, w), (x, w))
