"""The seam between numtorch and its array libraries: the array decides the device.

A tensor's ``_data`` is an array of some registered type; that type names its ``Backend``:
NumPy's ``ndarray`` is the ``cpu`` backend, CuPy's ``ndarray`` the ``cuda`` one (registered
lazily by ``numtorch.cuda`` the first time CUDA is used), and the strict stand-in of
``numtorch.testing.stand_in`` plays ``cuda`` in tests on machines without a GPU. Each op node
takes its array namespace from its inputs (``namespace(array)``, Chainer's
``get_array_module``) when ``_apply`` builds it; nothing else chooses.

``xp`` stays NumPy: it is the CPU namespace, and (through NumPy's ``__array_function__`` /
``__array_ufunc__`` protocols, which CuPy implements) a pure function of array inputs called as
``xp.exp(a)`` already runs on ``a``'s device. Code that *creates* arrays inside an op uses the
node's ``self.xp`` instead, so the new array lands where the inputs live.

>>> import numpy as np
>>> from numtorch import _backend
>>> _backend.namespace(np.zeros(2)) is np, str(_backend.device_of(np.zeros(2)))
(True, 'cpu')
"""
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided as _as_strided

from ._device import device, CPU
from ._threads import conv_threads as _conv_threads, run_chunks as _run_chunks, gemm as _gemm, \
    split_run as _split_run, blocks as _blocks, run_blocks as _run_blocks, \
    contiguous_copy as _contiguous_copy, even_split as _even_split
from . import _malloc

_malloc.tune()   # the CPU's allocation policy: activations' pages stay mapped (_malloc.py)

xp = np
ndarray = np.ndarray


class Backend:
    """One array library on one kind of device. Subclasses override the hooks below.

    ``xp``: the array namespace (NumPy's API). ``array_type``: its array class.
    ``to_host(a)``: an ``np.ndarray`` copy of a device array (the device -> host boundary).
    ``from_host(a, index)``: a device array from a host array on device ``index``.
    """
    type = 'cpu'
    xp = np
    array_type = np.ndarray

    def device(self, arr):
        return CPU

    def to_host(self, arr):
        return arr

    def from_host(self, arr, index=None):
        return arr

    def device_count(self):
        return 1

    def check_index(self, index):
        """Raise torch's error if device ``index`` does not exist."""

    def generator_for(self, index):
        """The default random generator of device ``index``."""
        from .random import default_generator
        return default_generator

    def special(self, name):
        """This device's own kernel for the elementwise special function ``name`` (scipy.special's
        names: ``'erf'``, ``'gammaln'``, ``'i0'`` ...; CUDA: ``cupyx.scipy.special``), or None:
        numtorch's generic code (``_ops/pointwise/_special_kernels.py``, written with ``xp``
        ops) computes it."""
        return None

    def ufunc_at(self, name, arr, index, values):
        """``<ufunc name>.at(arr, index, values)`` in place: repeated indices accumulate
        (NumPy's and CuPy's ``ufunc.at``; a namespace without it overrides this)."""
        getattr(self.xp, name).at(arr, index, values)

    # -- convolution and pooling machinery (issues 9 and 14): how windows are viewed, how a
    # convolution's batch is chunked and threaded, and its scratch memory are properties of the
    # device, so they live here and the op classes in _ops/nn/conv.py and _ops/nn/pool.py are the same
    # on every backend. The CPU's choices (CPUBackend below) cite the measurements behind them.
    def strided(self, arr, shape, strides):
        """A writeable view of ``arr`` with ``shape``/``strides`` (in bytes): the im2col and
        pooling windows. Device libraries (CuPy, the stand-in) offer NumPy's ``as_strided``."""
        return self.xp.lib.stride_tricks.as_strided(arr, shape, strides)

    def conv_scope(self):
        """Context around a convolution's GEMMs: nothing to set on a device."""
        return _NO_SCOPE

    def conv_run(self, fn, n, image_bytes):
        """Call ``fn(start, count)`` over the ``n`` images of a convolution's batch; each call
        is independent of the others. ``image_bytes``: one image's share of the im2col matrix.
        On a device: the whole batch in one call (one large GEMM is what a GPU wants)."""
        with self.conv_scope():
            fn(0, n)

    def workspace(self, n, dtype):
        """A scratch array of ``n`` elements for one chunk's im2col matrix (fresh on a device,
        whose allocator pools memory itself)."""
        return self.xp.empty(n, dtype)

    def gemm(self, a, b):
        """``a @ b`` for 2-D arrays (``Linear``'s products): one call on a device."""
        return a @ b

    def gemm_block(self, pk, m):
        """Column block length for a convolution chunk's product of a small (P, K) matrix
        (``pk = P*K`` elements) with a (K, ``m``) one, or 0 for one GEMM: on a device, one."""
        return 0

    def split_run(self, fn, n, per=1):
        """Call ``fn(lo, hi)`` over ``[0, n)``: an elementwise pass over ``n`` items (flat
        elements, or rows of ``per`` elements) whose ranges are independent. On a device: one
        call, the kernel launch covers the whole array."""
        fn(0, n)

    def blocks(self, n, m, unit, size=None):
        """How a blockwise pass (batch norm's, SGD's) cuts an ``(n, m)`` array: blocks ``(i0,
        i1, c0, c1)``. On a device: one block, the kernel launch covers the whole array."""
        return [(0, n, 0, m)]

    def run_blocks(self, fn, blks, size):
        """Call ``fn(*block)`` for each block of ``blks``. On a device: in order."""
        for b in blks:
            fn(*b)


