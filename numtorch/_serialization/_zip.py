"""The zip container of a torch checkpoint: a writer laid out as torch's and a strict reader.

Writer: the same layout PyTorch's miniz-based ``PyTorchFileWriter`` produces -- stored (not
compressed) records, each local header followed by an ``FB`` extra field padded with ``Z`` so the
record's data starts on a 64-byte boundary (so a loader can ``mmap`` a storage in place), a data
descriptor (flag bit 3) after the data, ZIP64 fields only where a size or offset needs them, and
always a ZIP64 end-of-central-directory record before the classic one, as torch writes.

Reader: validates the whole directory before any record is read -- one central directory that
lies inside the file, unique names, no ``..``/absolute/backslash names, local headers that agree
with the central directory, members that tile the file exactly, no archive comment, no compressed
record (torch never writes one; an inflated record would break the loader's size bounds) --
then checks every record's CRC-32 (torch 2.13 does not).
"""
import struct
import threading
import zlib

from ._errors import CheckpointError, short as _short

_LOCAL = struct.Struct('<4sHHHHHIIIHH')          # 30 bytes
_CENTRAL = struct.Struct('<4sHHHHHHIIIHHHHHII')  # 46 bytes
_EOCD = struct.Struct('<4sHHHHIIH')              # 22 bytes
_EOCD64 = struct.Struct('<4sQHHIIQQQQ')          # 56 bytes
_LOC64 = struct.Struct('<4sIQI')                 # 20 bytes
_U32 = 0xFFFFFFFF
_CHUNK = 1 << 24   # 16 MiB: large enough for full-speed I/O, small enough to stay cache-friendly
_FLAGS = 0x0808    # bit 3: sizes in a data descriptor; bit 11: UTF-8 names (what torch writes)


def _zip64_extra(usize=None, csize=None, offset=None):
    vals = [v for v in (usize, csize, offset) if v is not None]
    if not vals:
        return b''
    return struct.pack('<HH', 1, 8 * len(vals)) + struct.pack(f'<{len(vals)}Q', *vals)


def _crc_into(mv, box):
    crc = 0
    for i in range(0, mv.nbytes, _CHUNK):
        crc = zlib.crc32(mv[i:i + _CHUNK], crc)
    box[0] = crc


class ZipWriter:
    """Writes records one after another to a binary file object, torch's layout.

    ``zip64_threshold`` is only lowered by tests, to exercise the ZIP64 paths on small files.
    """

    def __init__(self, f, align=64, zip64_threshold=_U32):
        self.f = f
        self.pos = 0
        self.align = align
        self.big = zip64_threshold
        self.entries = []   # (name bytes, crc, size, header offset)

    def _write(self, b):
        self.f.write(b)
        self.pos += len(b)

    def write_record(self, name, data):
        """One stored record. ``data``: bytes, or any C-contiguous buffer (an ndarray's bytes)."""
        mv = memoryview(data).cast('B') if not isinstance(data, (bytes, bytearray)) else memoryview(data)
        size = mv.nbytes
        name = name.encode('utf-8')
        off = self.pos
        z64 = size >= self.big or off >= self.big
        extra = _zip64_extra(size if size >= self.big else None, size if size >= self.big else None,
                             off if off >= self.big else None) if z64 else b''
        start = off + _LOCAL.size + len(name) + len(extra)
        if start % self.align:
            pad = (self.align - (start + 4) % self.align) % self.align
            extra += b'FB' + struct.pack('<H', pad) + b'Z' * pad
        self._write(_LOCAL.pack(b'PK\x03\x04', 0, _FLAGS, 0, 0, 0, 0, 0, 0, len(name), len(extra)))
        self._write(name)
        self._write(extra)
        if size <= _CHUNK:
            crc = zlib.crc32(mv)
            self.f.write(mv)
        else:
            # The CRC runs in a second thread while this one writes: both release the GIL,
            # so a large record costs about max(write, crc) instead of their sum.
            box = [0]
            th = threading.Thread(target=_crc_into, args=(mv, box))
            th.start()
            try:
                for i in range(0, size, _CHUNK):
                    self.f.write(mv[i:i + _CHUNK])
            finally:
                th.join()
            crc = box[0]
        self.pos += size
        if z64:
            self._write(struct.pack('<4sIQQ', b'PK\x07\x08', crc, size, size))
        else:
            self._write(struct.pack('<4sIII', b'PK\x07\x08', crc, size, size))
        self.entries.append((name, crc, size, off))

    def close(self):
        """Write the central directory and the end records."""
        cd_start = self.pos
        for name, crc, size, off in self.entries:
            big_size, big_off = size >= self.big, off >= self.big
            extra = _zip64_extra(size if big_size else None, size if big_size else None,
                                 off if big_off else None)
            s32 = _U32 if big_size else size
            self._write(_CENTRAL.pack(b'PK\x01\x02', 0, 0, _FLAGS, 0, 0, 0, crc, s32, s32,
                                      len(name), len(extra), 0, 0, 0, 0, _U32 if big_off else off))
            self._write(name)
            self._write(extra)
        cd_size = self.pos - cd_start
        n = len(self.entries)
        eocd64 = self.pos
        self._write(_EOCD64.pack(b'PK\x06\x06', 44, 0, 0, 0, 0, n, n, cd_size, cd_start))
        self._write(_LOC64.pack(b'PK\x06\x07', 0, eocd64, 1))
        self._write(_EOCD.pack(b'PK\x05\x06', 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                               min(cd_size, _U32), min(cd_start, _U32), 0))


