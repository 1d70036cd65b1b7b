"""Train D2L's Fashion-MNIST models with numtorch: the project's "main job".

    python -m numtorch.examples.fashion_mnist --model mlp --epochs 3
    python -m numtorch.examples.fashion_mnist --model lenet --epochs 10 \\
        --data-dir ../shared/data/fashion-mnist --checkpoint lenet.pt --plot lenet.png
    python -m numtorch.examples.fashion_mnist --model lenet --epochs 10 \\
        --data-dir ../shared/data/fashion-mnist --checkpoint lenet.pt --resume

The code is *Dive into Deep Learning*'s ``train_ch6`` written against ``import numtorch as
torch``: SGD, CrossEntropyLoss, batch 256, D2L's models, initializations and learning rates
(``_models.py``). Without ``--data-dir`` it trains on the Fashion-MNIST sample that ships in
``numtorch/data`` (5,000 train / 1,000 test images), so it runs on a fresh machine.

Checkpoints: with ``--checkpoint PATH`` the model and optimizer ``state_dict``, the epoch, the
global RNG state, the DataLoader's shuffle generator state and the curves so far are saved after
every epoch, atomically (written to a temporary file, fsynced, then renamed over ``PATH``), so a
run killed at any moment leaves the previous complete checkpoint. ``--resume`` restores all of it
and continues; the final weights are bit-identical to those of an uninterrupted run.

The training functions take the framework module as ``fw`` so ``bench/train.py`` runs the very
same lines with ``torch``; nothing here imports torch.
"""
import argparse
import os
import sys
import time

import numtorch
from ._models import DEFAULT_LR, MODELS, build_model
from ._progress import progress
from . import _checks, _plot
from ._checks import JobError

#: BLAS threads when ``--threads`` is not given. Measured on a 2-core machine (MLP, full data):
#: one thread ran an epoch about as fast as two with no extra load, and 2-10x faster when the
#: other core was busy (README, "Threads"); D2L's matrices (batch 256) are too small to gain.
DEFAULT_THREADS = 1

#: Batches per epoch at which the running train loss/accuracy join the curves (D2L adds 5).
_POINTS_PER_EPOCH = 5


# ----------------------------------------------------------------------------------- data
def sample_dir():
    """The folder of the Fashion-MNIST sample shipped with numtorch (IDX ``.gz`` files)."""
    from numtorch.vision.datasets import sample_root
    return sample_root()


def load_datasets(data_dir=None):
    """(train, test) ``numtorch.vision.datasets.FashionMNIST`` with ``ToTensor()``, as D2L loads them.

    ``data_dir`` holds the four standard IDX files (``train-images-idx3-ubyte.gz``, ...);
    ``None`` means the shipped sample.
    """
    from numtorch.vision import datasets, transforms
    root = sample_dir() if data_dir is None else data_dir
    trans = transforms.ToTensor()
    return (datasets.FashionMNIST(root=root, train=True, transform=trans),
            datasets.FashionMNIST(root=root, train=False, transform=trans))


def make_loaders(fw, train_set, test_set, batch_size, generator, num_workers=0):
    """D2L's loaders: shuffled train batches drawn from ``generator``, test batches in order."""
    DataLoader = fw.utils.data.DataLoader
    return (DataLoader(train_set, batch_size, shuffle=True, generator=generator,
                       num_workers=num_workers),
            DataLoader(test_set, batch_size, shuffle=False, num_workers=num_workers))


# ----------------------------------------------------------------------------------- training
def evaluate_accuracy(fw, net, data_iter, device=None):
    """Fraction of ``data_iter``'s examples that ``net`` (in eval mode) classifies correctly."""
    net.eval()
    correct = total = 0
    with fw.no_grad():
        for X, y in data_iter:
            if device is not None:   # D2L's train_ch6: batches go to the model's device
                X, y = X.to(device), y.to(device)
            correct += int((net(X).argmax(dim=1) == y).sum())
            total += y.shape[0]
    return correct / max(total, 1)


