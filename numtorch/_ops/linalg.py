"""Matrix products with torch's batching rules."""
from .._backend import xp
from ..autograd.graph import Node
from ._apply import binary, unbroadcast


def _shape_str(s):
    return 'x'.join(map(str, s))


class Mm(Node):
    def forward(self, a, b):
        if a.ndim != 2 or b.ndim != 2:
            raise RuntimeError(f'{"self" if a.ndim != 2 else "mat2"} must be a matrix')
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} '
                               f'and {_shape_str(b.shape)})')
        self.saved = (a, b)
        return a @ b

    def backward(self, g):
        a, b = self.saved
        return g @ b.T, a.T @ g


# torch records matmul as the op it dispatches to: dot, mv, mm, or (batched) bmm via views.
_NAMES = {(1, 1): 'DotBackward0', (2, 1): 'MvBackward0', (2, 2): 'MmBackward0', (1, 2): 'SqueezeBackward4'}


class Matmul(Node):
    """General ``matmul``: 1-D operands are promoted and the added dim removed after, batch
    dims broadcast. torch records the 1-D/2-D cases as Dot/Mv/Mm; this node covers them all."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f'both arguments to matmul need to be at least 1D, but they are '
                               f'{a.ndim}D and {b.ndim}D')
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(f'inconsistent tensor size, expected tensor [{a.shape[0]}] and '
                                   f'src [{b.shape[0]}] to have the same number of elements, but got '
                                   f'{a.shape[0]} and {b.shape[0]} elements respectively')
            sa = a.shape if a.ndim > 1 else (1,) + a.shape
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied '
                               f'({_shape_str((-1 if a.ndim > 2 else sa[0],) + sa[-1:]) if a.ndim <= 2 else _shape_str((int(xp.prod(sa[:-1])), sa[-1]))} '
                               f'and {_shape_str(b.shape if b.ndim > 1 else (b.shape[0], 1))})')
        self._name = _NAMES.get((a.ndim, b.ndim), 'UnsafeViewBackward0')
        self.saved = (a, b)
        return xp.matmul(a, b)

    def backward(self, g):
        a, b = self.saved
        # Promote 1-D operands to matrices as forward did, then reduce broadcast batch dims.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        batch = xp.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = unbroadcast(xp.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape)
        gb = unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape)
        return ga.reshape(a.shape), gb.reshape(b.shape)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors.

    >>> import numtorch
    >>> numtorch.mm(numtorch.ones(2, 3), numtorch.ones(3, 4)).shape
    numtorch.Size([2, 4])
    """
    return binary(Mm, input, mat2)


def matmul(input, other, *, out=None):
    """Matrix product with broadcasting over batch dims; 1-D operands as in torch.

    >>> import numtorch
    >>> numtorch.matmul(numtorch.ones(5, 2, 3), numtorch.ones(3)).shape
    numtorch.Size([5, 2])
    """
    return binary(Matmul, input, other)


__all__ = ['mm', 'matmul']
