"""Without ml_dtypes, numtorch.bfloat16 still exists, and using it for data (creating a tensor,
loading a torch checkpoint that holds bfloat16) raises an error that says how to get the package."""
import io
import sys

import pytest
import torch

import numtorch
from numtorch import _dtype_ext


def test_without_ml_dtypes_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(_dtype_ext, '_NP', {})
    monkeypatch.setitem(sys.modules, 'ml_dtypes', None)   # `import ml_dtypes` now fails
    assert repr(numtorch.bfloat16) == 'torch.bfloat16' and numtorch.bfloat16.itemsize == 2
    with pytest.raises(ImportError, match=r"pip install 'numtorch\[bfloat16\]'"):
        numtorch.zeros(2, dtype=numtorch.bfloat16)
    buf = io.BytesIO()
    torch.save({'w': torch.ones(2, dtype=torch.bfloat16)}, buf)
    buf.seek(0)
    with pytest.raises(numtorch.serialization.CheckpointError, match='torch.bfloat16.*ml_dtypes'):
        numtorch.load(buf)
