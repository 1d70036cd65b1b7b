"""``numtorch.backends.mkldnn``: oneDNN's switch, stored; numtorch uses NumPy's BLAS."""
from ._flags import install_bool_flags

enabled = True
deterministic = False


def is_available():
    """False: numtorch does not use oneDNN."""
    return False


install_bool_flags(__name__, {'enabled': 'set_enabled_mkldnn',
                              'deterministic': 'set_deterministic_mkldnn'})
