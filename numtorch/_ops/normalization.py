"""Normalization layers' ops: ``batch_norm``, ``layer_norm``, ``group_norm``; and ``embedding``.

The three norms share one fused backward. Composed from mean/sub/mul/rsqrt nodes, backward would
take ~10 passes over the activation and keep several full-size temporaries alive; the closed form
(torch's native_batch_norm_backward)

    gx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat)),    gy = g * weight

needs two reductions and one elementwise pass, and saves only ``xhat`` and ``invstd``.
"""
from .._backend import xp
from .._dtype import scalar_name, tensor_type_name
from ..autograd.graph import Node
from ._apply import nary, wrap


def _shape_str(s):
    return '[' + ', '.join(map(str, s)) + ']'


def _cname(a):
    return scalar_name(a.dtype)


def _norm_backward(gy, xhat, invstd, axes):
    """The fused normalization backward above; ``axes`` are the axes the statistics reduce."""
    n = 1
    for a in axes:
        n *= gy.shape[a]
    mg = gy.sum(axes, keepdims=True) / n
    mgx = (gy * xhat).sum(axes, keepdims=True) / n
    return (gy - mg - xhat * mgx) * invstd


def _affine_grads(node, g, xhat, red_axes, shape):
    """Gradients of ``weight`` / ``bias`` (sums of ``g * xhat`` / ``g``), if they are wanted."""
    nf = node.edges
    has_w, has_b = node.flags
    out = []
    if has_w:
        out.append((g * xhat).sum(red_axes).reshape(shape) if nf[1] is not None else None)
    if has_b:
        out.append(g.sum(red_axes).reshape(shape) if nf[1 + has_w] is not None else None)
    return out


def _unpack(node, arrays, flags):
    """``(x, weight or None, bias or None)`` from a norm's packed inputs; the node keeps
    ``flags`` (which of weight and bias were given) for ``_affine_grads``."""
    has_w, has_b = node.flags = flags
    return arrays[0], arrays[1] if has_w else None, arrays[1 + has_w] if has_b else None


def _moments(x, axes):
    """``mean``, ``x - mean`` and the biased variance over ``axes`` (kept as size-1 dims)."""
    mean = x.mean(axes, keepdims=True)
    xc = x - mean
    return mean, xc, (xc * xc).mean(axes, keepdims=True)


def _scale_shift(xhat, w, b, shape):
    """``xhat * w + b`` with ``w`` and ``b`` (each may be None) reshaped to ``shape``."""
    y = xhat * w.reshape(shape) if w is not None else xhat.copy()
    if b is not None:
        y += b.reshape(shape)
    return y


class NativeBatchNorm(Node):
    def forward(self, arrays, flags, running, training, momentum, eps):
        x, w, b = _unpack(self, arrays, flags)
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, C) + (1,) * (x.ndim - 2)
        y = None
        if training:
            n = x.size // C
            # _moments' passes, with the squares written into the array that becomes the
            # output below (one activation-sized allocation fewer per call)
            mean = x.mean(axes, keepdims=True)
            xc = x - mean
            y = xp.multiply(xc, xc, out=self.xp.empty(xc.shape, xc.dtype)) \
                if w is not None and xc.dtype == w.dtype else xc * xc
            var = y.mean(axes, keepdims=True)
            invstd = 1.0 / xp.sqrt(var + eps)
            rm, rv = running
            if rm is not None:
                # In place, as torch: the buffers keep their identity (and, as in torch, their
                # version counter: the kernel updates them behind autograd's back).
                rm._data *= 1 - momentum
                rm._data += momentum * mean.reshape(C).astype(rm._data.dtype)
            if rv is not None:
                unbiased = var.reshape(C) * (n / (n - 1))
                rv._data *= 1 - momentum
                rv._data += momentum * unbiased.astype(rv._data.dtype)
        else:
            rm, rv = running
            mean = rm._data.reshape(bshape).astype(x.dtype, copy=False)
            invstd = 1.0 / xp.sqrt(rv._data.reshape(bshape).astype(x.dtype, copy=False) + eps)
            xc = x - mean
        invstd = invstd.astype(x.dtype, copy=False)
        xc *= invstd                     # xc is a fresh array: xhat in place
        xhat = xc
        if y is not None and w is not None and xc.dtype == w.dtype:
            xp.multiply(xhat, w.reshape(bshape), out=y)
            if b is not None:
                y += b.reshape(bshape)
        else:
            y = _scale_shift(xhat, w, b, bshape)
        self.saved = (xhat, invstd, w)
        self.meta = axes, bshape, training
        return y

    def backward(self, g):
        xhat, invstd, w = self.saved
        axes, bshape, training = self.meta
        if not training:
            # Eval mode uses constants (running stats): the map is affine, its grad a scaling.
            gx = None
            if self.edges[0] is not None:
                gx = (g * w.reshape(bshape) if w is not None else g) * invstd
            return (gx, *_affine_grads(self, g, xhat, axes, (bshape[1],)))
        # torch's native_batch_norm_backward: the two channel sums of g and g * xhat serve both
        # the input gradient and weight/bias's, and the weight enters as a per-channel scale
        # (7 passes over the activation instead of 12 with _norm_backward + _affine_grads).
        n = g.size // bshape[1]
        sg = g.sum(axes, keepdims=True)
        sgx = (g * xhat).sum(axes, keepdims=True)
        gx = None
        if self.edges[0] is not None:
            scale = invstd * w.reshape(bshape) if w is not None else invstd
            gx = xhat * (sgx / n)
            xp.subtract(g, gx, out=gx)
            gx -= sg / n
            gx *= scale
        has_w, has_b = self.flags
        out = [gx]
        if has_w:
            out.append(sgx.reshape(-1) if self.edges[1] is not None else None)
        if has_b:
            out.append(sg.reshape(-1) if self.edges[1 + has_w] is not None else None)
        return tuple(out)


