"""Neural-network ops: linear, softmax family, activations (relu ...), dropout, bilinear.

One Node per op, forward and backward side by side. ``linear`` and the softmax pair have a fused
backward rather than being composed of smaller ops: composing would record 3-5 nodes per call
and keep more intermediates alive, and these sit on every training step's hot path.

Functions in ``__all__`` are torch-level (``numtorch.softmax``, ``Tensor.softmax``); the rest
(``gelu``, ``silu``, ``linear``, ...) exist only in ``numtorch.nn.functional``, as in torch.
"""
import math

from ..._backend import xp, namespace, gemm, split_run
from ..._threads import SPLIT_MIN
from ..._dtype import scalar_name
from ...autograd.graph import Node, connect
from ...autograd._grad_array import GradArray
from ...autograd.grad_mode import _enabled
from ..._autocast import _ac, cast   # CPU autocast: one list lookup when off
from .._apply import bind, unary, wrap, float_dtype, keep_dtype
from ..._dtype_ext import FLOAT_NP
from .. import _apply
from ..pointwise import _special_kernels as _special

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


_dtname = scalar_name


def _record(node, out, inputs):
    """Connect ``node`` if grad mode is on and any of ``inputs`` (None allowed) needs grad."""
    if _enabled[0]:
        for t in inputs:
            if t is not None and t._requires_grad:
                connect(node, out, inputs)
                break
    return out


