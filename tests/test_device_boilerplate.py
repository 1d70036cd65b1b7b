"""The device-era boilerplate real scripts run first, against torch 2.13 (CPU build): the same
answers, warnings and errors on a machine without CUDA; GradScaler('cpu') trajectories."""
import importlib
import inspect
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

MODS = (numtorch, torch)


def _sig(fn):
    """Parameter names, kinds and defaults (annotations aside)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def _warnings(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        out = fn()
    return out, [(x.category.__name__, str(x.message)) for x in w]


def test_accelerator_answers_like_torch_without_one():
    for m in MODS:
        a = m.accelerator
        assert (a.is_available(), a.current_accelerator(), a.device_count()) == \
            (False, None, 0)
        assert a.current_accelerator(check_available=True) is None
    same_error(lambda m: m.accelerator.current_device_index())
    same_error(lambda m: m.accelerator.synchronize())


def test_backend_flags_defaults_setting_and_type_checks():
    names = [('cudnn', 'enabled'), ('cudnn', 'benchmark'), ('cudnn', 'deterministic'),
             ('cudnn', 'allow_tf32'), ('cuda.matmul', 'allow_tf32'),
             ('cuda.matmul', 'allow_fp16_reduced_precision_reduction')]

    def get(m, path, name):
        obj = m.backends
        for part in path.split('.'):
            obj = getattr(obj, part)
        return obj, getattr(obj, name)
    for path, name in names:
        (no, nv), (to, tv) = get(numtorch, path, name), get(torch, path, name)
        assert nv == tv, (path, name)
        setattr(no, name, not nv)
        assert getattr(no, name) is (not nv)
        setattr(no, name, nv)
        same_error(lambda m: setattr(get(m, path, name)[0], name, 3.5))
    for m in MODS:
        assert (m.backends.cudnn.is_available(), m.backends.cudnn.version(),
                m.backends.mps.is_available(), m.backends.mps.is_built(),
                m.backends.cuda.is_built()) == (False, None, False, False, False)
    same_error(lambda m: m.backends.cuda.matmul.no_such_flag)


def test_matmul_precision_and_deterministic_switches():
    for m in MODS:
        m.set_float32_matmul_precision('medium')
        assert m.get_float32_matmul_precision() == 'medium'
        m.set_float32_matmul_precision('highest')
        assert not m.are_deterministic_algorithms_enabled()
    # (torch's first use_deterministic_algorithms(True) costs seconds of imports: numtorch only)
    numtorch.use_deterministic_algorithms(True, warn_only=True)
    assert numtorch.are_deterministic_algorithms_enabled() and \
        numtorch.is_deterministic_algorithms_warn_only_enabled()
    numtorch.use_deterministic_algorithms(False)
    assert not numtorch.are_deterministic_algorithms_enabled()
    (_, nw), (_, tw) = [_warnings(lambda m=m: m.set_float32_matmul_precision('fast'))
                        for m in MODS]
    assert len(tw) == 1 and nw[0][0] == tw[0][0]
    assert tw[0][1].startswith(nw[0][1])        # torch appends where in C++ it warned
    same_error(lambda m: m.set_float32_matmul_precision(3))
    same_error(lambda m: m.use_deterministic_algorithms('yes'))
    assert _sig(numtorch.use_deterministic_algorithms) == _sig(torch.use_deterministic_algorithms)


def test_default_device():
    for m in MODS:
        m.set_default_device('cpu')
        assert str(m.get_default_device()) == 'cpu'
        m.set_default_device(None)
        assert repr(m.get_default_device()) == "device(type='cpu')"
    # torch accepts 'cuda' here and fails at the first tensor; numtorch fails at once
    with pytest.raises(AssertionError, match='Torch not compiled with CUDA enabled'):
        numtorch.set_default_device('cuda')
    assert str(numtorch.get_default_device()) == 'cpu'


@pytest.mark.parametrize('attr', ['is_cuda', 'is_xpu', 'is_mps', 'is_cpu', 'is_meta',
                                  'is_sparse', 'is_quantized'])
def test_tensor_device_predicates(attr):
    assert getattr(numtorch.ones(2), attr) == getattr(torch.ones(2), attr)


# ---------------------------------------------------------------------- autocast
@pytest.mark.parametrize('args', [('cpu',), ('cuda',), ('cpu', 'float16'), ('cpu', 'float64'),
                                  ('cpu', None, False)], ids=str)
def test_autocast_state_and_warnings_match_torch(args):
    def run(m):
        a = list(args)
        if len(a) > 1 and a[1] is not None:
            a[1] = getattr(m, a[1])
        before = m.is_autocast_enabled(args[0])
        with m.autocast(*a) as ctx:
            inside = m.is_autocast_enabled(args[0])
            with m.autocast(args[0], enabled=False):
                nested = m.is_autocast_enabled(args[0])
            after_nested = m.is_autocast_enabled(args[0])
        x = m.ones(2, 2)
        with m.autocast(*a):
            y = x @ x
        return (before, inside, nested, after_nested, m.is_autocast_enabled(args[0]),
                type(ctx).__name__, str(m.get_autocast_dtype('cuda')), y.sum().item())
    (n, nw), (t, tw) = _warnings(lambda: run(numtorch)), _warnings(lambda: run(torch))
    assert n == t
    assert nw == tw


def test_autocast_decorator_spellings_and_errors():
    for m in MODS:
        @m.autocast('cpu')
        def f():
            return m.is_autocast_enabled('cpu')

        @m.amp.autocast(device_type='cpu', dtype=m.float16)
        def g():
            return str(m.get_autocast_dtype('cpu'))
        assert f() is True and g() == 'torch.float16'
        assert not m.is_autocast_enabled('cpu')
        assert m.amp.is_autocast_available('cpu')
    (_, nw), (_, tw) = [_warnings(lambda m=m: m.cuda.amp.autocast().__enter__()) for m in MODS]
    assert nw == tw and len(tw) == 2
    same_error(lambda m: m.autocast(m.device('cpu')))
    same_error(lambda m: m.autocast('foo'))
    assert _sig(numtorch.autocast.__init__) == _sig(torch.autocast.__init__)
    assert _sig(numtorch.cuda.amp.autocast.__init__)[:2] == _sig(torch.cuda.amp.autocast.__init__)[:2]


# ---------------------------------------------------------------------- GradScaler
@pytest.mark.parametrize('make', ["amp.GradScaler()", "cuda.amp.GradScaler()",
                                  "amp.GradScaler('cuda', init_scale=8.)",
                                  "amp.GradScaler('cpu', enabled=False)"])
def test_disabled_grad_scaler_matches_torch(make):
    res = []
    for m in MODS:
        scaler, w_ = _warnings(lambda m=m: eval('m.' + make))
        p = m.ones(2, requires_grad=True)
        opt = m.optim.SGD([p], lr=0.1)
        loss = (p * p).sum()
        same = scaler.scale(loss) is loss
        scaler.scale(loss).backward()
        r = (w_, scaler.is_enabled(), same, scaler.unscale_(opt), scaler.step(opt),
             scaler.update(), scaler.update(4.0), scaler.get_scale(), scaler.state_dict(),
             p.detach().numpy().tolist())
        scaler.load_state_dict({})
        res.append(r)
    assert res[0] == res[1]


def _scaler_run(m, grads, **kw):
    p = m.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = m.optim.Adam([p], lr=0.1)
    scaler = m.amp.GradScaler('cpu', **kw)
    out = []
    for i, g in enumerate(grads):
        opt.zero_grad()
        scaler.scale((p * m.tensor(g)).sum()).backward()
        if i % 2:
            scaler.unscale_(opt)
            m.nn.utils.clip_grad_norm_([p], 1.0)
        scaler.step(opt)
        scaler.update()
        out.append((p.detach().numpy().copy(), scaler.get_scale(), scaler.state_dict()))
    return out


def test_cpu_grad_scaler_trajectory_with_overflow_matches_torch():
    grads = [[1., 2., 3.], [float('inf'), 0., 1.], [0.5, -1., 2.], [1e38, 1e38, 1.],
             [1., 1., 1.], [2., -3., 0.1]]
    n = _scaler_run(numtorch, grads, init_scale=2.0 ** 10, growth_interval=2)
    t = _scaler_run(torch, grads, init_scale=2.0 ** 10, growth_interval=2)
    assert len(n) == len(t)
    for (np_, ns, nsd), (tp, ts, tsd) in zip(n, t):
        np.testing.assert_allclose(np_, tp, rtol=1e-6)
        assert ns == ts and nsd == tsd


def test_cpu_grad_scaler_errors_and_state_dict():
    def twice(m):
        p = m.ones(1, requires_grad=True)
        opt = m.optim.SGD([p], lr=0.1)
        s = m.amp.GradScaler('cpu')
        s.scale(p.sum()).backward()
        s.unscale_(opt)
        s.unscale_(opt)
    same_error(twice)
    same_error(lambda m: m.amp.GradScaler('cpu').load_state_dict({}))
    same_error(lambda m: m.amp.GradScaler('cpu', growth_factor=0.9))

    def closure(m):
        p = m.ones(1, requires_grad=True)
        s = m.amp.GradScaler('cpu')
        s.scale(p.sum()).backward()
        s.step(m.optim.SGD([p], lr=0.1), closure=lambda: 0)
    same_error(closure)
    sd = torch.amp.GradScaler('cpu', init_scale=16., growth_interval=3).state_dict()
    s = numtorch.amp.GradScaler('cpu')
    s.load_state_dict(sd)
    assert s.state_dict() == sd
    assert _sig(numtorch.amp.GradScaler.__init__) == _sig(torch.amp.GradScaler.__init__)
    assert _sig(numtorch.cuda.amp.GradScaler.__init__) == _sig(torch.cuda.amp.GradScaler.__init__)


# ---------------------------------------------------------------------- compile, jit, misc
def test_compile_and_jit_return_their_argument():
    # torch.compile itself is not called here: its first call imports dynamo, which switches
    # off torch.distributions' argument validation for the rest of the process (and other
    # tests compare against that); its signature and messages are compared instead.
    net = numtorch.nn.Linear(2, 2)
    assert numtorch.compile(net) is net and numtorch.jit.script(net) is net

    def f(x):
        return x + 1
    assert numtorch.compile(f) is f and numtorch.compile(mode='reduce-overhead')(f) is f
    assert numtorch.compile(fullgraph=True)(f)(numtorch.ones(1)).item() == 2.0
    for m in MODS:
        assert m.jit.is_scripting() is False and m.jit.is_tracing() is False
    assert numtorch.jit.trace(f, (numtorch.ones(1),)) is f
    assert numtorch.jit.ignore(f) is f and numtorch.jit.ignore(drop=True)(f) is f
    with pytest.raises(AssertionError, match="^A callable function is expected, but <class "
                                             "'int'> is provided.$"):
        numtorch.compile(3)
    with pytest.raises(RuntimeError, match="^Either mode or options can be specified, but both "
                                           "can't be specified at the same time.$"):
        numtorch.compile(f, mode='a', options={})
    assert _sig(numtorch.compile) == _sig(torch.compile)
    assert [p[0] for p in _sig(numtorch.jit.trace)] == [p[0] for p in _sig(torch.jit.trace)]


def test_version_multiprocessing_onnx_and_import_only_modules():
    for m in MODS:
        assert m.version.cuda is None and m.version.hip is None and m.version.debug is False
    assert set(torch.multiprocessing.__all__) <= set(numtorch.multiprocessing.__all__) | \
        {'ENV_VAR_PARALLEL_START', 'SpawnContext'}
    assert numtorch.multiprocessing.Queue is not None
    assert numtorch.multiprocessing.get_sharing_strategy() == \
        torch.multiprocessing.get_sharing_strategy()
    same_error(lambda m: m.multiprocessing.set_sharing_strategy('shared'))
    with pytest.raises(NotImplementedError, match='ONNX'):
        numtorch.onnx.export(numtorch.nn.Linear(1, 1), (numtorch.ones(1),), 'x.onnx')
    importlib.import_module('numtorch.nn.parallel')


def test_multiprocessing_spawn_runs_and_propagates_errors(tmp_path):
    """Fresh 'spawn' processes (forking a process that holds torch's and BLAS's threads can
    deadlock): process 0 runs to completion, process 1's exception is re-raised here."""
    import _mp_child
    mp = numtorch.multiprocessing
    with pytest.raises(mp.ProcessRaisedException, match='ValueError: bad 1'):
        mp.spawn(_mp_child.write_or_fail, args=(str(tmp_path),), nprocs=2)
    assert [p.read_text() for p in tmp_path.iterdir()] == ['2.0']


