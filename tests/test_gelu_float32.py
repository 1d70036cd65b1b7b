"""GELU's float32 path for large arrays (Phi from one exp, computed in chunks) against torch:
values over the whole range, gradients, non-contiguous input, a second backward."""
import numpy as np
import torch

import numtorch


def test_gelu_float32_large_matches_torch():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-10, 10, 150001), rng.standard_normal(2999) * 3])
    x = x.astype(np.float32).reshape(-1, 3)[:, ::-1]           # non-contiguous, > one chunk
    n = numtorch.tensor(np.ascontiguousarray(x)).transpose(0, 1).contiguous().transpose(0, 1)
    n.requires_grad_(True)
    t = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    yn, yt = numtorch.nn.functional.gelu(n), torch.nn.functional.gelu(t)
    assert yn.grad_fn.name() == yt.grad_fn.name() == 'GeluBackward0'
    # torch's own float32 GELU (0.5 x (1 + erf)) has ~1e-6 absolute error; so do we
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=2e-6)
    g = rng.standard_normal(x.shape).astype(np.float32)
    yt.backward(torch.tensor(g))
    yn.backward(numtorch.tensor(g), retain_graph=True)
    np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=2e-6)
    first = n.grad.numpy().copy()
    yn.backward(numtorch.tensor(g))                  # saved arrays were not overwritten
    np.testing.assert_allclose(n.grad.numpy(), 2 * first, rtol=1e-6)


def test_gelu_float32_reference_accuracy():
    import math
    x = np.linspace(-6, 6, 20001).astype(np.float32)
    ref = np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    out = numtorch.nn.functional.gelu(numtorch.tensor(x)).numpy()
    assert np.abs(out - ref).max() < 1e-6
    assert out.dtype == np.float32
