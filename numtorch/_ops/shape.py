"""Shape ops. Most return views that share memory with their input, as torch's do."""
from .._backend import xp
from ..autograd.graph import Node
from ._apply import view as view_op, unary
from .reduce import _one


def _shape_args(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (and Size, and 0-dim tensors)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel, src_shape):
    if shape.count(-1) > 1:
        raise RuntimeError('only one dimension can be inferred')
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f'invalid shape dimension {s}')
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                               f'size {numel}')
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size "
                           f'{numel}')
    return shape


class View(Node):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(_infer(shape, a.size, a.shape))

    def backward(self, g):
        return g.reshape(self.shape)


class StrictView(View):
    _name = 'ViewBackward0'

    def forward(self, a, shape):
        self.shape = a.shape
        new = _infer(shape, a.size, a.shape)
        out = a.view()
        try:
            out.shape = new   # raises instead of copying when no view is possible
        except AttributeError:
            raise RuntimeError('view size is not compatible with input tensor\'s size and stride '
                               '(at least one dimension spans across two contiguous subspaces). '
                               'Use .reshape(...) instead.') from None
        return out


class Permute(Node):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        return g.transpose(xp.argsort(self.dims))


class Transpose(Node):
    def forward(self, a, d0, d1):
        self.d = d0, d1
        return xp.swapaxes(a, d0, d1)

    def backward(self, g):
        return xp.swapaxes(g, *self.d)


class T(Transpose):
    pass


class Expand(Node):
    def forward(self, a, shape):
        self.shape = a.shape
        nd = len(shape) - a.ndim
        if nd < 0:
            raise RuntimeError(f'expand(torch.FloatTensor{{[{", ".join(map(str, a.shape))}]}}, '
                               f'size=[{", ".join(map(str, shape))}]): the number of sizes provided '
                               f'({len(shape)}) must be greater or equal to the number of dimensions '
                               f'in the tensor ({a.ndim})')
        full = tuple(a.shape[i - nd] if s == -1 else s for i, s in enumerate(shape))
        try:
            return xp.broadcast_to(a, full)
        except ValueError:
            raise RuntimeError(f'The expanded size of the tensor ({full[-1]}) must match the '
                               f'existing size ({a.shape[-1]}) at non-singleton dimension '
                               f'{len(full) - 1}.  Target sizes: [{", ".join(map(str, shape))}].  '
                               f'Tensor sizes: [{", ".join(map(str, a.shape))}]') from None

    def backward(self, g):
        from ._apply import unbroadcast
        return unbroadcast(g, self.shape)


class Squeeze(Node):
    def forward(self, a, axes):
        self.shape = a.shape
        if axes is None:
            axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
        else:
            axes = tuple(i for i in axes if a.shape[i] == 1)
        return a.squeeze(axes) if axes else a.view()

    def backward(self, g):
        return g.reshape(self.shape)


class Unsqueeze(Node):
    def forward(self, a, dim):
        self.shape = a.shape
        return xp.expand_dims(a, dim)

    def backward(self, g):
        return g.reshape(self.shape)


def reshape(input, *shape):
    """Same data in a new shape; a view when possible, otherwise a copy. One dim may be -1.

    >>> import numtorch
    >>> numtorch.arange(6).reshape(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    return view_op(View, input, _shape_args(shape))


def view(input, *shape):
    """Same storage in a new shape; errors when that needs a copy (use ``reshape``)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], 'np'):
        return view_op(_ViewDtype, input, shape[0].np)
    return view_op(StrictView, input, _shape_args(shape))


class _ViewDtype(Node):
    def forward(self, a, np_dtype):
        return a.view(np_dtype)

    def backward(self, g):
        raise RuntimeError('view(dtype) is not differentiable')


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one.

    >>> import numtorch
    >>> numtorch.zeros(2, 3, 4).flatten(1).shape
    numtorch.Size([2, 12])
    """
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _one(start_dim, nd), _one(end_dim, nd)
    if s > e:
        raise RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim')
    shp = input._data.shape
    new = shp[:s] + (-1 if 0 not in shp[s:e + 1] else 0,) + shp[e + 1:]
    return reshape(input, new)


def permute(input, *dims):
    """Reorder dims: ``x.permute(2, 0, 1)``."""
    dims = _shape_args(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f'permute(sparse_coo): number of dimensions in the tensor input does not '
                           f'match the length of the desired ordering of dimensions i.e. input.dim() '
                           f'= {nd} is not equal to len(dims) = {len(dims)}')
    dims = tuple(_one(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError('permute(): duplicate dims are not allowed.')
    return view_op(Permute, input, dims)


def transpose(input, dim0, dim1):
    """Swap two dims."""
    nd = input._data.ndim
    if nd == 0:
        return view_op(Permute, input, ())
    return view_op(Transpose, input, _one(dim0, nd), _one(dim1, nd))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f't() expects a tensor with <= 2 dimensions, but self is {nd}D')
    if nd < 2:
        return view_op(Permute, input, tuple(range(nd)))
    return view_op(T, input, 0, 1)


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    return view_op(Expand, input, _shape_args(sizes))


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def squeeze(input, dim=None):
    """Drop size-1 dims (all, or those in ``dim``)."""
    nd = input._data.ndim
    axes = None if dim is None else tuple(_one(d, nd) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    return view_op(Squeeze, input, axes)


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    return view_op(Unsqueeze, input, _one(dim, input._data.ndim + 1))


class Contiguous(Node):
    _name = 'CloneBackward0'

    def forward(self, a):
        return xp.ascontiguousarray(a)

    def backward(self, g):
        return g


class Clone(Node):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


def contiguous(input, memory_format=None):
    """Self if already C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return unary(Contiguous, input)


def clone(input, *, memory_format=None):
    """A copy with its own storage; gradients flow back to the input."""
    return unary(Clone, input)


__all__ = ['reshape', 'view', 'view_as', 'reshape_as', 'flatten', 'permute', 'transpose',
           'swapaxes', 'swapdims', 't', 'expand', 'expand_as', 'broadcast_to', 'squeeze',
           'unsqueeze', 'contiguous', 'clone']
