"""Second derivatives of scaled_dot_product_attention against torch: the math path (3-D
inputs, masks, causal) differentiates twice; the 4-D CPU flash path refuses as torch's does."""
import numpy as np
import pytest
import torch

import numtorch

RNG = np.random.default_rng(0)
MASK_F = RNG.standard_normal((3, 3))
MASK_B = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]], bool)   # the last row masks every key


def _second(m, arrs, causal, mask):
    q, k, v = [m.tensor(a, requires_grad=True) for a in arrs]
    am = None if mask is None else m.tensor(mask, requires_grad=mask.dtype != bool)
    out = m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am, is_causal=causal)
    ins = [q, k, v] + ([am] if am is not None and am.requires_grad else [])
    gs = m.autograd.grad((out * out).sum(), ins, create_graph=True)
    return [h.detach().numpy() for h in m.autograd.grad(sum((g * g.tanh()).sum() for g in gs), ins)]


@pytest.mark.parametrize('causal,mask', [(False, None), (True, None), (False, MASK_F),
                                         (False, MASK_B)], ids=['plain', 'causal', 'float', 'bool'])
def test_sdpa_second_derivatives_match_torch(causal, mask):
    arrs = [RNG.standard_normal((2, 3, 4)) for _ in range(3)]
    for n, t in zip(_second(numtorch, arrs, causal, mask), _second(torch, arrs, causal, mask)):
        np.testing.assert_allclose(n, t, rtol=1e-10, atol=1e-12)


def test_sdpa_gradgradcheck():
    q, k, v = (numtorch.rand(2, 3, 4, dtype=numtorch.float64, requires_grad=True) for _ in range(3))
    assert numtorch.autograd.gradgradcheck(
        numtorch.nn.functional.scaled_dot_product_attention, (q, k, v))


def test_sdpa_flash_path_refuses_like_torch():
    arrs = [RNG.standard_normal((1, 2, 3, 4)) for _ in range(3)]
    msgs = []
    for m in (torch, numtorch):
        with pytest.raises(RuntimeError) as info:
            _second(m, arrs, False, None)
        msgs.append(str(info.value).splitlines()[0])
    assert msgs[0] == msgs[1]
