"""``numtorch.multiprocessing``: Python's ``multiprocessing`` API under torch's name, plus
torch's sharing-strategy switches and ``spawn``.

numtorch tensors pickle by value (their NumPy data), so they pass through queues and to child
processes; unlike torch they are copied, not placed in shared memory (``share_memory_`` is the
data helper's business).

>>> import numtorch.multiprocessing as mp
>>> mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
True
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, start_processes)

__all__ = ['set_sharing_strategy', 'get_sharing_strategy', 'get_all_sharing_strategies',
           'spawn', 'start_processes', 'ProcessContext', 'ProcessRaisedException',
           'ProcessExitedException'] + list(multiprocessing.__all__)

if sys.platform in ('darwin', 'win32'):
    _sharing_strategy = 'file_system'
    _all_sharing_strategies = {'file_system'}
else:
    _sharing_strategy = 'file_descriptor'
    _all_sharing_strategies = {'file_descriptor', 'file_system'}


def set_sharing_strategy(new_strategy):
    """Select how tensors would be shared between processes (recorded; numtorch copies)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f'invalid sharing strategy {new_strategy!r}, expected one of '
                             f'{_all_sharing_strategies}')
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current sharing strategy's name."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The sharing strategies this platform supports."""
    return _all_sharing_strategies