class NativeLayerNorm(Node):
    def forward(self, arrays, flags, nd, eps):
        x, w, b = _unpack(self, arrays, flags)
        axes = tuple(range(x.ndim - nd, x.ndim))
        _, xc, var = _moments(x, axes)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = xc * invstd
        y = _scale_shift(xhat, w, b, x.shape[x.ndim - nd:])
        self.saved = (xhat, invstd, w)
        self.axes = axes
        return y

    def backward(self, g):
        xhat, invstd, w = self.saved
        axes = self.axes
        gx = None
        if self.edges[0] is not None:
            gx = _norm_backward(g * w if w is not None else g, xhat, invstd, axes)
        lead = tuple(range(g.ndim - len(axes)))
        wshape = g.shape[g.ndim - len(axes):]
        return (gx, *_affine_grads(self, g, xhat, lead, wshape))


class NativeGroupNorm(Node):
    def forward(self, arrays, flags, G, eps):
        x, w, b = _unpack(self, arrays, flags)
        N, C = x.shape[:2]
        bshape = (1, C) + (1,) * (x.ndim - 2)
        xg = x.reshape(N, G, -1)
        _, xc, var = _moments(xg, (2,))
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = (xc * invstd).reshape(x.shape)
        y = _scale_shift(xhat, w, b, bshape)
        self.saved = (xhat, invstd, w)
        self.meta = G, bshape
        return y

    def backward(self, g):
        xhat, invstd, w = self.saved
        G, bshape = self.meta
        N, C = g.shape[:2]
        gx = None
        if self.edges[0] is not None:
            gy = g * w.reshape(bshape) if w is not None else g
            gx = _norm_backward(gy.reshape(N, G, -1), xhat.reshape(N, G, -1), invstd, (2,))
            gx = gx.reshape(g.shape)
        axes = (0,) + tuple(range(2, g.ndim))
        return (gx, *_affine_grads(self, g, xhat, axes, (C,)))


