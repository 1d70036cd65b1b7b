"""The per-rank side of tests/test_distributed.py, started by ``mpirun -n N python dist_worker.py
SCENARIO OUTDIR``; each rank pickles what it computed to ``OUTDIR/<scenario>.<rank>.pkl`` and the
test (one process) checks it against single-process arithmetic. The model/data builders are also
imported by the test to run the single-process reference.
"""
import datetime
import os
import pickle
import sys
import time

import numpy as np

# ------------------------------------------------------------------ shared with the test
DTYPES = ['float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool',
          'complex64', 'complex128']
OPS = ['SUM', 'AVG', 'PRODUCT', 'MIN', 'MAX', 'BAND', 'BOR', 'BXOR']


def coll_input(rank, dtype):
    """Rank ``rank``'s (2, 3) input: small values, so sums and products are exact."""
    k = np.arange(6).reshape(2, 3)
    if dtype == 'bool':
        return (k + rank) % 3 == 0
    if dtype.startswith('complex'):
        return ((k % 3) + rank + 1 + 1j * (k - rank)).astype(dtype)
    return ((k * (rank + 2)) % 5 + rank + 1).astype(dtype)


def ddp_data(step, n, model):
    """Step ``step``'s global batch of ``n`` examples (float64), the same on every rank."""
    rng = np.random.RandomState(100 + step)
    X = rng.rand(n, 1, 28, 28)
    y = rng.randint(0, 10, size=n)
    return X, y


def build(model, seed, dtype='float64', sync_bn=False):
    import numtorch
    from numtorch.examples._models import build_model
    numtorch.manual_seed(seed)
    net = build_model(model, numtorch)
    net = net.double() if dtype == 'float64' else net
    if sync_bn:
        net = numtorch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    return net


def train(net, model, steps, global_n, rank, world, dtype='float64', lr=0.1):
    """SGD with momentum on per-rank slices of each step's global batch."""
    import numtorch
    opt = numtorch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    loss_fn = numtorch.nn.CrossEntropyLoss()
    b = global_n // world
    for s in range(steps):
        X, y = ddp_data(s, global_n, model)
        X = numtorch.tensor(X[rank * b:(rank + 1) * b], dtype=getattr(numtorch, dtype))
        y = numtorch.tensor(y[rank * b:(rank + 1) * b])
        opt.zero_grad()
        loss_fn(net(X), y).backward()
        opt.step()
    return net


class TwoBranch:
    """A model whose second Linear is used only when asked (find_unused_parameters)."""

    @staticmethod
    def make():
        import numtorch
        from numtorch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(3, 2)
                self.b = nn.Linear(2, 2)
                self.never = nn.Linear(2, 2)

            def forward(self, x, use_b):
                h = self.a(x)
                return self.b(h) if use_b else h
        numtorch.manual_seed(3)
        return Net().double()

    @staticmethod
    def batch(rank):
        import numtorch
        return numtorch.tensor(np.arange(6.0).reshape(2, 3) + rank, dtype=numtorch.float64)


# ------------------------------------------------------------------ scenarios (under mpirun)
def _save(outdir, name, rank, obj):
    with open(os.path.join(outdir, f'{name}.{rank}.pkl'), 'wb') as f:
        pickle.dump(obj, f)


def collectives(outdir):
    import numtorch
    import numtorch.distributed as dist
    dist.init_process_group('mpi', timeout=datetime.timedelta(seconds=60))
    r, n = dist.get_rank(), dist.get_world_size()
    res = {}

    def t(a):
        return numtorch.from_numpy(np.array(a))

    for dt in DTYPES:
        for op in OPS:
            x = t(coll_input(r, dt))
            try:
                dist.all_reduce(x, op=getattr(dist.ReduceOp, op))
                res[('all_reduce', dt, op)] = x.numpy().copy()
            except RuntimeError as e:
                res[('all_reduce', dt, op)] = ('error', str(e))
        x = t(coll_input(r, dt))
        dist.broadcast(x, src=1)
        res[('broadcast', dt)] = x.numpy().copy()
        lst = [t(np.zeros((2, 3), dt)) for _ in range(n)]
        dist.all_gather(lst, t(coll_input(r, dt)))
        res[('all_gather', dt)] = [a.numpy().copy() for a in lst]
    x = t(coll_input(r, 'float32'))
    dist.reduce(x, dst=2, op=dist.ReduceOp.MAX)
    res['reduce_max'] = x.numpy().copy()
    x = t(coll_input(r, 'int64'))
    dist.reduce(x, dst=0)
    res['reduce_sum'] = x.numpy().copy()
    out = t(np.zeros((2 * n, 3), 'float64'))
    dist.all_gather_into_tensor(out, t(coll_input(r, 'float64')))
    res['all_gather_into_tensor'] = out.numpy().copy()
    out = t(np.zeros((n, 2, 3), 'int32'))
    dist.all_gather_into_tensor(out, t(coll_input(r, 'int32')))
    res['all_gather_into_tensor_stacked'] = out.numpy().copy()
    for op in ('SUM', 'AVG', 'MAX'):
        inp = t(np.arange(n * 2, dtype='float64').reshape(n, 2) * (r + 1))
        out = t(np.zeros(2, 'float64'))
        dist.reduce_scatter_tensor(out, inp, op=getattr(dist.ReduceOp, op))
        res[('reduce_scatter_tensor', op)] = out.numpy().copy()
    gl = [t(np.zeros((2, 3), 'int16')) for _ in range(n)] if r == 0 else None
    dist.gather(t(coll_input(r, 'int16')), gl, dst=0)
    res['gather'] = [a.numpy().copy() for a in gl] if gl else None
    sl = [t(np.full(4, 10.0 * i, 'float32')) for i in range(n)] if r == 1 else None
    x = t(np.zeros(4, 'float32'))
    dist.scatter(x, sl, src=1)
    res['scatter'] = x.numpy().copy()
    # Point to point: a ring, blocking and non-blocking.
    x = t(np.zeros(3, 'float64'))
    if r % 2 == 0:
        dist.send(t(np.full(3, float(r))), dst=(r + 1) % n)
        sender = dist.recv(x, src=(r - 1) % n)
    else:
        sender = dist.recv(x)
        dist.send(t(np.full(3, float(r))), dst=(r + 1) % n)
    res['ring'] = (sender, x.numpy().copy())
    y = t(np.zeros(2, 'int64'))
    works = [dist.isend(t(np.array([r, r * r])), dst=(r + 1) % n),
             dist.irecv(y, src=(r - 1) % n)]
    for w in works:
        w.wait()
    res['isend_irecv'] = (works[1].result(), y.numpy().copy())
    objs = [None] * n
    dist.all_gather_object(objs, {'rank': r, 'text': 'x' * r})
    res['all_gather_object'] = objs
    ol = [f'from {r}', r] if r == 2 else [None, None]
    dist.broadcast_object_list(ol, src=2)
    res['broadcast_object_list'] = ol
    # async_op and a non-contiguous tensor (written back into its storage).
    base = t(np.arange(6.0).reshape(2, 3) * (r + 1))
    view = base.t()
    v0 = view._version
    w = dist.all_reduce(view, async_op=True)
    res['async_work'] = (w.wait(), w.is_completed())
    res['noncontiguous'] = (base.numpy().copy(), view._version > v0)
    g = dist.new_group([0, 2])
    x = t(np.full(2, r + 1.0))
    out = dist.all_reduce(x, group=g)
    res['subgroup'] = (dist.get_rank(g), dist.get_world_size(g), x.numpy().copy(), out)
    dist.barrier()
    res['world'] = (r, n, dist.is_initialized(), dist.get_backend())
    _save(outdir, 'collectives', r, res)
    dist.destroy_process_group()
    res_after = dist.is_initialized()
    assert res_after is False


