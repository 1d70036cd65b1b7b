"""The NCHW im2col of ``conv.Convolution`` (LeNet's convolutions and every one the channels-last
paths do not take): where a convolution's windows lie, and its chunk products.

How (im2col, made NumPy-friendly):
- The padded input is copied once into a buffer laid out ``(C, Hp, N, Wp)``: channel first,
  then the padded rows, each row holding that row of every image of the batch. Every kernel
  offset ``(i, j)`` is then one strided window over it, and the six-axis view
  ``(C, kh, kw, Ho, N, Wc)`` made with ``as_strided`` *is* the im2col matrix; one ``copyto``
  materializes it and a matmul ``(O, C*kh*kw) @ (C*kh*kw, Ho*N*Wc)`` is the convolution.
- "Wide" rows: with stride 1 along W the windows are computed ``Wc = Wp`` wide instead of ``Wo``.
  Each window row then continues straight into the next image's row, and with stride 1 along H
  into the next row, so a kernel offset's whole window ``(Ho, N, Wc)`` is ONE contiguous run:
  im2col is ``C*kh*kw`` plain copies and col2im ``kh*kw`` plain adds (LeNet's conv2 col2im:
  0.19 ms a chunk, against 0.53 ms with one run per image). The extra ``Wp - Wo`` columns are
  garbage and are cropped; in backward they carry zero gradient, so they add nothing.
- Where wide rows would make a fifth or more of the columns garbage (LeNet's conv2: 4 of 14),
  the forward lays each chunk out with the batch innermost, ``(C, Hp, Wp, n)``: a kernel
  offset's window is then a run of ``Wo*n`` per output row, with no garbage at all
  (``im2col_inner``, copying each chunk straight from the input, so no padded buffer is
  kept); so does the weight gradient. The input gradient keeps the wide layout.
- With windows strided along W (no wide rows, so no long runs to gain) the forward writes the
  columns image by image and multiplies each image straight into the output; a 1x1 stride-1
  unpadded convolution is one product per image with no im2col at all
  (``conv.Convolution._pointwise``).
- The input gradient with wide windows never builds im2col's gradient: the kernel columns are
  summed inside the GEMM (``shifted``) and only the ``kh`` kernel rows are added (``rows_add``).
  Otherwise col2im is a loop over the ``kh*kw`` kernel offsets adding a strided slice each,
  never ``np.add.at`` (which is an order of magnitude slower).
Groups are a batch dimension of the matmuls.
"""
from ..._backend import xp, namespace, strided, gemm_block


#: The share of garbage columns from which the forward computes with the batch innermost
#: (``Geom.im2col_inner``, where the measurements are).
BATCH_INNER = 0.2


