"""Pooling: max/avg pooling (1-D, 2-D, 3-D), adaptive pooling (1-D, 2-D, 3-D).

Windows are strided views (``as_strided``) of a padded copy of the input, reduced by a loop over
the ``kh*kw`` kernel offsets: each step is one whole-array NumPy op on a strided slice, which is
far faster than materializing ``(..., kh*kw)`` and reducing along a tiny last axis. Max pooling
keeps the flat input index of each maximum (torch's ``indices``); its backward is one
``bincount`` scatter-add, which also handles overlapping windows. Adaptive average pooling is a
linear map separable along H and W, so they are two small matmuls with
0/1 (or 1/count) matrices, forward and backward.
"""
from ..._backend import xp, namespace, strided, split_run
from ..._threads import SPLIT_MIN
from ...autograd.graph import Node
from .._apply import unary, multi, wrap


def _pair(v, name='kernel_size'):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        if len(v) != 2:
            raise RuntimeError(f'{name} must either be a single int, or a tuple of two ints')
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _out_size(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape: with ceil_mode the last window must start inside the input
    or its left padding."""
    num = size + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, name):
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise RuntimeError('non-empty 3D or 4D (batch mode) tensor expected for input')
    kh, kw = _pair(kernel_size)
    sh, sw = (kh, kw) if stride is None or stride == [] or stride == () else _pair(stride, 'stride')
    ph, pw = _pair(padding, 'padding')
    dh, dw = _pair(dilation, 'dilation')
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f'kernel size should be greater than zero, but got kH: {kh} kW: {kw}')
    if sh <= 0 or sw <= 0:
        raise RuntimeError('stride should not be zero')
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f'dilation should be greater than zero, but got dilationH: {dh} '
                           f'dilationW: {dw}')
    if ph > (dh * (kh - 1) + 1) // 2 or pw > (dw * (kw - 1) + 1) // 2 or ph < 0 or pw < 0:
        p, k, d = (ph, kh, dh) if ph > (dh * (kh - 1) + 1) // 2 or ph < 0 else (pw, kw, dw)
        raise RuntimeError(f'pad should be at most half of effective kernel size, but got '
                           f'pad={p}, kernel_size={k} and dilation={d}')
    H, W = x.shape[-2:]
    Ho = _out_size(H, kh, sh, ph, dh, ceil_mode)
    Wo = _out_size(W, kw, sw, pw, dw, ceil_mode)
    if Ho < 1 or Wo < 1:
        C = x.shape[-3]
        raise RuntimeError(f'Given input size: ({C}x{H}x{W}). Calculated output size: '
                           f'({C}x{Ho}x{Wo}). Output size is too small')
    return kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo


def _padded(x, ph, pw, Hn, Wn, fill):
    """``x`` (N, C, H, W) placed in a (N, C, Hn, Wn) array of ``fill`` at offset (ph, pw)."""
    N, C, H, W = x.shape
    if ph == 0 and pw == 0 and Hn <= H and Wn <= W:
        return x
    buf = namespace(x).full((N, C, max(Hn, H + ph), max(Wn, W + pw)), fill, x.dtype)
    buf[:, :, ph:ph + H, pw:pw + W] = x
    return buf


def _windows(buf, kh, kw, sh, sw, dh, dw, Ho, Wo):
    """The pooling windows as a view (N, C, kh, kw, Ho, Wo) of ``buf``."""
    sN, sC, sH, sW = buf.strides
    return strided(buf, buf.shape[:2] + (kh, kw, Ho, Wo),
                   (sN, sC, dh * sH, dw * sW, sh * sH, sw * sW))


def _low(dtype):
    return -xp.inf if dtype.kind == 'f' else xp.iinfo(dtype).min


def _scatter_flat(idx, g, in_shape):
    """Add ``g`` at flat spatial indices ``idx`` of each (n, c) plane: max pooling's backward."""
    NC = 1
    for n in in_shape[:-2]:
        NC *= n
    HW = in_shape[-2] * in_shape[-1]
    ns = namespace(g)
    lin = idx.reshape(NC, -1) + (ns.arange(NC, dtype=xp.int64) * HW)[:, None]
    out = ns.bincount(lin.ravel(), weights=g.reshape(-1), minlength=NC * HW)
    return out.astype(g.dtype, copy=False).reshape(in_shape)


class MaxPool2DWithIndices(Node):
    """Running max over the kernel offsets; remembers which offset won (``arg``, int8/16) for
    backward, and reports torch's flat input indices as the second output."""

    def forward(self, x, geo):
        kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo = geo
        N, C, H, W = x.shape
        buf = _padded(x, ph, pw, (Ho - 1) * sh + dh * (kh - 1) + 1, (Wo - 1) * sw + dw * (kw - 1) + 1,
                      _low(x.dtype))
        win = _windows(buf, kh, kw, sh, sw, dh, dw, Ho, Wo)
        best = win[:, :, 0, 0].copy()
        arg = self.xp.zeros(best.shape, xp.int8 if kh * kw < 128 else xp.int32)
        # Offsets are visited in increasing order, so "arg = k where v is a new max" is
        # max(arg, k * m): two fast integer ops instead of a masked assignment (100x slower).
        # Strict > keeps the first of equal maxima, as torch does.
        for i in range(kh):
            for j in range(kw):
                if i == 0 and j == 0:
                    continue
                v = win[:, :, i, j]
                m = (v > best).view(xp.int8) if arg.dtype == xp.int8 else (v > best).astype(arg.dtype)
                xp.maximum(best, v, out=best)
                xp.maximum(arg, m * arg.dtype.type(i * kw + j), out=arg)
        if x.dtype.kind == 'f' and xp.isnan(best).any():
            arg = self._nan_args(win, best.shape, arg.dtype, kh, kw)
        idx = _flat_index(self.xp, arg, geo, W)
        self.saved = (arg,)
        self.meta = geo, x.shape, buf.shape
        return best, idx

    @staticmethod
    def _nan_args(win, shape, dtype, kh, kw):
        """torch's rule where NaNs occur: a NaN beats everything (the last NaN wins)."""
        best = win[:, :, 0, 0].copy()
        arg = namespace(win).zeros(shape, dtype)
        for i in range(kh):
            for j in range(kw):
                v = win[:, :, i, j]
                m = (v > best) | (v != v)
                best = xp.where(m, v, best)
                arg = xp.where(m, i * kw + j, arg).astype(dtype)
        return arg

    def backward(self, g, _gidx):
        arg, = self.saved
        (kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo), (N, C, H, W), bshape = self.meta
        buf = self.xp.zeros(bshape, g.dtype)
        win = _windows(buf, kh, kw, sh, sw, dh, dw, Ho, Wo)
        # Windows that tile without overlap write each input cell at most once: a masked copy.
        tiles = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        for i in range(kh):
            for j in range(kw):
                w = win[:, :, i, j]
                if tiles:
                    xp.multiply(g, arg == i * kw + j, out=w)
                else:
                    w += g * (arg == i * kw + j)
        if bshape == (N, C, H, W):
            return buf
        return self.xp.ascontiguousarray(buf[:, :, ph:ph + H, pw:pw + W])

    def backward_graphed(self, g, _gidx):
        """create_graph: ``g`` scattered to the maxima's positions with a differentiable
        scatter-add (its own derivative is the gather at the same positions, as torch's)."""
        geo, shape, _ = self.meta
        return _scatter_graphed(_flat_index(self.xp, self.saved[0], geo, shape[3]), g, shape)


def _flat_index(xp, arg, geo, W):
    """Max pooling's window offsets ``arg`` as flat indices into the unpadded input plane
    (torch's ``indices``)."""
    kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo = geo
    k = xp.arange(kh * kw)
    lut = (k // kw) * dh * W + (k % kw) * dw          # offset -> flat shift, by table lookup
    idx = lut[arg]
    idx += ((xp.arange(Ho) * sh - ph) * W)[:, None] + (xp.arange(Wo) * sw - pw)
    return idx


def _scatter_graphed(idx, g, in_shape):
    """``_scatter_flat`` with differentiable ops (create_graph): ``g`` (a tensor) added at the
    flat plane indices ``idx`` of a zero tensor of ``in_shape``."""
    NC = 1
    for n in in_shape[:-2]:
        NC *= n
    HW = in_shape[-2] * in_shape[-1]
    lin = idx.reshape(NC, -1) + (namespace(idx).arange(NC, dtype=xp.int64) * HW)[:, None]
    out = g.new_zeros((NC * HW,)).index_put((wrap(lin.reshape(-1)),), g.reshape(-1),
                                            accumulate=True)
    return out.reshape(in_shape)


class AvgPool2D(Node):
    frees = True   # torch saves the indices / mask / input as tensors
    def forward(self, x, geo, count_include_pad, divisor_override):
        kh, kw, sh, sw, ph, pw, _, _, Ho, Wo = geo
        N, C, H, W = x.shape
        self.shape, self.geo = x.shape, geo
        if ph == pw == 0 and sh == kh and sw == kw and H == Ho * kh and W == Wo * kw:
            # Tiling windows (LeNet's 2x2/2): add the kh rows of each window (long contiguous
            # runs), then the kw columns. 30x faster than reshape(..., kh, Wo, kw).sum((3, 5)),
            # which NumPy reduces element by element.
            # The first add writes a fresh array (no separate copy pass); the same sums in the
            # same order as copy-then-add.
            self.div = divisor_override or kh * kw
            self.fast = True
            if x.size >= SPLIT_MIN and kh > 1 and kw > 1 and x.dtype.kind == 'f':
                # large: the same adds and divide per range of images, over the threads
                r = x.reshape(N, C, Ho, kh, W)
                rows = self.xp.empty((N, C, Ho, W), x.dtype)
                s = self.xp.empty((N, C, Ho, Wo), x.dtype)
                rr = rows.reshape(N, C, Ho, Wo, kw)
                div = self.div

                def part(lo, hi):
                    t = xp.add(r[lo:hi, :, :, 0], r[lo:hi, :, :, 1], out=rows[lo:hi])
                    for i in range(2, kh):
                        t += r[lo:hi, :, :, i]
                    u = xp.add(rr[lo:hi, ..., 0], rr[lo:hi, ..., 1], out=s[lo:hi])
                    for j in range(2, kw):
                        u += rr[lo:hi, ..., j]
                    u /= div
                split_run(x, part, N, x.size // N)
                return s
            r = x.reshape(N, C, Ho, kh, W)
            s = r[:, :, :, 0] + r[:, :, :, 1] if kh > 1 else r[:, :, :, 0].copy()
            for i in range(2, kh):
                s += r[:, :, :, i]
            r = s.reshape(N, C, Ho, Wo, kw)
            s = r[..., 0] + r[..., 1] if kw > 1 else r[..., 0].copy()
            for j in range(2, kw):
                s += r[..., j]
        else:
            self.fast = False
            buf = _padded(x, ph, pw, (Ho - 1) * sh + kh, (Wo - 1) * sw + kw, 0)
            win = _windows(buf, kh, kw, sh, sw, 1, 1, Ho, Wo)
            s = win[:, :, 0, 0].copy()
            for i in range(kh):
                for j in range(kw):
                    if i or j:
                        s += win[:, :, i, j]
            self.div = divisor_override or _divisors(self.xp, H, W, geo, count_include_pad)
        if x.dtype.kind in 'iu':
            return (s / self.div).astype(x.dtype)
        if isinstance(self.div, int):
            if s.dtype.kind == 'f':   # s is this op's own fresh array: divide in place
                s /= self.div
                return s
            return s / self.div
        return s / self.xp.asarray(self.div, x.dtype)

    def backward(self, g):
        kh, kw, sh, sw, ph, pw, _, _, Ho, Wo = self.geo
        N, C, H, W = self.shape
        gd = g / (self.div if isinstance(self.div, int) else self.div.astype(g.dtype))
        if self.fast:   # np.repeat is ~4x faster here than copying a broadcast view
            if kw == 2 and gd.dtype.itemsize in _PAIR_WORD:
                return _spread_pairs(gd, kh)
            return xp.repeat(xp.repeat(gd, kw, axis=3), kh, axis=2)
        buf = self.xp.zeros((N, C, max((Ho - 1) * sh + kh, H + ph), max((Wo - 1) * sw + kw, W + pw)), g.dtype)
        win = _windows(buf, kh, kw, sh, sw, 1, 1, Ho, Wo)
        for i in range(kh):
            for j in range(kw):
                w = win[:, :, i, j]
                w += gd
        return self.xp.ascontiguousarray(buf[:, :, ph:ph + H, pw:pw + W])

    def backward_graphed(self, g):
        """create_graph: the same adjoint with differentiable ops: each output's share spread
        over its window by a transposed convolution with a ones kernel per channel."""
        kh, kw, sh, sw, ph, pw, _, _, Ho, Wo = self.geo
        N, C, H, W = self.shape
        div = self.div if isinstance(self.div, int) else wrap(self.div.astype(g._data.dtype))
        gd = g / div
        if self.fast:
            return gd.repeat_interleave(kw, 3).repeat_interleave(kh, 2)
        from .conv import conv_transpose2d
        Hb, Wb = max((Ho - 1) * sh + kh, H + ph), max((Wo - 1) * sw + kw, W + pw)
        ones = wrap(self.xp.ones((C, 1, kh, kw), g._data.dtype))
        y = conv_transpose2d(gd, ones, None, (sh, sw), 0,
                             (Hb - (Ho - 1) * sh - kh, Wb - (Wo - 1) * sw - kw), C)
        return y[:, :, ph:ph + H, pw:pw + W]


#: itemsize -> (the unsigned type of the value's bits, the one twice as wide, the multiplier)
_PAIR_WORD = {2: ('uint16', 'uint32', 0x10001), 4: ('uint32', 'uint64', 0x100000001)}


def _spread_pairs(gd, kh):
    """``gd`` (N, C, Ho, Wo) with each value repeated twice along W and ``kh`` times along H:
    a tiling 2-wide pooling window's backward.

    Why not ``repeat`` along W: it copies one 4-byte element at a time (0.34 ms for LeNet's
    (256, 6, 14, 14) gradient). Instead each value's bits, read as an unsigned integer ``v``,
    are multiplied by ``2**32 + 1`` (``2**16 + 1`` for 2-byte floats): ``v`` in both halves of
    a word twice as wide, so one vectorized multiply writes the value twice, bit for bit (no
    rounding: ``v * (2**32 + 1) < 2**64``; infinities and NaNs are copied as they are). The
    rows are then repeated as whole runs. LeNet's two pooling backwards, one thread: 0.51 ->
    0.29 and 0.24 -> 0.18 ms."""
    N, C, Ho, Wo = gd.shape
    xp_ = namespace(gd)
    bits, wide, k = _PAIR_WORD[gd.dtype.itemsize]
    pairs = xp_.multiply(gd.reshape(N * C * Ho, 1, Wo).view(bits), k, dtype=wide)
    return xp_.repeat(pairs, kh, axis=1).view(gd.dtype).reshape(N, C, Ho * kh, 2 * Wo)


def _divisors(xp, H, W, geo, count_include_pad):
    """Per-output-position divisor, torch's rule: windows clipped to the padded input count the
    padding only with ``count_include_pad``; the part past the padding (ceil_mode) never counts."""
    kh, kw, sh, sw, ph, pw, _, _, Ho, Wo = geo

    def one(n, k, s, p, size):
        start = xp.arange(n) * s - p
        end = xp.minimum(start + k, size + p)
        full = end - start
        return full, xp.minimum(end, size) - xp.maximum(start, 0)
    fh, ch = one(Ho, kh, sh, ph, H)
    fw, cw = one(Wo, kw, sw, pw, W)
    return (xp.outer(fh, fw) if count_include_pad else xp.outer(ch, cw))


def _plain(t):
    """The indices output as a plain integer tensor (no grad_fn, as torch's)."""
    return wrap(t._data)


def _batched(x, fn):
    """Run a 4-D op on a 3-D (unbatched) tensor by adding and removing the batch dim."""
    if x._data.ndim == 3:
        out = fn(x.unsqueeze(0))
        if isinstance(out, tuple):
            return tuple(o.squeeze(0) for o in out)
        return out.squeeze(0)
    return fn(x)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; ``return_indices=True`` also
    returns the flat index of each maximum within its input plane (for ``max_unpool2d``).

    >>> import numtorch
    >>> x = numtorch.arange(16.).reshape(1, 1, 4, 4)
    >>> numtorch.nn.functional.max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    geo = _geometry(input._data, kernel_size, stride, padding, dilation, ceil_mode, 'max_pool2d')
    out = _batched(input, lambda x: multi(MaxPool2DWithIndices, x, geo))
    return (out[0], _plain(out[1])) if return_indices else out[0]


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling; ``count_include_pad`` counts zero padding in the divisor.

    >>> import numtorch
    >>> numtorch.nn.functional.avg_pool2d(numtorch.ones(1, 1, 4, 4), 2).shape
    torch.Size([1, 1, 2, 2])
    """
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError('divisor must be not zero')
    geo = _geometry(input._data, kernel_size, stride, padding, 1, ceil_mode, 'avg_pool2d')
    return _batched(input, lambda x: unary(AvgPool2D, x, geo, count_include_pad, divisor_override))


def _pool1d(input, fn, name):
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f'{name}() Expected 2D or 3D input tensor, but got {list(input.shape)}')
    out = fn(input.unsqueeze(-2))
    if isinstance(out, tuple):
        return tuple(o.squeeze(-2) for o in out)
    return out.squeeze(-2)


def _single(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``.

    >>> import numtorch
    >>> numtorch.nn.functional.max_pool1d(numtorch.tensor([[1., 3., 2., 0.]]), 2)
    tensor([[3., 2.]])
    """
    stride = kernel_size if stride is None or stride == [] else stride
    return _pool1d(input, lambda x: max_pool2d(
        x, (1, _single(kernel_size)), (1, _single(stride)), (0, _single(padding)),
        (1, _single(dilation)), ceil_mode, return_indices), 'max_pool1d')


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``.

    >>> import numtorch
    >>> numtorch.nn.functional.avg_pool1d(numtorch.tensor([[1., 3., 2., 0.]]), 2)
    tensor([[2., 1.]])
    """
    stride = kernel_size if stride is None or stride == [] else stride
    return _pool1d(input, lambda x: avg_pool2d(
        x, (1, _single(kernel_size)), (1, _single(stride)), (0, _single(padding)), ceil_mode,
        count_include_pad), 'avg_pool1d')


# ---------------------------------------------------------------- adaptive pooling

def _adaptive_bounds(n_in, n_out, xp=xp):
    """torch's adaptive windows: [floor(i*in/out), ceil((i+1)*in/out)) (host ints by default:
    AdaptiveMaxPool2D slices with them)."""
    i = xp.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _avg_matrix(xp, n_in, n_out, dtype):
    """(n_out, n_in): row i averages adaptive window i, built on ``xp``'s device."""
    start, end = _adaptive_bounds(n_in, n_out, xp)
    pos = xp.arange(n_in)
    m = ((pos >= start[:, None]) & (pos < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


def _out_pair(output_size, H, W):
    oh, ow = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return (H if oh is None else int(oh)), (W if ow is None else int(ow))


class AdaptiveAvgPool2D(Node):
    def forward(self, x, oh, ow):
        H, W = x.shape[-2:]
        self.shape = x.shape
        if oh == ow == 1:               # global average pooling: a plain mean is 2x faster
            self.saved = ()
            return x.reshape(x.shape[:-2] + (H * W,)).mean(-1)[..., None, None]
        ah = _avg_matrix(self.xp, H, oh, x.dtype)
        aw = _avg_matrix(self.xp, W, ow, x.dtype)
        self.saved = (ah, aw)
        return xp.matmul(xp.matmul(ah, x), aw.T)      # (oh, H) @ x @ (W, ow)

    def backward(self, g):
        if not self.saved:
            H, W = self.shape[-2:]
            return xp.broadcast_to(g / (H * W), self.shape).copy()
        ah, aw = self.saved
        return xp.matmul(xp.matmul(ah.T, g), aw)


class AdaptiveMaxPool2D(Node):
    def forward(self, x, oh, ow):
        N, C, H, W = x.shape
        hs, he = _adaptive_bounds(H, oh)
        ws, we = _adaptive_bounds(W, ow)
        out = self.xp.empty((N, C, oh, ow), x.dtype)
        idx = self.xp.empty((N, C, oh, ow), xp.int64)
        for i in range(oh):          # one small reduction per output cell (windows differ in size)
            for j in range(ow):
                cell = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(N, C, -1)
                a = xp.argmax(cell, axis=2)      # NumPy's argmax picks a NaN, as torch does
                out[:, :, i, j] = xp.take_along_axis(cell, a[..., None], 2)[..., 0]
                cw = we[j] - ws[j]
                idx[:, :, i, j] = (hs[i] + a // cw) * W + ws[j] + a % cw
        self.saved = (idx,)
        self.shape = x.shape
        return out, idx

    def backward(self, g, _gidx):
        return _scatter_flat(self.saved[0], g, self.shape)

    def backward_graphed(self, g, _gidx):
        """create_graph: the scatter with differentiable ops (see MaxPool2DWithIndices)."""
        return _scatter_graphed(self.saved[0], g, self.shape)


def _check_adaptive(x, name):
    if x._data.ndim not in (3, 4):
        raise RuntimeError(f'{name}(): Expected 3D or 4D tensor, but got {list(x.shape)}')


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size`` (an int, a pair, ``None`` keeps that dim).

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_avg_pool2d(numtorch.ones(2, 3, 7, 5), 1).shape
    torch.Size([2, 3, 1, 1])
    """
    _check_adaptive(input, 'adaptive_avg_pool2d')
    oh, ow = _out_pair(output_size, *input.shape[-2:])
    return unary(AdaptiveAvgPool2D, input, oh, ow)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``output_size``; ``return_indices`` as in ``max_pool2d``.

    >>> import numtorch
    >>> numtorch.nn.functional.adaptive_max_pool2d(numtorch.ones(2, 3, 7, 5), (2, 3)).shape
    torch.Size([2, 3, 2, 3])
    """
    _check_adaptive(input, 'adaptive_max_pool2d')
    oh, ow = _out_pair(output_size, *input.shape[-2:])
    out = _batched(input, lambda x: multi(AdaptiveMaxPool2D, x, oh, ow))
    return (out[0], _plain(out[1])) if return_indices else out[0]


# ---------------------------------------------------------------- 3-D and 1-D adaptive pooling
# 3-D pooling (``max_pool3d``, ``avg_pool3d``, adaptive 3-D) and the 1-D adaptive poolings, as
# compositions of the 2-D pooling ops above.
# 
# Why this is exact: a pooling window is a box, and the max (or the sum) over a box is the max
# (sum) over depth of the max (sum) over the (H, W) face. So a 3-D pooling is the 2-D pooling of
# every depth slice, then a ``(kd, 1)`` pooling along depth; the output size, padding and
# ``ceil_mode`` rule of each dim are independent, and torch's average divisor is a product of
# per-dim counts. Gradients follow from the 2-D ops' (ties aside, which torch breaks its own way).
# Max-pooling indices (flat over ``D*H*W``, as torch's) are combined from the two passes' indices.

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


__all__ = ['max_pool1d', 'max_pool2d', 'avg_pool1d', 'max_pool3d', 'adaptive_avg_pool1d',
           'adaptive_max_pool1d']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
