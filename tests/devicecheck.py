"""Helpers for tests on the strict stand-in device (``numtorch.testing.stand_in``).

``cuda`` (a pytest fixture, see conftest.py) enables the stand-in as ``cuda`` for one test;
``same`` compares device results with CPU results bit for bit; ``on_device`` checks that results
stayed on the device.
"""
import numpy as np

import numtorch
from numtorch.testing import stand_in


def host(t):
    """A NumPy copy of a tensor or array on any device (a counted device -> host copy)."""
    return stand_in.to_host(t.detach() if isinstance(t, numtorch.Tensor) else t).copy()


def same(a, b):
    """Bit-for-bit equality of lists of tensors/arrays (NaNs in the same places)."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = host(x), host(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y, equal_nan=True), (x, y)


def on_device(*ts):
    assert all(t.is_cuda for t in ts), [t.device for t in ts]
