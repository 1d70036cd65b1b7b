"""``numtorch.distributed``: torch's process groups and collectives, over MPI (mpi4py).

Launch one process per rank with MPI, then initialize the default group::

    mpirun -n 4 python train.py          # in train.py:
    import numtorch.distributed as dist
    dist.init_process_group('mpi')       # rank and world size come from MPI
    dist.all_reduce(t, op=dist.ReduceOp.AVG)

Collectives work in place on tensors through MPI's buffer interface; ``async_op=True`` returns a
``Work`` handle. Needs the ``distributed`` extra (``pip install 'numtorch[distributed]'``);
``import numtorch`` itself never imports mpi4py.

>>> import numtorch.distributed as dist
>>> dist.is_initialized()
False
"""
import importlib.util

from . import _group
from ._group import ProcessGroup, Work, default_pg_timeout
from ._collectives import (ReduceOp, all_reduce, broadcast, reduce, all_gather,
                           all_gather_into_tensor, reduce_scatter_tensor, gather, scatter, barrier,
                           send, recv, isend, irecv, all_gather_object, broadcast_object_list)

__all__ = ['is_available', 'is_mpi_available', 'init_process_group', 'is_initialized',
           'destroy_process_group', 'get_rank', 'get_world_size', 'get_backend', 'new_group',
           'ReduceOp', 'ProcessGroup', 'Work', 'all_reduce', 'broadcast', 'reduce', 'all_gather',
           'all_gather_into_tensor', 'reduce_scatter_tensor', 'gather', 'scatter', 'barrier',
           'send', 'recv', 'isend', 'irecv', 'all_gather_object', 'broadcast_object_list',
           'get_global_rank', 'get_group_rank', 'group']


def is_available():
    """True when mpi4py can be imported (checked without importing it).

    >>> import numtorch.distributed as dist
    >>> isinstance(dist.is_available(), bool)
    True
    """
    return importlib.util.find_spec('mpi4py') is not None


def is_mpi_available():
    """Same as ``is_available()``: MPI is numtorch's only backend."""
    return is_available()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name='', pg_options=None, device_id=None):
    """Create the default group of all processes started by ``mpirun``/``mpiexec``.

    ``backend`` must be ``'mpi'`` (or None); ``rank``/``world_size``, when given, must agree
    with MPI's. ``timeout`` (a ``datetime.timedelta``, default 30 minutes) bounds every wait:
    a collective that a failed or hung peer never joins raises RuntimeError instead of hanging.
    A single process started without mpirun is a group of one.
    """
    _group.init(backend, init_method, timeout, world_size, rank)


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _group._state['world'] is not None


def destroy_process_group(group=None):
    """Release ``group`` (the default group, and with it the package's state, when None)."""
    _group.destroy(group)


def get_rank(group=None):
    """This process's rank in ``group`` (the default group when None); -1 if not a member."""
    return _group.resolve(group).rank()


def get_world_size(group=None):
    """The number of ranks in ``group`` (-1 if this process is not a member, as torch)."""
    g = _group.resolve(group)
    return g.size() if g.comm is not None else -1


def get_backend(group=None):
    """``'mpi'``."""
    _group.resolve(group)
    return 'mpi'


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None, sort_ranks=True):
    """A subgroup of the world's ``ranks`` (all when None); every rank must call it.

    On ranks outside ``ranks`` the group is a non-member: collectives on it return None.
    """
    if backend is not None and str(backend).lower() != 'mpi':
        raise ValueError(f"numtorch.distributed supports only backend='mpi', got {backend!r}")
    return _group.new(ranks, timeout)


def get_global_rank(group, group_rank):
    """The world rank of ``group``'s rank ``group_rank``."""
    return group.ranks[group_rank]


def get_group_rank(group, global_rank):
    """``global_rank``'s rank inside ``group``."""
    try:
        return group.ranks.index(global_rank)
    except ValueError:
        raise ValueError(f'Global rank {global_rank} is not part of group {group}') from None


class _GroupNamespace:
    """``dist.group.WORLD``: the default group (None before ``init_process_group``)."""

    @property
    def WORLD(self):
        return _group._state['world']


group = _GroupNamespace()
