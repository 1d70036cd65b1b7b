"""numtorch's thread policy: ``set_num_threads`` / ``get_num_threads`` and how ops use threads.

numtorch's heavy lifting is NumPy's BLAS (OpenBLAS in the PyPI wheels, reached through ctypes)
plus NumPy's copies and ufuncs. The policy (issue 14; figures in docs/speed.md):

- BLAS runs on ONE thread (unless ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` in the
  environment before import chose more). OpenBLAS's threads spin while they wait for each other:
  with another process on one of two cores, or with DataLoader workers, two BLAS threads made
  the MLP's epoch 5-12x slower than one thread (bench/threads.py); on an idle machine they gain
  little on D2L-sized products.
- numtorch uses the cores through ``run_chunks`` instead: convolutions cut their batch into
  cache-sized chunks, and large matrix products (``gemm``, above ``BIG_GEMM_FLOPS``) their rows,
  that ``get_num_threads()`` Python threads take from a shared queue, each GEMM on one BLAS
  thread (NumPy releases the GIL in GEMMs, copies and adds). A stalled thread holds nobody up.
- ``get_num_threads()`` is ``set_num_threads``' value, or by default the cores this process may
  run on (as torch's). ``set_num_threads(n)`` sets that count; BLAS's own count is
  ``min(n, the environment's count or 1)``, so the default policy is the same as
  ``set_num_threads(get_num_threads())``: saving and restoring the count restores the policy.

Where no OpenBLAS is found (another BLAS), the BLAS part is a no-op.
"""
import contextvars
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


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


_ENV = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')
_setting = [None]   # set_num_threads' n (or the environment's); None: the default policy
_blas_cap = [1]     # BLAS's own thread count at most: the environment's count, else 1


def set_num_threads(n):
    """Use ``n`` threads: for the convolutions' batch chunks and large matrix products (Python
    threads, each GEMM on one BLAS thread). BLAS itself stays on ``min(n, the environment's
    count or 1)`` threads, so ``n = get_num_threads(); ...; set_num_threads(n)`` restores the
    default policy.

    >>> import numtorch
    >>> numtorch.set_num_threads(1); numtorch.get_num_threads()
    1
    """
    n = int(n)
    if n < 1:
        raise RuntimeError('set_num_threads expects a positive integer')
    _setting[0] = n
    if _find():
        _set(ctypes.c_int(min(n, _blas_cap[0])))


def get_num_threads():
    """The threads numtorch's ops use: ``set_num_threads``' value (or the thread count given in
    the environment), by default the number of cores this process may run on.

    >>> import numtorch
    >>> numtorch.get_num_threads() >= 1
    True
    """
    return _setting[0] or _cores()


def blas_num_threads():
    """The thread count NumPy's BLAS uses now (1 when it cannot be told)."""
    if _find():
        return int(_get())
    return 1


def _default_policy():
    """At import: BLAS on one thread, unless the environment chose a count (then that count is
    numtorch's too)."""
    for var in _ENV:
        v = os.environ.get(var, '').split(',')[0].strip()
        if v.isdigit() and int(v) > 0:
            _setting[0] = _blas_cap[0] = int(v)
            return
    if _find():
        _set(ctypes.c_int(1))


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


_default_policy()


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
        # each helper runs in a copy of the caller's context: NumPy's error state (backward
        # passes ignore floating-point warnings, as torch is silent) lives in a context variable
        helpers = [_executor(n - 1).submit(contextvars.copy_context().run, work)
                   for _ in range(n - 1)]
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


