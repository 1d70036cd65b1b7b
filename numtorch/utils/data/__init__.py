"""``numtorch.utils.data``: datasets, samplers and the DataLoader, with torch's API.

>>> import numtorch
>>> from numtorch.utils import data
>>> X, y = numtorch.arange(12.).reshape(6, 2), numtorch.arange(6)
>>> for xb, yb in data.DataLoader(data.TensorDataset(X, y), batch_size=4):
...     print(xb.shape, yb)
torch.Size([4, 2]) tensor([0, 1, 2, 3])
torch.Size([2, 2]) tensor([4, 5])
"""
from .dataset import (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset,
                      ChainDataset, random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                      WeightedRandomSampler, BatchSampler)
from ._collate import default_collate, default_convert
from ._worker import get_worker_info, WorkerInfo
from .dataloader import DataLoader
from . import distributed  # noqa: F401
from .distributed import DistributedSampler

__all__ = ['Dataset', 'IterableDataset', 'TensorDataset', 'Subset', 'ConcatDataset',
           'ChainDataset', 'random_split', 'Sampler', 'SequentialSampler', 'RandomSampler',
           'SubsetRandomSampler', 'WeightedRandomSampler', 'BatchSampler', 'default_collate',
           'default_convert', 'get_worker_info', 'WorkerInfo', 'DataLoader', 'DistributedSampler']
