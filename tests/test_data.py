"""numtorch.utils.data against torch.utils.data: datasets, samplers, collate, DataLoader
(single process and worker processes)."""
import collections
import gc
import multiprocessing

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import numtorch
import numtorch.utils.data as ndata


def _np(x):
    """Nested batch -> nested NumPy/plain values, for comparing numtorch and torch output."""
    if isinstance(x, (numtorch.Tensor, torch.Tensor)):
        return ('T', str(x.dtype).replace('torch.', ''), np.asarray(x).tolist())
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, '_fields'):
        return (type(x).__name__,) + tuple(_np(v) for v in x)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_np(v) for v in x])
    return x


def _pair(n=10, d=3):
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n) % 4
    return (ndata.TensorDataset(numtorch.tensor(X), numtorch.tensor(y)),
            tdata.TensorDataset(torch.tensor(X), torch.tensor(y)))


# ----------------------------------------------------------------------------- datasets
def test_tensor_dataset_items_and_len():
    nds, tds = _pair()
    assert len(nds) == len(tds) == 10
    for i in (0, 3, -1):
        assert _np(nds[i]) == _np(tds[i])
    with pytest.raises(AssertionError, match='Size mismatch'):
        ndata.TensorDataset(numtorch.zeros(3), numtorch.zeros(4))


def test_subset_concat_chain():
    s = ndata.Subset(list('abcdef'), [5, 1, 3])
    assert [s[i] for i in range(len(s))] == ['f', 'b', 'd']
    assert s.__getitems__([0, 2]) == ['f', 'd']
    c = ndata.ConcatDataset([[1, 2, 3], [4, 5]])
    tc = tdata.ConcatDataset([[1, 2, 3], [4, 5]])
    assert [c[i] for i in range(-5, 5)] == [tc[i] for i in range(-5, 5)]
    assert c.cumulative_sizes == tc.cumulative_sizes == [3, 5]
    with pytest.raises(ValueError, match='absolute value of index'):
        c[-6]
    with pytest.raises(AssertionError, match='empty iterable'):
        ndata.ConcatDataset([])
    nds, _ = _pair()
    assert len(nds + nds) == 20

    class It(ndata.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    assert list(It() + It()) == [0, 1, 2, 0, 1, 2]
    with pytest.raises(AssertionError, match='IterableDataset'):
        ndata.ConcatDataset([It()])


def test_random_split_lengths_and_fractions():
    a, b = ndata.random_split(range(10), [7, 3])
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    # fractions: floor then round-robin remainder, as torch
    for fr in ([0.5, 0.5], [0.33, 0.33, 0.34], [0.1, 0.9], [1 / 3] * 3):
        got = [len(s) for s in ndata.random_split(range(11), fr)]
        want = [len(s) for s in tdata.random_split(range(11), fr)]
        assert got == want, fr
    with pytest.raises(ValueError, match='Sum of input lengths'):
        ndata.random_split(range(10), [3, 3])


def test_random_split_generator_reproducible():
    def split(seed):
        return [s.indices for s in
                ndata.random_split(range(20), [0.5, 0.5], generator=numtorch.Generator().manual_seed(seed))]
    assert split(3) == split(3)
    assert split(3) != split(4)


# ----------------------------------------------------------------------------- samplers
def test_batch_sampler_matches_torch():
    for bs in (1, 3, 5, 11):
        for dl in (False, True):
            got = list(ndata.BatchSampler(ndata.SequentialSampler(range(10)), bs, dl))
            want = list(tdata.BatchSampler(tdata.SequentialSampler(range(10)), bs, dl))
            assert got == want
            assert len(ndata.BatchSampler(range(10), bs, dl)) == len(want)
    with pytest.raises(ValueError, match='batch_size should be a positive integer'):
        ndata.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match='drop_last should be a boolean'):
        ndata.BatchSampler(range(3), 2, 1)


def test_random_sampler_is_a_permutation():
    s = ndata.RandomSampler(range(50))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b                      # a fresh shuffle per epoch
    assert len(s) == 50
    r = list(ndata.RandomSampler(range(5), replacement=True, num_samples=70))
    assert len(r) == 70 and set(r) <= set(range(5))
    s2 = list(ndata.RandomSampler(range(7), num_samples=10))
    assert len(s2) == 10 and sorted(s2[:7]) == list(range(7))
    with pytest.raises(ValueError, match='num_samples should be a positive integer'):
        ndata.RandomSampler(range(3), num_samples=0)
    assert sorted(ndata.SubsetRandomSampler([2, 4, 6])) == [2, 4, 6]