# ----------------------------------------------------------------------------- linear
class Linear(Node):
    """``x @ w.T + b`` for any leading dims. torch names the node by the path it takes:
    2-D input -> AddmmBackward0 (MmBackward0 without bias); otherwise the result is a view of
    a 2-D product -> ViewBackward0 (UnsafeViewBackward0 / SqueezeBackward4 without bias)."""

    def forward(self, x, w, b):
        if x.ndim == 0 or w.ndim != 2:
            raise RuntimeError(f'linear: expected input with at least 1 dim and a 2-D weight, '
                               f'got {x.ndim}-D input and {w.ndim}-D weight')
        if x.shape[-1] != w.shape[1]:
            rows = math.prod(x.shape[:-1])
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} '
                               f'and {w.shape[1]}x{w.shape[0]})')
        if x.dtype != w.dtype and (b is None or x.ndim != 2):   # torch's mm/matmul kernel's words
            raise RuntimeError(f'expected m1 and m2 to have the same dtype, but got: '
                               f'{_dtname(x.dtype).lower()} != {_dtname(w.dtype).lower()}')
        if x.dtype != w.dtype:                                   # addmm(bias, x, w.T)
            raise RuntimeError(f'self and mat2 must have the same dtype, but got '
                               f'{_dtname(b.dtype)} and {_dtname(w.dtype)}')
        if b is not None and b.dtype != x.dtype:
            other = b.dtype
            raise RuntimeError(f'mat1 and mat2 must have the same dtype, but got '
                               f'{_dtname(x.dtype)} and {_dtname(other)}')
        self.saved = (x, w)
        self.has_bias = b is not None
        nd = x.ndim
        if nd == 2:
            self._name = 'AddmmBackward0' if b is not None else 'MmBackward0'
            out = gemm(x, w.T)   # large products spread over the threads (_threads.gemm)
        else:
            self._name = 'ViewBackward0' if b is not None else \
                ('SqueezeBackward4' if nd == 1 else 'UnsafeViewBackward0')
            out = gemm(x.reshape(-1, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            out += b
        return keep_dtype(out, x.dtype)

    def backward(self, g):
        x, w = self.saved
        nf = self.edges
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = keep_dtype(gemm(g2, w), x.dtype).reshape(x.shape) if nf[0] is not None else None
        gw = keep_dtype(gemm(g2.T, x.reshape(-1, x.shape[-1])), w.dtype) \
            if nf[1] is not None else None
        if self.has_bias:
            if nf[2] is None:
                return gx, gw, None
            # bfloat16 sums in float32 (as torch), rounded once
            return gx, gw, keep_dtype(g2.sum(0, xp.float32 if g2.dtype.kind == 'V' else None),
                                      g2.dtype)
        return gx, gw


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (``nn.functional.linear``).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.linear(numtorch.ones(2, 3), numtorch.ones(4, 3), numtorch.zeros(4))
    tensor([[3., 3., 3., 3.],
            [3., 3., 3., 3.]])
    """
    if _ac[0]:
        input, weight, bias = cast(input, weight, bias)
    node = Linear()
    bind(node, input._data, weight._data, None if bias is None else bias._data)
    out = wrap(node.forward(input._data, weight._data, None if bias is None else bias._data))
    return _record(node, out, (input, weight) if bias is None else (input, weight, bias))


class Bilinear(Node):
    """``y_k = x1 A_k x2 + b_k`` over leading dims."""
    _name = 'ViewBackward0'

    def forward(self, x1, x2, w, b):
        if x1.shape[:-1] != x2.shape[:-1]:
            raise RuntimeError(f'bilinear(): input batch dimensions do not match: got '
                               f'{list(x1.shape[:-1])} and {list(x2.shape[:-1])}')
        if w.ndim != 3 or x1.shape[-1] != w.shape[1] or x2.shape[-1] != w.shape[2]:
            raise RuntimeError(f'bilinear(): input sizes {list(x1.shape)} and {list(x2.shape)} '
                               f'do not match weight size {list(w.shape)}')
        self.saved = (x1, x2, w)
        self.has_bias = b is not None
        out = xp.einsum('...i,kij,...j->...k', x1, w, x2)
        return out + b if b is not None else out

    def backward(self, g):
        x1, x2, w = self.saved
        g1 = xp.einsum('...k,kij,...j->...i', g, w, x2)
        g2 = xp.einsum('...k,kij,...i->...j', g, w, x1)
        gw = xp.einsum('nk,ni,nj->kij', g.reshape(-1, g.shape[-1]), x1.reshape(-1, x1.shape[-1]),
                       x2.reshape(-1, x2.shape[-1]))
        if self.has_bias:
            return g1, g2, gw, g.reshape(-1, g.shape[-1]).sum(0)
        return g1, g2, gw


def bilinear(input1, input2, weight, bias=None):
    """``input1^T W_k input2 + b_k`` for each output feature ``k``."""
    node = Bilinear()
    bind(node, input1._data)
    out = wrap(node.forward(input1._data, input2._data, weight._data,
                            None if bias is None else bias._data))
    ins = (input1, input2, weight) if bias is None else (input1, input2, weight, bias)
    return _record(node, out, ins)


# ----------------------------------------------------------------------------- softmax family
def _softmax_dim(name, ndim):
    import warnings
    warnings.warn(f'Implicit dimension choice for {name} has been deprecated. Change the call to '
                  'include dim=X as an argument.', stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f'Dimension out of range (expected to be in range of [{-n}, {n - 1}], '
                         f'but got {dim})')
    return dim % n


class Softmax(Node):
    rd = None   # bfloat16 input: computed in float32, result and gradient rounded back (torch)

    def forward(self, a, dim):
        if a.dtype.kind not in 'fc':
            if a.dtype in FLOAT_NP:
                self.rd = a.dtype
                return self.forward(a.astype(xp.float32), dim).astype(a.dtype)
            raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for '
                               f"'{_dtname(a.dtype)}'")
        self.dim = dim = _wrap_dim(dim, a.ndim) if a.ndim else None
        e = xp.exp(a - a.max(axis=dim, keepdims=True)) if a.size else a.copy()
        out = e / e.sum(axis=dim, keepdims=True) if a.size else e
        self.saved = (out,)
        return out

    def backward(self, g):
        s, = self.saved
        gi = s * (g - (g * s).sum(axis=self.dim, keepdims=True))
        return gi if self.rd is None else gi.astype(self.rd)


class LogSoftmax(Node):
    rd = None   # as Softmax

    def forward(self, a, dim):
        if a.dtype.kind not in 'fc':
            if a.dtype in FLOAT_NP:
                self.rd = a.dtype
                return self.forward(a.astype(xp.float32), dim).astype(a.dtype)
            raise RuntimeError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                               f"'{_dtname(a.dtype)}'")
        self.dim = dim = _wrap_dim(dim, a.ndim) if a.ndim else None
        if not a.size:
            out = a.copy()
        else:
            sh = a - a.max(axis=dim, keepdims=True)
            out = sh - xp.log(xp.exp(sh).sum(axis=dim, keepdims=True))
        self.saved = (out,)
        return out

    def backward(self, g):
        out, = self.saved
        gi = g - xp.exp(out) * g.sum(axis=self.dim, keepdims=True)
        return gi if self.rd is None else gi.astype(self.rd)


def _cast_for(input, dtype):
    if dtype is None:
        return input
    from ..._dtype import to_dtype
    return input.to(to_dtype(dtype))


def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """``exp(x) / exp(x).sum(dim)``, computed stably (the max is subtracted first).

    >>> import numtorch
    >>> numtorch.softmax(numtorch.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim('softmax', input._data.ndim)
    return unary(Softmax, _cast_for(input, dtype), dim)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """``log(softmax(x))`` without the overflow of computing it that way.

    >>> import numtorch
    >>> numtorch.log_softmax(numtorch.tensor([0., 0.]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim('log_softmax', input._data.ndim)
    return unary(LogSoftmax, _cast_for(input, dtype), dim)


def softmin(input, dim=None, dtype=None, *, _stacklevel=3):
    """``softmax(-x)``."""
    if dim is None:
        dim = _softmax_dim('softmin', input._data.ndim)
    return unary(Softmax, -_cast_for(input, dtype), dim)


# ----------------------------------------------------------------------------- activations
def _float_only(a, kernel):
    if a.dtype.kind not in 'fc':
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtname(a.dtype)}\'')


class Gelu(Node):
    def forward(self, a, approximate):
        _float_only(a, 'GeluKernelImpl')
        self.approx = approximate
        if approximate == 'tanh':
            self.saved = (a,)
            return 0.5 * a * (1 + xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)))
        if a.dtype == xp.float32 and a.size > 512:
            # Hot in every transformer MLP: a float32 Phi with one exp instead of the float64
            # erf (about 8x faster); backward reuses its Phi and exp(-a^2/2).
            cdf, e = _special.phi32(a)
            self.saved = (a, cdf, e)
            return a * cdf
        self.saved = (a,)
        return 0.5 * a * (1 + _erf(a * a.dtype.type(_SQRT1_2)))

    def backward(self, g):
        if len(self.saved) == 3 and g.__class__ is not GradArray:
            a, cdf, e = self.saved
            d = e * a                  # (saved arrays stay intact: backward may run again)
            d *= d.dtype.type(_INV_SQRT_2PI)
            d += cdf
            d *= g
            return d
        a = self.saved[0]   # create_graph: from the input alone (cdf, e are constants)
        if self.approx == 'tanh':
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)
            t = xp.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return g * d
        cdf = 0.5 * (1 + _erf(a * a.dtype.type(_SQRT1_2)))
        return g * (cdf + a * _INV_SQRT_2PI * xp.exp(-0.5 * a * a))


def _erf(z):
    """erf over an array of any rank (NumPy has none; ``_special.erf`` computes it), on
    ``z``'s device (``z`` is an array or a NumPy scalar: no conversion that would copy a
    device array to the host)."""
    if z.__class__ is GradArray:   # create_graph: numtorch's erf, recorded
        from ..pointwise.unary import erf
        return GradArray(erf(z.t))
    from ..pointwise.unary import _erf as erf1
    return erf1(z.reshape(-1)).astype(z.dtype).reshape(z.shape) if z.size else z.copy()


def gelu(input, approximate='none'):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate='tanh'`` uses the tanh form."""
    if approximate not in ('none', 'tanh'):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return unary(Gelu, input, approximate)


class Silu(Node):
    def forward(self, a):
        _float_only(a, 'silu')
        s = _sigmoid(a)
        self.saved = (a, s)
        return a * s

    def backward(self, g):
        a, s = self.saved
        if g.__class__ is GradArray:   # create_graph: sigmoid(a) recorded, not the saved one
            s = _sigmoid(a)
        return g * s * (1 + a * (1 - s))


def _sigmoid(a):
    if a.__class__ is GradArray:   # create_graph (a backward formula's): numtorch's sigmoid
        from ..pointwise.unary import sigmoid
        return GradArray(sigmoid(a.t))
    # exp of a non-positive number only: no overflow warnings for large |a|.
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish)."""
    return _maybe_inplace(input, inplace, lambda x: unary(Silu, x))


class Elu(Node):
    def forward(self, a, alpha, scale, input_scale):
        _float_only(a, 'elu')
        self.params = alpha, scale, input_scale
        neg = alpha * xp.expm1(xp.minimum(a, 0) * input_scale)
        self.saved = (a, neg)
        return scale * xp.where(a > 0, a, neg)

    def backward(self, g):
        a, neg = self.saved
        alpha, scale, input_scale = self.params
        if g.__class__ is GradArray:   # create_graph: the negative branch recorded from a
            neg = alpha * xp.expm1(xp.minimum(a, 0) * input_scale)
        return g * scale * xp.where(a > 0, 1, input_scale * (neg + alpha))


class Celu(Elu):
    pass


def elu(input, alpha=1.0, inplace=False):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return _maybe_inplace(input, inplace, lambda x: unary(Elu, x, alpha, 1.0, 1.0))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """Scaled ELU with the self-normalizing constants."""
    return _maybe_inplace(input, inplace,
                          lambda x: unary(Elu, x, _SELU_ALPHA, _SELU_SCALE, 1.0))


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Celu, x, alpha, 1.0, 1.0 / alpha))


class LeakyRelu(Node):
    def forward(self, a, slope):
        self.saved = (a,)
        self.slope = slope
        return xp.where(a > 0, a, a * a.dtype.type(slope))

    def backward(self, g):
        a, = self.saved
        return xp.where(a > 0, g, g * g.dtype.type(self.slope))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    return _maybe_inplace(input, inplace, lambda x: unary(LeakyRelu, x, negative_slope))


class Softplus(Node):
    def forward(self, a, beta, threshold):
        _float_only(a, 'softplus')
        self.saved = (a,)
        self.beta, self.threshold = beta, threshold
        bx = a * beta
        # log1p(exp(bx)) computed as max(bx, 0) + log1p(exp(-|bx|)): no overflow.
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(bx > threshold, a, soft).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        bx = a * self.beta
        return xp.where(bx > self.threshold, g, g * _sigmoid(bx)).astype(g.dtype, copy=False)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return unary(Softplus, input, beta, threshold)


class Hardtanh(Node):
    def forward(self, a, lo, hi):
        if lo > hi:
            raise RuntimeError('hardtanh: min_val cannot be greater than max_val')
        self.saved = (a,)
        self.lo, self.hi = lo, hi
        return xp.clip(a, lo, hi).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        return g * ((a > self.lo) & (a < self.hi))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to ``[min_val, max_val]``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Hardtanh, x, min_val, max_val))


def relu6(input, inplace=False):
    """``min(max(0, x), 6)``; torch records it as HardtanhBackward0."""
    return hardtanh(input, 0.0, 6.0, inplace)


class PreluKernel(Node):
    def forward(self, a, w):
        if w.size != 1 and (a.ndim < 2 or a.shape[1] != w.size):
            raise RuntimeError(f'Mismatch of parameter numbers and input channel size. Found '
                               f'parameter numbers = {w.size} and channel size = '
                               f'{a.shape[1] if a.ndim >= 2 else 1}.')
        wb = w.reshape((1, -1) + (1,) * (a.ndim - 2)) if w.size != 1 else w.reshape(())
        self.saved = (a, w)
        self.wb = wb
        return xp.where(a > 0, a, a * wb)

    def backward(self, g):
        a, w = self.saved
        ga = xp.where(a > 0, g, g * w.reshape(self.wb.shape))   # (w: recorded under create_graph)
        gw = xp.where(a > 0, 0, g * a)
        if w.size == 1:
            gw = gw.sum().reshape(w.shape)
        else:
            axes = (0,) + tuple(range(2, a.ndim))
            gw = gw.sum(axis=axes).reshape(w.shape)
        return ga, gw


def prelu(input, weight):
    """``x`` for x > 0, ``weight * x`` otherwise (one weight, or one per channel, dim 1)."""
    node = PreluKernel()
    bind(node, input._data)
    out = wrap(node.forward(input._data, weight._data))
    return _record(node, out, (input, weight))


class Threshold(Node):
    def forward(self, a, threshold, value):
        self.saved = (a,)
        self.threshold = threshold
        return xp.where(a > threshold, a, a.dtype.type(value))

    def backward(self, g):
        return g * (self.saved[0] > self.threshold)


def threshold(input, threshold, value, inplace=False):
    """``x`` where x > threshold, else ``value``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Threshold, x, threshold, value))


