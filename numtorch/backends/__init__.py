"""``numtorch.backends``: torch's backend switches (``cudnn``, ``cuda.matmul``, ``mps``,
``mkldnn``, ``openmp``, ``opt_einsum``), so scripts can set them. numtorch has none of these
backends: the flags are stored (with torch's type checks) and reported back, and change nothing.

>>> import numtorch
>>> numtorch.backends.cudnn.benchmark = True
>>> numtorch.backends.cudnn.benchmark, numtorch.backends.mps.is_available()
(True, False)
>>> numtorch.backends.cudnn.benchmark = False
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp, opt_einsum  # noqa: F401

__all__ = ['cpu', 'cuda', 'cudnn', 'mkldnn', 'mps', 'openmp', 'opt_einsum']
