"""One GPT-style transformer block's training step, numtorch vs torch.

    python bench/transformer.py                    # d_model 256, 4 heads, seq 128, batch 32
    python bench/transformer.py --steps 5 --profile   # also cProfile numtorch's step

The block is the one of ``numtorch/examples/gpt.py`` (pre-norm: LayerNorm, causal multi-head
self-attention through ``F.scaled_dot_product_attention``, residual; LayerNorm, Linear-GELU-
Linear MLP, residual), run by both frameworks from the same file (for torch its
``import numtorch as torch`` line reads ``import torch``) with the same weights and input.
A step is forward, a loss, backward and an SGD update. Timed with one thread for both
(``set_num_threads(1)``) and with each framework's default thread count; steps alternate
between the frameworks so machine load hits both alike. Prints the median seconds per step,
the median CPU seconds (steadier on a busy machine) and numtorch / torch. Target (issue 13):
<= 1.3x torch.
"""
import argparse
import os
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import numtorch  # noqa: E402
from numtorch.examples import gpt as nt_gpt  # noqa: E402

TARGET = 1.3


def torch_gpt():
    """numtorch/examples/gpt.py executed with ``import torch`` in place of numtorch."""
    src = open(nt_gpt.__file__).read().replace('import numtorch as torch\n', 'import torch\n')
    mod = types.ModuleType('gpt_torch')
    exec(compile(src, nt_gpt.__file__, 'exec'), mod.__dict__)
    return mod


def build(args):
    """(numtorch block, torch block, input array): same weights."""
    torch.manual_seed(0)
    tb = torch_gpt().Block(args.d_model, args.heads)
    nb = nt_gpt.Block(args.d_model, args.heads)
    nb.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in tb.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(
        (args.batch, args.seq, args.d_model)).astype(np.float32)
    return nb, tb, x


def make_step(fw, block, x_np):
    x = fw.tensor(x_np)
    opt = fw.optim.SGD(block.parameters(), lr=1e-3)

    def step():
        out = block(x)
        loss = (out * out).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def timed(step, n):
    wall, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def run(args, threads, out=print):
    """Time both frameworks with ``threads`` (None: each one's default); returns the ratio."""
    nb, tb, x = build(args)
    steps = {'numtorch': make_step(numtorch, nb, x), 'torch': make_step(torch, tb, x)}
    saved = (numtorch.get_num_threads(), torch.get_num_threads())
    if threads:
        numtorch.set_num_threads(threads)
        torch.set_num_threads(threads)
    try:
        for s in steps.values():      # warm-up: allocator, BLAS thread pools, lazy imports
            s()
        res = {k: ([], []) for k in steps}
        for _ in range(args.steps):
            for k, s in steps.items():
                w, c = timed(s, 1)
                res[k][0].extend(w)
                res[k][1].extend(c)
        nt_threads, th_threads = numtorch.get_num_threads(), torch.get_num_threads()
    finally:
        numtorch.set_num_threads(saved[0])
        torch.set_num_threads(saved[1])
    med = {k: (float(np.median(w)), float(np.median(c))) for k, (w, c) in res.items()}
    ratio = med['numtorch'][0] / med['torch'][0]
    cpu_ratio = med['numtorch'][1] / med['torch'][1]
    out(f'threads: numtorch {nt_threads}, torch {th_threads}')
    for k in steps:
        out(f'  {k:9s} {med[k][0] * 1e3:8.1f} ms/step   cpu {med[k][1] * 1e3:8.1f} ms')
    out(f'  numtorch / torch: {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu   '
        f'(target <= {TARGET}x: {"met" if ratio <= TARGET else "NOT met"})')
    return ratio


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--d-model', type=int, default=256)
    p.add_argument('--heads', type=int, default=4)
    p.add_argument('--seq', type=int, default=128)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--threads', type=int, nargs='*', default=[1, 0],
                   help='thread counts to time (0: each framework\'s default)')
    p.add_argument('--profile', action='store_true', help='cProfile numtorch\'s steps')
    args = p.parse_args(argv)
    print(f'GPT block: d_model {args.d_model}, {args.heads} heads, seq {args.seq}, '
          f'batch {args.batch}; forward + backward + SGD step; median of {args.steps}')
    for t in args.threads:
        run(args, t or None)
    if args.profile:
        import cProfile
        import pstats
        nb, _, x = build(args)
        step = make_step(numtorch, nb, x)
        numtorch.set_num_threads(1)
        step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.steps):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats('tottime').print_stats(20)


if __name__ == '__main__':
    main()
