"""Shape ops that make new tensors from one: repeating, flipping, rolling, rotating, triangles
and diagonals (tril/triu and their indices, diag, diag_embed, diagflat). Joining several tensors
(cat, stack, meshgrid, ...) is in ``join.py``."""
from ..._backend import xp
from ...autograd.graph import Node
from .._apply import view as view_op, unary
from .. import _apply
from ..reductions.reduce import _one
from .views import View, _dims_str
from ..._backend import is_array, namespace, to_host, to_device, device_of
from ..._dtype import to_dtype
from .._apply import wrap
from .._compose import _nt, _ip


# --------------------------------------------------------------------------- flips and rolls
class Flip(Node):
    def forward(self, a, dims):
        self.dims = dims
        return xp.flip(a, dims).copy()   # torch's flip copies; NumPy's would be a view

    def backward(self, g):
        return xp.flip(g, self.dims)


def flip(input, *args, dims=None):
    """Reverse the order of elements along ``dims`` (a copy, as in torch).

    >>> import numtorch
    >>> numtorch.arange(4).flip(0), numtorch.flip(numtorch.arange(4), dims=[0])
    (tensor([3, 2, 1, 0]), tensor([3, 2, 1, 0]))
    """
    dims = args if dims is None else (dims,)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    nd = input._data.ndim
    ds = tuple(_one(d, nd) for d in dims)
    for d in ds:
        if ds.count(d) > 1:
            raise RuntimeError(f'dim {d} appears multiple times in the list of dims')
    if nd == 0:
        ds = ()
    return unary(Flip, input, ds)


def fliplr(input):
    """Flip dim 1 (left/right)."""
    if input._data.ndim < 2:
        raise RuntimeError('Input must be >= 2-d.')
    return unary(Flip, input, (1,))


def flipud(input):
    """Flip dim 0 (up/down)."""
    if input._data.ndim < 1:
        raise RuntimeError('Input must be >= 1-d.')
    return unary(Flip, input, (0,))


