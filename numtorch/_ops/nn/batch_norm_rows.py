"""Batch norm's training passes for an input of ``(N, C, *spatial)`` in blocks (``_backend.blocks``:
cache-sized on the CPU, spread over the threads), in torch's arithmetic.

The input is seen as ``N`` images of ``C`` rows of ``L`` elements (``L`` the spatial size).
Each row's sums come from one ``einsum`` over that row, the same bits whatever block holds it
(so for any thread count); each channel's ``N`` row sums are then added in image order. A
per-channel constant enters as a "pattern": the channel vector repeated ``L`` times, one image
long, which a block uses as a contiguous operand broadcast over its images (a ``(C, 1)``
broadcast makes NumPy run one short inner loop per row: 1.57 against 0.73 ms for one multiply
over (64, 64, 32, 32)).

- forward: the channel sums of ``x``, then those of ``(x - mean)**2`` (torch's two passes),
  then ``y = x * alpha + beta`` (torch's form: ``alpha = invstd * w``, ``beta = b - mean *
  alpha``);
- backward: the channel sums of ``g`` and ``(x - mean) * g`` (torch's ``sum`` and ``dotp``),
  then the input gradient ``(g - ((x - mean) * k + sum / n)) * invstd * w`` with
  ``k = dotp * invstd**2 / n``.

Each pass reads the activation once, its intermediates stay in a block-sized scratch array,
and, as torch, the node saves the input itself rather than ``xhat`` (the same memory, one
activation-sized write fewer). The whole-array form before took 7 NumPy passes in the forward
and 7 in the backward, with 2-3 activation-sized temporaries. Figures: docs/speed.md.
"""
from ..._backend import blocks, run_blocks, workspace


class _Plan:
    """``x`` (N, C, *spatial) as ``(N, C*L)`` images, its blocks and per-channel patterns."""
    __slots__ = ('xp', 'N', 'C', 'L', 'blks')

    def __init__(self, xp, x):
        self.xp = xp
        self.N, self.C = x.shape[:2]
        self.L = x.size // (self.N * self.C)
        self.blks = blocks(x, self.N, self.C * self.L, self.L)

    def images(self, a):
        """``a`` as ``(N, C*L)`` (a copy if it is not contiguous)."""
        return a.reshape(self.N, -1)

    def pattern(self, v):
        """The channel vector ``v`` (C,) with each value repeated ``L`` times: (C*L,)."""
        return self.xp.repeat(v, self.L)

    def row_sums(self, a, b=None):
        """Per-row sums of a block ``a`` (k, w), or of ``a * b``: (k, w // L).

        Each row's sum is one call's work on that row alone (the same bits in any block). The
        products' sums of long rows are a batch of dot products (BLAS); one thread, 4M float32
        elements: 0.60 against 0.85 ms for rows of 1024, 0.67 against 0.76 for 256, but 0.98
        against 0.89 for 64 and 3.7 against 1.4 for 16. Up to 8192 only: OpenBLAS splits longer
        dot products over its threads. NumPy's ``matmul`` holds the GIL in this vector form
        (``einsum`` releases it), so two threads' dots run one after the other; an ``einsum``
        form was measured as a wash overall (docs/speed.md)."""
        k, w = a.shape
        L = self.L
        a = a.reshape(k, w // L, L)
        if b is None:
            return self.xp.einsum('nrl->nr', a)
        if 256 <= L <= 8192:
            return self.xp.matmul(a.reshape(-1, 1, L), b.reshape(-1, L, 1)).reshape(a.shape[:2])
        return self.xp.einsum('nrl,nrl->nr', a, b.reshape(a.shape))

    def channel_sums(self, per_row):
        """The (N, C) row sums added over the images, in image order: (C,)."""
        return per_row.sum(0)


def stats(xp, x):
    """The channel means and biased variances (each (C,), ``x``'s dtype) of ``x``."""
    p = _Plan(xp, x)
    xi, L = p.images(x), p.L
    s = xp.empty((p.N, p.C), x.dtype)
    run_blocks(x, lambda i0, i1, c0, c1: s.__setitem__(
        (slice(i0, i1), slice(c0 // L, c1 // L)), p.row_sums(xi[i0:i1, c0:c1])), p.blks)
    n = p.N * L
    mean = p.channel_sums(s) / n
    pm = p.pattern(mean)

    def squares(i0, i1, c0, c1):
        xs = xi[i0:i1, c0:c1]
        t = workspace(x, xs.size, x.dtype).reshape(xs.shape)
        xp.subtract(xs, pm[c0:c1], out=t)
        s[i0:i1, c0 // L:c1 // L] = p.row_sums(t, t)
    run_blocks(x, squares, p.blks)
    return mean, p.channel_sums(s) / n


def affine(xp, x, alpha, beta):
    """``x * alpha + beta`` with per-channel ``alpha`` and ``beta`` (C,)."""
    p = _Plan(xp, x)
    y = xp.empty(x.shape, x.dtype)
    xi, yi = p.images(x), p.images(y)
    pa, pb = p.pattern(alpha), p.pattern(beta)

    def part(i0, i1, c0, c1):
        ys = xp.multiply(xi[i0:i1, c0:c1], pa[c0:c1], out=yi[i0:i1, c0:c1])
        ys += pb[c0:c1]
    run_blocks(x, part, p.blks)
    return y


def grad_sums(xp, x, g, mean, centred=None):
    """torch's ``sum`` and ``dotp``: the channel sums of ``g`` and of ``(x - mean) * g``.
    ``centred``: an array of ``x``'s shape that receives ``x - mean`` (for ``input_grad``)."""
    p = _Plan(xp, x)
    xi, gi, L = p.images(x), p.images(g), p.L
    ci = p.images(centred) if centred is not None else None
    pm = p.pattern(mean)
    s, dp = xp.empty((p.N, p.C), g.dtype), xp.empty((p.N, p.C), g.dtype)

    def part(i0, i1, c0, c1):
        xs, gs = xi[i0:i1, c0:c1], gi[i0:i1, c0:c1]
        r = slice(i0, i1), slice(c0 // L, c1 // L)
        s[r] = p.row_sums(gs)
        t = ci[i0:i1, c0:c1] if ci is not None else \
            workspace(x, xs.size, x.dtype).reshape(xs.shape)
        xp.subtract(xs, pm[c0:c1], out=t)
        dp[r] = p.row_sums(t, gs)
    run_blocks(x, part, p.blks)
    return p.channel_sums(s), p.channel_sums(dp)


def input_grad(xp, centred, g, k, gmean, scale):
    """``(g - (centred * k + gmean)) * scale``, in place in ``centred`` (``x - mean`` from
    ``grad_sums``), with per-channel ``k``, ``gmean`` and ``scale`` (C,)."""
    p = _Plan(xp, centred)
    gi, oi = p.images(g), p.images(centred)
    pk, pc, ps = (p.pattern(v) for v in (k, gmean, scale))

    def part(i0, i1, c0, c1):
        c = slice(c0, c1)
        o = oi[i0:i1, c]
        o *= pk[c]
        o += pc[c]
        xp.subtract(gi[i0:i1, c], o, out=o)
        o *= ps[c]
    run_blocks(centred, part, p.blks)
    return centred
