"""``numtorch.backends.openmp``: numtorch's threads come from NumPy's BLAS, not OpenMP."""


def is_available():
    """False: numtorch does not use OpenMP itself."""
    return False