class Roll(Node):
    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return xp.roll(a, shifts, dims)

    def backward(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return xp.roll(g, neg, self.dims)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (over the flattened tensor when ``dims`` is None).

    >>> import numtorch
    >>> numtorch.arange(5).roll(2)
    tensor([3, 4, 0, 1, 2])
    """
    nd = input._data.ndim
    if isinstance(shifts, (tuple, list)):
        shifts = tuple(int(s) for s in shifts)
    else:
        shifts = int(shifts)
    if dims is None:
        if isinstance(shifts, tuple) and len(shifts) != 1:
            raise RuntimeError(f'shifts and dimensions must align. shifts: {len(shifts)}, dims:0')
        return unary(Roll, input, shifts[0] if isinstance(shifts, tuple) else shifts, None)
    dims = tuple(_one(d, nd) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    sh = shifts if isinstance(shifts, tuple) else (shifts,)
    if len(sh) != len(dims):
        raise RuntimeError(f'shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dims)}')
    return unary(Roll, input, sh, dims)


# --------------------------------------------------------------------------- repeats
class Repeat(Node):
    def forward(self, a, reps):
        self.shape = a.shape
        pad = (1,) * (len(reps) - a.ndim) + a.shape
        self.pad, self.reps = pad, reps
        return xp.tile(a.reshape(pad), reps)

    def backward(self, g):
        # Output dim i is (reps[i] copies) x (pad[i] elements): sum over the copies.
        inter = []
        for r, s in zip(self.reps, self.pad):
            inter += [r, s]
        return g.reshape(inter).sum(axis=tuple(range(0, len(inter), 2))).reshape(self.shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (copies data).

    >>> import numtorch
    >>> numtorch.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError('Number of dimensions of repeat dims can not be smaller than number of '
                           'dimensions of tensor')
    if min(sizes, default=0) < 0:
        out = [a * b for a, b in zip((1,) * (len(sizes) - input._data.ndim) + input._data.shape,
                                     sizes)]
        raise RuntimeError(f'Trying to create tensor with negative dimension {min(out)}: '
                           f'{_dims_str(out)}')
    return unary(Repeat, input, sizes)


def tile(input, dims):
    """Like ``repeat``, but ``dims`` shorter than the tensor's rank is padded with ones.

    >>> import numtorch
    >>> numtorch.zeros(2, 3).tile((2,)).shape
    torch.Size([2, 6])
    """
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or a 1-D tensor of counts).

    >>> import numtorch
    >>> numtorch.tensor([1, 2]).repeat_interleave(2)
    tensor([1, 1, 2, 2])
    """
    from ..indexing.gather_scatter import index_select
    if repeats is None:   # torch.repeat_interleave(counts): indices repeated by their count
        # the result's length depends on the counts: read on the host (torch syncs here too)
        counts = to_host(input._data)
        return _apply.wrap(to_device(xp.repeat(xp.arange(counts.size), counts),
                                     device_of(input._data)))
    if dim is None:
        input, dim = view_op(View, input, (-1,)), 0
    d = _one(dim, input._data.ndim)
    r = repeats._data if isinstance(repeats, _apply.Tensor) else int(repeats)
    if is_array(r) and r.ndim > 1:
        raise RuntimeError('repeat_interleave only accept 1D vector as repeat')
    if r.__class__ is int:
        xpd = namespace(input._data)
        idx = xpd.repeat(xpd.arange(input._data.shape[d]), r)
    else:   # counts: as above, the host reads them, the index goes to the device
        idx = to_device(xp.repeat(xp.arange(input._data.shape[d]), to_host(r)),
                        device_of(input._data))
    return index_select(input, d, _apply.wrap(idx))


# --------------------------------------------------------------------------- triangles, diag
class Tril(Node):
    def forward(self, a, k):
        self.k = k
        return xp.tril(a, k)

    def backward(self, g):
        return xp.tril(g, self.k)


class Triu(Node):
    def forward(self, a, k):
        self.k = k
        return xp.triu(a, k)

    def backward(self, g):
        return xp.triu(g, self.k)


def tril(input, diagonal=0, *, out=None):
    """Keep the lower triangle (on and below ``diagonal``) of the last two dims, zero the rest.

    >>> import numtorch
    >>> numtorch.ones(2, 2).tril()
    tensor([[1., 0.],
            [1., 1.]])
    """
    if input._data.ndim < 2:
        raise RuntimeError('tril: input tensor must have at least 2 dimensions')
    return unary(Tril, input, int(diagonal))


def triu(input, diagonal=0, *, out=None):
    """Keep the upper triangle (on and above ``diagonal``) of the last two dims, zero the rest."""
    if input._data.ndim < 2:
        raise RuntimeError('triu: input tensor must have at least 2 dimensions')
    return unary(Triu, input, int(diagonal))


class DiagEmbed(Node):
    def forward(self, a, k):
        self.k = k
        return xp.diag(a, k)

    def backward(self, g):
        return xp.diagonal(g, self.k).copy()


class DiagCopy(Node):
    _name = 'DiagonalBackward0_copy'   # torch 2.13's name for diag() of a matrix

    def forward(self, a, k):
        self.k, self.shape = k, a.shape
        return xp.diagonal(a, k).copy()

    def backward(self, g):
        z = self.xp.zeros(self.shape, g.dtype)
        n = g.shape[0]
        r = self.xp.arange(n)
        z[r + max(-self.k, 0), r + max(self.k, 0)] = g
        return z


def diag(input, diagonal=0):
    """A 1-D tensor -> the square matrix with it on the ``diagonal``; a matrix -> its diagonal.

    >>> import numtorch
    >>> numtorch.diag(numtorch.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    """
    nd = input._data.ndim
    if nd == 1:
        return unary(DiagEmbed, input, int(diagonal))
    if nd == 2:
        return unary(DiagCopy, input, int(diagonal))
    raise RuntimeError(f'diag(): Supports 1D or 2D tensors. Got {nd}D')


def _tri_indices(fn, row, col, offset, dtype):
    r, c = fn(row, offset, col)
    np_dt = to_dtype(dtype).np if dtype is not None else xp.int64
    return wrap(xp.stack([r, c]).astype(np_dt).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a 2 x N tensor) of the lower triangle of a ``row`` x ``col`` matrix.

    >>> import numtorch
    >>> numtorch.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _tri_indices(xp.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (a 2 x N tensor) of the upper triangle of a ``row`` x ``col`` matrix.

    >>> import numtorch
    >>> numtorch.triu_indices(2, 2)
    tensor([[0, 0, 1],
            [0, 1, 1]])
    """
    return _tri_indices(xp.triu_indices, row, col, offset, dtype)


class Rot90(Node):
    def forward(self, a, k, axes):
        self.k, self.axes = k, axes
        return self.xp.ascontiguousarray(xp.rot90(a, k, axes))

    def backward(self, g):
        return xp.rot90(g, -self.k, self.axes)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by ``k`` quarter turns in the plane of ``dims`` (from the first toward the second).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).rot90()
    tensor([[2, 4],
            [1, 3]])
    """
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f'expected total rotation dims == 2, but got dims = {len(dims)}')
    if nd < 2:
        raise RuntimeError(f'expected total dims >= 2, but got total dims = {nd}')
    d0, d1 = _one(dims[0], nd), _one(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f'expected rotation dims to be different, but got dim0 = {d0} and '
                           f'dim1 = {d1}')
    return unary(Rot90, input, k % 4, (d0, d1))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensor whose ``(dim1, dim2)`` diagonals (at ``offset``) are the last dim of ``input``.

    >>> import numtorch
    >>> numtorch.diag_embed(numtorch.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    nt = _nt()
    n = input.shape[-1]
    m = n + abs(offset)
    sel = xp.zeros((n, m, m), input._data.dtype)   # sel[i] puts element i on the diagonal
    i = xp.arange(n)
    sel[i, i + max(-offset, 0), i + max(offset, 0)] = 1
    out = nt.tensordot(input, wrap(sel), dims=1)    # (..., m, m)
    nd = out.dim()
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise RuntimeError(f'diagonal dimensions cannot be identical {dim1}, {dim2}')
    return nt.movedim(out, (nd - 2, nd - 1), (d1, d2))


def diagflat(input, offset=0):
    """A 2-D tensor with the flattened ``input`` on diagonal ``offset``.

    >>> import numtorch
    >>> numtorch.diagflat(numtorch.tensor([[1., 2.]]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    return _nt().diag(input.reshape(-1), offset)


# In-place forms, looked up by name when called (numtorch.tril / triu)
tril_, triu_ = map(_ip, ('tril', 'triu'))

__all__ = ['flip', 'fliplr', 'flipud', 'roll', 'tile', 'repeat_interleave', 'tril', 'triu', 'diag',
           'tril_indices', 'triu_indices', 'rot90', 'diag_embed', 'diagflat']
FUNCTION_ONLY = {'tril_indices', 'triu_indices'}


# Tensor-only methods: torch has no torch.<name>
METHODS = {'repeat': repeat, 'tril_': tril_, 'triu_': triu_}
