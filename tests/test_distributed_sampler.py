"""DistributedSampler: torch's index arithmetic (padding, drop_last, striding, epochs).

numtorch's random stream differs from torch's, so for ``shuffle=True`` both samplers are given
torch's permutation (numtorch's ``randperm`` is replaced by torch's for the comparison); the
arithmetic applied to it must then give identical index lists, for many sizes, ranks, seeds and
epochs. Without shuffling the lists are compared directly.
"""
import itertools

import pytest
import torch
from torch.utils.data.distributed import DistributedSampler as TorchSampler

import numtorch
from numtorch.utils.data import sampler as nt_sampler
from numtorch.utils.data.distributed import DistributedSampler
from errcheck import same_error


@pytest.fixture
def torch_randperm(monkeypatch):
    def randperm(n, generator=None):
        g = torch.Generator().manual_seed(generator.initial_seed())
        return torch.randperm(n, generator=g).tolist()
    monkeypatch.setattr('numtorch.utils.data.distributed._randperm', randperm)


CASES = list(itertools.product([1, 2, 3, 5, 7, 10, 16, 33], [1, 2, 3, 4, 8, 12],
                               [False, True], [0, 5], [0, 3]))


def _both(n, replicas, rank, shuffle, seed, epoch, drop_last):
    samplers = []
    for cls in (TorchSampler, DistributedSampler):
        s = cls(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                drop_last=drop_last)
        s.set_epoch(epoch)
        samplers.append(s)
    return samplers


@pytest.mark.parametrize('drop_last', [False, True])
def test_same_indices_as_torch(torch_randperm, drop_last):
    checked = 0
    for n, replicas, shuffle, seed, epoch in CASES:
        shares = []
        for rank in range(replicas):
            t, nt = _both(n, replicas, rank, shuffle, seed, epoch, drop_last)
            assert list(nt) == list(t), (n, replicas, rank, shuffle, seed, epoch, drop_last)
            assert len(nt) == len(t) and nt.total_size == t.total_size
            shares.append(list(nt))
            checked += 1
        # Together the ranks cover the dataset (all of it unless the tail was dropped).
        covered = set().union(*map(set, shares))
        assert len(covered) == (n if not drop_last or n % replicas == 0
                                else replicas * (n // replicas))
    assert checked > 500


def test_shuffle_depends_on_seed_and_epoch_only():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    c = DistributedSampler(range(50), num_replicas=2, rank=1, seed=1)
    c.set_epoch(1)
    assert sorted(list(a) + list(c)) == list(range(50))   # the two ranks split one permutation


def test_errors_match_torch():
    same_error(lambda fw: fw.utils.data.distributed.DistributedSampler(range(4), 2, 2))
    same_error(lambda fw: fw.utils.data.distributed.DistributedSampler(range(4), 2, -1))
    same_error(lambda fw: fw.utils.data.distributed.DistributedSampler(range(4)))


def test_in_a_dataloader():
    data = numtorch.utils.data.TensorDataset(numtorch.arange(10))
    s = DistributedSampler(data, num_replicas=3, rank=2, shuffle=False)
    batches = [b[0].tolist() for b in numtorch.utils.data.DataLoader(data, batch_size=2, sampler=s)]
    assert batches == [[2, 5], [8, 1]]
