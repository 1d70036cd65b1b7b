"""``DistributedDataParallel``: average gradients over ranks while backward runs.

At construction the parameter shapes are checked across ranks and the parameters and buffers are
broadcast from rank 0. The parameters are grouped, in reverse registration order (roughly the
order backward produces their gradients), into buckets of ``bucket_cap_mb`` (the first one 1 MB,
as torch, so communication starts early). A post-accumulate-grad hook on every parameter counts
the gradients a bucket still waits for; when a bucket is complete its gradients are copied into
one flat array, divided by the world size and sent into a non-blocking MPI all-reduce, so the
communication of the last layers overlaps the backward of the first ones. Buckets start in index
order on every rank (MPI matches collectives by order). When the last bucket has started, the
hook waits for all of them and copies the averages back into ``p.grad`` (in place).
"""
import contextlib
import time

import numpy as np

from ...distributed import _group
from ...distributed import _collectives as _coll
from ...autograd import grad_mode
from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024
_DEFAULT_BUCKET_MB = 25

_UNFINISHED = (
    'Expected to have finished reduction in the prior iteration before starting a new one. This '
    'error indicates that your module has parameters that were not used in producing loss. You can '
    'enable unused parameter detection by passing the keyword argument '
    '`find_unused_parameters=True` to `numtorch.nn.parallel.DistributedDataParallel`, and by \n'
    'making sure all `forward` function outputs participate in calculating loss. \n'
    'Parameter indices which did not receive grad for rank {rank}: {missing}')


