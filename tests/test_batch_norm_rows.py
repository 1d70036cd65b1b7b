"""Batch norm's blocked training passes (numtorch/_ops/nn/batch_norm_rows.py) vs torch: blocks of
whole images and blocks of rows inside an image, threads on and off, layouts, affine variants;
and that it saves the input, as torch (an in-place change of the input is caught)."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch import _threads
from errcheck import same_error


def _run(m, x0, g0, affine, dtype, layout):
    x = m.tensor(x0, dtype=dtype)
    if layout == 'channels_last':   # a non-contiguous input: (N, H, W, C) permuted
        x = m.tensor(np.ascontiguousarray(x0.transpose(0, 2, 3, 1)), dtype=dtype).permute(0, 3, 1, 2)
    x.requires_grad_()
    C = x0.shape[1]
    rng = np.random.default_rng(1)
    w = m.tensor(rng.standard_normal(C), dtype=dtype, requires_grad=True) if affine[0] else None
    b = m.tensor(rng.standard_normal(C), dtype=dtype, requires_grad=True) if affine[1] else None
    rm, rv = m.zeros(C, dtype=dtype), m.ones(C, dtype=dtype)
    y = m.nn.functional.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)
    y.backward(m.tensor(g0, dtype=dtype))
    return [y, x.grad, rm, rv] + [t.grad for t in (w, b) if t is not None]


@pytest.mark.parametrize('block', [None, 40, 7])   # whole images / rows of one image / one row
@pytest.mark.parametrize('threads', [1, 2])
@pytest.mark.parametrize('affine', [(True, True), (True, False), (False, False)])
def test_blocked_batch_norm_matches_torch(monkeypatch, block, threads, affine):
    if block:
        monkeypatch.setattr(_threads, 'BLOCK_ELEMS', block)
    monkeypatch.setattr(_threads, 'SPLIT_MIN', 16)    # threads for these small shapes
    numtorch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    for shape, layout in (((6, 4, 5, 3), 'contiguous'), ((3, 6, 2, 4), 'channels_last'),
                          ((5, 3, 8), 'contiguous'), ((2, 3, 16, 17), 'contiguous')):
        x0 = rng.standard_normal(shape) * 3 + 1.5
        g0 = rng.standard_normal(shape)
        for dtype, tol in (('float32', 1e-4), ('float64', 1e-10)):
            if len(shape) == 3 and layout == 'channels_last':
                continue
            got = _run(numtorch, x0, g0, affine, getattr(numtorch, dtype), layout
                       if len(shape) == 4 else 'contiguous')
            want = _run(torch, x0, g0, affine, getattr(torch, dtype), layout
                        if len(shape) == 4 else 'contiguous')
            for a, b in zip(got, want):
                assert a.dtype.itemsize == b.dtype.itemsize
                np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol,
                                           atol=tol)


def test_blocks_of_rows_give_the_bits_of_whole_images(monkeypatch):
    # each row's sums are one einsum over that row: cutting the images into blocks of rows, on
    # any thread count, must not change a bit of the output or the gradients
    # (rows of 35 elements: einsum; of 320: batched dot products)
    rng = np.random.default_rng(0)
    for shape, blocks in (((8, 6, 5, 7), (70, 35, 100)), ((4, 3, 16, 20), (640, 320, 1000))):
        x0 = rng.standard_normal(shape).astype(np.float32)
        g0 = rng.standard_normal(shape).astype(np.float32)
        monkeypatch.undo()
        whole = _run(numtorch, x0, g0, (True, True), numtorch.float32, 'contiguous')
        monkeypatch.setattr(_threads, 'SPLIT_MIN', 16)
        for block, threads in zip(blocks, (2, 3, 1)):
            monkeypatch.setattr(_threads, 'BLOCK_ELEMS', block)
            numtorch.set_num_threads(threads)
            got = _run(numtorch, x0, g0, (True, True), numtorch.float32, 'contiguous')
            for a, b in zip(got, whole):
                assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()


def test_blocks_cover_the_array_once():
    for n, m, unit in ((5, 12, 3), (3, 10, 10), (4, 7, 1), (1, 50, 5)):
        for block in (1, 4, 6, 25, 1000):
            seen = np.zeros((n, m), int)
            for i0, i1, c0, c1 in _threads.blocks(n, m, unit, block):
                assert c0 % unit == 0 and c1 % unit == 0   # whole rows
                seen[i0:i1, c0:c1] += 1
            assert (seen == 1).all(), (n, m, unit, block)


@pytest.mark.parametrize('n,m,size,sizes', [
    (256, 6 * 784, 1 << 18, [43] * 5 + [41]),   # LeNet-BN's first batch norm: 55 a block -> 6
    (256, 16 * 100, 1 << 18, [128, 128]),       # already even
    (3, 100, 100, [1, 1, 1]),                   # no more blocks than images
    (4, 1000, 4000, [4]),                       # one block stays one
])
def test_blocks_are_even_in_number_and_size(n, m, size, sizes):
    assert [i1 - i0 for i0, i1, _, _ in _threads.blocks(n, m, 1, size)] == sizes


def test_the_input_is_saved_as_torch_saves_it():
    # changing the input in place after the forward: torch's error, at backward
    def fn(m):
        x = m.randn(4, 3, 2, 2, requires_grad=True) * 1
        y = m.nn.functional.batch_norm(x, None, None, training=True)
        x.mul_(2)
        y.sum().backward()
    same_error(fn)
