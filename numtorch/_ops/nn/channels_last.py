"""Convolutions with many channels, computed channels-last: im2col in ``(H, W, n, C)`` order.

Why: a chunk of images laid out channels-last keeps each pixel's ``n * C`` values together, so
every step is a NumPy call over long contiguous runs whatever the stride: a kernel offset's
window is the slab ``buf[i::sh, j::sw]``, copied whole into the im2col matrix, and its gradient
is added back whole. In the NCHW im2col (``conv.py``) windows strided along W are copied in
runs of ``Wo`` elements, one per image, channel and row; on ResNet's 3x3/2 and 1x1/2
downsampling convolutions (64-512 channels) that made both passes 1.5-2.3x torch's time
(docs/speed.md has the figures). The GEMM is then ``cols (tiles, kh*kw*C) @ w (kh*kw*C, O)``:
one per chunk, with the long inner dimension OpenBLAS runs at its peak.

The Winograd path (``winograd.py``) uses the same layout and the copies below.
"""
from ..._backend import conv_run, namespace, workspace


def to_channels_last(x, out):
    """``out`` (H, W, n, C) = ``x`` (n, C, H, W). In two passes when x's channels lie a
    multiple of 4 KiB apart: a one-pass copy then reads the C values of a pixel from the same
    cache sets, and was 3.5x slower on ResNet's 32x32 images (docs/speed.md)."""
    if x.strides[1] % 4096:
        out[...] = x.transpose(2, 3, 0, 1)
    else:
        rows = namespace(x).ascontiguousarray(x.transpose(0, 2, 1, 3))   # (n, H, C, W)
        out[...] = rows.transpose(1, 3, 0, 2)


def from_channels_last(a, out, bias=None):
    """``out`` (n, C, H, W) = ``a`` (H, W, n, C) (+ ``bias`` (C, 1, 1)): the adjoint copy of
    ``to_channels_last``, in two passes for the same reason."""
    xp = namespace(a)
    if out.strides[1] % 4096:
        src = a.transpose(2, 3, 0, 1)
    else:
        rows = xp.ascontiguousarray(a.transpose(2, 0, 3, 1))               # (n, H, C, W)
        src = rows.transpose(0, 2, 1, 3)
    if bias is None:
        out[...] = src
    else:
        xp.add(src, bias, out=out)


def padded(x, n0, n, geo, Hb, Wb, extra=0):
    """Images ``n0 .. n0+n`` of ``x`` (N, C, H, W) zero-padded channels-last into this thread's
    workspace, ``(Hb, Wb, n, C)`` with the image at ``(geo.pt, geo.pl)``; returns it and the
    ``extra`` elements of workspace after it."""
    C = x.shape[1]
    size = Hb * Wb * n * C
    ws = workspace(x, size + extra, x.dtype)
    buf = ws[:size].reshape(Hb, Wb, n, C)
    top, left, H, W = geo.pt, geo.pl, geo.H, geo.W
    # the zero border (the workspace holds whatever the previous chunk left there)
    buf[:top] = 0
    buf[top + H:] = 0
    buf[top:top + H, :left] = 0
    buf[top:top + H, left + W:] = 0
    to_channels_last(x[n0:n0 + n], buf[top:top + H, left:left + W])
    return buf, ws[size:]


def sum_in_order(parts):
    """The sum of the chunks' partial weight gradients ``{first image: part}``, added in chunk
    order whatever thread computed each part: the same bits for any thread count. In place
    into the first part (the parts are this pass's own arrays)."""
    keys = sorted(parts)
    total = parts[keys[0]]
    for k in keys[1:]:
        total += parts[k]
    return total


def bias_grad(g):
    """A convolution's bias gradient, the channel sums of ``g`` (N, O, *spatial): each image's
    channel rows summed by one ``einsum``, then the images in order. 3x faster than
    ``g.sum((0, 2, 3))``, which NumPy reduces along strided axes: 0.07 against 0.22 ms for
    LeNet's conv1 gradient (256, 6, 28, 28), 0.25 against 0.69 ms for (64, 64, 32, 32)."""
    N, O = g.shape[:2]
    return namespace(g).einsum('nol->no', g.reshape(N, O, -1)).sum(0)


def _windows(buf, geo):
    """The ``kh * kw`` kernel offsets' windows over a padded chunk, each ``(Ho, Wo, n, C)``."""
    hi, wi = geo.sh * (geo.Ho - 1) + 1, geo.sw * (geo.Wo - 1) + 1
    return [buf[i * geo.dh:i * geo.dh + hi:geo.sh, j * geo.dw:j * geo.dw + wi:geo.sw]
            for i in range(geo.kh) for j in range(geo.kw)]


def _subsampled(a, geo):
    """A 1x1 unpadded convolution's only window: the strided pixels of ``a`` (n, C, H, W)."""
    return a[:, :, :geo.sh * (geo.Ho - 1) + 1:geo.sh, :geo.sw * (geo.Wo - 1) + 1:geo.sw]


