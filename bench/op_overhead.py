"""Per-call cost of small ops, numtorch vs torch in one process (microseconds, median of runs).

    python bench/op_overhead.py

Small ops measure framework overhead, not arithmetic: the NumPy call itself is ~0.5 us.
"""
import statistics
import sys
import os
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import numtorch  # noqa: E402

torch.set_num_threads(1)


def per_call_us(fn, number=20000, repeat=7):
    fn()
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


def cases(m):
    rng = np.random.default_rng(0)
    a = m.tensor(rng.standard_normal((2, 20)).astype(np.float32))
    b = m.tensor(rng.standard_normal((2, 20)).astype(np.float32))
    ag = m.tensor(rng.standard_normal((2, 20)).astype(np.float32), requires_grad=True)
    w = m.tensor(rng.standard_normal((20, 256)).astype(np.float32))
    out = {
        'add (2,20)': lambda: a + b,
        'add (2,20) requires_grad': lambda: ag + b,
        'matmul (2,20)x(20,256)': lambda: m.matmul(a, w),
        'sum (2,20)': lambda: a.sum(),
    }
    if hasattr(m, 'nn') and hasattr(m.nn, 'Sequential'):
        nn = m.nn
        net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
        x = m.rand(2, 20)
        out['MLP forward (2,20)'] = lambda: net(x)
        with m.no_grad():
            pass
    return out


def numpy_mlp():
    rng = np.random.default_rng(0)
    x = rng.random((2, 20), dtype=np.float32)
    w1 = rng.random((256, 20), dtype=np.float32)
    b1 = rng.random(256, dtype=np.float32)
    w2 = rng.random((10, 256), dtype=np.float32)
    b2 = rng.random(10, dtype=np.float32)
    return lambda: np.maximum(x @ w1.T + b1, 0) @ w2.T + b2


def main():
    import numtorch.nn  # noqa: F401  (module system, if present)
    nt, th = cases(numtorch), cases(torch)
    print(f'{"op":32s} {"numtorch us":>12s} {"torch us":>10s} {"ratio":>7s}')
    for name in nt:
        if name not in th:
            continue
        a, b = per_call_us(nt[name]), per_call_us(th[name])
        print(f'{name:32s} {a:12.2f} {b:10.2f} {a / b:7.2f}')
    print(f'{"MLP forward, plain NumPy":32s} {per_call_us(numpy_mlp()):12.2f}')


if __name__ == '__main__':
    main()
