"""Checkpoints: ``save``/``load`` in PyTorch's own file format, and safetensors.

``numtorch.save`` writes the zip archive ``torch.save`` writes (``archive/data.pkl`` naming each
storage by a persistent id, one 64-byte-aligned ``archive/data/<key>`` record per storage), so
real ``torch.load(f, weights_only=True)`` reads it and views saved together still share storage.
Saving to a path is atomic: a temporary file in the same folder, fsync, rename, fsync the folder
(in place where a rename would replace a device or cut hard links, see ``save``).

``numtorch.load`` reads numtorch's and torch's files (zip, and torch's legacy pre-1.6 format)
without torch. By default (``weights_only=True``) it never runs code from the file: the
unpickler admits only an allowlist of globals (tensor rebuild functions, storage types, dtypes,
``torch.Size``/``torch.device``, ``collections.OrderedDict``, plain containers, and what the user
passed to ``add_safe_globals``) -- this allowlist is the security boundary. ``weights_only=False``
is torch's explicit opt-in for trusted files (the standard unpickler). Every problem with a file
raises ``CheckpointError`` (a ``RuntimeError``) or its subclass ``UnpicklingError`` (also a
``pickle.UnpicklingError``).
"""
import io
import os
import secrets
import sys

from ._serialization._errors import CheckpointError, UnpicklingError
from ._serialization._load import load_file as _load_file
from ._serialization import _objects
from ._serialization._objects import (add_safe_globals, get_safe_globals, clear_safe_globals,
                                      safe_globals)
from ._serialization._pickler import Pickler as _Pickler, Unsupported as _Unsupported
from ._serialization._safetensors import (save_file, load_file, save_model, load_model,
                                          SafetensorError)
from ._serialization._storage import StorageTable as _StorageTable
from ._serialization._write import write_path as _write_path
from ._serialization._zip import ZipWriter as _ZipWriter

__all__ = ['save', 'load', 'save_file', 'load_file', 'save_model', 'load_model',
           'CheckpointError', 'UnpicklingError', 'SafetensorError', 'add_safe_globals',
           'get_safe_globals', 'clear_safe_globals', 'safe_globals']


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, _fsync=True, _atomic=None):
    """Save ``obj`` to ``f``, a path or a binary file object, in torch's zip format.

    Tensors and containers of them (with scalars, strings, bytes, dtypes, devices) are written
    byte for byte as ``torch.save`` writes them; any other object (NumPy arrays,
    ``argparse.Namespace``, a whole module, an optimizer) is pickled by reference as torch does
    -- loading it needs ``weights_only=False`` or ``add_safe_globals``, as in torch.

    Saving to a path never leaves a broken file behind: the old file stays until the new one is
    complete on disk. ``_fsync=False`` (private, like torch's ``_``-arguments) skips the two
    fsyncs: the save is then still atomic against a crashed or killed process, as torch's
    non-atomic save is not, but a power cut may lose the newest file. Where a rename would be
    wrong or impossible the file is written in place, as torch does: a device or FIFO
    (``/dev/null``, ``/dev/stdout``) silently, a file with hard links or in a folder we cannot
    create files in with a ``UserWarning``; ``_atomic=True`` refuses instead, ``_atomic=False``
    always writes in place (see ``numtorch._serialization._write``).

    >>> import numtorch, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'x-file')
    >>> numtorch.save({'x': numtorch.arange(4), 'y': numtorch.zeros(2)}, path)
    >>> numtorch.load(path)
    {'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0.])}
    """
    if not _use_new_zipfile_serialization:
        raise ValueError('numtorch.save only writes the zip format (torch\'s default since 1.6)')
    table = _StorageTable()
    try:
        pkl = _Pickler(table).dump(obj)
    except _Unsupported:   # any other object: pickled by reference, as torch.save does
        table = _StorageTable()
        pkl = _objects.dump_objects(obj, table)

    def write(fh):
        z = _ZipWriter(fh)
        z.write_record('archive/data.pkl', pkl)
        z.write_record('archive/.format_version', b'1')
        z.write_record('archive/.storage_alignment', b'64')
        if not _disable_byteorder_record:
            z.write_record('archive/byteorder', sys.byteorder.encode())
        for key, arr in enumerate(table.data):
            z.write_record(f'archive/data/{key}', arr.view('u1') if arr.size else b'')
        z.write_record('archive/version', b'3\n')
        z.write_record('archive/.data/serialization_id',
                       str(secrets.randbits(128)).zfill(40).encode())
        z.close()

    if isinstance(f, (str, bytes, os.PathLike)):
        _write_path(os.fsdecode(f), write, _fsync, _atomic)
    else:
        write(f)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load what ``save`` (numtorch's or torch's) wrote to ``f`` (a path or binary file object).

    ``map_location``: None, ``'cpu'``, a ``device``, a dict of location names, or a callable.
    ``mmap=True`` maps tensor data from the file instead of reading it (zero copy; the records'
    CRC-32 is then not checked, since that would read every byte). With the default
    ``weights_only=True`` nothing from the file is ever executed: only tensors, containers,
    scalars and the globals given to ``add_safe_globals`` are rebuilt, within the time and
    memory bounds of the file's size. ``weights_only=False`` is torch's explicit opt-in for a
    trusted file: the standard unpickler, which imports and calls whatever the file names.

    >>> import numtorch, io
    >>> buf = io.BytesIO()
    >>> numtorch.save([numtorch.arange(4), numtorch.zeros(4)], buf)
    >>> _ = buf.seek(0)
    >>> x2, y2 = numtorch.load(buf)
    >>> print(x2, y2)
    tensor([0, 1, 2, 3]) tensor([0., 0., 0., 0.])
    """
    unsafe = weights_only is False
    try:
        if isinstance(f, (str, bytes, os.PathLike)):
            with open(os.fsdecode(f), 'rb') as fh:
                return _load_file(fh, map_location, bool(mmap), unsafe)
        if not hasattr(f, 'read'):
            raise TypeError(f'load() expects a path or a binary file object, got '
                            f'{type(f).__name__}')
        if not (hasattr(f, 'seek') and f.seekable()):
            f = io.BytesIO(f.read())
        return _load_file(f, map_location, bool(mmap), unsafe)
    except MemoryError:
        raise CheckpointError('the checkpoint needs more memory than is available') from None
    except RecursionError:
        raise UnpicklingError('the checkpoint nests too deeply') from None
