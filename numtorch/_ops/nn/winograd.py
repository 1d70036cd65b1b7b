"""Winograd's F(2x2, 3x3): a 3x3 stride-1 convolution with 2.25x fewer multiplications.

Why: ResNet/VGG-style networks are mostly 3x3 stride-1 convolutions with many channels. As
im2col + GEMM they cost ``9*C*O`` multiply-adds per output pixel, and OpenBLAS already runs that
GEMM at its peak, so the only way to be faster is to do less arithmetic. Winograd's minimal
filtering algorithm (Lavin & Gray, 2015) computes each 2x2 block of outputs from a 4x4 block of
input ("tile") with 16 products per channel pair instead of 36:

    Y = A^T [ (G w G^T) * (B^T d B) ] A        (* elementwise over the 4x4 "Winograd domain")

``d`` is a 4x4 input tile, ``w`` the 3x3 kernel, and ``B^T``, ``G``, ``A^T`` small constant
matrices whose entries are 0, +-1 and +-1/2 (exact in binary floating point, so the transforms
add only the rounding of their additions; the F(4x4, 3x3) variant's larger constants would
amplify it). Summed over the input
channels, the elementwise product becomes 16 independent GEMMs ``V[k] (T, C) @ U[k] (C, O)``
over all ``T`` tiles, one per Winograd-domain position ``k``.

The backward pass is the adjoint of every step, in reverse:
    dM = A dY A^T                    (the output transform's adjoint)
    dU = V^T dM,  dV = dM U^T        (the 16 GEMMs' two gradients)
    dw = G^T dU G,  dd = B dV B^T    (the weight and input transforms' adjoints; input tiles
                                      overlap by 2, so their gradients add)

Layout: a chunk of images is padded into a channels-last ``(Hb, Wb, n, C)`` buffer (``Tiling``
says why), with ``Hb = 2*Ht + 2`` rows so that ``Ht = ceil(Ho/2)`` tiles of stride 2 cover every
output row (odd output sizes compute one extra row/column, which is cropped; its zero padding
keeps it harmless). Each transform is separable: four strided "taps" along H, then four along W,
each one NumPy ufunc writing straight into its Winograd-domain slot. Everything here is plain
``xp`` array code, so it runs on every device.
"""
from ..._backend import conv_run, namespace, xp
from .channels_last import bias_grad, from_channels_last, padded, sum_in_order, to_channels_last


# -- the separable 1-D transforms: each maps the 4 (or 2, or 3) taps along one axis to the 4 (or
# 2, or 3) outputs; ``out`` (a sequence of arrays) receives them, else fresh arrays are returned.

def _taps(a, axis, n, k=4):
    """The ``k`` stride-2 windows of ``a`` along ``axis``: ``a[..., j : j + 2n : 2, ...]``."""
    idx = [slice(None)] * a.ndim
    out = []
    for j in range(k):
        idx[axis] = slice(j, j + 2 * n, 2)
        out.append(a[tuple(idx)])
    return out


def input_transform(d0, d1, d2, d3, out):
    """``B^T d``: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3)."""
    xp = namespace(d0)
    xp.subtract(d0, d2, out=out[0])
    xp.add(d1, d2, out=out[1])
    xp.subtract(d2, d1, out=out[2])
    xp.subtract(d1, d3, out=out[3])


def input_transform_adjoint(t0, t1, t2, t3, taps):
    """``B t`` added into the 4 overlapping ``taps`` of the input gradient:
    d0 += t0, d1 += t1 - t2 + t3, d2 += t1 + t2 - t0, d3 -= t3."""
    taps[0] += t0
    s = t1 - t2
    s += t3
    taps[1] += s
    s = t1 + t2
    s -= t0
    taps[2] += s
    taps[3] -= t3


def output_transform(m0, m1, m2, m3, out):
    """``A^T m``: (m0 + m1 + m2, m1 - m2 - m3)."""
    xp = namespace(m0)
    xp.add(m0, m1, out=out[0])
    out[0] += m2
    xp.subtract(m1, m2, out=out[1])
    out[1] -= m3


def output_transform_adjoint(y0, y1, out):
    """``A y``: (y0, y0 + y1, y0 - y1, -y1)."""
    xp = namespace(y0)
    out[0][...] = y0
    xp.add(y0, y1, out=out[1])
    xp.subtract(y0, y1, out=out[2])
    xp.negative(y1, out=out[3])


# G (4x3) for the weight: rows w0, (w0+w1+w2)/2, (w0-w1+w2)/2, w2; both axes at once as one
# (16, 9) matrix kron(G, G), so the weight transform is one small GEMM.
_G = ((1., 0., 0.), (.5, .5, .5), (.5, -.5, .5), (0., 0., 1.))


