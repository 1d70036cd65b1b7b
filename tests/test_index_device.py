"""Indexing, gather/scatter and reductions on the strict stand-in device (issue 9), beyond the op
specs of test_stand_in_ops.py: index arrays follow the data's device (CPU index tensors and
Python lists are copied over, as torch does for ``x[idx]``), ops that torch keeps on one device
refuse a CPU index with torch's error, and ``ufunc_at`` (the backend's scatter that accumulates
repeated indices) gives NumPy's numbers on every device.
"""
import numpy as np
import pytest

import numtorch
from numtorch import _backend
from numtorch.testing import stand_in


def host(t):
    return stand_in.to_host(t)


@pytest.mark.parametrize('index', [
    lambda m: [0, 2, 0],
    lambda m: m.tensor([0, 2, 0]),
    lambda m: (m.tensor([0, 1]), [2, 2]),
    lambda m: m.tensor([True, False, True]),
    lambda m: (slice(None), range(2)),
])
def test_getitem_cpu_index_on_device_matches_cpu(cuda, index):
    """torch copies CPU indices (tensors, lists) to a CUDA tensor's device; so do we, and the
    values and the gradient (accumulating repeated indices) are the CPU's."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    xc = numtorch.tensor(a, requires_grad=True)
    xd = numtorch.tensor(a, requires_grad=True, device='cuda')
    yc, yd = xc[index(numtorch)], xd[index(numtorch)]
    assert yd.device.type == 'cuda'
    np.testing.assert_array_equal(host(yd), yc.detach().numpy())
    (yc * yc).sum().backward()
    (yd * yd).sum().backward()
    assert xd.grad.device.type == 'cuda'
    np.testing.assert_array_equal(host(xd.grad), xc.grad.numpy())


def test_setitem_cpu_index_and_value_on_device(cuda):
    x = numtorch.zeros(3, 2, device='cuda')
    x[numtorch.tensor([0, 2])] = numtorch.tensor([1., 2.])   # CPU index and values, as copy_
    assert x.device.type == 'cuda'
    np.testing.assert_array_equal(host(x), [[1, 2], [0, 0], [1, 2]])


def test_device_index_into_cpu_tensor_is_torch_error(cuda):
    with pytest.raises(RuntimeError, match=r'^indices should be either on cpu or on the same '
                                           r'device as the indexed tensor \(cpu\)$'):
        numtorch.zeros(3)[numtorch.tensor([0, 1], device='cuda')]


@pytest.mark.parametrize('op', [
    lambda x, i: x.gather(0, i), lambda x, i: x.index_select(0, i), lambda x, i: x.take(i),
    lambda x, i: x.scatter_add(0, i, x[:2]), lambda x, i: x.index_add(0, i, x[:2]),
    lambda x, i: x[:2].masked_fill(i > 0, 1.), lambda x, i: x[:2].masked_select(i > 0),
])
def test_gather_family_refuses_cpu_index_as_torch(cuda, op):
    """Unlike ``x[idx]``, torch's gather/scatter/index_* kernels want the index on the data's
    device: the same-device error, never a silent host computation."""
    x = numtorch.ones(3, device='cuda')
    with pytest.raises(RuntimeError, match='^Expected all tensors to be on the same device, but '
                                           'found at least two devices, cuda:0 and cpu!$'):
        op(x, numtorch.tensor([0, 1]))


def test_bounds_checks_on_device_raise_torch_errors(cuda):
    x = numtorch.ones(3, device='cuda')
    i = numtorch.tensor([0, 5], device='cuda')
    with pytest.raises(RuntimeError, match='^index 5 is out of bounds for dimension 0 with size 3$'):
        x.gather(0, i)
    with pytest.raises(RuntimeError, match='^INDICES element is out of DATA bounds, id=5 axis_dim=3$'):
        x.index_select(0, i)
    with pytest.raises(IndexError, match='^out of range: tried to access index 5 on a tensor of 3 '
                                         'elements.$'):
        x.take(i)


@pytest.mark.parametrize('name', ['add', 'multiply', 'maximum', 'minimum'])
def test_ufunc_at_on_device_is_numpys(cuda, name):
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal(5), rng.standard_normal(7)
    idx = np.array([0, 4, 0, 2, 4, 4, 1])
    want = a.copy()
    getattr(np, name).at(want, idx, v)
    xp = cuda.xp
    d = xp.asarray(a.copy())
    _backend.ufunc_at(name, d, xp.asarray(idx), xp.asarray(v))
    assert d.__class__ is stand_in.StrictArray
    np.testing.assert_array_equal(host(d), want)
    c = a.copy()
    _backend.ufunc_at(name, c, idx, v)        # the CPU path: NumPy's own ufunc.at
    np.testing.assert_array_equal(c, want)


def test_repeat_interleave_counts_on_device(cuda):
    c = numtorch.tensor([1, 0, 2], device='cuda')
    np.testing.assert_array_equal(host(numtorch.repeat_interleave(c)), [0, 2, 2])
    x = numtorch.tensor([[1., 2., 3.]], device='cuda')
    out = x.repeat_interleave(c, dim=1)
    assert out.device.type == 'cuda'
    np.testing.assert_array_equal(host(out), [[1, 3, 3]])


def test_copy_across_devices_and_grad_goes_back(cuda):
    src = numtorch.tensor([1., 2.], requires_grad=True)
    dst = numtorch.zeros(2, device='cuda') * 1
    dst.copy_(src)
    assert dst.device.type == 'cuda'
    np.testing.assert_array_equal(host(dst), [1, 2])
    (dst * 3).sum().backward()
    assert src.grad.device.type == 'cpu'
    np.testing.assert_array_equal(src.grad.numpy(), [3, 3])


def test_apply_and_map_are_cpu_only_as_torch(cuda):
    x = numtorch.ones(2, device='cuda')
    with pytest.raises(TypeError, match='^apply_ is only implemented on CPU tensors$'):
        x.apply_(lambda v: v)
    with pytest.raises(TypeError, match='^map_ is only implemented on CPU tensors$'):
        x.map_(x, lambda a, b: a)


@pytest.mark.parametrize('fn', [
    lambda m, x: m.sort(x, 1, descending=True), lambda m, x: m.topk(x, 2, 1),
    lambda m, x: m.kthvalue(x, 2, 1), lambda m, x: m.cummax(x, 1), lambda m, x: m.cummin(x, 0),
    lambda m, x: m.argsort(x, 1), lambda m, x: m.argsort(x[0, 0]),
    lambda m, x: m.unique_consecutive(m.round(x), return_counts=True, return_inverse=True),
    lambda m, x: m.searchsorted(m.sort(x, 1).values[0], 0.5),
    lambda m, x: m.searchsorted(m.sort(x, 1).values, x),
    lambda m, x: m.isin(m.round(x), [0., 1.]),
    lambda m, x: m.max(x, 1), lambda m, x: m.median(x, 0), lambda m, x: m.argmax(x[0, 0]),
    lambda m, x: m.count_nonzero(m.round(x), 1), lambda m, x: m.all(x > -3, 0),
    lambda m, x: m.diagonal(x, 1), lambda m, x: x.view(4, 3),
])
def test_sorting_and_reductions_on_device_match_cpu(cuda, fn):
    """Ops outside the op specs (or their 0-d / scalar-argument paths): the CPU's results."""
    a = np.random.default_rng(1).uniform(-2, 2, (3, 4))
    cpu = fn(numtorch, numtorch.tensor(a))
    dev = fn(numtorch, numtorch.tensor(a, device='cuda'))
    cpu, dev = (cpu, dev) if isinstance(cpu, tuple) else ((cpu,), (dev,))
    for c, d in zip(cpu, dev):
        assert d.device.type == 'cuda'
        np.testing.assert_array_equal(host(d), c.numpy())
