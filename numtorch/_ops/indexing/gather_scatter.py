"""Gather/scatter family: ops that read or write along one dim at positions an index tensor
names (gather, scatter, scatter_add, index_select, index_add, index_copy, index_fill, take, put,
take_along_dim, fill_diagonal_).

Forward is a NumPy fancy-index; backward is the opposite move, with ``add.at`` wherever repeated
indices must accumulate.
"""
from ..._backend import xp, namespace, ufunc_at, to_host
from ...autograd.graph import Node
from .._apply import unary, nary
from .. import _apply
from ..reductions.reduce import _one
from ..._dtype import _SCALAR_NAMES as _CAP


def _shape_str(s):
    return f'[{", ".join(map(str, s))}]'


def _idx(index, fname, msg=None, like=None):
    """The index array of ``index``; on ``like``'s device (torch's error if it is elsewhere)."""
    if not isinstance(index, _apply.Tensor):
        index = _apply.Tensor._from_any(index)
    d = index._data
    if d.dtype.kind not in 'iu':
        raise RuntimeError(msg or f'{fname}(): Expected dtype int32/int64 for index')
    if like is not None and d.__class__ is not like.__class__:
        d = _apply.same_device(like, d)[1]
    return d


def _range(idx):
    """(min, max) of a non-empty index array as host numbers. On a device this is one sync, as
    torch's own index checks: a bad index must raise, not wrap around."""
    if idx.__class__ is xp.ndarray:
        return idx.min(), idx.max()
    lo, hi = to_host(namespace(idx).stack((idx.min(), idx.max()))).tolist()
    return lo, hi


def _bounds(idx, n, dim, negative_ok=False):
    """torch's "index 5 is out of bounds for dimension 0 with size 3"."""
    if idx.size:
        lo, hi = (idx.min(), idx.max()) if idx.__class__ is xp.ndarray else _range(idx)
        if hi >= n or lo < (-n if negative_ok else 0):
            bad = hi if hi >= n else lo
            raise RuntimeError(f'index {bad} is out of bounds for dimension {dim} with size {n}')


