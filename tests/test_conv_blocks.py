"""The CPU convolution's blocked products and batch chunks (``_ops/nn/im2col.py``'s ``mm`` /
``mm_t``, ``CPUBackend.gemm_block`` and ``conv_run``) vs torch, and bit-identical for any
thread count. The test shapes are far below the sizes where the CPU would block or chunk on its
own, so the policy is forced here: blocks of a few columns (with a remainder) and chunks of two
images."""
import numpy as np
import pytest

import numtorch
from numtorch import _backend
from numtorch.testing import stand_in
from opcheck import DEVICE, assert_same_bits_for_any_thread_count, check_op, parametrize
from test_conv_pool import OPS, _conv

# 1x1 convolutions with stride 1 and no padding take Convolution's per-image product path
POINTWISE = [
    _conv('conv2d-1x1', [((3, 4, 5, 6), (7, 4, 1, 1), (7,)), ((1, 4, 5, 6), (2, 4, 1, 1))]),
    _conv('conv2d-1x1-dil', [((2, 3, 4, 4), (5, 3, 1, 1))], dilation=2),
    _conv('conv1d-k1', [((2, 3, 10), (4, 3, 1), (4,)), ((1, 3, 10), (4, 3, 1))]),
]
# stride along H only: wide windows whose rows skip (the layout's other strided case)
STRIDE_H = [_conv('conv2d-stride-h', [((2, 3, 9, 7), (4, 3, 3, 2), (4,))], stride=(2, 1),
                  padding=(1, 0))]
# 64 im2col rows and 16 output channels: the weight gradient's product takes the output gradient
# as a contiguous (M, O) copy (im2col.use_mc), LeNet's conv2 case
CONTIGUOUS_GRAD = [_conv('conv2d-16-out', [((2, 4, 8, 7), (16, 4, 4, 4), (16,))], padding=1)]
CONV_OPS = [op for op in OPS if op.name.startswith('conv')] + POINTWISE + STRIDE_H \
    + CONTIGUOUS_GRAD


@parametrize(POINTWISE + STRIDE_H + CONTIGUOUS_GRAD)
def test_pointwise_and_h_strided_conv_match_torch(op, shapes, dt):
    check_op(op, shapes, dt)


@pytest.mark.parametrize('f,xs,ws', [('conv2d', (4, 5, 6), (2, 4, 1, 1)),
                                     ('conv1d', (3, 10), (4, 3, 1))])
def test_pointwise_conv_unbatched(f, xs, ws):
    import torch
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal(xs), rng.standard_normal(ws)
    out = []
    for m in (numtorch, torch):
        x, w = m.tensor(x0, requires_grad=True), m.tensor(w0, requires_grad=True)
        y = getattr(m.nn.functional, f)(x, w)
        (y * y).sum().backward()
        out.append([t.detach().numpy() for t in (y, x.grad, w.grad)])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.fixture
def small_blocks(monkeypatch):
    # 7-column blocks: every product of these shapes runs blocked, most with a remainder
    monkeypatch.setattr(_backend.CPUBackend, 'gemm_block', lambda self, pk, m: 7 if 7 < m else 0)
    # chunks of at most two images (image_bytes is one image's im2col share)
    monkeypatch.setattr(_backend.CPUBackend, 'conv_run',
                        lambda self, fn, n, image_bytes: _backend._run_chunks(
                            lambda s: fn(s, min(2, n - s)), range(0, n, 2)))


@parametrize(CONV_OPS)
def test_blocked_conv_matches_torch(small_blocks, op, shapes, dt):
    check_op(op, shapes, dt)


@parametrize(CONV_OPS)
def test_blocked_conv_on_the_stand_in(small_blocks, op, shapes, dt):
    # the stand-in takes the CPU's blocks (its NumPy computes underneath): the blocked views
    # and out= products work on a device's arrays
    if DEVICE == 'cuda':
        pytest.skip('a real GPU runs one GEMM')
    with stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')


