"""``numtorch.nn.parallel``: ``DistributedDataParallel`` (data parallelism over MPI ranks) and
``DataParallel`` (runs the module directly: there are no GPUs)."""
from .distributed import DistributedDataParallel
from .data_parallel import DataParallel

__all__ = ['DistributedDataParallel', 'DataParallel']