def _along(idx, dim):
    """The full NumPy index that picks ``a[..., idx[...], ...]`` elementwise along ``dim``."""
    ns = xp if idx.__class__ is xp.ndarray else namespace(idx)
    grid = list(ns.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return tuple(grid)


def _crop(shape, like):
    """Slices taking the leading ``like`` corner of an array of ``shape``."""
    return tuple(slice(0, s) for s in like) if len(like) == len(shape) else ()


# --------------------------------------------------------------------------- gather / scatter
class Gather(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    def forward(self, a, dim, idx):
        self.shape, self.where = a.shape, _along(idx, dim)
        return a[self.where]

    def backward(self, g):
        z = self.xp.zeros(self.shape, g.dtype)
        ufunc_at('add', z, self.where, g)
        return z


def _check_gather(a, dim, idx, fname):
    if idx.ndim != a.ndim and not (idx.ndim <= 1 and a.ndim <= 1):
        raise RuntimeError('Index tensor must have the same number of dimensions as input tensor')
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > a.shape[d]:
            raise RuntimeError(f'Size does not match at dimension {d} expected index '
                               f'{_shape_str(idx.shape)} to be no larger than self '
                               f'{_shape_str(a.shape)} apart from dimension {dim}')
    _bounds(idx, a.shape[dim] if a.ndim else 1, dim)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (and likewise for other dims).

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).gather(1, numtorch.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    a = input._data
    idx = _idx(index, 'gather', like=a)
    d = _one(dim, a.ndim)
    _check_gather(a, d, idx, 'gather')
    if a.ndim == 0:
        return unary(Gather, _flat1(input), 0, idx.reshape(1)).reshape(idx.shape)
    return unary(Gather, input, d, idx)


def _flat1(t):
    from ..shape.views import reshape
    return reshape(t, 1)


class Scatter(Node):
    """``out = a.clone(); out[where] = src[crop]``; src grads are read back at the same spots."""
    frees = True   # torch saves the indices / mask / input as tensors

    def forward(self, arrays, dim, idx, reduce):
        a, src = arrays
        self.where, self.sshape, self.crop = _along(idx, dim), src.shape, _crop(src.shape, idx.shape)
        self.reduce = reduce
        out = a.copy()
        v = src[self.crop]
        if reduce is None:
            out[self.where] = v
        elif reduce == 'add':
            ufunc_at('add', out, self.where, v)
        else:
            ufunc_at('multiply', out, self.where, v)
        return out

    def backward(self, g):
        if self.reduce == 'multiply':
            raise RuntimeError('the derivative for scatter with reduce="multiply" is not '
                               'implemented')
        gs = self.xp.zeros(self.sshape, g.dtype)
        gs[self.crop] = g[self.where]
        if self.reduce == 'add':
            return g, gs
        ga = g.copy()
        ga[self.where] = 0
        return ga, gs


class ScatterValue(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    _name = 'ScatterBackward1'

    def forward(self, a, dim, idx, value, reduce):
        self.where, self.reduce = _along(idx, dim), reduce
        out = a.copy()
        if reduce is None:
            out[self.where] = value
        elif reduce == 'add':
            ufunc_at('add', out, self.where, value)
        else:
            ufunc_at('multiply', out, self.where, value)
        return out

    def backward(self, g):
        if self.reduce is not None:
            return g if self.reduce == 'add' else None
        g = g.copy()
        g[self.where] = 0
        return g


class ScatterAdd(Scatter):
    def forward(self, arrays, dim, idx, reduce='add'):
        return Scatter.forward(self, arrays, dim, idx, 'add')


def _scatter_args(input, dim, index, src, fname):
    a = input._data
    idx = _idx(index, fname, like=a)
    d = _one(dim, a.ndim)
    if idx.ndim != a.ndim and not (idx.ndim <= 1 and a.ndim <= 1):
        raise RuntimeError('Index tensor must have the same number of dimensions as self tensor')
    ss = src._data.shape if src is not None else None
    for k in range(idx.ndim):
        if (k != d and idx.shape[k] > a.shape[k]) or (ss is not None and idx.shape[k] > ss[k]):
            raise RuntimeError(f'Expected index {_shape_str(idx.shape)} to be no larger than self '
                               f'{_shape_str(a.shape)} apart from dimension {d}'
                               + (f' and to be no larger size than src {_shape_str(ss)}'
                                  if ss is not None else ''))
    _bounds(idx, a.shape[d] if a.ndim else 1, d)
    if src is not None and src._data.dtype != a.dtype:
        raise RuntimeError(f'{fname}(): Expected self.dtype to be equal to src.dtype')
    return d, idx


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (a tensor or a number) into a copy of ``input`` at ``index`` along ``dim``:
    for ``dim=0``, ``out[index[i][j]][j] = src[i][j]``. ``reduce='add'/'multiply'`` combines.

    >>> import numtorch
    >>> numtorch.zeros(2, 3).scatter(1, numtorch.tensor([[2], [0]]), 1.)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if src is None:
        src = value
    if reduce is not None and reduce not in ('add', 'multiply'):
        raise RuntimeError('reduce argument must be either add or multiply.')
    if isinstance(src, _apply.Tensor):
        d, idx = _scatter_args(input, dim, index, src, 'scatter')
        return nary(Scatter, (input, src), d, idx, reduce)
    d, idx = _scatter_args(input, dim, index, None, 'scatter')
    return unary(ScatterValue, input, d, idx, src, reduce)


def scatter_add(input, dim, index, src):
    """Like ``scatter`` but adds, with repeated indices accumulating.

    >>> import numtorch
    >>> numtorch.zeros(3).scatter_add(0, numtorch.tensor([0, 0, 2]), numtorch.ones(3))
    tensor([2., 0., 1.])
    """
    d, idx = _scatter_args(input, dim, index, src, 'scatter_add')
    return nary(ScatterAdd, (input, src), d, idx)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    """In-place ``scatter``."""
    return input._inplace(scatter, dim, index, src, value, reduce=reduce)


def scatter_add_(input, dim, index, src):
    """In-place ``scatter_add``."""
    return input._inplace(scatter_add, dim, index, src)


# --------------------------------------------------------------------------- index_*
def _vec_index(index, n, fname, like=None):
    idx = _idx(index, fname, f'{fname}(): Expected dtype int32 or int64 for index', like)
    if idx.ndim > 1:
        raise IndexError(f'{fname}(): Index is supposed to be a vector')
    return idx.reshape(-1)


class IndexSelect(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    def forward(self, a, dim, idx):
        self.shape, self.at = a.shape, (slice(None),) * dim + (idx,)
        return a[self.at]

    def backward(self, g):
        z = self.xp.zeros(self.shape, g.dtype)
        ufunc_at('add', z, self.at, g)
        return z


def index_select(input, dim, index, *, out=None):
    """The slices ``index`` (a 1-D integer tensor) along ``dim``, copied.

    >>> import numtorch
    >>> numtorch.tensor([[1, 2, 3], [4, 5, 6]]).index_select(1, numtorch.tensor([2, 0]))
    tensor([[3, 1],
            [6, 4]])
    """
    a = input._data
    d = _one(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    idx = _vec_index(index, n, 'index_select', a)
    lo, hi = (0, 0) if not idx.size else (idx.min(), idx.max()) if idx.__class__ is xp.ndarray \
        else _range(idx)
    if lo < 0 or hi >= n:
        bad = hi if hi >= n else lo
        raise RuntimeError(f'INDICES element is out of DATA bounds, id={bad} axis_dim={n}')
    if a.ndim == 0:
        return unary(IndexSelect, _flat1(input), 0, idx).reshape(idx.shape if idx.size != 1 else ())
    return unary(IndexSelect, input, d, idx)


class IndexAdd(Node):
    def forward(self, arrays, dim, idx, alpha):
        a, src = arrays
        self.at, self.alpha = (slice(None),) * dim + (idx,), alpha
        out = a.copy()
        ufunc_at('add', out, self.at, src if alpha == 1 else alpha * src)
        return out

    def backward(self, g):
        gs = g[self.at]
        return g, gs if self.alpha == 1 else gs * self.alpha


class IndexCopy(Node):
    def forward(self, arrays, dim, idx):
        a, src = arrays
        self.at = (slice(None),) * dim + (idx,)
        out = a.copy()
        out[self.at] = src
        return out

    def backward(self, g):
        gs = g[self.at]
        g = g.copy()
        g[self.at] = 0
        return g, gs


class IndexFill(Node):
    def forward(self, a, dim, idx, value):
        self.at = (slice(None),) * dim + (idx,)
        out = a.copy()
        out[self.at] = value
        return out

    def backward(self, g):
        g = g.copy()
        g[self.at] = 0
        return g


def _index_src(input, dim, index, source, fname):
    a = input._data
    d = _one(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    idx = _vec_index(index, n, fname, a)
    ns = source._data.shape[d] if source._data.ndim else 1
    if idx.size != ns:
        raise RuntimeError(f'{fname}(): Number of indices ({idx.size}) should be equal to '
                           f'source.size(dim): ({ns}), for dim: {d}')
    _bounds(idx, n, d, negative_ok=True)
    return d, idx


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``
    (repeated indices accumulate).

    >>> import numtorch
    >>> numtorch.zeros(3).index_add(0, numtorch.tensor([0, 0]), numtorch.ones(2))
    tensor([2., 0., 0.])
    """
    d, idx = _index_src(input, dim, index, source, 'index_add_')
    return nary(IndexAdd, (input, source), d, idx, alpha)


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the ``source`` slices written at ``index`` along ``dim``."""
    d, idx = _index_src(input, dim, index, source, 'index_copy_')
    return nary(IndexCopy, (input, source), d, idx)


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    a = input._data
    d = _one(dim, a.ndim)
    idx = _vec_index(index, a.shape[d] if a.ndim else 1, 'index_fill_', a)
    _bounds(idx, a.shape[d] if a.ndim else 1, d, negative_ok=True)
    if isinstance(value, _apply.Tensor):
        value = value.item()
    return unary(IndexFill, input, d, idx, value)


def index_add_(input, dim, index, source, *, alpha=1):
    """In-place ``index_add``."""
    return input._inplace(index_add, dim, index, source, alpha=alpha)


def index_copy_(input, dim, index, source):
    """In-place ``index_copy``."""
    return input._inplace(index_copy, dim, index, source)


def index_fill_(input, dim, index, value):
    """In-place ``index_fill``."""
    return input._inplace(index_fill, dim, index, value)


# --------------------------------------------------------------------------- flat take / put
def _flat_index(index, numel, fname, like=None):
    idx = _idx(index, fname, f'{fname}(): Expected a long tensor for index, but got '
                             f'{_kind_name(index)}', like)
    lo, hi = (0, 0) if not idx.size else (idx.min(), idx.max()) if idx.__class__ is xp.ndarray \
        else _range(idx)
    if hi >= numel or lo < -numel:
        bad = hi if hi >= numel else lo
        raise IndexError(f'out of range: tried to access index {bad} on a tensor of {numel} '
                         f'elements.')
    return idx


def _kind_name(t):
    return {'f': 'Float', 'b': 'Bool'}.get(t._data.dtype.kind, 'Long') \
        if isinstance(t, _apply.Tensor) else 'Long'


class Take(Node):
    def forward(self, a, idx):
        self.shape, self.size, self.idx = a.shape, a.size, idx
        return a.reshape(-1)[idx]

    def backward(self, g):
        # The scatter goes into a flat buffer that is then reshaped (not through a reshaped
        # view of a shaped one): under create_graph a view's writes would not reach its base.
        z = self.xp.zeros(self.size, g.dtype)
        ufunc_at('add', z, self.idx, g)
        return z.reshape(self.shape)


def take(input, index):
    """Elements at ``index`` of the flattened input; the result has ``index``'s shape.

    >>> import numtorch
    >>> numtorch.tensor([[4, 5], [6, 7]]).take(numtorch.tensor([0, 3]))
    tensor([4, 7])
    """
    idx = _flat_index(index, input._data.size, 'take', input._data)
    return unary(Take, input, idx)


class Put(Node):
    def forward(self, arrays, idx, accumulate):
        a, src = arrays
        self.idx, self.sshape, self.acc = idx.reshape(-1), src.shape, accumulate
        out = a.copy()
        if accumulate:
            ufunc_at('add', out.reshape(-1), self.idx, src.reshape(-1))
        else:
            out.reshape(-1)[self.idx] = src.reshape(-1)
        return out

    def backward(self, g):
        flat = g.reshape(-1)
        gs = flat[self.idx].reshape(self.sshape)
        if not self.acc:
            # the write goes to the flat copy itself (create_graph records writes per array,
            # a reshaped view's would not reach its base)
            flat = flat.copy()
            flat[self.idx] = 0
            g = flat.reshape(g.shape)
        return g, gs


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written at flat positions ``index``.

    >>> import numtorch
    >>> numtorch.zeros(2, 2).put(numtorch.tensor([3]), numtorch.tensor([9.]))
    tensor([[0., 0.],
            [0., 9.]])
    """
    idx = _flat_index(index, input._data.size, 'put', input._data)
    if idx.size != source._data.size:
        raise RuntimeError(f'put_(): Expected source and index to have the same number of '
                           f'elements, but got source.numel() = {source._data.size}, '
                           f'index.numel() = {idx.size}')
    return nary(Put, (input, source), idx, accumulate)


def put_(input, index, source, accumulate=False):
    """In-place ``put``."""
    return input._inplace(put, index, source, accumulate)


def take_along_dim(input, indices, dim=None, *, out=None):
    """Pick values of ``input`` at ``indices`` along ``dim`` (both broadcast over the other dims),
    or from the flattened input when ``dim`` is None. The partner of ``argsort``/``argmax``.

    >>> import numtorch
    >>> x = numtorch.tensor([[3., 1.], [2., 4.]])
    >>> numtorch.take_along_dim(x, x.argmax(1, keepdim=True), 1)
    tensor([[3.],
            [4.]])
    """
    if indices._data.dtype.kind not in 'iu':
        raise RuntimeError(f'torch.take_along_dim(): dtype of indices should be Long but got '
                           f'{_CAP.get(indices._data.dtype.name, indices._data.dtype.name)}')
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError('torch.take_along_dim(): input and indices should have the same number '
                           f'of dimensions, but got {nd} dimensions for input, and '
                           f'{indices._data.ndim} dimensions for indices')
    d = _one(dim, nd)
    si, sx = list(indices._data.shape), list(input._data.shape)
    si[d] = sx[d] = 1
    try:
        b = list(xp.broadcast_shapes(tuple(si), tuple(sx)))
    except ValueError:
        _apply.raise_if_unbroadcastable(tuple(sx), tuple(si))
        raise
    bi, bx = list(b), list(b)
    bi[d], bx[d] = indices._data.shape[d], input._data.shape[d]
    return input.expand(*bx).gather(d, indices.expand(*bi))


# --------------------------------------------------------------------------- in-place
class FillDiagonal(Node):
    # torch fills a strided view of the input, so its history is a CopySlices (zero gradient
    # on the diagonal, the rest passed through) -- this node is exactly that
    _name = 'CopySlices'

    def forward(self, a, value, wrap):
        self.wrap = wrap
        out = a.copy()
        xp.fill_diagonal(out, value, wrap=wrap)
        return out

    def backward(self, g):
        # the diagonal as a mask, then one where: a formula create_graph can record
        diag = self.xp.zeros(g.shape, bool)
        xp.fill_diagonal(diag, True, wrap=self.wrap)
        return xp.where(diag, 0, g)


def fill_diagonal_(input, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal in place (every dim must be equal beyond 2-d;
    ``wrap`` restarts the diagonal below a tall matrix every ``cols + 1`` rows).

    >>> import numtorch
    >>> numtorch.zeros(2, 3).fill_diagonal_(5.)
    tensor([[5., 0., 0.],
            [0., 5., 0.]])
    """
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f'dimensions must larger than 1')
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError('all dimensions of input must be of equal length')
    if isinstance(fill_value, _apply.Tensor):
        fill_value = fill_value.item()
    return input._inplace(lambda t: unary(FillDiagonal, t, fill_value, wrap))


__all__ = ['gather', 'scatter', 'scatter_add', 'index_select', 'index_add', 'index_copy',
           'index_fill', 'take', 'put', 'take_along_dim']


# Tensor-only methods: torch has no torch.<name>
METHODS = {'scatter_': scatter_, 'scatter_add_': scatter_add_, 'index_add_': index_add_,
           'index_copy_': index_copy_, 'index_fill_': index_fill_, 'put_': put_,
           'fill_diagonal_': fill_diagonal_}
