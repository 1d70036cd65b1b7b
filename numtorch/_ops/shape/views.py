"""Shape ops. Most return views that share memory with their input, as torch's do."""
import math

from ..._backend import xp, namespace
from ...autograd.graph import Node
from ..._size import Size
from .._apply import view as view_op, unary, multi, wrap
from .. import _apply
from .._compose import _nt
from ...autograd.grad_mode import _enabled
from ..reductions.reduce import _one


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
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape "
                               f"[{', '.join(map(str, shape))}] because the unspecified dimension "
                               f"size -1 can be any value and is ambiguous")
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
        inv = [0] * len(self.dims)   # the inverse permutation, in Python (no host array)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return g.transpose(inv)


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
            i = next(i for i in range(len(full) - 1, nd - 1, -1)
                     if a.shape[i - nd] not in (1, full[i]))
            raise RuntimeError(f'The expanded size of the tensor ({full[i]}) must match the '
                               f'existing size ({a.shape[i - nd]}) at non-singleton dimension '
                               f'{i}.  Target sizes: [{", ".join(map(str, shape))}].  '
                               f'Tensor sizes: [{", ".join(map(str, a.shape))}]') from None

    def backward(self, g):
        from .._apply import unbroadcast
        return unbroadcast(g, self.shape)


class Squeeze(Node):
    def forward(self, a, axes, name='SqueezeBackward0'):
        self.shape = a.shape
        self._name = name   # torch: 0 for squeeze(), 1 for squeeze(dim), 2 for squeeze(dims)
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


def reshape(input, *args, shape=None):
    """Same data in a new shape; a view when possible, otherwise a copy. One dim may be -1.

    >>> import numtorch
    >>> numtorch.arange(6).reshape(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    return view_op(View, input, _shape_args(args if shape is None else (shape,)))


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
    torch.Size([2, 12])
    """
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _one(start_dim, nd), _one(end_dim, nd)
    if s > e:
        raise RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim')
    shp = input._data.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    new = shp[:s] + (n,) + shp[e + 1:]    # explicit: a zero-size batch leaves -1 ambiguous
    return reshape(input, new)


def permute(input, *dims, **kwargs):
    """Reorder dims: ``x.permute(2, 0, 1)`` (or ``dims=(2, 0, 1)``)."""
    if 'dims' in kwargs:
        dims = (kwargs.pop('dims'),)
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


def swapaxes(input, axis0, axis1):
    """Alias of ``transpose`` with NumPy's argument names (as torch's)."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of ``transpose`` (as torch's)."""
    return transpose(input, dim0, dim1)


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
    if dim is None:
        return view_op(Squeeze, input, None)
    if isinstance(dim, (tuple, list)):
        return view_op(Squeeze, input, tuple(_one(d, nd) for d in dim), 'SqueezeBackward2')
    return view_op(Squeeze, input, (_one(dim, nd),), 'SqueezeBackward1')


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    return view_op(Unsqueeze, input, _one(dim, input._data.ndim + 1))


class Contiguous(Node):
    _name = 'CloneBackward0'

    def forward(self, a):
        return self.xp.ascontiguousarray(a)

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


__all__ = ['reshape', 'flatten', 'permute', 'transpose',
           'swapaxes', 'swapdims', 't', 'broadcast_to', 'squeeze',
           'unsqueeze', 'clone']


# --------------------------------------------------------------------------- more views
def _dims_str(shape):
    return f'[{", ".join(map(str, shape))}]'


def _multi_views(cls, x, *args):
    """A multi-output op whose outputs are views of ``x`` (split, chunk, unbind): like
    ``_apply.view``, each output shares ``x``'s version counter and base."""
    outs = multi(cls, x, *args)
    base = x._base if x._base is not None else x
    # torch refuses in-place changes of these views (and, once the base changed in place,
    # their use in backward): _ops/shape/copyslices.py
    creation = 'multi' if _enabled[0] else 'no_grad'
    track = _enabled[0] and x._requires_grad and base.grad_fn is not None
    for o in outs:
        o._version_counter = x._version_counter
        o._base = base
        o._creation = creation
        if track:
            _apply.register(base, o)
    return outs


