"""A corpus of malformed and hostile checkpoints, built here; each must be refused cleanly.

Nothing in a file may run code, crash, hang, recurse without bound or allocate what the file
does not hold: ``load`` raises ``CheckpointError`` (or its ``UnpicklingError``) and has no side
effect. A property-based fuzz test flips and truncates valid files.
"""
import collections
import io
import os
import pickle
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import numtorch
from numtorch.serialization import CheckpointError, UnpicklingError
from numtorch._serialization._zip import ZipWriter


def archive(pkl, records=(), prefix='archive', dup=None):
    """A stored zip laid out as torch's, with the given data.pkl and data/<key> records."""
    buf = io.BytesIO()
    w = ZipWriter(buf)
    w.write_record(f'{prefix}/data.pkl', pkl)
    for name, data in records:
        w.write_record(f'{prefix}/{name}' if not name.startswith('/') else name, data)
    if dup:
        w.write_record(f'{prefix}/{dup}', b'x')
    w.close()
    return buf.getvalue()


def load_bytes(data, **kw):
    return numtorch.load(io.BytesIO(data), **kw)


def valid():
    buf = io.BytesIO()
    x = numtorch.arange(12.).reshape(3, 4)
    numtorch.save({'x': x, 'v': x[1:, ::2], 'n': [1, 2.5, 'a'], 'i': numtorch.arange(3)}, buf)
    return buf.getvalue()


VALID = valid()
PKL = zipfile.ZipFile(io.BytesIO(VALID)).read('archive/data.pkl')


def tensor_pkl(numel=4, offset=0, size=(4,), stride=(1,), key='0', stype=b'FloatStorage'):
    """data.pkl for one float tensor, with every field under the test's control."""
    def tup(t):
        return b'(' + b''.join(b'J' + struct.pack('<i', v) for v in t) + b't'
    k = key.encode()
    return (b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(' + b'(X\x07\x00\x00\x00storagectorch\n'
            + stype + b'\nX' + struct.pack('<I', len(k)) + k + b'X\x03\x00\x00\x00cpu'
            + b'\x8a\x08' + struct.pack('<q', numel) + b'tQ' + b'\x8a\x08' + struct.pack('<q', offset)
            + tup(size) + tup(stride) + b'\x89ccollections\nOrderedDict\n)RtR.')


def test_tensor_pkl_helper_is_valid():
    t = load_bytes(archive(tensor_pkl(), [('data/0', np.arange(4, dtype=np.float32).tobytes())]))
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


# ---------------------------------------------------------------- code execution attempts
class _Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


@pytest.mark.parametrize('proto', [0, 2, 4, 5])
@pytest.mark.parametrize('fn,name', [(os.system, 'system'), (eval, 'eval'), (exec, 'exec'),
                                     (getattr, 'getattr'), (__import__, '__import__')])
def test_pickles_that_would_run_code_are_rejected_by_name(tmp_path, proto, fn, name):
    marker = tmp_path / 'pwned'
    cmd = f'touch {marker}' if fn is os.system else f'open({str(marker)!r}, "w")'
    pkl = pickle.dumps({'w': _Evil(fn, cmd)}, protocol=proto)
    for data in (archive(pkl), pkl):
        with pytest.raises(CheckpointError) as e:
            load_bytes(data)
        if data is not pkl or proto >= 2:
            assert name in str(e.value) or 'opcode' in str(e.value) or 'magic' in str(e.value)
    assert not marker.exists()


def test_rejected_global_raises_unpickling_error_naming_it():
    with pytest.raises(UnpicklingError, match="'posix.system'"):
        load_bytes(archive(b'\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.'))
    with pytest.raises(pickle.UnpicklingError, match="'builtins.eval'"):
        load_bytes(archive(b'\x80\x02c__builtin__\neval\nX\x01\x00\x00\x001\x85R.'))
    with pytest.raises(UnpicklingError, match="'torch.load'"):
        load_bytes(archive(b'\x80\x02ctorch\nload\n.'))


@pytest.mark.parametrize('pkl', [
    b'\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R.',       # bytearray(2**31)
    b'\x80\x02c__builtin__\nset\nJ\x00\x00\x00\x7f\x85R.',             # set(int)
    b'\x80\x02ccollections\nOrderedDict\nJ\x00\x00\x00\x7f\x85R.',     # OrderedDict(int)
    b'\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.',
    b'\x80\x02ctorch\nSize\nX\x01\x00\x00\x00a\x85\x85R.',
    b'\x80\x02ctorch\nfloat32\n)R.',                                  # calling a dtype
    b'\x80\x02ccollections\nOrderedDict\n)R}X\x08\x00\x00\x00__init__K\x01sb]b.',  # BUILD list
    b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(J\x05\x00\x00\x00K\x00)))NNt R.',
    b'\x80\x02ctorch._tensor\n_rebuild_from_type_v2\n(c__builtin__\nset\nctorch\nTensor\n)}tR.',
    b'\x80\x02ctorch.nn.parameter\nParameter\nK\x01\x85\x81.',          # NEWOBJ of a non-tensor
    b'\x80\x02ccollections\nOrderedDict\n)\x81.',                        # NEWOBJ of OrderedDict
    b'\x80\x02(ctorch\nTensor\ni__builtin__\nobject\n.',                 # INST
    b'\x80\x02\x82\x01.',                                               # EXT1
])
def test_allowed_names_with_hostile_arguments(pkl):
    with pytest.raises(UnpicklingError):
        load_bytes(archive(pkl))