# ----------------------------------------------------------------------------- collate
Point = collections.namedtuple('Point', 'x y')


@pytest.mark.parametrize('batch', [
    [1, 2, 3],
    [1.5, 2.0],
    [True, False],
    [(1, 2.0), (3, 4.0)],
    [[1, 2], [3, 4]],
    [{'a': 1, 'b': (2.0, 3)}, {'a': 4, 'b': (5.0, 6)}],
    [Point(1, 2.0), Point(3, 4.0)],
    ['x', 'y'],
    [('x', 1), ('y', 2)],
    [{'name': 'x', 'v': 1.5}, {'name': 'y', 'v': 2.5}],
    [np.array([1, 2], np.int32), np.array([3, 4], np.int32)],
    [np.float32(1), np.float32(2)],
    'tensors',
], ids=lambda b: b if isinstance(b, str) else type(b[0]).__name__ + str(len(b)))
def test_default_collate_matches_torch(batch):
    if batch == 'tensors':
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        nb = [(numtorch.tensor(r), int(i)) for i, r in enumerate(x)]
        tb = [(torch.tensor(r), int(i)) for i, r in enumerate(x)]
    else:
        nb = tb = batch
    assert _np(ndata.default_collate(nb)) == _np(tdata.default_collate(tb))
    assert _np(ndata.default_convert(nb[0])) == _np(tdata.default_convert(tb[0]))


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match='stack expects each tensor to be equal size'):
        ndata.default_collate([numtorch.zeros(2), numtorch.zeros(3)])
    with pytest.raises(RuntimeError, match='each element in list of batch should be of equal size'):
        ndata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match='default_collate: batch must contain'):
        ndata.default_collate([object()])


# ----------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize('bs,drop_last', [(1, False), (3, False), (3, True), (10, False), (4, True)])
def test_dataloader_sequential_matches_torch(bs, drop_last):
    nds, tds = _pair()
    nl = ndata.DataLoader(nds, batch_size=bs, drop_last=drop_last)
    tl = tdata.DataLoader(tds, batch_size=bs, drop_last=drop_last)
    assert len(nl) == len(tl)
    assert [_np(b) for b in nl] == [_np(b) for b in tl]


def test_dataloader_fast_path_equals_slow_path():
    nds, _ = _pair(37)
    fast = list(ndata.DataLoader(nds, batch_size=8, shuffle=False))
    slow = list(ndata.DataLoader(nds, batch_size=8, collate_fn=lambda b: ndata.default_collate(b)))
    assert [_np(b) for b in fast] == [_np(b) for b in slow]
    sub = ndata.Subset(nds, [5, 2, 9, 30])
    assert _np(next(iter(ndata.DataLoader(sub, batch_size=4)))) == \
        _np(ndata.default_collate([sub[i] for i in range(4)]))


def test_dataloader_options_and_errors():
    nds, tds = _pair()
    # batch_size=None: no auto-batching, samples are converted one by one
    assert [_np(b) for b in ndata.DataLoader(nds, batch_size=None)] == \
        [_np(b) for b in tdata.DataLoader(tds, batch_size=None)]
    bsamp = [[0, 1], [5, 2, 3]]
    assert [_np(b) for b in ndata.DataLoader(nds, batch_sampler=bsamp)] == \
        [_np(b) for b in tdata.DataLoader(tds, batch_sampler=bsamp)]
    assert [_np(b) for b in ndata.DataLoader(nds, sampler=[9, 8, 7], batch_size=2)] == \
        [_np(b) for b in tdata.DataLoader(tds, sampler=[9, 8, 7], batch_size=2)]
    out = list(ndata.DataLoader(nds, batch_size=4, collate_fn=len))
    assert out == [4, 4, 2]
    with pytest.raises(ValueError, match='num_workers option should be non-negative'):
        ndata.DataLoader(nds, num_workers=-1)
    with pytest.raises(ValueError, match='sampler option is mutually exclusive with shuffle'):
        ndata.DataLoader(nds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match='batch_sampler option is mutually exclusive'):
        ndata.DataLoader(nds, batch_sampler=bsamp, batch_size=2)
    with pytest.raises(ValueError, match='mutually exclusive with drop_last'):
        ndata.DataLoader(nds, batch_size=None, drop_last=True)


