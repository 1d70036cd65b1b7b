"""One training step of D2L's LeNet / LeNet-BN, numtorch vs torch in one process (issue 14).

    python bench/step.py                       # lenet,lenet-bn; both frameworks' default threads
    python bench/step.py --threads 1           # set_num_threads(1) in both
    python bench/step.py --models lenet --repeats 30
    python bench/step.py --profile lenet       # cProfile of numtorch's steps only (self time)

Same weights (numtorch's seeded D2L init copied into torch), same batch (random pixels in
[0, 1], batch 256), SGD; the step is ``zero_grad, forward, cross-entropy, backward, step`` plus
the loop's ``loss.item()`` and accuracy count, as ``fashion_mnist.train_epoch``. Blocks of 5
steps alternate between the frameworks so load from other processes hits both alike (single
steps would let torch's spinning pool threads slow numtorch's next step); prints the minimum
and median per framework and the ratio of minima (the steadier figure on a shared machine).
"""
import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

import numtorch  # noqa: E402
from numtorch.examples._models import DEFAULT_LR, build_model  # noqa: E402


_BLOCK = 5   # steps timed per framework between switches


def _setup(fw, name, batch, seed=0):
    numtorch.manual_seed(seed)
    net_nt = build_model(name, numtorch)
    net = build_model(name, fw) if fw is not numtorch else net_nt
    if fw is not numtorch:
        with fw.no_grad():
            for p, q in zip(net.parameters(), net_nt.parameters()):
                p.copy_(fw.from_numpy(q.detach().numpy().copy()))
    rng = np.random.default_rng(seed)
    X = fw.from_numpy(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = fw.from_numpy(rng.integers(0, 10, batch))
    opt = fw.optim.SGD(net.parameters(), lr=DEFAULT_LR[name])
    loss_fn = fw.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        y_hat = net(X)
        l = loss_fn(y_hat, y)
        l.backward()
        opt.step()
        l.item()
        int((y_hat.argmax(dim=1) == y).sum())
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--models', default='lenet,lenet-bn')
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--repeats', type=int, default=20)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--profile', default=None, help='cProfile numtorch steps of this model')
    a = ap.parse_args()
    if a.profile:
        import cProfile
        import pstats
        if a.threads:
            numtorch.set_num_threads(a.threads)
        step = _setup(numtorch, a.profile, a.batch)
        for _ in range(3):
            step()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(a.repeats):
            step()
        pr.disable()
        pstats.Stats(pr).sort_stats('tottime').print_stats(25)
        return
    import torch
    if a.threads:
        numtorch.set_num_threads(a.threads)
        torch.set_num_threads(a.threads)
    print(f'threads: numtorch {numtorch.get_num_threads()} (BLAS '
          f'{numtorch._threads.blas_num_threads()}), torch {torch.get_num_threads()}; '
          f'load {os.getloadavg()[0]:.2f}')
    for name in a.models.split(','):
        steps = {'numtorch': _setup(numtorch, name, a.batch), 'torch': _setup(torch, name, a.batch)}
        times = {k: [] for k in steps}
        for k, s in steps.items():   # warm-up
            s(); s()
        # Blocks of steps, not single steps, alternate: after its step torch's idle pool
        # threads spin for a while and take the cores from numtorch's next step (interleaved
        # one by one, numtorch's two-thread LeNet step measured 15.9 against 13.5 ms run on its
        # own). Each block's first step, the one that pays for the switch, is not timed.
        for _ in range(-(-a.repeats // _BLOCK)):
            for k, s in steps.items():
                s()
                for _ in range(_BLOCK):
                    t = time.perf_counter()
                    s()
                    times[k].append(time.perf_counter() - t)
        nt, th = (sorted(times[k]) for k in ('numtorch', 'torch'))
        print(f'{name:9s} numtorch min {nt[0]*1e3:6.1f} ms med {nt[len(nt)//2]*1e3:6.1f} | '
              f'torch min {th[0]*1e3:6.1f} ms med {th[len(th)//2]*1e3:6.1f} | '
              f'ratio(min) {nt[0]/th[0]:.2f}x  ratio(med) {nt[len(nt)//2]/th[len(th)//2]:.2f}x')


if __name__ == '__main__':
    main()