class Record:
    """One validated member: where its data lies and what the directory promises about it."""
    __slots__ = ('name', 'method', 'crc', 'csize', 'usize', 'header', 'data', 'flags')

    def __init__(self, name, method, crc, csize, usize, header, flags=0):
        self.name, self.method, self.crc, self.flags = name, method, crc, flags
        self.csize, self.usize, self.header = csize, usize, header
        self.data = None   # absolute offset of the data, filled in from the local header


def _bad(msg):
    raise CheckpointError(f'invalid checkpoint archive: {msg}')


def _check_name(name):
    parts = name.split('/')
    if (not name or name.startswith('/') or '\\' in name or '\x00' in name
            or any(p in ('..', '.') for p in parts) or ':' in parts[0]):
        _bad(f'unsafe member name {_short(name)}')


def _parse_zip64(extra, need):
    """The ZIP64 values (usize, csize, offset order) that ``need`` says are in the extra field."""
    i = 0
    while i + 4 <= len(extra):
        tag, ln = struct.unpack_from('<HH', extra, i)
        if i + 4 + ln > len(extra):
            _bad('truncated extra field')
        if tag == 1:
            if ln < 8 * need:
                _bad('ZIP64 extra field too short')
            return struct.unpack_from(f'<{need}Q', extra, i + 4)
        i += 4 + ln
    _bad('missing ZIP64 extra field')