class Hardshrink(Node):
    def forward(self, a, lambd):
        self.saved = (a,)
        self.lambd = lambd
        return xp.where(xp.abs(a) > lambd, a, 0).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * (xp.abs(self.saved[0]) > self.lambd)


def hardshrink(input, lambd=0.5):
    """``x`` where |x| > lambd, else 0."""
    return unary(Hardshrink, input, lambd)


class Softshrink(Node):
    def forward(self, a, lambd):
        self.saved = (a,)
        self.lambd = lambd
        return (xp.sign(a) * xp.maximum(xp.abs(a) - lambd, 0)).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * (xp.abs(self.saved[0]) > self.lambd)


def softshrink(input, lambd=0.5):
    """Shrink towards 0 by ``lambd``."""
    return unary(Softshrink, input, lambd)


class Hardsigmoid(Node):
    double_backward_error = 'derivative for aten::hardsigmoid_backward is not implemented'

    def forward(self, a):
        self.saved = (a,)
        return xp.clip(a / 6 + 0.5, 0, 1).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        return g * ((a > -3) & (a < 3)) / 6


def hardsigmoid(input, inplace=False):
    """Piecewise-linear sigmoid ``clip(x / 6 + 1/2, 0, 1)``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Hardsigmoid, x))


class Hardswish(Node):
    def forward(self, a):
        self.saved = (a,)
        return (a * xp.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    def backward(self, g):
        a, = self.saved
        return g * xp.where(a < -3, 0, xp.where(a <= 3, a / 3 + 0.5, 1))


def hardswish(input, inplace=False):
    """``x * hardsigmoid(x)``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Hardswish, x))


