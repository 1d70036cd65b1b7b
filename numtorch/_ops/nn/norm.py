"""Normalization ops: ``batch_norm``, ``layer_norm``, ``group_norm`` (one fused backward), and
``instance_norm``, ``rms_norm``, ``local_response_norm`` (compositions, at the end).

The three norms share one fused backward. Composed from mean/sub/mul/rsqrt nodes, backward would
take ~10 passes over the activation and keep several full-size temporaries alive; the closed form
(torch's native_batch_norm_backward)

    gx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat)),    gy = g * weight

needs two reductions and one elementwise pass, and saves only ``xhat`` and ``invstd``.
"""
from ..._backend import xp, split_run
from ..._threads import SPLIT_MIN
from ..._dtype import scalar_name
from ...autograd.graph import Node, saved_grad_arrays, input_tensor
from ...autograd._grad_array import GradArray
from .._apply import nary
from ... import _dtype
from . import batch_norm_rows as _rows
from ...autograd.grad_mode import no_grad


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
    rows = False   # True: trained on (N, C, *spatial) by batch_norm_rows, which saves x itself

    def forward(self, arrays, flags, running, training, momentum, eps):
        x, w, b = _unpack(self, arrays, flags)
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, C) + (1,) * (x.ndim - 2)
        if training and x.ndim > 2 and x.size and x.dtype.char in 'fd' and \
                (w is None or w.dtype == x.dtype) and (b is None or b.dtype == x.dtype):
            # Images (and sequences): batch_norm_rows' cache-blocked passes in torch's
            # arithmetic. Summed over ResNet-18's four activation shapes, one thread: forward
            # 20.8 -> 7.4 ms, backward 14.0 -> 10.4 ms (torch 15.7 / 8.2; resnet-rest.md).
            return self._forward_rows(x, w, b, running, momentum, eps, axes, bshape)
        y = None
        # large, affine, one dtype: the elementwise passes run per range of images over the
        # threads (_backend.split_run); the channel reductions stay whole (their summation order)
        big = (training and x.size >= SPLIT_MIN and x.ndim > 1 and w is not None
               and b is not None and x.dtype == w.dtype == b.dtype)
        if training:
            n = x.size // C
            # _moments' passes, with the squares written into the array that becomes the
            # output below (one activation-sized allocation fewer per call)
            mean = x.mean(axes, keepdims=True)
            if big:
                xc, y = self.xp.empty(x.shape, x.dtype), self.xp.empty(x.shape, x.dtype)

                def centre(lo, hi):
                    xs = xp.subtract(x[lo:hi], mean, out=xc[lo:hi])
                    xp.multiply(xs, xs, out=y[lo:hi])
                split_run(x, centre, x.shape[0], x.size // x.shape[0])
            else:
                xc = x - mean
                y = xp.multiply(xc, xc, out=self.xp.empty(xc.shape, xc.dtype)) \
                    if w is not None and xc.dtype == w.dtype else xc * xc
            var = y.mean(axes, keepdims=True)
            invstd = 1.0 / xp.sqrt(var + eps)
            self._update_running(running, mean, var, n, momentum)
        else:
            rm, rv = running
            mean = rm._data.reshape(bshape).astype(x.dtype, copy=False)
            invstd = 1.0 / xp.sqrt(rv._data.reshape(bshape).astype(x.dtype, copy=False) + eps)
            xc = x - mean
        invstd = invstd.astype(x.dtype, copy=False)
        if big:
            wb, bb = w.reshape(bshape), b.reshape(bshape)

            def scale(lo, hi):   # xhat in place, then y = xhat * w + b
                xs = xc[lo:hi]
                xs *= invstd
                ys = xp.multiply(xs, wb, out=y[lo:hi])
                ys += bb
            split_run(x, scale, x.shape[0], x.size // x.shape[0])
            self.saved = (xc, invstd, w)
            self.meta = axes, bshape, training, eps, mean
            return y
        xc *= invstd                     # xc is a fresh array: xhat in place
        xhat = xc
        if y is not None and w is not None and xc.dtype == w.dtype:
            xp.multiply(xhat, w.reshape(bshape), out=y)
            if b is not None:
                y += b.reshape(bshape)
        else:
            y = _scale_shift(xhat, w, b, bshape)
        # the mean too: create_graph's backward_graphed rebuilds x from xhat (keeping x itself
        # alive would cost an activation per layer: ResNet-18's peak RSS 761 -> 912 MiB)
        self.saved = (xhat, invstd, w)
        self.meta = axes, bshape, training, eps, mean
        return y

    def _forward_rows(self, x, w, b, running, momentum, eps, axes, bshape):
        """Training on ``(N, C, *spatial)``: batch_norm_rows' passes; saves ``x``, as torch."""
        xp = self.xp
        mean, var = _rows.stats(xp, x)
        self._update_running(running, mean, var, x.size // x.shape[1], momentum)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        alpha = invstd * w if w is not None else invstd
        beta = -mean * alpha
        if b is not None:
            beta += b
        self.rows = True
        self.saved = (x, invstd, w)
        self.meta = axes, bshape, True, eps, mean.reshape(bshape)
        return _rows.affine(xp, x, alpha, beta)

    @staticmethod
    def _update_running(running, mean, var, n, momentum):
        """The running statistics, in place, as torch: the buffers keep their identity (and,
        as in torch, their version counter: the kernel updates them behind autograd's back);
        the variance unbiased."""
        rm, rv = running
        C = mean.size
        if rm is not None:
            rm._data *= 1 - momentum
            rm._data += momentum * mean.reshape(C).astype(rm._data.dtype)
        if rv is not None:
            unbiased = var.reshape(C) * (n / (n - 1))
            rv._data *= 1 - momentum
            rv._data += momentum * unbiased.astype(rv._data.dtype)

    def _backward_rows(self, g):
        """The training backward for ``_forward_rows``: torch's native_batch_norm_backward
        (channel sums ``sum`` and ``dotp``, then one pass for the input gradient)."""
        x, invstd, w = self.saved
        xp = self.xp
        if g.dtype != x.dtype:
            g = g.astype(x.dtype)
        mean = self.meta[4].reshape(-1)
        n = x.size // x.shape[1]
        gx = xp.empty(x.shape, x.dtype) if self.edges[0] is not None else None
        sg, dotp = _rows.grad_sums(xp, x, g, mean, gx)   # gx = x - mean, for input_grad
        if gx is not None:
            scale = invstd * w if w is not None else invstd
            gx = _rows.input_grad(xp, gx, g, dotp * invstd * invstd / n, sg / n, scale)
        has_w, has_b = self.flags
        out = [gx]
        if has_w:
            out.append(dotp * invstd if self.edges[1] is not None else None)
        if has_b:
            out.append(sg if self.edges[1 + has_w] is not None else None)
        return tuple(out)

    def backward(self, g):
        if self.rows:
            return self._backward_rows(g)
        xhat, invstd, w = self.saved
        axes, bshape, training = self.meta[:3]
        if not training:
            return self._eval_grads(g, xhat, invstd, w)
        # torch's native_batch_norm_backward: the two channel sums of g and g * xhat serve both
        # the input gradient and weight/bias's, and the weight enters as a per-channel scale
        # (7 passes over the activation instead of 12 with _norm_backward + _affine_grads).
        n = g.size // bshape[1]
        sg = g.sum(axes, keepdims=True)
        if g.size >= SPLIT_MIN and g.shape == xhat.shape and g.dtype == xhat.dtype \
                and xhat.ndim > 1 and (w is None or w.dtype == g.dtype):
            return self._backward_split(g, xhat, invstd, w, axes, bshape, n, sg)
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

    def _eval_grads(self, g, xhat, invstd, w):
        """Eval mode uses constants (running stats): the map is affine, its grad a scaling."""
        axes, bshape = self.meta[:2]
        gx = None
        if self.edges[0] is not None:
            gx = (g * w.reshape(bshape) if w is not None else g) * invstd
        return (gx, *_affine_grads(self, g, xhat, axes, (bshape[1],)))

    def backward_graphed(self, g):
        """create_graph: the statistics recomputed from ``x`` with differentiable ops, then
        the same closed form (``_norm_backward``; the fused passes above are its in-place
        rendering)."""
        axes, bshape, training, eps, mean = self.meta
        if self.rows:   # the input itself was saved
            x, _, w = saved_grad_arrays(self)
            if x.__class__ is not GradArray:   # (unpacked by saved_tensors_hooks)
                x = GradArray(input_tensor(self, 0, x))
            w = w if w.__class__ is GradArray else None
        else:
            x, w = _graphed_inputs(self, mean)
        g = GradArray(g)
        if not training:
            return _tensors(self._eval_grads(g, (x - mean) * self.saved[1], self.saved[1], w))
        _, xc, var = _moments(x, axes)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = xc * invstd
        gx = None
        if self.edges[0] is not None:
            gx = _norm_backward(g * w.reshape(bshape) if w is not None else g, xhat, invstd, axes)
        return _tensors((gx, *_affine_grads(self, g, xhat, axes, (bshape[1],))))

    def _backward_split(self, g, xhat, invstd, w, axes, bshape, n, sg):
        """The training backward above for a large input: its elementwise passes per range of
        images over the threads (``_backend.split_run``), the same operations in the same order
        (so the same bits); ``g * xhat``'s buffer then receives the input gradient."""
        N, per = g.shape[0], g.size // g.shape[0]
        t = self.xp.empty(g.shape, g.dtype)
        split_run(g, lambda lo, hi: xp.multiply(g[lo:hi], xhat[lo:hi], out=t[lo:hi]), N, per)
        sgx = t.sum(axes, keepdims=True)
        gx = None
        if self.edges[0] is not None:
            scale = invstd * w.reshape(bshape) if w is not None else invstd
            a, c = sgx / n, sg / n

            def part(lo, hi):   # (g - xhat * sgx/n - sg/n) * scale, as the whole-array form
                gs = xp.multiply(xhat[lo:hi], a, out=t[lo:hi])
                xp.subtract(g[lo:hi], gs, out=gs)
                gs -= c
                gs *= scale
            split_run(g, part, N, per)
            gx = t
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
        mean, xc, var = _moments(x, axes)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = xc * invstd
        y = _scale_shift(xhat, w, b, x.shape[x.ndim - nd:])
        self.saved = (xhat, invstd, w)
        self.axes, self.eps, self.mean = axes, eps, mean   # mean: backward_graphed rebuilds x
        return y

    def backward(self, g):
        return self._grads(g, *self.saved)

    def backward_graphed(self, g):
        """create_graph: ``_grads`` with the statistics recomputed from ``x`` differentiably."""
        x, w = _graphed_inputs(self, self.mean)
        _, xc, var = _moments(x, self.axes)
        invstd = 1.0 / xp.sqrt(var + self.eps)
        return _tensors(self._grads(GradArray(g), xc * invstd, invstd, w))

    def _grads(self, g, xhat, invstd, w):
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
        mean, xc, var = _moments(xg, (2,))
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = (xc * invstd).reshape(x.shape)
        y = _scale_shift(xhat, w, b, bshape)
        self.saved = (xhat, invstd, w)
        self.meta = G, bshape, eps, mean    # mean: backward_graphed rebuilds x
        return y

    def backward(self, g):
        return self._grads(g, *self.saved)

    def backward_graphed(self, g):
        """create_graph: ``_grads`` with the statistics recomputed from ``x`` differentiably."""
        x, w = _graphed_inputs(self, self.meta[3], self.meta[0])
        G, eps = self.meta[0], self.meta[2]
        _, xc, var = _moments(x.reshape(x.shape[0], G, -1), (2,))
        invstd = 1.0 / xp.sqrt(var + eps)
        return _tensors(self._grads(GradArray(g), (xc * invstd).reshape(x.shape), invstd, w))

    def _grads(self, g, xhat, invstd, w):
        G, bshape = self.meta[:2]
        N, C = g.shape[:2]
        gx = None
        if self.edges[0] is not None:
            gy = g * w.reshape(bshape) if w is not None else g
            gx = _norm_backward(gy.reshape(N, G, -1), xhat.reshape(N, G, -1), invstd, (2,))
            gx = gx.reshape(g.shape)
        axes = (0,) + tuple(range(2, g.ndim))
        return (gx, *_affine_grads(self, g, xhat, axes, (C,)))


def _graphed_inputs(node, mean, groups=None):
    """create_graph: a norm node's input and weight as GradArrays of their tensors, so formulas
    written for arrays record their graph; the weight (saved at 2) may be None. The input's
    values are rebuilt from the saved ``xhat``, ``invstd`` and ``mean`` (x = xhat / invstd +
    mean, exact to rounding) with the input's history."""
    xhat, invstd = node.saved[0], node.saved[1]
    shape = xhat.shape
    x = xhat / invstd + mean if groups is None else \
        (xhat.reshape(shape[0], groups, -1) / invstd + mean).reshape(shape)
    saved = saved_grad_arrays(node)
    return (GradArray(input_tensor(node, 0, x)),
            saved[2] if saved[2].__class__ is GradArray else None)


def _tensors(grads):
    """A formula's GradArray results as the tensors backward_graphed returns."""
    return tuple(r.t if r.__class__ is GradArray else r for r in grads)


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


# ---------------------------------------------------------------- per-sample norms (compositions)
# Per-sample normalizations built from existing ops: ``instance_norm``, ``rms_norm``,
# ``local_response_norm``.
# 
# ``instance_norm`` is ``batch_norm`` over ``(1, N*C, *)`` (each (sample, channel) pair is its own
# "channel"), so it reuses the fused batch-norm node and its backward; the running statistics are
# updated through per-sample copies and averaged back, as torch does. ``rms_norm`` and
# ``local_response_norm`` are short compositions whose gradients come from the pieces.

def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Normalize each (sample, channel) of ``(N, C, *)`` over its spatial dims.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.instance_norm(numtorch.tensor([[[1., 3.], [2., 6.]]]))
    tensor([[[-1.0000,  1.0000],
             [-1.0000,  1.0000]]])
    """
    shape = input.shape
    N, C = shape[0], shape[1]
    if use_input_stats:
        n = 1
        for s in shape[2:]:
            n *= s
        if n <= 1:
            raise ValueError(f'Expected more than 1 spatial element when training, got input size '
                             f'torch.Size([{", ".join(map(str, shape))}])')
    x = input.reshape((1, N * C) + tuple(shape[2:]))
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.reshape(N, C).mean(0))
            if running_var is not None:
                running_var.copy_(rv.reshape(N, C).mean(0))
    return out.reshape(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input**2) + eps) * weight`` over the trailing ``normalized_shape``
    dims; ``eps=None`` uses the dtype's machine epsilon (as torch).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.rms_norm(numtorch.tensor([[3., 4.]]), (2,))
    tensor([[0.8485, 1.1314]])
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(input.shape)
    if len(ns) == 0 or len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f'Given normalized_shape={list(ns)}, expected input with shape '
                           f'[*{", ".join(map(str, ns))}], but got input of size{list(shape)}')
    if eps is None:
        eps = _dtype.finfo(input.dtype).eps
    dims = tuple(range(-len(ns), 0))
    y = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Divide each element by ``(k + alpha/size * sum of squares over the size neighbouring
    channels) ** beta`` (AlexNet's normalization).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.local_response_norm(numtorch.ones(1, 3, 2), 2).shape
    torch.Size([1, 3, 2])
    """
    nd = input.dim()
    if nd < 3:
        # (torch's message has this run of spaces, from a line continuation in its source)
        raise ValueError(f'Expected 3D or higher dimensionality{" " * 26}input (got {nd} '
                         f'dimensions)')
    if input.numel() == 0:
        return input
    from ...nn.functional import pad
    from .pool import avg_pool2d
    shape = tuple(input.shape)
    # Mean of squares over a window of `size` channels (zero-padded size//2 before,
    # (size-1)//2 after): one average pooling along the channel axis.
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k).pow(beta)


__all__ = ['layer_norm', 'group_norm', 'instance_norm', 'rms_norm']


def _aten_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                        eps, cudnn_enabled):
    """``torch.instance_norm``: the top-level form takes ATen's argument order (weight and bias
    before the running statistics, every argument required); ``cudnn_enabled`` is accepted and
    ignored. ``F.instance_norm`` is the everyday form.

    >>> import numtorch
    >>> numtorch.instance_norm(numtorch.tensor([[[1., 3.]]]), None, None, None, None, True, 0.1,
    ...                        1e-5, False)
    tensor([[[-1.0000,  1.0000]]])
    """
    return instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                         momentum, eps)


_aten_instance_norm.__name__ = _aten_instance_norm.__qualname__ = 'instance_norm'
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
