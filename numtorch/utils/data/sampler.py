"""Samplers: the order in which a DataLoader visits a map-style dataset.

``RandomSampler`` draws exactly as torch's does (a fresh seed from the global generator per epoch
when none is given, then ``randperm``), so with numtorch's random numbers matching torch's the
shuffle order matches too.
"""
import itertools

import numpy as np

__all__ = ['Sampler', 'SequentialSampler', 'RandomSampler', 'SubsetRandomSampler',
           'WeightedRandomSampler', 'BatchSampler']


def _numtorch():
    import numtorch
    return numtorch


def _randperm(n, generator=None):
    """A random permutation of ``range(n)`` as a list, from numtorch's generator."""
    nt = _numtorch()
    if hasattr(nt, 'randperm'):
        return nt.randperm(n, generator=generator).tolist()
    # Before numtorch.random exists: NumPy's global state (still seedable via np.random.seed).
    return np.random.permutation(n).tolist()


def _draw_seed(generator=None):
    """One int64 seed, as torch's ``torch.empty((), dtype=torch.int64).random_(generator=g)``."""
    nt = _numtorch()
    t = nt.empty((), dtype=nt.int64)
    if hasattr(t, 'random_'):
        return int(t.random_(generator=generator).item())
    return int(np.random.randint(0, 2 ** 62))


def _fresh_generator(seed):
    nt = _numtorch()
    if hasattr(nt, 'Generator'):
        g = nt.Generator()
        g.manual_seed(seed)
        return g
    return None


class Sampler:
    """Base class: an iterable over dataset indices (subclasses define ``__iter__``)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``.

    >>> from numtorch.utils.data import SequentialSampler
    >>> list(SequentialSampler(range(4)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch (or ``num_samples`` draws with ``replacement=True``).

    >>> import numtorch
    >>> from numtorch.utils.data import RandomSampler
    >>> sorted(RandomSampler(range(5), generator=numtorch.Generator().manual_seed(1)))
    [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError('replacement should be a boolean value, but got '
                            f'replacement={self.replacement}')
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError('num_samples should be a positive integer value, but got '
                             f'num_samples={self.num_samples}')

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = _fresh_generator(_draw_seed())
        if self.replacement:
            nt = _numtorch()
            for size in [32] * (self.num_samples // 32) + [self.num_samples % 32]:
                if hasattr(nt, 'randint'):
                    yield from nt.randint(high=n, size=(size,), dtype=nt.int64,
                                          generator=generator).tolist()
                else:
                    yield from np.random.randint(0, n, size).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _randperm(n, generator)
            yield from _randperm(n, generator)[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order.

    >>> from numtorch.utils.data import SubsetRandomSampler
    >>> sorted(SubsetRandomSampler([3, 5, 7]))
    [3, 5, 7]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _randperm(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError('num_samples should be a positive integer value, but got '
                             f'num_samples={num_samples}')
        nt = _numtorch()
        self.weights = nt.as_tensor(np.asarray(weights, dtype=np.float64))
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        nt = _numtorch()
        if hasattr(nt, 'multinomial'):
            yield from nt.multinomial(self.weights, self.num_samples, self.replacement,
                                      generator=self.generator).tolist()
        else:
            p = self.weights._data / self.weights._data.sum()
            yield from np.random.choice(len(p), self.num_samples, self.replacement, p).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    >>> from numtorch.utils.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError('batch_size should be a positive integer value, but got '
                             f'batch_size={batch_size}')
        if not isinstance(drop_last, bool):
            raise ValueError(f'drop_last should be a boolean value, but got drop_last={drop_last}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*[it] * self.batch_size):
                yield [*batch]
        else:
            batch = [*itertools.islice(it, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(it, self.batch_size)]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