class Geom:
    """Where the windows of a 2-D convolution lie in the flat ``(C, Hp*N*Wp + over)`` buffer:
    each channel holds its padded rows image after image, row ``r`` of image ``n`` at
    ``(r*N + n)*Wp`` (``N``: the batch the buffer holds, a whole batch or one chunk). The
    buffer is contiguous (``zeros``): the windows are views of a flat slice of it."""
    __slots__ = ('kh', 'kw', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'H', 'W', 'Hp', 'Wp', 'Ho', 'Wo',
                 'Wc', 'over', 'pointwise', 'batch_inner')

    def __init__(self, H, W, kh, kw, stride, pads, dilation, Ho=None, Wo=None):
        self.kh, self.kw = kh, kw
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        pt, pb, pl, pr = pads
        self.pt, self.pl = pt, pl
        self.H, self.W = H, W
        self.Hp, self.Wp = H + pt + pb, W + pl + pr
        self.Ho = (self.Hp - self.dh * (kh - 1) - 1) // self.sh + 1 if Ho is None else Ho
        self.Wo = (self.Wp - self.dw * (kw - 1) - 1) // self.sw + 1 if Wo is None else Wo
        self.pointwise = kh == kw == 1 and not any(pads)   # one window, the pixels themselves
        wide = self.sw == 1
        self.Wc = self.Wp if wide else self.Wo
        # Wide windows of the last row run past the buffer by up to dw*(kw-1) elements.
        self.over = self.dw * (kw - 1) if wide else 0
        # Where BATCH_INNER or more of the wide columns would be garbage, the forward lays its
        # chunk out with the batch innermost instead (im2col_inner), which has none.
        self.batch_inner = wide and self.Wc - self.Wo >= BATCH_INNER * self.Wc

    def zeros(self, xp_, C, N, dtype):
        """A zeroed padded buffer for ``N`` images of ``C`` channels."""
        return xp_.zeros((C, self.Hp * N * self.Wp + self.over), dtype)

    def windows(self, buf, N, n0=0, n=None):
        """The im2col matrix of images ``n0 .. n0+n`` as a view ``(C, kh, kw, Ho, n, Wc)`` of a
        buffer holding ``N`` images. With stride 1, ``(n, Wc)`` is one contiguous run (that row
        of every image), and for the whole buffer (``n = N``) so is ``(Ho, n, Wc)``."""
        n = N - n0 if n is None else n
        C = buf.shape[0]
        it = buf.itemsize
        row = N * self.Wp * it
        return strided(buf.reshape(-1)[n0 * self.Wp:],
                       (C, self.kh, self.kw, self.Ho, n, self.Wc),
                       (buf.strides[0], self.dh * row, self.dw * it, self.sh * row,
                        self.Wp * it, self.sw * it))

    def image(self, buf, N):
        """The (C, H, N, W) image region of a padded buffer (a view)."""
        C = buf.shape[0]
        img = buf[:, :self.Hp * N * self.Wp].reshape(C, self.Hp, N, self.Wp)
        return img[:, self.pt:self.pt + self.H, :, self.pl:self.pl + self.W]

    def pad(self, x):
        """``x`` (N, C, H, W) -> its zero-padded buffer."""
        N, C = x.shape[:2]
        buf = self.zeros(namespace(x), C, N, x.dtype)
        self.image(buf, N)[...] = x.transpose(1, 2, 0, 3)
        return buf

    def im2col(self, buf, N, n0=0, n=None, out=None, per_image=False):
        """``(C*kh*kw, Ho*n*Wc)``, contiguous: the matmul operand (written into ``out``);
        ``per_image``: its columns in ``(n, Ho, Wc)`` order instead."""
        win = self.windows(buf, N, n0, n)
        if per_image:
            win = win.transpose(0, 1, 2, 4, 3, 5)
        cols = namespace(buf).empty(win.shape, buf.dtype) if out is None \
            else out.reshape(win.shape)
        xp.copyto(cols, win)
        s = win.shape
        return cols.reshape(s[0] * s[1] * s[2], -1)

    def im2col_inner(self, x, n0, n, ws):
        """The im2col matrix of images ``n0 .. n0+n`` of the input ``x`` (N, C, H, W) with the
        batch innermost: ``(C*kh*kw, Ho*Wo*n)``, columns ``(Ho, Wo, n)``; no garbage columns.
        ``ws``: scratch for the chunk's padded copy ``(C, Hp, Wp, n)`` and the matrix.

        A kernel offset's window over that copy is, for each output row, one contiguous run of
        ``Wo*n`` (the columns ``w .. w+Wo`` of every image), so the copy is as cheap as the wide
        one, and the GEMM computes only real outputs; the cost moves to the transposing copies
        in and out. One thread, a ~4 MB chunk, wide against batch-innermost forward (ms):
        LeNet's conv2 (29% garbage) 0.50 / 0.37, the same with padding 2 (22%) 0.47 / 0.39,
        8 -> 24 channels 5x5 on 12x12 (33%) 0.81 / 0.52; but conv1 (12%) 0.32 / 0.37, 16 -> 32
        channels 3x3 on 16x16 (12%) 1.11 / 1.20, ResNet's stem (6%) 0.80 / 1.28. Hence
        ``batch_inner`` from a fifth of garbage columns (``BATCH_INNER``). conv2's weight
        gradient: 0.41 -> 0.32 ms a chunk.

        The padded copy is made straight from ``x`` (one transposing copy, 17 us for LeNet's
        conv2 chunk, where filling the whole-batch buffer and copying from it took 37 us and
        the buffer's zeroing 14 us a call)."""
        C, it = x.shape[1], x.itemsize
        size = C * self.Hp * self.Wp * n
        pad = ws[:size].reshape(C, self.Hp, self.Wp, n)
        if self.Hp != self.H or self.Wp != self.W:
            pad.fill(0)
        xp.copyto(pad[:, self.pt:self.pt + self.H, self.pl:self.pl + self.W],
                  x[n0:n0 + n].transpose(1, 2, 3, 0))
        row = self.Wp * n * it
        win = strided(pad, (C, self.kh, self.kw, self.Ho, self.Wo * n),
                      (pad.strides[0], self.dh * row, self.dw * n * it, self.sh * row, it))
        cols = ws[size:size + win.size].reshape(win.shape)
        xp.copyto(cols, win)
        return cols.reshape(C * self.kh * self.kw, -1)

    def grad_inner(self, g, out, mc):
        """A chunk's output gradient ``g`` (n, O, Ho, Wo) in ``im2col_inner``'s column order,
        as the weight gradient's right operand (``mm_t``): ``(Ho*Wo*n, O)``, contiguous with
        ``mc`` (``use_mc``), else the transposed view of a contiguous ``(O, Ho*Wo*n)``."""
        n, O = g.shape[:2]
        out = out[:g.size]
        if mc:
            o = out.reshape(self.Ho, self.Wo, n, O)
            o[...] = g.transpose(2, 3, 0, 1)
            return o.reshape(-1, O)
        o = out.reshape(O, self.Ho, self.Wo, n)
        o[...] = g.transpose(1, 2, 3, 0)
        return o.reshape(O, -1).T

    def col2im_add(self, gcols, buf, N):
        """Adjoint of ``im2col``: add ``gcols`` (C*kh*kw, Ho*N*Wc) into the windows of ``buf``
        (holding ``N`` images), one strided add per kernel offset (windows of one offset never
        overlap; with stride 1 each add is one contiguous run)."""
        win = self.windows(buf, N)
        g6 = gcols.reshape(win.shape)
        for i in range(self.kh):
            for j in range(self.kw):
                w = win[:, i, j]
                w += g6[:, i, j]

    def shifted(self, gm, out):
        """The output gradient ``gc`` (O, M) with each row repeated once per kernel column,
        moved right by that column's offset ``j*dw`` (zeros shifted in): ``(O*kw, M)``, row
        ``(o, j)``, written into ``out``. ``gm`` is ``(O, over + M)``: ``over`` zeros, then
        ``gc`` (``to_cn`` into ``gm[:, over:]``); one copy from an overlapping view of it.

        Why: with wide windows, kernel offset ``(i, j)``'s window is offset ``(i, 0)``'s moved
        by ``j*dw`` elements, so col2im's sum over the kernel columns can move into the GEMM:
        the input gradient is ``rows_add`` of ``(C*kh, O*kw) @ shifted(gc)``, the same
        multiplications as im2col's ``(C*kh*kw, O) @ gc`` but a ``C*kh``-row product and
        ``kh`` adds instead of a ``C*kh*kw``-row one and ``kh*kw`` adds. LeNet's conv2 (a chunk
        of 43 images, one thread): 0.41 against 0.57 ms; and the adds are few and long, so two
        threads wait less for each other (each NumPy call returns to take the GIL)."""
        O, M = gm.shape[0], gm.shape[1] - self.over
        it = gm.itemsize
        v = strided(gm[:, self.over:], (O, self.kw, M), (gm.strides[0], -self.dw * it, it))
        out = out.reshape(O, self.kw, M)
        xp.copyto(out, v)
        return out.reshape(O * self.kw, M)

    def rows_add(self, h, buf, n):
        """Adjoint of the kernel rows' windows for ``shifted``: add ``h`` (C*kh, Ho*n*Wp) into
        the padded buffer ``buf`` of ``n`` images, kernel row ``i`` at its offset (``kh``
        adds). Columns past a row's last image get only the (zero) garbage columns' share,
        so they are dropped and no add overlaps another."""
        C = buf.shape[0]
        row, it = n * self.Wp, buf.itemsize
        h = h.reshape(C, self.kh, self.Ho, row)
        for i in range(self.kh):
            win = strided(buf.reshape(-1)[i * self.dh * row:], (C, self.Ho, row),
                          (buf.strides[0], self.sh * row * it, it))
            win += h[:, i]

    def col2im(self, gcols, C, N):
        """``(C*kh*kw, Ho*N*Wc)`` -> ``(N, C, H, W)`` gradient."""
        buf = self.zeros(namespace(gcols), C, N, gcols.dtype)
        self.col2im_add(gcols, buf, N)
        return namespace(buf).ascontiguousarray(self.image(buf, N).transpose(2, 0, 1, 3))

    def to_cn(self, g, out=None):
        """``(N, C, Ho, Wo)`` -> ``(C, Ho*N*Wc)`` with zeros in the garbage columns (written
        into ``out`` when given)."""
        N, C = g.shape[:2]
        shape = (C, self.Ho, N, self.Wc)
        if out is None:
            out = namespace(g).empty(shape, g.dtype)
        out = out.reshape(shape)
        if self.Wc != self.Wo:
            out.fill(0)   # one contiguous fill beats zeroing the strided garbage columns
        out[..., :self.Wo] = g.transpose(1, 2, 0, 3)
        return out.reshape(C, -1)

    def to_mc(self, g, out):
        """``(N, C, Ho, Wo)`` -> ``(Ho*N*Wc, C)``: ``to_cn``'s matrix transposed and contiguous
        (written into ``out``), the weight gradient's right operand where ``mm_t`` wants it so."""
        N, C = g.shape[:2]
        out = out.reshape(self.Ho, N, self.Wc, C)
        if self.Wc != self.Wo:
            out.fill(0)
        out[:, :, :self.Wo] = g.transpose(2, 0, 3, 1)
        return out.reshape(-1, C)

    def from_cn(self, y, C, N):
        """``(C, Ho*N*Wc)`` -> ``(N, C, Ho, Wo)`` contiguous (drops the garbage columns)."""
        y = y.reshape(C, self.Ho, N, self.Wc)[..., :self.Wo].transpose(2, 0, 1, 3)
        return namespace(y).ascontiguousarray(y)


