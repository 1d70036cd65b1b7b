"""Loss functions with torch's semantics, checks and error messages.

Each loss is one fused Node: forward computes the per-element loss and reduces it; backward
writes the gradient directly. Composing them from log_softmax/gather/mean would record 3-6 nodes
and several full-size temporaries per training step for what is a one-line derivative
(``softmax - onehot`` for cross entropy, ``sigmoid(x) - t`` for BCE with logits).
Numerics as torch: cross entropy goes through log-sum-exp, BCE with logits through
``log1p(exp(-|x|))``, and ``binary_cross_entropy`` clamps its logs at -100.

``l1_loss`` and ``kl_div`` are composites in torch too (their ``grad_fn`` is Mean/Sum/Div
Backward), so they are composed here from tensor ops.
"""
import warnings

from ..._backend import xp, ndarray
from ..._dtype import promote_types, scalar_name
from ...autograd.graph import Node, connect, saved_grad_arrays, run_formula
from ...autograd._grad_array import GradArray, DoubleBackwardError
from ...autograd.grad_mode import _enabled
from .._apply import bind, wrap, unbroadcast
from ..._dtype_ext import FLOAT_NP
from ..._autocast import _ac, cast_fp32   # CPU autocast runs these losses in float32

_REDUCTIONS = ('none', 'mean', 'sum')


def _shape_str(s):
    return '[' + ', '.join(map(str, s)) + ']'


def _size(s):
    return f'torch.Size({_shape_str(s)})'


def _dname(a):
    return scalar_name(a.dtype)


def _reduction(reduction, size_average=None, reduce=None):
    """torch's legacy ``size_average``/``reduce`` flags override ``reduction`` when given."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ('mean' if size_average else 'sum') if reduce else 'none'
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f'{reduction} is not a valid value for reduction')
    return reduction


def _run(node, arrays, tensors, *args):
    """Run ``node.forward(*arrays, *args)``; record it if any tensor (None allowed) needs grad."""
    bind(node, next(a for a in arrays if a is not None))
    out = wrap(node.forward(*arrays, *args))
    if _enabled[0]:
        for t in tensors:
            if t is not None and t._requires_grad:
                connect(node, out, tensors)
                break
    return out


def _graphed(node, g, saved):
    """create_graph: the engine's ``run_formula`` (``node.backward`` on GradArrays), with
    ``saved`` in place of its saved arrays: the intermediates it saved (log-softmax, ``x - t``)
    recomputed differentiably from the inputs ``saved_grad_arrays`` gives."""
    return run_formula(node, (g,), saved)


def _graphed_input(node, saved, i, e):
    """The GradArray of the input saved at ``i`` (edge ``e``). One saved as a converted copy
    (mixed dtypes) has no history: a constant if it needs no gradient, else refused, never a
    silent constant."""
    a = saved[i]
    if a.__class__ is not GradArray and node.edges[e] is not None:
        raise DoubleBackwardError(f'double backward (create_graph=True) through {node.name()} '
                                  f'is not supported by numtorch for mixed input dtypes')
    return a


def _tensor(a):
    """A GradArray's tensor, or a plain array wrapped as a constant tensor."""
    return a.t if a.__class__ is GradArray else wrap(a)


def _reduce(loss, reduction):
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    with xp.errstate(invalid='ignore', divide='ignore'):   # empty input -> nan, as torch
        return loss.mean()


def _coef(g, reduction, n, shape):
    """Upstream gradient per loss element: ``g`` (none), ``g`` broadcast (sum), ``g/n`` (mean)."""
    if reduction == 'none':
        return g
    if reduction == 'mean':
        g = g / n if n else g * xp.nan
    return xp.broadcast_to(g, shape)


def _no_weight_grad(weight, fn, arg='weight'):
    if weight is not None and weight._requires_grad and _enabled[0]:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


# ----------------------------------------------------------------- NLL and cross entropy

