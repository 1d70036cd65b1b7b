"""``numtorch.backends.mps``: Apple's Metal backend, which numtorch does not have.

>>> import numtorch
>>> numtorch.backends.mps.is_available(), numtorch.backends.mps.is_built()
(False, False)
"""
__all__ = ['is_available', 'is_built']


def is_available():
    """False: numtorch has no MPS backend."""
    return False


def is_built():
    """False: numtorch is not built with MPS."""
    return False


def is_macos13_or_newer(minor=0):
    """False: only meaningful with an MPS backend."""
    return False
