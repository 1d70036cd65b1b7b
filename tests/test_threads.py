import os
import subprocess
import sys

import numpy as np
import pytest

import numtorch
from numtorch import _threads


@pytest.fixture(autouse=True)
def _restore_policy():
    """Each test leaves the thread policy (setting and BLAS count) as it found it."""
    setting, blas = _threads._setting[0], _threads.blas_num_threads()
    yield
    _threads._setting[0] = setting
    if _threads._find():
        _threads._set(_threads.ctypes.c_int(blas))


def test_set_num_threads_round_trip():
    before = numtorch.get_num_threads()
    try:
        numtorch.set_num_threads(1)
        assert numtorch.get_num_threads() == 1
    finally:
        numtorch.set_num_threads(before)
    assert numtorch.get_num_threads() == before


def test_set_num_threads_rejects_zero():
    with pytest.raises(RuntimeError):
        numtorch.set_num_threads(0)


def test_blas_threads_context_restores(monkeypatch):
    from numtorch._threads import blas_threads
    before = numtorch.get_num_threads()
    monkeypatch.setattr(_threads, '_blas_cap', [2])   # as if OPENBLAS_NUM_THREADS=2
    numtorch.set_num_threads(2)
    try:
        with blas_threads(1):
            assert _threads.blas_num_threads() == 1
        assert _threads.blas_num_threads() == (2 if _threads._find() else 1)
    finally:
        numtorch.set_num_threads(before)


def test_convolution_runs_on_one_blas_thread(monkeypatch):
    # Conv's few-row, long-column matmuls are split badly by OpenBLAS: both passes pin 1 thread.
    from numtorch._ops.nn import conv
    seen = []

    def spy(real):
        def run(*args):
            seen.append(_threads.blas_num_threads())
            return real(*args)
        return run

    for name in ('_gmm', '_mm', '_mm_t'):   # the grouped, forward/input-grad, weight-grad products
        monkeypatch.setattr(conv, name, spy(getattr(conv, name)))
    before = numtorch.get_num_threads()
    monkeypatch.setattr(_threads, '_blas_cap', [2])   # as if OPENBLAS_NUM_THREADS=2
    numtorch.set_num_threads(2)
    try:
        x = numtorch.rand(2, 1, 8, 8, requires_grad=True)
        w = numtorch.rand(3, 1, 3, 3, requires_grad=True)
        numtorch.nn.functional.conv2d(x, w).sum().backward()
        assert seen and set(seen) == {1}
        assert _threads.blas_num_threads() == (2 if _threads._find() else 1)
    finally:
        numtorch.set_num_threads(before)


def test_run_chunks_covers_every_chunk_once_and_raises_after_all_finished():
    from numtorch._threads import run_chunks
    before = numtorch.get_num_threads()
    numtorch.set_num_threads(2)
    try:
        seen = []
        run_chunks(seen.append, range(7))
        assert sorted(seen) == list(range(7))

        def bad(c):
            if c == 3:
                raise ValueError('chunk 3')
            seen.append(c)
        seen.clear()
        with pytest.raises(ValueError, match='chunk 3'):
            run_chunks(bad, range(7))
        assert sorted(seen) == [0, 1, 2, 4, 5, 6]
    finally:
        numtorch.set_num_threads(before)


def test_default_policy_one_blas_thread_unless_the_environment_says():
    # A fresh interpreter: numtorch's default runs BLAS on one thread and convolutions on the
    # cores it may use; OPENBLAS_NUM_THREADS / OMP_NUM_THREADS choose both counts.
    code = ('import numtorch, os; from numtorch import _threads as t; '
            'print(t.blas_num_threads() if t._find() else 1, numtorch.get_num_threads(), '
            'len(os.sched_getaffinity(0)))')
    env = {k: v for k, v in os.environ.items()
           if k not in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')}
    env['PYTHONPATH'] = os.path.dirname(os.path.dirname(os.path.abspath(numtorch.__file__)))
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == '1' and out[1] == out[2]
    env['OMP_NUM_THREADS'] = '3'
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == '3'


def test_helper_threads_keep_the_callers_numpy_error_state():
    # backward ignores floating-point warnings (torch is silent) through NumPy's context
    # variable: the convolution's helper threads must see the caller's state, not the default.
    import threading
    import numpy as np
    from numtorch._threads import run_chunks
    numtorch.set_num_threads(2)
    both = threading.Barrier(2)   # two chunks, held until two threads hold one each
    seen = {}

    def fn(c):
        both.wait(timeout=10)
        seen[threading.get_ident()] = np.geterr()['invalid']
    with np.errstate(all='ignore'):
        run_chunks(fn, range(2))
    assert len(seen) == 2 and set(seen.values()) == {'ignore'}


def test_saving_and_restoring_the_thread_count_restores_the_default_policy():
    # `n = get_num_threads(); ...; set_num_threads(n)` (examples/fashion_mnist.py's run) must
    # come back to the default: BLAS on one thread, not n BLAS threads.
    code = ('import numtorch; from numtorch import _threads as t; '
            'b0 = t.blas_num_threads(); n = numtorch.get_num_threads(); '
            'numtorch.set_num_threads(1); numtorch.set_num_threads(n); '
            'print(b0, t.blas_num_threads(), n, numtorch.get_num_threads())')
    env = {k: v for k, v in os.environ.items()
           if k not in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')}
    env['PYTHONPATH'] = os.path.dirname(os.path.dirname(os.path.abspath(numtorch.__file__)))
    b0, b1, n0, n1 = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                                    text=True, check=True).stdout.split()
    assert b0 == b1 == '1' and n0 == n1
    # with a count chosen in the environment, BLAS follows set_num_threads up to that count
    env['OPENBLAS_NUM_THREADS'] = '2'
    b0, b1, n0, n1 = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                                    text=True, check=True).stdout.split()
    if _threads._find():
        assert b0 == b1 == '2' and n0 == n1 == '2'