def _check_index_target(x, t, name):
    """torch's nll_loss_nd shape checks; ``x`` is (C,), (N, C) or (N, C, d1, ...)."""
    if x.ndim < 1:
        raise ValueError(f'Expected 1 or more dimensions (got {x.ndim})')
    if x.ndim == 1:
        if t.ndim > 1 or t.size != 1:
            raise ValueError(f'For 1D input, 1D target must have size 1, but got target size: '
                             f'{t.shape[0] if t.ndim else 0}')
    elif t.ndim == 0 or x.shape[0] != t.shape[0]:
        raise ValueError(f'Expected input batch_size ({x.shape[0]}) to match target batch_size '
                         f'({t.shape[0] if t.ndim else 0}).')
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError('0D or 1D target tensor expected, multi-target not supported')
    elif x.ndim == 4:
        if t.ndim != 3:
            raise RuntimeError(f'only batches of spatial targets supported (3D tensors) but got '
                               f'targets of dimension: {t.ndim}')
        if t.shape != x.shape[:1] + x.shape[2:]:
            raise RuntimeError(f'size mismatch (got input: {_shape_str(x.shape)} , target: '
                               f'{_shape_str(t.shape)}')
    elif t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f'Expected target size {_shape_str(x.shape[:1] + x.shape[2:])}, got '
                           f'{_shape_str(t.shape)}')
    if t.dtype.kind not in 'iu' or t.dtype.name not in ('int64', 'uint8'):
        raise RuntimeError(f'expected target dtype to be Long or Byte, but got {_dname(t)}')


def _class_weight(weight, x, C):
    if weight is None:
        return None
    w = weight._data
    if w.ndim != 1 or w.shape[0] != C:
        raise RuntimeError(f'weight tensor should be defined either for all {C} classes or no '
                           f'classes but got weight tensor of shape: {_shape_str(w.shape)}')
    if w.dtype != x.dtype:
        raise RuntimeError(f'expected scalar type {_dname(x)} but found {_dname(w)}')
    return w


class NllLoss(Node):
    """NLL over log-probabilities (``log_softmax=False``) or logits (``True``: cross entropy,
    softmax fused in). Input is (N, C, ...); the 1-D case arrives as (1, C)."""

    def forward(self, x, t, w, ignore_index, smoothing, reduction, log_softmax):
        self.xshape, self.x_in = x.shape, x
        if x.ndim == 1:
            x, t = x[None], t.reshape(1)
        C = x.shape[1]
        if log_softmax:
            m = x.max(1, keepdims=True)
            with xp.errstate(divide='ignore', invalid='ignore'):
                logp = x - m
                logp -= xp.log(xp.exp(logp).sum(1, keepdims=True))
        else:
            logp = x
        valid = t != ignore_index
        ts = xp.where(valid, t, 0).astype(xp.int64)
        # A clear error, never a silent wrong answer; on a device this is one sync (torch's
        # CUDA kernel asserts on the device instead).
        if ts.size and ((ts.min() < 0 or ts.max() >= C) if ts.__class__ is ndarray
                        else ((ts < 0) | (ts >= C)).any()):
            bad = t[valid & ((t < 0) | (t >= C))].ravel()[0]
            raise IndexError(f'Target {bad} is out of bounds.')
        wi = (w[ts] if w is not None else self.xp.ones(ts.shape, x.dtype)) * valid
        picked = xp.take_along_axis(logp, ts[:, None], 1)[:, 0]
        loss = -wi * picked
        if smoothing:
            wb = w.reshape((1, C) + (1,) * (x.ndim - 2)) if w is not None else None
            smooth = -((logp * wb).sum(1) if wb is not None else logp.sum(1)) * valid
            loss = (1 - smoothing) * loss + (smoothing / C) * smooth
        denom = wi.sum()
        # the input too (a reference): create_graph recomputes logp from it
        self.saved = (logp, ts, wi, valid, w, self.x_in)
        self.meta = reduction, denom, smoothing, log_softmax
        if reduction == 'none':
            return loss
        if reduction == 'sum':
            return loss.sum()
        with xp.errstate(invalid='ignore', divide='ignore'):
            return loss.sum() / denom

    def backward(self, g):
        logp, ts, wi, valid, w = self.saved[:5]
        reduction, denom, smoothing, log_softmax = self.meta
        C = logp.shape[1]
        if reduction == 'mean' and not isinstance(denom, xp.generic):   # device: no sync
            with xp.errstate(invalid='ignore', divide='ignore'):
                coef = xp.where(denom != 0, g / denom, g * 0)
        elif reduction == 'mean':
            coef = g / denom if denom else g * 0     # all targets ignored: zero gradient
        else:
            coef = g
        coef = xp.broadcast_to(coef, ts.shape)
        d = self.xp.zeros_like(logp)
        picked = (smoothing - 1) * wi * coef
        picked += 0.0       # ignored targets (wi = 0) get +0.0, as torch, not -0.0
        if picked.__class__ is GradArray:    # create_graph: the same scatter, as a one-hot product
            ns = self.xp._real
            hot = ts[:, None] == ns.arange(C).reshape((1, C) + (1,) * (ts.ndim - 1))
            d = d + hot.astype(d.dtype) * picked[:, None]
        else:
            xp.put_along_axis(d, ts[:, None], picked[:, None], 1)
        if smoothing:
            cv = (smoothing / C) * (coef * valid)[:, None]
            d -= cv * w.reshape((1, C) + (1,) * (logp.ndim - 2)) if w is not None else cv
        if log_softmax:   # through log_softmax: d - softmax * sum(d)
            d -= xp.exp(logp) * d.sum(1, keepdims=True)
        return d.reshape(self.xshape), None, None

    def backward_graphed(self, g):
        """create_graph: ``backward`` on GradArrays, log-softmax recomputed from the input."""
        st = saved_grad_arrays(self)
        x = _graphed_input(self, st, 5, 0).t.reshape(self.saved[0].shape)
        logp = GradArray(x.log_softmax(1) if self.meta[3] else x)
        return _graphed(self, g, (logp,) + st[1:])


