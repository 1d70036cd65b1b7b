"""Statistics: var/std (and var_mean/std_mean), norm, logsumexp, nansum/nanmean, cov, corrcoef,
dist, sum_to_size (scans are in ``scan.py``, order statistics in ``order_stats.py``).

``dim`` takes an int or a tuple (``axis=``/``keepdims=`` accepted, as for ``sum``).
"""
import math
import warnings

from ..._backend import xp
from ...autograd.graph import Node
from .._apply import unary, float_dtype
from .reduce import _dims, _dim_kw, _expand_back, sum as _sum, mean as _mean
from ..._dtype import get_default_dtype
from .. import _apply
from ..._dtype import _SCALAR_NAMES
from .._compose import _nt


def _keep(g, axes, keepdim, ndim):
    """A reduced gradient with the reduced axes put back (size 1), ready to broadcast."""
    if not keepdim and axes is not None and ndim:
        return xp.expand_dims(g, axes)
    return g


def _count(shape, axes):
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


_CAP = {'int64': 'Long', 'int32': 'Int', 'int16': 'Short', 'int8': 'Char', 'uint8': 'Byte',
        'bool': 'Bool'}


class Var(Node):
    """Variance with ``correction`` (1 = Bessel's, the default; 0 = population)."""
    def forward(self, a, axes, correction, keepdim):
        if a.dtype.kind not in 'fc':
            raise RuntimeError('std and var only support floating point and complex dtypes')
        n = _count(a.shape, axes)
        dof = n - correction
        if dof <= 0:
            warnings.warn('var(): degrees of freedom is <= 0. Correction should be strictly less '
                          'than the reduction factor (input numel divided by output numel).',
                          stacklevel=4)
        d = a - a.mean(axis=axes, keepdims=True) if a.size else a
        with xp.errstate(divide='ignore', invalid='ignore'):
            out = (d * d).sum(axis=axes, keepdims=keepdim) / dof if dof > 0 else \
                (d * d).sum(axis=axes, keepdims=keepdim) / 0.0
        self.saved = (d,)
        self.axes, self.keepdim, self.dof = axes, keepdim, max(dof, 0)
        return out

    def backward(self, g):
        d, = self.saved
        g = _keep(g, self.axes, self.keepdim, d.ndim)
        with xp.errstate(divide='ignore', invalid='ignore'):
            return g * d * (2.0 / self.dof) if self.dof else g * d * xp.inf


class Std(Var):
    def forward(self, a, axes, correction, keepdim):
        out = xp.sqrt(super().forward(a, axes, correction, keepdim))
        self.out = out
        return out

    def backward(self, g):
        d, = self.saved
        out = _keep(self.out, self.axes, self.keepdim, d.ndim)
        g = _keep(g, self.axes, self.keepdim, d.ndim)
        # torch masks the gradient where std == 0 (it would be 0/0).
        with xp.errstate(divide='ignore', invalid='ignore'):
            gi = g * d / (out * self.dof) if self.dof else g * d * xp.inf
        return xp.where(out == 0, 0, gi)


