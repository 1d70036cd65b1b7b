"""The time loop of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``: one Node per layer and direction.

Why fused: composed of small ops, one LSTM step records ~12 nodes, so a 64-step, 2-layer
training step builds and walks ~1,500 nodes and keeps every intermediate alive. Here the input
projection ``x @ W_ih.T + b_ih`` for *all* time steps is one ordinary ``linear`` (one big matmul,
its backward gives ``dx``/``dW_ih``/``db_ih``); only the part that must run step by step, ``h @
W_hh.T`` and the gate arithmetic, lives in the Node below, whose backward is the matching reverse
loop followed by one big matmul for ``dW_hh``.

Layout. Time steps are stored as torch's packed layout: a 2-D ``(N, features)`` array whose
step ``t`` is rows ``offset[t] : offset[t] + batch_sizes[t]``, batch sizes non-increasing. A
padded ``(T, B, F)`` input is the special case ``batch_sizes = [B] * T``. A sequence that has
ended simply stops being updated, so the state rows left at the end are each sequence's final
state (``h_n``), as torch returns them; the reverse direction walks the steps backwards and a row
joins with its initial state when its sequence begins.

Gate order and formulas are torch's (``nn.LSTM``/``nn.GRU`` docs): LSTM rows ``[i, f, g, o]``,
GRU rows ``[r, z, n]`` with ``n = tanh(x_n + b_in + r * (h W_hn + b_hn))``.
"""
from ..._backend import xp
from ...autograd.graph import Node, connect
from ...autograd.grad_mode import _enabled
from .._apply import bind, wrap
from ..._threads import blas_threads


def _sigmoid_(a):
    """In-place logistic function, as ``(tanh(a/2) + 1) / 2``: no overflow for large ``|a|``."""
    a *= 0.5
    xp.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


def _steps(batch_sizes, reverse):
    """``[(start_row, batch_size)]`` in the order the recurrence visits the time steps."""
    steps, s = [], 0
    for b in batch_sizes:
        steps.append((s, b))
        s += b
    return steps[::-1] if reverse else steps


class _Recurrence(Node):
    """Shared frame: inputs ``(xg, h0, c0, w_hh, b_hh, w_hr)`` (``c0``/``w_hr`` LSTM only, may be
    None), outputs ``(out, h_n[, c_n])``. ``xg`` already holds ``x @ W_ih.T + b_ih``."""

    # The backward loop reads the saved gate activations, which depend on every input: a
    # create_graph pass would treat them as constants. So a second derivative through the
    # fused loop is refused (when a second backward reaches it; first-order results of a
    # create_graph pass are still given). torch's composite CPU LSTM can do it; numtorch not yet.
    double_backward_error = ("double backward (create_graph=True) through numtorch's fused "
                             'recurrent layers (nn.RNN, nn.LSTM, nn.GRU) is not supported')

    def __init__(self, steps):
        self.steps = steps


