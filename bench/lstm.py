"""A 2-layer LSTM training step in numtorch and in torch: seconds per step and the ratio.

    python bench/lstm.py                      # hidden 256, seq 64, batch 32, input 256
    python bench/lstm.py --steps 5 --hidden 128 --frameworks numtorch   # e.g. under cProfile

The step is the same code in both (``step`` below, passed the framework module): forward of
``nn.LSTM(input, hidden, num_layers=2)`` on a ``(seq, batch, input)`` batch, a linear head on
every time step, MSE against a fixed target, backward, ``optim.SGD`` update. Both start from the
same weights (torch's, loaded into numtorch). It runs once with one thread for both frameworks
(``torch.set_num_threads(1)``, numtorch's BLAS set to 1) and once with each framework's default
thread count; timed steps alternate between the frameworks so that load from other processes
hits both alike. Each figure is the median of ``--steps`` steps after ``--warmup`` untimed ones;
CPU time (``time.process_time``) is printed too, the steadier figure on a busy machine.
Target (issue 13): numtorch <= 1.5x torch.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import numtorch  # noqa: E402

TARGET = 1.5


def build(fw, args, state=None):
    """The model, its head, an SGD optimizer and a fixed batch in framework ``fw``."""
    fw.manual_seed(0)
    lstm = fw.nn.LSTM(args.input, args.hidden, num_layers=2)
    head = fw.nn.Linear(args.hidden, args.input)
    if state is not None:
        lstm.load_state_dict({k: fw.tensor(v) for k, v in state[0].items()})
        head.load_state_dict({k: fw.tensor(v) for k, v in state[1].items()})
    params = list(lstm.parameters()) + list(head.parameters())
    opt = fw.optim.SGD(params, lr=0.01)
    rng = np.random.default_rng(0)
    x = fw.tensor(rng.standard_normal((args.seq, args.batch, args.input)).astype(np.float32))
    y = fw.tensor(rng.standard_normal((args.seq, args.batch, args.input)).astype(np.float32))
    return lstm, head, opt, x, y


def step(fw, model):
    """One training step; returns the loss as a float."""
    lstm, head, opt, x, y = model
    opt.zero_grad()
    out, _ = lstm(x)
    loss = fw.nn.functional.mse_loss(head(out), y)
    loss.backward()
    opt.step()
    return loss.item()


def timed(fw, model):
    w, c = time.perf_counter(), time.process_time()
    step(fw, model)
    return time.perf_counter() - w, time.process_time() - c


def run(fws, models, args):
    """Median (wall, cpu) seconds per step for each framework, steps interleaved."""
    for _ in range(args.warmup):
        for name in models:
            step(fws[name], models[name])
    times = {name: [] for name in models}
    for _ in range(args.steps):
        for name in models:
            times[name].append(timed(fws[name], models[name]))
    return {name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
            for name, ts in times.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--input', type=int, default=256)
    p.add_argument('--seq', type=int, default=64)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--frameworks', default='numtorch,torch')
    args = p.parse_args(argv)
    names = args.frameworks.split(',')
    fws = {'numtorch': numtorch}
    state = None
    if 'torch' in names:
        import torch
        fws['torch'] = torch
        tl, th = build(torch, args)[:2]
        state = ({k: v.detach().numpy() for k, v in tl.state_dict().items()},
                 {k: v.detach().numpy() for k, v in th.state_dict().items()})
    default_threads = {'numtorch': numtorch.get_num_threads()}
    if 'torch' in fws:
        default_threads['torch'] = fws['torch'].get_num_threads()
    print(f'2-layer LSTM training step: input {args.input}, hidden {args.hidden}, seq {args.seq}, '
          f'batch {args.batch}; median of {args.steps} steps')
    for label in ('1 thread', 'default threads'):
        for name in names:
            fws[name].set_num_threads(1 if label == '1 thread' else default_threads[name])
        models = {name: build(fws[name], args, state) for name in names}
        res = run({n: fws[n] for n in names}, models, args)
        line = '  '.join(f'{n}: {res[n][0] * 1e3:7.1f} ms (cpu {res[n][1] * 1e3:7.1f} ms, '
                         f'{default_threads[n] if label != "1 thread" else 1} thr)' for n in names)
        print(f'{label:>16}: {line}')
        if len(names) == 2:
            r = res['numtorch'][0] / res['torch'][0]
            rc = res['numtorch'][1] / res['torch'][1]
            print(f'{"":>16}  numtorch / torch = {r:.2f}x wall, {rc:.2f}x cpu '
                  f'(target <= {TARGET}x)')
    for name in names:
        fws[name].set_num_threads(default_threads[name])


if __name__ == '__main__':
    main()
