"""``conv3d``, ``conv_transpose1d``, ``conv_transpose3d``: compositions of the 2-D kernels.

Why compositions: the 2-D im2col kernels in ``conv.py`` are the tuned ones; a 3-D convolution is
a 2-D convolution whose input channels also run over the ``kd`` depth offsets. Stacking the
``kd`` depth-shifted slices of the input as extra channels makes it ONE ``conv2d`` call over
``(N*D_out, kd*C, H, W)``, so forward and all three gradients come from existing, tested ops
(and work on every backend those do). The transposed 3-D convolution is one
``conv_transpose2d`` call producing every depth offset's contribution, then a strided placement
along depth (zero-interleave + pad: all differentiable).
"""
from ..shape import join as _re
from .conv import _check, _tuple, _pads, conv2d, conv_transpose2d


def _pad_last3(x, pads):
    """Zero-pad the last three dims of ``x`` by ``pads`` ((before, after) per dim)."""
    if not any(a or b for a, b in pads):
        return x
    from ...nn.functional import pad
    return pad(x, [p for a, b in reversed(pads) for p in (a, b)])


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    >>> import numtorch
    >>> x = numtorch.ones(1, 2, 4, 5, 5)
    >>> numtorch.nn.functional.conv3d(x, numtorch.ones(3, 2, 2, 3, 3), padding=1).shape
    torch.Size([1, 3, 5, 5, 5])
    """
    _check('conv3d', input, weight, bias, 3, groups)
    stride = _tuple(stride, 3, 'stride')
    dilation = _tuple(dilation, 3, 'dilation')
    if any(s <= 0 for s in stride):
        raise RuntimeError('non-positive stride is not supported')
    if any(d <= 0 for d in dilation):
        raise RuntimeError('dilation should be greater than zero')
    kernel = weight._data.shape[2:]
    pads = _pads(padding, 3, kernel, dilation, stride, input._data.shape[-3:])
    padded = [s + a + b for s, (a, b) in zip(input._data.shape[-3:], pads)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f'Calculated padded input size per channel: ({" x ".join(map(str, padded))}). '
                           f'Kernel size: ({" x ".join(map(str, eff))}). Kernel size can\'t be '
                           f'greater than actual input size')
    unbatched = input._data.ndim == 4
    x = _pad_last3(input.unsqueeze(0) if unbatched else input, pads)
    N, C, Dp, Hp, Wp = x.shape
    O, Cg, kd, kh, kw = weight.shape
    sd, dd = stride[0], dilation[0]
    Do = (Dp - dd * (kd - 1) - 1) // sd + 1
    G = int(groups)
    # kd depth-shifted slices, each (N, C, Do, Hp, Wp), stacked as channels ordered (G, kd, C/G)
    # so that conv2d's groups still see contiguous channel blocks.
    sl = [x[:, :, k * dd:k * dd + (Do - 1) * sd + 1:sd] for k in range(kd)]
    xs = _re.stack(sl, 1).reshape(N, kd, G, Cg, Do, Hp, Wp).permute(0, 4, 2, 1, 3, 5, 6)
    xs = xs.reshape(N * Do, G * kd * Cg, Hp, Wp)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(O, kd * Cg, kh, kw)
    y = conv2d(xs, w2, None, stride[1:], 0, dilation[1:], G)
    y = y.reshape(N, Do, O, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        y = y + bias.reshape(O, 1, 1, 1)
    else:
        y = y.contiguous()
    return y.squeeze(0) if unbatched else y


def _check_transposed(name, nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    _check(name, input, weight, bias, nd, groups, transposed=True)
    stride = _tuple(stride, nd, 'stride')
    padding = _tuple(padding, nd, 'padding')
    output_padding = _tuple(output_padding, nd, 'output_padding')
    dilation = _tuple(dilation, nd, 'dilation')
    if any(s <= 0 for s in stride):
        raise RuntimeError('non-positive stride is not supported')
    if any(p < 0 for p in padding):
        raise RuntimeError('negative padding is not supported')
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError('output padding must be smaller than either stride or dilation, '
                               f'but got output_padding={list(output_padding)}, '
                               f'stride={list(stride)}, dilation={list(dilation)}')
    return stride, padding, output_padding, dilation


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution over ``(N, C_in, L)`` or ``(C_in, L)``; ``weight`` is
    ``(C_in, C_out/groups, k)``.

    >>> import numtorch
    >>> x = numtorch.ones(1, 4, 5)
    >>> numtorch.nn.functional.conv_transpose1d(x, numtorch.ones(4, 2, 3), stride=2).shape
    torch.Size([1, 2, 11])
    """
    s, p, op, d = _check_transposed('conv_transpose1d', 1, input, weight, bias, stride, padding,
                                    output_padding, groups, dilation)
    y = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1,) + s, (0,) + p,
                         (0,) + op, groups, (1,) + d)
    return y.squeeze(-2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``; ``weight``
    is ``(C_in, C_out/groups, kD, kH, kW)``.

    >>> import numtorch
    >>> x = numtorch.ones(1, 4, 2, 3, 3)
    >>> numtorch.nn.functional.conv_transpose3d(x, numtorch.ones(4, 2, 2, 2, 2), stride=2).shape
    torch.Size([1, 2, 4, 6, 6])
    """
    s, p, op, d = _check_transposed('conv_transpose3d', 3, input, weight, bias, stride, padding,
                                    output_padding, groups, dilation)
    unbatched = input._data.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    N, Cin, D, H, W = x.shape
    _, Cog, kd, kh, kw = weight.shape
    G = int(groups)
    Cout = Cog * G
    Dout = (D - 1) * s[0] - 2 * p[0] + d[0] * (kd - 1) + op[0] + 1
    # Every depth offset k's output channels, ordered (kd, C_out/G) inside each group.
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(Cin, kd * Cog, kh, kw)
    x2 = x.permute(0, 2, 1, 3, 4).reshape(N * D, Cin, H, W)
    y = conv_transpose2d(x2, w2, None, s[1:], p[1:], op[1:], G, d[1:])
    Ho, Wo = y.shape[2:]
    y = y.reshape(N, D, G, kd, Cog, Ho, Wo)
    from ...nn.functional import pad
    full = (D - 1) * s[0] + 1
    out = None
    for k in range(kd):
        z = y[:, :, :, k].reshape(N, D, 1, Cout, Ho, Wo)
        if s[0] > 1:     # put each input depth s apart: zero-interleave along depth
            z = pad(z, (0, 0, 0, 0, 0, 0, 0, s[0] - 1))
        z = z.reshape(N, D * s[0], Cout, Ho, Wo)[:, :full]
        # This offset's slab starts at depth k*d - p of the (cropped) output.
        front = k * d[0] - p[0]
        z = pad(z, (0, 0, 0, 0, 0, 0, front, Dout - front - full))
        out = z if out is None else out + z
    out = out.permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(Cout, 1, 1, 1)
    else:
        out = out.contiguous()
    return out.squeeze(0) if unbatched else out


__all__ = ['conv3d', 'conv_transpose1d', 'conv_transpose3d']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
