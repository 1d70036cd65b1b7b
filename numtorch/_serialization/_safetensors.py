"""Hugging Face safetensors, in pure NumPy: ``save_file``/``load_file`` and, for models with
tied weights, ``save_model``/``load_model`` -- the four functions of ``safetensors.torch``.

Format: an 8-byte little-endian header length N, N bytes of JSON (``{name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}``, space-padded to 8 bytes), then the
raw little-endian data. The reader enforces what the format forbids -- duplicate keys, a header
longer than the file, offsets that overlap, leave holes or run past the data, a size that does
not match dtype x shape -- before reading any tensor, bounds the header's parse by the file's
size, and raises nothing but ``SafetensorError`` for a bad file.

One file means the same to every reader: ``load_file`` returns exactly the tensors the
``safetensors`` package returns. Tensors that share memory are refused by ``save_file`` (as
``safetensors.torch.save_file`` does); ``save_model`` stores each shared tensor once and records
each dropped name in ``__metadata__`` as ``{dropped: kept}`` (which other readers ignore), and
``load_model`` re-ties them through the model's own sharing -- both as in ``safetensors.torch``,
so files cross between the two in either direction.
"""
import json
import os
import struct
from collections import defaultdict

import numpy as np

from .. import _dtype
from ._errors import CheckpointError, short
from ._storage import _root
from ._write import write_path

_CODES = {'bool': 'BOOL', 'uint8': 'U8', 'int8': 'I8', 'int16': 'I16', 'uint16': 'U16',
          'float16': 'F16', 'int32': 'I32', 'uint32': 'U32', 'float32': 'F32',
          'float64': 'F64', 'int64': 'I64', 'uint64': 'U64', 'complex64': 'C64',
          'bfloat16': 'BF16', 'float8_e4m3fn': 'F8_E4M3', 'float8_e5m2': 'F8_E5M2'}
_FROM_CODE = {v: _dtype._BY_NAME[k] for k, v in _CODES.items()}
_MAX_HEADER = 100_000_000    # the safetensors package's own limit
_BUDGET_CONSTANT = 64 << 20  # as numtorch.load's: parsing the header may take file size + this
_SHARED_MSG = (
    '\n            Some tensors share memory, this will lead to duplicate memory on disk and '
    'potential differences when loading them again: {}.\n            A potential way to '
    'correctly save your model is to use `save_model`.\n            More information at '
    'https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ')


class SafetensorError(CheckpointError):
    """A safetensors file breaks the format's rules (or could not be written)."""


def _bad(msg):
    raise SafetensorError(f'invalid safetensors file: {msg}')


def _shared_groups(tensors):
    """Names whose (non-empty) tensors share memory, as sets of 2 or more names."""
    groups = defaultdict(set)
    for name, t in tensors.items():
        a = t._data
        if a.size:
            groups[id(_root(a))].add(name)
    return [g for g in groups.values() if len(g) > 1]


def save_file(tensors, filename, metadata=None):
    """Write a ``dict[str, Tensor]`` to ``filename`` in the safetensors format (atomically).
    Tensors that share memory are refused (use ``save_model``), as in ``safetensors.torch``.

    >>> import numtorch, tempfile, os
    >>> from numtorch.serialization import save_file, load_file
    >>> path = os.path.join(tempfile.mkdtemp(), 'm.safetensors')
    >>> save_file({'w': numtorch.ones(2, 2), 'c': numtorch.arange(3)}, path)
    >>> load_file(path)['c']
    tensor([0, 1, 2])
    """
    from .._tensor import Tensor
    if not isinstance(tensors, dict):
        raise TypeError(f'save_file expects a dict of tensors, got {type(tensors).__name__}')
    meta = dict(metadata or {})
    if not all(type(k) is str and type(v) is str for k, v in meta.items()):
        raise TypeError('safetensors metadata must map str to str')
    for name, t in tensors.items():
        if type(name) is not str:
            raise TypeError(f'tensor names must be str, got {name!r}')
        if not isinstance(t, Tensor):
            raise TypeError(f'{name!r} is a {type(t).__name__}, not a Tensor')
        if t._data.dtype.name not in _CODES:
            raise TypeError(f'{name!r}: safetensors has no code for dtype {t.dtype}')
    shared = _shared_groups(tensors)
    if shared:
        raise RuntimeError(_SHARED_MSG.format(shared))
    arrays = [(name, t._data if t._data.flags.c_contiguous else t._data.copy())
              for name, t in tensors.items()]
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

    write_path(os.fsdecode(filename), write)


