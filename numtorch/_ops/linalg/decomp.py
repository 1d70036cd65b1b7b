"""Matrix decompositions: cholesky, qr, svd, eigh, slogdet, pinv (``numtorch.linalg.*``) and
torch's older top-level spellings (``torch.svd`` returning V, ``torch.qr(some=)``, ...).

Forward is NumPy's ``linalg`` through ``xp`` (LAPACK, batched over leading dims like torch),
which runs on the input's device through ``__array_function__`` (CuPy has ``cupy.linalg``);
arrays are created with the node's ``self.xp`` or ``namespace(a)``. Backward formulas
are the real-valued cases of torch's ``FunctionsManual.cpp`` (``svd_backward``,
``cholesky_backward``, ``linalg_qr_backward``, ``linalg_eig_backward``, ``pinv_backward``).
Only ``svd``, ``slogdet``, ``pinverse``, ``cholesky`` and ``qr`` are in ``__all__`` (top level
and Tensor methods, as in torch); the ``linalg_*`` functions are exported by ``numtorch.linalg``.
"""
from ..._backend import xp, namespace
from ...autograd.graph import Node
from ...return_types import _make
from .. import _apply
from .products import _CAP
from .solve import LinAlgError
from ...autograd._grad_array import GradArray

__all__ = ['svd', 'slogdet', 'pinverse', 'cholesky', 'qr', 'logdet']

_svd_t = _make('svd', ['U', 'S', 'V'])
_linalg_svd_t = _make('linalg_svd', ['U', 'S', 'Vh'])
_qr_t = _make('qr', ['Q', 'R'])
_linalg_qr_t = _make('linalg_qr', ['Q', 'R'])
_eigh_t = _make('linalg_eigh', ['eigenvalues', 'eigenvectors'])
_slogdet_t = _make('slogdet', ['sign', 'logabsdet'])
_linalg_slogdet_t = _make('linalg_slogdet', ['sign', 'logabsdet'])


def _mT(x):
    return xp.swapaxes(x, -1, -2)


def _eye_mask(n, ns):
    """An n x n boolean identity made by the node's namespace ``ns`` (its device): selects
    (batched) diagonals, where the NumPy-only idiom would write through an ``einsum`` view
    (CuPy's einsum returns a copy, and create_graph cannot record such a write)."""
    return ns.eye(n, dtype=bool)


def _graphed(a):
    """True when a backward formula runs under create_graph (its saved arrays are GradArrays):
    quantities it saved that are neither inputs nor outputs must then be recomputed from them."""
    return a.__class__ is GradArray


def _check(A, fname, square=False):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f'{fname}: The input tensor A must have at least 2 dimensions.')
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f'{fname}: A must be batches of square matrices, but they are '
                           f'{a.shape[-2]} by {a.shape[-1]} matrices')
    if a.dtype.kind not in 'fc':
        n = a.dtype.name
        raise RuntimeError(f'{fname}: Expected a floating point or complex tensor as input. Got '
                           f'{_CAP.get(n, n)}')