class CrossEntropyProbs(Node):
    """Cross entropy against class probabilities (target has the input's shape)."""
    _name = 'DivBackward1'

    def forward(self, x, t, w, smoothing, reduction):
        self.xshape, self.inputs = x.shape, (x, t)
        if x.ndim == 1:
            x, t = x[None], t[None]
        C = x.shape[1]
        m = x.max(1, keepdims=True)
        logp = x - m
        logp -= xp.log(xp.exp(logp).sum(1, keepdims=True))
        if smoothing:
            t = t * (1 - smoothing) + smoothing / C
        wb = w.reshape((1, C) + (1,) * (x.ndim - 2)) if w is not None else None
        tw = t * wb if wb is not None else t
        loss = -(logp * tw).sum(1)
        n = loss.size
        self.saved = (logp, tw, wb, self.inputs[0], self.inputs[1])   # inputs: for create_graph
        self.meta = reduction, n, smoothing
        if reduction != 'mean':
            self._name = 'NegBackward0' if reduction == 'none' else 'SumBackward0'
        return _reduce(loss, reduction)

    def backward(self, g):
        logp, tw, wb = self.saved[:3]
        reduction, n, smoothing = self.meta
        coef = _coef(g, reduction, n, logp.shape[:1] + logp.shape[2:])[:, None]
        gx = (xp.exp(logp) * tw.sum(1, keepdims=True) - tw) * coef
        gt = None
        if self.edges[1] is not None:
            gt = -logp * coef * (1 - smoothing)
            if wb is not None:
                gt = gt * wb
            gt = gt.reshape(self.xshape)
        return gx.reshape(self.xshape), gt, None

    def backward_graphed(self, g):
        """create_graph: ``backward`` on GradArrays, log-softmax and the weighted target
        recomputed from the inputs."""
        st = saved_grad_arrays(self)
        logp, tw, wb = self.saved[:3]
        x = _tensor(_graphed_input(self, st, 3, 0)).reshape(logp.shape)
        t = _graphed_input(self, st, 4, 1).reshape(logp.shape)
        smoothing, C = self.meta[2], logp.shape[1]
        if smoothing:
            t = t * (1 - smoothing) + smoothing / C
        tw = t * wb if wb is not None else t
        return _graphed(self, g, (GradArray(x.log_softmax(1)), tw, wb) + st[3:])


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction='mean'):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``
    ((N, C), (C,) or (N, C, d1, ...)); ``weight`` rescales classes, ``ignore_index`` skips.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.nll_loss(numtorch.tensor([[-1., -2.], [-3., -0.5]]), numtorch.tensor([0, 1]))
    tensor(0.7500)
    """
    if _ac[0]:
        input, weight = cast_fp32(input, weight)
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    _check_index_target(x, t, 'nll_loss')
    _no_weight_grad(weight, 'nll_loss_forward')
    w = _class_weight(weight, x, x.shape[1] if x.ndim > 1 else x.shape[0])
    out = _run(NllLoss(), (x, t, w), (input, None, None), ignore_index, 0.0, reduction, False)
    if x.ndim == 1 and reduction == 'none':
        out = out.reshape(())
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction='mean', label_smoothing=0.0):
    """Cross entropy between logits ``input`` and either class indices or class probabilities
    (a float ``target`` of the input's shape), computed with log-sum-exp. Supports ``weight``,
    ``ignore_index``, ``label_smoothing`` and (N, C, d1, ...) inputs.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.cross_entropy(numtorch.tensor([[2., 0.], [0., 2.]]), numtorch.tensor([0, 1]))
    tensor(0.1269)
    """
    if _ac[0]:
        input, target, weight = cast_fp32(input, target, weight)
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f'label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}')
    x, t = input._data, target._data
    if x.dtype in FLOAT_NP and (t.dtype.kind != 'V' and (weight is None or weight._data.dtype
                                                         .kind != 'V')):
        # bfloat16 logits: computed in float32, the loss rounded back (differentiably), as torch
        return cross_entropy(input.float(), target, weight, None, ignore_index, None, reduction,
                             label_smoothing).to(input.dtype)
    if x.dtype.kind not in 'fc':
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{_dname(x)}'")
    C = x.shape[1] if x.ndim > 1 else x.shape[0] if x.ndim else 0
    _no_weight_grad(weight, 'nll_loss_forward' if t.shape != x.shape else 'cross_entropy')
    if t.shape == x.shape:
        if t.dtype.kind != 'f':
            raise RuntimeError(f'Expected floating point type for target with class '
                               f'probabilities, got {_dname(t)}')
        if ignore_index >= 0:
            raise RuntimeError('ignore_index is not supported for floating point target')
        dt = xp.promote_types(x.dtype, t.dtype)
        w = _class_weight(weight, x, C)
        w = None if w is None else w.astype(dt, copy=False)
        out = _run(CrossEntropyProbs(), (x.astype(dt, copy=False), t.astype(dt, copy=False), w), (input, target, None), float(label_smoothing),
                   reduction)
        if x.ndim == 1 and reduction == 'none':
            out = out.reshape(())
        return out
    _check_index_target(x, t, 'cross_entropy')
    w = _class_weight(weight, x, C)
    out = _run(NllLoss(), (x, t, w), (input, None, None), ignore_index, float(label_smoothing),
               reduction, True)
    if x.ndim == 1 and reduction == 'none':
        out = out.reshape(())
    return out


# ----------------------------------------------------------------- regression losses

def _pair_arrays(input, target, name, keep_input_dtype=False):
    """Warn as torch on mismatched sizes, check broadcastability, promote to one float dtype
    (torch's promotion: float32 with int64 stays float32; huber computes in the input's dtype)."""
    x, t = input._data, target._data
    if x.shape != t.shape:
        warnings.warn(f'Using a target size ({_size(t.shape)}) that is different to the input size '
                      f'({_size(x.shape)}). This will likely lead to incorrect results due to '
                      f'broadcasting. Please ensure they have the same size.', stacklevel=3)
        try:
            xp.broadcast_shapes(x.shape, t.shape)
        except ValueError:
            a, b = x.shape, t.shape
            n = max(len(a), len(b))
            a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
            i = next(i for i in range(n - 1, -1, -1) if a[i] != b[i] and 1 not in (a[i], b[i]))
            raise RuntimeError(f'The size of tensor a ({a[i]}) must match the size of tensor b '
                               f'({b[i]}) at non-singleton dimension {i}') from None
    dt = promote_types(input.dtype, target.dtype).np
    if dt.kind not in 'fc':
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dname(x)}\'')
    if keep_input_dtype:
        if x.dtype.kind not in 'fc':
            raise RuntimeError(f"result type {_dname(xp.empty(0, dt))} can't be cast to the "
                               f"desired output type {_dname(x)}")
        dt = x.dtype
    return x.astype(dt, copy=False), t.astype(dt, copy=False)


class _Pointwise(Node):
    """A loss ``f(input - target)`` applied elementwise, then reduced."""

    def forward(self, x, t, reduction, param):
        d = x - t
        self.saved = (d, x, t)     # the inputs (references): create_graph recomputes d
        self.meta = x.shape, t.shape, reduction, param
        return _reduce(self.f(d, param), reduction)

    def backward_graphed(self, g):
        """create_graph: ``backward`` on GradArrays with ``d = x - t`` recomputed."""
        st = saved_grad_arrays(self)
        return _graphed(self, g, (_graphed_input(self, st, 1, 0) - _graphed_input(self, st, 2, 1),)
                        + st[1:])

    def backward(self, g):
        d = self.saved[0]
        xs, ts, reduction, param = self.meta
        gd = self.df(d, param) * _coef(g, reduction, d.size, d.shape)
        nf = self.edges
        return (unbroadcast(gd, xs) if nf[0] is not None else None,
                unbroadcast(-gd, ts) if nf[1] is not None else None)


class MseLoss(_Pointwise):
    @staticmethod
    def f(d, _):
        return d * d

    @staticmethod
    def df(d, _):
        return 2 * d


class SmoothL1Loss(_Pointwise):
    @staticmethod
    def f(d, beta):
        a = xp.abs(d)
        return xp.where(a < beta, (0.5 / beta) * d * d if beta else 0, a - 0.5 * beta)

    @staticmethod
    def df(d, beta):
        return xp.where(xp.abs(d) < beta, d / beta if beta else 0, xp.sign(d))


class HuberLoss(_Pointwise):
    @staticmethod
    def f(d, delta):
        a = xp.abs(d)
        return xp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    @staticmethod
    def df(d, delta):
        return xp.where(xp.abs(d) < delta, d, delta * xp.sign(d))


def mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean squared error ``(input - target)**2``, reduced.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.mse_loss(numtorch.tensor([1., 2.]), numtorch.tensor([0., 0.]))
    tensor(2.5000)
    """
    if _ac[0]:
        input, target = cast_fp32(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, t = _pair_arrays(input, target, 'mse')
    return _run(MseLoss(), (x, t), (input, target), reduction, None)


def l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean absolute error ``|input - target|``, reduced (composite, as in torch).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.l1_loss(numtorch.tensor([1., -2.]), numtorch.tensor([0., 0.]))
    tensor(1.5000)
    """
    reduction = _reduction(reduction, size_average, reduce)
    _pair_arrays(input, target, 'l1')
    loss = (input - target).abs()
    return loss if reduction == 'none' else loss.sum() if reduction == 'sum' else loss.mean()


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0):
    """Squared error below ``beta`` (scaled by ``1/beta``), absolute error above it.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.smooth_l1_loss(numtorch.tensor([0.5, 3.]), numtorch.tensor([0., 0.]))
    tensor(1.3125)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError('smooth_l1_loss does not support negative values for beta.')
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    x, t = _pair_arrays(input, target, 'smooth_l1')
    return _run(SmoothL1Loss(), (x, t), (input, target), reduction, float(beta))


def huber_loss(input, target, reduction='mean', delta=1.0, weight=None):
    """Squared error below ``delta``, ``delta``-scaled absolute error above it.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.huber_loss(numtorch.tensor([0.5, 3.]), numtorch.tensor([0., 0.]))
    tensor(1.3125)
    """
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError('huber_loss does not support non-positive values for delta.')
    x, t = _pair_arrays(input, target, 'huber', keep_input_dtype=True)
    return _run(HuberLoss(), (x, t), (input, target), reduction, float(delta))


# ----------------------------------------------------------------- binary cross entropy

class BinaryCrossEntropy(Node):
    def forward(self, x, t, w, reduction):
        if x.size and ((x < 0).any() or (x > 1).any()):
            raise RuntimeError('all elements of input should be between 0 and 1')
        with xp.errstate(divide='ignore'):
            # torch clamps each log at -100 so that 0 * log(0) stays finite.
            loss = -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))
        if w is not None:
            loss = loss * w
        self.saved = (x, t, w)
        self.reduction = reduction
        return _reduce(loss, reduction)

    def backward(self, g):
        x, t, w = self.saved
        coef = _coef(g, self.reduction, x.size, x.shape)
        eps = 1e-12
        gx = (x - t) / xp.maximum((1 - x) * x, eps) * coef
        gt = None
        if self.edges[1] is not None:
            # d/dt = log(1 - x) - log(x), with torch's -100 clamps
            with xp.errstate(divide='ignore'):
                gt = (xp.maximum(xp.log1p(-x), -100) - xp.maximum(xp.log(x), -100)) * coef
            if w is not None:
                gt = gt * w
        if w is not None:
            gx = gx * w
        return gx, gt, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction='mean'):
    """``-(t*log(x) + (1-t)*log(1-x))`` for probabilities ``x`` in [0, 1] (logs clamped at -100).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.binary_cross_entropy(numtorch.tensor([0.8, 0.2]), numtorch.tensor([1., 0.]))
    tensor(0.2231)
    """
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(f'Using a target size ({_size(t.shape)}) that is different to the input '
                         f'size ({_size(x.shape)}) is deprecated. Please ensure they have the same '
                         f'size.')
    if t.dtype != x.dtype:
        raise RuntimeError(f'Found dtype {_dname(t)} but expected {_dname(x)}')
    _no_weight_grad(weight, 'binary_cross_entropy')
    w = None
    if weight is not None:
        w = xp.broadcast_to(weight._data, x.shape).astype(x.dtype, copy=False)
    return _run(BinaryCrossEntropy(), (x, t, w), (input, target, None), reduction)


