"""Reading a checkpoint: torch's zip format, and the legacy (pre-1.6) stream of pickles.

Both go through the restricted unpickler and ``Rebuilder``; storage sizes are checked against
the records before a byte is allocated, and the finished object is depth-checked. Each pickle
gets a ``Budget`` of the file's size plus ``BUDGET_CONSTANT`` bytes for everything it builds
besides the storages (which are the file's own bytes), so a load never needs more than about
twice the file's size plus a constant, and its time is linear in the file's size.
"""
import gc
import io
import mmap as _mmap
import re
import sys

import numpy as np

from ._errors import CheckpointError, UnpicklingError, short
from ._rebuild import Rebuilder
from ._unpickler import Budget, Unpickler, check_depth
from ._zip import ZipReader

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001
_MIN_VERSION, _MAX_VERSION = 1, 10   # what torch 2.13 reads (it writes 3)
BUDGET_CONSTANT = 64 << 20
_VERSION = re.compile(rb'\s*([+-]?)0*([0-9]{1,19})(?![0-9])')


def load_file(f, map_location, use_mmap, unsafe=False):
    """Load from a seekable binary file object positioned at the checkpoint's first byte.

    The cyclic garbage collector is paused meanwhile (as a bulk loader should): the loader
    makes no cyclic garbage, and a collection every 700 new containers would make loading a
    pickle of many small containers several times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_file(f, map_location, use_mmap, unsafe)
    except (CheckpointError, _ArgumentError, OSError):
        raise
    except Exception:
        if unsafe:   # a trusted file's own classes raise what they raise, as in torch
            raise
        return _convert()
    finally:
        if enabled:
            gc.enable()


def _convert():
    """A safety net: a file may only cause the documented exceptions."""
    import sys as _sys
    e = _sys.exc_info()[1]
    if isinstance(e, MemoryError):
        raise CheckpointError('the checkpoint needs more memory than is available') from None
    if isinstance(e, RecursionError):
        raise UnpicklingError('the checkpoint nests too deeply') from None
    raise CheckpointError(f'malformed checkpoint: {type(e).__name__}: '
                          f'{short(str(e), 120)}') from None


class _ArgumentError(ValueError):
    """A bad argument (not a bad file): escapes ``load`` as the ValueError torch raises."""


def _load_file(f, map_location, use_mmap, unsafe):
    base = f.tell()
    size = f.seek(0, 2) - base
    f.seek(base)
    head = f.read(8)
    f.seek(base)
    if size == 0:
        raise CheckpointError('the checkpoint file is empty')
    if head[:4] in (b'PK\x03\x04', b'PK\x05\x06'):
        return _load_zip(f, base, size, map_location, use_mmap, unsafe)
    if head[:1] == b'\x80':
        if use_mmap:
            raise CheckpointError('mmap=True needs the zip format (torch.save\'s default since '
                                  'torch 1.6); this file is in the legacy format')
        if hasattr(f, 'readinto'):
            data = bytearray(size)
            got = f.readinto(data)
        else:
            data = bytearray(f.read(size))
            got = len(data)
        if got != size:
            raise CheckpointError('the checkpoint file ended early')
        return _load_legacy(data, map_location)
    raise CheckpointError(f'not a checkpoint: the file starts with {head!r}, neither a zip '
                          'archive (torch.save) nor a legacy torch pickle')


def _unpickler(data, rb, size):
    """An unpickler for one pickle of a file of ``size`` bytes, with its own budget."""
    budget = Budget(size + BUDGET_CONSTANT)
    u = Unpickler(data, rb.allowed, rb.callables, rb.persistent_load, rb.build, rb.newobj,
                  budget)
    rb.budget, rb.hashing = budget, u.hashing
    return u


def parse_version(v):
    """The ``version`` record as torch reads it (``strtoll``: leading blanks, a sign, leading
    zeros and trailing text are fine), checked against the versions torch 2.13 reads.

    >>> parse_version(b'0003\\n'), parse_version(b' +3x')
    (3, 3)
    """
    m = _VERSION.match(v)
    if m is None:
        raise CheckpointError(f"Couldn't parse the version {short(v)} as Long Long.")
    n = int(m.group(2)) * (-1 if m.group(1) == b'-' else 1)
    if n < _MIN_VERSION:
        raise CheckpointError(f'Attempted to read a PyTorch file with version {n}, but the '
                              f'minimum supported version for reading is {_MIN_VERSION}.')
    if n > _MAX_VERSION:
        raise CheckpointError(f'Attempted to read a PyTorch file with version {n}, but the '
                              f'maximum supported version for reading is {_MAX_VERSION}.')
    return n


def _native(arr, byteorder):
    if byteorder != sys.byteorder and arr.dtype.itemsize > 1:
        arr = arr.byteswap(inplace=arr.flags.writeable)
    if arr.dtype == np.bool_:
        # torch reads any nonzero byte as True; NumPy would keep the raw byte
        u8 = arr.view(np.uint8)
        if u8.size and u8.max() > 1:
            arr = u8 != 0
    return arr


def _load_zip(f, base, size, map_location, use_mmap, unsafe=False):
    z = ZipReader(f, base, size)
    if not z.order or '/' not in z.order[0]:
        raise CheckpointError('invalid checkpoint archive: no records under a top folder')
    prefix = z.order[0].split('/', 1)[0]
    pkl = f'{prefix}/data.pkl'
    if not z.has(pkl):
        raise CheckpointError(f'invalid checkpoint archive: no {pkl} record')
    byteorder = 'little'
    if z.has(f'{prefix}/byteorder'):
        byteorder = z.read(f'{prefix}/byteorder').decode('ascii', 'replace')
        if byteorder not in ('little', 'big'):
            raise CheckpointError(f'Unknown endianness type: {byteorder[:20]!r}')
    for rec in (f'{prefix}/version', f'{prefix}/.data/version'):   # torch reads either
        if z.has(rec):
            parse_version(z.read(rec))
            break
    mm = None
    if use_mmap:
        try:
            fileno = f.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            raise _ArgumentError('f must be a file path or a file object with a fileno in order to '
                             'use mmap') from None
        # MAP_PRIVATE (copy-on-write) as torch does: tensors are writable, the file never changes
        mm = _mmap.mmap(fileno, 0, access=_mmap.ACCESS_COPY)

    def fetch(key, dt, numel, location):
        name = f'{prefix}/data/{key}'
        if not z.has(name):
            raise CheckpointError(f'storage {short(key)} has no record {short(name)} in the '
                                  'archive')
        r = z.records[name]
        nbytes = numel * dt.itemsize
        if r.usize != nbytes:
            raise CheckpointError(f'storage {short(key)} claims {numel} {dt} elements ({nbytes} '
                                  f'bytes) but its record holds {r.usize} bytes')
        if mm is not None and r.method == 0:
            arr = np.frombuffer(mm, dt.np, numel, z.data_offset(name))
        else:
            arr = np.empty(numel, dt.np)
            z.readinto(name, arr)
        return _native(arr, byteorder)

    rb = Rebuilder(fetch, map_location)
    try:
        if unsafe:
            from ._objects import unsafe_load
            rb.budget, rb.hashing = Budget(1 << 62), lambda items, container=None: None
            return unsafe_load(z.read(pkl), rb)
        u = _unpickler(z.read(pkl), rb, size)
        obj, end = u.load(0)
        check_depth(obj, u.budget)
    finally:
        rb.close()
    return obj


def _load_legacy(data, map_location):
    """torch.save(..., _use_new_zipfile_serialization=False): magic, protocol, sys_info, the
    object pickle, the list of storage keys, then each storage as an int64 count + raw bytes."""
    size = len(data)
    plain = Rebuilder(lambda *a: None, map_location)
    magic, pos = _unpickler(data, plain, size).load(0)
    if magic != LEGACY_MAGIC:
        raise CheckpointError('not a torch checkpoint: a pickle without torch\'s magic number')
    proto, pos = _unpickler(data, plain, size).load(pos)
    if proto != LEGACY_PROTOCOL:
        raise CheckpointError(f'unsupported legacy checkpoint protocol {short(proto)}')
    info, pos = _unpickler(data, plain, size).load(pos)
    little = info.get('little_endian', True) if type(info) is dict else True
    # Pass 1 learns each storage's dtype and size (no data yet); the keys list after the object
    # pickle gives their order in the file; pass 2 rebuilds with validated data.
    wanted = {}

    def meta(key, dt, numel, location):
        wanted[key] = (dt, numel)
        return None

    main = pos
    _, pos = _unpickler(data, Rebuilder(meta, map_location), size).load(main)
    keys, pos = _unpickler(data, plain, size).load(pos)
    if type(keys) is not list or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
        raise CheckpointError('legacy checkpoint: malformed storage key list')
    arrays = {}
    for key in keys:
        if key not in wanted:
            raise CheckpointError(f'legacy checkpoint: unknown storage key {short(key)}')
        dt, numel = wanted[key]
        if pos + 8 > len(data):
            raise CheckpointError('legacy checkpoint is truncated')
        count = int.from_bytes(data[pos:pos + 8], 'little' if little else 'big', signed=True)
        if count != numel:
            raise CheckpointError(f'legacy storage {short(key)} holds {count} elements, its tensors '
                                  f'say {numel}')
        pos += 8
        nbytes = numel * dt.itemsize
        if pos + nbytes > len(data):
            raise CheckpointError(f'legacy checkpoint is truncated inside storage '
                                  f'{short(key)}')
        # views of the file's (writable) bytes: no second copy of the storages
        arrays[key] = _native(np.frombuffer(data, dt.np, numel, pos),
                              'little' if little else 'big')
        pos += nbytes
    missing = set(wanted) - set(arrays)
    if missing:
        raise CheckpointError(f'legacy checkpoint: no data for {len(missing)} storages, e.g. '
                              f'{short(next(iter(missing)))}')

    def fetch(key, dt, numel, location):
        return arrays[key]

    rb = Rebuilder(fetch, map_location)
    try:
        u = _unpickler(data, rb, size)
        obj, _ = u.load(main)
        check_depth(obj, u.budget)
    finally:
        rb.close()
        plain.close()
    return obj


__all__ = ['load_file', 'CheckpointError', 'UnpicklingError']