# --------------------------------------------------------------------------- cholesky
def _not_pd_order(a):
    """(batch index, order of the first leading minor that is not positive-definite): LAPACK
    potrf's ``info``, for torch's message. Error path only."""
    for b, m in enumerate(a.reshape((-1,) + a.shape[-2:])):
        for k in range(1, m.shape[-1] + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except xp.linalg.LinAlgError:
                return b, k
    return 0, a.shape[-1]


class LinalgCholeskyEx(Node):
    def forward(self, a, upper, fname):
        # potrf reads one triangle: the lower one, or the upper one (= lower of A^T) if upper.
        try:
            low = xp.linalg.cholesky(_mT(a) if upper else a)
        except xp.linalg.LinAlgError:
            b, k = _not_pd_order(_mT(a) if upper else a)
            batch = f'(Batch element {b}): ' if a.ndim > 2 else ''
            raise LinAlgError(f'{fname}: {batch}The factorization could not be completed '
                                f'because the input is not positive-definite (the leading minor '
                                f'of order {k} is not positive-definite).') from None
        out = _mT(low) if upper else low
        self.saved, self.upper = (out,), upper   # the output: create_graph differentiates it
        return out

    def backward(self, g):
        # gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved.
        low, = self.saved
        if self.upper:
            g, low = _mT(g), _mT(low)
        phi = xp.tril(_mT(low) @ g)
        phi = xp.where(_eye_mask(phi.shape[-1], self.xp), phi * 0.5, phi)
        linv = xp.linalg.inv(low)
        ga = _mT(linv) @ phi @ linv
        return 0.5 * (ga + _mT(ga))


def linalg_cholesky(A, *, upper=False, out=None):
    """The Cholesky factor ``L`` (lower) with ``A = L @ L.mT`` of a symmetric positive-definite
    matrix (or ``U = L.mT`` if ``upper``); raises ``LinAlgError`` if ``A`` is not PD.

    >>> import numtorch
    >>> numtorch.linalg.cholesky(numtorch.tensor([[4., 2.], [2., 2.]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    _check(A, 'linalg.cholesky', square=True)
    return _apply.unary(LinalgCholeskyEx, A, upper, 'linalg.cholesky')


def cholesky(input, upper=False, *, out=None):
    """torch's older ``cholesky(input, upper=False)`` (same as ``numtorch.linalg.cholesky``)."""
    _check(input, 'cholesky', square=True)
    return _apply.unary(LinalgCholeskyEx, input, upper, 'cholesky')


# --------------------------------------------------------------------------- qr
def _copyltu(m, ns):
    """The symmetric matrix with ``m``'s lower triangle (``ns``: the node's namespace; its
    float64 eye makes the float32 case compute in float64, as it always has)."""
    low = xp.tril(m, -1)
    return low + _mT(low) + xp.einsum('...ii->...i', m)[..., None] * ns.eye(m.shape[-1])


def _qr_backward_tall(gq, gr, q, r, ns):
    # m >= n (Q: m x n, R: n x n): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q.
    m = r @ _mT(gr) - _mT(gq) @ q
    b = gq + q @ _copyltu(m, ns)
    return _mT(xp.linalg.solve(r, _mT(b)))


class LinalgQr(Node):
    def forward(self, a, mode):
        m, n = a.shape[-2:]
        if mode == 'r':
            r = xp.linalg.qr(a, mode='r')
            self.mode = mode
            return self.xp.zeros((0,), a.dtype), r.astype(a.dtype, copy=False)
        q, r = (x.astype(a.dtype, copy=False) for x in xp.linalg.qr(a, mode=mode))
        self.saved, self.mode = (q, r), mode   # the outputs themselves: create_graph needs them
        return q, r

    def backward(self, gq, gr):
        if self.mode == 'r':
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        q, r = self.saved
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == 'complete' and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r, self.xp)
        # Wide A = Q [R1 R2] = [X Y]: X = Q R1 is a square QR and Y = Q R2 feeds Q's grad.
        r1, r2, gr1, gr2 = r[..., :m], r[..., m:], gr[..., :m], gr[..., m:]
        gx = _qr_backward_tall(gq + q @ r2 @ _mT(gr2), gr1, q, r1, self.xp)
        return xp.concatenate([gx, q @ gr2], axis=-1)


def linalg_qr(A, mode='reduced', *, out=None):
    """QR decomposition ``A = Q @ R``: ``mode`` ``'reduced'`` (Q: m x k), ``'complete'``
    (Q: m x m) or ``'r'`` (R only; Q is empty).

    >>> import numtorch
    >>> Q, R = numtorch.linalg.qr(numtorch.tensor([[3., 1.], [4., 2.]]))
    >>> numtorch.allclose(Q @ R, numtorch.tensor([[3., 1.], [4., 2.]]))
    True
    """
    if mode not in ('reduced', 'complete', 'r'):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    _check(A, 'linalg.qr')
    return _linalg_qr_t(*_apply.multi(LinalgQr, A, mode))


def qr(input, some=True, *, out=None):
    """torch's older ``qr(input, some=True)``: ``some=False`` gives the complete Q."""
    _check(input, 'linalg.qr')
    return _qr_t(*_apply.multi(LinalgQr, input, 'reduced' if some else 'complete'))


