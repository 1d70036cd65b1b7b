"""ResNet-18 training step (CIFAR-style: 3x3 stem, no max-pool, 32x32x3 input), numtorch vs torch.

    python bench/resnet.py                      # batch 64, 5 timed steps each, then peak RSS
    python bench/resnet.py --steps 2 --width 16 # quick
    python bench/resnet.py --threads 1          # one thread in both frameworks
    python bench/resnet.py --no-rss             # step times only

Step time: both frameworks train the same network (torchvision's CIFAR layout, as
``numtorch/examples/resnet_cifar.py``; numtorch's initial weights copied into torch) with SGD
(momentum 0.9, weight decay 5e-4) on the same random batch, alternating steps in one process;
the figure is each one's fastest step (the least disturbed by other load) and their ratio
(issue 14's target: <= 1.2x). Peak RSS: each framework runs the same steps in a child process
of its own that imports only that framework, and reports ``ru_maxrss`` (target: numtorch's <=
torch's).
"""
import argparse
import os
import subprocess
import sys
import time

# BLAS reads its thread count when NumPy is imported: --threads must act before that import.
for _i, _a in enumerate(sys.argv):
    if _a == '--threads' and _i + 1 < len(sys.argv):
        for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[_v] = sys.argv[_i + 1]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402


def resnet18(fw, width=64, num_classes=10):
    """torchvision's BasicBlock ResNet-18 with the CIFAR stem, in framework ``fw``."""
    nn, F = fw.nn, fw.nn.functional

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))

    layers = [nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for i, stride in enumerate((1, 2, 2, 2)):
        cout = width << i
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers)


def make_step(fw, width, batch, state=None):
    """A closure running one SGD training step of ResNet-18 in ``fw`` on a fixed batch; the
    weights are ``state`` (a dict of NumPy arrays) when given."""
    fw.manual_seed(0)
    net = resnet18(fw, width)
    if state is not None:
        net.load_state_dict({k: fw.tensor(v) for k, v in state.items()})
    opt = fw.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    rng = np.random.default_rng(0)
    x = fw.tensor(rng.standard_normal((batch, 3, 32, 32), dtype=np.float32))
    y = fw.tensor(rng.integers(0, 10, batch))

    def step():
        opt.zero_grad()
        loss = fw.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return net, step


def child(framework, args):
    """Run the steps in this process with one framework only; print the peak RSS in MiB."""
    fw = __import__(framework)
    if args.threads:
        fw.set_num_threads(args.threads)
    _, step = make_step(fw, args.width, args.batch)
    for _ in range(args.steps + 1):
        step()
    assert framework == 'torch' or 'torch' not in sys.modules   # only one framework loaded
    print(_peak_rss_mib())


def _peak_rss_mib():
    """This process's peak RSS. Linux's VmHWM belongs to the process image (ru_maxrss would
    carry over the parent's peak across fork + exec)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=5, help='timed steps per framework')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--width', type=int, default=64, help='first stage channels (64: ResNet-18)')
    ap.add_argument('--threads', type=int, help='threads in both frameworks')
    ap.add_argument('--no-rss', action='store_true', help='skip the peak-RSS child processes')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args)
    import numtorch
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
        numtorch.set_num_threads(args.threads)
    net, n_step = make_step(numtorch, args.width, args.batch)
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    _, t_step = make_step(torch, args.width, args.batch, state)
    n_loss, t_loss = n_step(), t_step()     # warm-up; same weights, same loss
    times = {'numtorch': [], 'torch': []}
    for _ in range(args.steps):
        for name, step in (('numtorch', n_step), ('torch', t_step)):
            t = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t)
    n, t = min(times['numtorch']), min(times['torch'])
    print(f'ResNet-18 (CIFAR stem, width {args.width}), batch {args.batch}, SGD momentum; '
          f'threads: numtorch {numtorch.get_num_threads()}, torch {torch.get_num_threads()}')
    print(f'first loss: numtorch {n_loss:.6f} torch {t_loss:.6f}')
    print(f'{"":10s} {"s/step":>8s}')
    print(f'{"numtorch":10s} {n:8.3f}\n{"torch":10s} {t:8.3f}\n{"ratio":10s} {n / t:8.2f}  '
          f'(target <= 1.2)')
    if args.no_rss:
        return
    rss = {}
    for name in ('numtorch', 'torch'):
        cmd = [sys.executable, os.path.abspath(__file__), '--child', name, '--steps',
               str(args.steps), '--batch', str(args.batch), '--width', str(args.width)]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO)
        rss[name] = float(out.stdout.split()[-1])
    print(f'peak RSS MiB: numtorch {rss["numtorch"]:.0f} torch {rss["torch"]:.0f} '
          f'ratio {rss["numtorch"] / rss["torch"]:.2f}  (target <= 1.0)')


if __name__ == '__main__':
    main()
