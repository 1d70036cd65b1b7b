"""What a second thread buys on LeNet-BN's activations: one pass on one thread and split over
two, for single NumPy calls, numtorch's ops and torch's fused kernels (issue 14).

    python bench/passes.py                  # LeNet-BN's first activation, (256, 6, 24, 24)
    python bench/passes.py --shape 256,16,8,8

Each row times a pass over a float32 activation with ``set_num_threads(1)`` and then 2 (the
medians of ``--repeats`` calls). NumPy rows split the array in two contiguous halves with
``numtorch._threads.split_run``, the split numtorch's elementwise ops use; the numtorch and
torch rows are the ops themselves. A second thread pays where a pass computes (``exp``, the
GEMMs) and not where it only moves data: a plain pass over a few MB is done in about the time
it takes to wake the helper thread and hand the GIL back and forth. torch's kernels make one
fused pass where NumPy makes several (sigmoid: 4 calls; batch norm's backward: 7 a block), so
two threads halve torch's time and leave much of numtorch's. The last line is that hand-off:
how long after ``run_chunks`` is called the helper starts, while the caller works.
"""
import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

import numtorch  # noqa: E402
from numtorch import _threads  # noqa: E402


def _seconds(fn):
    """A pass as a function that runs it once and returns its seconds."""
    def seconds():
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    return seconds


def _median_ms(seconds, repeats):
    """Median ms of ``repeats`` calls of ``seconds`` (after 5 warm-up calls)."""
    for _ in range(5):
        seconds()
    return float(np.median([seconds() for _ in range(repeats)])) * 1e3


def _rows(shape, torch):
    """(name, seconds): the passes over an activation of ``shape``, each as a function that
    runs it once and returns its seconds; ``torch`` may be None."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    out = np.empty_like(x)
    xf, of = x.reshape(-1), out.reshape(-1)

    def split(part):   # part(x's range, out's range)
        return _seconds(lambda: _threads.split_run(
            lambda lo, hi: part(xf[lo:hi], of[lo:hi]), xf.size))

    rows = [('NumPy copy', split(lambda x, o: np.copyto(o, x))),
            ('NumPy subtract', split(lambda x, o: np.subtract(x, 1.0, out=o))),
            ('NumPy exp', split(lambda x, o: np.exp(x, out=o)))]
    for fw in (numtorch, torch) if torch is not None else (numtorch,):
        a = fw.tensor(x)
        rows += [(f'{fw.__name__} sigmoid', _seconds(lambda fw=fw, a=a: fw.sigmoid(a))),
                 (f'{fw.__name__} batch norm backward', _bn_backward(fw, x))]
    return rows


def _bn_backward(fw, x):
    """A training batch norm's backward alone: the forward runs untimed, the input is a leaf
    whose gradient is reset. Returns the seconds of one backward."""
    bn = (fw.nn.BatchNorm2d if x.ndim == 4 else fw.nn.BatchNorm1d)(x.shape[1])
    xt = fw.tensor(x, requires_grad=True)
    g = fw.ones(x.shape)

    def seconds():
        y = bn(xt)
        xt.grad = None
        t = time.perf_counter()
        y.backward(g)
        return time.perf_counter() - t
    return seconds


def _helper_start_us(repeats):
    """Median µs from ``run_chunks``' call to the helper's first chunk, the caller meanwhile
    in a GIL-free NumPy call of ~0.1 ms (as in a real pass)."""
    busy = np.random.default_rng(0).standard_normal(1 << 18, dtype=np.float32)
    starts = []
    for _ in range(repeats):
        t0, first = time.perf_counter(), []

        def chunk(c):
            if c == 0:
                np.exp(busy)
            else:
                first.append(time.perf_counter())
        _threads.run_chunks(chunk, [0, 1])
        starts.append(first[0] - t0)
    return float(np.median(starts)) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--shape', default='256,6,24,24', help='the activation (default: LeNet-BN '
                    "conv1's output)")
    ap.add_argument('--repeats', type=int, default=100)
    a = ap.parse_args()
    try:
        shape = tuple(int(s) for s in a.shape.split(','))
    except ValueError:
        ap.error(f'--shape: expected integers separated by commas, got {a.shape!r}')
    if len(shape) not in (2, 4) or min(shape) < 1:
        ap.error(f'--shape: expected 2 or 4 positive sizes, got {a.shape!r}')
    try:
        import torch
    except ImportError:
        torch = None
    rows = _rows(shape, torch)
    print(f'{shape} float32 ({np.prod(shape) * 4 / 2**20:.1f} MiB), median ms of {a.repeats}')
    print(f'{"pass":32s} {"1 thread":>9s} {"2 threads":>9s} {"speed-up":>9s}')
    for name, fn in rows:
        t = {}
        for n in (1, 2):
            numtorch.set_num_threads(n)
            if torch is not None:
                torch.set_num_threads(n)
            t[n] = _median_ms(fn, a.repeats)
        print(f'{name:32s} {t[1]:9.3f} {t[2]:9.3f} {t[1] / t[2]:8.2f}x')
    numtorch.set_num_threads(2)
    print(f'helper thread starts {_helper_start_us(a.repeats):.0f} us after run_chunks is called')


if __name__ == '__main__':
    main()
