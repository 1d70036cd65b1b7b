"""Matrix decompositions (numtorch.linalg.cholesky/qr/svd/svdvals/eigh/eigvalsh/slogdet/pinv/
matrix_rank and torch.svd/qr/cholesky/slogdet/pinverse) vs torch: values, gradients, float64
finite differences, grad_fn names and error texts.

Singular/eigen vectors are unique only up to sign, so the specs compare sign-invariant functions
of them (squares, reconstructions); these still send a gradient through every output.
"""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, check_op, parametrize


def distinct(rng, shape, dt):
    """Random matrices with well-separated singular values / eigenvalues (stable gradients)."""
    a = rng.uniform(-1, 1, size=shape)
    k = min(shape[-2:])
    if k:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        a = (u * np.linspace(3.0, 1.0, k)) @ vh
    return a.astype(dt)


def rank_deficient(rng, shape, dt):
    a = rng.uniform(-1, 1, size=shape)
    a[..., -1, :] = a[..., 0, :]   # repeat a row: rank drops by one
    return a.astype(dt)


def T(x):
    return x.transpose(-2, -1)


def spd(m, a):
    """A symmetric positive-definite matrix from any square ``a`` (differentiable)."""
    return a @ T(a) + m.eye(a.shape[-1], dtype=a.dtype, device=a.device)


def sym(m, a):
    return a + T(a)


def svd_inv(r):
    """Sign-invariant views of (U, S, Vh): U**2, S, Vh**2 and the reconstruction."""
    u, s, vh = r
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return u * u, s, vh * vh, (u * s.unsqueeze(-2)) @ vh


