"""Writing a checkpoint to a path: atomic replace where that is possible and safe, in place
where it is not -- never replacing what is not ours to replace.

Policy (``atomic=None``, the default):

* the path does not exist, or is a regular file with one name: write a temporary file in the
  same folder, fsync, rename it over the path, fsync the folder. A crash or kill mid-save
  leaves the old file or the new one, never a broken one. The new file keeps the old one's
  permission bits and, where the platform allows (``chown``), its owner and group; if the owner
  cannot be kept, the setuid/setgid bits are dropped (never a set-id file with a new owner).
* the path exists but is not a regular file (a FIFO, ``/dev/null``, ``/dev/stdout`` on a pipe,
  a terminal): written through, as ``torch.save`` does -- a rename would replace the device.
* a regular file with several hard links, or one whose folder does not let us create the
  temporary file (read-only folder, a name too long for a temporary name... is shortened
  first): written in place, as ``torch.save`` does, with a ``UserWarning`` saying the save is
  not atomic and why (a rename would break the links / is impossible).

``atomic=True`` refuses (``RuntimeError``) instead of writing in place; ``atomic=False`` always
writes in place, as torch does.
"""
import errno
import os
import stat
import tempfile
import warnings

_SETID = stat.S_ISUID | stat.S_ISGID
_TMP_STEM = 64   # the temporary name keeps at most this much of the file's name (NAME_MAX)


def write_path(path, write, fsync=True, atomic=None):
    """Write ``path`` by calling ``write(binary_file)``, with the policy above."""
    path = os.fspath(path)
    try:
        st = os.stat(path)          # follows symlinks: the file the link points to
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f'{path} is a directory')
    if st is not None and not stat.S_ISREG(st.st_mode):
        if atomic:
            raise RuntimeError(f'{path} is not a regular file (a device, FIFO or socket); it '
                               'cannot be replaced atomically')
        return _in_place(path, write, fsync)
    if os.path.islink(path):
        path = os.path.realpath(path)   # replace the file the link points to, keep the link
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f'Parent directory {folder} does not exist.')
    if atomic is False:
        return _in_place(path, write, fsync)
    if st is not None and st.st_nlink > 1:
        return _fallback(path, write, fsync, atomic,
                         f'it has {st.st_nlink} hard links, and replacing it would cut them')
    try:
        fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)[:_TMP_STEM]}.',
                                   suffix='.tmp', dir=folder)
    except OSError as e:
        if st is None or e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS,
                                         errno.ENAMETOOLONG, errno.ENOSPC, errno.EDQUOT):
            raise
        return _fallback(path, write, fsync, atomic,
                         f'a temporary file cannot be created in {folder} ({e.strerror})')
    try:
        with os.fdopen(fd, 'wb') as fh:
            write(fh)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        _copy_owner_and_mode(tmp, st)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if fsync:
        _fsync_folder(folder)


def _copy_owner_and_mode(tmp, st):
    if st is None:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    mode = stat.S_IMODE(st.st_mode)
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            mode &= ~_SETID    # the owner cannot be kept: never a set-id file with a new owner
    os.chmod(tmp, mode)        # after chown, which clears the set-id bits


def _fallback(path, write, fsync, atomic, why):
    if atomic:
        raise RuntimeError(f'cannot save {path} atomically: {why}')
    warnings.warn(f'numtorch.save: writing {path} in place, as torch.save does, because {why}; '
                  'this save is not atomic (a crash mid-save leaves a broken file). Pass '
                  '_atomic=False to do this silently, or _atomic=True to refuse.', UserWarning,
                  stacklevel=4)
    _in_place(path, write, fsync)


def _in_place(path, write, fsync):
    with open(path, 'wb') as fh:
        write(fh)
        fh.flush()
        if fsync:
            try:
                os.fsync(fh.fileno())
            except OSError:
                pass   # pipes and character devices cannot be fsynced


def _fsync_folder(folder):
    try:   # make the rename itself durable (a power cut after this returns keeps the new file)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass   # some platforms/filesystems cannot fsync a folder


def _umask():
    try:
        with open('/proc/self/status') as st:
            for line in st:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    m = os.umask(0o22)
    os.umask(m)
    return m