def _correction(dim, unbiased, correction, name):
    if isinstance(dim, bool):          # std(x, True): the old positional `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f'{name}() received an invalid combination of arguments - got both '
                        f'unbiased and correction')
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    """Variance over everything or along ``dim``; ``correction=1`` (Bessel) by default,
    ``unbiased=False`` or ``correction=0`` for the population variance.

    >>> import numtorch
    >>> numtorch.tensor([1., 2., 3., 4.]).var(), numtorch.tensor([1., 2., 3., 4.]).var(unbiased=False)
    (tensor(1.6667), tensor(1.2500))
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    dim, correction = _correction(dim, unbiased, correction, 'var')
    return unary(Var, input, _dims(dim, input._data.ndim), correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    """Standard deviation (see ``var`` for ``dim``, ``unbiased`` and ``correction``).

    >>> import numtorch
    >>> numtorch.tensor([[1., 3.], [2., 2.]]).std(dim=1)
    tensor([1.4142, 0.0000])
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    dim, correction = _correction(dim, unbiased, correction, 'std')
    return unary(Std, input, _dims(dim, input._data.ndim), correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    """``(var, mean)`` over the same dims.

    >>> import numtorch
    >>> numtorch.var_mean(numtorch.tensor([1., 2., 3.]))
    (tensor(1.), tensor(2.))
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    dim, correction = _correction(dim, unbiased, correction, 'var_mean')
    return var(input, dim, keepdim=keepdim, correction=correction), _mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    """``(std, mean)`` over the same dims."""
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    dim, correction = _correction(dim, unbiased, correction, 'std_mean')
    return std(input, dim, keepdim=keepdim, correction=correction), _mean(input, dim, keepdim)


class VectorNorm(Node):
    """``(sum |x|^p)^(1/p)`` over ``axes``; p = inf / -inf are max / min of ``|x|``, p = 0 counts
    nonzeros. torch records every vector norm as LinalgVectorNormBackward0."""
    _name = 'LinalgVectorNormBackward0'

    def forward(self, a, p, axes, keepdim):
        self.saved = (a,)
        self.p, self.axes, self.keepdim = p, axes, keepdim
        x = xp.abs(a)
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = x.sum(axis=axes, keepdims=keepdim)
        elif p == math.inf or p == -math.inf:
            if a.size == 0 or (axes is not None and any(a.shape[i] == 0 for i in axes)):
                raise RuntimeError(f'linalg.vector_norm cannot compute the {p} norm on an empty '
                                   f'tensor because the operation does not have an identity')
            out = (x.max if p > 0 else x.min)(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        else:
            out = (x ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        self.out = out
        return out

    def backward(self, g):
        a, = self.saved
        p, axes = self.p, self.axes
        g = _keep(g, axes, self.keepdim, a.ndim)
        out = _keep(self.xp.asarray(self.out), axes, self.keepdim, a.ndim)
        if p == 0:
            return self.xp.zeros_like(a)
        if p == 1:
            return g * xp.sign(a)
        if p == math.inf or p == -math.inf:
            mask = xp.abs(a) == out          # ties share the gradient, as in torch
            return g * xp.sign(a) * mask / mask.sum(axis=axes, keepdims=True)
        with xp.errstate(divide='ignore', invalid='ignore'):
            if p == 2:
                gi = g * a / out
            else:
                gi = g * xp.sign(a) * xp.abs(a) ** (p - 1) / out ** (p - 1)
        return xp.where(out == 0, 0, gi)     # the subgradient 0 at the origin, as torch


def norm(input, p='fro', dim=None, keepdim=False, dtype=None, **kwargs):
    """Vector norm over everything or over ``dim``: ``p`` = 2 / ``'fro'`` (default), 1, any
    number, ``inf``, ``-inf`` or 0.

    >>> import numtorch
    >>> numtorch.tensor([3., 4.]).norm(), numtorch.tensor([3., -4.]).norm(p=1)
    (tensor(5.), tensor(7.))
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    a = input._data
    if a.dtype.kind not in 'fc':
        raise RuntimeError(f'linalg.vector_norm: Expected a floating point or complex tensor as '
                           f'input. Got {_CAP.get(a.dtype.name, a.dtype.name)}')
    if dtype is not None:
        input = input.to(dtype)
    if p == 'fro' or p is None:
        p = 2
    elif p == 'nuc':
        raise NotImplementedError("numtorch: norm(p='nuc') (the nuclear norm) is not supported")
    elif isinstance(p, str):
        raise RuntimeError(f'linalg.vector_norm: unknown p {p!r}')
    return unary(VectorNorm, input, float(p), _dims(dim, a.ndim), keepdim)


class Logsumexp(Node):
    def forward(self, a, axes, keepdim):
        a = a if a.dtype.kind == 'f' else a.astype(float_dtype(a.dtype))
        if a.size == 0:
            out_k = self.xp.full(xp.sum(a, axis=axes, keepdims=True).shape, -xp.inf, a.dtype)
        else:
            # Subtract the max so exp cannot overflow; an infinite max is replaced by 0 so that
            # inf - inf does not make a NaN.
            m = a.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            with xp.errstate(divide='ignore'):
                out_k = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        self.axes, self.keepdim = axes, keepdim
        if keepdim or a.ndim == 0:
            out = out_k
        else:
            out = out_k.reshape(()) if axes is None else xp.squeeze(out_k, axes)
        # the output itself is saved (not out_k): under create_graph it is then the recorded
        # result, so the derivative exp(a - result) is differentiable in it
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        g = _keep(g, self.axes, self.keepdim, a.ndim)
        return g * xp.exp(a - _keep(out, self.axes, self.keepdim, a.ndim))


def logsumexp(input, dim=None, keepdim=False, **kwargs):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow.

    >>> import numtorch
    >>> numtorch.tensor([[0., 1000.]]).logsumexp(1)
    tensor([1000.])
    """
    if kwargs:
        dim, keepdim, _ = _dim_kw(dim, dict(kwargs, keepdim=keepdim))
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    return unary(Logsumexp, input, _dims(dim, input._data.ndim), keepdim)


class Nansum(Node):
    def forward(self, a, axes, keepdim, dtype):
        if dtype is None and a.dtype.kind in 'biu':
            dtype = xp.int64
        self.saved = (a,)
        self.axes, self.keepdim = axes, keepdim
        return xp.nansum(a, axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        a, = self.saved
        return xp.where(xp.isnan(a), 0, _expand_back(g, a.shape, self.axes, self.keepdim))


def nansum(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """``sum`` treating NaN as zero.

    >>> import numtorch
    >>> numtorch.tensor([1., float('nan'), 2.]).nansum()
    tensor(3.)
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    if dtype is not None:
        from ..._dtype import to_dtype
        dtype = to_dtype(dtype).np
    return unary(Nansum, input, _dims(dim, input._data.ndim), keepdim, dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, **kwargs):
    """``mean`` of the non-NaN elements.

    >>> import numtorch
    >>> numtorch.tensor([1., float('nan'), 2.]).nanmean()
    tensor(1.5000)
    """
    if kwargs:
        dim, keepdim, dtype = _dim_kw(dim, dict(kwargs, keepdim=keepdim, dtype=dtype))
    from ..pointwise.compare import isnan, logical_not
    n = _sum(logical_not(isnan(input)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / n


# --------------------------------------------------------------------------- covariance
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns),
    optionally with integer frequency and float observation weights; composed as torch does.

    >>> import numtorch
    >>> numtorch.tensor([[0., 1., 2.], [2., 1., 0.]]).cov()
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f'cov(): expected input to have two or fewer dimensions but got an input '
                         f'with {nd} dimensions')
    x = input.reshape(1, -1) if nd < 2 else input
    if x._data.dtype.kind in 'biu':
        x = x.to(get_default_dtype())
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        if fweights._data.ndim > 1:
            raise RuntimeError(f'cov(): expected fweights to have one or fewer dimensions but got '
                             f'fweights with {fweights._data.ndim} dimensions')
        if fweights._data.dtype.kind not in 'iu':
            raise RuntimeError(f'cov(): expected fweights to have integral dtype but got fweights '
                             f'with {_SCALAR_NAMES.get(fweights._data.dtype.name)} dtype')
        if fweights._data.size != n_obs:
            raise RuntimeError(f'cov(): expected fweights to have the same numel as there are '
                             f'observations in the input but got {fweights._data.size} != {n_obs}')
        if xp.any(fweights._data < 0):
            raise RuntimeError('cov(): fweights cannot be negative')
        w = fweights
    if aweights is not None:
        if aweights._data.ndim > 1:
            raise RuntimeError(f'cov(): expected aweights to have one or fewer dimensions but got '
                             f'aweights with {aweights._data.ndim} dimensions')
        if aweights._data.dtype.kind != 'f':
            raise RuntimeError('cov(): expected aweights to have floating point dtype but got '
                             f'aweights with {_SCALAR_NAMES.get(aweights._data.dtype.name)} '
                             'dtype')
        if aweights._data.size != n_obs:
            raise RuntimeError(f'cov(): expected aweights to have the same numel as there are '
                             f'observations in the input but got {aweights._data.size} != {n_obs}')
        if xp.any(aweights._data < 0):
            raise RuntimeError('cov(): aweights cannot be negative')
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.mean(1)
        norm = w_sum - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
    norm_v = float(norm._data) if isinstance(norm, _apply.Tensor) else norm
    if norm_v <= 0:
        warnings.warn('cov(): degrees of freedom is <= 0. Correction should be strictly less '
                      'than the number of observations.')
        norm = 0 * norm if isinstance(norm, _apply.Tensor) else 0
    xm = x - avg.unsqueeze(1)
    c = xm.mm((xm if w is None else xm * w).t())
    return (c / norm).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1].

    >>> import numtorch
    >>> numtorch.tensor([[0., 1., 2.], [2., 1., 0.]]).corrcoef()
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f'corrcoef(): expected input to have two or fewer dimensions but got an '
                         f'input with {input._data.ndim} dimensions')
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    sd = c.diagonal().sqrt()
    c = c / sd.unsqueeze(1)
    c = c / sd.unsqueeze(0)
    return c.clamp(-1, 1)


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast).

    >>> import numtorch
    >>> numtorch.dist(numtorch.tensor([3., 0.]), numtorch.tensor([0., 4.]))
    tensor(5.)
    """
    return _nt().linalg.vector_norm(input - other, p)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (which it must broadcast from).

    >>> import numtorch
    >>> numtorch.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shape[lead:])):
        raise RuntimeError(f'size {{{", ".join(map(str, size))}}} is not expandable to size '
                           f'{{{", ".join(map(str, shape))}}}.')
    out = input.sum(tuple(range(lead))) if lead else input
    dims = tuple(i for i, (s, d) in enumerate(zip(size, shape[lead:])) if s == 1 and d != 1)
    return out.sum(dims, keepdim=True) if dims else out


__all__ = ['var', 'std', 'var_mean', 'std_mean', 'norm', 'logsumexp', 'nansum', 'nanmean', 'cov',
           'corrcoef', 'dist']
FUNCTION_ONLY = {'var_mean', 'std_mean'}   # torch.<name> only: no Tensor method
# Tensor-only methods: torch has no torch.<name>
METHODS = {'sum_to_size': sum_to_size}