def _kron_g(xp, dtype):
    g = xp.asarray(_G, dtype=dtype)
    return (g[:, None, :, None] * g[None, :, None, :]).reshape(16, 9)


def weight_transform(w):
    """``U = G w G^T`` for every (out, in) channel pair: ``w`` (O, C, 3, 3) -> (16, O, C). One
    GEMM that reads ``w`` as the transposed (9, O*C) matrix it is: no copy of the weight."""
    O, C = w.shape[:2]
    return (_kron_g(namespace(w), w.dtype) @ w.reshape(O * C, 9).T).reshape(16, O, C)


def weight_transform_adjoint(du_t):
    """``dw = G^T dU G``: ``du_t`` (16, O, C) -> (O, C, 3, 3), C-contiguous (one GEMM that
    writes the weight's own layout, so AccumulateGrad can keep it without a copy)."""
    O, C = du_t.shape[1:]
    return (du_t.reshape(16, O * C).T @ _kron_g(namespace(du_t), du_t.dtype)).reshape(O, C, 3, 3)


class Tiling:
    """Where the tiles of a 3x3 stride-1 convolution lie, and the transforms over all of them.

    ``Ht x Wt`` tiles of 4x4 input at stride 2 cover a padded chunk of images laid out
    channels-last, ``(Hb, Wb, n, C)``, and produce ``2Ht x 2Wt`` outputs of which the first
    ``Ho x Wo`` are the convolution's. Channels-last because every transform step is then one
    ufunc over whole ``(n, C)`` rows: with the image axes innermost, NumPy's inner loops ran
    over ``Wt`` elements only (2 for ResNet's 4x4 images), which made the transforms of
    layer2-4 5-10x slower than this layout (docs/speed.md). It also makes each Winograd-domain
    slot ``V[k]`` the ``(tiles, C)`` matrix its GEMM reads.
    """
    __slots__ = ('Ho', 'Wo', 'Ht', 'Wt', 'Hb', 'Wb')

    def __init__(self, Ho, Wo):
        self.Ho, self.Wo = Ho, Wo
        self.Ht, self.Wt = -(-Ho // 2), -(-Wo // 2)
        self.Hb, self.Wb = 2 * self.Ht + 2, 2 * self.Wt + 2

    def image_bytes(self, C, O, itemsize):
        """One image's share of a chunk's scratch: its tiles ``V`` and products ``M``. Chunks
        of ~4 MB of it (``CPUBackend.CONV_CHUNK_BYTES``, 2 MB of ``V``) were the fastest: 64
        channels at 32x32, forward + backward, 2 threads, 93.8 ms against 99.8 with 4 MB of
        ``V`` and 116.8 with 1 MB."""
        return 16 * self.Ht * self.Wt * (C + O) * itemsize

    def tiles(self, buf, V):
        """``V = B^T d B`` for every tile of ``buf`` (Hb, Wb, n, C): written into ``V``
        (4, 4, Ht, Wt, n, C)."""
        xp = namespace(buf)
        rows = xp.empty((4, self.Ht) + buf.shape[1:], buf.dtype)
        input_transform(*_taps(buf, 0, self.Ht), out=rows)
        for k in range(4):
            input_transform(*_taps(rows[k], 1, self.Wt), out=V[k])

    def tiles_adjoint(self, dV, gbuf):
        """Add ``B dV B^T`` of every tile into ``gbuf`` (Hb, Wb, n, C), the padded input's
        gradient: the adjoint of ``tiles``."""
        xp = namespace(dV)
        rows = xp.zeros((4, self.Ht) + gbuf.shape[1:], dV.dtype)
        for k in range(4):
            input_transform_adjoint(*dV[k], _taps(rows[k], 1, self.Wt))
        input_transform_adjoint(*rows, _taps(gbuf, 0, self.Ht))

    def untile(self, M, y):
        """``A^T M A`` of every tile: ``M`` (4, 4, Ht, Wt, n, O) -> ``y`` (2Ht, 2Wt, n, O)."""
        xp = namespace(M)
        rows = xp.empty((2,) + M.shape[1:], M.dtype)
        output_transform(*M, out=rows)
        for i in range(2):
            output_transform(*rows[i], out=_taps(y[i::2], 1, self.Wt, 2))

    def untile_adjoint(self, gy, dM):
        """``dM = A gy A^T``: ``gy`` (2Ht, 2Wt, n, O) -> ``dM`` (4, 4, Ht, Wt, n, O)."""
        xp = namespace(gy)
        rows = xp.empty((4, self.Ht) + gy.shape[1:], gy.dtype)
        output_transform_adjoint(*_taps(gy, 0, self.Ht, 2), out=rows)
        for k in range(4):
            output_transform_adjoint(*_taps(rows[k], 1, self.Wt, 2), out=dM[k])


def forward(node, x, w, b, geo, arrays):
    """``conv2d`` of ``x`` (N, C, H, W) by the 3x3 ``w`` (O, C, 3, 3), stride 1, in chunks of
    images like the im2col path: pad channels-last, transform the tiles, 16 GEMMs, transform
    back. Nothing but the input itself is kept for backward, which rebuilds each chunk's tiles
    from it (as the im2col path rebuilds its columns)."""
    N, C = x.shape[:2]
    O = w.shape[0]
    t, xp_ = Tiling(geo.Ho, geo.Wo), node.xp
    U = weight_transform(w)                               # (16, O, C)
    Ut = U.transpose(0, 2, 1)   # (16, C, O): a transposed view, which BLAS reads as is
    y = xp_.empty((N, O, geo.Ho, geo.Wo), x.dtype)
    bias = b[:, None, None] if b is not None else None

    def chunk(n0, n):
        V = _tiles(t, x, n0, n, geo)
        M = xp.matmul(V.reshape(16, -1, C), Ut).reshape(4, 4, t.Ht, t.Wt, n, O)
        yt = xp_.empty((2 * t.Ht, 2 * t.Wt, n, O), x.dtype)
        t.untile(M, yt)
        from_channels_last(yt[:geo.Ho, :geo.Wo], y[n0:n0 + n], bias)
    conv_run(x, chunk, N, t.image_bytes(C, O, x.itemsize))
    node.saved = (None, w, arrays[0], arrays[1], U)
    node.meta = geo, 1, N, C, b is not None   # (the im2col path's layout: groups = 1)
    return y


def _tiles(t, x, n0, n, geo):
    """Images ``n0 .. n0+n`` of ``x`` padded channels-last and transformed: their
    Winograd-domain tiles ``V`` (4, 4, Ht, Wt, n, C), in this thread's workspace."""
    nv = 16 * t.Ht * t.Wt * n * x.shape[1]
    buf, rest = padded(x, n0, n, geo, t.Hb, t.Wb, nv)
    V = rest.reshape((4, 4, t.Ht, t.Wt) + buf.shape[2:])
    t.tiles(buf, V)
    return V


def backward(node, g):
    """The adjoint of ``forward``, chunk by chunk: the output gradient's tiles (``dM``), then
    the weight's share ``V^T dM`` (V rebuilt from the input) and the input's
    ``B (dM U^T) B^T``, added into a per-chunk padded gradient and copied out cropped."""
    _, w, x, _w, U = node.saved
    geo, _, N, C, has_b = node.meta
    t, xp_, nf = Tiling(geo.Ho, geo.Wo), node.xp, node.edges
    O = w.shape[0]
    xshape, wshape = node.shapes
    x = x.reshape(N, C, geo.H, geo.W)
    g = g.reshape(N, O, geo.Ho, geo.Wo)
    need_x, need_w = nf[0] is not None, nf[1] is not None
    gx = xp_.empty((N, C, geo.H, geo.W), g.dtype) if need_x else None
    parts = {}   # chunk -> its share of dU, summed in chunk order below

    def chunk(n0, n):
        gy = xp_.empty((2 * t.Ht, 2 * t.Wt, n, O), g.dtype)
        if 2 * t.Ht != geo.Ho or 2 * t.Wt != geo.Wo:
            gy[geo.Ho:] = 0   # the extra row/column computed in forward: zero gradient
            gy[:, geo.Wo:] = 0
        to_channels_last(g[n0:n0 + n], gy[:geo.Ho, :geo.Wo])
        dM = xp_.empty((4, 4, t.Ht, t.Wt, n, O), g.dtype)
        t.untile_adjoint(gy, dM)
        dM = dM.reshape(16, -1, O)
        if need_w:
            V = _tiles(t, x, n0, n, geo).reshape(16, -1, C)
            parts[n0] = xp.matmul(dM.transpose(0, 2, 1), V)           # (16, O, C)
        if need_x:
            dV = xp.matmul(dM, U).reshape(4, 4, t.Ht, t.Wt, n, C)
            gb = xp_.zeros((t.Hb, t.Wb, n, C), g.dtype)
            t.tiles_adjoint(dV, gb)
            from_channels_last(gb[geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W], gx[n0:n0 + n])
    conv_run(g, chunk, N, t.image_bytes(C, O, g.itemsize))
    gw = weight_transform_adjoint(sum_in_order(parts)).reshape(wshape) if need_w else None
    gx = gx.reshape(xshape) if need_x else None
    gb = bias_grad(g) if has_b and nf[2] is not None else None
    return (gx, gw, gb) if has_b else (gx, gw)