def save_model(model, filename, metadata=None, force_contiguous=True):
    """Save ``model.state_dict()`` with each group of tied tensors stored once, as
    ``safetensors.torch.save_model``: every dropped name is recorded in the metadata as
    ``{dropped: kept}``, which readers of plain ``load_file`` ignore.

    >>> import numtorch, tempfile, os
    >>> from numtorch import nn
    >>> from numtorch.serialization import save_model, load_model, load_file
    >>> net = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5, bias=False))
    >>> net[1].weight = net[0].weight            # tied input and output embeddings
    >>> path = os.path.join(tempfile.mkdtemp(), 'tied.safetensors')
    >>> save_model(net, path)
    >>> list(load_file(path))                    # what every reader sees: one copy
    ['0.weight']
    >>> load_model(net, path)
    (set(), [])
    """
    state_dict = model.state_dict()
    for kept, dropped in _remove_duplicate_names(state_dict).items():
        for name in dropped:
            if metadata is None:
                metadata = {}
            if name not in metadata:   # do not override user data
                metadata[name] = kept
            del state_dict[name]
    if force_contiguous:
        state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    save_file(state_dict, filename, metadata=metadata)


def load_model(model, filename, strict=True, device='cpu'):
    """Load a file written by ``save_model`` (numtorch's or ``safetensors.torch``'s) into
    ``model``, whose own tied parameters receive the one stored copy. Returns
    ``(missing, unexpected)`` as ``safetensors.torch.load_model`` does."""
    state_dict = load_file(filename, device=device)
    to_removes = _remove_duplicate_names(model.state_dict(), preferred_names=state_dict.keys())
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = set(missing)
    for group in to_removes.values():
        for name in group:
            if name not in missing:
                unexpected.append(name)
            else:
                missing.remove(name)
    if strict and (missing or unexpected):
        error = f'Error(s) in loading state_dict for {model.__class__.__name__}:'
        if missing:
            error += '\n    Missing key(s) in state_dict: ' + ', '.join(
                f'"{k}"' for k in sorted(missing))
        if unexpected:
            error += '\n    Unexpected key(s) in state_dict: ' + ', '.join(
                f'"{k}"' for k in sorted(unexpected))
        raise RuntimeError(error)
    return missing, unexpected


def _is_complete(t):
    a = t._data
    root = _root(a)
    return (a.flags.c_contiguous and a.nbytes == root.nbytes
            and a.__array_interface__['data'][0] == root.__array_interface__['data'][0])


