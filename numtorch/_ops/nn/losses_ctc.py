"""``ctc_loss``: Connectionist Temporal Classification (Graves et al., 2006), one node.

Forward runs the alpha recursion over the blank-extended label sequence in log space, batched
over samples (ragged input and target lengths are masks); backward runs the beta recursion and
writes torch's gradient ``exp(lp) - exp(log(sum alpha*beta) + nll - lp)`` — the form torch's
native kernel returns, which is the true gradient once it flows back through the
``log_softmax`` that produced ``log_probs`` (the ``exp(lp)`` term cancels there).
"""

from ..._backend import xp, namespace, device_of, to_host, to_device
from ...autograd.graph import Node
from .._apply import nary, wrap
from .losses import _reduction

_NEG = -xp.inf


def _lse(*xs):
    """Elementwise log(sum(exp)) of equally-shaped arrays, -inf safe."""
    m = xs[0]
    for x in xs[1:]:
        m = xp.maximum(m, x)
    mm = xp.where(xp.isfinite(m), m, 0)
    s = sum(xp.exp(x - mm) for x in xs)
    with xp.errstate(divide='ignore'):
        return xp.log(s) + mm


def _shift(a, k):
    """``a`` shifted right by ``k`` along the last axis, filled with -inf."""
    out = xp.full_like(a, _NEG)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


