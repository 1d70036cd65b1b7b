"""``numtorch.backends.cpu``: CPU capability query."""


def get_cpu_capability():
    """The SIMD level torch reports; numtorch leaves vectorisation to NumPy: ``'DEFAULT'``."""
    return 'DEFAULT'
