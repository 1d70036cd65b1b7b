"""GradArray (create_graph's recording array) behaves as the NumPy array it stands for: writes
through basic-indexing views reach the parent, in-place operators update the array, and what
has no differentiable form refuses rather than turning into a silent constant."""
import numpy as np
import pytest

import numtorch
from numtorch.autograd._grad_array import GradArray, DoubleBackwardError


def _x():
    return numtorch.tensor([1., 2., 3., 4.], dtype=numtorch.float64, requires_grad=True)


def test_writes_through_a_view_reach_the_parent_as_in_numpy():
    x = _x()
    buf = GradArray(numtorch.zeros(4, dtype=numtorch.float64))
    d = buf[1:3]                      # a view in NumPy
    d[...] = GradArray(x[:2] * 2)
    d *= GradArray(x[2:])
    buf[0:1] += 5
    ref = np.zeros(4)
    rd = ref[1:3]
    rd[...] = np.array([1., 2.]) * 2
    rd *= np.array([3., 4.])
    ref[0:1] += 5
    np.testing.assert_array_equal(buf.t.detach().numpy(), ref)
    g, = numtorch.autograd.grad(buf.t.sum(), x)
    np.testing.assert_array_equal(g.numpy(), [6., 8., 2., 4.])   # d(2*x1*x3 + 2*x2*x4)


def test_advanced_index_is_a_copy_as_in_numpy():
    buf = GradArray(numtorch.zeros(4, dtype=numtorch.float64))
    c = buf[[1, 2]]                  # a copy in NumPy: writing to it leaves buf alone
    c[...] = 7.0
    np.testing.assert_array_equal(buf.t.numpy(), np.zeros(4))


def test_what_has_no_differentiable_form_refuses():
    g = GradArray(_x() * 1)
    with pytest.raises(DoubleBackwardError, match='numpy.add.at|conversion'):
        np.asarray(g)
    with pytest.raises(DoubleBackwardError, match=r'numpy.multiply\(out=\.\.\.\)'):
        np.multiply(g, 2, out=np.zeros(4))
    with pytest.raises(DoubleBackwardError, match='numpy.sort'):
        np.sort(g)


@pytest.mark.parametrize('name', ['amax', 'amin', 'max', 'min'])
@pytest.mark.parametrize('axis,keepdims', [(None, False), (None, True), (1, False), (0, True)])
def test_extremes_as_numpy_with_torch_gradients(name, axis, keepdims):
    import torch
    x0 = np.array([[1., 5., 3.], [4., 2., 6.]])
    x = numtorch.tensor(x0, requires_grad=True)
    r = getattr(np, name)(GradArray(x * 1), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(r.t.detach().numpy(),
                                  getattr(np, name)(x0, axis, keepdims=keepdims))
    g, = numtorch.autograd.grad(r.t.sum(), x)
    xt = torch.tensor(x0, requires_grad=True)
    red = 'amax' if name in ('amax', 'max') else 'amin'
    rt = getattr(xt, red)() if axis is None else getattr(xt, red)(dim=axis, keepdim=keepdims)
    gt, = torch.autograd.grad(rt.sum(), xt)
    np.testing.assert_array_equal(g.numpy(), gt.numpy())
