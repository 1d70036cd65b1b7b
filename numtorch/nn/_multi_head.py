"""``F.multi_head_attention_forward`` and its mask helpers, composed of differentiable ops.

Follows torch's reference path step by step (projection, mask canonicalisation and merging,
bias_k/bias_v, zero attention, the weights path through bmm + softmax, the fast path through
``scaled_dot_product_attention``), so the numbers, the NaN rows of fully masked queries in the
weights path and the error messages are torch's. Only the attention itself is a fused node.
"""
import math
import warnings

from .. import _creation
from .._ops.nn.activations import linear, softmax, dropout
from .._ops.nn.attention import scaled_dot_product_attention
from .._ops.linalg import products as _linalg


def _is_float(t):
    return t._data.dtype.kind == 'f'


def _none_or_dtype(input):
    """The dtype of ``input``, or None for None."""
    if input is None:
        return None
    if hasattr(input, '_data'):
        return input.dtype
    raise RuntimeError('input to _none_or_dtype() must be None or torch.Tensor')


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) becomes an additive float mask (-inf where masked) of
    ``target_type``; a float mask passes unchanged; anything else is refused."""
    if mask is None:
        return None
    is_float = _is_float(mask)
    if mask._data.dtype.kind != 'b' and not is_float:
        raise AssertionError(f'only bool and floating types of {mask_name} are supported')
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f'Support for mismatched {mask_name} and {other_name} is deprecated. Use same '
                      f'type for both instead.', stacklevel=3)
    if not is_float:
        mask = _creation.zeros_like(mask, dtype=target_type).masked_fill_(mask, float('-inf'))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) inputs, False for unbatched (2-D); torch's AssertionErrors else."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f'For batched (3-D) `query`, expected `key` and `value` to be 3-D '
                                 f'but found {key.dim()}-D and {value.dim()}-D tensors respectively')
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f'For batched (3-D) `query`, expected `key_padding_mask` to be '
                                 f'`None` or 2-D but found {key_padding_mask.dim()}-D tensor instead')
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f'For batched (3-D) `query`, expected `attn_mask` to be `None`, '
                                 f'2-D or 3-D but found {attn_mask.dim()}-D tensor instead')
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f'For unbatched (2-D) `query`, expected `key` and `value` to be '
                                 f'2-D but found {key.dim()}-D and {value.dim()}-D tensors '
                                 f'respectively')
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f'For unbatched (2-D) `query`, expected `key_padding_mask` to be '
                                 f'`None` or 1-D but found {key_padding_mask.dim()}-D tensor '
                                 f'instead')
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f'For unbatched (2-D) `query`, expected `attn_mask` to be '
                                     f'`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor '
                                     f'instead')
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f'Expected `attn_mask` shape to be {expected} but got '
                                     f'{attn_mask.shape}')
        return False
    raise AssertionError(f'query should be unbatched 2D or batched 3D tensor but received '
                         f'{query.dim()}-D query tensor')


def _in_projection_packed(q, k, v, w, b=None):
    """Project q, k, v with one packed ``(3E, E)`` weight (one matmul for self-attention)."""
    E = q.size(-1)
    if k is v and q is k:
        # One product; the three (.., E) pieces are views of it.
        proj = linear(q, w, b).unflatten(-1, (3, E))
        return proj[..., 0, :], proj[..., 1, :], proj[..., 2, :]
    if k is v:
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, E))
        return linear(q, w_q, b_q), kv[..., 0, :], kv[..., 1, :]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """Project q, k, v with separate weights (``kdim``/``vdim`` differ from ``embed_dim``)."""
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention over (L, N, E) query and (S, N, E) key/value (2-D: unbatched).
    Returns ``(output, weights or None)``; see ``nn.MultiheadAttention``.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> x = numtorch.ones(3, 1, 4)
    >>> w, b = numtorch.ones(12, 4), numtorch.zeros(12)
    >>> out, wts = F.multi_head_attention_forward(x, x, x, 4, 2, w, b, None, None, False, 0.0,
    ...                                           numtorch.ones(4, 4), numtorch.zeros(4))
    >>> out.shape, wts.shape
    (torch.Size([3, 1, 4]), torch.Size([1, 3, 3]))
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, 'key_padding_mask',
                                       _none_or_dtype(attn_mask), 'attn_mask', query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError('Need attn_mask if specifying the is_causal hint. You may use the '
                           'Transformer module method `generate_square_subsequent_mask` to create '
                           'this mask.')
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None   # the hint alone drives the attention
    else:
        attn_mask = _canonical_mask(attn_mask, 'attn_mask', None, '', query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False   # merged with the padding mask it is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f'was expecting embedding dimension of {embed_dim_to_check}, but got '
                             f'{embed_dim}')
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f'embed_dim {embed_dim} not divisible by num_heads {num_heads}')
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f'key shape {key.shape} does not match value shape {value.shape}')

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError('use_separate_proj_weight is False but in_proj_weight is None')
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (('q', q_proj_weight), ('k', k_proj_weight), ('v', v_proj_weight)):
            if w is None:
                raise AssertionError(f'use_separate_proj_weight is True but {name}_proj_weight is '
                                     f'None')
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight,
                                 b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f'The shape of the 2D attn_mask is {attn_mask.shape}, but should '
                                   f'be {(tgt_len, src_len)}.')
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f'The shape of the 3D attn_mask is {attn_mask.shape}, but should '
                                   f'be {(bsz * num_heads, tgt_len, src_len)}.')
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    from .functional import pad
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError('bias cannot be added to static key.')
        if static_v is not None:
            raise AssertionError('bias cannot be added to static value.')
        k = _creation_cat([k, bias_k.repeat(1, bsz, 1)])
        v = _creation_cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError('bias_k is set but bias_v is None')
    elif bias_v is not None:
        raise AssertionError('bias_v is set but bias_k is None')

    # (L, N, E) -> (N * H, L, head_dim): batch-major, one row block per (sample, head).
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static(static_k, k, bsz * num_heads, head_dim, 'static_k')
    v = _static(static_v, v, bsz * num_heads, head_dim, 'static_v')

    if add_zero_attn:
        zeros = _creation.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = _creation_cat([k, zeros], dim=1)
        v = _creation_cat([v, zeros], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.size(1)

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f'Expected key_padded_mask.shape[0] to be {bsz}, but got '
                                 f'{key_padding_mask.shape[0]}')
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f'Expected key_padded_mask.shape[1] to be {src_len}, but got '
                                 f'{key_padding_mask.shape[1]}')
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len) \
            .expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        E = q.shape[-1]
        q_scaled = q * math.sqrt(1.0 / float(E))
        if is_causal and attn_mask is None:
            raise AssertionError('FIXME: is_causal not implemented for need_weights')
        kt = k.transpose(-2, -1)
        if attn_mask is not None:
            w = _linalg.baddbmm(attn_mask.expand(bsz * num_heads, tgt_len, src_len), q_scaled, kt)
        else:
            w = _linalg.bmm(q_scaled, kt)
        w = softmax(w, dim=-1)
        if dropout_p > 0.0:
            w = dropout(w, p=dropout_p)
        out = _linalg.bmm(w, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
        w = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(dim=1)
        if not is_batched:
            out, w = out.squeeze(1), w.squeeze(0)
        return out, w

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _creation_cat(tensors, dim=0):
    from .._ops.shape.join import cat
    return cat(tensors, dim)


def _static(static, x, rows, head_dim, name):
    """Reshape projected keys/values to (N * H, S, head_dim), or take the caller's ``static_*``."""
    if static is None:
        return x.reshape(x.shape[0], rows, head_dim).transpose(0, 1)
    if static.size(0) != rows:
        raise AssertionError(f'expecting {name}.size(0) of {rows}, but got {static.size(0)}')
    if static.size(2) != head_dim:
        raise AssertionError(f'expecting {name}.size(2) of {head_dim}, but got {static.size(2)}')
    return static
