"""Train D2L's Fashion-MNIST models in numtorch and in torch, in one run, and compare.

    python bench/train.py                          # all four models, 10 epochs (D2L's setting)
    python bench/train.py --models softmax,mlp --epochs 2
    python bench/train.py --frameworks numtorch --models lenet --epochs 1   # e.g. under cProfile
    python bench/train.py --models lenet,lenet-bn --epochs 1 --threads 1    # issue 14, one thread
    python bench/train.py --models lenet --epochs 2 --workers 4   # D2L train_ch6's shape

Both frameworks run the very same training code (``numtorch/examples/fashion_mnist.py``:
``train_epoch`` / ``evaluate_accuracy`` / ``_models.build_model``, passed the framework module)
with D2L's hyperparameters (SGD, batch 256, softmax lr 0.1, MLP lr 0.1, LeNet lr 0.9,
LeNet-BN lr 1.0) on the same data: the full Fashion-MNIST IDX files, decoded once with NumPy into
a float32 ``TensorDataset`` in each framework (ToTensor's values: pixel / 255), loaded by each
framework's own ``DataLoader``. By default both start from the same weights (numtorch's seeded
D2L initialization, copied into torch) and see the same batches in the same order (a shared
sampler), so the accuracy gap measures arithmetic, not the luck of the draw; ``--independent``
lets each framework draw its own initialization and shuffle from its own seeded generators.

Prints a table: final test accuracy of each, training seconds per epoch of each (the median over
epochs of the training loop, data loading included, evaluation excluded) and numtorch / torch.
Epochs alternate between the two frameworks so that load from other processes hits both alike;
the CPU-time ratio (``time.process_time`` over the same loop) is the steadier figure on a busy
machine, and with ``--threads 1`` it counts the same work as the wall-clock one.
Targets: accuracy within 1 point of torch's; s/epoch <= 1.2x torch's for softmax and the MLP
(issue 5), <= 1.0x for LeNet and LeNet-BN (issue 14), also with ``--workers 4`` (D2L's
train_ch6: its training + evaluation epoch is printed per model). Both frameworks use their
default thread policies unless ``--threads N``.
"""
import argparse
import gzip
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == '--threads' and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith('--threads='):
            return a.split('=', 1)[1]
    return None


# BLAS reads its thread count when NumPy is imported, so --threads must act before the import.
_THREADS = _threads_from_argv(sys.argv[1:])
if _THREADS:
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = _THREADS

import numpy as np  # noqa: E402

import numtorch  # noqa: E402
from numtorch.examples import fashion_mnist as fm  # noqa: E402
from numtorch.examples._models import DEFAULT_LR, MODELS, build_model  # noqa: E402

TARGET = {'softmax': 1.2, 'mlp': 1.2, 'lenet': 1.0, 'lenet-bn': 1.0}   # issue 14 for LeNets


