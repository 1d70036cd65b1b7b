"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose2d`` (functional; nn.Conv* wraps them).

``Convolution`` computes conv2d (conv1d is conv2d with H = 1) by one of three paths, chosen in
one place (``_path``) by shape alone: Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with
many channels (``winograd.py``), a channels-last im2col for strided ones with many channels
(``channels_last.py``), and the NCHW im2col of ``im2col.py`` for everything else (LeNet's few
channels, 5x5 kernels, groups, half precision). Each walks the batch in chunks of images
(``_backend.conv_run``: cache-sized and threaded on the CPU, one chunk on a device), keeps only
the input for backward and computes only the gradients that are wanted (``edges[i] is None``:
the first layer of a network never pays for its input gradient). docs/speed.md has the
measurements behind each choice.
"""
from ..._backend import xp, conv_scope, conv_run, workspace
from ..._dtype import tensor_type_name
from ...autograd.graph import Node, saved_grad_arrays
from ...autograd._grad_array import GradArray
from .._apply import nary
from . import channels_last, winograd
from .channels_last import bias_grad, sum_in_order
from .im2col import Geom as _Geom, gmm as _gmm, mm as _mm, mm_t as _mm_t, use_mc as _use_mc


def _gemm_scope(method):
    """Run a conv pass inside its device's GEMM setting (``_backend.conv_scope``: one BLAS
    thread on the CPU, where OpenBLAS splits these few-row, very long products badly)."""
    def run(self, *args):
        with conv_scope(args[0][0] if isinstance(args[0], (tuple, list)) else args[0]):
            return method(self, *args)
    run.__name__, run.__doc__ = method.__name__, method.__doc__
    return run


def _tuple(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f'expected {name} to be a single integer value or a list of {n} '
                               f'values to match the convolution dimensions, but got '
                               f'{name}={list(v)}')
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _shape_str(s):
    return '[' + ', '.join(map(str, s)) + ']'


def _type_name(a):
    return tensor_type_name(a.dtype)


def _ctype(a):
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
            'int64': 'long int'}.get(a.dtype.name, a.dtype.name)


class Convolution(Node):
    """``conv2d`` on arrays (conv1d arrives with H = 1 added here).

    Forward and backward walk the batch in independent chunks of images, ``chunk(n0, n)``;
    how many and on which threads is the device's choice (``_backend.conv_run``). On the CPU a
    chunk's im2col matrix stays in cache: it is written, multiplied and dropped without a trip
    to main memory, and backward rebuilds it from the saved padded input (the input itself
    for the batch-innermost layout) instead of keeping a copy 25x the input's size (LeNet's
    conv1) alive between the passes. This roughly halves the
    time of both passes; the chunks also spread over the cores (``_threads.run_chunks``).
    """
    _name = 'ConvolutionBackward0'

    def forward(self, arrays, stride, pads, dilation, groups, nd, unbatched):
        x, w = arrays[0], arrays[1]
        b = arrays[2] if len(arrays) > 2 else None
        self.shapes = x.shape, w.shape
        if unbatched:
            x = x[None]
        if nd == 1:
            x, w = x[:, :, None], w[:, :, None]
        N, C, H, W = x.shape
        O = w.shape[0]
        geo = _Geom(H, W, w.shape[2], w.shape[3], stride, pads, dilation)
        self.path = _path(geo, groups, C, O, x.dtype)
        if self.path is not None:
            y = self.path.forward(self, x, w, b, geo, arrays)
            if nd == 1:
                y = y[:, :, 0]
            return y[0] if unbatched else y
        if geo.pointwise and geo.sh == geo.sw == 1 and groups == 1:
            return self._pointwise(arrays, x, w, b, geo, nd, unbatched)
        # The padded input, filled chunk by chunk, which backward's im2col reads. The
        # batch-innermost layout copies each chunk straight from x, forward and backward, so
        # it keeps x itself (saved anyway, as torch does) and needs no buffer.
        inner_only = geo.batch_inner and groups == 1
        buf = None if inner_only else geo.zeros(self.xp, C, N, x.dtype)
        img = None if inner_only else geo.image(buf, N)
        w2 = w.reshape(O, -1)
        rows, L = w2.shape[1] * groups, geo.Ho * geo.Wc
        y = self.xp.empty((N, O, geo.Ho, geo.Wo), xp.result_type(x, w))
        bias = b[:, None] if b is not None else None
        # windows strided along W are copied in runs of Wo whatever their order (no wide rows)
        per_image = geo.sw > 1 and groups == 1

        def chunk(n0, n):   # images n0 .. n0+n: independent of every other chunk
            if img is not None:
                img[:, :, n0:n0 + n] = x[n0:n0 + n].transpose(1, 2, 0, 3)
            M = n * L
            if per_image:
                ws = workspace(x, rows * M, x.dtype)
                # strided windows: the columns image by image, one GEMM per image straight
                # into y (ResNet's 1x1/2 downsample, 64x64x32x32 -> 128, forward: 8.5 ms, where
                # the (Ho, n, Wc)-ordered product and its transposing copy took 11.0 ms)
                cols = geo.im2col(buf, N, n0, n, ws[:rows * M], per_image=True)
                yn = y[n0:n0 + n].reshape(n, O, L)
                xp.matmul(w2, cols.reshape(rows, n, L).transpose(1, 0, 2), out=yn)
                if bias is not None:
                    yn += bias
                return
            if geo.batch_inner:   # no garbage columns: (Ho, Wo, n) columns
                M = n * geo.Ho * geo.Wo
                first, prod = _pieces(x, (C * geo.Hp * geo.Wp * n + rows * M, O * M))
                cols = geo.im2col_inner(x, n0, n, first)
            else:
                first, prod = _pieces(x, (rows * M, O * M))
                cols = geo.im2col(buf, N, n0, n, first)
            yc = _mm(w2, cols, prod.reshape(O, M)) if groups == 1 else _gmm(w2, cols, groups)
            # the bias added over the contiguous product, then a plain transposing copy: 0.06
            # ms for LeNet's conv1 chunk, against 0.10 ms for one add that writes y through the
            # transposed view (the same sums either way)
            if bias is not None:
                yc += bias
            if geo.batch_inner:
                y[n0:n0 + n] = yc.reshape(O, geo.Ho, geo.Wo, n).transpose(3, 0, 1, 2)
            else:
                y[n0:n0 + n] = yc.reshape(O, geo.Ho, n, geo.Wc)[..., :geo.Wo].transpose(2, 0, 1, 3)
        conv_run(x, chunk, N, rows * L * x.itemsize)
        # the input itself too (a reference, no copy): create_graph's backward_graphed
        # differentiates through it
        self.saved = (x if inner_only else buf, w, arrays[0], arrays[1])
        self.meta = geo, groups, N, C, b is not None
        if nd == 1:
            y = y[:, :, 0]
        return y[0] if unbatched else y

    def _pointwise(self, arrays, x, w, b, geo, nd, unbatched):
        """A 1x1 convolution with stride 1 and no padding: one (O, C) @ (C, H*W) product per
        image, no buffer and no im2col (NiN's and bottlenecks' 1x1 convolutions; 64x256x16x16
        -> 128 channels, one thread: forward 18.0 -> 10.7 ms, forward+backward 53.7 -> 42.4 ms
        against im2col in the row-ordered layout)."""
        N, C, H, W = x.shape
        O = w.shape[0]
        w2 = w.reshape(O, C)
        x3 = x.reshape(N, C, H * W)
        y = self.xp.empty((N, O, H, W), xp.result_type(x, w))
        y3 = y.reshape(N, O, H * W)

        def chunk(n0, n):
            yn = xp.matmul(w2, x3[n0:n0 + n], out=y3[n0:n0 + n])
            if b is not None:
                yn += b[:, None]
        conv_run(x, chunk, N, C * H * W * x.itemsize)
        self.saved = (x3, w, arrays[0], arrays[1])
        self.meta = geo, 1, N, C, b is not None
        if nd == 1:
            y = y[:, :, 0]
        return y[0] if unbatched else y

    def _pointwise_backward(self, g, x3, w, need_x, need_w):
        """``_pointwise``'s input and weight gradients, per chunk of images (the weight's
        summed per chunk, then in chunk order: the same bits for any thread count)."""
        N, C, L = x3.shape
        O = w.shape[0]
        g3 = g.reshape(N, O, L)
        wt = w.reshape(O, C).T
        gx = self.xp.empty((N, C, L), g.dtype) if need_x else None
        parts = {}

        def chunk(n0, n):
            if need_w:
                parts[n0] = xp.matmul(x3[n0:n0 + n], g3[n0:n0 + n].transpose(0, 2, 1)).sum(0)
            if need_x:
                xp.matmul(wt, g3[n0:n0 + n], out=gx[n0:n0 + n])
        conv_run(g, chunk, N, C * L * g.itemsize)
        return gx, (sum_in_order(parts).T if need_w else None)

    def backward(self, g):
        if self.path is not None:
            return self.path.backward(self, g)
        buf, w = self.saved[:2]
        geo, G, N, C, has_b = self.meta
        nf = self.edges
        O = w.shape[0]
        xshape, wshape = self.shapes
        g = g.reshape(N, O, geo.Ho, geo.Wo)
        need_x, need_w = nf[0] is not None, nf[1] is not None
        if buf.ndim == 3:   # _pointwise's: buf is the input, (N, C, H*W)
            gx, gw = self._pointwise_backward(g, buf, w, need_x, need_w)
            gx = gx.reshape(xshape) if need_x else None
            gw = gw.reshape(wshape) if need_w else None
            gb = bias_grad(g) if has_b and nf[2] is not None else None
            return (gx, gw, gb) if has_b else (gx, gw)
        gx = self.xp.empty((N, C, geo.H, geo.W), g.dtype) if need_x else None
        kh, kw = geo.kh, geo.kw
        rows, L = C * kh * kw, geo.Ho * geo.Wc
        # The input gradient: with wide windows (stride 1 along W) the kernel columns are summed
        # inside the GEMM (Geom.shifted), else by col2im. The weight maps output grads to them:
        # (C*kh, O*kw) or (C*kh*kw, O) per group.
        wide = geo.sw == 1
        if need_x:
            wt = w.reshape(G, O // G, C // G, kh, kw)
            wt = (wt.transpose(0, 2, 3, 1, 4).reshape(C * kh, -1) if wide else
                  wt.reshape(G, O // G, -1).transpose(0, 2, 1).reshape(-1, O // G))
        m = geo.over if wide else 0   # zeros before the output gradient, for the shifts
        parts = {}   # chunk -> its share of the weight gradient, summed in chunk order below
        mc = need_w and G == 1 and _use_mc(rows, O)
        inner = need_w and G == 1 and geo.batch_inner   # the weight gradient's columns

        def chunk(n0, n):
            M = n * L
            first, gm, gt, hm = _pieces(g, (
                max(rows * M, O * kw * M,              # im2col's columns, then the shifts
                    C * geo.Hp * geo.Wp * n + rows * M if inner else 0),
                O * (m + M),                           # the output gradient after m zeros
                O * M if mc or inner else 0,           # ... and transposed (use_mc)
                C * kh * M if need_x and wide else 0))  # the kernel rows' input gradient
            gm = gm.reshape(O, m + M)
            gm[:, :m] = 0
            gc = geo.to_cn(g[n0:n0 + n], gm[:, m:])                  # (O, Ho*n*Wc)
            if need_w:
                if inner:   # the forward's batch-innermost columns: no garbage columns
                    parts[n0] = _mm_t(geo.im2col_inner(buf, n0, n, first),   # buf: x
                                      geo.grad_inner(g[n0:n0 + n], gt, mc))[None]
                elif G == 1:
                    cols = geo.im2col(buf, N, n0, n, first[:rows * M])
                    parts[n0] = _mm_t(cols, geo.to_mc(g[n0:n0 + n], gt) if mc else gc.T)[None]
                else:
                    cols = geo.im2col(buf, N, n0, n, first[:rows * M])
                    parts[n0] = xp.matmul(cols.reshape(G, rows // G, -1),
                                          gc.reshape(G, O // G, -1).transpose(0, 2, 1))
            if need_x:
                # into this chunk's own zeroed buffer: the garbage columns' (zero) windows reach
                # into the next images, which another thread may be adding to
                pad = geo.zeros(self.xp, C, n, g.dtype)
                if wide:
                    s = geo.shifted(gm, first[:O * kw * M])
                    h = _mm(wt, s, hm.reshape(C * kh, M)) if G == 1 else _gmm(wt, s, G)
                    geo.rows_add(h, pad, n)
                else:
                    gcols = (_mm(wt, gc, first[:rows * M].reshape(rows, M)) if G == 1
                             else _gmm(wt, gc, G))
                    geo.col2im_add(gcols, pad, n)
                gx[n0:n0 + n] = geo.image(pad, n).transpose(2, 0, 1, 3)
        conv_run(g, chunk, N, rows * L * g.itemsize)
        gx = gx.reshape(xshape) if need_x else None
        gw = None
        if need_w:
            gw = sum_in_order(parts).transpose(0, 2, 1).reshape(wshape)
        gb = bias_grad(g) if has_b and nf[2] is not None else None
        return (gx, gw, gb) if has_b else (gx, gw)

    def backward_graphed(self, g):
        """create_graph: the same three gradients written with differentiable ops (as torch's
        convolution double backward): the input's is the transposed convolution of ``g`` with
        the weight, the weight's a product of ``g`` with the unfolded input, the bias's a sum."""
        geo, G, N, C, has_b = self.meta
        x, w = _inputs(self, 2, 3)
        xshape, wshape = self.shapes
        O, nf = wshape[0], self.edges
        g = g.reshape(N, O, geo.Ho, geo.Wo)
        gx = gw = gb = None
        if nf[0] is not None:
            w4 = w.reshape(O, wshape[1], geo.kh, geo.kw)
            # output_padding: the rows/columns of the padded input no window reached
            op = (geo.Hp - (geo.Ho - 1) * geo.sh - geo.dh * (geo.kh - 1) - 1,
                  geo.Wp - (geo.Wo - 1) * geo.sw - geo.dw * (geo.kw - 1) - 1)
            y = conv_transpose2d(g, w4, None, (geo.sh, geo.sw), 0, op, G, (geo.dh, geo.dw))
            gx = y[:, :, geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W].reshape(xshape)
        if nf[1] is not None:
            pads = (geo.pl, geo.Wp - geo.W - geo.pl, geo.pt, geo.Hp - geo.H - geo.pt)
            gw = _weight_grad(x.reshape(N, C, geo.H, geo.W), g, G, geo, pads).reshape(wshape)
        if has_b and nf[2] is not None:
            gb = g.sum((0, 2, 3))
        return (gx, gw, gb) if has_b else (gx, gw)


#: Convolutions with at least this many input and output channels take one of the two
#: channels-last paths below. Under it the layout's rows (n * C values) are short and the
#: GEMMs thin (Winograd's inner dimension is C). Forward + backward, one thread, Winograd /
#: im2col: 0.96 (32 channels, 32x32 images), 0.80 (32, 8x8), 1.00-1.13 (16 channels), 1.25
#: (8), 2.56 (8 -> 64 channels).
WIDE_CHANNELS = 32


def _path(geo, groups, C, O, dtype):
    """The one place that chooses how a convolution is computed: ``winograd`` (3x3, stride 1:
    2.25x fewer multiplications), ``channels_last`` (strided windows), each with at least
    ``WIDE_CHANNELS`` channels in and out, one group, float32/64; else None: the NCHW im2col
    of this file (LeNet's few channels, 5x5 kernels, groups, half precision, ...)."""
    if groups != 1 or min(C, O) < WIDE_CHANNELS or dtype.char not in 'fd':
        return None
    if geo.kh == geo.kw == 3 and geo.sh == geo.sw == 1 and geo.dh == geo.dw == 1:
        return winograd
    if geo.sh > 1 or geo.sw > 1:
        return channels_last
    return None


def _pieces(arr, sizes):
    """Consecutive pieces of ``sizes`` elements of this thread's workspace for ``arr``."""
    ws = workspace(arr, sum(sizes), arr.dtype)
    out, at = [], 0
    for size in sizes:
        out.append(ws[at:at + size])
        at += size
    return out


def _inputs(node, *positions):
    """The input tensors whose arrays ``node.saved`` holds at ``positions`` (create_graph: the
    derivative's graph starts from them)."""
    saved = saved_grad_arrays(node)
    return [saved[i].t if saved[i].__class__ is GradArray else None for i in positions]


def _weight_grad(x, g, G, geo, pads):
    """``d<g, conv2d(x, w)>/dw`` (O, C/G, kh, kw) with differentiable ops: the unfolded input
    (its windows as columns) times ``g``, summed over the batch. ``pads`` as F.pad's."""
    from ...nn.functional import pad
    from .patches import unfold
    N, C = x.shape[:2]
    O, Ho, Wo = g.shape[1:]
    if any(pads):
        x = pad(x, pads)
    # the part of the padded input the windows reach
    x = x[:, :, :(Ho - 1) * geo.sh + geo.dh * (geo.kh - 1) + 1,
          :(Wo - 1) * geo.sw + geo.dw * (geo.kw - 1) + 1]
    cols = unfold(x, (geo.kh, geo.kw), (geo.dh, geo.dw), 0, (geo.sh, geo.sw))
    L = Ho * Wo
    gw = g.reshape(N, G, O // G, L) @ cols.reshape(N, G, -1, L).transpose(-1, -2)
    return gw.sum(0).reshape(O, C // G, geo.kh, geo.kw)


class ConvTranspose(Node):
    """``conv_transpose2d``: the adjoint of conv2d w.r.t. its input (col2im of ``W^T x``)."""
    _name = 'ConvolutionBackward0'

    @_gemm_scope
    def forward(self, arrays, stride, padding, output_padding, dilation, groups):
        x, w = arrays[0], arrays[1]
        b = arrays[2] if len(arrays) > 2 else None
        N, Cin, H, W = x.shape
        _, Cog, kh, kw = w.shape
        Cout = Cog * groups
        (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
        Hout = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
        Wout = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
        if Hout <= 0 or Wout <= 0:
            raise RuntimeError(f'Given input size per channel: ({H} x {W}). Calculated output '
                               f'size per channel: ({Hout} x {Wout}). Output size is too small')
        # The conv whose input-gradient this is maps (N, Cout, Hout, Wout) -> (N, Cin, H, W).
        geo = _Geom(Hout, Wout, kh, kw, stride, (ph, ph, pw, pw), dilation, Ho=H, Wo=W)
        x2 = geo.to_cn(x)                                         # (Cin, H*N*Wc)
        wt = w.reshape(groups, Cin // groups, -1).transpose(0, 2, 1).reshape(-1, Cin // groups)
        y = geo.col2im(_gmm(wt, x2, groups), Cout, N)
        if b is not None:
            y += b[:, None, None]
        self.saved = (x2, w, x)     # x for create_graph's backward_graphed (a reference)
        self.meta = geo, groups, N, Cin, b is not None
        return y

    @_gemm_scope
    def backward(self, g):
        x2, w = self.saved[:2]
        geo, G, N, Cin, has_b = self.meta
        nf = self.edges
        cols = geo.im2col(geo.pad(g), N)                         # (Cout*kk, H*N*Wc)
        gx = gw = gb = None
        if nf[0] is not None:
            gx = geo.from_cn(_gmm(w.reshape(Cin, -1), cols, G), Cin, N)
        if nf[1] is not None:
            if G == 1:
                gw = (cols @ x2.T).T.reshape(w.shape)
            else:
                c3 = cols.reshape(G, cols.shape[0] // G, -1)
                x3 = x2.reshape(G, Cin // G, -1)
                gw = xp.matmul(c3, x3.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(w.shape)
        if has_b and nf[2] is not None:
            gb = bias_grad(g)
        return (gx, gw, gb) if has_b else (gx, gw)

    def backward_graphed(self, g):
        """create_graph: the gradients with differentiable ops. This op is conv2d's input
        gradient, so its own input gradient is that conv2d of ``g`` and its weight gradient is
        conv2d's weight gradient with ``g`` as the input and ``x`` as the output gradient."""
        geo, G, N, Cin, has_b = self.meta
        x, w = _inputs(self, 2, 1)
        nf = self.edges
        gx = gw = gb = None
        pads = (geo.pl, geo.pl, geo.pt, geo.pt)
        if nf[0] is not None:
            y = conv2d(g, w, None, (geo.sh, geo.sw), (geo.pt, geo.pl), (geo.dh, geo.dw), G)
            gx = y[:, :, :geo.Ho, :geo.Wo]
        if nf[1] is not None:
            gw = _weight_grad(g, x, G, geo, pads)
        if has_b and nf[2] is not None:
            gb = g.sum((0, 2, 3))
        return (gx, gw, gb) if has_b else (gx, gw)


def _check(name, x, w, b, nd, groups, transposed=False):
    if x._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f'Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to '
                           f'{name}, but got input of size: {_shape_str(x.shape)}')
    wa = w._data
    if wa.ndim != nd + 2:
        raise RuntimeError(f'Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input '
                           f'{_shape_str(x.shape)}, but got {wa.ndim}-dimensional weight of size '
                           f'{_shape_str(wa.shape)} instead')
    if x._data.dtype != wa.dtype:
        raise RuntimeError(f'Input type ({_type_name(x._data)}) and weight type ({_type_name(wa)}) '
                           f'should be the same or input should be a MKLDNN tensor and weight is '
                           f'a dense tensor')
    if groups <= 0:
        raise RuntimeError('non-positive groups is not supported')
    C = x._data.shape[-nd - 1]
    if transposed:
        if wa.shape[0] != C:
            raise RuntimeError(f'Given transposed=1, weight of size {_shape_str(wa.shape)}, '
                               f'expected input{_shape_str(x.shape)} to have {wa.shape[0]} '
                               f'channels, but got {C} channels instead')
        out_ch = wa.shape[1] * groups
    else:
        if wa.shape[0] % groups:
            raise RuntimeError(f'Given groups={groups}, expected weight to be divisible by {groups} '
                               f'at dimension 0, but got weight of size [{_shape_str(wa.shape)}] '
                               f'instead')
        if wa.shape[1] * groups != C:
            raise RuntimeError(f'Given groups={groups}, weight of size {_shape_str(wa.shape)}, '
                               f'expected input{_shape_str(x.shape)} to have '
                               f'{wa.shape[1] * groups} channels, but got {C} channels instead')
        out_ch = wa.shape[0]
    if b is not None:
        if b._data.ndim != 1 or b._data.shape[0] != out_ch:
            raise RuntimeError(f'Given weight of size {_shape_str(wa.shape)}, expected bias to be '
                               f'1-dimensional with {out_ch} elements, but got bias of size '
                               f'{_shape_str(b.shape)} instead')
        if b._data.dtype != x._data.dtype:
            raise RuntimeError(f'Input type ({_ctype(x._data)}) and bias type ({_ctype(b._data)}) '
                               f'should be the same')


def _pads(padding, nd, kernel, dilation, stride, spatial):
    """Per-dimension (before, after) padding from an int, a tuple or 'same'/'valid'."""
    if isinstance(padding, str):
        if padding == 'valid':
            return ((0, 0),) * nd
        if padding != 'same':
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        # torch puts the extra element of an odd total padding at the end.
        tot = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in tot)
    p = _tuple(padding, nd, 'padding')
    if any(v < 0 for v in p):
        raise RuntimeError('negative padding is not supported')
    return tuple((v, v) for v in p)


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups):
    _check(name, input, weight, bias, nd, groups)
    stride = _tuple(stride, nd, 'stride')
    dilation = _tuple(dilation, nd, 'dilation')
    if any(s <= 0 for s in stride):
        raise RuntimeError('non-positive stride is not supported')
    if any(d <= 0 for d in dilation):
        raise RuntimeError('dilation should be greater than zero')
    kernel = weight._data.shape[2:]
    spatial = input._data.shape[-nd:]
    pads = _pads(padding, nd, kernel, dilation, stride, spatial)
    padded = [s + a + b for s, (a, b) in zip(spatial, pads)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f'Calculated padded input size per channel: ({" x ".join(map(str, padded))}). '
                           f'Kernel size: ({" x ".join(map(str, eff))}). Kernel size can\'t be '
                           f'greater than actual input size')
    unbatched = input._data.ndim == nd + 1
    if nd == 1:   # conv1d = conv2d over (N, C, 1, L)
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    ts = [input, weight] if bias is None else [input, weight, bias]
    flat = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
    return nary(Convolution, ts, stride, flat, dilation, int(groups), nd, unbatched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as torch) over ``(N, C, L)`` or ``(C, L)``.

    >>> import numtorch
    >>> x = numtorch.ones(1, 2, 5)
    >>> numtorch.nn.functional.conv1d(x, numtorch.ones(3, 2, 3), padding=1).shape
    torch.Size([1, 3, 5])
    """
    return _conv('conv1d', 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over ``(N, C, H, W)`` or ``(C, H, W)``; ``padding`` may be an int, a
    pair, ``'same'`` or ``'valid'``.

    >>> import numtorch
    >>> x = numtorch.ones(2, 1, 28, 28)
    >>> numtorch.nn.functional.conv2d(x, numtorch.ones(6, 1, 5, 5), padding=2).shape
    torch.Size([2, 6, 28, 28])
    """
    return _conv('conv2d', 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution ("deconvolution"); ``weight`` is ``(C_in, C_out/groups, kH, kW)``.

    >>> import numtorch
    >>> x = numtorch.ones(1, 4, 5, 5)
    >>> numtorch.nn.functional.conv_transpose2d(x, numtorch.ones(4, 2, 3, 3), stride=2).shape
    torch.Size([1, 2, 11, 11])
    """
    _check('conv_transpose2d', input, weight, bias, 2, groups, transposed=True)
    stride = _tuple(stride, 2, 'stride')
    padding = _tuple(padding, 2, 'padding')
    output_padding = _tuple(output_padding, 2, 'output_padding')
    dilation = _tuple(dilation, 2, 'dilation')
    if any(s <= 0 for s in stride):
        raise RuntimeError('non-positive stride is not supported')
    if any(p < 0 for p in padding):
        raise RuntimeError('negative padding is not supported')
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f'output padding must be smaller than either stride or dilation, but got '
            f'output_padding_height: {output_padding[0]} output_padding_width: '
            f'{output_padding[1]} stride_height: {stride[0]} stride_width: {stride[1]} '
            f'dilation_height: {dilation[0]} dilation_width: {dilation[1]}')
    unbatched = input._data.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    ts = [x, weight] if bias is None else [x, weight, bias]
    out = nary(ConvTranspose, ts, stride, padding, output_padding, dilation, int(groups))
    return out.squeeze(0) if unbatched else out


__all__ = ['conv1d', 'conv2d', 'conv_transpose2d']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
