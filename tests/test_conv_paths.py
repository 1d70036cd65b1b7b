"""conv2d's channels-last paths for many channels: Winograd F(2x2, 3x3) (``winograd.py``) and
the channels-last im2col of strided convolutions (``channels_last.py``).

Real networks take them only from 32 channels up (``conv.WIDE_CHANNELS``); these tests lower
that threshold so that small, cheap shapes run through them: forward and every gradient against
torch, float64 finite differences and second derivatives (the op harness), odd sizes (Winograd's
cropped extra tile row/column), every padding, strides and dilations, unbatched input, the
stand-in device, and the same bits for any thread count.
"""
import numpy as np
import pytest

import numtorch
from numtorch._ops.nn import channels_last, conv as conv_mod, winograd as winograd_mod
from numtorch.testing import stand_in
from opcheck import Op, assert_same_bits_for_any_thread_count, check_op


@pytest.fixture
def wide(monkeypatch):
    """Every eligible convolution takes a channels-last path, however few its channels."""
    monkeypatch.setattr(conv_mod, 'WIDE_CHANNELS', 1)


def _conv(padding, bias, **kw):
    if bias:
        return lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=padding, **kw)
    return lambda m, x, w: m.nn.functional.conv2d(x, w, padding=padding, **kw)


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

# strided convolutions (channels-last im2col): ResNet's 3x3/2 and 1x1/2, odd sizes, a stride
# along one axis only, dilation, asymmetric kernels, 'valid'
SPECS_CL = [
    Op('cl-3x3s2-bias', _conv(1, True, stride=2), [((2, 3, 7, 6), (4, 3, 3, 3), (4,))]),
    Op('cl-1x1s2', _conv(0, False, stride=2), [((2, 4, 5, 6), (3, 4, 1, 1))]),
    Op('cl-1x1s2-padded', _conv(1, True, stride=(3, 2)), [((2, 3, 5, 4), (2, 3, 1, 1), (2,))]),
    Op('cl-stride-h', _conv(1, False, stride=(2, 1)), [((1, 2, 6, 5), (3, 2, 3, 2))]),
    Op('cl-stride-w-dilated', _conv(2, False, stride=(1, 3), dilation=2),
       [((2, 2, 5, 7), (2, 2, 3, 3))]),
    Op('cl-5x5s2', _conv(0, True, stride=2), [((1, 2, 9, 8), (3, 2, 5, 5), (3,))]),
]


def _runs_through(monkeypatch, op):
    """Count the calls of the path ``op`` is meant for (its name says which)."""
    path = winograd_mod if op.name.startswith('wino') else channels_last
    calls = []
    forward = path.forward
    monkeypatch.setattr(path, 'forward', lambda *a: (calls.append(1), forward(*a))[1])
    return calls


@pytest.mark.parametrize('op,shapes,dt', [c for op in SPECS + SPECS_CL for c in op.cases()])
def test_channels_last_paths_match_torch(wide, monkeypatch, op, shapes, dt):
    calls = _runs_through(monkeypatch, op)
    check_op(op, shapes, dt)
    assert calls   # the spec really ran the path it is named after


@pytest.mark.parametrize('op,shapes,dt', [c for op in SPECS + SPECS_CL for c in op.cases()])
def test_channels_last_paths_on_the_stand_in_device(wide, monkeypatch, op, shapes, dt):
    calls = _runs_through(monkeypatch, op)
    with stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')
    assert calls


def _node(x, w, **kw):
    return numtorch.nn.functional.conv2d(x, w, **kw).grad_fn