def test_set_num_threads_keeps_blas_on_one_thread_by_default(monkeypatch):
    monkeypatch.setattr(_threads, '_blas_cap', [1])
    numtorch.set_num_threads(3)
    assert numtorch.get_num_threads() == 3
    assert _threads.blas_num_threads() == 1


def test_dataloader_workers_run_on_one_thread():
    numtorch.set_num_threads(2)
    ds = numtorch.utils.data.TensorDataset(numtorch.zeros(4, 1))
    dl = numtorch.utils.data.DataLoader(
        ds, batch_size=2, num_workers=2,
        worker_init_fn=None, collate_fn=lambda b: (numtorch.get_num_threads(),))
    assert [b[0] for b in dl] == [1, 1]
    assert numtorch.get_num_threads() == 2   # the main process keeps its count


@pytest.mark.parametrize('shape', [(1024, 256, 512), (600, 300, 400)])
def test_large_products_give_the_same_bits_for_any_thread_count(monkeypatch, shape):
    # gemm splits a product over BIG_GEMM_FLOPS into row chunks over the threads; each chunk is
    # the same kernel with the same reduction order, so the bits must not change.
    import numpy as np
    from numtorch._threads import gemm
    monkeypatch.setattr(_threads, 'BIG_GEMM_FLOPS', 1e6)   # small shapes, chunked path
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    calls = []
    real = _threads.run_chunks
    monkeypatch.setattr(_threads, 'run_chunks', lambda fn, c: (calls.append(1), real(fn, c)))
    results = []
    for t in (1, 2, 3):
        numtorch.set_num_threads(t)
        results.append(gemm(a, b))
        results.append(gemm(np.asfortranarray(a), b))        # a transposed operand (g.T @ x)
    assert len(calls) == 4   # the chunked path ran for 2 and 3 threads
    for r in results[1:]:
        assert r.dtype == np.float32 and np.array_equal(r, results[0])
    assert np.array_equal(results[0], a @ b)


def test_linear_uses_the_chunked_product_and_keeps_its_gradients(monkeypatch):
    monkeypatch.setattr(_threads, 'BIG_GEMM_FLOPS', 1e5)
    calls = []
    real = _threads.run_chunks
    monkeypatch.setattr(_threads, 'run_chunks', lambda fn, c: (calls.append(1), real(fn, c)))
    numtorch.manual_seed(0)
    x = numtorch.randn(300, 64, requires_grad=True)
    lin = numtorch.nn.Linear(64, 40)
    outs = []
    for t in (1, 2):
        numtorch.set_num_threads(t)
        x.grad = None
        lin.zero_grad()
        y = lin(x)
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy(), lin.weight.grad.numpy()))
    assert len(calls) == 2   # forward and the input gradient (the weight's has 40 rows)
    for a, b in zip(*outs):
        assert (a == b).all()


def _small_split(monkeypatch, n):
    """Make ``split_run``'s threshold ``n`` elements everywhere it is read (each op module
    imports it by value), with small aligned ranges, and count the threaded runs."""
    from numtorch._ops.pointwise import unary
    from numtorch._ops.nn import activations, norm, pool
    from numtorch.optim import sgd
    for mod in (_threads, unary, activations, norm, pool):
        monkeypatch.setattr(mod, 'SPLIT_MIN', n)
    monkeypatch.setattr(sgd, '_STEP_BLOCK', 256)      # SGD's blocks
    monkeypatch.setattr(_threads, '_SPLIT_ALIGN', 16)
    monkeypatch.setattr(_threads, 'BLOCK_ELEMS', 64)   # batch norm's blocks: rows, not images
    calls = []
    real = _threads.run_chunks
    monkeypatch.setattr(_threads, 'run_chunks',
                        lambda fn, c: (calls.append(len(list(c))), real(fn, c)))
    return calls


