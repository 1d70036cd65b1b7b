"""``numtorch.cuda``: no GPU backend yet, so CUDA is reported unavailable, as torch does on a
machine without CUDA. The CuPy backend will plug in at ``numtorch/_backend.py``."""


def is_available():
    """False: numtorch has no GPU backend yet.

    >>> import numtorch
    >>> numtorch.cuda.is_available()
    False
    """
    return False


def device_count():
    """0: no CUDA devices are visible to numtorch."""
    return 0


def _lazy_init():
    raise AssertionError('Torch not compiled with CUDA enabled (numtorch has no GPU backend yet)')


def current_device():
    _lazy_init()


def set_device(device):
    _lazy_init()


def manual_seed(seed):
    """Accepted and ignored (there is no CUDA generator), as torch does without CUDA."""


manual_seed_all = manual_seed


def synchronize(device=None):
    _lazy_init()


def is_initialized():
    return False


def get_device_name(device=None):
    _lazy_init()


def get_device_properties(device=None):
    _lazy_init()


def is_bf16_supported(including_emulation=True):
    """False: no CUDA device."""
    return False


def empty_cache():
    """Nothing is cached without CUDA: a no-op, as in torch."""


def memory_allocated(device=None):
    """0 bytes: no CUDA memory is in use."""
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated


def reset_peak_memory_stats(device=None):
    """Nothing to reset without CUDA: a no-op."""


def __getattr__(name):
    # `torch.cuda.amp.autocast` / `GradScaler` without importing numtorch.amp at startup
    if name == 'amp':
        import importlib
        return importlib.import_module(__name__ + '.amp')
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