def _remove_duplicate_names(state_dict, *, preferred_names=None):
    """{kept name: [dropped names]} for each group of tensors sharing memory (the name kept
    covers the whole memory: a preferred one if any, else the first in sorted order)."""
    preferred_names = set(preferred_names or ())
    to_remove = defaultdict(list)
    for shared in _shared_groups(state_dict):
        complete = {n for n in shared if _is_complete(state_dict[n])}
        if not complete:
            raise RuntimeError(f'Error while trying to find names to remove to save state dict, '
                               f'but found no suitable name to keep for saving amongst: '
                               f'{shared}. None is covering the entire storage.')
        keep = sorted(complete)[0]
        if preferred_names & complete:
            keep = sorted(preferred_names & complete)[0]
        for name in sorted(shared):
            if name != keep:
                to_remove[keep].append(name)
    return to_remove


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            _bad(f'duplicate key {short(k)} in the header')
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
    # What json.loads will build, bounded before it runs: ~600 bytes per object (an entry's
    # dict, its lists and strings), 64 per list, 16 per further value, plus the text twice.
    cost = 2 * n + 600 * raw.count(b'{') + 64 * raw.count(b'[') + 16 * raw.count(b',')
    if cost > size + _BUDGET_CONSTANT:
        _bad(f'the header ({n} bytes) describes more objects than the file\'s size allows '
             f'(about {cost} bytes of Python objects for a {size}-byte file)')
    try:
        header = json.loads(raw, object_pairs_hook=_no_duplicates)
    except SafetensorError:
        raise
    except (ValueError, RecursionError) as e:
        _bad(f'header is not valid JSON ({type(e).__name__}: {short(str(e), 80)})')
    del raw
    if type(header) is not dict:
        _bad('header is not a JSON object')
    meta = header.pop('__metadata__', None)   # null is accepted, as by the safetensors package
    if meta is None:
        meta = {}
    if type(meta) is not dict or not all(type(v) is str for v in meta.values()):
        _bad('__metadata__ must map str to str')
    entries = []
    for name, e in header.items():
        if type(e) is not dict or set(e) != {'dtype', 'shape', 'data_offsets'}:
            _bad(f'entry {short(name)} must have exactly dtype, shape and data_offsets')
        dt = _FROM_CODE.get(e['dtype']) if type(e['dtype']) is str else None
        if dt is None:
            _bad(f'entry {short(name)} has unsupported dtype {short(e["dtype"], 20)}')
        shape, offs = e['shape'], e['data_offsets']
        if (type(shape) is not list or len(shape) > 64
                or not all(type(s) is int and 0 <= s < 1 << 62 for s in shape)):
            _bad(f'entry {short(name)} has a malformed shape')
        numel = room = 1
        for s in shape:
            numel *= s
            room *= max(s, 1)   # an empty array's other dims must not overflow either
        if room >= 1 << 62:
            _bad(f'entry {short(name)} has an impossibly large shape {short(shape)}')
        if (type(offs) is not list or len(offs) != 2
                or not all(type(o) is int and 0 <= o < 1 << 63 for o in offs)):
            _bad(f'entry {short(name)} has malformed data_offsets')
        if offs[1] - offs[0] != numel * dt.itemsize:
            _bad(f'entry {short(name)}: data_offsets {offs} do not hold {short(shape)} x {dt}')
        entries.append((offs[0], offs[1], name, dt, tuple(shape)))
    entries.sort()
    data_start, end = 8 + n, 0
    for begin, stop, name, _, _ in entries:
        if begin != end:
            _bad(f'entry {short(name)} starts at {begin}, expected {end} (offsets overlap or '
                 'leave a hole)')
        end = stop
    if data_start + end != size:
        _bad(f'the data section holds {size - data_start} bytes but the header describes {end}')
    return meta, entries, data_start


def load_file(filename, device='cpu'):
    """Read a safetensors file into a ``dict[str, Tensor]``: the tensors stored in it, under
    the names the ``safetensors`` package returns. The result can be passed straight to
    ``Module.load_state_dict`` (``load_model`` also re-ties a model's shared weights).
    """
    if str(device) != 'cpu':
        raise ValueError(f'numtorch only has the cpu device, got {device!r}')
    with open(os.fsdecode(filename), 'rb') as f:
        try:
            return _read(f)
        except SafetensorError:
            raise
        except MemoryError:
            raise SafetensorError('the safetensors file needs more memory than is '
                                  'available') from None
        except (ValueError, TypeError, RecursionError, OverflowError, struct.error) as e:
            raise SafetensorError(f'invalid safetensors file: {type(e).__name__}: '
                                  f'{short(str(e), 120)}') from None


def _read(f):
    from .._ops._apply import wrap
    size = f.seek(0, 2)
    f.seek(0)
    _, entries, start = _header(f, size)
    out = {}
    for begin, _, name, dt, shape in entries:   # sorted by offset: one forward pass
        a = np.empty(shape, dt.np)
        if a.nbytes:
            f.seek(start + begin)
            if f.readinto(a.reshape(-1).view(np.uint8)) != a.nbytes:
                _bad(f'the file ended inside {short(name)}')
        out[name] = wrap(a)
    return out
