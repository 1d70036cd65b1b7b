"""The core ops written with the engine: arithmetic, exp/log/relu, sum/mean, matmul, reshape."""
import pytest

import numtorch
from opcheck import Op, check_op, parametrize

BCAST = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (4,)), ((0, 3), (3,))]

OPS = [
    Op('add', lambda m, a, b: a + b, BCAST),
    Op('add_alpha', lambda m, a, b: m.add(a, b, alpha=2.5), BCAST),
    Op('add_scalar', lambda m, a: a + 1.5, [((2, 3),), ((),)]),
    Op('radd', lambda m, a: 2 + a, [((3,),)]),
    Op('sub', lambda m, a, b: a - b, BCAST),
    Op('rsub', lambda m, a: 2 - a, [((3, 2),)]),
    Op('mul', lambda m, a, b: a * b, BCAST),
    Op('mul_scalar', lambda m, a: a * 3, [((2, 3),)]),
    Op('div', lambda m, a, b: a / b, BCAST, domain=(0.5, 2.0)),
    Op('rdiv', lambda m, a: 2 / a, [((4,),)], domain=(0.5, 2.0)),
    Op('neg', lambda m, a: -a, [((2, 3),), ((),)]),
    Op('pow_scalar', lambda m, a: a ** 3, [((2, 3),)]),
    Op('pow_tensor', lambda m, a, b: a ** b, [((2, 3), (2, 3)), ((2, 3), (3,))], domain=(0.5, 2.0)),
    Op('rpow', lambda m, a: 2 ** a, [((5,),)]),
    Op('exp', lambda m, a: m.exp(a), [((2, 3),), ((),)]),
    Op('log', lambda m, a: a.log(), [((2, 3),)], domain=(0.1, 3.0)),
    Op('relu', lambda m, a: m.relu(a), [((3, 4),)]),
    Op('sum', lambda m, a: a.sum(), [((2, 3),), ((),), ((0,),)]),
    Op('sum_dim', lambda m, a: a.sum(dim=1), [((2, 3, 4),)]),
    Op('sum_dims_keep', lambda m, a: a.sum((0, 2), keepdim=True), [((2, 3, 4),)]),
    Op('mean', lambda m, a: a.mean(), [((2, 3),)]),
    Op('mean_dim', lambda m, a: a.mean(-1), [((2, 3, 4),)]),
    Op('mm', lambda m, a, b: m.mm(a, b), [((2, 3), (3, 4))]),
    Op('matmul', lambda m, a, b: a @ b, [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)),
                                          ((3,), (3, 2)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (1, 3, 2)),
                                          ((2, 1, 2, 3), (4, 3, 2))]),
    Op('reshape', lambda m, a: a.reshape(3, -1), [((2, 3, 2),)]),
    Op('view', lambda m, a: a.view(-1), [((2, 3),)]),
    Op('transpose', lambda m, a: a.transpose(0, 2), [((2, 3, 4),)]),
    Op('permute', lambda m, a: a.permute(2, 0, 1), [((2, 3, 4),)]),
    Op('T', lambda m, a: a.T, [((2, 3),)]),
    Op('t', lambda m, a: a.t(), [((2, 3),), ((3,),)]),
    Op('flatten', lambda m, a: a.flatten(1), [((2, 3, 4),)]),
    Op('expand', lambda m, a: a.expand(2, 3, 4), [((3, 1),)]),
    Op('squeeze', lambda m, a: a.squeeze(), [((2, 1, 3, 1),)]),
    Op('unsqueeze', lambda m, a: a.unsqueeze(-1), [((2, 3),)]),
    Op('getitem_basic', lambda m, a: a[1:, 0], [((3, 4),)]),
    Op('getitem_adv', lambda m, a: a[[0, 2, 0]], [((3, 4),)]),
    Op('getitem_mask', lambda m, a: a[a > 0], [((3, 4),)]),
    Op('clone', lambda m, a: a.clone(), [((3, 4),)]),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


class _WrongGrad(numtorch.autograd.Function):
    """x * 2 with a deliberately wrong backward (3 instead of 2)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


def test_harness_catches_wrong_values():
    op = Op('wrong_values', lambda m, a: a * (2 if m is numtorch else 3), [((2, 3),)])
    with pytest.raises(AssertionError):
        check_op(op, ((2, 3),), 'float64')


def test_harness_catches_wrong_gradient():
    op = Op('wrong_grad', lambda m, a: _WrongGrad.apply(a) if m is numtorch else a * 2,
            [((2, 3),)])
    with pytest.raises(AssertionError):
        check_op(op, ((2, 3),), 'float32')