SCRIPT = '''
device = torch.device('cuda' if torch.cuda.is_available() else
                      'mps' if torch.backends.mps.is_available() else 'cpu')
torch.backends.cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = True
torch.set_float32_matmul_precision('high')
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
with torch.no_grad():
    for p, a in zip(model.parameters(), init):
        p.copy_(torch.tensor(a))
model = model.to(device)
if torch.cuda.device_count() > 1:
    model = torch.nn.DataParallel(model)
model = torch.compile(model) if use_compile else model
opt = torch.optim.NAdam(model.parameters(), lr=0.05)
sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
scaler = torch.amp.GradScaler(device.type, enabled=device.type == 'cuda')
losses = []
for step in range(4):
    x, y = torch.tensor(X).to(device), torch.tensor(Y).to(device)
    with torch.autocast(device_type=device.type, enabled=device.type == 'cuda'):
        loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    scaler.step(opt)
    scaler.update()
    sched.step()
    losses.append(loss.item())
torch.backends.cudnn.benchmark = False
torch.set_float32_matmul_precision('highest')
'''


def test_a_typical_training_script_header_runs_unchanged():
    """The boilerplate as scripts write it, run with ``torch`` bound to each library, from the
    same weights and data: the same losses."""
    rng = np.random.default_rng(11)
    init = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in [(8, 4), (8,), (1, 8), (1,)]]
    X = rng.standard_normal((16, 4)).astype(np.float32)
    Y = rng.standard_normal((16, 1)).astype(np.float32)
    res = []
    for m in MODS:
        ns = {'torch': m, 'init': init, 'X': X, 'Y': Y, 'use_compile': m is numtorch}
        exec(SCRIPT, ns)
        res.append(ns['losses'])
    np.testing.assert_allclose(res[0], res[1], rtol=1e-5)
