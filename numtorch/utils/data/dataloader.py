"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

``num_workers=0`` runs in the calling process; with the default collate it asks the dataset for
a whole batch at once (``_getbatch``: one fancy-index for a ``TensorDataset``), which is what makes
an epoch over Fashion-MNIST cost milliseconds. ``num_workers > 0`` starts that many processes
(torch's design: one index queue per worker, one shared result queue, ``prefetch_factor`` batches
in flight per worker, results re-ordered to the sampler's order); they are shut down when the
iterator is exhausted, garbage-collected, or a worker fails, and the failure is re-raised here.
"""
import itertools
import multiprocessing
import queue
import time

from . import _worker
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import SequentialSampler, RandomSampler, BatchSampler, _draw_seed

__all__ = ['DataLoader']


class _InfiniteConstantSampler:
    """For IterableDataset: an endless stream of ``None`` indices (torch's helper)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    >>> import numtorch
    >>> from numtorch.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(numtorch.arange(10.), numtorch.arange(10))
    >>> loader = DataLoader(ds, batch_size=4)
    >>> len(loader), [y.tolist() for _, y in loader]
    (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    >>> g = numtorch.Generator().manual_seed(0)
    >>> sorted(sum((y.tolist() for _, y in DataLoader(ds, 4, shuffle=True, generator=g)), []))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device='',
                 in_order=True):
        if num_workers < 0:
            raise ValueError('num_workers option should be non-negative; use num_workers=0 to '
                             'disable multiprocessing.')
        if timeout < 0:
            raise ValueError('timeout option should be non-negative')
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError('prefetch_factor option could only be specified in multiprocessing.'
                             'let num_workers > 0 to enable multiprocessing, otherwise set '
                             'prefetch_factor to None.')
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError('prefetch_factor option should be non-negative')
        if persistent_workers and num_workers == 0:
            raise ValueError('persistent_workers option needs num_workers > 0')
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self._iterator = None      # kept across epochs when persistent_workers
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = 'iterable'
            if shuffle not in (False, None):
                raise ValueError('DataLoader with IterableDataset: expected unspecified shuffle '
                                 f'option, but got shuffle={shuffle}')
            if sampler is not None:
                raise ValueError('DataLoader with IterableDataset: expected unspecified sampler '
                                 f'option, but got sampler={sampler}')
            if batch_sampler is not None:
                raise ValueError('DataLoader with IterableDataset: expected unspecified '
                                 f'batch_sampler option, but got batch_sampler={batch_sampler}')
        else:
            self._dataset_kind = 'map'
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError('sampler option is mutually exclusive with shuffle')
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError('batch_sampler option is mutually exclusive with batch_size, '
                                 'shuffle, sampler, and drop_last')
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError('batch_size=None option disables auto-batching and is mutually '
                             'exclusive with drop_last')
        if sampler is None:
            if self._dataset_kind == 'iterable':
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        # torch keeps the worker processes (and their dataset copies) from epoch to epoch
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if self._dataset_kind == 'iterable':
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else \
                    -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._is_iterable = loader._dataset_kind == 'iterable'
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(loader._index_sampler)
        # torch draws this per epoch even without workers; drawing it too keeps the random
        # stream (and so later shuffles) identical to torch's.
        self._base_seed = _draw_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        return next(self._sampler_iter)

    def __len__(self):
        return self._len

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._len = len(loader) if not self._is_iterable else None
        self._state = {'it': iter(self._dataset)} if self._is_iterable else None
        self._fast = None if self._is_iterable else _worker.fast_batch(self._dataset,
                                                                       self._collate_fn)

    def __next__(self):
        indices = next(self._sampler_iter)   # StopIteration ends the epoch
        if self._fast is not None and self._auto_collation:
            return self._fast(indices)
        return _worker._fetch(self._dataset, self._is_iterable, self._state, indices,
                              self._auto_collation, self._collate_fn, self._drop_last, None)


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._len = len(loader) if not self._is_iterable else None
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor
        self._workers, self._index_qs = [], []
        self._shutdown = True
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        n = loader.num_workers
        self._persistent = loader.persistent_workers
        self._result_q = ctx.Queue()
        self._done = ctx.Event()
        self._shutdown = False
        for wid in range(n):
            index_q = ctx.Queue()
            index_q.cancel_join_thread()
            w = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(self._dataset, self._is_iterable, index_q, self._result_q,
                                  self._done, self._auto_collation, self._collate_fn,
                                  self._drop_last, self._base_seed, loader.worker_init_fn, wid, n))
            w.start()
            self._index_qs.append(index_q)
            self._workers.append(w)
        self._start_epoch()

    def _start_epoch(self):
        n = len(self._workers)
        self._active = [True] * n
        self._cycle = itertools.cycle(range(n))
        self._send_idx = 0      # next task number to hand out
        self._rcvd_idx = 0      # next task number to yield
        self._task_info = {}    # task -> (worker,) while pending, (worker, data) once received
        self._outstanding = 0
        for _ in range(self._prefetch * n):
            self._try_put_index()

    def _reset(self, loader):
        """Persistent workers: a new epoch on the same processes (torch draws no new seed)."""
        self._sampler_iter = iter(loader._index_sampler)
        self._num_yielded = 0
        for q in self._index_qs:
            q.put(_worker.RESUME)
        acks = 0
        while acks < len(self._workers):      # drop what an unfinished epoch left in flight
            _, data = self._get()
            acks += isinstance(data, _worker.ResumeAck)
        self._start_epoch()

    def _try_put_index(self):
        try:
            indices = self._next_index()
        except StopIteration:
            return
        for _ in range(len(self._workers)):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_qs[wid].put((self._send_idx, indices))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _get(self):
        start = time.monotonic()
        while True:
            try:
                return self._result_q.get(timeout=min(self._timeout or 5.0, 5.0))
            except queue.Empty:
                # (a worker told to stop after its IterableDataset ran dry may have exited)
                dead = [w.pid for w, active in zip(self._workers, self._active)
                        if active and w.exitcode is not None]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) "
                                       'exited unexpectedly') from None
                if self._timeout and time.monotonic() - start >= self._timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f'DataLoader timed out after {self._timeout} seconds') \
                        from None

    def __next__(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # Skip tasks that went to iterable workers which have since run dry.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                return self._process(info[1])
            idx, data = self._get()
            self._outstanding -= 1
            if isinstance(data, _worker._IterableDatasetStopIteration):
                self._active[data.worker_id] = False
                if not self._persistent:     # a persistent worker waits for the next epoch
                    self._index_qs[data.worker_id].put(None)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process(data)

    def _process(self, data):
        self._rcvd_idx += 1
        if isinstance(data, _worker.ExceptionWrapper):
            # Stop the workers before raising: a half-consumed epoch must not leave processes.
            self._shutdown_workers()
            data.reraise()
        self._try_put_index()
        self._num_yielded += 1
        return data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done.set()
        for q in self._index_qs:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5.0)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        for q in self._index_qs:
            q.close()
        self._result_q.cancel_join_thread()
        self._result_q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
