"""Ready-made parametrizations (``nn.utils.parametrizations``): ``weight_norm``,
``spectral_norm`` and ``orthogonal``, registered through ``parametrize`` with torch's module
names, buffers (``_u``, ``_v``, ``base``) and state-dict keys
(``parametrizations.weight.original0`` = g, ``original1`` = v for weight norm).

``orthogonal``'s maps are compositions of differentiable ops: ``cayley`` solves
``(I - A/2) Q = (I + A/2)``; ``matrix_exp`` is a scaling-and-squaring Taylor series;
``householder`` multiplies the reflectors ``I - tau v v^T`` out one by one.
"""
from enum import Enum, auto

from ..._backend import namespace, xp as host
from ..._dtype import finfo
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..modules.module import Module
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ['orthogonal', 'spectral_norm', 'weight_norm']


# ---------------------------------------------------------------------- weight norm
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name='weight', dim=0):
    """``module.<name> = g * v / ||v||`` as a parametrization (``original0`` = g,
    ``original1`` = v); old ``weight_g``/``weight_v`` state dicts still load.

    >>> import numtorch
    >>> m = numtorch.nn.utils.parametrizations.weight_norm(numtorch.nn.Linear(3, 2))
    >>> [(k, tuple(v.shape)) for k, v in m.state_dict().items()]
    [('bias', (2,)), ('parametrizations.weight.original0', (2, 1)), ('parametrizations.weight.original1', (2, 3))]
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f'{prefix}{name}_g', f'{prefix}{name}_v'
        if g_key in state_dict and v_key in state_dict:
            state_dict[f'{prefix}parametrizations.{name}.original0'] = state_dict.pop(g_key)
            state_dict[f'{prefix}parametrizations.{name}.original1'] = state_dict.pop(v_key)
    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ---------------------------------------------------------------------- spectral norm
class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f'Dimension out of range (expected to be in range of [-{ndim}, '
                             f'{ndim - 1}] but got {dim})')
        if n_power_iterations <= 0:
            raise ValueError('Expected n_power_iterations to be positive, but got '
                             f'n_power_iterations={n_power_iterations}')
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from .. import functional as F
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer('_u', F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer('_v', F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        from ... import mv
        from .. import functional as F
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mv(weight_mat.mT, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        from ... import mv, dot
        from .. import functional as F
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name> / sigma`` (its largest singular value, by power iteration in training
    mode) as a parametrization.

    >>> import numtorch
    >>> m = numtorch.nn.utils.parametrizations.spectral_norm(numtorch.nn.Linear(4, 3))
    >>> sorted(m.state_dict())
    ['bias', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v', 'parametrizations.weight.original']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith('ConvTranspose') else 0
    parametrize.register_parametrization(module, name,
                                         _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---------------------------------------------------------------------- orthogonal
def _eye_like(X, n):
    from ... import eye
    return eye(n, dtype=X.dtype, device=X.device)


def _matrix_exp(A):
    """``exp(A)`` by scaling and squaring a degree-18 Taylor series (composite, so
    differentiable); accurate to rounding for the skew-symmetric inputs used here."""
    norm = float(A.detach().abs().sum(-2).max()) if A.numel() else 0.0
    # the norm is read back to choose the scaling, as torch's matrix_exp does on CUDA
    s = max(0, int(host.ceil(host.log2(norm / 0.5)))) if norm > 0.5 else 0
    A = A / (2 ** s)
    n = A.shape[-1]
    term = _eye_like(A, n).expand(A.shape)
    E = term
    for k in range(1, 19):
        term = (term @ A) / k
        E = E + term
    for _ in range(s):
        E = E @ E
    return E


def _householder_product(A, tau):
    """``H_1 ... H_k`` (first ``k`` columns), ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` the
    i-th column of ``A`` below the diagonal and 1 on it (LAPACK's ``orgqr``)."""
    n, k = A.shape[-2], A.shape[-1]
    eye = _eye_like(A, n)
    V = A.tril(-1) + eye[:, :k]
    Q = eye[:, :k].expand(*A.shape[:-2], n, k)
    for i in range(k - 1, -1, -1):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (v.mT @ Q))
    return Q


def _make_orthogonal(A):
    """The Q of A's QR decomposition with R's diagonal made positive (torch's choice)."""
    from ..._ops._apply import wrap
    a = A._data
    xp = namespace(a)
    q, r = xp.linalg.qr(a)
    d = xp.sign(xp.diagonal(r, axis1=-2, axis2=-1))
    d = xp.where(d == 0, 1, d)
    return wrap(q * d[..., None, :])


def _is_orthogonal(Q):
    from ... import allclose
    n, k = Q.size(-2), Q.size(-1)
    eps = 10.0 * n * finfo(Q.dtype).eps
    return allclose(Q.mT @ Q, _eye_like(Q, k), atol=eps)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex():
            raise NotImplementedError('numtorch: orthogonal parametrization of complex tensors '
                                      'is not supported')
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer('base', None)

    def forward(self, X):
        from ... import cat, linalg
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                Id = _eye_like(A, n)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, 'base'):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        from ... import cat, eye, randn, zeros_like
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f'Expected a matrix or batch of matrices of shape {self.shape}. '
                                 f'Got a tensor of shape {Q.shape}.')
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, 'base'):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError('It is not possible to assign to the matrix '
                                              'exponential or the Cayley parametrizations when '
                                              'use_trivialization=False.')
                raise NotImplementedError('numtorch: assigning to an orthogonal householder '
                                          'parametrization with use_trivialization=False needs '
                                          'geqrf, which numtorch does not have')
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            # -I (batched): 0 - eye keeps +0.0 off the diagonal, as zeros + fill_(-1) would
            rows, cols = Q_init.shape[-2:]
            return zeros_like(Q_init) - eye(rows, cols, dtype=Q_init.dtype, device=Q_init.device)


def orthogonal(module, name='weight', orthogonal_map=None, *, use_trivialization=True):
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal
    (``orthogonal_map``: ``'matrix_exp'``, ``'cayley'`` or ``'householder'``).

    >>> import numtorch
    >>> m = numtorch.nn.utils.parametrizations.orthogonal(numtorch.nn.Linear(3, 3))
    >>> bool(numtorch.allclose(m.weight @ m.weight.T, numtorch.eye(3), atol=1e-5))
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError('Expected a matrix or batch of matrices. '
                         f'Got a tensor of {weight.ndim} dimensions.')
    if orthogonal_map is None:
        orthogonal_map = 'matrix_exp' if weight.size(-2) == weight.size(-1) or \
            weight.is_complex() else 'householder'
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
