"""The op harness's float32 tolerance rule: it grows with the length of the sums an op computes,
so a different BLAS summation order passes on any CPU, while a wrong result still fails."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from opcheck import assert_close, reduction_size, tolerance


def _lenet_conv_grads():
    """conv2d-lenet's float32 case as the harness builds it: inputs, output, weight gradient."""
    rng = np.random.default_rng(0)
    x, w, b = (rng.uniform(-2, 2, s).astype(np.float32) for s in ((4, 1, 28, 28), (6, 1, 5, 5), (6,)))
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = TF.conv2d(*ts, padding=2)
    y.backward(torch.tensor(np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)))
    return (x, w, b, y.detach().numpy()), ts[1].grad.numpy()


def test_summation_order_difference_at_lenets_size_is_accepted():
    arrays, gw = _lenet_conv_grads()
    k = reduction_size(*arrays)
    assert k == 4 * 6 * 28 * 28          # the output: the weight gradient sums over it
    other_order = gw.copy()
    other_order[1, 0, 1, 0] += np.float32(1.7e-4)   # the AMD EPYC run's difference (issue 12)
    assert_close(other_order, gw, 'float32', k)
    # the old fixed rtol=atol=1e-4 rejected it: the rule is what makes this pass
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(other_order, gw, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('wrong', [
    lambda g: g * np.float32(1.001),                        # a slightly wrong scale everywhere
    lambda g: np.where(np.arange(g.size).reshape(g.shape) == 7, g + 1, g),   # one element off by 1
    lambda g: g[:, :, ::-1, :].copy(),                      # a flipped kernel's gradient
])
def test_wrong_results_at_lenets_size_are_rejected(wrong):
    arrays, gw = _lenet_conv_grads()
    with pytest.raises(AssertionError):
        assert_close(wrong(gw), gw, 'float32', reduction_size(*arrays))


def test_tolerance_grows_with_k_and_keeps_its_floors():
    small, big = tolerance('float32', 6, 1.0), tolerance('float32', 18816, 1.0)
    assert small == dict(rtol=1e-5, atol=1e-5)              # tiny ops: the usual floors
    assert big['rtol'] > small['rtol'] and big['atol'] > small['atol']
    assert tolerance('float32', 18816, 100.0)['atol'] == pytest.approx(100 * big['atol'])
    assert tolerance('float64', 18816, 1.0)['atol'] < 1e-9   # float64 stays tight
    assert tolerance('exact', 10 ** 6, 1e6) == dict(rtol=0, atol=0)