LOOSE = dict(rtol=1e-4, atol=1e-4)   # float32 SVD/eigen gradients lose a few digits
SQ = [((3, 3),), ((2, 4, 4),), ((1, 1),)]
RECT = [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),), ((2, 2, 3),)]
OPS = [
    Op('cholesky', lambda m, a: m.linalg.cholesky(spd(m, a)), SQ + [((0, 0),)]),
    Op('cholesky_upper', lambda m, a: m.linalg.cholesky(spd(m, a), upper=True), SQ),
    Op('cholesky_old', lambda m, a: m.cholesky(spd(m, a)), [((3, 3),)]),
    Op('cholesky_method_upper', lambda m, a: spd(m, a).cholesky(True), [((3, 3),)]),
    Op('qr', lambda m, a: tuple(m.linalg.qr(a)), RECT, make=distinct, tol=LOOSE),
    Op('qr_complete', lambda m, a: tuple(m.linalg.qr(a, mode='complete')),
       [((2, 4),), ((3, 3),), ((2, 2, 3),)], make=distinct, tol=LOOSE),
    Op('qr_old', lambda m, a: tuple(m.qr(a)), [((4, 3),)], make=distinct, tol=LOOSE),
    Op('qr_old_full', lambda m, a: tuple(a.qr(some=False)), [((2, 3),)], make=distinct,
       tol=LOOSE),
    Op('svd', lambda m, a: svd_inv(m.linalg.svd(a, full_matrices=False)), RECT,
       make=distinct, tol=LOOSE),
    Op('svd_full', lambda m, a: svd_inv(m.linalg.svd(a)), RECT, make=distinct, tol=LOOSE),
    Op('svd_S_only', lambda m, a: m.linalg.svd(a).S, [((4, 3),)], make=distinct, tol=LOOSE),
    Op('svdvals', lambda m, a: m.linalg.svdvals(a), RECT + [((0, 3),)], make=distinct,
       tol=LOOSE),
    Op('svd_old', lambda m, a: (lambda r: (r.U ** 2, r.S, r.V ** 2,
                                          (r.U * r.S.unsqueeze(-2)) @ T(r.V)))(m.svd(a)),
       RECT, make=distinct, tol=LOOSE),
    Op('svd_old_method_full', lambda m, a: (lambda r: (r.S, r.U[:, :2] ** 2))(a.svd(some=False)),
       [((4, 2),)], make=distinct, tol=LOOSE),
    Op('eigh', lambda m, a: (lambda r: (r.eigenvalues, r.eigenvectors ** 2))(
        m.linalg.eigh(sym(m, a))), SQ, make=distinct, tol=LOOSE),
    Op('eigh_U', lambda m, a: (lambda r: (r[0], r[1] ** 2))(m.linalg.eigh(a, UPLO='U')),
       [((3, 3),)], make=distinct, tol=LOOSE, gradcheck=False),
    Op('eigvalsh', lambda m, a: m.linalg.eigvalsh(sym(m, a)), SQ, make=distinct, tol=LOOSE),
    Op('eigvalsh_U', lambda m, a: m.linalg.eigvalsh(a, UPLO='U'), [((3, 3),)], make=distinct,
       tol=LOOSE, gradcheck=False),
    Op('slogdet', lambda m, a: tuple(m.linalg.slogdet(a)), SQ, make=distinct),
    Op('slogdet_old', lambda m, a: tuple(m.slogdet(a)), [((3, 3),)], make=distinct),
    Op('slogdet_method', lambda m, a: a.slogdet()[1], [((2, 3, 3),)], make=distinct),
    Op('pinv', lambda m, a: m.linalg.pinv(a), RECT, make=distinct, tol=LOOSE),
    Op('pinverse', lambda m, a: m.pinverse(a), [((4, 3),), ((2, 3),)], make=distinct, tol=LOOSE),
    Op('pinv_method', lambda m, a: a.pinverse(rcond=1e-10), [((2, 3, 2),)], make=distinct,
       tol=LOOSE),
    Op('pinv_rank_deficient', lambda m, a: m.linalg.pinv(a), [((3, 3),)], make=rank_deficient,
       tol=LOOSE, grad=False),
    Op('matrix_rank', lambda m, a: m.linalg.matrix_rank(a), [((3, 3),), ((2, 4, 3),)],
       make=rank_deficient, grad=False),
    Op('matrix_rank_tol', lambda m, a: m.linalg.matrix_rank(a, atol=1.5, rtol=0.1),
       [((3, 3),), ((3, 5),)], make=distinct, grad=False),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_reconstructions():
    rng = np.random.default_rng(3)
    a = numtorch.tensor(rng.standard_normal((2, 5, 3)))
    u, s, vh = numtorch.linalg.svd(a)
    assert tuple(u.shape) == (2, 5, 5) and tuple(vh.shape) == (2, 3, 3)
    np.testing.assert_allclose((u[..., :3] * s.unsqueeze(-2) @ vh)._data, a._data, atol=1e-12)
    q, r = numtorch.linalg.qr(a, mode='complete')
    assert tuple(q.shape) == (2, 5, 5)
    np.testing.assert_allclose((q @ r)._data, a._data, atol=1e-12)
    q, r = numtorch.linalg.qr(a, mode='r')
    assert tuple(q.shape) == (0,)
    np.testing.assert_allclose(np.abs(r._data), np.abs(torch.linalg.qr(torch.tensor(a._data),
                                                                       mode='r').R.numpy()))
    s = sym(numtorch, a[..., :3, :])
    w, v = numtorch.linalg.eigh(s)
    np.testing.assert_allclose((v * w.unsqueeze(-2) @ T(v))._data, s._data, atol=1e-12)
    _, _, vv = numtorch.svd(a, compute_uv=False)
    assert tuple(vv.shape) == (2, 3, 3) and not vv._data.any()


def test_return_types_and_grad_fn():
    a = numtorch.eye(2, requires_grad=True)
    assert repr(numtorch.linalg.svd(a)).startswith('torch.return_types.linalg_svd(\nU=')
    assert numtorch.svd(a)._fields == ('U', 'S', 'V')
    assert numtorch.linalg.eigh(a)._fields == ('eigenvalues', 'eigenvectors')
    assert numtorch.slogdet(a)._fields == ('sign', 'logabsdet')
    assert repr(numtorch.qr(a)).startswith('torch.return_types.qr(')
    names = {numtorch.linalg.svdvals(a).grad_fn.name(): 'LinalgSvdBackward0',
             numtorch.linalg.cholesky(a).grad_fn.name(): 'LinalgCholeskyExBackward0',
             numtorch.linalg.qr(a).R.grad_fn.name(): 'LinalgQrBackward0',
             numtorch.linalg.eigvalsh(a).grad_fn.name(): 'LinalgEighBackward0',
             numtorch.linalg.slogdet(a)[1].grad_fn.name(): 'LinalgSlogdetBackward0',
             numtorch.pinverse(a).grad_fn.name(): 'LinalgPinvBackward0'}
    for got, want in names.items():
        assert got == want
    assert numtorch.linalg.matrix_rank(a).dtype == numtorch.int64


def test_backward_errors():
    a = numtorch.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        numtorch.linalg.qr(a, mode='r').R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        numtorch.linalg.qr(a, mode='complete').R.sum().backward()


NOT_PD = [[1., 2.], [2., 1.]]
ERRORS = [
    lambda m: m.linalg.cholesky(m.tensor(NOT_PD)),
    lambda m: m.linalg.cholesky(m.stack([m.eye(2), m.tensor(NOT_PD)])),
    lambda m: m.linalg.cholesky(m.tensor(NOT_PD), upper=True),
    lambda m: m.linalg.cholesky(-m.eye(3)),
    lambda m: m.cholesky(m.tensor(NOT_PD)),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.cholesky(m.ones(3)),
    lambda m: m.linalg.cholesky(m.eye(2, dtype=m.long)),
    lambda m: m.linalg.qr(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(2, 2), mode='x'),
    lambda m: m.linalg.svd(m.ones(3)),
    lambda m: m.linalg.svdvals(m.ones(3, dtype=m.int32)),
    lambda m: m.linalg.eigh(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.eye(2), UPLO='X'),
    lambda m: m.linalg.slogdet(m.ones(2, 3)),
    lambda m: m.slogdet(m.ones(2)),
    lambda m: m.linalg.pinv(m.ones(3)),
    lambda m: m.pinverse(m.ones(2, 2, dtype=m.long)),
    lambda m: m.linalg.matrix_rank(m.ones(3)),
    lambda m: m.linalg.matrix_rank(m.ones(2, 2, dtype=m.long)),
]


@pytest.mark.parametrize('fn', ERRORS)
def test_errors(fn):
    same_error(fn)


def test_cholesky_error_is_linalg_error():
    with pytest.raises(numtorch.linalg.LinAlgError):
        numtorch.linalg.cholesky(numtorch.tensor(NOT_PD))