#: Products of at least this many flops (2*m*k*n) split their rows over ``run_chunks``' threads.
#: Measured on the 2-core machine (one BLAS thread per GEMM, float32): 4096x256 @ 256x1024 (2.1
#: GFLOP, the transformer block's Linear) 21.9 ms on one thread, 11.3 ms in row chunks on two
#: threads with a core free (OpenBLAS's two threads: 11.2 ms), 21.4 vs 22.3 ms with the other
#: core busy (chunks do not collapse where OpenBLAS's spinning threads do). 256x784 @ 784x256
#: (the MLP's three products, 103 MFLOP; min/mean of 300): 0.98/1.00 ms on one thread, 0.57/0.60
#: ms in two 128-row chunks with a core free, mean 1.05-1.12 ms with the other core busy (two
#: chunks cannot rebalance: +10%). bench/threads.py's MLP rows, default over best fixed count:
#: 1.54 / 1.00 / 1.59 (idle / busy / 4 workers) with the threshold at 200 MFLOP, 0.96 / 1.11 /
#: 1.06 at 100 MFLOP. LeNet's products (<= 25 MFLOP) stay one call.
BIG_GEMM_FLOPS = 100e6
_GEMM_MIN_ROWS = 128   # rows per chunk at least (OpenBLAS's kernels block far below this)


