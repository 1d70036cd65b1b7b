"""Datasets: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``ChainDataset`` and ``random_split``, with torch's semantics and messages.

A map-style dataset may also define ``__getitems__(indices)`` (torch's protocol: a list of
samples for a list of indices). numtorch adds a private fast path on top: ``_getbatch(indices)``
returns the *already collated* batch (what ``default_collate`` would make of those samples), so a
``TensorDataset`` batch is one fancy-index per tensor instead of ``batch_size`` Python-level
``__getitem__`` calls and a stack. The DataLoader uses it only with the default collate.
"""
import bisect
import math
import warnings

from ..._backend import namespace
from ..._ops._apply import wrap

__all__ = ['Dataset', 'IterableDataset', 'TensorDataset', 'Subset', 'ConcatDataset',
           'ChainDataset', 'random_split']


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__``.

    >>> from numtorch.utils.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return i * i
    >>> [Squares()[i] for i in range(4)]
    [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError('Subclasses of Dataset should implement __getitem__.')

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is an iterable of samples (streams); subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; use
    ``numtorch.utils.data.get_worker_info()`` inside ``__iter__`` to split the work.

    >>> from numtorch.utils.data import IterableDataset
    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(3))
    >>> list(Count())
    [0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError('Subclasses of IterableDataset should implement __iter__.')

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are slices along the first dimension of each tensor: ``ds[i] = (t[i] for t in tensors)``.

    >>> import numtorch
    >>> from numtorch.utils.data import TensorDataset
    >>> ds = TensorDataset(numtorch.arange(6).reshape(3, 2), numtorch.tensor([0, 1, 0]))
    >>> len(ds), ds[1]
    (3, (tensor([2, 3]), tensor(1)))
    """

    def __init__(self, *tensors):
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            raise AssertionError('Size mismatch between tensors')
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def __getitems__(self, indices):
        return [tuple(t[i] for t in self.tensors) for i in indices]

    def _getbatch(self, indices):
        # One fancy-index per tensor; the result is what default_collate would build (a list,
        # since default_collate turns a batch of tuples into a list).
        out = []
        for t in self.tensors:
            ns = namespace(t._data)     # the index array lives on the tensor's device
            idx = ns.asarray(indices, dtype=ns.int64)
            if t._requires_grad:        # keep the graph: go through the differentiable indexing op
                out.append(t[wrap(idx)])
            else:
                out.append(wrap(t._data[idx]))
        return out


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order.

    >>> from numtorch.utils.data import Subset
    >>> s = Subset(list('abcde'), [4, 0])
    >>> len(s), s[0], s[1]
    (2, 'e', 'a')
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        inner = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, '__getitems__', None)
        if getitems:
            return getitems(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)

    @property
    def _getbatch(self):
        # Offered only when the wrapped dataset has the fast path itself.
        inner = getattr(self.dataset, '_getbatch', None)
        if inner is None:
            return None
        return lambda indices: inner([self.indices[i] for i in indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after another.

    >>> from numtorch.utils.data import ConcatDataset
    >>> c = ConcatDataset([[1, 2], [3]])
    >>> len(c), c[2], c.cumulative_sizes
    (3, 3, [2, 3])
    """

    @staticmethod
    def cumsum(sequence):
        r, s = [], 0
        for e in sequence:
            s += len(e)
            r.append(s)
        return r

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError('datasets should not be an empty iterable')
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError('ConcatDataset does not support IterableDataset')
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError('absolute value of index should not exceed dataset length')
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if which == 0 else idx - self.cumulative_sizes[which - 1]
        return self.datasets[which][sample_idx]


class ChainDataset(IterableDataset):
    """Several iterable datasets chained one after another.

    >>> from numtorch.utils.data import ChainDataset
    >>> list(ChainDataset([[1, 2], [3]]))
    [1, 2, 3]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths (or
    fractions summing to 1, rounded down with the remainder dealt round-robin, as torch).

    >>> import numtorch
    >>> from numtorch.utils.data import random_split
    >>> a, b = random_split(range(10), [0.7, 0.3], generator=numtorch.Generator().manual_seed(0))
    >>> len(a), len(b), sorted(a.indices + b.indices) == list(range(10))
    (7, 3, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f'Fraction at index {i} is not between 0 and 1')
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f'Length of split at index {i} is 0. This might result in an empty '
                              'dataset.')
    if sum(lengths) != n:
        raise ValueError('Sum of input lengths does not equal the length of the input dataset!')
    from .sampler import _randperm
    indices = _randperm(sum(lengths), generator)
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, indices[offset:offset + length]))
        offset += length
    return out