def test_gemm_block_policy():
    # one GEMM where the blocks would be thin or the product is one block already
    cpu = _backend.CPU_BACKEND
    assert cpu.gemm_block(6 * 25, 41216) == cpu.SMALL_GEMM // 150        # LeNet conv1
    assert cpu.gemm_block(6 * 25, 1000) == 0                              # one block
    assert cpu.gemm_block(64 * 576, 10 ** 6) == 0                         # blocks < 256 columns
    assert _backend.Backend().gemm_block(6 * 25, 41216) == 0              # a device: one GEMM


@pytest.mark.parametrize('kw', [dict(padding=2), dict(stride=2, padding=1), dict(groups=2),
                                dict(k=1)])
def test_blocked_conv_same_bits_for_any_thread_count(small_blocks, kw):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((9, 4, 10, 9)).astype(np.float32)
    k = kw.pop('k', 5)
    w0 = rng.standard_normal((6, 4 // kw.get('groups', 1), k, k)).astype(np.float32)
    b0 = rng.standard_normal(6).astype(np.float32)

    def run():
        x, w, b = (numtorch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = numtorch.nn.functional.conv2d(x, w, b, **kw)
        (y * y).sum().backward()
        return [t.detach().numpy() for t in (y, x.grad, w.grad, b.grad)]
    assert_same_bits_for_any_thread_count(run)


@pytest.mark.parametrize('n,per_chunk,sizes', [
    (64, 22, [16, 16, 16, 16]),        # 3 chunks of <= 22 -> 4 even ones: no idle thread
    (256, 49, [43] * 5 + [41]),        # 6 chunks: already even, sizes evened out
    (10, 20, [10]),                    # one chunk stays one
    (3, 1, [1, 1, 1]),                 # no more chunks than images
])
def test_conv_chunks_are_even_in_number_and_size(monkeypatch, n, per_chunk, sizes):
    from numtorch import _backend
    monkeypatch.setattr(_backend.CPUBackend, 'CONV_CHUNK_BYTES', per_chunk * 100)
    seen = []
    _backend.CPU_BACKEND.conv_run(lambda n0, k: seen.append((n0, k)), n, 100)
    assert sorted(seen) == [(sum(sizes[:i]), s) for i, s in enumerate(sizes)]


def _calls(monkeypatch, **kw):
    """Which of Geom's layouts and gradient sums a conv2d forward + backward calls."""
    from numtorch._ops.nn import im2col
    seen = []
    for name in ('rows_add', 'col2im_add', 'to_mc', 'im2col_inner', 'grad_inner'):
        f = getattr(im2col.Geom, name)
        monkeypatch.setattr(im2col.Geom, name,
                            lambda self, *a, _f=f, _n=name: seen.append(_n) or _f(self, *a))
    rng = np.random.default_rng(0)
    C, O, k, W = kw.pop('C', 3), kw.pop('O', 4), kw.pop('k', 3), kw.pop('W', 8)
    x = numtorch.tensor(rng.standard_normal((2, C, 9, W)), requires_grad=True)
    w = numtorch.tensor(rng.standard_normal((O, C, k, k)), requires_grad=True)
    numtorch.nn.functional.conv2d(x, w, **kw).sum().backward()
    return set(seen)


INNER = {'im2col_inner', 'grad_inner'}   # the batch-innermost forward and weight gradient


@pytest.mark.parametrize('kw,calls', [
    (dict(), {'rows_add'} | INNER),                    # 2 of 8 columns garbage: batch inner
    (dict(W=30), {'rows_add'}),                        # 2 of 30: wide rows
    (dict(stride=(2, 1), padding=1), {'rows_add'} | INNER),   # strided along H only
    (dict(dilation=2), {'rows_add'} | INNER),
    (dict(stride=(1, 2)), {'col2im_add'}),             # strided along W: im2col's gradient
    (dict(C=8, O=16, W=30), {'rows_add', 'to_mc'}),    # 72 rows, 16 outputs: contiguous operand
])
def test_layouts_and_gradient_forms(monkeypatch, kw, calls):
    # input gradient: shifted + rows_add with wide windows, else col2im
    assert _calls(monkeypatch, **kw) == calls


def test_contiguous_operand_rule():
    from numtorch._ops.nn.im2col import use_mc
    assert use_mc(150, 16)                    # LeNet's conv2: 2.2x faster product
    assert not use_mc(25, 6)                  # conv1: the transposed view is faster
    assert not use_mc(27, 64)                 # ResNet's stem: the copy costs more than it saves


@pytest.fixture(params=['wide', 'batch-inner'])
def forward_layout(request, monkeypatch):
    # force each forward layout of the NCHW im2col on every case (the rule picks by the share
    # of garbage columns, so small test images would mostly take one)
    from numtorch._ops.nn import im2col
    monkeypatch.setattr(im2col, 'BATCH_INNER', 2.0 if request.param == 'wide' else 0.0)
    return request.param


@parametrize(CONV_OPS)
def test_both_forward_layouts_match_torch(forward_layout, small_blocks, op, shapes, dt):
    check_op(op, shapes, dt)


@parametrize(CONV_OPS)
def test_both_forward_layouts_on_the_stand_in(forward_layout, small_blocks, op, shapes, dt):
    if DEVICE == 'cuda':
        pytest.skip('a real GPU runs one GEMM')
    with stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')


def test_batch_inner_rule():
    from numtorch._ops.nn.im2col import Geom
    lenet_conv2 = Geom(14, 14, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1))    # 4 of 14 columns garbage
    lenet_conv1 = Geom(28, 28, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1))    # 4 of 32
    strided = Geom(14, 14, 5, 5, (1, 2), (0, 0, 0, 0), (1, 1))        # no wide rows
    assert lenet_conv2.batch_inner and not lenet_conv1.batch_inner and not strided.batch_inner


def test_strided_views_alias_their_buffer_and_stay_inside_it():
    from numtorch._backend import strided
    buf = np.zeros((2, 12), np.float32)
    v = strided(buf.reshape(-1)[3:], (2, 3), (48, 4))   # the contiguous path (the constructor)
    v += 1
    assert buf[0, 3:6].tolist() == buf[1, 3:6].tolist() == [1, 1, 1] and buf.sum() == 6
    with pytest.raises(ValueError):   # reaching past the buffer's end is refused, not read
        strided(buf.reshape(-1)[3:], (2, 12), (48, 4))
    s = strided(buf[:, 4:], (2, 3), (48, -4))   # negative strides: as_strided, from arr's start
    assert s[0].tolist() == [1, 1, 0] and s.flags.writeable


@pytest.mark.parametrize('kw,keeps_input', [
    (dict(), True),                       # batch innermost: the chunks are copied from x itself
    (dict(padding=1), True),              # ... with zero margins written around each chunk
    (dict(groups=3), False),              # grouped: backward's im2col reads the padded buffer
    (dict(W=30), False),                  # wide rows: the padded buffer
])
def test_batch_inner_convolution_keeps_no_padded_copy(kw, keeps_input):
    rng = np.random.default_rng(0)
    W, groups = kw.pop('W', 8), kw.get('groups', 1)
    x = numtorch.tensor(rng.standard_normal((2, 3, 9, W)), requires_grad=True)
    w = numtorch.tensor(rng.standard_normal((6, 3 // groups, 3, 3)), requires_grad=True)
    y = numtorch.nn.functional.conv2d(x, w, **kw)
    assert (y.grad_fn.saved[0] is x._data) == keeps_input
    y.sum().backward()   # and its gradients are torch's (test_layouts_and_gradient_forms' cases)
    import torch
    xt, wt = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, w))
    torch.nn.functional.conv2d(xt, wt, **kw).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-10)
