import pytest

import numtorch


def test_set_num_threads_round_trip():
    before = numtorch.get_num_threads()
    try:
        numtorch.set_num_threads(1)
        assert numtorch.get_num_threads() == 1
    finally:
        numtorch.set_num_threads(before)
    assert numtorch.get_num_threads() == before


def test_set_num_threads_rejects_zero():
    with pytest.raises(RuntimeError):
        numtorch.set_num_threads(0)


def test_blas_threads_context_restores():
    from numtorch._threads import blas_threads
    before = numtorch.get_num_threads()
    numtorch.set_num_threads(2)
    try:
        with blas_threads(1):
            assert numtorch.get_num_threads() == 1
        assert numtorch.get_num_threads() == 2
    finally:
        numtorch.set_num_threads(before)


def test_convolution_runs_on_one_blas_thread(monkeypatch):
    # Conv's few-row, long-column matmuls are split badly by OpenBLAS: both passes pin 1 thread.
    from numtorch._ops import conv
    seen = []
    real = conv._gmm

    def spy(*args):
        seen.append(numtorch.get_num_threads())
        return real(*args)

    monkeypatch.setattr(conv, '_gmm', spy)
    before = numtorch.get_num_threads()
    numtorch.set_num_threads(2)
    try:
        x = numtorch.rand(2, 1, 8, 8, requires_grad=True)
        w = numtorch.rand(3, 1, 3, 3, requires_grad=True)
        numtorch.nn.functional.conv2d(x, w).sum().backward()
        assert seen and set(seen) == {1}
        assert numtorch.get_num_threads() == 2
    finally:
        numtorch.set_num_threads(before)