# --------------------------------------------------------------------------- svd
def _svd_backward(gu, gs, gvh, u, s, vh, ns):
    """torch's ``svd_backward`` (real case) for ``A = U diag(S) Vh`` with k = min(m, n);
    ``ns``: the node's array namespace."""
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
    if k == 0:
        return ns.zeros(u.shape[:-1] + (n,), s.dtype)
    v, gv = _mT(vh), _mT(gvh)
    uhgu, vhgv = _mT(u) @ gu, vh @ gv
    uhgu, vhgv = uhgu - _mT(uhgu), vhgv - _mT(vhgv)   # skew parts: the rest cancels
    s2 = s * s
    eye = _eye_mask(k, ns)
    e = xp.where(eye, 1, s2[..., None, :] - s2[..., :, None])
    with xp.errstate(divide='ignore', invalid='ignore'):
        ga = (uhgu * s[..., None, :] + s[..., :, None] * vhgv) / e
        ga = xp.where(eye, gs[..., None, :], ga)
        if m > k:   # gA = [U gA + (I - U U^T) gU S^-1] V^T
            gus = gu / s[..., None, :]
            return (u @ ga + gus - u @ (_mT(u) @ gus)) @ vh
        if n > k:   # gA = U [gA V^T + S^-1 gV^T (I - V V^T)]
            sgvh = gvh / s[..., :, None]
            return u @ (ga @ vh + sgvh - (sgvh @ v) @ vh)
        return u @ ga @ vh


class LinalgSvd(Node):
    """``(U, S, Vh)``; with ``transpose_v`` (torch.svd's old API) the third output is V."""

    def forward(self, a, full_matrices, transpose_v):
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        u, s, vh = (x.astype(a.dtype, copy=False) for x in (u, s, vh))
        out = (u, s, _mT(vh) if transpose_v else vh)
        self.saved, self.transpose_v = out, transpose_v   # the outputs: create_graph needs them
        return out

    def backward(self, gu, gs, gvh):
        u, s, vh = self.saved
        if self.transpose_v:
            gvh, vh = _mT(gvh), _mT(vh)
        return _svd_backward(gu, gs, gvh, u, s, vh, self.xp)


class LinalgSvdvals(Node):
    _name = 'LinalgSvdBackward0'

    def forward(self, a):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        self.saved = (u, vh, a)
        return s.astype(a.dtype, copy=False)

    def backward(self, g):
        u, vh, a = self.saved
        if _graphed(a):   # create_graph: U and Vh as differentiable functions of A
            u, _, vh = xp.linalg.svd(a, full_matrices=False)
        return (u * g[..., None, :]) @ vh


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """Singular value decomposition ``A = U @ diag(S) @ Vh`` (S descending). Singular vectors
    are unique only up to sign; losses that depend on them should not depend on the sign.

    >>> import numtorch
    >>> numtorch.linalg.svd(numtorch.tensor([[3., 0.], [0., -4.]])).S
    tensor([4., 3.])
    """
    _check(A, 'linalg.svd')
    return _linalg_svd_t(*_apply.multi(LinalgSvd, A, full_matrices, False))


def linalg_svdvals(A, *, driver=None, out=None):
    """The singular values of ``A``, descending.

    >>> import numtorch
    >>> numtorch.linalg.svdvals(numtorch.tensor([[3., 0.], [0., -4.]]))
    tensor([4., 3.])
    """
    _check(A, 'linalg.svd')
    return _apply.unary(LinalgSvdvals, A)


def svd(input, some=True, compute_uv=True, *, out=None):
    """torch's older ``svd``: returns ``(U, S, V)`` with ``A = U @ diag(S) @ V.mT`` (V, not Vh);
    ``some=False`` gives full U and V; ``compute_uv=False`` gives zero-filled U and V.

    >>> import numtorch
    >>> numtorch.svd(numtorch.tensor([[2., 0.], [0., 1.]])).S
    tensor([2., 1.])
    """
    _check(input, 'linalg.svd')
    if not compute_uv:
        a = input._data
        s = linalg_svdvals(input)
        ns = namespace(a)
        z = ns.zeros(a.shape[:-2] + (a.shape[-2], a.shape[-2]), a.dtype)
        zv = ns.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-1]), a.dtype)
        return _svd_t(_apply.wrap(z), s, _apply.wrap(zv))
    return _svd_t(*_apply.multi(LinalgSvd, input, not some, True))


