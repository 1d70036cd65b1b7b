"""``scaled_dot_product_attention``: one fused Node, forward and backward side by side.

Fused rather than composed of matmul/softmax/dropout/matmul because it sits on the hot path of
every transformer step: the composition records five to seven nodes per call, keeps the scores,
the softmax and the dropped-out softmax alive as separate arrays, and its softmax backward
recomputes what this node already has (measured in docs/programs.md). The arithmetic is
torch's reference formula (see ``torch.nn.functional.scaled_dot_product_attention``'s docstring):

    P = softmax(Q K^T * scale + bias)   (rows with every key masked give 0, as torch 2.13 does)
    out = dropout(P) V
"""
import math

from ..._backend import xp
from ..._dtype import scalar_name
from ...autograd.graph import Node
from ...autograd.grad_mode import _enabled
from .._apply import bind, wrap, unbroadcast, raise_if_unbroadcastable
from .activations import _record
from ..linalg.products import _matmul
from ...autograd.graph import saved_tensors
from ...autograd._grad_array import GradArray, DoubleBackwardError

# c10's C++ type names, which torch's SDPA checks print (``attn_mask.dtype: long int``).
_CNAME = {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half', 'int64': 'long int',
          'int32': 'int', 'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char',
          'bool': 'bool', 'complex64': 'c10::complex<float>', 'complex128': 'c10::complex<double>'}


def _cname(dt):
    return _CNAME.get(str(dt), str(dt))


class ScaledDotProductAttention(Node):
    """Inputs: q (..., L, E), k (..., S, E), v (..., S, Ev), optional float ``bias``
    broadcastable to (..., L, S) (a float attn_mask, which gets a gradient).
    ``rep``: grouped-query attention repeats each key/value head ``rep`` times."""

    # The products go through linalg._matmul: NumPy runs a stacked product as one GEMM per
    # (batch, head), and small ones must stay on one BLAS thread (7x the CPU time otherwise).
    def forward(self, q, k, v, bias, scale, causal, dropout_p, rep, gen):
        if rep > 1:
            k = xp.repeat(k, rep, axis=-3)
            v = xp.repeat(v, rep, axis=-3)
        s = _matmul(q, xp.swapaxes(k, -1, -2))
        s *= scale
        if bias is not None:
            s = s + bias if s.shape != xp.broadcast_shapes(s.shape, bias.shape) else \
                xp.add(s, bias, out=s)
        masked = bias is not None
        if causal:
            L, S = s.shape[-2:]
            s[..., ~self.xp.tri(L, S, dtype=bool)] = -xp.inf
            masked = True
        m = s.max(axis=-1, keepdims=True)
        if masked:
            # A row whose keys are all masked has max -inf; torch 2.13 returns 0 for it, not NaN.
            m[m == -xp.inf] = 0
        s -= m
        p = xp.exp(s, out=s)
        tot = p.sum(axis=-1, keepdims=True)
        if masked:
            tot[tot == 0] = 1
        p /= tot
        if dropout_p > 0:
            keep = gen.random(p.shape) >= dropout_p
            drop = keep * self.xp.asarray(1.0 / (1.0 - dropout_p), p.dtype) if dropout_p < 1 else \
                self.xp.zeros(p.shape, p.dtype)
            pd = p * drop
        else:
            drop, pd = None, p
        # bias too (an input when the mask is a float tensor): create_graph recomputes p from it
        self.saved = (q, k, v, p, drop, bias)
        self.scale, self.rep, self.causal = scale, rep, causal
        self.bias_shape = None if bias is None else bias.shape
        return _matmul(pd, v)

    def backward(self, g):
        q, k, v, p, drop, _ = self.saved
        return self._backward(g, q, k, v, p, drop)

    def backward_graphed(self, g):
        """create_graph (torch's math path): the same formula on GradArrays, with the softmax
        ``p`` recomputed from q, k and the mask by differentiable ops (the saved ``p`` would be
        a constant). The flash path refuses, as torch's CPU flash kernel does."""
        q, k, v, p, _, bias = saved_tensors(self)
        drop = self.saved[4]
        if self.rep > 1:
            raise DoubleBackwardError('double backward (create_graph=True) of grouped-query '
                                      'scaled_dot_product_attention is not supported by numtorch')
        s = q.matmul(k.transpose(-1, -2)) * self.scale
        if bias is not None:
            s = s + bias
        dead = (p._data == 0).all(axis=-1, keepdims=True)   # rows with every key masked: 0
        if self.causal:
            L, S = s.shape[-2:]
            s = s.masked_fill(wrap(~self.xp.tri(L, S, dtype=bool)), -math.inf)
        if self.causal or bias is not None:
            s = s.masked_fill(wrap(dead), 0.0)
        w = s.softmax(-1)
        if self.causal or bias is not None:
            w = w.masked_fill(wrap(dead), 0.0)
        res = self._backward(GradArray(g), GradArray(q), GradArray(k), GradArray(v),
                             GradArray(w), drop)
        return tuple(None if r is None else r.t for r in res)

    def _backward(self, g, q, k, v, p, drop):
        ed = self.edges
        pd = p if drop is None else p * drop
        gv = _matmul(xp.swapaxes(pd, -1, -2), g) if ed[2] is not None else None
        gp = _matmul(g, xp.swapaxes(v, -1, -2))
        if drop is not None:
            gp *= drop
        # softmax backward: dS = P * (dP - rowsum(dP * P))
        gp -= (gp * p).sum(axis=-1, keepdims=True)
        gp *= p
        gbias = unbroadcast(gp, self.bias_shape) if len(ed) > 3 and ed[3] is not None else None
        gp *= self.scale
        gq = unbroadcast(_matmul(gp, k), q.shape) if ed[0] is not None else None
        gk = _matmul(xp.swapaxes(gp, -1, -2), q) if ed[1] is not None else None
        if self.rep > 1:
            gk = None if gk is None else _fold_heads(gk, self.rep)
            gv = None if gv is None else _fold_heads(gv, self.rep)
        gk = None if gk is None else unbroadcast(gk, self._k_shape)
        gv = None if gv is None else unbroadcast(gv, self._v_shape)
        return (gq, gk, gv) if len(ed) == 3 else (gq, gk, gv, gbias)

    _k_shape = None
    _v_shape = None