def ddp(outdir):
    import numtorch
    import numtorch.distributed as dist
    from numtorch.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group('mpi', timeout=datetime.timedelta(seconds=60))
    r, n = dist.get_rank(), dist.get_world_size()
    res = {}
    # Built from a rank-dependent seed: the broadcast at construction must make them rank 0's.
    for name, model, dtype, sync in (('mlp64', 'mlp', 'float64', False),
                                     ('mlp32', 'mlp', 'float32', False),
                                     ('lenetbn64', 'lenet-bn', 'float64', True)):
        net = DDP(build(model, seed=r, dtype=dtype, sync_bn=sync), bucket_cap_mb=0.01)
        train(net, model, 3, 8 * n if model == 'mlp' else 4 * n, r, n, dtype)
        res[name] = {k: v.numpy().copy() for k, v in net.module.state_dict().items()}
        res[name + '_keys'] = list(net.state_dict())
        res[name + '_stats'] = dict(net.comm_stats, n_buckets=len(net._buckets))
    # no_sync: two micro-batches, the first without communication.
    net = DDP(build('mlp', seed=0), bucket_cap_mb=0.01)
    loss_fn = numtorch.nn.CrossEntropyLoss()
    for s in range(2):
        X, y = ddp_data(s, 4 * n, 'mlp')
        X, y = numtorch.tensor(X[4 * r:4 * r + 4]), numtorch.tensor(y[4 * r:4 * r + 4])
        if s == 0:
            with net.no_sync():
                loss_fn(net(X), y).backward()
            res['no_sync_local'] = net.module[1].weight.grad.numpy().copy()
        else:
            loss_fn(net(X), y).backward()
    res['no_sync'] = {k: p.grad.numpy().copy() for k, p in net.module.named_parameters()}
    # find_unused_parameters: rank 0 uses both branches, the others only the first.
    net = DDP(TwoBranch.make(), find_unused_parameters=True)
    for _ in range(2):   # twice: the second iteration must not complain
        net.zero_grad()
        net(TwoBranch.batch(r), use_b=(r == 0)).sum().backward()
    res['unused'] = {k: (None if p.grad is None else p.grad.numpy().copy())
                     for k, p in net.module.named_parameters()}
    # Without find_unused_parameters, the next forward says what went wrong.
    net = DDP(TwoBranch.make())
    net(TwoBranch.batch(r), use_b=False).sum().backward()
    try:
        net(TwoBranch.batch(r), use_b=False)
        res['unfinished'] = None
    except RuntimeError as e:
        res['unfinished'] = str(e)
    _save(outdir, 'ddp', r, res)
    dist.destroy_process_group()


def fault(outdir, kind):
    import numtorch
    import numtorch.distributed as dist
    dist.init_process_group('mpi', timeout=datetime.timedelta(seconds=3))
    r = dist.get_rank()
    if kind == 'shape':
        from numtorch.nn.parallel import DistributedDataParallel as DDP
        DDP(numtorch.nn.Linear(3 + r, 2))
        print('constructed', flush=True)
        return
    x = numtorch.ones(2)
    dist.all_reduce(x)   # everybody is alive here
    if r == 1:
        if kind == 'raise':
            raise ValueError('rank 1 fails on purpose')
        if kind == 'kill':
            os.kill(os.getpid(), 9)
        if kind == 'hang':
            time.sleep(60)
    dist.all_reduce(x)
    print('finished', flush=True)


if __name__ == '__main__':
    scenario, out = sys.argv[1], sys.argv[2]
    if scenario == 'collectives':
        collectives(out)
    elif scenario == 'ddp':
        ddp(out)
    else:
        fault(out, scenario)