@pytest.mark.parametrize('pkl', [
    b'', b'\x80', b'\x80\x02', b'\x80\x02.', b'\x80\x02h\x05.', b'\x80\x02j\x00\x00\x01\x00.',
    b'\x80\x02a.', b'\x80\x02]K\x01s.', b'\x80\x02}K\x01a.', b'\x80\x02(((.', b'\x80\x02e.',
    b'\x80\x02X\xff\xff\xff\x7fab.', b'\x80\x02X\x02\x00\x00\x00\xff\xfe.',
    b'\x80\x02\x8b\xff\xff\xff\x7f.', b'\x80\x02\x8d' + b'\xff' * 8 + b'.', b'\x80\x02\xff.',
    b'\x80\x02K\x01K\x02.', b'\x80\x02cno_newline', b'\x80\x02]\x86.', b'\x80\x02)\x85\x85N.',
    b'\x80\x02}](\x8a\x01\x01u.', b'\x80\x02}]]u.', b'\x80\x02L' + b'9' * 5000 + b'L\n.',
    b'\x80\x06K\x01.', b'\x80\x02Q.', b'\x80\x02K\x01Q.', b'\x80\x02(X\x03\x00\x00\x00abct\x85Q.',
])
def test_malformed_pickles_raise_unpickling_error(pkl):
    with pytest.raises(UnpicklingError):
        load_bytes(archive(pkl))


# ---------------------------------------------------------------- sizes, offsets, strides
DATA4 = np.arange(4, dtype=np.float32).tobytes()


@pytest.mark.parametrize('kw,match', [
    (dict(numel=5), 'claims'),                                   # more than the record holds
    (dict(numel=3), 'claims'),
    (dict(numel=2 ** 60), 'claims'),                             # a huge element count
    (dict(offset=1), 'reads element'),                           # runs past the storage
    (dict(size=(2, 3), stride=(2, 1)), 'reads element'),
    (dict(size=(2 ** 31 - 1,), stride=(1,)), 'reads element'),
    (dict(size=(4,), stride=(2 ** 31 - 1,)), 'reads element'),
    (dict(size=(-1,)), 'negative'),
    (dict(stride=(-1,)), 'negative'),
    (dict(size=(2, 2), stride=(1,)), 'differ'),
    (dict(size=(65536,) * 4, stride=(0,) * 4), 'impossibly large'),
    (dict(offset=-1), 'offset'),
    (dict(key='../0'), 'no record'),
    (dict(key='7'), 'no record'),
    (dict(stype=b'Storage'), 'rejected global'),
])
@pytest.mark.parametrize('mmap', [False, True])
def test_bad_storage_sizes_offsets_and_strides(kw, match, mmap, tmp_path):
    data = archive(tensor_pkl(**kw), [('data/0', DATA4)])
    p = tmp_path / 'bad.pt'
    p.write_bytes(data)
    with pytest.raises(CheckpointError, match=match):
        numtorch.load(p, mmap=mmap)


def test_two_references_to_one_storage_must_agree():
    a = tensor_pkl()
    pkl = b'\x80\x02(' + a[2:-1] + tensor_pkl(numel=2, size=(2,))[2:-1] + b'l.'
    with pytest.raises(UnpicklingError, match='two different'):
        load_bytes(archive(pkl, [('data/0', DATA4)]))


