"""Matrix products, einsum and numtorch.linalg vs torch: values, gradients, finite
differences, grad_fn names and error texts."""
import math

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, check_op, parametrize


def well_conditioned(rng, shape, dt):
    """Random square matrices pushed away from singular (for inv/det/solve)."""
    a = rng.uniform(-1, 1, size=shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        a = a + 3 * np.eye(shape[-1])
    return a.astype(dt)


def L(m):
    return m.linalg


INF = math.inf
OPS = [
    Op('mm_noncontig', lambda m, a, b: m.mm(a.t(), b), [((3, 2), (3, 4)), ((0, 2), (0, 3))]),
    Op('matmul_empty', lambda m, a, b: a @ b, [((2, 0), (0, 3)), ((0, 2), (2,))]),
    Op('bmm', lambda m, a, b: m.bmm(a, b), [((4, 2, 3), (4, 3, 5)), ((1, 1, 1), (1, 1, 2))]),
    Op('bmm_noncontig', lambda m, a, b: a.transpose(1, 2).bmm(b), [((2, 3, 2), (2, 3, 4))]),
    Op('mv', lambda m, a, v: m.mv(a, v), [((2, 3), (3,)), ((0, 3), (3,))]),
    Op('dot', lambda m, a, b: m.dot(a, b), [((3,), (3,)), ((0,), (0,))]),
    Op('vdot', lambda m, a, b: m.vdot(a, b), [((3,), (3,))]),
    Op('addmm', lambda m, c, a, b: m.addmm(c, a, b), [((3,), (2, 4), (4, 3)),
                                                      ((2, 3), (2, 4), (4, 3)), ((), (2, 1), (1, 2))]),
    Op('addmm_beta_alpha', lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2),
       [((2, 1), (2, 4), (4, 3))]),
    Op('addmm_beta0', lambda m, c, a, b: c.addmm(a, b, beta=0), [((2, 3), (2, 4), (4, 3))]),
    Op('addmv', lambda m, c, a, v: m.addmv(c, a, v, beta=2., alpha=0.5), [((2,), (2, 3), (3,))]),
    Op('baddbmm', lambda m, c, a, b: m.baddbmm(c, a, b, alpha=2.), [((2, 3), (4, 2, 5), (4, 5, 3))]),
    Op('outer', lambda m, a, b: m.outer(a, b), [((3,), (2,)), ((0,), (2,))]),
    Op('ger', lambda m, a, b: a.ger(b), [((3,), (4,))]),
    Op('trace', lambda m, a: m.trace(a), [((3, 3),), ((2, 4),), ((0, 0),)]),
    Op('einsum_mm', lambda m, a, b: m.einsum('ij,jk->ik', a, b), [((2, 3), (3, 4))]),
    Op('einsum_list', lambda m, a, b: m.einsum('ij,jk', [a, b]), [((2, 3), (3, 4))]),
    Op('einsum_bmm', lambda m, a, b: m.einsum('bij,bjk->bik', a, b), [((2, 2, 3), (2, 3, 1))]),
    Op('einsum_trace', lambda m, a: m.einsum('ii', a), [((3, 3),)]),
    Op('einsum_diag', lambda m, a: m.einsum('ii->i', a), [((3, 3),)]),
    Op('einsum_diag_batch', lambda m, a: m.einsum('bii->bi', a), [((2, 3, 3),)]),
    Op('einsum_outer', lambda m, a, b: m.einsum('i,j->ij', a, b), [((3,), (2,))]),
    Op('einsum_sum', lambda m, a: m.einsum('ij->', a), [((2, 3),)]),
    Op('einsum_only_in_one', lambda m, a, b: m.einsum('ij,k->ik', a, b), [((2, 3), (4,))]),
    Op('einsum_transpose', lambda m, a: m.einsum('ijk->kij', a), [((2, 3, 4),)]),
    Op('einsum_ellipsis', lambda m, a, b: m.einsum('...ij,...jk->...ik', a, b),
       [((2, 2, 3), (3, 4)), ((5, 1, 2, 3), (2, 3, 2))]),
    Op('einsum_ellipsis_implicit', lambda m, a: m.einsum('i...->...', a), [((3, 2, 2),)]),
    Op('einsum_bcast1', lambda m, a, b: m.einsum('ij,ij->ij', a, b), [((1, 3), (2, 3))]),
    Op('einsum_three', lambda m, a, b, c: m.einsum('ij,jk,kl->il', a, b, c),
       [((2, 3), (3, 4), (4, 2))]),
    Op('einsum_bilinear', lambda m, a, w, b: m.einsum('bn,anm,bm->ba', a, w, b),
       [((2, 3), (4, 3, 2), (2, 2))]),
    Op('einsum_noncontig', lambda m, a, b: m.einsum('ij,jk->ik', a.t(), b), [((3, 2), (3, 2))]),
    Op('tensordot', lambda m, a, b: m.tensordot(a, b), [((2, 3, 4), (3, 4, 2))]),
    Op('tensordot_dims', lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
       [((2, 3, 4), (3, 5, 2))]),
    Op('tensordot_int', lambda m, a, b: m.tensordot(a, b, 1), [((2, 3), (3, 4))]),
    Op('inner', lambda m, a, b: m.inner(a, b), [((2, 3), (4, 3)), ((3,), (3,)), ((), (2,))]),
    Op('kron', lambda m, a, b: m.kron(a, b), [((2, 3), (2, 2)), ((2,), (3, 2))]),
    Op('norm', lambda m, a: L(m).norm(a), [((2, 3),), ((4,),)]),
    Op('norm_dim', lambda m, a: L(m).norm(a, dim=1, keepdim=True), [((2, 3),)]),
    Op('norm_fro', lambda m, a: L(m).norm(a, 'fro'), [((3, 2),)]),
    Op('norm_nuc', lambda m, a: L(m).norm(a, 'nuc'), [((3, 2),)]),
    Op('norm_ord_mat', lambda m, a: L(m).norm(a, 1), [((3, 4),)]),
    Op('norm_ord_vec', lambda m, a: L(m).norm(a, 3), [((4,),)]),
    Op('vector_norm', lambda m, a: L(m).vector_norm(a), [((2, 3),), ((),)]),
    Op('vector_norm_ord1', lambda m, a: L(m).vector_norm(a, 1, dim=0), [((3, 2),)]),
    Op('vector_norm_ord3', lambda m, a: L(m).vector_norm(a, 3, dim=(0, 2)), [((2, 3, 2),)]),
    Op('vector_norm_frac', lambda m, a: L(m).vector_norm(a, 0.5), [((4,),)], domain=(0.5, 2.)),
    Op('vector_norm_inf', lambda m, a: L(m).vector_norm(a, INF, dim=-1), [((3, 4),)]),
    Op('vector_norm_ninf', lambda m, a: L(m).vector_norm(a, -INF, keepdim=True), [((3, 4),)]),
    Op('vector_norm_0', lambda m, a: L(m).vector_norm(a, 0), [((3, 4),)], gradcheck=False),
    Op('matrix_norm_fro', lambda m, a: L(m).matrix_norm(a), [((2, 3, 2),)]),
    Op('matrix_norm_nuc', lambda m, a: L(m).matrix_norm(a, 'nuc'), [((2, 3, 2),)]),
    Op('matrix_norm_2', lambda m, a: L(m).matrix_norm(a, 2), [((3, 3),), ((2, 3, 2),)]),
    Op('matrix_norm_m2', lambda m, a: L(m).matrix_norm(a, -2), [((3, 2),)]),
    Op('matrix_norm_1', lambda m, a: L(m).matrix_norm(a, 1), [((3, 4),)]),
    Op('matrix_norm_m1', lambda m, a: L(m).matrix_norm(a, -1), [((3, 4),)]),
    Op('matrix_norm_inf', lambda m, a: L(m).matrix_norm(a, INF, keepdim=True), [((3, 4),)]),
    Op('matrix_norm_ninf_dim', lambda m, a: L(m).matrix_norm(a, -INF, dim=(0, 2)), [((3, 2, 4),)]),
    Op('inv', lambda m, a: L(m).inv(a), [((3, 3),), ((2, 2, 2),), ((1, 1),)],
       make=well_conditioned),
    Op('inverse', lambda m, a: m.inverse(a.t()), [((3, 3),)], make=well_conditioned),
    Op('det', lambda m, a: L(m).det(a), [((3, 3),), ((2, 2, 2),)], make=well_conditioned),
    Op('det_top', lambda m, a: m.det(a), [((2, 2),)], make=well_conditioned),
    Op('solve', lambda m, a, b: L(m).solve(a, b), [((3, 3), (3, 2)), ((3, 3), (3,)),
                                                   ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 1))],
       make=well_conditioned),
    Op('solve_right', lambda m, a, b: L(m).solve(a, b, left=False), [((3, 3), (2, 3))],
       make=well_conditioned),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_det_of_singular_matrix_has_cofactor_grad():
    # torch 2.13 returns a zero gradient here; the true one is the cofactor matrix.
    n = numtorch.tensor([[1., 2.], [2., 4.]], dtype=numtorch.float64, requires_grad=True)
    numtorch.linalg.det(n).backward()
    np.testing.assert_allclose(n.grad.numpy(), [[4., -2.], [-2., 1.]])
    assert numtorch.autograd.gradcheck(numtorch.linalg.det, (n,))