class BinaryCrossEntropyWithLogits(Node):
    def forward(self, x, t, w, pw, reduction):
        sp = xp.logaddexp(0, -x)                      # softplus(-x) = -log(sigmoid(x)), stable
        lw = 1 + (pw - 1) * t if pw is not None else None
        loss = (1 - t) * x + (lw * sp if lw is not None else sp)
        if w is not None:
            loss = loss * w
        self.saved = (x, t, w, pw, sp, lw)
        self.meta = reduction, loss.shape
        return _reduce(loss, reduction)

    def backward_graphed(self, g):
        """create_graph: ``backward`` on GradArrays with softplus(-x) and the positive
        weighting recomputed from the inputs."""
        st = saved_grad_arrays(self)
        x, t, w, pw = _graphed_input(self, st, 0, 0), _graphed_input(self, st, 1, 1), st[2], st[3]
        sp = xp.logaddexp(0, -x)
        lw = 1 + (pw - 1) * t if pw is not None else None
        return _graphed(self, g, (x, t, w, pw, sp, lw))

    def backward(self, g):
        x, t, w, pw, sp, lw = self.saved
        reduction, shape = self.meta
        nf = self.edges
        coef = _coef(g, reduction, int(xp.prod(shape)), shape)
        if w is not None:
            coef = coef * w
        sig = 1 / (1 + xp.exp(-x))
        gx = gt = None
        if nf[0] is not None:
            gx = unbroadcast(((1 - t) - (lw if lw is not None else 1) * (1 - sig)) * coef, x.shape)
        if nf[1] is not None:
            gt = unbroadcast((-x + ((pw - 1) * sp if pw is not None else 0)) * coef, t.shape)
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction='mean', pos_weight=None):
    """Sigmoid + binary cross entropy in one numerically stable step; ``pos_weight`` weighs the
    positive term per class.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.binary_cross_entropy_with_logits(numtorch.tensor([0.]), numtorch.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(f'Target size ({_size(t.shape)}) must be the same as input size '
                         f'({_size(x.shape)})')
    dt = xp.promote_types(x.dtype, t.dtype)
    if dt.kind != 'f' or t.dtype.kind != 'f':
        raise RuntimeError(f"result type {'Float' if dt.kind == 'f' else _dname(x)} can't be cast "
                           f"to the desired output type {_dname(t)}")
    _no_weight_grad(weight, 'binary_cross_entropy_with_logits')
    _no_weight_grad(pos_weight, 'binary_cross_entropy_with_logits', 'pos_weight')
    w = None if weight is None else weight._data.astype(dt, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(dt, copy=False)
    return _run(BinaryCrossEntropyWithLogits(), (x.astype(dt, copy=False), t.astype(dt, copy=False),
                                                 w, pw),
                (input, target), reduction)


# ----------------------------------------------------------------- KL divergence

def kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False):
    """KL divergence with ``input`` as log-probabilities: ``target * (log(target) - input)``
    (``log_target=True``: ``exp(target) * (target - input)``). ``reduction='batchmean'`` is the
    mathematical KL; ``'mean'`` averages over all elements (and warns, as torch).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> p = numtorch.tensor([[0.5, 0.5]])
    >>> F.kl_div(p.log(), p, reduction='batchmean')
    tensor(0.)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == 'mean':
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ('batchmean',):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == 'batchmean':
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return loss if reduction == 'none' else loss.sum() if reduction == 'sum' else loss.mean()


class _XLogX(Node):
    """``x * log(x)`` with ``0 * log(0) = 0`` (torch's xlogy(t, t))."""
    _name = 'XlogyBackward0'

    def forward(self, t):
        self.saved = (t,)
        with xp.errstate(divide='ignore', invalid='ignore'):
            return xp.where(t == 0, 0, t * xp.log(t)).astype(t.dtype, copy=False)

    def backward(self, g):
        t, = self.saved
        with xp.errstate(divide='ignore', invalid='ignore'):
            return g * (xp.log(t) + 1)


def _xlogx(t):
    return _run(_XLogX(), (t._data,), (t,))


# No torch-level (``torch.<name>``) aliases: torch's top-level loss functions take an integer
# reduction enum, so these live only in ``numtorch.nn.functional``.
__all__ = []
