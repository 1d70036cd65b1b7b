"""Guard: ``import numpy`` in ``numtorch/`` only where the host is meant to be (issue 9).

Op code takes its array namespace from its inputs (``self.xp``, ``_backend.namespace``) so it
runs on any device. NumPy itself is imported only by the backends and by the named host-side modules
(where data enters or leaves a device, or that never touch device data). A new file importing NumPy fails here: take ``xp``
from ``numtorch._backend`` (or ``self.xp`` in a node) instead, or name it below with a reason.
"""
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), '..', 'numtorch')

BACKENDS = {'_backend.py', 'cuda/_cupy.py', 'testing/stand_in.py'}

HOST_SIDE = {
    # host <-> device boundaries: conversion from Python/NumPy data, printing, dtype tables
    '_convert.py', '_creation.py', '_dtype.py', '_dtype_ext.py', '_tensor.py', '_tensor_str.py',
    'storage.py',
    # serialization (the storage table and rebuilder copy storages to/from the host)
    '_serialization/_load.py', '_serialization/_pickler.py',
    '_serialization/_rebuild.py', '_serialization/_safetensors.py', '_serialization/_storage.py',
    # data loading and image transforms produce host tensors (default_collate, from_numpy)
    'utils/data/_collate.py', 'utils/data/_worker.py',
    'utils/data/sampler.py', 'vision/_folder.py', 'vision/_transforms_aug.py',
    'vision/datasets.py', 'vision/transforms.py', 'vision/transforms_functional.py',
    # packing: lengths and batch_sizes are host data (torch wants CPU lengths); the gather
    # indices are computed from them on the host and cross to the data's device once
    'nn/utils/rnn.py',
    # the generators draw on the host (NumPy's PCG64, one per device); thread settings; tests
    'random.py', '_ops/random.py', '_threads.py', 'testing/__init__.py',
    # processes exchange host buffers
    'distributed/_collectives.py', 'nn/parallel/distributed.py',
    # example programs and their data
    'examples/_fashion.py', 'examples/char_lstm.py', 'examples/dcgan.py', 'examples/gpt.py',
    'examples/resnet_cifar.py', 'examples/seq2seq.py', 'examples/timeseries.py',
    'examples/vae.py',
}

_IMPORT = re.compile(r'^\s*(import numpy|from numpy)', re.M)


def _importers():
    out = set()
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith('.py'):
                path = os.path.join(dirpath, f)
                with open(path, encoding='utf-8') as fh:
                    if _IMPORT.search(fh.read()):
                        out.add(os.path.relpath(path, ROOT).replace(os.sep, '/'))
    return out


def test_numpy_is_imported_only_where_named():
    stray = _importers() - BACKENDS - HOST_SIDE
    assert not stray, f'import numpy outside the backends and named host-side modules: {stray}'


def test_the_host_side_list_is_current():
    # a module that no longer imports NumPy leaves the list, so the list says where the host is
    gone = (HOST_SIDE | BACKENDS) - _importers()
    assert not gone, f'these no longer import numpy: remove them from the lists: {gone}'