# --------------------------------------------------------------------------- eigh
class LinalgEigh(Node):
    def forward(self, a, uplo, vectors):
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        w, v = w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)
        # eigvalsh keeps A too: under create_graph V must be recomputed as a function of A
        self.saved, self.vectors, self.uplo = (w, v) if vectors else (w, v, a), vectors, uplo
        return (w, v) if vectors else w

    def backward(self, gw, gv=None):
        # gA = V (diag(gL) + skew(V^T gV) / E) V^T with E_ij = L_j - L_i.
        w, v = self.saved[:2]
        if not self.vectors and _graphed(self.saved[2]):
            w, v = xp.linalg.eigh(self.saved[2], UPLO=self.uplo)
        eye = _eye_mask(w.shape[-1], self.xp)
        inner = self.xp.zeros(w.shape + w.shape[-1:], w.dtype)
        if gv is not None:
            vgv = _mT(v) @ gv
            vgv = 0.5 * (vgv - _mT(vgv))
            e = xp.where(eye, 1, w[..., None, :] - w[..., :, None])
            with xp.errstate(divide='ignore', invalid='ignore'):
                inner = vgv / e
        inner = xp.where(eye, gw[..., None, :], inner)   # diag(gL): a select, not an index write
        return v @ inner @ _mT(v)


