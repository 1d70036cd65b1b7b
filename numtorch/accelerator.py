"""``numtorch.accelerator``: torch's device-agnostic accelerator API. numtorch computes on the
CPU (NumPy), and the CPU is not an accelerator, so nothing is available, as with torch on a
machine without a GPU: ``current_accelerator()`` is None, ``device_count()`` is 0, and calls
that need a device raise torch's RuntimeError.

>>> import numtorch
>>> numtorch.accelerator.is_available(), numtorch.accelerator.current_accelerator()
(False, None)
>>> device = numtorch.accelerator.current_accelerator() or numtorch.device('cpu')
>>> device
device(type='cpu')
"""
__all__ = ['current_accelerator', 'current_device_idx', 'current_device_index',
           'current_stream', 'device_count', 'device_index', 'empty_cache', 'is_available',
           'set_device_idx', 'set_device_index', 'set_stream', 'synchronize']

_NONE = 'Cannot access accelerator device when none is available.'


def _no_device():
    raise RuntimeError(_NONE)


def is_available():
    """True when a CUDA device can be used (CuPy and a GPU, or the test stand-in)."""
    from . import cuda
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when CUDA can be used, else None."""
    from ._device import device
    return device('cuda') if is_available() else None


def device_count():
    """The number of accelerator (CUDA) devices."""
    from . import cuda
    return cuda.device_count()


def current_device_index():
    """The current accelerator index; raises, as torch does, when there is none."""
    if not is_available():
        _no_device()
    from . import cuda
    return cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device):
    """Select an accelerator device; raises, as torch does, when there is none."""
    if not is_available():
        _no_device()
    from . import cuda
    cuda.set_device(device)


set_device_idx = set_device_index


def current_stream(device=None):
    """The current stream; raises, as torch does, when there is no accelerator."""
    _no_device()


def set_stream(stream):
    """Set the current stream; raises, as torch does, when there is no accelerator."""
    _no_device()


def synchronize(device=None):
    """Wait for the accelerator; raises, as torch does, when there is none."""
    if not is_available():
        _no_device()
    from . import cuda
    cuda.synchronize(device)


def empty_cache():
    """Release cached accelerator memory: nothing to release, so nothing happens."""


class device_index:
    """Context manager selecting accelerator ``device``; ``None`` is a no-op, as in torch."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            _no_device()

    def __exit__(self, *exc):
        return False
