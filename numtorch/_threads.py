"""``set_num_threads`` / ``get_num_threads``: the thread count of NumPy's BLAS.

torch controls its own thread pool; numtorch's heavy lifting is NumPy's BLAS (OpenBLAS in the
PyPI wheels), so these talk to that library through ctypes. On a busy machine, fewer BLAS
threads are often faster (threads wait on each other). Where no OpenBLAS is found (another BLAS,
or a CuPy backend later), ``set_num_threads`` is a no-op and ``get_num_threads`` reports 1.
"""
import ctypes
import glob
import os
import threading

import numpy as np

_lib = None
_set = _get = None


def _find():
    global _lib, _set, _get
    if _lib is not None:
        return _set is not None
    _lib = False
    libdir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), 'numpy.libs')
    for path in sorted(glob.glob(os.path.join(libdir, '*openblas*'))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ('scipy_openblas_', 'openblas_', ''):
            for suffix in ('64_', ''):
                s = getattr(lib, f'{prefix}set_num_threads{suffix}', None)
                g = getattr(lib, f'{prefix}get_num_threads{suffix}', None)
                if s is not None and g is not None:
                    _lib, _set, _get = lib, s, g
                    _get.restype = ctypes.c_int
                    return True
    return False


def set_num_threads(n):
    """Use ``n`` threads for matrix products (NumPy's OpenBLAS).

    >>> import numtorch
    >>> numtorch.set_num_threads(1); numtorch.get_num_threads()
    1
    """
    n = int(n)
    if n < 1:
        raise RuntimeError('set_num_threads expects a positive integer')
    if _find():
        _set(ctypes.c_int(n))


def get_num_threads():
    """The number of threads NumPy's BLAS uses (1 when it cannot be told)."""
    if _find():
        return int(_get())
    return 1


class blas_threads:
    """Context manager: run the block with ``n`` BLAS threads, then restore the count.

    Used around the convolution matmuls, whose shapes (a few output channels, very long rows)
    OpenBLAS splits badly: on the 2-core machines measured, two threads made LeNet's training
    step 1.6x slower on an idle machine and 5x slower on a busy one than one thread.
    """
    __slots__ = ('n', 'prev')

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.prev = _get() if _find() else None
        if self.prev is not None and self.prev != self.n:
            _set(ctypes.c_int(self.n))

    def __exit__(self, *exc):
        if self.prev is not None and self.prev != self.n:
            _set(ctypes.c_int(self.prev))
        return False


def conv_threads():
    """The BLAS thread setting for a convolution's GEMMs on the CPU (``CPUBackend.conv_scope``):
    one thread (see ``blas_threads``)."""
    return blas_threads(1)


_pool = None   # (size, ThreadPoolExecutor) of helper threads, made on first use


def run_chunks(fn, chunks):
    """``fn(c)`` for every chunk ``c``, shared by the calling thread and ``get_num_threads() - 1``
    helper threads, each GEMM on one BLAS thread; in order on the calling thread when that count
    is 1 or there is one chunk.

    Threads take the next chunk when they finish one (a shared iterator, not a fixed split): when
    another process holds a core, the thread that runs keeps taking chunks instead of waiting for
    the stalled one, where OpenBLAS's own threads spin and wait for each other. Each chunk writes
    only its own part of the output, so the result is the same for any thread count.
    """
    chunks = list(chunks)
    n = min(get_num_threads(), len(chunks))
    with blas_threads(1):
        if n <= 1:
            for c in chunks:
                fn(c)
            return
        it = iter(chunks)
        lock = threading.Lock()

        def work():
            while True:
                with lock:
                    c = next(it, _DONE)
                if c is _DONE:
                    return
                fn(c)
        helpers = [_executor(n - 1).submit(work) for _ in range(n - 1)]
        try:
            work()
        finally:   # never leave a helper writing into arrays the caller is about to use
            for h in helpers:
                h.result()


_DONE = object()


def _forget_pool():
    global _pool
    _pool = None   # a forked child (a DataLoader worker) has none of the parent's threads


os.register_at_fork(after_in_child=_forget_pool)


def _executor(n):
    global _pool
    if _pool is None or _pool[0] < n:
        from concurrent.futures import ThreadPoolExecutor
        if _pool is not None:
            _pool[1].shutdown(wait=False)
        _pool = (n, ThreadPoolExecutor(n, thread_name_prefix='numtorch-conv'))
    return _pool[1]
