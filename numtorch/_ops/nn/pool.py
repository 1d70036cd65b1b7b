"""3-D pooling (``max_pool3d``, ``avg_pool3d``, adaptive 3-D) and the 1-D adaptive poolings, as
compositions of the 2-D pooling ops in ``_ops/pool.py``.

Why this is exact: a pooling window is a box, and the max (or the sum) over a box is the max
(sum) over depth of the max (sum) over the (H, W) face. So a 3-D pooling is the 2-D pooling of
every depth slice, then a ``(kd, 1)`` pooling along depth; the output size, padding and
``ceil_mode`` rule of each dim are independent, and torch's average divisor is a product of
per-dim counts. Gradients follow from the 2-D ops' (ties aside, which torch breaks its own way).
Max-pooling indices (flat over ``D*H*W``, as torch's) are combined from the two passes' indices.
"""
from ..._backend import xp
from .._apply import wrap
from ..pool import (max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d)


def _triple(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 3
        if len(v) != 3:
            raise RuntimeError(f'{name} must either be a single int, or a tuple of three ints')
        return tuple(int(a) for a in v)
    return (int(v),) * 3


def _unbatched(input, nd, name):
    if input._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f'{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for '
                           f'input, but got {list(input.shape)}')
    return input._data.ndim == nd + 1


def _merge_indices(idx_hw, idx_d, N, C, D, H, W):
    """Flat ``D*H*W`` indices from the face pass' (N, C*D, Ho, Wo) and the depth pass'
    (N*C, 1, Do, Ho*Wo) indices."""
    a = idx_hw._data.reshape(N * C, -1)
    b = idx_d._data.reshape(N * C, -1)
    L = idx_hw._data.shape[2] * idx_hw._data.shape[3]
    # b indexes the (D, Ho*Wo) plane: its row is the depth, and a's entry there the face index.
    hw = xp.take_along_axis(a, b, axis=1)
    out = (b // L) * (H * W) + hw
    return wrap(out.reshape((N, C, idx_d._data.shape[2]) + idx_hw._data.shape[2:]))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    >>> import numtorch
    >>> numtorch.nn.functional.max_pool3d(numtorch.ones(1, 2, 4, 4, 4), 2).shape
    torch.Size([1, 2, 2, 2, 2])
    """
    unb = _unbatched(input, 3, 'max_pool3d')
    x = input.unsqueeze(0) if unb else input
    k = _triple(kernel_size, 'kernel_size')
    s = k if stride is None or stride == [] or stride == () else _triple(stride, 'stride')
    p, d = _triple(padding, 'padding'), _triple(dilation, 'dilation')
    N, C, D, H, W = x.shape
    y, i1 = max_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], d[1:], ceil_mode, True)
    Ho, Wo = y.shape[2:]
    z, i2 = max_pool2d(y.reshape(N * C, 1, D, Ho * Wo), (k[0], 1), (s[0], 1), (p[0], 0),
                       (d[0], 1), ceil_mode, True)
    out = z.reshape(N, C, z.shape[2], Ho, Wo)
    if return_indices:
        idx = _merge_indices(i1, i2, N, C, D, H, W)
        return (out.squeeze(0), idx.squeeze(0)) if unb else (out, idx)
    return out.squeeze(0) if unb else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    >>> import numtorch
    >>> numtorch.nn.functional.avg_pool3d(numtorch.ones(1, 2, 4, 4, 4), 2).shape
    torch.Size([1, 2, 2, 2, 2])
    """
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError('divisor must be not zero')
    unb = _unbatched(input, 3, 'avg_pool3d')
    x = input.unsqueeze(0) if unb else input
    k = _triple(kernel_size, 'kernel_size')
    s = k if stride is None or stride == [] or stride == () else _triple(stride, 'stride')
    p = _triple(padding, 'padding')
    N, C, D, H, W = x.shape
    div = 1 if divisor_override else None      # sums in both passes, one division at the end
    y = avg_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], ceil_mode, count_include_pad,
                   div)
    Ho, Wo = y.shape[2:]
    z = avg_pool2d(y.reshape(N * C, 1, D, Ho * Wo), (k[0], 1), (s[0], 1), (p[0], 0), ceil_mode,
                   count_include_pad, div)
    out = z.reshape(N, C, z.shape[2], Ho, Wo)
    if divisor_override:
        out = out / divisor_override
    return out.squeeze(0) if unb else out


def _sizes(output_size, spatial):
    n = len(spatial)
    o = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(o) != n:
        raise RuntimeError(f'adaptive pool: output_size must be {n}')
    return tuple(s if v is None else int(v) for v, s in zip(o, spatial))


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` to a fixed length.

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_avg_pool1d(numtorch.tensor([[1., 2., 3., 4.]]), 2)
    tensor([[1.5000, 3.5000]])
    """
    _unbatched(input, 1, 'adaptive_avg_pool1d')
    o, = _sizes(output_size, input.shape[-1:])
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` to a fixed length.

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_max_pool1d(numtorch.tensor([[1., 5., 3., 4.]]), 2)
    tensor([[5., 4.]])
    """
    _unbatched(input, 1, 'adaptive_max_pool1d')
    o, = _sizes(output_size, input.shape[-1:])
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to a fixed size.

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_avg_pool3d(numtorch.ones(1, 2, 5, 6, 7), 1).shape
    torch.Size([1, 2, 1, 1, 1])
    """
    unb = _unbatched(input, 3, 'adaptive_avg_pool3d')
    x = input.unsqueeze(0) if unb else input
    N, C, D, H, W = x.shape
    od, oh, ow = _sizes(output_size, (D, H, W))
    y = adaptive_avg_pool2d(x.reshape(N, C * D, H, W), (oh, ow))
    z = adaptive_avg_pool2d(y.reshape(N * C, 1, D, oh * ow), (od, oh * ow))
    out = z.reshape(N, C, od, oh, ow)
    return out.squeeze(0) if unb else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to a fixed size.

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_max_pool3d(numtorch.ones(1, 2, 5, 6, 7), 2).shape
    torch.Size([1, 2, 2, 2, 2])
    """
    unb = _unbatched(input, 3, 'adaptive_max_pool3d')
    x = input.unsqueeze(0) if unb else input
    N, C, D, H, W = x.shape
    od, oh, ow = _sizes(output_size, (D, H, W))
    y, i1 = adaptive_max_pool2d(x.reshape(N, C * D, H, W), (oh, ow), True)
    z, i2 = adaptive_max_pool2d(y.reshape(N * C, 1, D, oh * ow), (od, oh * ow), True)
    out = z.reshape(N, C, od, oh, ow)
    if return_indices:
        idx = _merge_indices(i1, i2, N, C, D, H, W)
        return (out.squeeze(0), idx.squeeze(0)) if unb else (out, idx)
    return out.squeeze(0) if unb else out


__all__ = ['max_pool3d', 'adaptive_avg_pool1d', 'adaptive_max_pool1d']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
