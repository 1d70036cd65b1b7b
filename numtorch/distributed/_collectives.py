"""Collectives on tensors, in place, through MPI's buffer interface (no pickling of tensors).

Each function starts one non-blocking MPI operation on the tensor's NumPy array (or a contiguous
copy, written back on completion) and returns a ``Work`` with ``async_op=True``, else waits for it.
Ranks given as ``src``/``dst`` are ranks in the world group, as torch's; ``group_src``/``group_dst``
are ranks inside ``group``.
"""
import enum
import pickle

import numpy as np

from . import _group
from ._group import Work, resolve


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """The reductions of ``all_reduce``/``reduce``/``reduce_scatter_tensor`` (torch's names).

    >>> from numtorch.distributed import ReduceOp
    >>> ReduceOp.SUM
    <RedOpType.SUM: 0>
    """
    RedOpType = RedOpType
    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


def _mpi_op(op, dtype):
    """The MPI.Op for ``op`` on arrays of ``dtype`` (AVG is SUM here, divided afterwards)."""
    MPI = _group._mpi()
    op = RedOpType(op)
    kind = dtype.kind
    if kind == 'b':   # MPI reduces C bools only with logical ops
        table = {RedOpType.SUM: MPI.LOR, RedOpType.MAX: MPI.LOR, RedOpType.BOR: MPI.LOR,
                 RedOpType.PRODUCT: MPI.LAND, RedOpType.MIN: MPI.LAND, RedOpType.BAND: MPI.LAND,
                 RedOpType.BXOR: MPI.LXOR}
    else:
        table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
                 RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX}
        if kind in 'iu':
            table.update({RedOpType.BAND: MPI.BAND, RedOpType.BOR: MPI.BOR,
                          RedOpType.BXOR: MPI.BXOR})
        if kind == 'c':
            del table[RedOpType.MIN], table[RedOpType.MAX]
    if op not in table:
        raise RuntimeError(f'ReduceOp.{op.name} is not supported for {dtype} tensors by the '
                           f'MPI backend')
    return table[op]