class Mish(Node):
    def forward(self, a):
        _float_only(a, 'mish')
        sp = xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))
        t = xp.tanh(sp)
        self.saved = (a, t)
        return a * t

    def backward(self, g):
        a, t = self.saved
        if g.__class__ is GradArray:   # create_graph: tanh(softplus(a)) recorded from a
            t = xp.tanh(GradArray(softplus(a.t)))
        return g * (t + a * (1 - t * t) * _sigmoid(a))


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return _maybe_inplace(input, inplace, lambda x: unary(Mish, x))


class LogSigmoid(Node):
    def forward(self, a):
        _float_only(a, 'log_sigmoid_forward')
        self.saved = (a,)
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, g):
        return g * _sigmoid(-self.saved[0])


def logsigmoid(input):
    """``log(sigmoid(x))``, stable for large |x|."""
    return unary(LogSigmoid, input)


class Glu(Node):
    def forward(self, a, dim):
        dim = _wrap_dim(dim, a.ndim)
        if a.shape[dim] % 2:
            raise RuntimeError(f'Halving dimension must be even, but dimension {dim} is size '
                               f'{a.shape[dim]}')
        x, y = xp.split(a, 2, axis=dim)
        s = _sigmoid(y)
        self.saved = (x, s, a)
        self.dim = dim
        return x * s

    def backward(self, g):
        x, s, a = self.saved
        if g.__class__ is GradArray:   # create_graph: both halves recorded from the input
            h = a.shape[self.dim] // 2
            lead = (slice(None),) * self.dim
            x, s = a[lead + (slice(0, h),)], _sigmoid(a[lead + (slice(h, None),)])
        return xp.concatenate([g * s, g * x * s * (1 - s)], axis=self.dim)