def test_vector_norm_of_zero_has_zero_grad():
    x = numtorch.zeros(3, requires_grad=True)
    numtorch.linalg.vector_norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0., 0., 0.])


def test_inf_norm_ties_share_grad():
    for m in (numtorch, torch):
        x = m.tensor([1., -3., 3.], requires_grad=True)
        m.linalg.vector_norm(x, float('inf')).backward()
        if m is numtorch:
            got = x.grad.numpy().copy()
    np.testing.assert_allclose(got, x.grad.numpy())


def test_grad_fn_names():
    a = numtorch.ones(2, 2, requires_grad=True)
    b = numtorch.ones(2, 2, 2, requires_grad=True)
    names = {'BmmBackward0': numtorch.bmm(b, b), 'MvBackward0': numtorch.mv(a, a[0]),
             'DotBackward0': numtorch.dot(a[0], a[1]), 'AddmmBackward0': numtorch.addmm(a, a, a),
             'AddmvBackward0': numtorch.addmv(a[0], a, a[0]),
             'BaddbmmBackward0': numtorch.baddbmm(b, b, b), 'MulBackward0': numtorch.outer(a[0], a[1]),
             'TraceBackward0': a.trace(), 'MmBackward0': a.mm(a),
             'LinalgVectorNormBackward0': numtorch.linalg.norm(a),
             'AmaxBackward0': numtorch.linalg.matrix_norm(a, 2),
             'SumBackward1': numtorch.linalg.matrix_norm(a, 'nuc'),
             'LinalgInvExBackward0': numtorch.linalg.inv(a + numtorch.eye(2)),
             'LinalgDetBackward0': numtorch.linalg.det(a),
             'LinalgSolveExBackward0': numtorch.linalg.solve(a + numtorch.eye(2), a)}
    for name, t in names.items():
        assert t.grad_fn.name() == name