def gmm(a, b, G):
    """Grouped matmul: ``a`` (G*M, K) @ ``b`` (G*K, P) block-diagonally -> (G*M, P)."""
    if G == 1:
        return a @ b
    return xp.matmul(a.reshape(G, a.shape[0] // G, -1), b.reshape(G, b.shape[0] // G, -1)).reshape(
        a.shape[0], -1)


def mm(a, b, out):
    """``a @ b`` into ``out`` for a small ``a`` (P, K) and a long ``b`` (K, M): as a batch of
    column blocks where the device wants it (``_backend.gemm_block``; on the CPU OpenBLAS's
    small-matrix kernel is 1.4-2x faster on LeNet's products than one long GEMM)."""
    P, K = a.shape
    M = b.shape[1]
    mb = gemm_block(b, P * K, M)
    if not mb:
        return xp.matmul(a, b, out=out)
    full = M - M % mb
    xp.matmul(a, b[:, :full].reshape(K, -1, mb).transpose(1, 0, 2),
              out=out[:, :full].reshape(P, -1, mb).transpose(1, 0, 2))
    if full < M:
        xp.matmul(a, b[:, full:], out=out[:, full:])
    return out


def mm_t(a, bt):
    """``a @ bt`` for a long ``a`` (P, M) and ``bt`` (M, Q): the reduction over M in column
    blocks where the device wants it (see ``mm``), the blocks' products summed in block order.
    LeNet's conv1 weight gradient, (25, M) @ (M, 6): 0.17 ms a chunk in blocks, 0.50 ms as one
    GEMM. ``bt`` may be a transposed view; which form is faster depends on the shape
    (``use_mc``)."""
    P, M = a.shape
    Q = bt.shape[1]
    mb = gemm_block(a, P * Q, M)
    if not mb:
        return a @ bt
    full = M - M % mb
    s = xp.matmul(a[:, :full].reshape(P, -1, mb).transpose(1, 0, 2),
                  bt[:full].reshape(-1, mb, Q)).sum(0)
    if full < M:
        s += a[:, full:] @ bt[full:]
    return s


def use_mc(P, Q):
    """Whether a weight gradient ``(P, M) @ (M, Q)`` takes its right operand as a contiguous
    copy (``Geom.to_mc``) rather than as the transposed view of ``to_cn``'s matrix. OpenBLAS's
    small-matrix kernel is 2-2.4x faster with the contiguous operand from 16 columns on (under
    that the view is 10-20% faster), but the transposing copy costs about as much as a product
    with a few dozen rows. One thread, M = 24000, ms: (150, 16) 1.10 against 2.43 (LeNet's
    conv2, the copy 0.15); (27, 64) 0.77 against 1.82, but the copy 1.32 (ResNet's stem);
    (25, 6) 0.09 against 0.08."""
    return P >= 4 * Q >= 64