def _split_workload():
    """Outputs and gradients of every op that splits its elementwise passes: sigmoid, relu,
    batch norm (2-D and 1-D), the tiling average pool, and SGD's momentum update."""
    F = numtorch.nn.functional
    rng = numtorch.Generator().manual_seed(0)
    x0 = numtorch.randn(12, 3, 10, 10, generator=rng)
    out = []
    for f in (numtorch.sigmoid, F.relu, lambda t: F.avg_pool2d(t, 2)):
        x = x0.clone().requires_grad_()
        y = f(x)
        (y * y.detach().cos()).sum().backward()
        out += [y.detach(), x.grad]
    numtorch.manual_seed(0)
    for bn, x in ((numtorch.nn.BatchNorm2d(3), x0 * 3 + 1), (numtorch.nn.BatchNorm1d(5),
                                                             numtorch.randn(40, 5, 30, generator=rng))):
        with numtorch.no_grad():
            bn.weight.normal_(generator=rng)
            bn.bias.normal_(generator=rng)
        x = x.clone().requires_grad_()
        y = bn(x)
        (y * y.detach().sin()).sum().backward()
        out += [y.detach(), x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var]
    w = x0.clone().requires_grad_()
    opt = numtorch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1)
    for _ in range(3):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
    out.append(w.detach())
    return [t.numpy().copy() for t in out]


def test_split_elementwise_passes_give_the_same_bits_for_any_thread_count(monkeypatch):
    # sigmoid, relu, batch norm, the average pool and SGD's update run their elementwise passes
    # in ranges over the threads above SPLIT_MIN elements: the bits must be those of the
    # one-call path (the code before) for 1, 2 and 3 threads, and the threaded path must run.
    numtorch.set_num_threads(2)
    whole = _split_workload()                  # below the threshold: one call each
    calls = _small_split(monkeypatch, 1000)
    got = {}
    for t in (1, 2, 3):
        numtorch.set_num_threads(t)
        del calls[:]
        got[t] = _split_workload()
        if t > 1:   # 2 fwd/bwd per activation, pool fwd, 2+2 per batch norm, 2 SGD steps
            assert len(calls) >= 13 and min(calls) >= 2
    for t, res in got.items():
        assert len(res) == len(whole)
        for a, b in zip(res, whole):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), t


def test_split_run_covers_the_range_once():
    import numpy as np
    numtorch.set_num_threads(3)
    for n in (1, 5, _threads.SPLIT_MIN, _threads.SPLIT_MIN * 3 + 7):
        seen = np.zeros(n, np.int64)

        def fn(lo, hi):
            seen[lo:hi] += 1
        _threads.split_run(fn, n)
        assert (seen == 1).all()
    rows = np.zeros(100, np.int64)
    _threads.split_run(lambda lo, hi: rows.__setitem__(slice(lo, hi), rows[lo:hi] + 1), 100,
                       per=_threads.SPLIT_MIN // 10)
    assert (rows == 1).all()


def test_split_ops_on_the_stand_in_device_match_the_cpu():
    # On a device, split_run is one call over the flat/row views: the large-input paths of
    # sigmoid, relu, the pool, batch norm and SGD must run there and give the CPU's bits.
    import contextlib
    import numpy as np
    from numtorch.testing import stand_in
    F = numtorch.nn.functional
    numtorch.set_num_threads(2)
    x0 = np.random.default_rng(0).standard_normal((4, 4, 128, 128), dtype=np.float32)
    assert x0.size >= _threads.SPLIT_MIN
    res = {}
    for dev in ('cpu', 'cuda'):
        with stand_in.enabled() if dev == 'cuda' else contextlib.nullcontext():
            out = []
            for f in (numtorch.sigmoid, F.relu, lambda t: F.avg_pool2d(t, 2),
                      numtorch.nn.BatchNorm2d(4).to(dev)):
                x = numtorch.tensor(x0, device=dev, requires_grad=True)
                y = f(x)
                (y * y).sum().backward()
                out += [y.detach().cpu().numpy(), x.grad.cpu().numpy()]
            w = numtorch.tensor(x0, device=dev, requires_grad=True)
            opt = numtorch.optim.SGD([w], lr=0.1, momentum=0.9)
            for _ in range(2):
                opt.zero_grad()
                (w * w).sum().backward()
                opt.step()
            out.append(w.detach().cpu().numpy())
            res[dev] = out
    for a, b in zip(res['cpu'], res['cuda']):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize('n', [1000, 1 << 19])   # below and above the split threshold
def test_sigmoid_backward_is_bit_equal_to_torchs_kernel(n):
    # from the same output y, g * (1 - y) * y in torch's order gives torch's float32 bits
    torch = pytest.importorskip('torch')
    from numtorch._ops.pointwise.unary import Sigmoid
    rng = np.random.default_rng(0)
    g = rng.standard_normal(n).astype(np.float32)
    y = torch.tensor(rng.standard_normal(n).astype(np.float32) * 4).sigmoid()
    node = Sigmoid()
    node.saved = (y.numpy(),)
    want = torch.ops.aten.sigmoid_backward(torch.tensor(g), y).numpy()
    assert np.array_equal(node.backward(g), want)
