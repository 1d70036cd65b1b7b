"""Moving pixels between space and channels: ``pixel_shuffle``/``pixel_unshuffle``,
``F.unfold``/``F.fold`` (im2col / col2im), and ``Tensor.unfold`` (sliding windows along a dim).

``F.unfold`` is a grouped convolution with a fixed 0/1 kernel that copies each of the ``kh*kw``
window positions into its own channel (channel ``c*kh*kw + i*kw + j``, torch's order), and
``F.fold`` is its adjoint, the transposed convolution with the same kernel; both reuse the tuned
conv kernels and their gradients. ``pixel_shuffle`` is a reshape/permute.
"""
from ..._backend import xp, namespace
from ...autograd.graph import Node
from .._apply import view, wrap
from .conv import conv2d, conv_transpose2d


def _check_factor(name, f):
    if f <= 0:
        raise RuntimeError(f'{name} must be greater than 0, but got {f}')


def pixel_shuffle(input, upscale_factor):
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``.

    >>> import numtorch
    >>> numtorch.nn.functional.pixel_shuffle(numtorch.ones(1, 8, 2, 3), 2).shape
    torch.Size([1, 2, 4, 6])
    """
    r = int(upscale_factor)
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise RuntimeError(f'pixel_shuffle expects input to have at least 3 dimensions, but got '
                           f'input with {len(shape)} dimension(s)')
    _check_factor('upscale_factor', r)
    C, H, W = shape[-3:]
    if C % (r * r):
        raise RuntimeError(f'pixel_shuffle expects its input\'s \'channel\' dimension to be '
                           f'divisible by the square of upscale_factor, but input.size(-3)={C} '
                           f'is not divisible by {r * r}')
    b = shape[:-3]
    n = len(b)
    x = input.reshape(b + (C // (r * r), r, r, H, W))
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(b + (C // (r * r), H * r, W * r))


def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)`` (inverse of ``pixel_shuffle``).

    >>> import numtorch
    >>> numtorch.nn.functional.pixel_unshuffle(numtorch.ones(1, 2, 4, 6), 2).shape
    torch.Size([1, 8, 2, 3])
    """
    r = int(downscale_factor)
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise RuntimeError(f'pixel_unshuffle expects input to have at least 3 dimensions, but '
                           f'got input with {len(shape)} dimension(s)')
    _check_factor('downscale_factor', r)
    C, H, W = shape[-3:]
    if H % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={H} is not divisible by {r}")
    if W % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={W} is not divisible by {r}")
    b = shape[:-3]
    n = len(b)
    x = input.reshape(b + (C, H // r, r, W // r, r))
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(b + (C * r * r, H // r, W // r))


def _pair(v):
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _eye_kernel(C, kh, kw, like):
    """(C*kh*kw, 1, kh, kw) 0/1 kernel: output channel c*kh*kw + i*kw + j copies offset (i, j);
    of ``like``'s dtype, on its device."""
    ns = namespace(like)
    k = ns.eye(kh * kw, dtype=like.dtype).reshape(kh * kw, 1, kh, kw)
    return wrap(ns.ascontiguousarray(xp.tile(k, (C, 1, 1, 1))))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding ``kernel_size`` blocks of ``(N, C, H, W)`` as columns:
    ``(N, C*kh*kw, L)`` (im2col).

    >>> import numtorch
    >>> numtorch.nn.functional.unfold(numtorch.ones(2, 3, 4, 5), 2).shape
    torch.Size([2, 12, 12])
    """
    nd = input.dim()
    if nd not in (3, 4):
        raise NotImplementedError(f'Input Error: Only 3D or 4D input Tensors are supported (got '
                                  f'{nd}D)')
    x = input.unsqueeze(0) if nd == 3 else input
    kh, kw = _pair(kernel_size)
    C = x.shape[1]
    y = conv2d(x, _eye_kernel(C, kh, kw, x._data), None, _pair(stride), _pair(padding),
               _pair(dilation), C)
    y = y.reshape(y.shape[0], C * kh * kw, -1)
    return y.squeeze(0) if nd == 3 else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns ``(N, C*kh*kw, L)`` back into ``(N, C, H, W)`` (col2im; the adjoint of
    ``unfold``).

    >>> import numtorch
    >>> F = numtorch.nn.functional
    >>> F.fold(F.unfold(numtorch.ones(1, 1, 3, 3), 2), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    nd = input.dim()
    if nd not in (2, 3):
        raise NotImplementedError(f'Input Error: Only unbatched (2D) or batched (3D) input '
                                  f'Tensors are supported (got {nd}D)')
    x = input.unsqueeze(0) if nd == 2 else input
    H, W = _pair(output_size)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(kernel_size), _pair(dilation), _pair(padding),
                                              _pair(stride))
    N, CK, L = x.shape
    if CK % (kh * kw):
        raise RuntimeError(f'Expected size of input\'s dimension 1 to be divisible by the product '
                           f'of kernel_size, but got input.size(1)={CK} and '
                           f'kernel_size=({kh}, {kw})')
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if Ho * Wo != L:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({kh}, {kw}), "
                           f"dilation=({dh}, {dw}), padding=({ph}, {pw}), stride=({sh}, {sw}), "
                           f"expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {Ho} * {Wo} = {Ho * Wo}, but got input.size(2)={L}.")
    C = CK // (kh * kw)
    op = (H + 2 * ph - ((Ho - 1) * sh + dh * (kh - 1) + 1),
          W + 2 * pw - ((Wo - 1) * sw + dw * (kw - 1) + 1))
    y = conv_transpose2d(x.reshape(N, CK, Ho, Wo), _eye_kernel(C, kh, kw, x._data), None,
                         (sh, sw), (ph, pw), op, C, (dh, dw))
    return y.squeeze(0) if nd == 2 else y


class UnfoldDim(Node):
    """``Tensor.unfold``: a strided view adding a window axis; backward adds each window
    position's gradient back (one strided add per position in the window)."""
    _name = 'UnfoldBackward0'

    def forward(self, a, dim, size, step):
        n = a.shape[dim] if a.ndim else 1
        cnt = (n - size) // step + 1
        self.meta = a.shape, dim, size, step, cnt
        if a.ndim == 0:
            return a.reshape(1)
        st = a.strides
        shape = a.shape[:dim] + (cnt,) + a.shape[dim + 1:] + (size,)
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        return self.xp.lib.stride_tricks.as_strided(a, shape, strides)

    def backward(self, g):
        shape, dim, size, step, cnt = self.meta
        if not shape:
            return g.reshape(())
        out = self.xp.zeros(shape, g.dtype)
        o = xp.moveaxis(out, dim, -1)
        gm = xp.moveaxis(g, dim, -2)           # (..., cnt, size)
        for k in range(size):
            dst = o[..., k:k + step * (cnt - 1) + 1:step]
            dst += gm[..., k]
        return out

    def backward_graphed(self, g):
        """create_graph: the same adds as one differentiable ``index_add`` along ``dim``
        (window ``i``'s element ``k`` is input position ``i*step + k``)."""
        shape, dim, size, step, cnt = self.meta
        if not shape:
            return g.reshape(())
        ns = namespace(g._data)
        pos = (ns.arange(cnt)[:, None] * step + ns.arange(size)).reshape(-1)
        gm = g.movedim(dim, -2)
        gm = gm.reshape(gm.shape[:-2] + (cnt * size,)).movedim(-1, dim)
        return g.new_zeros(shape).index_add(dim, wrap(pos), gm)


def tensor_unfold(self, dimension, size, step):
    """Windows of ``size`` elements, ``step`` apart, along ``dimension``, as a new last dim
    (a view).

    >>> import numtorch
    >>> numtorch.arange(5.).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    nd = self.dim()
    d = dimension + nd if dimension < 0 else dimension
    n = self.shape[d] if nd else 1
    if not 0 <= d < max(nd, 1):
        raise IndexError(f'Dimension out of range (expected to be in range of [{-max(nd, 1)}, '
                         f'{max(nd, 1) - 1}], but got {dimension})')
    if size > n:
        raise RuntimeError(f'maximum size for tensor at dimension {d} is {n} but size is {size}')
    if step <= 0:
        raise RuntimeError(f'step is {step} but must be > 0')
    return view(UnfoldDim, self, d, int(size), int(step))


__all__ = ['pixel_shuffle', 'pixel_unshuffle']
METHODS = {'unfold': tensor_unfold}
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