def test_the_path_is_chosen_by_shape_and_dtype():
    # the default threshold: ResNet's convolutions take the channels-last paths; LeNet-sized
    # channels, groups and half precision take NCHW im2col
    def path(cin, cout, k=3, dtype=numtorch.float32, **kw):
        x = numtorch.zeros(1, cin, 6, 6, dtype=dtype, requires_grad=True)
        w = numtorch.zeros(cout, cin // kw.get('groups', 1), k, k, dtype=dtype)
        return _node(x, w, padding=k // 2, **kw).path
    assert path(64, 64) is path(32, 512) is path(64, 32, dtype=numtorch.float64) is winograd_mod
    assert path(64, 128, stride=2) is path(256, 512, k=1, stride=2) is channels_last
    assert path(64, 64, k=5, stride=(1, 2)) is channels_last
    for few in ((6, 16), (3, 64), (16, 64), (64, 16)):
        assert path(*few) is None and path(*few, stride=2) is None
    assert path(64, 64, k=5) is None and path(64, 64, dilation=2) is None
    assert path(64, 64, groups=2) is None and path(64, 64, dtype=numtorch.float16) is None


@pytest.mark.parametrize('stride,path', [(1, winograd_mod), (2, channels_last)])
def test_agrees_with_im2col_on_a_resnet_sized_layer(monkeypatch, stride, path):
    # one layer of ResNet's real size through both paths: the algorithms differ only in
    # rounding, far below the float32 tolerance a 576-term sum allows
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 64, 8, 8), dtype=np.float32)
    w0 = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    g0 = rng.standard_normal((3, 64, 8 // stride, 8 // stride), dtype=np.float32)
    out = {}
    for name, threshold in (('fast', 32), ('im2col', 10 ** 9)):
        monkeypatch.setattr(conv_mod, 'WIDE_CHANNELS', threshold)
        x, w = numtorch.tensor(x0, requires_grad=True), numtorch.tensor(w0, requires_grad=True)
        y = numtorch.nn.functional.conv2d(x, w, padding=1, stride=stride)
        assert y.grad_fn.path is (path if name == 'fast' else None)
        y.backward(numtorch.tensor(g0))
        out[name] = [y.detach().numpy(), x.grad.numpy(), w.grad.numpy()]
    for a, b in zip(out['fast'], out['im2col']):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


@pytest.mark.parametrize('stride,path,wide_channels', [
    (1, winograd_mod, 1), (2, channels_last, 1), (1, None, 10 ** 9)])   # None: NCHW im2col
def test_the_same_bits_for_any_thread_count(monkeypatch, stride, path, wide_channels):
    # every path's chunks, through conv_run's own chunking: the output and every gradient must
    # not depend on the thread count (the weight gradient's parts are summed in chunk order)
    from numtorch import _backend
    monkeypatch.setattr(conv_mod, 'WIDE_CHANNELS', wide_channels)
    # small chunks: 5-7 chunks for 13 images; magnitudes spread over decades, so a different
    # order of the chunks' sums changes bits
    monkeypatch.setattr(_backend.CPUBackend, 'CONV_CHUNK_BYTES', 2 * 16 * 4 * 5 * 4)
    rng = numtorch.Generator().manual_seed(0)
    x0 = numtorch.randn(13, 2, 7, 8, generator=rng) * \
        numtorch.exp(3 * numtorch.randn(13, 1, 1, 1, generator=rng))
    w0 = numtorch.randn(3, 2, 3, 3, generator=rng)

    def run():
        x, w = x0.clone().requires_grad_(), w0.clone().requires_grad_()
        y = numtorch.nn.functional.conv2d(x, w, padding=1, stride=stride)
        assert y.grad_fn.path is path
        (y * y).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()
    assert_same_bits_for_any_thread_count(run)


@pytest.mark.parametrize('stride', [1, 2])
def test_only_the_wanted_gradients_are_computed(wide, stride):
    # a frozen weight or an input without grad: the other gradient is still right
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((2, 3, 5, 6))
    w0 = rng.standard_normal((2, 3, 3, 3))
    full_x = numtorch.tensor(x0, requires_grad=True)
    full_w = numtorch.tensor(w0, requires_grad=True)
    numtorch.nn.functional.conv2d(full_x, full_w, padding=1, stride=stride).sum().backward()
    x = numtorch.tensor(x0, requires_grad=True)
    numtorch.nn.functional.conv2d(x, numtorch.tensor(w0), padding=1, stride=stride).sum().backward()
    w = numtorch.tensor(w0, requires_grad=True)
    numtorch.nn.functional.conv2d(numtorch.tensor(x0), w, padding=1, stride=stride).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), full_x.grad.numpy())
    np.testing.assert_array_equal(w.grad.numpy(), full_w.grad.numpy())


@pytest.mark.parametrize('shape', [(2, 3, 32, 32), (2, 3, 5, 7), (1, 2, 16, 64)])
def test_channels_last_copies_in_one_or_two_passes(shape):
    # planes of a multiple of 4 KiB (32x32 float32) take the two-pass copy: the same values
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    n, C, H, W = shape
    cl = np.empty((H, W, n, C), np.float32)
    channels_last.to_channels_last(x, cl)
    np.testing.assert_array_equal(cl, x.transpose(2, 3, 0, 1))
    back = np.empty(shape, np.float32)
    bias = rng.standard_normal((C, 1, 1), dtype=np.float32)
    channels_last.from_channels_last(cl, back, bias)
    np.testing.assert_array_equal(back, x + bias)
    # a strided view (a 1x1/2 convolution's pixels) and a strided destination
    sub = np.empty((-(-H // 2), -(-W // 2), n, C), np.float32)
    channels_last.to_channels_last(x[:, :, ::2, ::2], sub)
    np.testing.assert_array_equal(sub, x[:, :, ::2, ::2].transpose(2, 3, 0, 1))
    dst = np.zeros(shape, np.float32)
    channels_last.from_channels_last(sub, dst[:, :, ::2, ::2])
    np.testing.assert_array_equal(dst[:, :, ::2, ::2], x[:, :, ::2, ::2])
    assert not dst[:, :, 1::2].any()


def test_winograd_on_32x32_images_matches_torch(wide):
    # ResNet's first stage image size: the two-pass copies inside the path, against torch
    check_op(Op('wino-32x32', _conv(1, True), [((2, 2, 32, 32), (3, 2, 3, 3), (3,))],
                dtypes=('float32',), gradcheck=False, gradgrad=False), ((2, 2, 32, 32),
             (3, 2, 3, 3), (3,)), 'float32')
