"""``numtorch.onnx``: importable, so scripts that import it at the top run; exporting to ONNX
needs torch's graph capture, which numtorch does not have, so ``export`` raises a clear
NotImplementedError.

>>> import numtorch
>>> numtorch.onnx.is_in_onnx_export()
False
"""
__all__ = ['export', 'is_in_onnx_export']


def export(model, args=(), f=None, *, kwargs=None, **options):
    """Not available: numtorch cannot export ONNX graphs."""
    raise NotImplementedError('numtorch.onnx.export: numtorch runs models eagerly on NumPy and '
                              'cannot capture an ONNX graph. Save the weights with '
                              'numtorch.save(model.state_dict(), path), load them into the same '
                              'model in PyTorch, and export from there.')


def is_in_onnx_export():
    """False: numtorch never runs inside an ONNX export."""
    return False