def _uplo(UPLO):
    if UPLO not in ('L', 'U'):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def linalg_eigh(A, UPLO='L', *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read from its
    lower (``UPLO='L'``) or upper triangle. Eigenvectors are unique only up to sign.

    >>> import numtorch
    >>> numtorch.linalg.eigh(numtorch.tensor([[2., 1.], [1., 2.]])).eigenvalues
    tensor([1., 3.])
    """
    _uplo(UPLO)
    _check(A, 'linalg.eigh', square=True)
    return _eigh_t(*_apply.multi(LinalgEigh, A, UPLO, True))


def linalg_eigvalsh(A, UPLO='L', *, out=None):
    """The eigenvalues (ascending) of a symmetric matrix.

    >>> import numtorch
    >>> numtorch.linalg.eigvalsh(numtorch.tensor([[2., 1.], [1., 2.]]))
    tensor([1., 3.])
    """
    _uplo(UPLO)
    _check(A, 'linalg.eigh', square=True)
    return _apply.unary(LinalgEigh, A, UPLO, False)


# --------------------------------------------------------------------------- slogdet
class LinalgSlogdet(Node):
    def forward(self, a):
        sign, logabs = xp.linalg.slogdet(a)
        self.saved = (a,)
        return self.xp.asarray(sign, a.dtype), self.xp.asarray(logabs, a.dtype)

    def backward(self, gsign, glog):
        # d log|det A| = tr(A^-1 dA): the sign is piecewise constant (no gradient).
        a, = self.saved
        return self.xp.asarray(glog)[..., None, None] * _mT(xp.linalg.inv(a))


def linalg_slogdet(A, *, out=None):
    """``(sign, logabsdet)`` of the determinant, stable where ``det`` would overflow.

    >>> import numtorch
    >>> numtorch.linalg.slogdet(numtorch.tensor([[-2., 0.], [0., 1.]])).sign
    tensor(-1.)
    """
    _check(A, 'linalg.slogdet', square=True)
    return _linalg_slogdet_t(*_apply.multi(LinalgSlogdet, A))


def slogdet(input, *, out=None):
    """``numtorch.linalg.slogdet`` (torch.return_types.slogdet)."""
    _check(input, 'linalg.slogdet', square=True)
    return _slogdet_t(*_apply.multi(LinalgSlogdet, input))


def logdet(input):
    """``log(det(input))``: NaN where the determinant is negative, -inf where it is 0
    (differentiable through ``slogdet``'s log-abs-det).

    >>> import numtorch
    >>> numtorch.logdet(numtorch.tensor([[2., 0.], [0., 3.]]))
    tensor(1.7918)
    """
    a = input._data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        if a.ndim < 2:
            raise RuntimeError(f'logdet: The input tensor A must have at least 2 dimensions.')
        raise RuntimeError(f'logdet: A must be batches of square matrices, but they are '
                           f'{a.shape[-2]} by {a.shape[-1]} matrices')
    sign, logabs = slogdet(input)
    with xp.errstate(divide='ignore', invalid='ignore'):
        shift = xp.log(sign._data.astype(logabs._data.dtype))     # 0, -inf or nan; a constant
    return logabs + _apply.wrap(namespace(sign._data).asarray(shift, logabs._data.dtype))


# --------------------------------------------------------------------------- pinv / rank
def _tol(v):
    return None if v is None else (v._data if isinstance(v, _apply.Tensor) else v)


def _cutoff(s, a, atol, rtol):
    """torch's rule: singular values <= max(atol, rtol * s_max) count as zero; the default rtol
    is eps * max(m, n) when atol is not given, else 0."""
    ns = namespace(s)
    atol, rtol = _tol(atol), _tol(rtol)
    if rtol is None:
        rtol = xp.finfo(s.dtype).eps * max(a.shape[-2:]) if atol is None else 0.0
    smax = s.max(-1, keepdims=True) if s.shape[-1] else ns.zeros(s.shape[:-1] + (1,), s.dtype)
    cut = xp.maximum(0.0 if atol is None else ns.asarray(atol)[..., None],
                     ns.asarray(rtol)[..., None] * smax)
    return s > cut


class LinalgPinv(Node):
    def forward(self, a, atol, rtol):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        keep = _cutoff(s, a, atol, rtol)
        with xp.errstate(divide='ignore'):
            sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
        p = (_mT(vh) * sinv[..., None, :]) @ _mT(u)
        self.saved = (a, p)
        return p

    def backward(self, g):
        # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, transposed onto dA.
        a, p = self.saved
        pt = _mT(p)
        gt = _mT(g)
        gtppt = gt @ (p @ pt)
        ptpgt = (pt @ p) @ gt
        return -pt @ g @ pt + (gtppt - a @ (p @ gtppt)) + (ptpgt - (ptpgt @ p) @ a)


def _check_pinv(A):
    a = A._data
    if a.ndim < 2 or a.dtype.kind not in 'fc':
        n = a.dtype.name
        raise RuntimeError(f'linalg.pinv({_CAP.get(n, n)}{{{list(a.shape)}}}): expected a tensor '
                           f'with 2 or more dimensions of float, double, cfloat or cdouble types')


def linalg_pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse (via SVD; singular values under
    ``max(atol, rtol * s_max)`` are treated as zero).

    >>> import numtorch
    >>> numtorch.linalg.pinv(numtorch.tensor([[2., 0.], [0., 0.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    _check_pinv(A)
    return _apply.unary(LinalgPinv, A, atol, rtol)


def pinverse(input, rcond=1e-15):
    """torch's older ``pinverse``: singular values under ``rcond * s_max`` count as zero."""
    _check_pinv(input)
    return _apply.unary(LinalgPinv, input, None, rcond)


def linalg_matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above ``max(atol, rtol * s_max)`` (int64, not
    differentiable).

    >>> import numtorch
    >>> numtorch.linalg.matrix_rank(numtorch.tensor([[1., 2.], [2., 4.]]))
    tensor(1)
    """
    a = A._data
    if a.ndim < 2:
        raise RuntimeError('torch.linalg.matrix_rank: The input tensor input must have at least 2 '
                           'dimensions.')
    if a.dtype.kind not in 'fc':
        raise RuntimeError("This function doesn't handle types other than float and double")
    s = xp.linalg.svd(a, compute_uv=False)
    return _apply.wrap(namespace(a).asarray(_cutoff(s, a, atol, rtol).sum(-1), xp.int64))
