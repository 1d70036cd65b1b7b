"""save() onto paths that are not a plain file we own (issue 8): devices and FIFOs are written
through, never replaced; set-id bits never reach a file with another owner; long names,
read-only folders, /dev/stdout on a pipe and hard links work, atomic where possible and in
place (with a warning) where not."""
import errno
import os
import stat
import subprocess
import sys
import threading
import warnings

import pytest

import numtorch
from numtorch._serialization import _write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
X = {'w': numtorch.arange(6.).reshape(2, 3), 'step': 3}
posix = pytest.mark.skipif(os.name != 'posix', reason='POSIX file types and permissions')


def _same(obj):
    return obj['step'] == 3 and obj['w'].tolist() == X['w'].tolist()


@posix
def test_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, 'rb').read()), daemon=True)
    reader.start()
    numtorch.save(X, fifo)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    import io
    assert _same(numtorch.load(io.BytesIO(got[0])))
    assert os.listdir(tmp_path) == ['pipe']


@posix
def test_character_device_is_written_through(tmp_path):
    dev = tmp_path / 'null'
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip('cannot create a device node here')
    numtorch.save(X, dev)
    assert stat.S_ISCHR(os.stat(dev).st_mode)
    with pytest.raises(RuntimeError, match='not a regular file'):
        numtorch.save(X, dev, _atomic=True)


@posix
def test_dev_stdout_on_a_pipe():
    code = ('import sys; sys.path.insert(0, sys.argv[1]); import numtorch; '
            "numtorch.save({'w': numtorch.arange(6.).reshape(2, 3), 'step': 3}, '/dev/stdout')")
    out = subprocess.run([sys.executable, '-c', code, ROOT], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    import io
    assert _same(numtorch.load(io.BytesIO(out.stdout)))


@posix
@pytest.mark.skipif(not hasattr(os, 'geteuid') or os.geteuid() != 0, reason='needs root')
def test_setid_file_of_another_user_keeps_its_owner(tmp_path):
    p = tmp_path / 'suid'
    p.write_bytes(b'old')
    os.chown(p, 12345, 12345)
    os.chmod(p, 0o6755)
    numtorch.save(X, p)
    st = os.stat(p)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 12345, 0o6755)
    assert _same(numtorch.load(p))


@posix
def test_setid_bits_are_dropped_when_the_owner_cannot_be_kept(tmp_path, monkeypatch):
    p = tmp_path / 'suid'
    p.write_bytes(b'old')
    os.chmod(p, 0o6755)
    real_stat = os.stat

    def stat_other_owner(path, *a, **k):   # the old file appears to belong to someone else
        st = real_stat(path, *a, **k)
        if os.fspath(path) == str(p):
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, 12345, 12345,
                                   st.st_size, st.st_atime, st.st_mtime, st.st_ctime))
        return st

    def no_chown(*a, **k):
        raise PermissionError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(_write.os, 'stat', stat_other_owner)
    monkeypatch.setattr(_write.os, 'chown', no_chown)
    numtorch.save(X, p)
    monkeypatch.undo()
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o755
    assert _same(numtorch.load(p))


def test_long_file_name_is_saved_atomically(tmp_path):
    p = tmp_path / ('m' * 240 + '.pt')
    numtorch.save(X, p)
    numtorch.save(X, p)
    assert _same(numtorch.load(p)) and os.listdir(tmp_path) == [p.name]


@posix
def test_writable_file_in_a_folder_we_cannot_create_files_in(tmp_path, monkeypatch):
    p = tmp_path / 'c.pt'
    p.write_bytes(b'old')
    ino = os.stat(p).st_ino

    def no_tmp(*a, **k):
        raise PermissionError(errno.EACCES, 'Permission denied')
    monkeypatch.setattr(_write.tempfile, 'mkstemp', no_tmp)
    with pytest.warns(UserWarning, match='in place.*temporary file cannot be created'):
        numtorch.save(X, p)
    assert _same(numtorch.load(p)) and os.stat(p).st_ino == ino
    with pytest.raises(RuntimeError, match='atomically'):
        numtorch.save(X, p, _atomic=True)
    with pytest.raises(PermissionError):   # a new file there: torch's error too
        numtorch.save(X, tmp_path / 'new.pt')


@posix
@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0, reason='root ignores modes')
def test_read_only_folder_for_real(tmp_path):
    d = tmp_path / 'ro'
    d.mkdir()
    p = d / 'c.pt'
    p.write_bytes(b'old')
    os.chmod(d, 0o555)
    try:
        with pytest.warns(UserWarning, match='in place'):
            numtorch.save(X, p)
        assert _same(numtorch.load(p))
    finally:
        os.chmod(d, 0o755)


def test_hard_links_stay_linked(tmp_path):
    a, b = tmp_path / 'a.pt', tmp_path / 'b.pt'
    numtorch.save({'step': 0}, a)
    os.link(a, b)
    with pytest.warns(UserWarning, match='2 hard links'):
        numtorch.save(X, a)
    assert _same(numtorch.load(b)) and os.stat(a).st_ino == os.stat(b).st_ino
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        numtorch.save(X, b, _atomic=False)   # in place on request: no warning
    with pytest.raises(RuntimeError, match='hard links'):
        numtorch.save(X, a, _atomic=True)


def test_plain_saves_stay_atomic_and_keep_the_mode(tmp_path):
    p = tmp_path / 'c.pt'
    numtorch.save({'step': 0}, p)
    os.chmod(p, 0o640)
    ino = os.stat(p).st_ino
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        numtorch.save(X, p)
    st = os.stat(p)
    assert st.st_ino != ino and stat.S_IMODE(st.st_mode) == 0o640   # a new inode: renamed
    link = tmp_path / 'link.pt'
    os.symlink(p, link)
    numtorch.save({'step': 0}, link)
    assert os.path.islink(link) and numtorch.load(p) == {'step': 0}
