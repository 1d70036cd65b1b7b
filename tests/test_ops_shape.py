"""Shape ops vs torch: forward values, gradients, float64 finite differences, error texts,
and which results are views (sharing memory and version counter) as in torch."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, check_op, parametrize

OPS = [
    Op('cat0', lambda m, a, b: m.cat([a, b]), [((2, 3), (4, 3)), ((0, 3), (2, 3)), ((1,), (3,))]),
    Op('cat1', lambda m, a, b: m.cat((a, b), dim=1), [((2, 3), (2, 1)), ((2, 3, 2), (2, 0, 2))]),
    Op('cat_neg', lambda m, a, b, c: m.cat([a, b, c], -1), [((2, 1), (2, 2), (2, 3))]),
    Op('cat_noncontig', lambda m, a, b: m.cat([a.t(), b], 0), [((3, 2), (1, 3))]),
    Op('cat_legacy_empty', lambda m, a, b: m.cat([a, b]), [((2, 3), (0,))]),
    Op('concat', lambda m, a, b: m.concat([a, b], 1), [((2, 3), (2, 2))]),
    Op('stack', lambda m, a, b: m.stack([a, b]), [((2, 3), (2, 3)), ((), ()), ((0, 2), (0, 2))]),
    Op('stack_dim', lambda m, a, b: m.stack([a, b], dim=-1), [((2, 3), (2, 3))]),
    Op('stack_mid_noncontig', lambda m, a, b: m.stack([a.t(), b.t()], 1), [((2, 3), (2, 3))]),
    Op('hstack', lambda m, a, b: m.hstack([a, b]), [((2, 3), (2, 1)), ((3,), (2,))]),
    Op('vstack', lambda m, a, b: m.vstack([a, b]), [((3,), (3,)), ((2, 3), (3,))]),
    Op('dstack', lambda m, a, b: m.dstack([a, b]), [((3,), (3,)), ((2, 3), (2, 3))]),
    Op('column_stack', lambda m, a, b: m.column_stack([a, b]), [((3,), (3, 2))]),
    Op('split_int', lambda m, a: a.split(2), [((5, 3),), ((4,),), ((0, 2),)]),
    Op('split_dim', lambda m, a: m.split(a, 2, dim=1), [((2, 5),)]),
    Op('split_sizes', lambda m, a: a.split([1, 0, 3], 1), [((2, 4),)]),
    Op('split_noncontig', lambda m, a: a.t().split([2, 1], 1), [((3, 4),)]),
    Op('split_one_used', lambda m, a: a.split(2)[1], [((5, 2),)]),
    Op('chunk', lambda m, a: a.chunk(3), [((5, 2),), ((6,),), ((2,),)]),
    Op('chunk_dim', lambda m, a: m.chunk(a, 2, dim=-1), [((2, 3),)]),
    Op('unbind', lambda m, a: a.unbind(), [((3, 2),)]),
    Op('unbind_dim', lambda m, a: m.unbind(a, 1), [((2, 3, 2),)]),
    Op('flip', lambda m, a: a.flip(0), [((3, 2),), ((0,),)]),
    Op('flip_dims', lambda m, a: m.flip(a, (0, -1)), [((2, 3, 2),)]),
    Op('flip_0d', lambda m, a: m.flip(a, ()), [((),)]),
    Op('fliplr', lambda m, a: m.fliplr(a), [((2, 3),)]),
    Op('flipud', lambda m, a: a.flipud(), [((3, 2),)]),
    Op('roll_flat', lambda m, a: a.roll(2), [((2, 3),), ((),)]),
    Op('roll_dims', lambda m, a: m.roll(a, (1, -1), (0, 1)), [((3, 4),)]),
    Op('roll_noncontig', lambda m, a: a.t().roll(1, 0), [((3, 4),)]),
    Op('repeat', lambda m, a: a.repeat(2, 3), [((2, 3),), ((3,),), ((),)]),
    Op('repeat_more', lambda m, a: a.repeat(2, 1, 2), [((2, 3),)]),
    Op('repeat_zero', lambda m, a: a.repeat(0, 2), [((2, 3),)]),
    Op('tile', lambda m, a: a.tile((2,)), [((2, 3),)]),
    Op('tile_more', lambda m, a: m.tile(a, (2, 1, 2)), [((2, 3),)]),
    Op('repeat_interleave', lambda m, a: a.repeat_interleave(2), [((2, 3),)]),
    Op('repeat_interleave_dim', lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 2]), dim=1),
       [((2, 3),)]),
    Op('narrow', lambda m, a: a.narrow(1, 1, 2), [((2, 4),)]),
    Op('narrow_neg', lambda m, a: m.narrow(a, 0, -2, 2), [((3, 2),)]),
    Op('select', lambda m, a: a.select(1, -1), [((2, 3),), ((2, 3, 4),)]),
    Op('movedim', lambda m, a: a.movedim(0, -1), [((2, 3, 4),)]),
    Op('movedim_multi', lambda m, a: m.movedim(a, (0, 1), (2, 0)), [((2, 3, 4),)]),
    Op('moveaxis', lambda m, a: m.moveaxis(a, 1, 0), [((2, 3),)]),
    Op('unflatten', lambda m, a: a.unflatten(1, (2, -1)), [((3, 6),)]),
    Op('ravel', lambda m, a: a.t().ravel(), [((2, 3),)]),
    Op('diagonal', lambda m, a: a.diagonal(), [((3, 3),), ((2, 4),), ((4, 2),)]),
    Op('diagonal_offset', lambda m, a: a.diagonal(1), [((3, 4),)]),
    Op('diagonal_neg_offset', lambda m, a: m.diagonal(a, -1, 1, 0), [((3, 4),)]),
    Op('diagonal_dims', lambda m, a: a.diagonal(0, 0, 2), [((3, 2, 3),)]),
    Op('diagonal_empty', lambda m, a: a.diagonal(5), [((2, 3),)]),
    Op('diag_vec', lambda m, a: m.diag(a), [((3,),)]),
    Op('diag_vec_offset', lambda m, a: m.diag(a, -2), [((2,),)]),
    Op('diag_mat', lambda m, a: a.diag(), [((3, 4),)]),
    Op('diag_mat_offset', lambda m, a: m.diag(a, 1), [((3, 3),)]),
    Op('tril', lambda m, a: a.tril(), [((3, 4),), ((2, 3, 3),)]),
    Op('tril_k', lambda m, a: m.tril(a, diagonal=-1), [((4, 3),)]),
    Op('triu', lambda m, a: a.triu(1), [((3, 4),)]),
    Op('triu_noncontig', lambda m, a: a.t().triu(), [((3, 4),)]),
    Op('meshgrid_ij', lambda m, a, b: m.meshgrid(a, b, indexing='ij'), [((3,), (2,))]),
    Op('meshgrid_xy', lambda m, a, b, c: m.meshgrid([a, b, c], indexing='xy'),
       [((3,), (2,), (4,))]),
    Op('meshgrid_0d', lambda m, a, b: m.meshgrid(a, b, indexing='ij'), [((), (3,))]),
    Op('broadcast_tensors', lambda m, a, b: m.broadcast_tensors(a, b), [((2, 1), (3,)), ((2, 3), (2, 3))]),
    Op('atleast_1d', lambda m, a: m.atleast_1d(a), [((),), ((2,),)]),
    Op('atleast_2d', lambda m, a: m.atleast_2d(a), [((),), ((3,),), ((2, 3),)]),
    Op('atleast_3d', lambda m, a: m.atleast_3d(a), [((),), ((3,),), ((2, 3),)]),
    Op('atleast_seq', lambda m, a, b: m.atleast_2d(a, b), [((), (2,))]),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_cat_promotes_and_grads_keep_input_dtypes():
    for m in (numtorch, torch):
        a = m.ones(2, dtype=m.float32, requires_grad=True)
        b = m.ones(2, dtype=m.float64, requires_grad=True)
        c = m.cat([a, b])
        assert str(c.dtype) == 'torch.float64'
        (c * 2).sum().backward()
        assert str(a.grad.dtype) == 'torch.float32' and str(b.grad.dtype) == 'torch.float64'
    assert numtorch.cat([numtorch.zeros(2, dtype=numtorch.int64),
                         numtorch.zeros(2, dtype=numtorch.bool)]).dtype == numtorch.int64
    assert numtorch.stack([numtorch.zeros(2, dtype=numtorch.int32),
                           numtorch.zeros(2, dtype=numtorch.uint8)]).dtype == numtorch.int32
    assert numtorch.cat([numtorch.zeros(2, 3)], dim=1).grad_fn is None


def test_grad_fn_names():
    x = numtorch.zeros(4, 3, requires_grad=True)
    names = {
        'CatBackward0': numtorch.cat([x, x]), 'StackBackward0': numtorch.stack([x, x]),
        'SplitBackward0': x.split(2)[0], 'SplitWithSizesBackward0': x.split([1, 3])[0],
        'UnbindBackward0': x.unbind()[0], 'FlipBackward0': x.flip(0),
        'RollBackward0': x.roll(1), 'RepeatBackward0': x.repeat(2, 1),
        'SliceBackward0': x.narrow(0, 1, 2), 'SelectBackward0': x.select(0, 1),
        'PermuteBackward0': x.movedim(0, 1), 'ViewBackward0': x.unflatten(0, (2, 2)),
        'DiagonalBackward0': x.diagonal(), 'DiagEmbedBackward0': numtorch.diag(x[0]),
        'TrilBackward0': x.tril(), 'TriuBackward0': x.triu(),
        'ExpandBackward0': numtorch.meshgrid(x[0], x[1], indexing='ij')[0],
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name


@pytest.mark.parametrize('fn', [
    lambda m: m.cat([]),
    lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 3)], 1),
    lambda m: m.cat([m.zeros(2, 3), m.zeros(3)], 0),
    lambda m: m.cat([m.tensor(1.), m.tensor(2.)]),
    lambda m: m.cat([m.zeros(2, 3)], 2),
    lambda m: m.cat(m.zeros(2, 3)),
    lambda m: m.stack([]),
    lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 4)]),
    lambda m: m.stack([m.zeros(2, 3)], 3),
    lambda m: m.zeros(2, 3).split([1, 1], 1),
    lambda m: m.zeros(2, 3).split([1, -1], 1),
    lambda m: m.zeros(2, 3).split(0, 1),
    lambda m: m.zeros(2, 3).chunk(0),
    lambda m: m.zeros(2, 3).unbind(2),
    lambda m: m.flip(m.zeros(2, 3), (0, 0)),
    lambda m: m.fliplr(m.zeros(3)),
    lambda m: m.flipud(m.zeros(())),
    lambda m: m.roll(m.zeros(2, 3), (1, 2), (0,)),
    lambda m: m.zeros(2, 3).repeat(2),
    lambda m: m.zeros(2, 3).repeat(-1, 2),
    lambda m: m.zeros(2, 3).narrow(1, 2, 2),
    lambda m: m.zeros(2, 3).narrow(0, -5, 1),
    lambda m: m.zeros(2, 3).narrow(0, 0, -1),
    lambda m: m.zeros(2, 3).select(0, 5),
    lambda m: m.zeros(()).select(0, 0),
    lambda m: m.zeros(2, 3).movedim((0, 1), (1,)),
    lambda m: m.zeros(2, 3).movedim((0, 0), (1, 0)),
    lambda m: m.zeros(2, 3).movedim(0, 5),
    lambda m: m.zeros(2, 3).unflatten(1, (2, 2)),
    lambda m: m.zeros(2, 3).unflatten(1, (2, -1)),
    lambda m: m.zeros(2, 3).diagonal(0, 0, 0),
    lambda m: m.diag(m.zeros(2, 2, 2)),
    lambda m: m.triu(m.zeros(3)),
    lambda m: m.tril(m.zeros(())),
    lambda m: m.meshgrid(),
    lambda m: m.meshgrid(m.zeros(2), m.zeros(3), indexing='foo'),
    lambda m: m.meshgrid([m.zeros(2), m.zeros(3, dtype=m.float64)], indexing='ij'),
    lambda m: m.broadcast_tensors(m.zeros(2, 3), m.zeros(4)),
    lambda m: m.zeros(2, 3).expand(3, 3),
    lambda m: m.zeros(2, 1).expand(2, 3, 4),
])
def test_errors(fn):
    same_error(fn)


def test_meshgrid_2d_input_error():
    same_error(lambda m: m.meshgrid(m.zeros(2, 2), m.zeros(3), indexing='ij'))


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match='indexing'):
        numtorch.meshgrid(numtorch.zeros(2), numtorch.zeros(3))


def _shares(t, base):
    return np.shares_memory(t._data, base._data) and t._version_counter is base._version_counter


def test_views_share_memory_and_version():
    x = numtorch.arange(12.).reshape(3, 4).clone()
    for v in (*x.split(2), *x.chunk(2, 1), *x.unbind(1), x.narrow(1, 1, 2), x.select(0, 1),
              x.movedim(0, 1), x.unflatten(1, (2, 2)), x.diagonal(1), x.ravel()):
        assert _shares(v, x)
        assert v._base is x
    for c in (x.flip(0), x.roll(1), x.repeat(1, 1), x.tril(), numtorch.cat([x]), x.diag()):
        assert not np.shares_memory(c._data, x._data)
    # writing through a view changes the base, as torch
    x.diagonal()[...] = -1
    x.split(2)[1][0, 0] = 100
    x.unbind(1)[3][0] = 7
    t = torch.arange(12.).reshape(3, 4)
    t.diagonal()[...] = -1
    t.split(2)[1][0, 0] = 100
    t.unbind(1)[3][0] = 7
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_inplace_on_split_output_of_leaf_is_refused():
    # torch's multi-output refusal comes before its view-of-a-leaf one
    same_error(lambda m: m.zeros(4, requires_grad=True).split(2)[0].add_(1))


def test_broadcast_shapes():
    assert numtorch.broadcast_shapes((2, 1), (4,)) == torch.broadcast_shapes((2, 1), (4,))
    assert isinstance(numtorch.broadcast_shapes((2, 1), (4,)), numtorch.Size)
    with pytest.raises(RuntimeError):
        numtorch.broadcast_shapes((2, 3), (4,))


def test_meshgrid_error_prints_the_tensor_as_torch():
    same_error(lambda m: m.meshgrid(m.tensor([[1.5, 2.], [3., 4.]]), m.zeros(3), indexing='ij'))
    same_error(lambda m: m.meshgrid(m.ones(2, 3, dtype=m.int64), m.zeros(3), indexing='ij'))
