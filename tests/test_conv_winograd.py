"""The Winograd F(2x2, 3x3) path of conv2d (``numtorch/_ops/nn/winograd.py``).

Real networks take it only from 32 channels up (``conv.WINOGRAD_MIN_CHANNELS``); these tests
lower that threshold so that small, cheap shapes run through it: forward and every gradient
against torch, float64 finite differences and second derivatives (the op harness), odd sizes
(the cropped extra tile row/column), every padding, unbatched input, the stand-in device, and
the same bits for any thread count.
"""
import numpy as np
import pytest

import numtorch
from numtorch._ops.nn import conv as conv_mod
from numtorch.testing import stand_in
from opcheck import Op, check_op


@pytest.fixture
def winograd(monkeypatch):
    """Every eligible convolution (3x3, stride 1, ...) takes the Winograd path."""
    monkeypatch.setattr(conv_mod, 'WINOGRAD_MIN_CHANNELS', 1)


def _conv(padding, bias):
    if bias:
        return lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=padding)
    return lambda m, x, w: m.nn.functional.conv2d(x, w, padding=padding)


# (input, weight[, bias]) shapes, padding: even and odd outputs, rectangular images, a single
# tile, an image of exactly one output pixel, padding 0 / 1 / 2 / 'same', several channels
SPECS = [
    Op('wino-p1-bias', _conv(1, True), [((2, 3, 6, 6), (4, 3, 3, 3), (4,)),
                                        ((1, 2, 5, 7), (3, 2, 3, 3), (3,))]),
    Op('wino-p0', _conv(0, False), [((2, 2, 5, 4), (3, 2, 3, 3)), ((1, 1, 3, 3), (2, 1, 3, 3))]),
    Op('wino-p2', _conv(2, False), [((3, 2, 4, 3), (2, 2, 3, 3))]),
    Op('wino-same', _conv('same', True), [((2, 3, 7, 5), (2, 3, 3, 3), (2,))]),
    # (* 2: torch's unbatched result ends in a squeeze node, numtorch's in the convolution)
    Op('wino-unbatched', lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1) * 2,
       [((2, 5, 4), (3, 2, 3, 3))]),
]


@pytest.mark.parametrize('op,shapes,dt', [c for op in SPECS for c in op.cases()])
def test_winograd_matches_torch(winograd, op, shapes, dt):
    check_op(op, shapes, dt)


@pytest.mark.parametrize('op,shapes,dt', [c for op in SPECS for c in op.cases()])
def test_winograd_on_the_stand_in_device(winograd, op, shapes, dt):
    with stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')


def _node(x, w, **kw):
    return numtorch.nn.functional.conv2d(x, w, **kw).grad_fn


def test_the_path_is_chosen_by_shape_and_dtype():
    # the default threshold: ResNet's 64-channel 3x3 convolutions take Winograd; LeNet-sized
    # channels, other kernels, strides, dilations, groups and half precision take im2col
    def tiling(cin, cout, k=3, dtype=numtorch.float32, **kw):
        x = numtorch.zeros(1, cin, 6, 6, dtype=dtype, requires_grad=True)
        w = numtorch.zeros(cout, cin // kw.get('groups', 1), k, k, dtype=dtype)
        return _node(x, w, padding=1, **kw).tiling is not None
    assert tiling(64, 64) and tiling(32, 512) and tiling(64, 32, dtype=numtorch.float64)
    assert not tiling(6, 16) and not tiling(3, 64) and not tiling(16, 64) and not tiling(64, 16)
    assert not tiling(64, 64, k=5) and not tiling(64, 64, k=1)
    assert not tiling(64, 64, stride=2) and not tiling(64, 64, dilation=2)
    assert not tiling(64, 64, groups=2) and not tiling(64, 64, dtype=numtorch.float16)


def test_winograd_agrees_with_im2col_on_a_resnet_sized_layer(monkeypatch):
    # one layer of ResNet's real size through both paths: the two algorithms differ only in
    # rounding, far below the float32 tolerance a 576-term sum allows
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 64, 8, 8), dtype=np.float32)
    w0 = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    g0 = rng.standard_normal((3, 64, 8, 8), dtype=np.float32)
    out = {}
    for name, threshold in (('winograd', 32), ('im2col', 10 ** 9)):
        monkeypatch.setattr(conv_mod, 'WINOGRAD_MIN_CHANNELS', threshold)
        x, w = numtorch.tensor(x0, requires_grad=True), numtorch.tensor(w0, requires_grad=True)
        y = numtorch.nn.functional.conv2d(x, w, padding=1)
        assert (y.grad_fn.tiling is not None) == (name == 'winograd')
        y.backward(numtorch.tensor(g0))
        out[name] = [y.detach().numpy(), x.grad.numpy(), w.grad.numpy()]
    for a, b in zip(out['winograd'], out['im2col']):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


def test_winograd_gives_the_same_bits_for_any_thread_count(winograd, monkeypatch):
    from numtorch import _backend
    # chunks of 3 images: 5 chunks for 13 images, summed in chunk order for the weight gradient
    monkeypatch.setattr(_backend.CPUBackend, 'CONV_CHUNK_BYTES', 3 * 16 * 2 * 4 * 4 * 4)
    rng = numtorch.Generator().manual_seed(0)
    x0 = numtorch.rand(13, 2, 7, 8, generator=rng)
    w0 = numtorch.rand(3, 2, 3, 3, generator=rng)
    before = numtorch.get_num_threads()
    out = []
    try:
        for n in (1, 2, 3):
            numtorch.set_num_threads(n)
            x, w = x0.clone().requires_grad_(), w0.clone().requires_grad_()
            y = numtorch.nn.functional.conv2d(x, w, padding=1)
            assert y.grad_fn.tiling is not None
            (y * y).sum().backward()
            out.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    finally:
        numtorch.set_num_threads(before)
    for got in out[1:]:
        assert all((a == b).all() for a, b in zip(got, out[0]))


def test_only_the_wanted_gradients_are_computed(winograd):
    # a frozen weight or an input without grad: the other gradient is still right
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((2, 3, 5, 6))
    w0 = rng.standard_normal((2, 3, 3, 3))
    full_x = numtorch.tensor(x0, requires_grad=True)
    full_w = numtorch.tensor(w0, requires_grad=True)
    numtorch.nn.functional.conv2d(full_x, full_w, padding=1).sum().backward()
    x = numtorch.tensor(x0, requires_grad=True)
    numtorch.nn.functional.conv2d(x, numtorch.tensor(w0), padding=1).sum().backward()
    w = numtorch.tensor(w0, requires_grad=True)
    numtorch.nn.functional.conv2d(numtorch.tensor(x0), w, padding=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), full_x.grad.numpy())
    np.testing.assert_array_equal(w.grad.numpy(), full_w.grad.numpy())