_FLASH_GRADGRAD = ('derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is '
                   'not implemented')


def _fold_heads(g, rep):
    """Sum the gradient of ``repeat(x, rep, axis=-3)`` back onto ``x``'s heads."""
    sh = g.shape
    return g.reshape(sh[:-3] + (sh[-3] // rep, rep) + sh[-2:]).sum(axis=-3)


def _check(q, k, v, attn_mask, dropout_p, is_causal, enable_gqa):
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f'Expected query, key, and value to all be  at least 2 dimensional, but '
                           f'got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} '
                           f'instead.')
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(f'Expected query, key, and value to have the same dtype, but got '
                           f'query.dtype: {_cname(q.dtype)} key.dtype: {_cname(k.dtype)} and '
                           f'value.dtype: {_cname(v.dtype)} instead.')
    if q.dtype.kind != 'f':
        raise RuntimeError(f'expected scalar type Float but found {scalar_name(q.dtype)}')
    if attn_mask is not None:
        md = attn_mask._data.dtype
        if md.kind != 'b' and md != xp.float32 and md != q.dtype:
            raise RuntimeError(f'Expected attn_mask dtype to be bool or float or to match query '
                               f'dtype, but got attn_mask.dtype: {_cname(md)} and  query.dtype: '
                               f'{_cname(q.dtype)} instead.')
        if is_causal:
            raise RuntimeError('_scaled_dot_product_attention: Explicit attn_mask should not be '
                               'set when is_causal=True')
    if dropout_p > 1 or dropout_p < 0:
        raise RuntimeError(f'dropout probability has to be between 0 and 1, but got {dropout_p}')
    rep = 1
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and v.ndim >= 3 and \
            (q.shape[-3] != k.shape[-3] or q.shape[-3] != v.shape[-3]):
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hk != hv or hq % hk:
            # torch's own message stops there (sic).
            raise RuntimeError('Number of heads in key and value must divide the number of heads in ')
        rep = hq // hk
    qb, kb, vb = q.shape[:-2], k.shape[:-2], v.shape[:-2]
    if k.shape[-1] != q.shape[-1]:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{math.prod(qb)}, {q.shape[-1]}] but got: '
                           f'[{math.prod(kb) * rep}, {k.shape[-1]}].')
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{math.prod(qb)}, {k.shape[-2]}] but got: '
                           f'[{math.prod(vb) * rep}, {v.shape[-2]}].')
    kb_rep = kb[:-1] + (kb[-1] * rep,) if rep > 1 else kb
    raise_if_unbroadcastable(qb, kb_rep, vb[:-1] + (vb[-1] * rep,) if rep > 1 else vb)
    return rep


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, *, scale=None, enable_gqa=False):
    """``softmax(query @ key.mT * scale + mask) @ value`` over the last two dims, with optional
    dropout on the attention weights (always applied when ``dropout_p > 0``, as torch).

    ``attn_mask``: bool (True = take part) or float (added to the scores), broadcastable to
    ``(..., L, S)``; ``is_causal``: a lower-triangular mask (top-left aligned); ``scale``
    defaults to ``1/sqrt(E)``; ``enable_gqa``: key/value may have fewer heads (dim -3).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> q = numtorch.ones(1, 2, 3, 4)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    torch.Size([1, 2, 3, 4])
    """
    q, k, v = query._data, key._data, value._data
    rep = _check(q, k, v, attn_mask, dropout_p, is_causal, enable_gqa)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    bias, bias_t = None, None
    if attn_mask is not None:
        m = attn_mask._data
        sshape = xp.broadcast_shapes(q.shape[:-2], k.shape[:-3] + (k.shape[-3] * rep,) if k.ndim > 2
                                     else ()) + (q.shape[-2], k.shape[-2])
        raise_if_unbroadcastable(sshape, m.shape)
        if m.dtype.kind == 'b':
            bias = xp.where(m, xp.asarray(0, q.dtype), xp.asarray(-xp.inf, q.dtype))
        else:
            bias = m.astype(q.dtype, copy=False)
            bias_t = attn_mask
    from ...random import default_generator
    node = ScaledDotProductAttention()
    node._k_shape, node._v_shape = k.shape, v.shape
    bind(node, q)
    out = wrap(node.forward(q, k, v, bias, scale, is_causal, float(dropout_p), rep,
                            default_generator._np if dropout_p > 0 else None))
    if not _enabled[0]:
        return out
    # torch's name tells which kernel ran: the CPU flash kernel (4-D, equal batch dims, no
    # dropout, equal head dims) or the composite math path.
    flash = q.ndim == 4 and dropout_p == 0 and v.shape[-1] == q.shape[-1] and \
        (q.shape[:-2] == k.shape[:-2] or rep > 1)
    node._name = 'ScaledDotProductFlashAttentionForCpuBackward0' if flash else \
        ('MmBackward0' if q.ndim == 2 else 'UnsafeViewBackward0')
    if flash:
        node.double_backward_error = _FLASH_GRADGRAD
    ins = (query, key, value) if bias_t is None else (query, key, value, bias_t)
    return _record(node, out, ins)


__all__ = []
