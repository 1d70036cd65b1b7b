"""The main job on several MPI ranks (``--distributed``): the same training, data-parallel.

    mpirun -n 4 python -m numtorch.examples.fashion_mnist --model lenet --distributed \\
        --data-dir ../shared/data/fashion-mnist --checkpoint lenet.pt

``--batch-size`` stays the *global* batch: every rank draws the same shuffled order from the same
seeded generator (as the single-process run does) and takes its contiguous slice of each global
batch; ``DistributedDataParallel`` averages the gradients, and BatchNorm layers become
``SyncBatchNorm``. Each step is therefore the single-process step on the same global batch (up to
floating-point summation order), whatever the number of ranks — which is what lets ``--resume``
continue a checkpoint with a different number of ranks, or without MPI at all. Where a global
batch does not split evenly, each rank's mean loss is weighted by its share, so the averaged
gradient is still the gradient of the global mean. The test set is split the same way and the
accuracies are summed over ranks. Rank 0 alone prints, draws the progress bar and writes the
(atomic) checkpoint, which holds the plain model's ``state_dict``; on resume rank 0 reads it and
broadcasts its bytes, so the other ranks need no shared filesystem.
"""
import io
import os
import time

from ._models import build_model
from ._progress import progress
from . import fashion_mnist as fm


class _RankSlices:
    """A batch sampler: this rank's contiguous slice of every batch of ``batches``."""

    def __init__(self, batches, rank, world):
        self.batches, self.rank, self.world = batches, rank, world

    def __iter__(self):
        for batch in self.batches:   # numpy.array_split's rule: the first len % world get one more
            q, r = divmod(len(batch), self.world)
            start = self.rank * q + min(self.rank, r)
            yield list(batch[start:start + q + (self.rank < r)])

    def __len__(self):
        return len(self.batches)


def _loaders(fw, args, train_set, test_set, generator, rank, world):
    data = fw.utils.data
    train = data.BatchSampler(data.RandomSampler(train_set, generator=generator),
                              args.batch_size, drop_last=False)
    test = data.BatchSampler(data.SequentialSampler(test_set), args.batch_size, drop_last=False)
    # The generator also goes to the train DataLoader, which draws its workers' base seed from
    # it every epoch, as in the single-process loader: both then consume the same stream.
    return (data.DataLoader(train_set, batch_sampler=_RankSlices(train, rank, world),
                            num_workers=args.num_workers, generator=generator),
            data.DataLoader(test_set, batch_sampler=_RankSlices(test, rank, world),
                            num_workers=args.num_workers))


class _GlobalMean:
    """``loss_fn``'s mean over this rank's slice, weighted so that DDP's average of the ranks'
    gradients is the gradient of the mean over the whole global batch."""

    def __init__(self, fw, loss_fn, world):
        self.fw, self.loss_fn, self.world = fw, loss_fn, world

    def __call__(self, y_hat, y):
        b = y.shape[0]
        total = self.fw.tensor([b])
        self.fw.distributed.all_reduce(total)
        total = int(total)
        if b == 0:   # a global batch smaller than the world: this rank adds nothing
            return y_hat.sum() * 0.0
        loss = self.loss_fn(y_hat, y)
        return loss if b * self.world == total else loss * (b * self.world / total)


def _sum(fw, values):
    t = fw.tensor(values, dtype=fw.float64)
    fw.distributed.all_reduce(t)
    return t.tolist()


def _evaluate(fw, net, test_iter):
    net.eval()
    correct = total = 0
    with fw.no_grad():
        for X, y in test_iter:
            if y.shape[0]:
                correct += int((net(X).argmax(dim=1) == y).sum())
            total += y.shape[0]
    correct, total = _sum(fw, [correct, total])
    return correct / max(total, 1)


def _load(fw, path, rank):
    """Rank 0 reads ``path`` (None if absent) and broadcasts it; every rank returns it loaded."""
    box = [None]
    if rank == 0 and os.path.exists(path):
        with open(path, 'rb') as f:
            box[0] = f.read()
    fw.distributed.broadcast_object_list(box, src=0)
    return None if box[0] is None else fw.load(io.BytesIO(box[0]))


