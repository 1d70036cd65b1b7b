"""numtorch/_malloc.py: glibc's mmap/trim thresholds set at import, unless the user chose."""
import os
import platform
import subprocess
import sys

import pytest

import numtorch

GLIBC = platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc'


def _applied(**env):
    base = {k: v for k, v in os.environ.items()
            if not k.startswith('MALLOC_') and k != 'GLIBC_TUNABLES'}
    base['PYTHONPATH'] = os.path.dirname(os.path.dirname(os.path.abspath(numtorch.__file__)))
    base.update(env)
    out = subprocess.run([sys.executable, '-c', 'import numtorch._malloc as m, numtorch; '
                          'print(m.applied)'], env=base, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason='mallopt tuning is glibc-only')
def test_thresholds_set_at_import_unless_the_environment_sets_malloc():
    assert _applied() == 'True'
    assert _applied(MALLOC_MMAP_THRESHOLD_='131072') == 'False'
    assert _applied(GLIBC_TUNABLES='glibc.malloc.trim_threshold=1') == 'False'


@pytest.mark.skipif(not GLIBC, reason='mallopt tuning is glibc-only')
def test_freed_activations_are_not_faulted_in_again():
    # six 4 MB "activations" alive at once, then freed, step after step: with glibc's defaults
    # the freed heap top is trimmed and faulted in again (~30000 faults in 10 steps)
    code = ('import resource, numtorch\n'
            'x = numtorch.ones(1 << 20)\n'
            'def step():\n'
            '    ys = [x * i for i in range(6)]\n'
            '    return sum(float(y.sum()) for y in ys)\n'
            'for _ in range(3): step()\n'
            'r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n'
            'for _ in range(10): step()\n'
            'print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('MALLOC_') and k != 'GLIBC_TUNABLES'}
    env['PYTHONPATH'] = os.path.dirname(os.path.dirname(os.path.abspath(numtorch.__file__)))
    faults = int(subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                                text=True, check=True).stdout)
    assert faults < 1000, faults
