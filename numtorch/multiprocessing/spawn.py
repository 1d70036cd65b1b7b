"""``spawn``: run ``fn(i, *args)`` in ``nprocs`` processes and wait, re-raising a child's
exception in the parent (torch's ``torch.multiprocessing.spawn`` contract)."""
import multiprocessing
import traceback

__all__ = ['spawn', 'start_processes', 'ProcessContext', 'ProcessException',
           'ProcessRaisedException', 'ProcessExitedException']


class ProcessException(Exception):
    """A child process failed."""

    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child process raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child process exited with a nonzero code (or was killed)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return (type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                             self.signal_name))


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The running processes of a ``spawn(..., join=False)``; ``join()`` waits for them."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues

    def pids(self):
        """The children's process ids."""
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for every process; raise if one failed; True once all are done."""
        for p in self.processes:
            p.join(timeout)
        for i, (p, q) in enumerate(zip(self.processes, self.error_queues)):
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for other in self.processes:
                    if other.is_alive():
                        other.terminate()
                if not q.empty():
                    msg = f'\n\n-- Process {i} terminated with the following error:\n' + q.get()
                    raise ProcessRaisedException(msg, i, p.pid)
                raise ProcessExitedException(f'process {i} terminated with exit code '
                                             f'{p.exitcode}', i, p.pid, p.exitcode)
        return True


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn'):
    """Start ``nprocs`` processes running ``fn(i, *args)`` with ``start_method``."""
    ctx = multiprocessing.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn'):
    """``fn(i, *args)`` in ``nprocs`` new processes (``i`` = 0..nprocs-1); waits unless
    ``join=False`` (then returns a ``ProcessContext``)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
