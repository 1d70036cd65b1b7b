"""``DistributedSampler``: each rank's share of a dataset, with torch's index arithmetic.

Every rank draws the same permutation (seeded ``seed + epoch``), pads it by repeating its head
(or, with ``drop_last``, cuts its tail) to a multiple of ``num_replicas``, and keeps every
``num_replicas``-th index starting at its ``rank``. The arithmetic is torch's exactly; the
permutation comes from numtorch's generator, whose stream differs from torch's, so with
``shuffle=True`` the two frameworks pick different (equally random) orders.
"""
import math

from .sampler import Sampler, _fresh_generator, _randperm

__all__ = ['DistributedSampler']


class DistributedSampler(Sampler):
    """Restrict a DataLoader to this rank's part of ``dataset``; call ``set_epoch`` every epoch.

    >>> from numtorch.utils.data.distributed import DistributedSampler
    >>> list(DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False))
    [1, 5, 9]
    >>> list(DistributedSampler(range(10), num_replicas=4, rank=3, shuffle=False))
    [3, 7, 1]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError('Requires distributed package to be available')
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f'Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]')
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _order(self):
        """The full index order of this epoch, before padding and striding."""
        n = len(self.dataset)
        if self.shuffle:
            return _randperm(n, generator=_fresh_generator(self.seed + self.epoch))
        return list(range(n))

    def __iter__(self):
        return iter(self._share(self._order()))

    def _share(self, indices):
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f'Number of indices ({len(indices)}) does not match total_size '
                                 f'({self.total_size})')
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f'Number of subsampled indices ({len(indices)}) does not match '
                                 f'num_samples ({self.num_samples})')
        return indices

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the permutation of ``epoch`` (same on every rank) from the next iteration on."""
        self.epoch = epoch