@pytest.mark.parametrize('fn', [
    lambda m: m.bmm(m.zeros(2, 3), m.zeros(2, 3)),
    lambda m: m.bmm(m.zeros(4, 2, 3), m.zeros(2, 3)),
    lambda m: m.bmm(m.zeros(4, 2, 3), m.zeros(4, 2, 3)),
    lambda m: m.bmm(m.zeros(4, 2, 3), m.zeros(3, 3, 3)),
    lambda m: m.bmm(m.zeros(4, 2, 3), m.zeros(4, 3, 2, dtype=m.float64)),
    lambda m: m.mv(m.zeros(2, 3), m.zeros(4)),
    lambda m: m.mv(m.zeros(2, 3), m.zeros(2, 3)),
    lambda m: m.dot(m.zeros(2, 3), m.zeros(2, 3)),
    lambda m: m.dot(m.zeros(3), m.zeros(4)),
    lambda m: m.dot(m.zeros(3), m.zeros(3, dtype=m.float64)),
    lambda m: m.mm(m.zeros(2, 3), m.zeros(3, 2, dtype=m.float64)),
    lambda m: m.matmul(m.zeros(2, 3), m.zeros(3, 2, dtype=m.float64)),
    lambda m: m.mm(m.zeros(2, 3), m.zeros(2, 3)),
    lambda m: m.addmm(m.zeros(4), m.zeros(3, 2), m.zeros(2, 3)),
    lambda m: m.outer(m.zeros(2, 3), m.zeros(3)),
    lambda m: m.trace(m.zeros(2, 2, 2)),
    lambda m: m.einsum('ij,jk->ik', m.zeros(2, 3), m.zeros(2, 3)),
    lambda m: m.linalg.vector_norm(m.zeros(3, dtype=m.long)),
    lambda m: m.linalg.matrix_norm(m.zeros(3)),
    lambda m: m.linalg.matrix_norm(m.zeros(3, 3), 3),
    lambda m: m.linalg.norm(m.zeros(2, 2, 2), 2),
    lambda m: m.linalg.inv(m.zeros(2, 3)),
    lambda m: m.linalg.inv(m.zeros(3, 3)),
    lambda m: m.linalg.inv(m.tensor([[1., 2.], [2., 4.]])),
    lambda m: m.linalg.det(m.zeros(2, 3)),
    lambda m: m.linalg.solve(m.zeros(2, 2), m.zeros(2)),
])
def test_errors(fn):
    same_error(fn)


def test_singular_error_is_linalg_error():
    with pytest.raises(numtorch.linalg.LinAlgError):
        numtorch.linalg.inv(numtorch.zeros(2, 2))
    assert issubclass(numtorch.linalg.LinAlgError, RuntimeError)