# ---------------------------------------------------------------- the zip container
def test_every_truncation_is_a_clean_error():
    for cut in list(range(0, len(VALID), 7)) + [len(VALID) - 1]:
        with pytest.raises(CheckpointError):
            load_bytes(VALID[:cut])


@pytest.mark.parametrize('where', ['data.pkl', 'data/0', 'version', 'byteorder'])
def test_flipped_byte_in_any_record_fails_the_crc(where, tmp_path):
    z = zipfile.ZipFile(io.BytesIO(VALID))
    info = z.getinfo(f'archive/{where}')
    nlen, elen = struct.unpack_from('<HH', VALID, info.header_offset + 26)
    pos = info.header_offset + 30 + nlen + elen + info.file_size // 2
    bad = bytearray(VALID)
    bad[pos] ^= 0x10
    with pytest.raises(CheckpointError, match='CRC-32|version|endianness'):
        load_bytes(bytes(bad))
    if where == 'data/0':   # torch 2.13 loads this silently; mmap skips data CRCs (documented)
        (tmp_path / 'f.pt').write_bytes(bytes(bad))
        assert numtorch.load(tmp_path / 'f.pt', mmap=True)['x'].numel() == 12


@pytest.mark.parametrize('name', ['../evil', '/abs', 'archive/../../x', 'a\\b', 'C:/x', './x',
                                  'archive/./data.pkl', 'nul\x00'])
def test_unsafe_member_names(name):
    with pytest.raises(CheckpointError, match='unsafe member name'):
        load_bytes(_raw_zip({'archive/data.pkl': PKL, name: b'x'}))


def _raw_zip(members):
    buf = io.BytesIO()
    w = ZipWriter(buf)
    for n, d in members.items():
        w.write_record(n, d)
    w.close()
    return buf.getvalue()


def test_duplicate_members_are_rejected():
    data = _raw_zip({'archive/data.pkl': PKL})
    buf = io.BytesIO()
    w = ZipWriter(buf)
    w.write_record('archive/data.pkl', b'\x80\x02N.')
    w.write_record('archive/data.pkl', PKL)
    w.close()
    with pytest.raises(CheckpointError, match='duplicate member'):
        load_bytes(buf.getvalue())
    assert data


def test_deflate_bomb_is_not_inflated_past_its_declared_size():
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = bomb.compress(b'\x00' * (64 << 20)) + bomb.flush()   # 64 MiB -> ~64 KiB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('archive/data.pkl', PKL)
        z.writestr(zipfile.ZipInfo('archive/data/0'), b'\x00' * 16, zipfile.ZIP_DEFLATED)
    data = bytearray(buf.getvalue())
    # splice the bomb in as the compressed data of archive/data/0, declaring 16 plain bytes
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo('archive/data/0')
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    cd = data.find(b'PK\x01\x02', start)
    body = data[:start] + comp + data[start + info.compress_size:]
    shift = len(comp) - info.compress_size
    body = bytearray(body)
    struct.pack_into('<I', body, info.header_offset + 18, len(comp))
    cdn = body.find(b'archive/data/0', cd + shift) - 46
    struct.pack_into('<I', body, cdn + 20, len(comp))
    eocd = body.rfind(b'PK\x05\x06')
    struct.pack_into('<I', body, eocd + 16, struct.unpack_from('<I', body, eocd + 16)[0] + shift)
    with pytest.raises(CheckpointError, match='compressed'):
        load_bytes(bytes(body))


def test_compressed_records_are_refused():
    # torch never writes them; inflating would let a file's pickle and storages outgrow it
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(VALID)) as src, zipfile.ZipFile(buf, 'w') as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n), zipfile.ZIP_DEFLATED)
    with pytest.raises(CheckpointError, match='is compressed .method 8.; torch never writes'):
        load_bytes(buf.getvalue())
    buf = io.BytesIO()   # stored records written by Python's zipfile (no torch padding) load
    with zipfile.ZipFile(io.BytesIO(VALID)) as src, zipfile.ZipFile(buf, 'w') as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n), zipfile.ZIP_STORED)
    d = load_bytes(buf.getvalue())
    assert d['x'].tolist() == numtorch.arange(12.).reshape(3, 4).tolist()


_RNG = random.Random(0)