def train_epoch(fw, net, train_iter, loss_fn, optimizer, epoch=0, history=None, bar=None,
                device=None):
    """One epoch of D2L's ``train_ch6`` loop: returns ``(mean loss, train acc, examples, seconds)``.

    ``history`` (a list) receives ``[epoch + fraction, running loss, running acc]`` five times
    per epoch, as D2L's Animator; ``bar`` wraps the batch iterator (a progress bar).
    """
    net.train()
    n_batches = len(train_iter)
    every = max(n_batches // _POINTS_PER_EPOCH, 1)
    loss_sum = 0.0
    correct = n = 0
    batches = bar(train_iter) if bar is not None else train_iter
    start = time.perf_counter()
    for i, (X, y) in enumerate(batches):
        if device is not None:
            X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        y_hat = net(X)
        l = loss_fn(y_hat, y)
        l.backward()
        optimizer.step()
        # .item() / int() read plain numbers: no graph is kept alive by the running sums.
        b = y.shape[0]
        loss_sum += l.item() * b
        correct += int((y_hat.argmax(dim=1) == y).sum())
        n += b
        if history is not None and ((i + 1) % every == 0 or i == n_batches - 1):
            history.append([epoch + (i + 1) / n_batches, loss_sum / n, correct / n])
        if hasattr(batches, 'set_postfix_str'):
            batches.set_postfix_str(f'loss {loss_sum / n:.3f}')
    seconds = time.perf_counter() - start
    return loss_sum / max(n, 1), correct / max(n, 1), n, seconds


# ----------------------------------------------------------------------------------- checkpoints
def save_checkpoint(fw, state, path):
    """``fw.save(state, path)`` atomically: write a temporary file, fsync, rename over ``path``.

    ``os.replace`` is atomic on POSIX and Windows, so a reader (or a resumed run after a kill at
    any instant) sees either the previous checkpoint or the new one, never a torn file.
    """
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        fw.save(state, tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    try:   # make the rename itself durable; not possible (nor needed) on every OS
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _checkpoint_state(fw, args, epoch, net, optimizer, generator, history, fingerprint=None):
    return {
        'data_fingerprint': fingerprint,
        'epoch': epoch,
        'model': args.model,
        'hparams': _hparams(args),
        'model_state_dict': net.state_dict(),
        'optimizer_state_dict': optimizer.state_dict(),
        'rng_state': fw.get_rng_state(),
        'loader_generator_state': generator.get_state(),
        'history': history,
    }


def _hparams(args):
    # What must match for a resumed run to continue the same computation. The data folder is
    # stored resolved (symlinks followed); another folder with the same data passes too (_restore).
    return {'model': args.model, 'batch_size': args.batch_size, 'lr': float(args.lr),
            'data_dir': os.path.realpath(args.data_dir) if args.data_dir else None}


def _restore(fw, ck, args, net, optimizer, generator, fingerprint=None):
    saved, now = dict(ck['hparams']), _hparams(args)
    saved_dir, now_dir = saved.pop('data_dir', None), now.pop('data_dir')
    same_data = (_checks.same_data_dir(saved_dir, now_dir)
                 or (fingerprint is not None and ck.get('data_fingerprint') == fingerprint))
    if saved != now or not same_data:
        saved['data_dir'], now['data_dir'] = saved_dir, now_dir
        diff = ', '.join(f'--{k.replace("_", "-")} {saved.get(k)} (now {now[k]})' for k in now
                         if saved.get(k) != now[k] and (k != 'data_dir' or not same_data))
        raise JobError(f'checkpoint {args.checkpoint} was written with {diff}; resume with the '
                       f'same values, or start afresh with --overwrite')
    try:
        net.load_state_dict(ck['model_state_dict'])
        optimizer.load_state_dict(ck['optimizer_state_dict'])
        fw.set_rng_state(ck['rng_state'])
        generator.set_state(ck['loader_generator_state'])
        return int(ck['epoch']), ck['history']
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        raise JobError(f'cannot resume from --checkpoint {args.checkpoint}: '
                       f'{str(e).splitlines()[0] if str(e) else type(e).__name__}') from None


# ----------------------------------------------------------------------------------- command
class _Parser(argparse.ArgumentParser):
    # One line on stderr and status 2 for every bad argument, like the checks after parsing.
    def error(self, message):
        self.exit(2, f'error: {message} (see --help)\n')


def parse_args(argv=None):
    """The command line of ``python -m numtorch.examples.fashion_mnist`` (see ``--help``).

    Bad values exit with status 2 and a one-line ``error: ...`` on stderr; paths are checked
    by ``run`` before the first epoch.
    """
    p = _Parser(
        prog='python -m numtorch.examples.fashion_mnist',
        description="Train D2L's Fashion-MNIST models (softmax regression, MLP, LeNet, "
                    "LeNet with batch norm) with numtorch.")
    p.add_argument('--model', choices=MODELS, default='mlp', help='which D2L model (default mlp)')
    p.add_argument('--epochs', type=int, default=10, help='epochs to train in total (default 10)')
    p.add_argument('--data-dir', metavar='DIR',
                   help='folder with the four Fashion-MNIST IDX .gz files (default: the sample '
                        'shipped in numtorch/data, 5000 train / 1000 test images)')
    p.add_argument('--batch-size', type=int, default=256, help='minibatch size (default 256)')
    p.add_argument('--lr', type=float,
                   help="SGD learning rate (default D2L's: softmax 0.1, mlp 0.1, lenet 0.9, "
                        "lenet-bn 1.0)")
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the initial weights and of the shuffling (default 0)')
    p.add_argument('--num-workers', type=int, default=0, metavar='K',
                   help='DataLoader worker processes (default 0: load in this process)')
    p.add_argument('--checkpoint', metavar='PATH',
                   help='save model, optimizer, epoch and RNG states here after every epoch')
    p.add_argument('--resume', action='store_true',
                   help='continue from --checkpoint (starts fresh if the file does not exist)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing --checkpoint with a fresh run (without --resume or '
                        '--overwrite an existing checkpoint is refused)')
    p.add_argument('--plot', metavar='PNG',
                   help='write D2L-style training curves (needs matplotlib; .png is added to a '
                        'name without extension)')
    p.add_argument('--threads', type=int, metavar='N',
                   help=f'threads for the convolutions and large products (numtorch.set_num_threads; '
                        f'default {DEFAULT_THREADS}: fastest for these small models on the shipped '
                        f'sample, and robust on a busy machine)')
    p.add_argument('--no-progress', action='store_true', help='no per-epoch progress bar')
    p.add_argument('--device', default='cpu',
                   help="where to train: 'cpu' (default) or 'cuda' (needs the cuda extra)")
    p.add_argument('--stop-after', type=int, metavar='N',
                   help='exit after epoch N as if interrupted (to try out --resume)')
    p.add_argument('--distributed', action='store_true',
                   help='data-parallel over the ranks of mpirun (see numtorch/examples/_distributed.py)')
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.model]
    if args.threads is None:
        args.threads = DEFAULT_THREADS
    try:
        _checks.check_values(args)
        _checks.check_device(args.device)
        if args.plot:
            _checks.check_plot(args.plot)
    except JobError as e:
        p.error(str(e))
    if args.plot and not _plot.have_matplotlib():
        p.error(_plot.MISSING)   # before training, so a missing package costs no run
    return args


def _plural(n, word):
    return f'{n} {word}' + ('' if n == 1 else 's')


def run(args, fw=numtorch, out=print, datasets=None):
    """Train as ``args`` (from ``parse_args``) says; return a dict of the final figures.

    Every path and file is checked before the first epoch: a bad one raises ``JobError``.
    ``datasets``: a ``(train, test)`` pair to use instead of reading ``args.data_dir``.
    Returns ``{'net', 'epoch', 'loss', 'train_acc', 'test_acc', 'history', 'stopped'}``.
    """
    _checks.check_checkpoint(args)
    if datasets is None:
        if args.data_dir is not None:
            _checks.check_data_dir(args.data_dir)
        datasets = _checks.load_data(load_datasets, args.data_dir)
        where = args.data_dir or f'the shipped sample ({sample_dir()})'
    else:
        where = 'the given datasets'
    if getattr(args, 'distributed', False):
        from . import _distributed
        return _distributed.run(args, fw, out, datasets)
    train_set, test_set = datasets
    fingerprint = _checks.data_fingerprint(train_set, test_set) if args.checkpoint else None
    ck = None
    if args.resume and os.path.exists(args.checkpoint):
        ck = _checks.load_checkpoint(fw, args.checkpoint)

    threads_before = fw.get_num_threads()
    fw.set_num_threads(args.threads)
    try:
        return _train(args, fw, out, train_set, test_set, where, ck, fingerprint)
    finally:
        fw.set_num_threads(threads_before)


def _train(args, fw, out, train_set, test_set, where, ck, fingerprint):
    fw.manual_seed(args.seed)
    net = build_model(args.model, fw)
    device = fw.device(getattr(args, 'device', 'cpu'))
    if device.type != 'cpu':
        net.to(device)   # before the optimizer is made, as D2L's train_ch6 does
    else:
        device = None
    loss_fn = fw.nn.CrossEntropyLoss()
    optimizer = fw.optim.SGD(net.parameters(), lr=args.lr)
    generator = fw.Generator()
    generator.manual_seed(args.seed)
    train_iter, test_iter = make_loaders(fw, train_set, test_set, args.batch_size, generator,
                                         args.num_workers)
    start_epoch, history = 0, {'train': [], 'test': []}
    if ck is not None:   # before the header: a refused checkpoint prints nothing else
        start_epoch, history = _restore(fw, ck, args, net, optimizer, generator, fingerprint)

    out(f'training {args.model} on Fashion-MNIST from {where}: {len(train_set)} train / '
        f'{len(test_set)} test images, batch {args.batch_size}, SGD lr {args.lr:g}, '
        f'{_plural(args.epochs, "epoch")}, seed {args.seed}, '
        f'{_plural(fw.get_num_threads(), "BLAS thread")}')
    if ck is not None:
        out(f'resumed from {args.checkpoint} after epoch {start_epoch}')
    elif args.resume:
        out(f'no checkpoint at {args.checkpoint} yet: starting from scratch')

    result = {'net': net, 'epoch': start_epoch, 'loss': None, 'train_acc': None,
              'test_acc': None, 'history': history, 'stopped': False}
    if history['test']:
        result['test_acc'] = history['test'][-1][1]
    width = len(str(args.epochs))
    total_n = total_s = 0.0
    for epoch in range(start_epoch, args.epochs):
        bar = (lambda it, e=epoch: progress(it, total=len(it), desc=f'epoch {e + 1}/{args.epochs}',
                                            enable=not args.no_progress))
        loss, train_acc, n, seconds = train_epoch(fw, net, train_iter, loss_fn, optimizer,
                                                  epoch, history['train'], bar, device)
        test_acc = evaluate_accuracy(fw, net, test_iter, device)
        history['test'].append([epoch + 1, test_acc])
        total_n += n
        total_s += seconds
        if args.checkpoint:
            save_checkpoint(fw, _checkpoint_state(fw, args, epoch + 1, net, optimizer, generator,
                                                  history, fingerprint), args.checkpoint)
        out(f'epoch {epoch + 1:>{width}}/{args.epochs}  loss {loss:.4f}  train acc '
            f'{train_acc:.3f}  test acc {test_acc:.3f}  {n / seconds:,.0f} examples/sec '
            f'({seconds:.2f} s)')
        result.update(epoch=epoch + 1, loss=loss, train_acc=train_acc, test_acc=test_acc)
        if args.stop_after is not None and epoch + 1 >= args.stop_after and epoch + 1 < args.epochs:
            out(f'stopping after epoch {epoch + 1} (--stop-after)'
                + ('; continue with --resume' if args.checkpoint else ''))
            result['stopped'] = True
            break
    if total_s:
        out(f'loss {result["loss"]:.3f}, train acc {result["train_acc"]:.3f}, test acc '
            f'{result["test_acc"]:.3f}; {total_n / total_s:,.0f} examples/sec on {device or "cpu"}')
    elif start_epoch >= args.epochs:
        out(f'checkpoint is already at epoch {start_epoch} >= --epochs {args.epochs}: '
            f'nothing to train')
    if args.plot:
        path = _checks.plot_file(args.plot)
        _plot.plot_curves(history, path, title=args.model)
        out(f'curves written to {path}')
    return result


def main(argv=None):
    """Entry point: ``python -m numtorch.examples.fashion_mnist [options]``.

    Returns the exit status: 0, 2 for bad input (``error: ...`` on stderr), 130 on Ctrl-C.
    """
    args = parse_args(argv)
    try:
        run(args)
    except JobError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('\ninterrupted' + (f'; the last complete epoch is in {args.checkpoint}: '
                                 f'continue with --resume' if args.checkpoint else ''),
              file=sys.stderr)
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
