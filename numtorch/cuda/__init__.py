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