class CtcLoss(Node):
    _name = 'CtcLossBackward0'
    # torch's CTC gradient kernel is not differentiable again
    double_backward_error = 'derivative for aten::_ctc_loss_backward is not implemented'

    def forward(self, arrays, ext, in_len, S_len, blank, zero_infinity):
        lp, = arrays                                   # (T, N, C)
        T, N, C = lp.shape
        S = ext.shape[1]
        n = self.xp.arange(N)
        lpe = lp[:, n[:, None], ext]                   # (T, N, S): log-prob of each ext label
        # alpha[s] may also come from s-2 when label s is not blank and differs from s-2.
        skip = self.xp.zeros((N, S), bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        valid = self.xp.arange(S)[None] < S_len[:, None]
        alpha = self.xp.full((T, N, S), _NEG, lp.dtype)
        alpha[0, :, 0] = lpe[0, :, 0]
        alpha[0, :, 1] = xp.where(S_len > 1, lpe[0, :, 1], _NEG)
        for t in range(1, T):
            a = alpha[t - 1]
            a2 = xp.where(skip, _shift(a, 2), _NEG)
            alpha[t] = xp.where(valid, lpe[t] + _lse(a, _shift(a, 1), a2), _NEG)
        last = alpha[in_len - 1, n]                    # (N, S)
        end1 = last[n, S_len - 1]
        end2 = xp.where(S_len > 1, last[n, xp.maximum(S_len - 2, 0)], _NEG)
        nll = -_lse(end1, end2)
        self.saved = (lp, lpe, alpha, nll)
        self.meta = ext, in_len, S_len, skip, valid, zero_infinity
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll)
        return nll

    def backward(self, g):
        lp, lpe, alpha, nll = self.saved
        ext, in_len, S_len, skip, valid, zero_inf = self.meta
        T, N, C = lp.shape
        S = ext.shape[1]
        n = self.xp.arange(N)
        beta = self.xp.full((T, N, S), _NEG, lp.dtype)
        skip_next = self.xp.zeros((N, S), bool)     # beta[s] may come from s+2
        skip_next[:, :-2] = skip[:, 2:]
        for t in range(T - 1, -1, -1):
            init = in_len - 1 == t
            b = self.xp.full((N, S), _NEG, lp.dtype)
            b[n, S_len - 1] = lpe[t, n, S_len - 1]
            two = S_len > 1            # (a mask, not a boolean index: no data-sized shapes)
            i2 = xp.maximum(S_len - 2, 0)
            b[n, i2] = xp.where(two, lpe[t, n, i2], b[n, i2])
            if t < T - 1:
                nb = beta[t + 1]
                up1 = self.xp.full((N, S), _NEG, lp.dtype)
                up1[:, :-1] = nb[:, 1:]
                up2 = self.xp.full((N, S), _NEG, lp.dtype)
                up2[:, :-2] = nb[:, 2:]
                rec = xp.where(valid, lpe[t] + _lse(nb, up1, xp.where(skip_next, up2, _NEG)), _NEG)
            else:
                rec = self.xp.full((N, S), _NEG, lp.dtype)
            beta[t] = xp.where(init[:, None], b, xp.where((t < in_len - 1)[:, None], rec, _NEG))
        ab = alpha + beta                               # (T, N, S)
        # log sum over the ext positions carrying each class: scatter-logsumexp via exp.
        m = xp.max(xp.where(xp.isfinite(ab), ab, -xp.inf), axis=2, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        acc = self.xp.zeros((T, N, C), lp.dtype)
        e = xp.exp(ab - m)
        tt, nn_ = xp.meshgrid(self.xp.arange(T), n, indexing='ij')
        for s in range(S):
            xp.add.at(acc, (tt, nn_, xp.broadcast_to(ext[:, s], (T, N))), e[:, :, s])
        with xp.errstate(divide='ignore', invalid='ignore'):
            lcab = xp.log(acc) + m
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        live = self.xp.arange(T)[:, None] < in_len[None, :]
        grad = xp.where(live[:, :, None], grad, 0)
        if zero_inf:
            grad = xp.where(xp.isinf(nll)[None, :, None], 0, grad)
        grad = xp.nan_to_num(grad, nan=0.0) if zero_inf else grad
        return (grad * g[None, :, None],)


def _lengths(x, name):
    """Lengths on the host, as torch reads them (its CUDA kernel takes them as an int list:
    a sync there too); a list or a tensor on any device."""
    a = x._data if hasattr(x, '_data') else x
    if a.__class__ is list or a.__class__ is tuple or a.__class__ is int:
        return xp.asarray(a, dtype=xp.int64).reshape(-1)
    return to_host(a).astype(xp.int64).reshape(-1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
             zero_infinity=False):
    """CTC loss of ``log_probs`` ``(T, N, C)`` (log-softmax outputs; or ``(T, C)``) against
    ``targets`` (padded ``(N, S)`` or concatenated 1-D) with per-sample lengths.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> lp = numtorch.zeros(3, 1, 2).log_softmax(2)
    >>> F.ctc_loss(lp, numtorch.tensor([[1]]), [3], [1], reduction='sum')
    tensor(0.2877)
    """
    reduction = _reduction(reduction)
    unbatched = log_probs.dim() == 2
    lpt = log_probs.unsqueeze(1) if unbatched else log_probs
    if lpt.dim() != 3:
        raise RuntimeError(f'ctc_loss: expected log_probs to be 2-D or 3-D, got '
                           f'{log_probs.dim()}-D')
    T, N, C = lpt.shape
    in_len = _lengths(input_lengths, 'input_lengths')
    tg_len = _lengths(target_lengths, 'target_lengths')
    if len(in_len) != N:
        raise RuntimeError(f'input_lengths must be of size batch_size')
    if len(tg_len) != N:
        raise RuntimeError(f'target_lengths must be of size batch_size')
    if (in_len > T).any():
        v = int(in_len.max())
        raise RuntimeError(f'Expected input_lengths to have value at most {T}, but got value {v} '
                           f'(while checking arguments for ctc_loss_allocate_outputs)')
    if not 0 <= blank < C:
        raise RuntimeError('blank must be in label range')
    # Targets join log_probs' device (torch moves CPU targets there "as a service"); the
    # extended label table is built there too, sliced by the host lengths.
    lpd = lpt._data
    ns = namespace(lpd)
    tg = to_device(targets._data, device_of(lpd)).astype(xp.int64)
    if unbatched:
        tg = tg.reshape(1, -1)
    L = int(tg_len.max()) if N else 0
    lab = ns.zeros((N, max(L, 1)), xp.int64)
    if tg.ndim == 1:     # concatenated targets
        starts = xp.concatenate([[0], xp.cumsum(tg_len)[:-1]])
        for i in range(N):
            lab[i, :tg_len[i]] = tg[starts[i]:starts[i] + tg_len[i]]
    else:
        if (tg_len > tg.shape[1]).any():
            raise RuntimeError(f'Expected tensor to have size at least {int(tg_len.max())} at '
                               f'dimension 1, but got size {tg.shape[1]} for argument #2 '
                               f"'targets' (while checking arguments for ctc_loss_cpu)")
        lab[:, :min(L, tg.shape[1])] = tg[:, :max(L, 1)][:, :min(L, tg.shape[1])]
    S = 2 * max(L, 1) + 1
    ext = ns.full((N, S), blank, xp.int64)
    ext[:, 1::2] = lab
    in_len, tg_len = ns.asarray(in_len), ns.asarray(tg_len)   # the kernel's copies (no-op on CPU)
    nll = nary(CtcLoss, [lpt], ext, in_len, 2 * tg_len + 1, int(blank), bool(zero_infinity))
    if unbatched:
        nll = nll.squeeze(0)
    if reduction == 'none':
        return nll
    if reduction == 'sum':
        return nll.sum()
    div = wrap(xp.maximum(tg_len, 1).astype(log_probs._data.dtype))
    return (nll / (div if not unbatched else div[0])).mean()


__all__ = []