def read_idx(path):
    """An IDX file (gzip or plain) as a uint8 ndarray of the shape its header gives."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_arrays(data_dir):
    """{'train': (X float32 (N,1,28,28) in [0,1], y int64), 'test': ...} from the IDX files."""
    out = {}
    for split, prefix in (('train', 'train'), ('test', 't10k')):
        def find(kind):
            for ext in ('.gz', ''):
                p = os.path.join(data_dir, f'{prefix}-{kind}-idx{3 if kind == "images" else 1}'
                                           f'-ubyte{ext}')
                if os.path.exists(p):
                    return p
            raise SystemExit(f'error: no {prefix} {kind} IDX file in {data_dir}')
        X = read_idx(find('images')).astype(np.float32) / np.float32(255)
        out[split] = (X[:, None, :, :].copy(), read_idx(find('labels')).astype(np.int64))
    return out


class SharedOrder:
    """A sampler both frameworks accept: epoch ``e`` visits ``default_rng(seed + e).permutation(n)``.

    With ``--same-start`` (the default) both frameworks see the same batches in the same order, so
    their accuracies differ only by floating-point rounding, not by the luck of the draw.
    """

    def __init__(self, n, seed):
        self.n, self.seed, self.epoch = n, seed, 0

    def __iter__(self):
        perm = np.random.default_rng(self.seed + self.epoch).permutation(self.n)
        self.epoch += 1
        return iter(perm.tolist())

    def __len__(self):
        return self.n


class Run:
    """One model training in framework ``fw``: set up (and warmed up) here, one epoch per call.

    ``start``: a state_dict of NumPy arrays to start from (``--same-start``), else ``fw``'s own
    seeded D2L initialization and its own seeded shuffle generator.
    """

    def __init__(self, fw, model, arrays, batch_size, seed, start=None, workers=0):
        self.fw, self.model = fw, model
        self.loss_fn = fw.nn.CrossEntropyLoss()
        TD, DataLoader = fw.utils.data.TensorDataset, fw.utils.data.DataLoader
        train_set = TD(*(fw.from_numpy(a) for a in arrays['train']))
        test_set = TD(*(fw.from_numpy(a) for a in arrays['test']))
        # Warm up (lazy initialization, allocator, BLAS threads) on two batches of a throwaway
        # model, so the first timed epoch is not charged for it.
        warm = build_model(model, fw)
        sub = TD(*(fw.from_numpy(a[:2 * batch_size]) for a in arrays['train']))
        fm.train_epoch(fw, warm, DataLoader(sub, batch_size), self.loss_fn,
                       fw.optim.SGD(warm.parameters(), lr=0.0))
        # The loader alone: what one epoch of batches costs without any model.
        gen = fw.Generator()
        gen.manual_seed(seed)
        t = time.perf_counter()
        for _ in DataLoader(train_set, batch_size, shuffle=True, generator=gen):
            pass
        self.data_seconds = time.perf_counter() - t

        fw.manual_seed(seed)   # training proper starts from the seeded state
        gen.manual_seed(seed)
        self.net = build_model(model, fw)
        if start is None:
            self.train_iter, self.test_iter = fm.make_loaders(fw, train_set, test_set,
                                                              batch_size, gen, workers)
        else:
            self.net.load_state_dict({k: fw.from_numpy(v.copy()) for k, v in start.items()})
            self.train_iter = DataLoader(train_set, batch_size, num_workers=workers,
                                         sampler=SharedOrder(len(train_set), seed))
            self.test_iter = DataLoader(test_set, batch_size, num_workers=workers)
        self.optimizer = fw.optim.SGD(self.net.parameters(), lr=DEFAULT_LR[model])
        self.seconds, self.cpu, self.acc, self.epoch = [], [], float('nan'), 0
        self.with_eval = []   # D2L train_ch6's epoch: training and evaluation

    def epoch_(self, epochs, log):
        fw = self.fw
        c = time.process_time()
        loss, train_acc, n, s = fm.train_epoch(fw, self.net, self.train_iter, self.loss_fn,
                                               self.optimizer, self.epoch)
        self.cpu.append(time.process_time() - c)
        t = time.perf_counter()
        self.acc = fm.evaluate_accuracy(fw, self.net, self.test_iter)
        self.seconds.append(s)
        self.with_eval.append(s + time.perf_counter() - t)
        self.epoch += 1
        log(f'  {fw.__name__:8s} {self.model:8s} epoch {self.epoch}/{epochs}: loss {loss:.4f} '
            f'train acc {train_acc:.4f} test acc {self.acc:.4f}  train {s:.2f} s  '
            f'eval {time.perf_counter() - t:.2f} s')


def d2l_init(model, seed):
    """numtorch's seeded D2L initialization of ``model`` as a dict of NumPy arrays."""
    numtorch.manual_seed(seed)
    return {k: v.numpy().copy() for k, v in build_model(model, numtorch).state_dict().items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', default=','.join(MODELS),
                   help=f'comma-separated subset of {",".join(MODELS)} (default all)')
    p.add_argument('--epochs', type=int, default=10, help='epochs per model (default 10)')
    p.add_argument('--data-dir', default=os.path.join(REPO, '..', 'shared', 'data', 'fashion-mnist'),
                   help='folder with the full Fashion-MNIST IDX files '
                        '(default ../shared/data/fashion-mnist next to the repository)')
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--frameworks', default='numtorch,torch',
                   help='comma-separated: numtorch,torch (default both)')
    p.add_argument('--threads', type=int,
                   help='BLAS threads for NumPy and torch.set_num_threads (default: each '
                        "library's own default); 1 makes timings on a shared machine steadier")
    p.add_argument('--workers', type=int, default=0,
                   help="DataLoader worker processes (D2L's train_ch6 uses 4)")
    p.add_argument('--independent', action='store_true',
                   help="let each framework draw its own initial weights and batch order (default: "
                        "both start from numtorch's seeded D2L init and see the same batches)")
    args = p.parse_args(argv)
    models = [m.strip() for m in args.models.split(',') if m.strip()]
    for m in models:
        if m not in MODELS:
            p.error(f'unknown model {m!r}: expected some of {", ".join(MODELS)}')
    names = [f.strip() for f in args.frameworks.split(',') if f.strip()]
    fws = []
    for name in names:
        if name == 'numtorch':
            fws.append(numtorch)
        elif name == 'torch':
            import torch
            fws.append(torch)
        else:
            p.error(f'unknown framework {name!r}')

    arrays = load_arrays(args.data_dir)
    threads = [f'numpy {np.__version__}']
    if args.threads:
        threads[0] += f' ({args.threads} BLAS threads)'
    if any(f.__name__ == 'torch' for f in fws):
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        threads.append(f'torch {torch.__version__} ({torch.get_num_threads()} threads)')
    print(f'Fashion-MNIST {len(arrays["train"][1])} train / {len(arrays["test"][1])} test, '
          f'batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}, '
          f'{"independent starts" if args.independent else "same start and batch order"}; '
          f'{os.cpu_count()} CPUs; {", ".join(threads)}', flush=True)

    rows = []
    for model in models:
        start = None if args.independent else d2l_init(model, args.seed)
        runs = [Run(fw, model, arrays, args.batch_size, args.seed, start, args.workers)
                for fw in fws]
        # Epochs alternate between the frameworks, so a busy machine slows both alike.
        for _ in range(args.epochs):
            for r in runs:
                r.epoch_(args.epochs, lambda s: print(s, flush=True))
        rows.append((model, {r.fw.__name__: (r.acc, r.seconds, r.cpu) for r in runs}))
        ev = {r.fw.__name__: np.median(r.with_eval) for r in runs}
        if len(ev) == 2:
            print(f'  {model}: training + evaluation s/epoch (train_ch6), {args.workers} workers: '
                  f'numtorch {ev["numtorch"]:.2f} torch {ev["torch"]:.2f} '
                  f'ratio {ev["numtorch"] / ev["torch"]:.2f}x', flush=True)
        for r in runs:
            print(f'  {r.fw.__name__:8s} {model:8s} DataLoader alone: {r.data_seconds:.2f} s/epoch',
                  flush=True)

    def cell(res, name, i, fmt):
        return format(res[name][i] if i == 0 else np.median(res[name][1]), fmt) if name in res else '-'

    head = (f'| model | epochs | numtorch test acc | torch test acc | diff (points) | '
            f'numtorch s/epoch | torch s/epoch | ratio | CPU-time ratio | target |')
    print()
    print(head)
    print('|' + '---|' * 10)
    for model, res in rows:
        diff = ratio = cpu = '-'
        if 'numtorch' in res and 'torch' in res:
            nt, th = res['numtorch'], res['torch']
            diff = f'{100 * (nt[0] - th[0]):+.1f}'
            ratio = f'{np.median(nt[1]) / np.median(th[1]):.2f}x'
            cpu = f'{np.median(nt[2]) / np.median(th[2]):.2f}x'
        print(f'| {model} | {args.epochs} | {cell(res, "numtorch", 0, ".4f")} | '
              f'{cell(res, "torch", 0, ".4f")} | {diff} | {cell(res, "numtorch", 1, ".2f")} | '
              f'{cell(res, "torch", 1, ".2f")} | {ratio} | {cpu} | <= {TARGET[model]}x |')


if __name__ == '__main__':
    main()