@pytest.mark.parametrize('data', [b'', b'\x00' * 100, b'hello world', _RNG.randbytes(4096),
                                  b'PK\x03\x04' + _RNG.randbytes(200), b'PK\x05\x06' + b'\x00' * 18,
                                  pickle.dumps({'a': 1}, protocol=2), b'\x80\x02N.'])
def test_junk_files(data):
    with pytest.raises(CheckpointError):
        load_bytes(data)


# ---------------------------------------------------------------- nesting
def test_deep_nesting_is_a_clear_error_not_recursion_error():
    n = 100_000
    cases = [
        b'\x80\x02' + b']' * n + b'a' * (n - 1) + b'.',                      # bottom-up lists
        b'\x80\x02' + b'(' * n + b'l' * n + b'.',                            # MARK/LIST
        b'\x80\x02K\x01' + b'\x85' * n + b'.',                               # nested tuples
        b'\x80\x02}K\x01' + b'\x85' * n + b'K\x02s.',                        # ... as a dict key
        b'\x80\x02' + b'](' * n + b'e' * n + b'.',
    ]
    # top-down: each new list appended into the previous one via the memo (depth is only known
    # after the fact; the finished object is checked)
    top = b'\x80\x02]q\x00'
    for i in range(1, 300):
        top += b'h' + bytes([(i - 1) % 256]) + b']q' + bytes([i % 256]) + b'a0'
    cases.append(top + b'.')
    for pkl in cases:
        with pytest.raises(UnpicklingError, match='deeper|nest|underflow|STOP|budget'):
            load_bytes(archive(pkl))


def test_reasonable_nesting_and_cycles_load():
    pkl = b'\x80\x02]q\x00h\x00a.'          # a list that contains itself
    out = load_bytes(archive(pkl))
    assert out[0] is out
    deep = 0
    for _ in range(150):
        deep = [deep]
    assert numtorch.load(io.BytesIO(_save(deep))) == deep


def _save(obj):
    b = io.BytesIO()
    numtorch.save(obj, b)
    return b.getvalue()


# ---------------------------------------------------------------- legacy format
def test_legacy_format_corruptions():
    import torch
    b = io.BytesIO()
    torch.save({'a': torch.arange(6.)}, b, _use_new_zipfile_serialization=False)
    good = b.getvalue()
    assert load_bytes(good)['a'].tolist() == list(range(6))
    for cut in range(1, len(good), 5):
        with pytest.raises(CheckpointError):
            load_bytes(good[:cut])
    bad = bytearray(good)
    bad[-24 - 8] = 7   # the element count before the storage bytes
    with pytest.raises(CheckpointError, match='holds 7 elements'):
        load_bytes(bytes(bad))
    with pytest.raises(CheckpointError, match='legacy'):
        load_bytes(good, mmap=True)


# ---------------------------------------------------------------- fuzzing
def _equal(a, b):
    if isinstance(a, numtorch.Tensor):
        return (isinstance(b, numtorch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and bool(np.array_equal(a._data, b._data)))
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    return type(a) is type(b) and a == b


EXPECTED = load_bytes(VALID)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)),
                      max_size=4),
       cut=st.one_of(st.none(), st.integers(0, len(VALID))))
def test_fuzz_flips_and_truncations(flips, cut):
    data = bytearray(VALID)
    for pos, x in flips:
        data[pos] ^= x
    if cut is not None:
        del data[cut:]
    try:
        out = load_bytes(bytes(data))
    except CheckpointError:
        return
    assert _equal(EXPECTED, out)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=st.lists(st.tuples(st.integers(2, len(PKL) - 2), st.integers(0, 255)),
                      min_size=1, max_size=3))
def test_fuzz_pickle_bytes_with_valid_crcs(flips):
    # the CRC no longer protects: every mutation reaches the unpickler and rebuild checks
    pkl = bytearray(PKL)
    for pos, x in flips:
        pkl[pos] = x
    z = zipfile.ZipFile(io.BytesIO(VALID))
    recs = [(n.split('/', 1)[1], z.read(n)) for n in z.namelist() if '/data/' in n]
    try:
        out = load_bytes(archive(bytes(pkl), recs))
    except CheckpointError:
        return
    _touch(out)


def _touch(obj, seen=None):
    """Use every tensor in a loaded object: its memory must be valid."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, numtorch.Tensor):
        obj._data.sum()
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _touch(k, seen)
            _touch(v, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _touch(v, seen)