def test_dataloader_shuffle_covers_each_sample_once_per_epoch():
    nds, _ = _pair(50)
    loader = ndata.DataLoader(nds, batch_size=7, shuffle=True)
    assert sum(len(y) for _, y in loader) == 50
    xs = [np.concatenate([X.numpy()[:, 0] for X, _ in loader]) for _ in range(2)]
    assert sorted(xs[0]) == sorted(xs[1]) == sorted(nds.tensors[0].numpy()[:, 0])
    assert not np.array_equal(xs[0], xs[1])


def test_dataloader_shuffle_seeded_generator_reproducible():
    nds, _ = _pair(40)

    def order(seed):
        g = numtorch.Generator().manual_seed(seed)
        loader = ndata.DataLoader(nds, batch_size=8, shuffle=True, generator=g)
        return [np.concatenate([X.numpy()[:, 0] for X, _ in loader]).tolist() for _ in range(2)]
    a, b = order(0), order(0)
    assert a == b and a[0] != a[1] and order(1) != a


class _Squares(ndata.Dataset):
    def __len__(self):
        return 23

    def __getitem__(self, i):
        if i == 17 and getattr(self, 'fail', False):
            raise ValueError('bad sample 17')
        info = ndata.get_worker_info()
        return {'x': np.full(2, i, np.float32), 'i': i, 'w': -1 if info is None else info.id}


class _Stream(ndata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = ndata.get_worker_info()
        k, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(k, self.n, step))


def test_dataloader_workers_ordered_errors_and_no_leaks():
    before = set(multiprocessing.active_children())   # whatever other tests left running

    def _no_children():
        gc.collect()
        return set(multiprocessing.active_children()) <= before
    ds = _Squares()
    base = list(ndata.DataLoader(ds, batch_size=4))
    multi = list(ndata.DataLoader(ds, batch_size=4, num_workers=2))
    assert [b['i'].tolist() for b in multi] == [b['i'].tolist() for b in base]
    assert [b['x'].tolist() for b in multi] == [b['x'].tolist() for b in base]
    assert {w for b in multi for w in b['w'].tolist()} == {0, 1}   # both workers did work
    assert _no_children()

    # breaking out early: the iterator's finalizer stops the workers
    for _ in ndata.DataLoader(ds, batch_size=2, num_workers=2):
        break
    assert _no_children()

    # a worker's exception comes back with its type, message and the worker's traceback
    ds.fail = True
    with pytest.raises(ValueError, match=r'(?s)in DataLoader worker process \d.*bad sample 17'):
        list(ndata.DataLoader(ds, batch_size=4, num_workers=2))
    assert _no_children()

    # IterableDataset split by get_worker_info: every item once, batches per worker
    got = list(ndata.DataLoader(_Stream(10), batch_size=3, num_workers=2))
    assert sorted(sum((b.tolist() for b in got), [])) == list(range(10))
    assert len(got) == 4     # worker 0: [0,2,4],[6,8]; worker 1: [1,3,5],[7,9]
    assert _no_children()


_DRY_WORKER_SCRIPT = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from test_data import _Stream
import numtorch.utils.data as ndata
for _ in range(60):
    assert len(list(ndata.DataLoader(_Stream(10), batch_size=3, num_workers=2))) == 4
"""


def test_worker_that_ran_dry_never_blocks_the_others():
    """A worker whose IterableDataset ran dry exits while the others still send: it must flush
    its queue's feeder thread instead of dying with the queue's shared write lock held (which hung
    the main process forever, about once in 50 epochs on a busy machine). Run in a child process
    with a time limit so a regression fails instead of hanging the suite."""
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    code = _DRY_WORKER_SCRIPT.format(root=os.path.dirname(here), tests=here)
    subprocess.run([sys.executable, '-c', code], check=True, timeout=120)


def test_iterable_dataset_single_process():
    assert [b.tolist() for b in ndata.DataLoader(_Stream(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in ndata.DataLoader(_Stream(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match='expected unspecified shuffle option'):
        ndata.DataLoader(_Stream(3), shuffle=True)
