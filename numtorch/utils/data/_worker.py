"""What runs inside a DataLoader worker process, and what travels back from it.

Each worker owns one index queue; all share one result queue. A worker takes ``(task, indices)``,
fetches and collates the batch, and puts ``(task, batch)`` back; ``None`` tells it to exit. An
exception is sent back wrapped with its formatted traceback, and re-raised in the main process
with the same type (torch's ``ExceptionWrapper``).
"""
import os
import queue
import random
import sys
import traceback

import numpy as np

__all__ = ['get_worker_info', 'WorkerInfo']

_worker_info = None
_POLL_S = 1.0   # how often an idle worker checks that its parent is still alive


class WorkerInfo:
    """Read-only facts about the current worker: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __setattr__(self, key, value):
        raise RuntimeError(f'Cannot assign attributes to {type(self).__name__} objects')

    def __repr__(self):
        body = ', '.join(f'{k}={v!r}' for k, v in self.__dict__.items() if k != 'dataset')
        return f'{type(self).__name__}({body})'


def get_worker_info():
    """``WorkerInfo`` inside a DataLoader worker process, ``None`` in the main process.

    >>> from numtorch.utils.data import get_worker_info
    >>> get_worker_info() is None
    True
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried back with its traceback as text."""

    def __init__(self, exc_info, where='in background'):
        self.exc_type = exc_info[0]
        self.exc_msg = ''.join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f'Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}'
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)   # KeyError would repr() the message, mangling newlines
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


RESUME = 'resume'      # a task that starts a new epoch in a persistent worker


class ResumeAck:
    """A persistent worker's answer to ``RESUME``: everything it sent before is stale."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


def _fetch(dataset, is_iterable, state, indices, auto_collation, collate_fn, drop_last, fast):
    """One batch (or one sample without auto-collation), as ``_SingleProcessIter`` would."""
    if is_iterable:
        it = state['it']
        if auto_collation:
            data = []
            for _ in indices:
                try:
                    data.append(next(it))
                except StopIteration:
                    break
            if not data or (drop_last and len(data) < len(indices)):
                raise StopIteration
        else:
            data = next(it)
        return collate_fn(data)
    if auto_collation:
        if fast is not None:
            return fast(indices)
        getitems = getattr(dataset, '__getitems__', None)
        data = getitems(indices) if getitems else [dataset[i] for i in indices]
        return collate_fn(data)
    return collate_fn(dataset[indices])


def fast_batch(dataset, collate_fn):
    """The dataset's ``_getbatch`` when it may replace fetch + collate, else None."""
    from ._collate import default_collate
    if collate_fn is default_collate:
        return getattr(dataset, '_getbatch', None)
    return None


def worker_loop(dataset, is_iterable, index_q, result_q, done, auto_collation, collate_fn,
                drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of one worker process (a module-level function so that spawn can pickle it)."""
    global _worker_info
    seed = base_seed + worker_id
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    import numtorch
    if hasattr(numtorch, 'manual_seed'):
        numtorch.manual_seed(seed)
    # One thread in each worker, as torch's workers: their batches are small, and the main
    # process's ops want the cores (issue 14).
    numtorch.set_num_threads(1)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    parent = os.getppid()
    init_error = None
    state = {}
    try:
        if init_fn is not None:
            init_fn(worker_id)
        if is_iterable:
            state['it'] = iter(dataset)
    except Exception:
        init_error = ExceptionWrapper(sys.exc_info(), f'in DataLoader worker process {worker_id}')
    fast = None if is_iterable else fast_batch(dataset, collate_fn)
    ended = False
    try:
        while True:
            try:
                task = index_q.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent:   # orphaned: the main process died
                    break
                continue
            if task is None:
                break
            if task == RESUME:          # persistent workers: a new epoch, same process
                ended = False
                if is_iterable and init_error is None:
                    try:
                        state['it'] = iter(dataset)
                    except Exception:
                        init_error = ExceptionWrapper(sys.exc_info(),
                                                      f'in DataLoader worker process {worker_id}')
                result_q.put((None, ResumeAck(worker_id)))
                continue
            if done.is_set() or ended:
                continue       # shutting down / exhausted: drain without working
            idx, indices = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = _fetch(dataset, is_iterable, state, indices, auto_collation,
                                  collate_fn, drop_last, fast)
                except StopIteration:
                    if not is_iterable:
                        raise
                    data = _IterableDatasetStopIteration(worker_id)
                    ended = True
                except Exception:
                    data = ExceptionWrapper(sys.exc_info(),
                                            f'in DataLoader worker process {worker_id}')
            result_q.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
    # A worker stopped by shutdown, or orphaned, must not wait to flush results nobody reads. One
    # that simply ran dry (an IterableDataset) lets its feeder thread finish: killed mid-send at
    # exit, that thread would keep the queue's shared write lock forever, and the other workers'
    # results would never reach the main process (a hang seen under load). torch does the same.
    if done.is_set() or os.getppid() != parent:
        result_q.cancel_join_thread()
    result_q.close()