def _columns(x, n0, n, geo):
    """Images ``n0 .. n0+n``'s im2col matrix ``(Ho, Wo, n, kh*kw, C)`` in this thread's
    workspace: one slab copy per kernel offset from the padded chunk. A 1x1 unpadded
    convolution (ResNet's 1x1/2 downsampling) copies its strided pixels straight from ``x``:
    the padded copy of the whole image would move 4x the data it reads."""
    C, kk = x.shape[1], geo.kh * geo.kw
    size = geo.Ho * geo.Wo * n * kk * C
    if geo.pointwise:
        cols = workspace(x, size, x.dtype).reshape(geo.Ho, geo.Wo, n, 1, C)
        to_channels_last(_subsampled(x[n0:n0 + n], geo), cols[:, :, :, 0])
        return cols
    buf, rest = padded(x, n0, n, geo, geo.Hp, geo.Wp, size)
    cols = rest.reshape(geo.Ho, geo.Wo, n, kk, C)
    for k, win in enumerate(_windows(buf, geo)):
        cols[:, :, :, k] = win
    return cols


def _image_bytes(geo, C, O, itemsize):
    """One image's share of a chunk's scratch: its im2col rows and its products."""
    return geo.Ho * geo.Wo * (geo.kh * geo.kw * C + O) * itemsize


def forward(node, x, w, b, geo, arrays):
    """``conv2d`` of ``x`` (N, C, H, W) by ``w`` (O, C, kh, kw), chunk by chunk: pad
    channels-last, im2col (one slab copy per kernel offset), one GEMM, copy out NCHW."""
    N, C = x.shape[:2]
    O, kk = w.shape[0], geo.kh * geo.kw
    xp_ = node.xp
    K = kk * C
    wm = xp_.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(K, O)   # (kh, kw, C) x O
    y = xp_.empty((N, O, geo.Ho, geo.Wo), x.dtype)
    bias = b[:, None, None] if b is not None else None

    def chunk(n0, n):
        yc = _columns(x, n0, n, geo).reshape(-1, K) @ wm
        from_channels_last(yc.reshape(geo.Ho, geo.Wo, n, O), y[n0:n0 + n], bias)
    conv_run(x, chunk, N, _image_bytes(geo, C, O, x.itemsize))
    node.saved = (None, w, arrays[0], arrays[1], wm)
    node.meta = geo, 1, N, C, b is not None   # (the im2col path's layout: groups = 1)
    return y


def backward(node, g):
    """The adjoint of ``forward``, chunk by chunk: the output gradient channels-last ``gy``,
    the weight's share ``cols^T gy`` (cols rebuilt from the input) and the input's
    ``gy wm^T``, whose windows add into a per-chunk padded gradient copied out cropped."""
    _, w, x, _w, wm = node.saved
    geo, _, N, C, has_b = node.meta
    xp_, nf = node.xp, node.edges
    O, kk = w.shape[0], geo.kh * geo.kw
    K = kk * C
    xshape, wshape = node.shapes
    x = x.reshape(N, C, geo.H, geo.W)
    g = g.reshape(N, O, geo.Ho, geo.Wo)
    need_x, need_w = nf[0] is not None, nf[1] is not None
    gx = xp_.empty((N, C, geo.H, geo.W), g.dtype) if need_x else None
    parts = {}   # chunk -> its share of the weight gradient (O, K), summed in chunk order

    def chunk(n0, n):
        gy = xp_.empty((geo.Ho, geo.Wo, n, O), g.dtype)
        to_channels_last(g[n0:n0 + n], gy)
        gy = gy.reshape(-1, O)
        if need_w:
            parts[n0] = gy.T @ _columns(x, n0, n, geo).reshape(-1, K)
        if need_x:
            gcols = (gy @ wm.T).reshape(geo.Ho, geo.Wo, n, kk, C)
            if geo.pointwise:   # the strided pixels get the gradient, the others zero
                gx[n0:n0 + n] = 0
                from_channels_last(gcols[:, :, :, 0], _subsampled(gx[n0:n0 + n], geo))
                return
            gbuf = xp_.zeros((geo.Hp, geo.Wp, n, C), g.dtype)
            for k, win in enumerate(_windows(gbuf, geo)):
                win += gcols[:, :, :, k]
            from_channels_last(gbuf[geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W],
                               gx[n0:n0 + n])
    conv_run(g, chunk, N, _image_bytes(geo, C, O, g.itemsize))
    gw = None
    if need_w:
        gw = sum_in_order(parts).reshape(O, geo.kh, geo.kw, C)
        gw = xp_.ascontiguousarray(gw.transpose(0, 3, 1, 2)).reshape(wshape)
    gx = gx.reshape(xshape) if need_x else None
    gb = bias_grad(g) if has_b and nf[2] is not None else None
    return (gx, gw, gb) if has_b else (gx, gw)
