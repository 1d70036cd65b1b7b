"""``numtorch.backends.cudnn``: cuDNN's switches. numtorch has no cuDNN: ``is_available()`` is
False, ``version()`` None, and ``enabled``/``benchmark``/``deterministic``/``allow_tf32`` are
stored with torch's defaults and type checks and change nothing (numtorch's convolutions are
deterministic already).

>>> import numtorch
>>> numtorch.backends.cudnn.deterministic = True
>>> numtorch.backends.cudnn.deterministic, numtorch.backends.cudnn.is_available()
(True, False)
>>> numtorch.backends.cudnn.deterministic = False
"""
from ._flags import install_bool_flags

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    """False: numtorch does not use cuDNN."""
    return False


def version():
    """None: no cuDNN is linked."""
    return None


def is_acceptable(tensor):
    """False: no tensor can use cuDNN here."""
    return False


install_bool_flags(__name__, {'enabled': 'set_enabled_cudnn',
                              'benchmark': 'set_benchmark_cudnn',
                              'deterministic': 'set_deterministic_cudnn',
                              'allow_tf32': 'set_allow_tf32_cublas'})