class ZipReader:
    """Reads the members of a zip that starts at ``base`` in the seekable binary file ``f``.

    All structural checks happen here in ``__init__``; ``read``/``readinto`` then check CRCs.
    One file has one meaning: the end record must be the file's last 22 bytes (no archive
    comment, so every zip reader finds the same one), and the file must be exactly the members
    (local header, data, data descriptor) back to back from byte 0, then the central directory,
    then the end records -- no byte that some reader could interpret differently.
    """

    def __init__(self, f, base, size):
        self.f, self.base, self.size = f, base, size
        if size < _EOCD.size:
            _bad(f'file is too short ({size} bytes) to be a zip archive')
        eocd_at = size - _EOCD.size
        sig, disk, cd_disk, n_disk, n, cd_size, cd_off, clen = _EOCD.unpack(
            self._pread(eocd_at, _EOCD.size))
        if sig != b'PK\x05\x06':
            _bad('the file does not end with an end of central directory record (truncated, '
                 'trailing bytes, or an archive comment; torch never writes a comment)')
        if clen:
            _bad(f'the end record claims a {clen}-byte archive comment (torch never writes one)')
        if disk or cd_disk or n_disk != n:
            _bad('multi-disk archives are not supported')
        end_of_cd = eocd_at
        if eocd_at >= _LOC64.size + _EOCD64.size:
            loc = self._pread(eocd_at - _LOC64.size, _LOC64.size)
            if loc[:4] == b'PK\x06\x07':
                _, _, e64, _ = _LOC64.unpack(loc)
                if e64 != eocd_at - _LOC64.size - _EOCD64.size:
                    _bad('the ZIP64 end record is not directly before its locator')
                sig, rest, _, _, d1, d2, n1, n, cd_size, cd_off = _EOCD64.unpack(
                    self._pread(e64, _EOCD64.size))
                if sig != b'PK\x06\x06' or rest != 44 or d1 or d2 or n1 != n:
                    _bad('bad ZIP64 end of central directory record')
                end_of_cd = e64
        if cd_off + cd_size != end_of_cd or n * _CENTRAL.size > cd_size:
            _bad(f'central directory (offset {cd_off}, {cd_size} bytes, {n} entries) does not '
                 f'end where the end records begin (byte {end_of_cd})')
        cd = self._pread(cd_off, cd_size)
        self.records = {}
        self.order = []
        pos = 0
        for _ in range(n):
            if pos + _CENTRAL.size > cd_size:
                _bad('central directory is truncated')
            (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, elen, clen, _, _, _,
             off) = _CENTRAL.unpack_from(cd, pos)
            if sig != b'PK\x01\x02':
                _bad('bad central directory entry signature')
            end = pos + _CENTRAL.size + nlen + elen + clen
            if end > cd_size:
                _bad('central directory entry runs past the directory')
            raw = cd[pos + _CENTRAL.size:pos + _CENTRAL.size + nlen]
            extra = cd[pos + _CENTRAL.size + nlen:pos + _CENTRAL.size + nlen + elen]
            pos = end
            try:
                name = raw.decode('utf-8' if flags & 0x800 else 'cp437')
            except UnicodeDecodeError:
                _bad(f'member name {_short(raw)} is not valid UTF-8')
            _check_name(name)
            if flags & 1:
                _bad(f'member {_short(name)} is encrypted')
            if method != 0:
                _bad(f'member {_short(name)} is compressed (method {method}); torch never '
                     'writes compressed records and numtorch does not read them (unzip and '
                     're-save the checkpoint with torch.save or numtorch.save)')
            need = (usize == _U32) + (csize == _U32) + (off == _U32)
            if need:
                vals = list(_parse_zip64(extra, need))
                usize = vals.pop(0) if usize == _U32 else usize
                csize = vals.pop(0) if csize == _U32 else csize
                off = vals.pop(0) if off == _U32 else off
            if csize != usize:
                _bad(f'stored member {_short(name)} has different compressed and plain sizes')
            if name in self.records:
                _bad(f'duplicate member {_short(name)}')
            self.records[name] = Record(name, method, crc, csize, usize, off, flags)
            self.order.append(name)
        if pos != cd_size:
            _bad(f'{cd_size - pos} bytes after the last central directory entry')
        self._check_local_headers(cd_off)

    def _pread(self, off, n):
        self.f.seek(self.base + off)
        b = self.f.read(n)
        if len(b) != n:
            _bad('unexpected end of file')
        return b

    def _check_local_headers(self, cd_off):
        spans = []
        for r in self.records.values():
            if r.header + _LOCAL.size > cd_off:
                _bad(f'member {_short(r.name)} header lies outside the data area')
            sig, _, flags, method, _, _, _, _, _, nlen, elen = _LOCAL.unpack(self._pread(r.header, _LOCAL.size))
            if sig != b'PK\x03\x04' or method != r.method:
                _bad(f'local header of {_short(r.name)} does not match the central directory')
            name = self._pread(r.header + _LOCAL.size, nlen) if nlen else b''
            if name.decode('utf-8', 'replace') != r.name and name.decode('cp437') != r.name:
                _bad(f'local header name {_short(name)} does not match central name '
                     f'{_short(r.name)}')
            r.data = r.header + _LOCAL.size + nlen + elen
            if r.data + r.csize > cd_off:
                _bad(f'member {_short(r.name)} ({r.csize} bytes at offset {r.data}) runs past '
                     f'the data area ({cd_off} bytes)')
            spans.append((r.header, r.data + r.csize, r))
        spans.sort(key=lambda s: s[0])
        # back to back from byte 0 to the central directory: nothing overlaps, nothing hides
        at = 0
        for start, end, r in spans:
            if start < at:
                _bad(f'member {_short(r.name)} overlaps the member before it')
            if start > at:
                _bad(f'{start - at} bytes at offset {at} lie outside every listed member')
            at = end + self._descriptor(r, end, cd_off)
        if at != cd_off:
            _bad(f'{cd_off - at} bytes at offset {at} lie outside every listed member')

    def _descriptor(self, r, end, cd_off):
        """Length of the data descriptor after a member's data (flag bit 3), checked."""
        if not r.flags & 8:
            return 0
        head = self._pread(end, min(24, cd_off - end))
        body = head[4:] if head[:4] == b'PK\x07\x08' else head
        sig = len(head) - len(body)
        for fmt in ('<IQQ', '<III'):   # ZIP64 sizes first (a 32-bit one may be a prefix of it)
            k = struct.calcsize(fmt)
            if len(body) >= k and struct.unpack_from(fmt, body) == (r.crc, r.csize, r.usize):
                nxt = end + sig + k
                if nxt == cd_off or self._pread(nxt, 4) == b'PK\x03\x04':
                    return sig + k
        _bad(f'member {_short(r.name)} has a missing or wrong data descriptor')

    # ------------------------------------------------------------------ reading members
    def has(self, name):
        return name in self.records

    def read(self, name):
        """The member's bytes, CRC-checked."""
        buf = bytearray(self.records[name].usize)
        self.readinto(name, buf)
        return bytes(buf)

    def readinto(self, name, buf, check_crc=True):
        """Fill the writable buffer ``buf`` (exactly the member's size) with the member's data."""
        r = self.records[name]
        mv = memoryview(buf).cast('B')
        if mv.nbytes != r.usize:
            raise ValueError('buffer size does not match the member')
        self.f.seek(self.base + r.data)
        readinto, crc32, crc = self.f.readinto, zlib.crc32, 0
        for i in range(0, r.usize, _CHUNK):
            part = mv[i:i + _CHUNK]
            got = 0
            while got < part.nbytes:   # raw (unbuffered) files may return short reads
                n = readinto(part[got:])
                if not n:
                    _bad(f'unexpected end of file in member {_short(name)}')
                got += n
            if check_crc:
                crc = crc32(part, crc)
        if check_crc and crc != r.crc:
            _bad(f'CRC-32 mismatch in member {_short(name)} (the file is corrupt)')

    def data_offset(self, name):
        """Absolute file offset of a stored member's data (for memory-mapping)."""
        return self.base + self.records[name].data