class LSTMRecurrence(_Recurrence):
    _name = 'LstmBackward0'

    def forward(self, xg, h0, c0, w_hh, b_hh, w_hr):
        N, G = xg.shape
        H = G // 4
        P = h0.shape[1]
        dt = xg.dtype
        xgb = xg + b_hh if b_hh is not None else xg     # b_hh added once for all steps
        acts = self.xp.empty((N, G), dt)       # activated gates i, f, g, o
        cprev = self.xp.empty((N, H), dt)
        tcs = self.xp.empty((N, H), dt)        # tanh(c_t)
        hprev = self.xp.empty((N, P), dt)
        out = self.xp.empty((N, P), dt)
        h, c = h0.copy(), c0.copy()
        whhT, whrT = w_hh.T, (w_hr.T if w_hr is not None else None)
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in self.steps:
                e = s + b
                hp = h[:b]
                hprev[s:e] = hp
                g = acts[s:e]
                xp.matmul(hp, whhT, out=g)
                g += xgb[s:e]
                tg = xp.tanh(g[:, 2 * H:3 * H])
                _sigmoid_(g)
                g[:, 2 * H:3 * H] = tg
                cp = c[:b]
                cprev[s:e] = cp
                cn = g[:, H:2 * H] * cp
                cn += g[:, :H] * tg
                c[:b] = cn
                tc = tcs[s:e]
                xp.tanh(cn, out=tc)
                hn = g[:, 3 * H:] * tc
                if whrT is not None:
                    hn = hn @ whrT
                out[s:e] = hn
                h[:b] = hn
        self.saved = (acts, cprev, tcs, hprev, w_hh, w_hr) if w_hr is not None else \
            (acts, cprev, tcs, hprev, w_hh)
        self.has_bias = b_hh is not None
        return out, h, c

    def backward(self, dout, dhn, dcn):
        acts, cprev, tcs, hprev, w_hh, *w_hr = self.saved
        w_hr = w_hr[0] if w_hr else None
        N, G = acts.shape
        H = G // 4
        # Derivatives that do not depend on the recurrence, for all steps at once.
        dact = acts * (1 - acts)                                  # sigmoid'
        gg = acts[:, 2 * H:3 * H]
        dact[:, 2 * H:3 * H] = 1 - gg * gg                        # tanh'
        dtc = acts[:, 3 * H:] * (1 - tcs * tcs)                   # d h / d c = o * tanh'(c)
        dG = self.xp.empty_like(acts)
        dhp = self.xp.empty_like(hprev) if w_hr is not None else None   # grads of projected h
        dh, dc = dhn.copy(), dcn.copy()
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in reversed(self.steps):
                e = s + b
                dhb = dh[:b] + dout[s:e]
                if w_hr is not None:
                    dhp[s:e] = dhb
                    dhb = dhb @ w_hr          # through the projection h = (o * tanh c) @ W_hr.T
                dcb = dc[:b] + dhb * dtc[s:e]
                a = acts[s:e]
                d = dG[s:e]
                xp.multiply(dcb, a[:, 2 * H:3 * H], out=d[:, :H])
                xp.multiply(dcb, cprev[s:e], out=d[:, H:2 * H])
                xp.multiply(dcb, a[:, :H], out=d[:, 2 * H:3 * H])
                xp.multiply(dhb, tcs[s:e], out=d[:, 3 * H:])
                d *= dact[s:e]
                dc[:b] = dcb * a[:, H:2 * H]
                xp.matmul(d, w_hh, out=dh[:b])
        ed = self.edges
        gw_hh = dG.T @ hprev if ed[3] is not None else None
        gb_hh = dG.sum(0) if self.has_bias and ed[4] is not None else None
        gw_hr = None
        if w_hr is not None and ed[5] is not None:
            gw_hr = dhp.T @ (acts[:, 3 * H:] * tcs)
        return dG, dh, dc, gw_hh, gb_hh, gw_hr


class GRURecurrence(_Recurrence):
    _name = 'GruBackward0'

    def forward(self, xg, h0, c0, w_hh, b_hh, w_hr):
        N, G = xg.shape
        H = G // 3
        dt = xg.dtype
        acts = self.xp.empty((N, G), dt)       # r, z, n
        ghn = self.xp.empty((N, H), dt)        # h W_hn^T + b_hn (r multiplies it)
        hprev = self.xp.empty((N, H), dt)
        out = self.xp.empty((N, H), dt)
        h = h0.copy()
        whhT = w_hh.T
        gh = None
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in self.steps:
                e = s + b
                hp = h[:b]
                hprev[s:e] = hp
                gh = hp @ whhT
                if b_hh is not None:
                    gh += b_hh
                a = acts[s:e]
                rz = a[:, :2 * H]
                xp.add(xg[s:e, :2 * H], gh[:, :2 * H], out=rz)
                _sigmoid_(rz)
                n = a[:, 2 * H:]
                ghn[s:e] = gh[:, 2 * H:]
                xp.multiply(a[:, :H], gh[:, 2 * H:], out=n)
                n += xg[s:e, 2 * H:]
                xp.tanh(n, out=n)
                hn = hp - n                   # h' = (1 - z) n + z h = n + z (h - n)
                hn *= a[:, H:2 * H]
                hn += n
                out[s:e] = hn
                h[:b] = hn
        self.saved = (acts, ghn, hprev, w_hh)
        self.has_bias = b_hh is not None
        return out, h

    def backward(self, dout, dhn):
        acts, ghn, hprev, w_hh = self.saved
        N, G = acts.shape
        H = G // 3
        r, z, n = acts[:, :H], acts[:, H:2 * H], acts[:, 2 * H:]
        # Per-element factors that do not depend on the recurrence, for all steps at once.
        fn = (1 - z) * (1 - n * n)            # d h'/d (n's pre-activation)
        fz = (hprev - n) * z * (1 - z)        # d h'/d (z's pre-activation)
        fr = ghn * r * (1 - r)                # d (n's pre-activation)/d (r's pre-activation)
        dX = self.xp.empty_like(acts)              # grads of xg (= of the gates' pre-activations)
        dGh = self.xp.empty_like(acts)             # grads of h W_hh^T + b_hh
        dh = dhn.copy()
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in reversed(self.steps):
                e = s + b
                dhb = dh[:b] + dout[s:e]
                d = dX[s:e]
                xp.multiply(dhb, fn[s:e], out=d[:, 2 * H:])
                xp.multiply(dhb, fz[s:e], out=d[:, H:2 * H])
                xp.multiply(d[:, 2 * H:], fr[s:e], out=d[:, :H])
                dg = dGh[s:e]
                dg[:, :2 * H] = d[:, :2 * H]
                xp.multiply(d[:, 2 * H:], r[s:e], out=dg[:, 2 * H:])
                dhb *= z[s:e]
                dhb += dg @ w_hh
                dh[:b] = dhb
        ed = self.edges
        gw_hh = dGh.T @ hprev if ed[3] is not None else None
        gb_hh = dGh.sum(0) if self.has_bias and ed[4] is not None else None
        return dX, dh, None, gw_hh, gb_hh, None


