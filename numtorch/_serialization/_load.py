"""Reading a checkpoint: torch's zip format, and the legacy (pre-1.6) stream of pickles.

Both go through the restricted unpickler and ``Rebuilder``; storage sizes are checked against
the records before a byte is allocated, and the finished object is depth-checked.
"""
import io
import mmap as _mmap
import sys

import numpy as np

from ._errors import CheckpointError, UnpicklingError
from ._rebuild import Rebuilder
from ._unpickler import Unpickler, check_depth
from ._zip import ZipReader

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001
_MAX_VERSION = 20   # torch 2.13 writes version 3; refuse numbers from a far future (or garbage)


def load_file(f, map_location, use_mmap):
    """Load from a seekable binary file object positioned at the checkpoint's first byte."""
    base = f.tell()
    size = f.seek(0, 2) - base
    f.seek(base)
    head = f.read(8)
    f.seek(base)
    if size == 0:
        raise CheckpointError('the checkpoint file is empty')
    if head[:4] in (b'PK\x03\x04', b'PK\x05\x06'):
        return _load_zip(f, base, size, map_location, use_mmap)
    if head[:1] == b'\x80':
        if use_mmap:
            raise CheckpointError('mmap=True needs the zip format (torch.save\'s default since '
                                  'torch 1.6); this file is in the legacy format')
        return _load_legacy(f.read(size), map_location)
    raise CheckpointError(f'not a checkpoint: the file starts with {head!r}, neither a zip '
                          'archive (torch.save) nor a legacy torch pickle')


def _unpickler(data, rb):
    return Unpickler(data, rb.allowed, rb.callables, rb.persistent_load, rb.build, rb.newobj)


def _native(arr, byteorder):
    if byteorder != sys.byteorder and arr.dtype.itemsize > 1:
        arr = arr.byteswap(inplace=arr.flags.writeable)
    if arr.dtype == np.bool_:
        # torch reads any nonzero byte as True; NumPy would keep the raw byte
        u8 = arr.view(np.uint8)
        if u8.size and u8.max() > 1:
            arr = u8 != 0
    return arr


def _load_zip(f, base, size, map_location, use_mmap):
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
    if z.has(f'{prefix}/version'):
        v = z.read(f'{prefix}/version').strip()
        if not v.isdigit() or int(v) > _MAX_VERSION:
            raise CheckpointError(f'unsupported checkpoint format version {v[:20]!r}')
    mm = None
    if use_mmap:
        try:
            fileno = f.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            raise ValueError('f must be a file path or a file object with a fileno in order to '
                             'use mmap') from None
        # MAP_PRIVATE (copy-on-write) as torch does: tensors are writable, the file never changes
        mm = _mmap.mmap(fileno, 0, access=_mmap.ACCESS_COPY)

    def fetch(key, dt, numel, location):
        name = f'{prefix}/data/{key}'
        if not z.has(name):
            raise CheckpointError(f'storage {key!r} has no record {name!r} in the archive')
        r = z.records[name]
        nbytes = numel * dt.itemsize
        if r.usize != nbytes:
            raise CheckpointError(f'storage {key!r} claims {numel} {dt} elements ({nbytes} '
                                  f'bytes) but its record holds {r.usize} bytes')
        if mm is not None and r.method == 0:
            arr = np.frombuffer(mm, dt.np, numel, z.data_offset(name))
        else:
            arr = np.empty(numel, dt.np)
            z.readinto(name, arr)
        return _native(arr, byteorder)

    rb = Rebuilder(fetch, map_location)
    try:
        obj, end = _unpickler(z.read(pkl), rb).load(0)
    finally:
        rb.close()
    check_depth(obj)
    return obj


def _load_legacy(data, map_location):
    """torch.save(..., _use_new_zipfile_serialization=False): magic, protocol, sys_info, the
    object pickle, the list of storage keys, then each storage as an int64 count + raw bytes."""
    plain = Rebuilder(lambda *a: None, map_location)
    magic, pos = _unpickler(data, plain).load(0)
    if magic != LEGACY_MAGIC:
        raise CheckpointError('not a torch checkpoint: a pickle without torch\'s magic number')
    proto, pos = _unpickler(data, plain).load(pos)
    if proto != LEGACY_PROTOCOL:
        raise CheckpointError(f'unsupported legacy checkpoint protocol {proto!r:.40}')
    info, pos = _unpickler(data, plain).load(pos)
    little = info.get('little_endian', True) if type(info) is dict else True
    # Pass 1 learns each storage's dtype and size (no data yet); the keys list after the object
    # pickle gives their order in the file; pass 2 rebuilds with validated data.
    wanted = {}

    def meta(key, dt, numel, location):
        wanted[key] = (dt, numel)
        return None

    main = pos
    _, pos = _unpickler(data, Rebuilder(meta, map_location)).load(main)
    keys, pos = _unpickler(data, plain).load(pos)
    if type(keys) is not list or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
        raise CheckpointError('legacy checkpoint: malformed storage key list')
    arrays = {}
    for key in keys:
        if key not in wanted:
            raise CheckpointError(f'legacy checkpoint: unknown storage key {key!r:.40}')
        dt, numel = wanted[key]
        if pos + 8 > len(data):
            raise CheckpointError('legacy checkpoint is truncated')
        count = int.from_bytes(data[pos:pos + 8], 'little' if little else 'big', signed=True)
        if count != numel:
            raise CheckpointError(f'legacy storage {key!r} holds {count} elements, its tensors '
                                  f'say {numel}')
        pos += 8
        nbytes = numel * dt.itemsize
        if pos + nbytes > len(data):
            raise CheckpointError(f'legacy checkpoint is truncated inside storage {key!r}')
        arrays[key] = _native(np.frombuffer(data, dt.np, numel, pos).copy(),
                              'little' if little else 'big')
        pos += nbytes
    missing = set(wanted) - set(arrays)
    if missing:
        raise CheckpointError(f'legacy checkpoint: no data for storages {sorted(missing)[:5]}')

    def fetch(key, dt, numel, location):
        return arrays[key]

    rb = Rebuilder(fetch, map_location)
    try:
        obj, _ = _unpickler(data, rb).load(main)
    finally:
        rb.close()
        plain.close()
    check_depth(obj)
    return obj


__all__ = ['load_file', 'CheckpointError', 'UnpicklingError']
