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