def _affine_inputs(input, weight, bias):
    ts = [input]
    if weight is not None:
        ts.append(weight)
    if bias is not None:
        ts.append(bias)
    return ts, (weight is not None, bias is not None)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalization over dim 1 of ``(N, C, *)``. Training normalizes with the batch's
    statistics and updates ``running_mean``/``running_var`` in place (unbiased variance, weight
    ``momentum``); otherwise the running statistics are used.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> x = numtorch.tensor([[1., 2.], [3., 6.]])
    >>> rm, rv = numtorch.zeros(2), numtorch.ones(2)
    >>> F.batch_norm(x, rm, rv, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
    >>> rm
    tensor([0.2000, 0.4000])
    """
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f'batch_norm: expected an input of size (N, C, *), but got input of '
                           f'size {_shape_str(a.shape)}')
    C = a.shape[1]
    if training:
        if a.size // max(C, 1) <= 1:
            raise ValueError(f'Expected more than 1 value per channel when training, got input '
                             f'size torch.Size({_shape_str(a.shape)})')
    elif running_mean is None or running_var is None:
        raise RuntimeError('running_mean must be defined in evaluation mode')
    for name, t in (('weight', weight), ('bias', bias), ('running_mean', running_mean),
                    ('running_var', running_var)):
        if t is not None and t._data.shape != (C,):
            raise RuntimeError(f'{name} should contain {C} elements not {t._data.size}')
        if t is not None and t._data.dtype != a.dtype:
            raise RuntimeError(f'expected scalar type {_cname(a)} but found {_cname(t._data)}')
    ts, flags = _affine_inputs(input, weight, bias)
    return nary(NativeBatchNorm, ts, flags, (running_mean, running_var), bool(training),
                float(momentum if momentum is not None else 0.0), float(eps))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.layer_norm(numtorch.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    a = input._data
    if len(ns) == 0 or a.ndim < len(ns) or a.shape[a.ndim - len(ns):] != ns:
        raise RuntimeError(f'Given normalized_shape={_shape_str(ns)}, expected input with shape '
                           f'[*, {", ".join(map(str, ns))}], but got input of size'
                           f'{_shape_str(a.shape)}')
    for name, t in (('weight', weight), ('bias', bias)):
        if t is not None and t._data.shape != ns:
            raise RuntimeError(f'Expected {name} to be of same shape as normalized_shape, but got '
                               f'{name} of shape {_shape_str(t.shape)} and normalized_shape = '
                               f'{_shape_str(ns)}')
    ts, flags = _affine_inputs(input, weight, bias)
    return nary(NativeLayerNorm, ts, flags, len(ns), float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each of ``num_groups`` channel groups of ``(N, C, *)`` per sample.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.group_norm(numtorch.tensor([[1., 3., 5., 9.]]), 2)
    tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f'Expected at least 2 dimensions for input tensor but received {a.ndim}')
    C = a.shape[1]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f'Expected number of channels in input to be divisible by num_groups, '
                           f'but got input of shape {_shape_str(a.shape)} and num_groups={num_groups}')
    for name, t in (('weight', weight), ('bias', bias)):
        if t is not None and t._data.shape != (C,):
            raise RuntimeError(f'Expected {name} to be a vector of size equal to the number of '
                               f'channels in input, but got {name} of shape {_shape_str(t.shape)} '
                               f'and input of shape {_shape_str(a.shape)}')
    ts, flags = _affine_inputs(input, weight, bias)
    return nary(NativeGroupNorm, ts, flags, int(num_groups), float(eps))


# ---------------------------------------------------------------- embedding

class Embedding(Node):
    def forward(self, arrays, padding_idx, scale_grad_by_freq):
        weight, idx = arrays
        self.saved = (idx,)
        self.meta = weight.shape, padding_idx, scale_grad_by_freq
        return weight[idx]

    def backward(self, g):
        idx, = self.saved
        shape, padding_idx, by_freq = self.meta
        flat = idx.reshape(-1)
        g2 = g.reshape(-1, shape[1])
        if by_freq:
            counts = xp.bincount(flat, minlength=shape[0])
            g2 = g2 / counts[flat][:, None].astype(g.dtype)
        gw = self.xp.zeros(shape, g.dtype)
        xp.add.at(gw, flat, g2)
        if padding_idx is not None:
            gw[padding_idx] = 0      # the padding row never learns
        return gw, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by integer ``input``; the ``padding_idx`` row gets no gradient.
    ``sparse=True`` still produces a dense gradient in numtorch.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.embedding(numtorch.tensor([2, 0]), numtorch.arange(6.).reshape(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    idx = input._data
    if idx.dtype.kind not in 'iu':
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"{tensor_type_name(idx.dtype)} instead "
                           f"(while checking arguments for embedding)")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError('Padding_idx must be within num_embeddings')
        padding_idx = padding_idx % n
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError('index out of range in self')
    if max_norm is not None:
        # torch renormalizes the referenced rows of weight in place (under no_grad).
        rows = xp.unique(idx)
        norms = xp.linalg.norm(w[rows].astype(xp.float64), ord=norm_type, axis=1)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)
        weight._version_counter[0] += 1
    return nary(Embedding, [weight, wrap(idx.astype(xp.int64, copy=False))], padding_idx,
                bool(scale_grad_by_freq))


# torch-level names with the same signature as the functional ones.
__all__ = ['layer_norm', 'group_norm']
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
