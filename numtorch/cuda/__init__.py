"""``numtorch.cuda``: CUDA devices through CuPy, with torch's API and torch's errors.

CuPy is imported the first time CUDA is used (``is_available()``, a ``cuda`` device, ...), never
by ``import numtorch``. Without CuPy or without a GPU, ``is_available()`` is False and the calls
that need a device raise torch's "Torch not compiled with CUDA enabled". In tests, the strict
stand-in of ``numtorch.testing.stand_in`` plays the CUDA backend.

>>> import numtorch
>>> numtorch.cuda.is_available() in (True, False)
True
"""
from .. import _backend

_cupy_state = {'tried': False, 'error': None}
_NOT_COMPILED = 'Torch not compiled with CUDA enabled'


def _backend_or_none():
    b = _backend._BY_TYPE.get('cuda')
    if b is None and not _cupy_state['tried']:
        _cupy_state['tried'] = True
        try:
            from . import _cupy
            b = _cupy.load()
        except Exception as e:   # ImportError, or CuPy present but no driver/GPU
            _cupy_state['error'] = e
            b = None
        if b is not None:
            _backend.register(b)
    return b


def _lazy_init():
    """The CUDA backend, or torch's error when there is none."""
    b = _backend_or_none()
    if b is None:
        raise AssertionError(_NOT_COMPILED)
    return b


def _index(device):
    """A device argument (None, int, 'cuda:1', device) -> an index, as torch reads it."""
    b = _lazy_init()
    if device is None:
        return b.current_device()
    if isinstance(device, int):
        return device
    from .._device import device as _dev
    d = device if isinstance(device, _dev) else _dev(device)
    if d.type != 'cuda':
        raise ValueError(f'Expected a cuda device, but got: {d}')
    return b.current_device() if d.index is None else d.index


def is_available():
    """True when a CUDA device can be used (CuPy and a GPU, or the test stand-in).

    >>> import numtorch
    >>> isinstance(numtorch.cuda.is_available(), bool)
    True
    """
    b = _backend_or_none()
    return b is not None and b.device_count() > 0


def device_count():
    """How many CUDA devices are visible (0 without CuPy or a GPU).

    >>> import numtorch
    >>> numtorch.cuda.device_count() >= 0
    True
    """
    b = _backend_or_none()
    return 0 if b is None else b.device_count()


def is_initialized():
    """Whether the CUDA backend has been loaded."""
    return _backend._BY_TYPE.get('cuda') is not None


def init():
    """Load the CUDA backend now (torch's error when there is none)."""
    _lazy_init()


def current_device():
    """The index of the current CUDA device."""
    return _lazy_init().current_device()


def set_device(device):
    """Make ``device`` the current CUDA device (a negative index is a no-op, as torch)."""
    idx = _index(device)
    if idx >= 0:
        b = _lazy_init()
        b.check_index(idx)
        b.set_device(idx) if hasattr(b, 'set_device') else setattr(b, 'current', idx)


def synchronize(device=None):
    """Wait for every kernel queued on ``device`` to finish."""
    _lazy_init().synchronize(_index(device))


def get_device_name(device=None):
    """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    idx = _index(device)
    b = _lazy_init()
    b.check_index(idx)
    return b.name(idx)


def get_device_capability(device=None):
    """``(major, minor)`` compute capability."""
    idx = _index(device)
    b = _lazy_init()
    return b.capability(idx) if hasattr(b, 'capability') else (0, 0)


def memory_allocated(device=None):
    """Bytes currently held by tensors on ``device`` (CuPy's memory pool); 0 without CUDA."""
    if _backend_or_none() is None:
        return 0
    return _lazy_init().memory_allocated(_index(device))


def max_memory_allocated(device=None):
    """The peak of ``memory_allocated`` (tracked by CuPy's pool where it can; else current)."""
    if _backend_or_none() is None:
        return 0
    b = _lazy_init()
    idx = _index(device)
    return b.max_memory_allocated(idx) if hasattr(b, 'max_memory_allocated') \
        else b.memory_allocated(idx)


def memory_reserved(device=None):
    """Bytes held by the allocator's pool on ``device``; 0 without CUDA."""
    if _backend_or_none() is None:
        return 0
    b = _lazy_init()
    idx = _index(device)
    return b.memory_reserved(idx) if hasattr(b, 'memory_reserved') else b.memory_allocated(idx)


def reset_peak_memory_stats(device=None):
    """Start ``max_memory_allocated`` afresh."""
    b = _lazy_init()
    if hasattr(b, 'reset_peak'):
        b.reset_peak(_index(device))


def empty_cache():
    """Give the pool's unused blocks back to the driver (a no-op without CUDA, as torch)."""
    b = _backend._BY_TYPE.get('cuda')
    if b is not None:
        b.empty_cache()


def manual_seed(seed):
    """Seed the current CUDA device's generator (silently ignored without CUDA, as torch)."""
    b = _backend_or_none()
    if b is not None and b.device_count():
        b.generator_for(b.current_device()).manual_seed(seed)


def manual_seed_all(seed):
    """Seed every CUDA device's generator (silently ignored without CUDA, as torch)."""
    b = _backend_or_none()
    if b is not None:
        for i in range(b.device_count()):
            b.generator_for(i).manual_seed(seed)


def seed():
    """Seed the current CUDA generator from the OS (ignored without CUDA)."""
    b = _backend_or_none()
    if b is not None and b.device_count():
        b.generator_for(b.current_device()).seed()


def seed_all():
    """Seed every CUDA generator from the OS (ignored without CUDA)."""
    b = _backend_or_none()
    if b is not None:
        for i in range(b.device_count()):
            b.generator_for(i).seed()


def initial_seed():
    """The current CUDA generator's seed."""
    b = _lazy_init()
    return b.generator_for(b.current_device()).initial_seed()


def get_rng_state(device='cuda'):
    """A CUDA generator's state as a uint8 (CPU) tensor."""
    b = _lazy_init()
    return b.generator_for(_index(device)).get_state()


def set_rng_state(new_state, device='cuda'):
    """Restore a CUDA generator's state."""
    b = _lazy_init()
    b.generator_for(_index(device)).set_state(new_state)


class device:
    """Context manager that makes ``device`` current for its block."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *exc):
        if self.prev >= 0:
            set_device(self.prev)
        return False


def get_device_properties(device=None):
    """The device's properties (CuPy's ``getDeviceProperties`` dict under CUDA)."""
    idx = _index(device)
    b = _lazy_init()
    b.check_index(idx)
    return b.properties(idx) if hasattr(b, 'properties') else {'name': b.name(idx)}


def is_bf16_supported(including_emulation=True):
    """False: numtorch has no bfloat16 dtype (NumPy has none)."""
    return False


def max_memory_reserved(device=None):
    """The peak of ``memory_reserved`` (its current value here); 0 without CUDA."""
    return memory_reserved(device)


def reset_peak_memory_stats(device=None):
    """Nothing to reset without CUDA: a no-op."""


def __getattr__(name):
    # `torch.cuda.amp.autocast` / `GradScaler` without importing numtorch.amp at startup
    if name == 'amp':
        import importlib
        return importlib.import_module(__name__ + '.amp')
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