def run(args, fw, out=print, datasets=None):
    """``fashion_mnist.run`` on every rank of ``mpirun``; returns the same dict on every rank."""
    dist = fw.distributed
    if not dist.is_initialized():
        dist.init_process_group('mpi')
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank != 0:
        out = lambda *a, **k: None   # noqa: E731  (rank 0 speaks for the job)
    train_set, test_set = fm.load_datasets(args.data_dir) if datasets is None else datasets
    fw.manual_seed(args.seed)
    net = build_model(args.model, fw)
    net = fw.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    optimizer = fw.optim.SGD(net.parameters(), lr=args.lr)
    generator = fw.Generator()
    generator.manual_seed(args.seed)
    train_iter, test_iter = _loaders(fw, args, train_set, test_set, generator, rank, world)
    out(f'training {args.model} on Fashion-MNIST ({len(train_set)} train / {len(test_set)} test '
        f'images) on {world} MPI ranks: global batch {args.batch_size}, SGD lr {args.lr:g}, '
        f'{args.epochs} epochs, seed {args.seed}')
    start_epoch, history = 0, {'train': [], 'test': []}
    if args.resume:
        ck = _load(fw, args.checkpoint, rank)
        if ck is not None:
            start_epoch, history = fm._restore(fw, ck, args, net, optimizer, generator)
            out(f'resumed from {args.checkpoint} after epoch {start_epoch}')
        else:
            out(f'no checkpoint at {args.checkpoint} yet: starting from scratch')
    model = fw.nn.parallel.DistributedDataParallel(net)
    loss_fn = _GlobalMean(fw, fw.nn.CrossEntropyLoss(), world)
    result = {'net': net, 'epoch': start_epoch, 'loss': None, 'train_acc': None,
              'test_acc': history['test'][-1][1] if history['test'] else None,
              'history': history, 'stopped': False}
    width = len(str(args.epochs))
    total_n = total_s = 0.0
    for epoch in range(start_epoch, args.epochs):
        bar = (lambda it, e=epoch: progress(it, total=len(it), desc=f'epoch {e + 1}/{args.epochs}',
                                            enable=rank == 0 and not args.no_progress))
        start = time.perf_counter()
        loss, acc, n, _ = fm.train_epoch(fw, model, train_iter, loss_fn, optimizer, epoch,
                                         history['train'], bar)
        seconds = time.perf_counter() - start
        loss_sum, correct, n = _sum(fw, [loss * n, acc * n, n])
        loss, train_acc, n = loss_sum / n, correct / n, int(n)
        test_acc = _evaluate(fw, net, test_iter)
        history['test'].append([epoch + 1, test_acc])
        total_n += n
        total_s += seconds
        if args.checkpoint and rank == 0:
            fm.save_checkpoint(fw, fm._checkpoint_state(fw, args, epoch + 1, net, optimizer,
                                                        generator, history), args.checkpoint)
        out(f'epoch {epoch + 1:>{width}}/{args.epochs}  loss {loss:.4f}  train acc '
            f'{train_acc:.3f}  test acc {test_acc:.3f}  {n / seconds:,.0f} examples/sec '
            f'({seconds:.2f} s, {world} ranks)')
        result.update(epoch=epoch + 1, loss=loss, train_acc=train_acc, test_acc=test_acc)
        if args.stop_after is not None and epoch + 1 >= args.stop_after and epoch + 1 < args.epochs:
            out(f'stopping after epoch {epoch + 1} (--stop-after); continue with --resume')
            result['stopped'] = True
            break
    dist.barrier()   # the checkpoint is complete before any rank exits
    if total_s:
        out(f'loss {result["loss"]:.3f}, train acc {result["train_acc"]:.3f}, test acc '
            f'{result["test_acc"]:.3f}; {total_n / total_s:,.0f} examples/sec on {world} ranks')
    if args.plot and rank == 0:
        from . import _plot
        _plot.plot_curves(history, args.plot, title=args.model)
        out(f'curves written to {args.plot}')
    return result
