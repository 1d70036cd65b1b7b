"""Hugging Face safetensors, in pure NumPy: ``save_file(tensors, path)`` / ``load_file(path)``.

Format: an 8-byte little-endian header length N, N bytes of JSON (``{name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}``, space-padded to 8 bytes), then the
raw little-endian data. The reader enforces what the format forbids -- duplicate keys, a header
longer than the file, offsets that overlap, leave holes or run past the data, a size that does
not match dtype x shape -- before reading any tensor.

Tied tensors (the same tensor under two names, e.g. tied embeddings) are stored once and the
alias is recorded in the metadata key ``numtorch.aliases``; ``load_file`` re-ties them.
"""
import json
import os
import struct

import numpy as np

from .. import _dtype
from ._errors import CheckpointError

_CODES = {'bool': 'BOOL', 'uint8': 'U8', 'int8': 'I8', 'int16': 'I16', 'uint16': 'U16',
          'float16': 'F16', 'int32': 'I32', 'uint32': 'U32', 'float32': 'F32',
          'float64': 'F64', 'int64': 'I64', 'uint64': 'U64', 'complex64': 'C64',
          'bfloat16': 'BF16', 'float8_e4m3fn': 'F8_E4M3', 'float8_e5m2': 'F8_E5M2'}
_FROM_CODE = {v: _dtype._BY_NAME[k] for k, v in _CODES.items()}
_MAX_HEADER = 100_000_000   # the safetensors package's own limit
_ALIASES = 'numtorch.aliases'


class SafetensorError(CheckpointError):
    """A safetensors file breaks the format's rules (or could not be written)."""


def _bad(msg):
    raise SafetensorError(f'invalid safetensors file: {msg}')


def save_file(tensors, filename, metadata=None):
    """Write a ``dict[str, Tensor]`` to ``filename`` in the safetensors format (atomically).

    >>> import numtorch, tempfile, os
    >>> from numtorch.serialization import save_file, load_file
    >>> path = os.path.join(tempfile.mkdtemp(), 'm.safetensors')
    >>> w = numtorch.ones(2, 2)
    >>> save_file({'a': w, 'b': w, 'c': numtorch.arange(3)}, path)
    >>> d = load_file(path)
    >>> d['a'] is d['b'], d['c']
    (True, tensor([0, 1, 2]))
    """
    from .._tensor import Tensor
    from ..serialization import _atomic_write
    if not isinstance(tensors, dict):
        raise TypeError(f'save_file expects a dict of tensors, got {type(tensors).__name__}')
    meta = dict(metadata or {})
    if not all(type(k) is str and type(v) is str for k, v in meta.items()):
        raise TypeError('safetensors metadata must map str to str')
    seen, aliases, arrays = {}, {}, []
    for name, t in tensors.items():
        if type(name) is not str:
            raise TypeError(f'tensor names must be str, got {name!r}')
        if not isinstance(t, Tensor):
            raise TypeError(f'{name!r} is a {type(t).__name__}, not a Tensor')
        a = t._data
        if a.dtype.name not in _CODES:
            raise TypeError(f'{name!r}: safetensors has no code for dtype {t.dtype}')
        ident = (a.__array_interface__['data'][0], a.shape, a.strides, a.dtype.str)
        if a.size and ident in seen:   # the same memory viewed the same way: a tied tensor
            aliases[name] = seen[ident]
            continue
        seen[ident] = name
        arrays.append((name, a if a.flags.c_contiguous else a.copy()))
    if aliases:
        meta[_ALIASES] = json.dumps(aliases, sort_keys=True)
    # the safetensors package's order: larger items first (keeps data aligned), then by name
    arrays.sort(key=lambda na: (-na[1].itemsize, na[0]))
    header, off = {}, 0
    for name, a in arrays:
        header[name] = {'dtype': _CODES[a.dtype.name], 'shape': list(a.shape),
                        'data_offsets': [off, off + a.nbytes]}
        off += a.nbytes
    if meta:
        header = {'__metadata__': meta, **header}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)

    def write(fh):
        fh.write(struct.pack('<Q', len(h)))
        fh.write(h)
        for _, a in arrays:
            if a.size:
                fh.write(a.reshape(-1).view(np.uint8))

    _atomic_write(os.fsdecode(filename), write)


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            _bad(f'duplicate key {k!r} in the header')
        d[k] = v
    return d


