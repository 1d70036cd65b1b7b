"""create_graph through the fused recurrent layers: the first-order gradients are given (as
torch's), and a second derivative through the fused loop refuses with a clear error (its
backward reads saved gate activations, constants under create_graph: never a wrong number)."""
import numpy as np
import pytest
import torch

import numtorch


@pytest.mark.parametrize('mode', ['RNN', 'LSTM', 'GRU'])
def test_first_order_under_create_graph_matches_torch(mode):
    res = []
    for m in (torch, numtorch):
        m.manual_seed(0)
        layer = getattr(m.nn, mode)(3, 4, dtype=m.float64)
        if m is numtorch:
            layer.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in ref.items()})
        else:
            ref = layer.state_dict()
        x = m.tensor(np.linspace(-1, 1, 2 * 2 * 3).reshape(2, 2, 3), requires_grad=True)
        g, = m.autograd.grad(layer(x)[0].pow(2).sum(), x, create_graph=True)
        res.append(g.detach().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10, atol=1e-12)


def test_second_derivative_refuses():
    lstm = numtorch.nn.LSTM(3, 4)
    x = numtorch.randn(2, 1, 3, requires_grad=True)
    g, = numtorch.autograd.grad(lstm(x)[0].sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match='fused recurrent layers'):
        g.sum().backward()