def _finish_avg(arr, n):
    if arr.dtype.kind in 'iu':   # integer average truncates toward zero, as NCCL's
        np.copyto(arr, np.sign(arr) * (np.abs(arr) // n), casting='unsafe')
    else:
        arr /= n


def _wire(t):
    """(array MPI sends/receives, write-back) for tensor ``t``.

    The tensor's own array when it is contiguous and of a type MPI knows; otherwise a copy
    (float32 for bfloat16 and other types MPI has no datatype for), copied back when done.
    """
    a = t._data
    native = a.dtype.kind in 'biufc' and a.dtype.isnative and a.dtype.itemsize <= 16
    if native and a.flags.c_contiguous:
        return a, None
    buf = np.array(a, dtype=a.dtype if native else np.float32, order='C')
    return buf, (lambda: np.copyto(a, buf, casting='unsafe'))


def _done(tensors, writebacks=(), after=None):
    def finish():
        for w in writebacks:
            if w is not None:
                w()
        if after is not None:
            after()
        for t in tensors:
            t._version_counter[0] += 1   # in place: autograd's version check sees the change
    return finish


def _issue(reqs, group, what, finish, async_op):
    work = Work(reqs, group, what, finish)
    if async_op:
        return work
    work.wait()
    return None


def _member(group):
    if group.comm is None:   # torch warns and skips on a non-member
        return False
    return True


def _group_rank(group, rank, group_rank, what):
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can't specify both {what} and group_{what}")
        return int(group_rank)
    if rank is None:
        raise ValueError(f'{what} (a global rank) or group_{what} must be given')
    try:
        return group.ranks.index(int(rank))
    except ValueError:
        raise ValueError(f'Global rank {rank} is not part of group {group}') from None


def _check_tensor(t, name='tensor'):
    from .._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f'Invalid function argument. Expected parameter `{name}` of type '
                        f'numtorch.Tensor but got {type(t)} instead.')


# --------------------------------------------------------------------------------- collectives
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over the ranks of ``group``; every rank gets the result in place.

    >>> import numtorch, numtorch.distributed as dist
    >>> dist.is_initialized()   # under mpirun: dist.init_process_group('mpi'), then
    False
    """
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    buf, wb = _wire(tensor)
    mop = _mpi_op(op, buf.dtype)
    req = g.comm.Iallreduce(_group._mpi().IN_PLACE, buf, mop)
    # Averaging happens on the wire buffer, before it is copied back.
    after = (lambda: _finish_avg(buf, g.size())) if RedOpType(op) == RedOpType.AVG else None
    return _issue([req], g, 'all_reduce', _done([tensor], [], _chain(after, wb)), async_op)


def _chain(*fns):
    fns = [f for f in fns if f is not None]
    if not fns:
        return None
    return lambda: [f() for f in fns] and None


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every rank of ``group``."""
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    root = _group_rank(g, src, group_src, 'src')
    buf, wb = _wire(tensor)
    req = g.comm.Ibcast(buf, root=root)
    return _issue([req], g, 'broadcast', _done([tensor], [wb]), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over ``group`` into ``tensor`` on rank ``dst`` (others keep theirs)."""
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    root = _group_rank(g, dst, group_dst, 'dst')
    buf, wb = _wire(tensor)
    mop = _mpi_op(op, buf.dtype)
    MPI = _group._mpi()
    if g.rank() == root:
        req = g.comm.Ireduce(MPI.IN_PLACE, buf, mop, root=root)
        after = (lambda: _finish_avg(buf, g.size())) if RedOpType(op) == RedOpType.AVG else None
        return _issue([req], g, 'reduce', _done([tensor], [], _chain(after, wb)), async_op)
    req = g.comm.Ireduce(buf, None, mop, root=root)
    return _issue([req], g, 'reduce', None, async_op)


def _check_same(t, ref, what):
    if tuple(t.shape) != tuple(ref.shape) or t.dtype != ref.dtype:
        raise RuntimeError(f'{what}: every tensor must have the input\'s shape {tuple(ref.shape)} '
                           f'and dtype {ref.dtype}, got {tuple(t.shape)} {t.dtype}')


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` with rank i's ``tensor``, on every rank of ``group``."""
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    if len(tensor_list) != g.size():
        raise RuntimeError(f'all_gather: tensor_list has {len(tensor_list)} tensors, the group '
                           f'has {g.size()} ranks')
    for t in tensor_list:
        _check_same(t, tensor, 'all_gather')
    send, _ = _wire(tensor)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)

    def unpack():
        for i, t in enumerate(tensor_list):
            np.copyto(t._data, recv[i], casting='unsafe')
    return _issue([req], g, 'all_gather', _done(tensor_list, [], unpack), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Gather every rank's ``input_tensor`` into ``output_tensor`` (concatenated or stacked)."""
    _check_tensor(output_tensor, 'output_tensor')
    _check_tensor(input_tensor, 'input_tensor')
    g = resolve(group)
    if not _member(g):
        return None
    if output_tensor.numel() != g.size() * input_tensor.numel() or \
            output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f'all_gather_into_tensor: output_tensor must hold world_size '
                         f'({g.size()}) x input_tensor of dtype {input_tensor.dtype}, got '
                         f'{tuple(output_tensor.shape)} {output_tensor.dtype}')
    send, _ = _wire(input_tensor)
    recv, wb = _wire(output_tensor)
    req = g.comm.Iallgather(send, recv)
    return _issue([req], g, 'all_gather_into_tensor', _done([output_tensor], [wb]), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world_size chunks along dim 0) and give rank i the i-th chunk."""
    _check_tensor(output, 'output')
    _check_tensor(input, 'input')
    g = resolve(group)
    if not _member(g):
        return None
    if input.numel() != g.size() * output.numel() or output.dtype != input.dtype:
        raise ValueError(f'reduce_scatter_tensor: input must hold world_size ({g.size()}) x '
                         f'output of dtype {output.dtype}, got {tuple(input.shape)} {input.dtype}')
    send, _ = _wire(input)
    recv, wb = _wire(output)
    mop = _mpi_op(op, recv.dtype)
    req = g.comm.Ireduce_scatter_block(send, recv, mop)
    after = (lambda: _finish_avg(recv, g.size())) if RedOpType(op) == RedOpType.AVG else None
    return _issue([req], g, 'reduce_scatter_tensor', _done([output], [], _chain(after, wb)),
                  async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    root = _group_rank(g, dst, group_dst, 'dst')
    send, _ = _wire(tensor)
    if g.rank() != root:
        if gather_list:
            raise ValueError('Argument ``gather_list`` must NOT be specified on non-destination ranks.')
        return _issue([g.comm.Igather(send, None, root=root)], g, 'gather', None, async_op)
    if gather_list is None or len(gather_list) != g.size():
        raise ValueError(f'gather: gather_list on the destination rank must hold {g.size()} tensors')
    for t in gather_list:
        _check_same(t, tensor, 'gather')
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Igather(send, recv, root=root)

    def unpack():
        for i, t in enumerate(gather_list):
            np.copyto(t._data, recv[i], casting='unsafe')
    return _issue([req], g, 'gather', _done(gather_list, [], unpack), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src`` sends ``scatter_list[i]`` to rank i, which receives it into ``tensor``."""
    _check_tensor(tensor)
    g = resolve(group)
    if not _member(g):
        return None
    root = _group_rank(g, src, group_src, 'src')
    recv, wb = _wire(tensor)
    send = None
    if g.rank() == root:
        if scatter_list is None or len(scatter_list) != g.size():
            raise ValueError(f'scatter: scatter_list on the source rank must hold {g.size()} tensors')
        for t in scatter_list:
            _check_same(t, tensor, 'scatter')
        send = np.stack([np.asarray(t._data, dtype=recv.dtype) for t in scatter_list])
    elif scatter_list:
        raise ValueError('Argument ``scatter_list`` must NOT be specified on non-source ranks.')
    req = g.comm.Iscatter(send, recv, root=root)
    return _issue([req], g, 'scatter', _done([tensor], [wb]), async_op)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of ``group`` has reached this call."""
    g = resolve(group)
    if not _member(g):
        return None
    work = Work([g.comm.Ibarrier()], g, 'barrier')
    if async_op:
        return work
    work.wait(timeout)
    return None


# --------------------------------------------------------------------------------- point to point
def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a ``Work``."""
    _check_tensor(tensor)
    g = resolve(group)
    peer = _group_rank(g, dst, group_dst, 'dst')
    buf, _ = _wire(tensor)
    return Work([g.comm.Isend(buf, dest=peer, tag=tag)], g, f'send to rank {dst}')


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting.

    The returned ``Work``'s ``result()`` is the sender's rank in the world group.
    """
    _check_tensor(tensor)
    g = resolve(group)
    MPI = _group._mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else \
        _group_rank(g, src, group_src, 'src')
    buf, wb = _wire(tensor)
    status = MPI.Status()
    copy = _done([tensor], [wb])

    def finish():
        copy()
        return g.ranks[status.Get_source()]
    return Work([g.comm.Irecv(buf, source=peer, tag=tag)], g, f'recv from rank {src}', finish,
                statuses=[status])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocks until the message is on its way)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any when None); returns the sender's rank."""
    return irecv(tensor, src, group, tag, group_src).result()


# --------------------------------------------------------------------------------- objects
def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[i]`` with rank i's picklable ``obj``."""
    g = resolve(group)
    if not _member(g):
        return None
    data = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    sizes = np.empty(g.size(), dtype=np.int64)
    Work([g.comm.Iallgather(np.array([data.size], dtype=np.int64), sizes)], g,
         'all_gather_object').wait()
    recv = np.empty(int(sizes.sum()), dtype=np.uint8)
    Work([g.comm.Iallgatherv(data, [recv, sizes])], g, 'all_gather_object').wait()
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for i in range(g.size()):
        object_list[i] = pickle.loads(recv[offsets[i]:offsets[i + 1]].tobytes())
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank with those of rank ``src``."""
    g = resolve(group)
    if not _member(g):
        return None
    root = _group_rank(g, src, group_src, 'src')
    size = np.zeros(1, dtype=np.int64)
    if g.rank() == root:
        data = np.frombuffer(pickle.dumps(list(object_list)), dtype=np.uint8).copy()
        size[0] = data.size
    Work([g.comm.Ibcast(size, root=root)], g, 'broadcast_object_list').wait()
    if g.rank() != root:
        data = np.empty(int(size[0]), dtype=np.uint8)
    Work([g.comm.Ibcast(data, root=root)], g, 'broadcast_object_list').wait()
    if g.rank() != root:
        object_list[:] = pickle.loads(data.tobytes())
    return None