def glu(input, dim=-1):
    """Gated linear unit: first half of ``dim`` times sigmoid of the second half."""
    return unary(Glu, input, dim)


def _maybe_inplace(input, inplace, fn):
    if inplace:
        return input._inplace(fn)
    return fn(input)


# ----------------------------------------------------------------------------- dropout
def dropout(input, p=0.5, train=True):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` when
    ``train``; the identity otherwise. torch records it as MulBackward0."""
    if not 0 <= p <= 1:
        raise ValueError(f'dropout probability has to be between 0 and 1, but got {p}')
    if not train or p == 0:
        return input
    a = input._data
    if p == 1:
        mask = namespace(a).zeros(a.shape, float_dtype(a.dtype))
    else:
        # the input's device draws the mask with its own generator (the CPU's numbers as before)
        from ..random import _rng
        keep = _rng(None, input).random(a.shape) >= p
        mask = keep.astype(float_dtype(a.dtype)) * (1.0 / (1.0 - p))
    return input * wrap(mask)


class Relu(Node):
    def forward(self, a):
        if a.size >= SPLIT_MIN and a.dtype.kind == 'f':   # large: in ranges over the threads
            out = self.xp.empty(a.shape, a.dtype)
            af, of = a.reshape(-1), out.reshape(-1)
            split_run(a, lambda lo, hi: xp.maximum(af[lo:hi], 0, out=of[lo:hi]), a.size)
        else:
            out = xp.maximum(a, 0)
        self.saved = (out,)
        return out

    def backward(self, g):
        out = self.saved[0]
        if (out.size >= SPLIT_MIN and g.shape == out.shape and g.dtype == out.dtype
                and g.__class__ is not GradArray):   # (create_graph: the product below)
            gx = self.xp.empty(out.shape, out.dtype)
            of, gf, xf = out.reshape(-1), g.reshape(-1), gx.reshape(-1)

            def part(lo, hi):   # g * (out > 0), the mask per range
                xp.multiply(gf[lo:hi], of[lo:hi] > 0, out=xf[lo:hi])
            split_run(out, part, out.size)
            return gx
        return g * (out > 0)


def relu(input):
    """``max(input, 0)``."""
    return unary(Relu, input)


relu_ = _apply.inplace_method(relu)

__all__ = ['softmax', 'log_softmax', 'prelu', 'dropout', 'bilinear', 'selu', 'celu', 'threshold',
           'hardshrink', 'relu', 'relu_']
# torch has these as torch.<name> but not as Tensor methods.
FUNCTION_ONLY = {'dropout', 'bilinear', 'selu', 'celu', 'threshold'}
