"""Convolution microbenchmark: numtorch vs torch on LeNet's two conv layers (batch 256, float32).

    python bench/conv.py [--reps 20] [--threads N]

Times forward and forward+backward in the same process (best single call of ``--reps``); the first layer's
input needs no gradient (as in training), the second's does.
"""
import argparse
import os
import sys
import time

# BLAS reads its thread count when NumPy is imported: --threads must act before that import.
for _i, _a in enumerate(sys.argv):
    if _a == '--threads' and _i + 1 < len(sys.argv):
        for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[_v] = sys.argv[_i + 1]

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import numtorch  # noqa: E402
import numtorch.nn.functional as NF  # noqa: E402

CASES = [('conv1 (256,1,28,28) -> 6x5x5 pad 2', (256, 1, 28, 28), (6, 1, 5, 5), 2, False),
         ('conv2 (256,6,14,14) -> 16x5x5', (256, 6, 14, 14), (16, 6, 5, 5), 0, True)]


def _time(fn, reps):
    """Best single-call time: the least disturbed by other load on a shared machine."""
    fn()
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=20)
    ap.add_argument('--threads', type=int, help='BLAS threads and torch.set_num_threads')
    args = ap.parse_args()
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f'{"case":40s} {"":8s} {"numtorch ms":>12s} {"torch ms":>10s} {"ratio":>6s}')
    for name, xs, ws, pad, xgrad in CASES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32) * 0.1
        b = np.zeros(ws[0], np.float32)
        nx = numtorch.tensor(x, requires_grad=xgrad)
        nw, nb = numtorch.tensor(w, requires_grad=True), numtorch.tensor(b, requires_grad=True)
        tx = torch.tensor(x, requires_grad=xgrad)
        tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)

        def n_fwd():
            with numtorch.no_grad():
                NF.conv2d(nx, nw, nb, padding=pad)

        def t_fwd():
            with torch.no_grad():
                torch.nn.functional.conv2d(tx, tw, tb, padding=pad)

        def n_both():
            NF.conv2d(nx, nw, nb, padding=pad).sum().backward()

        def t_both():
            torch.nn.functional.conv2d(tx, tw, tb, padding=pad).sum().backward()
        for label, fn, tf in (('fwd', n_fwd, t_fwd), ('fwd+bwd', n_both, t_both)):
            a, c = _time(fn, args.reps), _time(tf, args.reps)
            print(f'{name:40s} {label:8s} {a:12.2f} {c:10.2f} {a / c:6.2f}')
    print(f'torch threads: {torch.get_num_threads()}')


if __name__ == '__main__':
    main()
