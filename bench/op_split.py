"""Wall-clock time per op kind (forward and backward of each autograd Node class) of numtorch
training steps: where a ResNet-18 or LeNet step goes, threads included (cProfile only sees the
calling thread).

    python bench/op_split.py resnet --steps 2             # ResNet-18 CIFAR, batch 64
    python bench/op_split.py lenet --steps 20 --threads 1
"""
import argparse
import os
import sys
import time
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numtorch  # noqa: E402
from numtorch.autograd.graph import Node  # noqa: E402

_T = defaultdict(float)
_N = defaultdict(int)


def _wrap(cls, meth):
    f = cls.__dict__[meth]
    key = f'{cls.__name__}.{meth}'

    def timed(self, *a, **k):
        t = time.perf_counter()
        try:
            return f(self, *a, **k)
        finally:
            _T[key] += time.perf_counter() - t
            _N[key] += 1
    setattr(cls, meth, timed)


def _instrument():
    seen, todo = set(), [Node]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            if s not in seen:
                seen.add(s)
                todo.append(s)
                for m in ('forward', 'backward'):
                    if m in s.__dict__:
                        _wrap(s, m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model', choices=['resnet', 'lenet', 'lenet-bn'])
    ap.add_argument('--steps', type=int, default=2)
    ap.add_argument('--threads', type=int)
    a = ap.parse_args()
    if a.threads:
        numtorch.set_num_threads(a.threads)
    if a.model == 'resnet':
        from bench.resnet import make_step
        _, step = make_step(numtorch, 64, 64)
    else:
        from bench.step import _setup
        step = _setup(numtorch, a.model, 256)
    step()
    _instrument()
    from numtorch.optim.sgd import SGD
    upd = SGD._update

    def timed_update(self, group):
        t = time.perf_counter()
        upd(self, group)
        _T['SGD._update'] += time.perf_counter() - t
        _N['SGD._update'] += 1
    SGD._update = timed_update
    step()
    _T.clear(), _N.clear()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    total = (time.perf_counter() - t0) / a.steps
    print(f'{a.model}: {total * 1e3:.1f} ms/step, threads {numtorch.get_num_threads()}')
    acc = 0
    for k, v in sorted(_T.items(), key=lambda kv: -kv[1])[:30]:
        acc += v / a.steps
        print(f'{k:40s} {v / a.steps * 1e3:8.1f} ms  x{_N[k] // a.steps}')
    print(f'{"rest (python, engine, etc.)":40s} {(total - acc) * 1e3:8.1f} ms')


if __name__ == '__main__':
    main()
