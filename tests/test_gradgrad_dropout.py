"""Second derivatives through dropout (issue 11 lists it): the mask is a constant of the
derivative, as in torch. numtorch's masks come from its own generator, so the torch side is
given numtorch's mask: torch's dropout is ``x * mask / (1 - p)``, differentiated the same way."""
import numpy as np
import pytest
import torch

import numtorch
import numtorch.nn.functional as F


@pytest.mark.parametrize('name', ['dropout', 'dropout1d', 'dropout2d', 'alpha_dropout'])
def test_dropout_second_derivatives_match_torch(name):
    shape = (3, 4, 5)
    fn = {'dropout': lambda x: F.dropout(x, 0.4, training=True),
          'dropout1d': lambda x: F.dropout1d(x, 0.4, training=True),
          'dropout2d': lambda x: F.dropout2d(x.unsqueeze(0), 0.4, training=True).squeeze(0),
          'alpha_dropout': lambda x: F.alpha_dropout(x, 0.4, training=True)}[name]
    xa = np.random.default_rng(1).uniform(-1, 1, shape)

    def second(m, drop):
        x = m.tensor(xa, requires_grad=True)
        y = drop(x)
        g, = m.autograd.grad((y.tanh() * x).sum(), x, create_graph=True)
        h, = m.autograd.grad((g * g).sum(), x)
        return y.detach().numpy(), h.detach().numpy()

    def nt_drop(x):
        numtorch.manual_seed(0)
        return fn(x)
    y_nt, h_nt = second(numtorch, nt_drop)
    # torch with numtorch's exact affine map: y = a * x + b, a and b read off numtorch's output
    ones = nt_drop(numtorch.ones(*shape, dtype=numtorch.float64)).numpy()
    zeros = nt_drop(numtorch.zeros(*shape, dtype=numtorch.float64)).numpy()
    a, b = ones - zeros, zeros
    np.testing.assert_allclose(y_nt, a * xa + b, rtol=1e-12, atol=1e-12)
    _, h_t = second(torch, lambda x: x * torch.tensor(a) + torch.tensor(b))
    np.testing.assert_allclose(h_nt, h_t, rtol=1e-10, atol=1e-12)


def test_dropout_gradgradcheck():
    x = numtorch.rand(3, 4, dtype=numtorch.float64, requires_grad=True)

    def f(t):
        numtorch.manual_seed(0)      # the same mask at every evaluation
        return F.dropout(t, 0.5, training=True) * t
    assert numtorch.autograd.gradgradcheck(f, (x,))
