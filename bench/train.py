"""Train D2L's Fashion-MNIST models in numtorch and in torch, in one run, and compare.

    python bench/train.py                          # all four models, 10 epochs (D2L's setting)
    python bench/train.py --models softmax,mlp --epochs 2
    python bench/train.py --frameworks numtorch --models lenet --epochs 1   # e.g. under cProfile

Both frameworks run the very same training code (``numtorch/examples/fashion_mnist.py``:
``train_epoch`` / ``evaluate_accuracy`` / ``_models.build_model``, passed the framework module)
with D2L's hyperparameters (SGD, batch 256, softmax lr 0.1, MLP lr 0.1, LeNet lr 0.9,
LeNet-BN lr 1.0) on the same data: the full Fashion-MNIST IDX files, decoded once with NumPy into
a float32 ``TensorDataset`` in each framework (ToTensor's values: pixel / 255), loaded by each
framework's own ``DataLoader`` with a seeded shuffle generator.

Prints a table: final test accuracy of each, training seconds per epoch of each (the mean over
epochs of the training loop, data loading included, evaluation excluded) and numtorch / torch.
Targets (issue 5): accuracy within 1 point of torch's; s/epoch <= 1.2x torch's for softmax and the
MLP, <= 2x for LeNet. Both frameworks use their default thread counts (reported).
"""
import argparse
import gzip
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

import numtorch  # noqa: E402
from numtorch.examples import fashion_mnist as fm  # noqa: E402
from numtorch.examples._models import DEFAULT_LR, MODELS, build_model  # noqa: E402

TARGET = {'softmax': 1.2, 'mlp': 1.2, 'lenet': 2.0, 'lenet-bn': 2.0}


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


def train(fw, model, arrays, epochs, batch_size, seed, log):
    """Train ``model`` in framework ``fw``; return (test accuracy, [train seconds per epoch])."""
    loss_fn = fw.nn.CrossEntropyLoss()
    gen = fw.Generator()
    gen.manual_seed(seed)
    TD = fw.utils.data.TensorDataset
    train_set = TD(*(fw.from_numpy(a) for a in arrays['train']))
    test_set = TD(*(fw.from_numpy(a) for a in arrays['test']))
    train_iter, test_iter = fm.make_loaders(fw, train_set, test_set, batch_size, gen)
    # Warm up (lazy initialization, allocator, BLAS threads) on two batches of a throwaway
    # model, so the first timed epoch is not charged for it.
    warm = build_model(model, fw)
    sub = TD(*(fw.from_numpy(a[:2 * batch_size]) for a in arrays['train']))
    fm.train_epoch(fw, warm, fw.utils.data.DataLoader(sub, batch_size), loss_fn,
                   fw.optim.SGD(warm.parameters(), lr=0.0))
    fw.manual_seed(seed)   # training proper starts from the seeded state
    net = build_model(model, fw)
    optimizer = fw.optim.SGD(net.parameters(), lr=DEFAULT_LR[model])
    seconds, acc = [], float('nan')
    for epoch in range(epochs):
        loss, train_acc, n, s = fm.train_epoch(fw, net, train_iter, loss_fn, optimizer, epoch)
        t = time.perf_counter()
        acc = fm.evaluate_accuracy(fw, net, test_iter)
        seconds.append(s)
        log(f'  {fw.__name__:8s} {model:8s} epoch {epoch + 1}/{epochs}: loss {loss:.4f} '
            f'train acc {train_acc:.4f} test acc {acc:.4f}  train {s:.2f} s  '
            f'eval {time.perf_counter() - t:.2f} s')
    return acc, seconds


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
    if any(f.__name__ == 'torch' for f in fws):
        import torch
        threads.append(f'torch {torch.__version__} ({torch.get_num_threads()} threads)')
    print(f'Fashion-MNIST {len(arrays["train"][1])} train / {len(arrays["test"][1])} test, '
          f'batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}; '
          f'{os.cpu_count()} CPUs; {", ".join(threads)}', flush=True)

    rows = []
    for model in models:
        res = {}
        for fw in fws:
            res[fw.__name__] = train(fw, model, arrays, args.epochs, args.batch_size, args.seed,
                                     lambda s: print(s, flush=True))
        rows.append((model, res))

    def cell(res, name, i, fmt):
        return format(res[name][i] if i == 0 else np.mean(res[name][1]), fmt) if name in res else '-'

    head = (f'| model | epochs | numtorch test acc | torch test acc | diff (points) | '
            f'numtorch s/epoch | torch s/epoch | ratio | target |')
    print()
    print(head)
    print('|' + '---|' * 9)
    for model, res in rows:
        diff = ratio = '-'
        if 'numtorch' in res and 'torch' in res:
            diff = f'{100 * (res["numtorch"][0] - res["torch"][0]):+.1f}'
            ratio = f'{np.mean(res["numtorch"][1]) / np.mean(res["torch"][1]):.2f}x'
        print(f'| {model} | {args.epochs} | {cell(res, "numtorch", 0, ".4f")} | '
              f'{cell(res, "torch", 0, ".4f")} | {diff} | {cell(res, "numtorch", 1, ".2f")} | '
              f'{cell(res, "torch", 1, ".2f")} | {ratio} | <= {TARGET[model]}x |')


if __name__ == '__main__':
    main()