def gemm(a, b):
    """``a @ b`` for 2-D NumPy arrays; a large product in row chunks over the threads.

    Each chunk is one GEMM on one BLAS thread writing its own rows of the result, computed by
    the same kernel with the same reduction order as the whole product, so the result is the
    same for any thread count (tested).

    >>> import numpy as np
    >>> gemm(np.ones((2, 3)), np.ones((3, 4))).tolist()
    [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
    """
    m, k = a.shape
    n = b.shape[1]
    if 2 * m * k * n < BIG_GEMM_FLOPS:   # first: the small products of the hot path pay one test
        return a @ b
    t = _setting[0] or _cores()
    if t == 1 or m < 2 * _GEMM_MIN_ROWS or n < 16 or a.dtype != b.dtype or a.dtype.char not in 'fd':
        return a @ b
    out = np.empty((m, n), a.dtype)
    rows = max(_GEMM_MIN_ROWS, -(-m // (4 * t)))   # ~4 chunks a thread: a stalled one is covered

    def chunk(r0):
        np.matmul(a[r0:r0 + rows], b, out=out[r0:r0 + rows])
    run_chunks(chunk, range(0, m, rows))
    return out


#: Elementwise passes over at least this many elements split into contiguous ranges over
#: ``run_chunks``' threads (``split_run``); smaller ones are one call (a thread hand-off costs
#: ~20-40 us, a 256K-element float32 pass ~50-150 us). Measured in docs/speed.md.
SPLIT_MIN = 1 << 18
_SPLIT_ALIGN = 4096   # range starts are multiples of this: every range's SIMD loop is aligned alike


def split_run(fn, n, per=1):
    """``fn(lo, hi)`` over ``[0, n)`` cut into contiguous ranges, spread over ``run_chunks``'
    threads when the ``n`` items of ``per`` elements each hold at least ``SPLIT_MIN`` elements
    and there are several threads; else one ``fn(0, n)``. ``per > 1``: the items are rows (the
    batch axis of a per-channel broadcast), ranges are then rows.

    For elementwise work (NumPy ufuncs release the GIL): each element is computed by the same
    kernel whatever range holds it, so the result is the same for any thread count (tested).

    >>> out = [0] * 10
    >>> def f(lo, hi): out[lo:hi] = [1] * (hi - lo)
    >>> split_run(f, 10); sum(out)
    10
    """
    if n * per < SPLIT_MIN:   # first: the small arrays of the hot path pay one test
        fn(0, n)
        return
    t = _setting[0] or _cores()
    if t == 1 or n == 1:
        fn(0, n)
        return
    # ~2 ranges a thread, of at least SPLIT_MIN / 2 elements: a stalled thread is covered
    step = max((SPLIT_MIN >> 1) // per, -(-n // (2 * t)), 1)
    if per == 1:
        step = -(-step // _SPLIT_ALIGN) * _SPLIT_ALIGN
    run_chunks(lambda lo: fn(lo, min(lo + step, n)), range(0, n, step))



#: Cache-blocked passes (``blocks``) cut an array into blocks of about this many elements, so a
#: chain of NumPy calls over one block reads memory once and then works in cache. Larger blocks
#: pay less Python per element; batch norm's passes on ResNet-18's activations, one thread:
#: 2.9 / 2.66 / 2.63 / 2.55 / 2.46 ms per (64, 64, 32, 32) pass with 16K / 32K / 64K / 128K /
#: 256K-element blocks (the L2 cache is 1 MB a core, the L3 32 MB), so 256K (1 MB of float32).
BLOCK_ELEMS = 1 << 18


def even_split(n, per):
    """The part size that cuts ``n`` items into parts of at most ``per``: as few parts as
    that allows, but an even number when there are several, and of even sizes, so that two
    threads finish together. Depends on ``n`` and ``per`` only, never on the thread count.

    >>> even_split(256, 49), even_split(64, 22), even_split(10, 20), even_split(3, 1)
    (43, 16, 10, 1)
    """
    if n <= per:
        return max(n, 1)
    count = -(-n // per)
    count = min(n, count + (count & 1))
    return -(-n // count)


def blocks(n, m, unit, size=None):
    """Blocks ``(i0, i1, c0, c1)`` covering an ``(n, m)`` array (``n`` images of ``m`` elements,
    which come in rows of ``unit``), of about ``size`` (default ``BLOCK_ELEMS``) elements:
    whole images, several a block, when one holds at most that; else ranges of whole rows of
    one image. The blocks depend only on the shape, never on the thread count.

    >>> blocks(4, BLOCK_ELEMS // 2, 1)
    [(0, 2, 0, 131072), (2, 4, 0, 131072)]
    >>> blocks(1, 10, 1, size=4)
    [(0, 1, 0, 4), (0, 1, 4, 8), (0, 1, 8, 10)]
    """
    size = size or BLOCK_ELEMS
    if m <= size:
        # even blocks (even_split): LeNet-BN's first batch norm, (256, 6, 28, 28), was blocks
        # of 55, 55, 55, 55 and 36 images, one of two threads idle for a fifth of each pass
        k = even_split(n, max(1, size // max(m, 1)))
        return [(i, min(i + k, n), 0, m) for i in range(0, n, k)]
    w = max(1, size // unit) * unit
    return [(i, i + 1, c, min(c + w, m)) for i in range(n) for c in range(0, m, w)]


def run_blocks(fn, blks, size):
    """``fn(*block)`` for each block of ``blks`` (from ``blocks``), over ``run_chunks``' threads
    when the array holds at least ``SPLIT_MIN`` elements (``size``), else in order. For
    blockwise work, so the result is the same for any thread count (tested)."""
    if size < SPLIT_MIN or len(blks) == 1 or (_setting[0] or _cores()) == 1:
        for b in blks:
            fn(*b)
        return
    run_chunks(lambda b: fn(*b), blks)


def contiguous_copy(a):
    """A C-contiguous copy of the NumPy array ``a``.

    A large transposed matrix (``a.reshape(len(a), -1)`` a view whose first axis is the
    contiguous one: a GEMM's result read transposed, as a convolution's weight gradient) is
    copied 16 of its source rows at a time, so every cache line read or written is used whole:
    3.3 against 12.0 ms for a 512x512x3x3 float32 weight gradient on one thread (ResNet-18's
    AccumulateGrad copied 45 MB of those a step); the ranges of source rows are spread over the
    threads (``split_run``). Anything else is ``a.copy()``.

    >>> import numpy as np
    >>> m = np.arange(6.).reshape(3, 2).T
    >>> contiguous_copy(m).tolist(), contiguous_copy(m).flags.c_contiguous
    ([[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]], True)
    """
    if a.ndim < 2 or a.size < _TRANSPOSED_MIN:
        return a.copy()
    n0 = a.shape[0]
    a2 = a.reshape(n0, -1)
    if a2.flags.owndata:          # reshape had to copy: that copy is the result
        return a2.reshape(a.shape)
    if a2.strides[0] != a.itemsize:
        return a.copy()
    out = np.empty(a2.shape, a.dtype)

    def part(lo, hi):
        for j in range(lo, hi, 16):
            k = min(j + 16, hi)
            out[:, j:k] = a2[:, j:k]
    split_run(part, a2.shape[1], n0)
    return out.reshape(a.shape)


_TRANSPOSED_MIN = 1 << 15   # smaller arrays fit in cache: one plain copy