class _Bucket:
    def __init__(self, indices, params):
        self.indices = indices                    # positions in DDP's parameter list
        self.sizes = [params[i]._data.size for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.buffer = np.empty(int(self.offsets[-1]), dtype=params[indices[0]]._data.dtype)
        self.pending = len(indices)
        self.request = None


def _assign_buckets(params, cap_bytes):
    """Lists of parameter indices: reverse order, one dtype per bucket, torch's size limits."""
    buckets, open_ = [], {}   # dtype -> (indices, bytes)
    limit = {}
    for i in reversed(range(len(params))):
        a = params[i]._data
        key = a.dtype
        idx, size = open_.get(key, ([], 0))
        idx.append(i)
        size += a.nbytes
        if size >= limit.get(key, min(_FIRST_BUCKET_BYTES, cap_bytes)):
            buckets.append(idx)
            limit[key] = cap_bytes
            idx, size = [], 0
        open_[key] = (idx, size)
    buckets.extend(idx for idx, _ in open_.values() if idx)
    return buckets


def _output_tensors(out, acc):
    from ..._tensor import Tensor
    if isinstance(out, Tensor):
        acc.append(out)
    elif isinstance(out, (list, tuple)):
        for o in out:
            _output_tensors(o, acc)
    elif isinstance(out, dict):
        for o in out.values():
            _output_tensors(o, acc)
    return acc


def _used_leaves(outputs):
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    from ...autograd.graph import AccumulateGrad
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    seen, used = set(), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is AccumulateGrad:
            used.add(id(node.variable))
        for e in node.edges:
            if e is not None:
                stack.append(e[0])
    for t in outputs:
        if t.grad_fn is None and t._requires_grad:
            used.add(id(t))
    return used


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of a process group, with torch's API.

    Each rank runs the same model on its own part of the batch; after ``loss.backward()`` every
    rank holds the gradients averaged over all ranks, so identical optimizer steps keep the
    replicas identical. Needs ``numtorch.distributed.init_process_group('mpi')`` first.

    >>> import numtorch
    >>> from numtorch.nn.parallel import DistributedDataParallel
    >>> DistributedDataParallel(numtorch.nn.Linear(2, 2))
    Traceback (most recent call last):
    ...
    ValueError: Default process group has not been initialized, please make sure to call init_process_group.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None,
                 init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        group = _group.resolve(process_group)
        self.module = module
        self.process_group = group
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if bucket_cap_mb is None:
            bucket_cap_mb = _DEFAULT_BUCKET_MB
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._verify_across_ranks()
        if init_sync:
            self._broadcast([*module.parameters(), *module.buffers()])
        self._buckets = [_Bucket(idx, self._params) for idx in
                         _assign_buckets(self._params, self.bucket_bytes_cap)] \
            if self._params else []
        self._bucket_of = {}
        for b, bucket in enumerate(self._buckets):
            for i in bucket.indices:
                self._bucket_of[i] = b
        self._hooks = [p.register_post_accumulate_grad_hook(self._make_hook(i))
                       for i, p in enumerate(self._params)]
        self._reset()
        #: Communication figures the benchmark reads: buckets and bytes all-reduced, seconds
        #: spent waiting for them after the last gradient arrived, backward passes reduced,
        #: and (``time.monotonic``) when the last backward ended and its reduction completed.
        self.comm_stats = {'steps': 0, 'bytes': 0, 'buckets': 0, 'wait_s': 0.0}

    # ------------------------------------------------------------------ construction
    def _verify_across_ranks(self):
        meta = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._param_names, self._params)]
        everyone = [None] * self.process_group.size()
        _coll.all_gather_object(everyone, meta, group=self.process_group)
        ref = everyone[0]
        for r, other in enumerate(everyone):
            if len(other) != len(ref):
                raise RuntimeError(
                    f'DDP expects same model across all ranks, but Rank {r} has {len(other)} '
                    f'params, while rank 0 has inconsistent {len(ref)} params.')
            for i, (mine, theirs) in enumerate(zip(other, ref)):
                if mine[1] != theirs[1] or mine[2] != theirs[2]:
                    raise RuntimeError(
                        f'params[{i}] ({mine[0]}) in process {r} with sizes {list(mine[1])} '
                        f'({mine[2]}) appears not to match sizes of the same param in process 0: '
                        f'{list(theirs[1])} ({theirs[2]}).')

    def _broadcast(self, tensors):
        root = self.process_group.ranks[0]
        works = [_coll.broadcast(t.detach(), src=root, group=self.process_group, async_op=True)
                 for t in tensors if t is not None]
        for w in works:
            if w is not None:
                w.wait()

    # ------------------------------------------------------------------ per iteration
    def _reset(self):
        for b in self._buckets:
            b.pending = len(b.indices)
            b.request = None
        self._next = 0          # the next bucket to start (every rank starts them in order)
        self._fired = 0         # parameters whose gradient arrived this iteration
        self._sync_now = False  # set by forward: reduce during the coming backward
        self._unused = ()

    def forward(self, *inputs, **kwargs):
        """Run the wrapped module; arm the gradient hooks for the coming backward."""
        if self._fired and self._next < len(self._buckets):
            missing = [i for i, p in enumerate(self._params)
                       if self._buckets[self._bucket_of[i]].request is None]
            raise RuntimeError(_UNFINISHED.format(rank=self.process_group.rank(),
                                                  missing=', '.join(map(str, missing))))
        self._reset()
        if self.broadcast_buffers and self.require_forward_param_sync:
            bufs = [b for b in self.module.buffers() if b is not None]
            if bufs and self.process_group.size() > 1:
                self._broadcast(bufs)
        out = self.module(*inputs, **kwargs)
        self._sync_now = (grad_mode.is_grad_enabled() and self.require_backward_grad_sync
                          and self.process_group.size() > 1 and bool(self._buckets))
        if self._sync_now and self.find_unused_parameters:
            used = _used_leaves(_output_tensors(out, []))
            self._unused = [i for i, p in enumerate(self._params) if id(p) not in used]
            for i in self._unused:   # they get no gradient: ready now (contributing zeros)
                self._ready(i, used=False)
        return out

    def _make_hook(self, i):
        def hook(param):
            if self._sync_now:
                self._ready(i)
        return hook

    def _ready(self, i, used=True):
        self._fired += 1
        bucket = self._buckets[self._bucket_of[i]]
        bucket.pending -= 1
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            self._start(self._buckets[self._next])
            self._next += 1
        if self._next == len(self._buckets) and used:
            self._finish()
        else:   # let MPI move the buckets already in flight along
            started = [b.request for b in self._buckets[:self._next] if b.request is not None]
            if started:
                _group._test(started)

    def _start(self, bucket):
        buf, n = bucket.buffer, self.process_group.size()
        for i, lo, hi in zip(bucket.indices, bucket.offsets[:-1], bucket.offsets[1:]):
            g = self._params[i].grad
            if g is None or i in self._unused:
                buf[lo:hi] = 0
            else:
                buf[lo:hi] = g._data.reshape(-1)
        buf /= n   # average: divide before summing, as torch's default communication hook
        bucket.request = self.process_group.comm.Iallreduce(_group._mpi().IN_PLACE, buf,
                                                            _group._mpi().SUM)

    def _finish(self):
        g = self.process_group
        start = time.perf_counter()
        self.comm_stats['t_backward_end'] = time.monotonic()
        _group.poll([b.request for b in self._buckets], g.timeout,
                    'the gradient all-reduce of DistributedDataParallel', g)
        used_anywhere = None
        if self._unused:
            used = np.ones(len(self._params), dtype=np.uint8)
            used[list(self._unused)] = 0
            _group.poll([g.comm.Iallreduce(_group._mpi().IN_PLACE, used, _group._mpi().MAX)],
                        g.timeout, 'the unused-parameter map of DistributedDataParallel', g)
            used_anywhere = used
        self.comm_stats['wait_s'] += time.perf_counter() - start
        self.comm_stats['t_reduced'] = time.monotonic()
        for bucket in self._buckets:
            for i, lo, hi in zip(bucket.indices, bucket.offsets[:-1], bucket.offsets[1:]):
                if used_anywhere is not None and not used_anywhere[i]:
                    continue   # unused on every rank: its gradient stays as it was, as torch
                p = self._params[i]
                avg = bucket.buffer[lo:hi].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = p._wrap(avg.copy())
                else:
                    np.copyto(p.grad._data, avg)
                    p.grad._version_counter[0] += 1
            self.comm_stats['bytes'] += bucket.buffer.nbytes
        self.comm_stats['buckets'] += len(self._buckets)
        self.comm_stats['steps'] += 1
        self._fired = 0
        self._sync_now = False

    @contextlib.contextmanager
    def no_sync(self):
        """Skip the gradient all-reduce for the forward/backward passes run inside this block.

        Gradients accumulate locally; the first synchronized backward after it averages the
        accumulated sums.
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self):
        return ''
