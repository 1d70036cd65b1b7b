"""Thread policy under load: training epochs of the MLP, LeNet and a transformer block with
numtorch's default thread policy against fixed thread counts (and torch's default), on an idle
machine, with one core busy with another process, and with 4 DataLoader workers.

    python bench/threads.py                      # every model x condition, 40 batches per epoch
    python bench/threads.py --quick              # 10 batches, MLP and LeNet only
    python bench/threads.py --models lenet --conditions busy --batches 20
    python bench/threads.py --repeats 3              # each cell's best of 3 runs (steadier)

Every cell runs in a fresh child process (thread settings act at import): build the model, run
one warm-up batch, then time one epoch of ``--batches`` batches from ``DataLoader(TensorDataset)``
(shuffled; evaluation excluded). Settings: ``default`` (nothing set: the library's policy),
``1`` / ``2`` (``set_num_threads(n)`` after import: numtorch's own threads, BLAS on one), ``blas2``
(``OPENBLAS_NUM_THREADS=2``: OpenBLAS's own two threads on every product). Conditions: ``idle``; ``busy`` (a child
process spins on one core for the whole cell); ``workers4`` (``num_workers=4``). The last column
is numtorch's default over its best fixed count (issue 14's target: <= 1.2 in every row). On 2
cores ``default`` and ``2`` are the same setting, so one run's single epochs can differ by 20%
from noise alone; ``--repeats`` takes each cell's best of several runs.
Run it on an otherwise idle machine: other load makes every figure noisy.
"""
import argparse
import os
import subprocess
import sys
import time
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ('mlp', 'lenet', 'transformer')
CONDITIONS = ('idle', 'busy', 'workers4')
SETTINGS = ('default', '1', '2', 'blas2')


def _model(fw, name):
    """(net, input shape, number of classes or None for a regression target, lr)."""
    if name == 'transformer':
        import numtorch.examples.gpt as nt_gpt
        if fw.__name__ == 'numtorch':
            mod = nt_gpt
        else:
            src = open(nt_gpt.__file__).read().replace('import numtorch as torch\n', 'import torch\n')
            mod = types.ModuleType('gpt_torch')
            exec(compile(src, nt_gpt.__file__, 'exec'), mod.__dict__)
        return mod.Block(256, 4), (128, 256), None, 1e-3
    from numtorch.examples._models import DEFAULT_LR, build_model
    return build_model(name, fw), (1, 28, 28), 10, DEFAULT_LR[name]


def child(fw_name, model, setting, workers, batches):
    """Time one epoch in this process; print seconds."""
    import numpy as np
    fw = __import__(fw_name)
    if setting not in ('default', 'blas2'):   # blas2: the environment, set by _cell
        fw.set_num_threads(int(setting))
    fw.manual_seed(0)
    net, shape, classes, lr = _model(fw, model)
    batch = 32 if model == 'transformer' else 256
    rng = np.random.default_rng(0)
    n = batch * (batches + 1)
    X = fw.tensor(rng.standard_normal((n,) + shape, dtype=np.float32))
    Y = fw.tensor(rng.integers(0, classes, n)) if classes else fw.zeros(n)
    data = fw.utils.data
    loader = data.DataLoader(data.TensorDataset(X, Y), batch, shuffle=True, num_workers=workers,
                             drop_last=True)
    opt = fw.optim.SGD(net.parameters(), lr=lr)

    def loss_of(x, y):
        out = net(x)
        return fw.nn.functional.cross_entropy(out, y) if classes else (out * out).mean()
    it = iter(loader)
    x, y = next(it)                      # warm-up batch (and worker start-up) not timed
    loss_of(x, y).backward()
    t = time.perf_counter()
    for x, y in it:
        opt.zero_grad()
        loss = loss_of(x, y)
        loss.backward()
        opt.step()
    print(time.perf_counter() - t)


def _cell(fw, model, setting, condition, batches, repeats=1):
    """The best of ``repeats`` fresh child processes' epochs."""
    return min(_run(fw, model, setting, condition, batches) for _ in range(repeats))


def _run(fw, model, setting, condition, batches):
    cmd = [sys.executable, os.path.abspath(__file__), '--child', fw, model, setting,
           '4' if condition == 'workers4' else '0', str(batches)]
    env = dict(os.environ, PYTHONPATH=REPO)
    if setting == 'blas2':
        env['OPENBLAS_NUM_THREADS'] = '2'
    busy = None
    if condition == 'busy':   # a neighbour spinning on one core for the whole cell
        busy = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO, env=env)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return float(out.stdout.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--conditions', default=','.join(CONDITIONS))
    ap.add_argument('--batches', type=int, default=40, help='batches per timed epoch')
    ap.add_argument('--quick', action='store_true', help='10 batches, MLP and LeNet')
    ap.add_argument('--repeats', type=int, default=1, help="each cell's best of this many runs")
    ap.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        fw, model, setting, workers, batches = args.child
        return child(fw, model, setting, int(workers), int(batches))
    models = args.models.split(',')
    if args.quick:
        args.batches = 10
        models = [m for m in models if m != 'transformer']
    print(f'seconds per epoch of {args.batches} batches (MLP/LeNet batch 256, transformer block '
          f'batch 32 x seq 128 x 256); {os.cpu_count()} CPUs')
    head = ' '.join(f'{"nt " + s:>10s}' for s in SETTINGS)
    print(f'{"model":12s} {"condition":10s} {head} {"torch def":>10s} {"def/best":>9s}')
    for model in models:
        for cond in args.conditions.split(','):
            nt = {s: _cell('numtorch', model, s, cond, args.batches, args.repeats)
                  for s in SETTINGS}
            th = _cell('torch', model, 'default', cond, args.batches, args.repeats)
            best = min(nt[s] for s in SETTINGS if s != 'default')
            cells = ' '.join(f'{nt[s]:10.3f}' for s in SETTINGS)
            print(f'{model:12s} {cond:10s} {cells} {th:10.3f} {nt["default"] / best:9.2f}',
                  flush=True)


if __name__ == '__main__':
    main()
