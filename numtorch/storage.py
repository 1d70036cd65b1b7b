"""``numtorch.storage``: minimal ``UntypedStorage`` / ``TypedStorage`` (what ``Tensor.storage()``
and ``untyped_storage()`` return) and the memory-placement methods real scripts call on tensors
(``pin_memory``, ``is_pinned``, ``share_memory_``, ``is_shared``).

A storage here is a view of the tensor's base NumPy buffer: enough for ``data_ptr()``,
``nbytes()``, ``size()``, ``tolist()``, indexing and sharing checks (``a.untyped_storage().data_ptr()
== b.untyped_storage().data_ptr()``), not a resizable allocation.

On a CPU-only machine torch's ``pin_memory()`` raises (no accelerator); numtorch instead returns
a copy and reports it pinned, so GPU-era data pipelines run unchanged. ``share_memory_()`` is a
no-op flag: numtorch tensors are process-local NumPy arrays.
"""
import warnings

import numpy as np


def _root(a):
    """The ndarray that owns ``a``'s memory (following views)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class UntypedStorage:
    """The bytes behind a tensor.

    >>> import numtorch
    >>> numtorch.zeros(2, 3).untyped_storage().nbytes()
    24
    """

    def __init__(self, data=None):
        if data is None:
            data = np.zeros(0, np.uint8)
        elif isinstance(data, int):
            data = np.zeros(data, np.uint8)
        self._buf = _root(data)

    def _bytes(self):
        return self._buf.reshape(-1).view(np.uint8) if self._buf.flags.c_contiguous \
            else np.frombuffer(self._buf.tobytes(), np.uint8)

    def nbytes(self):
        """Size in bytes."""
        return self._buf.nbytes

    def size(self):
        """Size in bytes (an untyped storage counts bytes)."""
        return self._buf.nbytes

    __len__ = size

    def data_ptr(self):
        """Address of the first byte."""
        return self._buf.__array_interface__['data'][0]

    def element_size(self):
        return 1

    @property
    def device(self):
        from ._device import device
        return device('cpu')

    @property
    def is_cuda(self):
        return False

    def tolist(self):
        """The bytes as a list of ints."""
        return self._bytes().tolist()

    def __getitem__(self, i):
        return self._bytes()[i].tolist()

    def __iter__(self):
        return iter(self.tolist())

    def is_pinned(self, device='cuda'):
        return False

    def is_shared(self):
        return False

    def share_memory_(self):
        return self

    def cpu(self):
        return self

    def __repr__(self):
        body = '\n'.join(f' {b}' for b in self.tolist())
        return f'{body}\n[torch.storage.UntypedStorage(device=cpu) of size {self.size()}]'.lstrip('\n')


class TypedStorage:
    """A storage seen as elements of one dtype (``Tensor.storage()``; deprecated in torch).

    >>> import numtorch, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     numtorch.arange(3.).storage().tolist()
    [0.0, 1.0, 2.0]
    """

    def __init__(self, data):
        self._buf = _root(data)
        self._flat = self._buf.reshape(-1) if self._buf.flags.c_contiguous else self._buf.ravel()

    @property
    def dtype(self):
        from ._dtype import _BY_NP
        return _BY_NP[self._buf.dtype]

    def size(self):
        """Number of elements."""
        return self._flat.size

    __len__ = size

    def nbytes(self):
        return self._buf.nbytes

    def element_size(self):
        return self._buf.itemsize

    def data_ptr(self):
        return self._buf.__array_interface__['data'][0]

    @property
    def device(self):
        from ._device import device
        return device('cpu')

    def tolist(self):
        return self._flat.tolist()

    def __getitem__(self, i):
        return self._flat[i].tolist()

    def __iter__(self):
        return iter(self.tolist())

    def untyped(self):
        return UntypedStorage(self._buf)

    def _untyped_storage(self):
        return UntypedStorage(self._buf)

    def is_pinned(self, device='cuda'):
        return False

    def is_shared(self):
        return False

    def __repr__(self):
        body = '\n'.join(f' {v}' for v in self.tolist())
        dt = str(self.dtype).replace('numtorch.', 'torch.')
        return f'{body}\n[torch.storage.TypedStorage(dtype={dt}, device=cpu) of size {self.size()}]'.lstrip('\n')


# ---------------------------------------------------------------- Tensor methods

def untyped_storage(self):
    """The tensor's memory as an ``UntypedStorage`` (views share their base's).

    >>> import numtorch
    >>> x = numtorch.zeros(4)
    >>> x[1:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    True
    """
    return UntypedStorage(self._data)


def storage(self):
    """The tensor's memory as a ``TypedStorage`` (deprecated in torch, with its warning)."""
    warnings.warn('TypedStorage is deprecated. It will be removed in the future and UntypedStorage '
                  'will be the only storage class. This should only matter to you if you are '
                  'using storages directly.  To access UntypedStorage directly, use '
                  'tensor.untyped_storage() instead of tensor.storage()', UserWarning, stacklevel=2)
    return TypedStorage(self._data)


def pin_memory(self, device=None):
    """A copy marked pinned (page-locked memory does not exist for numtorch's NumPy arrays).

    >>> import numtorch
    >>> numtorch.ones(2).pin_memory().is_pinned()
    True
    """
    if self.is_pinned():
        return self
    out = self.clone()
    out._pinned = True
    return out


def is_pinned(self, device=None):
    """Whether ``pin_memory()`` made this tensor."""
    return getattr(self, '_pinned', False)


def share_memory_(self):
    """Mark the tensor shared (a no-op for numtorch's process-local arrays); returns self.

    >>> import numtorch
    >>> numtorch.ones(2).share_memory_().is_shared()
    True
    """
    self._shared = True
    return self


def is_shared(self):
    """Whether ``share_memory_()`` was called."""
    return getattr(self, '_shared', False)


__all__ = []
METHODS = {'untyped_storage': untyped_storage, 'storage': storage, 'pin_memory': pin_memory,
           'is_pinned': is_pinned, 'share_memory_': share_memory_, 'is_shared': is_shared}