class _NoScope:
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_SCOPE = _NoScope()


class CPUBackend(Backend):
    """NumPy on the host, plus the CPU-only policy for convolutions (see ``numtorch._threads``)."""

    def strided(self, arr, shape, strides):
        return _as_strided(arr, shape, strides, writeable=True)

    def conv_scope(self):
        """One BLAS thread around a convolution's GEMMs: their few-row, very long operands are
        split badly by OpenBLAS across threads (``_threads.conv_threads`` has the figures)."""
        return _conv_threads()

    def conv_run(self, fn, n, image_bytes):
        """Chunks of images whose im2col matrix (~4 MB) stays in cache: written, multiplied and
        dropped without a trip to main memory (one unchunked call was 1.7x slower on an idle
        machine; 2 MB chunks no faster on one thread). The chunks are spread over
        ``numtorch.get_num_threads()`` Python threads, each GEMM on one BLAS thread
        (``_threads.run_chunks``), so both cores work without OpenBLAS's spinning threads."""
        # even chunks (_threads.even_split): LeNet's 256 images were 5 chunks of 49 and one of
        # 11, now 6 of 43; with 3 chunks one of two threads idled a third of the time (ResNet's
        # 256 -> 512 3x3/2 convolution, forward + backward on 2 threads: 59 -> 46 ms with 4)
        per = _even_split(n, max(1, self.CONV_CHUNK_BYTES // max(1, image_bytes)))
        _run_chunks(lambda start: fn(start, min(per, n - start)), range(0, n, per))

    CONV_CHUNK_BYTES = 4 << 20

    def workspace(self, n, dtype):
        """This thread's reused scratch buffer (its first ``n`` elements): a chunk's im2col
        matrix is then written into memory that is still in cache from the previous chunk, where
        a fresh 4 MB array costs page faults and cache misses (LeNet's conv2 forward+backward:
        17.5 ms with a fresh array per chunk, 13.5 ms reusing one, one thread)."""
        ws = _workspaces.__dict__
        key = dtype.str if hasattr(dtype, 'str') else np.dtype(dtype).str
        buf = ws.get(key)
        if buf is None or buf.size < n:
            buf = np.empty(n, dtype)
            if buf.nbytes <= 4 * self.CONV_CHUNK_BYTES:   # keep only chunk-sized buffers alive
                ws[key] = buf
        return buf[:n]


    def gemm(self, a, b):
        """Large products (``_threads.BIG_GEMM_FLOPS``, the measurement is there) in row chunks
        over ``get_num_threads()`` Python threads, each on one BLAS thread; the rest in one
        call on one BLAS thread. Same bits for any thread count."""
        return _gemm(a, b)

    def gemm_block(self, pk, m):
        """Blocks of ``SMALL_GEMM // pk`` columns, each product then within OpenBLAS's
        small-matrix kernel (it takes M*N*K <= 1e6 and skips the packing); one GEMM when the
        blocks would be under 256 columns or the product is one block already. Measured on
        LeNet's chunks (one BLAS thread, ms): conv1 forward (6, 25) @ (25, 41216) 0.28 -> 0.14,
        its weight gradient (25, M) @ (M, 6) 0.50 -> 0.17; conv2 forward (16, 150) @ (150, 6860)
        0.46 -> 0.33, input gradient (150, 16) @ (16, 6860) 0.39 -> 0.35."""
        mb = self.SMALL_GEMM // pk
        return mb if 256 <= mb < m else 0

    SMALL_GEMM = 1000000

    def split_run(self, fn, n, per=1):
        """Large elementwise passes (``_threads.SPLIT_MIN`` elements and more: the activations,
        batch norm, pooling, the optimizer's update) in contiguous ranges over
        ``get_num_threads()`` Python threads (NumPy's ufuncs release the GIL), as torch runs
        every op on all cores; small ones in one call. Same bits for any thread count."""
        _split_run(fn, n, per)

    def blocks(self, n, m, unit, size=None):
        """Cache-sized blocks (``_threads.blocks``, the measurement is at ``BLOCK_ELEMS``)."""
        return _blocks(n, m, unit, size)

    def run_blocks(self, fn, blks, size):
        """Large passes (``_threads.SPLIT_MIN`` elements and more) over
        ``get_num_threads()`` Python threads, block by block. Same bits for any thread count."""
        _run_blocks(fn, blks, size)


_workspaces = threading.local()   # per thread: dtype -> the CPU's conv scratch buffer


CPU_BACKEND = CPUBackend()
_BY_ARRAY = {np.ndarray: CPU_BACKEND}      # array class -> Backend
_BY_TYPE = {'cpu': CPU_BACKEND}            # device type -> Backend


ARRAYS = _BY_ARRAY   # `x.__class__ in ARRAYS`: x is some backend's array (not a Python scalar)


def is_array(x):
    """True for an array of any registered backend (NumPy's included)."""
    return x.__class__ in _BY_ARRAY or isinstance(x, tuple(_BY_ARRAY))


def register(backend):
    """Make ``backend`` the one for its device type and its array class."""
    _BY_ARRAY[backend.array_type] = backend
    _BY_TYPE[backend.type] = backend


def unregister(backend):
    """Remove ``backend`` (the test stand-in gives ``cuda`` back)."""
    if _BY_ARRAY.get(backend.array_type) is backend:
        del _BY_ARRAY[backend.array_type]
    if _BY_TYPE.get(backend.type) is backend:
        del _BY_TYPE[backend.type]


def backend_of(arr):
    """The Backend owning array ``arr`` (CPU for NumPy arrays and scalars)."""
    b = _BY_ARRAY.get(arr.__class__)
    if b is None:
        for cls, b in _BY_ARRAY.items():
            if isinstance(arr, cls):
                return b
        return CPU_BACKEND
    return b


def strided(arr, shape, strides):
    """``arr``'s backend's writeable strided view (``Backend.strided``), starting at ``arr``'s
    first element.

    A C-contiguous NumPy ``arr`` is viewed by the ``ndarray`` constructor: 0.8 against 2.7 us
    for ``as_strided`` (a LeNet step makes ~60 of these views, inside the convolutions'
    threaded chunks, where time holding the GIL holds up the other thread), and the
    constructor checks that the view stays inside ``arr`` (ValueError). So callers pass a flat
    slice of their buffer; views that reach before their first element (``Geom.shifted``'s
    negative strides) take ``as_strided``."""
    if arr.__class__ is ndarray:
        if arr.flags.c_contiguous and min(strides, default=0) >= 0:
            return ndarray(shape, arr.dtype, arr, 0, strides)
        return _as_strided(arr, shape, strides, writeable=True)
    return backend_of(arr).strided(arr, shape, strides)


def conv_scope(arr):
    """The context a convolution on ``arr``'s device runs its GEMMs in (``Backend.conv_scope``)."""
    return backend_of(arr).conv_scope()


def workspace(arr, n, dtype):
    """Scratch for ``n`` elements on ``arr``'s device (``Backend.workspace``)."""
    return backend_of(arr).workspace(n, dtype)


def conv_run(arr, fn, n, image_bytes):
    """Walk a convolution's batch of ``n`` images the way ``arr``'s device wants
    (``Backend.conv_run``)."""
    return backend_of(arr).conv_run(fn, n, image_bytes)


def gemm(a, b):
    """``a @ b`` (2-D) as ``a``'s device wants it (``Backend.gemm``)."""
    if a.__class__ is ndarray and b.__class__ is ndarray:
        return _gemm(a, b)
    return backend_of(a).gemm(a, b)


def gemm_block(arr, pk, m):
    """The column block of a convolution product on ``arr``'s device (``Backend.gemm_block``)."""
    return backend_of(arr).gemm_block(pk, m)


def split_run(arr, fn, n, per=1):
    """Run the elementwise pass ``fn(lo, hi)`` over ``[0, n)`` as ``arr``'s device wants it
    (``Backend.split_run``: on the CPU, large passes in ranges over the threads)."""
    if arr.__class__ is ndarray:
        _split_run(fn, n, per)
    else:
        backend_of(arr).split_run(fn, n, per)


def blocks(arr, n, m, unit, size=None):
    """The blocks ``(i0, i1, c0, c1)`` in which a blockwise pass over ``arr`` seen as ``(n,
    m)`` (rows of ``unit``) runs on its device (``Backend.blocks``: cache-sized on the CPU,
    about ``size`` elements, by default ``_threads.BLOCK_ELEMS``)."""
    if arr.__class__ is ndarray:
        return _blocks(n, m, unit, size)
    return backend_of(arr).blocks(n, m, unit, size)


def run_blocks(arr, fn, blks):
    """``fn(*block)`` for each of ``blks`` as ``arr``'s device wants it (``Backend.run_blocks``:
    on the CPU, over the threads for a large ``arr``)."""
    if arr.__class__ is ndarray:
        _run_blocks(fn, blks, arr.size)
    else:
        backend_of(arr).run_blocks(fn, blks, arr.size)


def contiguous_copy(arr):
    """A C-contiguous copy of ``arr`` (on the CPU a transposed matrix is copied in
    cache-friendly blocks: ``_threads.contiguous_copy``)."""
    if arr.__class__ is ndarray:
        return _contiguous_copy(arr)
    return arr.copy()


def namespace(arr):
    """The array namespace (``numpy``, ``cupy``, the stand-in) that computes on ``arr``."""
    if arr.__class__ is ndarray:
        return np
    return backend_of(arr).xp


def device_of(arr):
    """The ``numtorch.device`` where ``arr`` lives."""
    if arr.__class__ is ndarray:
        return CPU
    return backend_of(arr).device(arr)


def is_device_array(arr):
    """True for an array of a registered (non-NumPy) backend."""
    return arr.__class__ is not ndarray and arr.__class__ in _BY_ARRAY


def backend_for(dev):
    """The Backend serving ``dev`` (a ``device`` or string), loading CUDA on first use.

    Raises torch's error when the device type has no backend (``cuda`` without CuPy or GPU).
    """
    dev = dev if isinstance(dev, device) else device(dev)
    b = _BY_TYPE.get(dev.type)
    if b is None:
        if dev.type == 'cuda':
            from .cuda import _lazy_init
            _lazy_init()
            b = _BY_TYPE.get('cuda')
        if b is None:
            raise RuntimeError(f'numtorch supports only the cpu and cuda devices, got {dev}')
    return b


def ufunc_at(name, arr, index, values):
    """``numpy.<name>.at(arr, index, values)`` on ``arr``'s device (``name``: ``'add'``,
    ``'multiply'``, ``'maximum'``, ``'minimum'``): the scatter that accumulates repeated indices.

    >>> a = np.zeros(3); ufunc_at('add', a, np.array([0, 0, 2]), 1.); a
    array([2., 0., 1.])
    """
    if arr.__class__ is ndarray:
        getattr(np, name).at(arr, index, values)
    elif hasattr(arr, 'ufunc_at'):      # create_graph's GradArray records the scatter
        arr.ufunc_at(name, index, values)
    else:
        backend_of(arr).ufunc_at(name, arr, index, values)


def to_host(arr):
    """``arr`` as a NumPy array (no copy when it already is one): the device -> host boundary."""
    if arr.__class__ is ndarray:
        return arr
    return backend_of(arr).to_host(arr)


def to_device(arr, dev):
    """``arr`` (any backend's array) moved to ``dev``; the same array when already there."""
    dev = dev if isinstance(dev, device) else device(dev)
    src = device_of(arr)
    if dev.type == 'cuda' and dev.index is None:
        dev = device('cuda', backend_for(dev).current_device())
    if src == dev:
        return arr
    host = to_host(arr)
    if dev.type == 'cpu':
        return host
    b = backend_for(dev)
    b.check_index(dev.index)
    return b.from_host(host, dev.index)


def normalize(dev):
    """``None``/``'cpu'``/``'cuda'``/``device`` -> a concrete ``device`` (cuda gets its index),
    raising torch's errors for devices that cannot be used here."""
    if dev is None or dev is CPU:
        return CPU
    if isinstance(dev, int) and not isinstance(dev, bool):
        dev = device('cuda', dev)
    dev = dev if isinstance(dev, device) else device(dev)
    if dev.type == 'cpu':
        return CPU
    b = backend_for(dev)
    if dev.type == 'cuda':
        index = b.current_device() if dev.index is None else dev.index
        b.check_index(index)
        return device('cuda', index)
    return dev


def empty_on(dev, xp_fn, *args, **kwargs):
    """Call the creation function ``xp_fn`` name (``'zeros'``, ``'full'``...) on ``dev``."""
    dev = normalize(dev)
    if dev.type == 'cpu':
        return getattr(np, xp_fn)(*args, **kwargs)
    b = backend_for(dev)
    with b.on(dev.index):
        return getattr(b.xp, xp_fn)(*args, **kwargs)
# torch is silent where IEEE arithmetic gives inf or nan (log(0), 0/0, 1/0, overflow); NumPy warns.
# Ops that can meet these (``Node.quiet``) and the backward pass run with NumPy's floating-point
# errors ignored, through its context variable so the user's own ``np.seterr`` state is left
# alone. ``quiet_on()`` returns a token for ``quiet_off(token)``. Setting the variable directly
# costs ~0.1 us where ``np.errstate`` costs ~3 us per call.
try:   # NumPy >= 2
    from functools import partial as _partial
    from numpy._core.umath import _extobj_contextvar as _errvar
    from numpy._core._ufunc_config import _make_extobj as _make
    quiet_on = _partial(_errvar.set, _make(all='ignore'))
    quiet_off = _errvar.reset
except ImportError:   # NumPy 1.x: the (slower) public context manager
    def quiet_on():
        state = np.errstate(all='ignore')
        state.__enter__()
        return state

    def quiet_off(state):
        state.__exit__(None, None, None)