def _header(f, size):
    if size < 8:
        _bad(f'the file has {size} bytes, too short for a header length')
    n = struct.unpack('<Q', f.read(8))[0]
    if n > _MAX_HEADER:
        _bad(f'header length {n} exceeds the {_MAX_HEADER}-byte limit')
    if 8 + n > size:
        _bad(f'header length {n} is longer than the file ({size} bytes)')
    raw = f.read(n)
    try:
        header = json.loads(raw.decode('utf-8'), object_pairs_hook=_no_duplicates)
    except SafetensorError:
        raise
    except (ValueError, RecursionError) as e:
        _bad(f'header is not valid JSON ({type(e).__name__}: {str(e)[:80]})')
    if type(header) is not dict:
        _bad('header is not a JSON object')
    meta = header.pop('__metadata__', None) or {}
    if type(meta) is not dict or not all(type(v) is str for v in meta.values()):
        _bad('__metadata__ must map str to str')
    entries = []
    for name, e in header.items():
        if type(e) is not dict or set(e) != {'dtype', 'shape', 'data_offsets'}:
            _bad(f'entry {name!r} must have exactly dtype, shape and data_offsets')
        dt = _FROM_CODE.get(e['dtype']) if type(e['dtype']) is str else None
        if dt is None:
            _bad(f'entry {name!r} has unsupported dtype {e["dtype"]!r:.20}')
        shape, offs = e['shape'], e['data_offsets']
        if (type(shape) is not list or len(shape) > 64
                or not all(type(s) is int and 0 <= s < 1 << 62 for s in shape)):
            _bad(f'entry {name!r} has a malformed shape')
        if type(offs) is not list or len(offs) != 2 or not all(type(o) is int for o in offs):
            _bad(f'entry {name!r} has malformed data_offsets')
        numel = 1
        for s in shape:
            numel *= s
        if offs[0] < 0 or offs[1] - offs[0] != numel * dt.itemsize:
            _bad(f'entry {name!r}: data_offsets {offs} do not hold {shape} x {dt}')
        entries.append((offs[0], offs[1], name, dt, tuple(shape)))
    entries.sort()
    data_start, end = 8 + n, 0
    for begin, stop, name, _, _ in entries:
        if begin != end:
            _bad(f'entry {name!r} starts at {begin}, expected {end} (offsets overlap or leave a '
                 'hole)')
        end = stop
    if data_start + end != size:
        _bad(f'the data section holds {size - data_start} bytes but the header describes {end}')
    return meta, entries, data_start


def load_file(filename, device='cpu'):
    """Read a safetensors file into a ``dict[str, Tensor]`` (tied names share one tensor).

    The result can be passed straight to ``Module.load_state_dict``.
    """
    from .._ops._apply import wrap
    if str(device) != 'cpu':
        raise ValueError(f'numtorch only has the cpu device, got {device!r}')
    with open(os.fsdecode(filename), 'rb') as f:
        size = f.seek(0, 2)
        f.seek(0)
        meta, entries, start = _header(f, size)
        out = {}
        for begin, stop, name, dt, shape in sorted(entries, key=lambda e: e[0]):
            a = np.empty(shape, dt.np)
            if a.nbytes:
                f.seek(start + begin)
                if f.readinto(a.reshape(-1).view(np.uint8)) != a.nbytes:
                    _bad(f'the file ended inside {name!r}')
            out[name] = wrap(a)
    order = {e[2]: i for i, e in enumerate(sorted(entries, key=lambda e: e[0]))}
    out = {k: out[k] for k in sorted(out, key=order.get)}
    if _ALIASES in meta:
        try:
            aliases = json.loads(meta[_ALIASES])
        except ValueError:
            _bad(f'metadata {_ALIASES!r} is not JSON')
        if type(aliases) is not dict:
            _bad(f'metadata {_ALIASES!r} is not a JSON object')
        for alias, target in aliases.items():
            if target not in out or alias in out:
                _bad(f'alias {alias!r} -> {target!r} does not name a stored tensor')
            out[alias] = out[target]
    return out