class Split(Node):
    """Pieces of one dim; backward concatenates the pieces' grads (zeros for unused ones)."""

    def forward(self, a, sizes, dim):
        self.dim = dim
        cuts, acc = [], 0
        for s in sizes[:-1]:
            acc += s
            cuts.append(acc)
        return tuple(xp.split(a, cuts, axis=dim))

    def backward(self, *gs):
        return xp.concatenate(gs, axis=self.dim)


class SplitWithSizes(Split):
    pass


class Unbind(Node):
    def forward(self, a, dim):
        self.dim = dim
        idx = (slice(None),) * dim
        return tuple(a[idx + (i,)] for i in range(a.shape[dim]))

    def backward(self, *gs):
        return xp.stack(gs, axis=self.dim)


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` along ``dim`` (the last may be smaller), or into
    pieces of the given sizes. The pieces are views.

    >>> import numtorch
    >>> [t.tolist() for t in numtorch.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    >>> [t.tolist() for t in numtorch.arange(5).split([1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    nd = tensor._data.ndim
    d = _one(dim, nd)
    n = tensor._data.shape[d] if nd else 1
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f'split_with_sizes expects split_sizes have only non-negative '
                               f'entries, but got split_sizes={_dims_str(sizes)}')
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                               f"tensor's size at dimension {d}), but got "
                               f"split_sizes={_dims_str(sizes)}")
        return _multi_views(SplitWithSizes, tensor, sizes, d)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f'split expects split_size be non-negative, but got split_size={size}')
    if size == 0:
        if n != 0:
            raise RuntimeError(f'split_size can only be 0 if dimension size is 0, but got '
                               f'dimension size of {n}')
        sizes = [0]
    else:
        sizes = [size] * (n // size) + ([n % size] if n % size or n == 0 else [])
    return _multi_views(Split, tensor, sizes, d)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of equal size (the last may be smaller, and there may be
    fewer pieces), as views.

    >>> import numtorch
    >>> [t.tolist() for t in numtorch.arange(5).chunk(3)]
    [[0, 1], [2, 3], [4]]
    """
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f'chunk expects `chunks` to be greater than 0, got: {chunks}')
    nd = input._data.ndim
    d = _one(dim, nd)
    n = input._data.shape[d] if nd else 1
    if n == 0:
        return _multi_views(Split, input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def unbind(input, dim=0):
    """The slices along ``dim``, as a tuple of views.

    >>> import numtorch
    >>> numtorch.tensor([[1, 2], [3, 4]]).unbind(1)
    (tensor([1, 3]), tensor([2, 4]))
    """
    nd = input._data.ndim
    if nd == 0:
        raise IndexError('Dimension specified as 0 but tensor has no dimensions')
    return _multi_views(Unbind, input, _one(dim, nd))


def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along ``dim``.

    >>> import numtorch
    >>> numtorch.arange(6).reshape(2, 3).narrow(1, 1, 2)
    tensor([[1, 2],
            [4, 5]])
    """
    nd = input._data.ndim
    d = _one(dim, nd)
    n = input._data.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f'start out of range (expected to be in range of [{-n}, {n}], but got '
                         f'{start})')
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError('narrow(): length must be non-negative.')
    if start + length > n:
        raise RuntimeError(f'start ({start}) + length ({length}) exceeds dimension size ({n}).')
    from ..indexing.index import getitem
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def select(input, dim, index):
    """The view ``input[..., index, ...]`` along ``dim`` (one dim fewer).

    >>> import numtorch
    >>> numtorch.arange(6).reshape(2, 3).select(1, -1)
    tensor([2, 5])
    """
    nd = input._data.ndim
    if nd == 0:
        raise IndexError('select() cannot be applied to a 0-dim tensor.')
    d = _one(dim, nd)
    n = input._data.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f'select(): index {index} out of range for tensor of size '
                         f'{_dims_str(input._data.shape)} at dimension {d}')
    from ..indexing.index import getitem
    return getitem(input, (slice(None),) * d + (index,))


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences); a view.

    >>> import numtorch
    >>> numtorch.zeros(2, 3, 4).movedim(0, -1).shape
    torch.Size([3, 4, 2])
    """
    nd = input._data.ndim
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f'movedim: Invalid source or destination dims: source ({_dims_str(src)} '
                           f'dims) should contain the same number of dims as destination '
                           f'({_dims_str(dst)} dims)')
    src = [_one(s, nd) for s in src]
    dst = [_one(s, nd) for s in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f'movedim: repeated dim in `source` ({_dims_str(src)})')
    if len(set(dst)) != len(dst):
        raise RuntimeError(f'movedim: repeated dim in `destination` ({_dims_str(dst)})')
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return view_op(Permute, input, tuple(order))


moveaxis = movedim


def unflatten(input, dim, sizes):
    """Expand one dim into several: ``x.unflatten(1, (2, -1))``.

    >>> import numtorch
    >>> numtorch.zeros(2, 6).unflatten(1, (2, 3)).shape
    torch.Size([2, 2, 3])
    """
    shp = input._data.shape
    d = _one(dim, len(shp))
    sizes = [int(s) for s in sizes]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    n = shp[d] if shp else 1
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {_dims_str(sizes)} don't multiply up to the "
                           f'size of dim {d} ({n}) in the input tensor')
    return view_op(View, input, shp[:d] + tuple(sizes) + shp[d + 1:])


def ravel(input):
    """The elements as one dim (a view when possible).

    >>> import numtorch
    >>> numtorch.zeros(2, 3).ravel().shape
    torch.Size([6])
    """
    return view_op(View, input, (-1,))


def _diag_view(a, offset, d1, d2):
    """A writable strided view of a diagonal (NumPy's ``diagonal`` is read-only; torch's is a
    view you can write through)."""
    n1, n2 = a.shape[d1], a.shape[d2]
    if offset >= 0:
        length = max(min(n1, n2 - offset), 0)
        start = offset * a.strides[d2] if length else 0
    else:
        length = max(min(n1 + offset, n2), 0)
        start = -offset * a.strides[d1] if length else 0
    rest = [i for i in range(a.ndim) if i != d1 and i != d2]
    shape = tuple(a.shape[i] for i in rest) + (length,)
    strides = tuple(a.strides[i] for i in rest) + (a.strides[d1] + a.strides[d2],)
    if start:
        # Shift the origin with a slice first, so the strided view starts inside ``a``.
        idx = [slice(None)] * a.ndim
        idx[d2 if offset >= 0 else d1] = slice(abs(offset), None)
        a = a[tuple(idx)]
    # the input's namespace: CuPy has as_strided too (its arrays are always writeable; NumPy's
    # as_strided is writeable by default)
    return namespace(a).lib.stride_tricks.as_strided(a, shape, strides)


class Diagonal(Node):
    def forward(self, a, offset, d1, d2):
        self.shape, self.dtype, self.args = a.shape, a.dtype, (offset, d1, d2)
        return _diag_view(a, offset, d1, d2)

    def backward(self, g):
        z = self.xp.zeros(self.shape, g.dtype)
        _diag_view(z, *self.args)[...] = g
        return z

    def backward_graphed(self, g):
        # a write through a strided view cannot be recorded: the same positions, found on an
        # arange through the same view, take ``g`` by a (differentiable) index_put instead
        shape = self.shape
        pos = _diag_view(self.xp.arange(math.prod(shape)).reshape(shape), *self.args)
        z = _nt().zeros(math.prod(shape), dtype=g.dtype, device=g.device)
        return z.index_put((wrap(pos.reshape(-1)),), g.reshape(-1)).reshape(shape)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the ``dim1``/``dim2`` planes as the last dim (a view you can write to).

    >>> import numtorch
    >>> numtorch.arange(9).reshape(3, 3).diagonal(1)
    tensor([1, 5])
    """
    nd = input._data.ndim
    d1, d2 = _one(dim1, nd), _one(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f'diagonal dimensions cannot be identical {dim1}, {dim2}')
    return view_op(Diagonal, input, int(offset), d1, d2)


__all__ += ['split', 'chunk', 'unbind', 'narrow', 'select', 'movedim', 'moveaxis', 'unflatten',
            'ravel', 'diagonal']


# Tensor-only methods: torch has no torch.<name>
METHODS = {'view': view, 'view_as': view_as, 'reshape_as': reshape_as, 'expand': expand,
           'expand_as': expand_as, 'contiguous': contiguous}