class RNNRecurrence(_Recurrence):
    """Elman RNN, ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with tanh or relu."""

    def __init__(self, steps, relu=False):
        self.steps = steps
        self.relu = relu
        self._name = 'RnnReluBackward0' if relu else 'RnnTanhBackward0'

    def forward(self, xg, h0, c0, w_hh, b_hh, w_hr):
        xgb = xg + b_hh if b_hh is not None else xg
        out = self.xp.empty_like(xgb)
        hprev = self.xp.empty_like(xgb)
        h = h0.copy()
        whhT = w_hh.T
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in self.steps:
                e = s + b
                hp = h[:b]
                hprev[s:e] = hp
                a = out[s:e]
                xp.matmul(hp, whhT, out=a)
                a += xgb[s:e]
                if self.relu:
                    xp.maximum(a, 0, out=a)
                else:
                    xp.tanh(a, out=a)
                h[:b] = a
        self.saved = (out, hprev, w_hh)
        self.has_bias = b_hh is not None
        return out, h

    def backward(self, dout, dhn):
        out, hprev, w_hh = self.saved
        fa = (out > 0).astype(out.dtype) if self.relu else 1 - out * out
        dA = self.xp.empty_like(out)
        dh = dhn.copy()
        with blas_threads(1):   # small per-step matmuls: threads only wait
            for s, b in reversed(self.steps):
                e = s + b
                d = dA[s:e]
                xp.add(dh[:b], dout[s:e], out=d)
                d *= fa[s:e]
                xp.matmul(d, w_hh, out=dh[:b])
        ed = self.edges
        gw_hh = dA.T @ hprev if ed[3] is not None else None
        gb_hh = dA.sum(0) if self.has_bias and ed[4] is not None else None
        return dA, dh, None, gw_hh, gb_hh, None


_MODES = {'LSTM': LSTMRecurrence, 'GRU': GRURecurrence}


def recurrence(mode, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse=False):
    """Run one layer-direction of ``mode`` over packed-layout gate inputs ``xg`` (``(N, G)``,
    already ``x @ W_ih.T + b_ih``) from state ``h0`` (``(B, P)``; ``c0`` for LSTM).

    Returns Tensors ``(out (N, P), h_n (B, P))`` plus ``c_n`` for LSTM. Differentiable in every
    Tensor argument. ``batch_sizes`` is a list of ints (rows per time step).

    >>> import numtorch
    >>> from numtorch._ops.nn.recurrent import recurrence
    >>> xg, h0 = numtorch.zeros(6, 2), numtorch.zeros(2, 2)
    >>> out, hn = recurrence('RNN_TANH', xg, h0, None, numtorch.eye(2), None, None, [2, 2, 2])
    >>> out.shape, hn.shape
    (torch.Size([6, 2]), torch.Size([2, 2]))
    """
    steps = _steps(batch_sizes, reverse)
    if mode.startswith('RNN'):
        node = RNNRecurrence(steps, relu=mode == 'RNN_RELU')
    else:
        node = _MODES[mode](steps)
    bind(node, xg._data)
    outs = node.forward(xg._data, h0._data, None if c0 is None else c0._data, w_hh._data,
                        None if b_hh is None else b_hh._data, None if w_hr is None else w_hr._data)
    outs = tuple(wrap(o) for o in outs)
    if _enabled[0]:
        inputs = (xg, h0, c0, w_hh, b_hh, w_hr)
        for t in inputs:
            if t is not None and t._requires_grad:
                connect(node, outs, inputs)
                break
    return outs
