"""Tensor metadata and conversions vs torch: dtype casts, .to/.type, tolist/item/numpy,
from_numpy/as_tensor memory sharing, legacy constructors, new_* methods, Size, strides."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

DATA = [[1.5, -2.0, 0.0], [3.25, 4.0, -0.5]]


def _same(n, t):
    assert str(n.dtype) == str(t.dtype)
    assert tuple(n.shape) == tuple(t.shape)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


@pytest.mark.parametrize('conv', [
    lambda x, m: x.float(), lambda x, m: x.double(), lambda x, m: x.long(),
    lambda x, m: x.int(), lambda x, m: x.half(), lambda x, m: x.bool(), lambda x, m: x.byte(),
    lambda x, m: x.short(), lambda x, m: x.char(),
    lambda x, m: x.to(m.float64), lambda x, m: x.to(m.int64), lambda x, m: x.to('cpu', m.int32),
    lambda x, m: x.to(dtype=m.float16), lambda x, m: x.to(m.tensor([1])),
    lambda x, m: x.to(m.device('cpu')), lambda x, m: x.cpu(),
    lambda x, m: x.type(m.int64), lambda x, m: x.type('torch.DoubleTensor'),
    lambda x, m: x.type('torch.LongTensor'), lambda x, m: x.type_as(m.zeros(1, dtype=m.int32)),
])
def test_conversions(conv):
    _same(conv(numtorch.tensor(DATA), numtorch), conv(torch.tensor(DATA), torch))


def test_type_names():
    for dt in ('float32', 'float64', 'int64', 'int32', 'bool', 'uint8', 'int16', 'int8'):
        n = numtorch.zeros(2, dtype=getattr(numtorch, dt))
        t = torch.zeros(2, dtype=getattr(torch, dt))
        assert n.type() == t.type()


def test_to_returns_self_when_nothing_changes():
    x = numtorch.tensor(DATA)
    assert x.to(numtorch.float32) is x and x.float() is x and x.to('cpu') is x
    assert x.to(numtorch.float32, copy=True) is not x


def test_cast_is_differentiable():
    for m in (numtorch, torch):
        x = m.tensor([1., 2.], requires_grad=True)
        y = x.double() * 3
        y.sum().backward()
        assert str(x.grad.dtype) == 'torch.float32' and x.grad.tolist() == [3., 3.]
        assert not x.long().requires_grad


def test_item_tolist():
    for data in (DATA, [1, 2], 3.5, [[True], [False]], []):
        assert numtorch.tensor(data).tolist() == torch.tensor(data).tolist()
    assert numtorch.tensor([[7]]).item() == 7 and isinstance(numtorch.tensor([7]).item(), int)
    assert isinstance(numtorch.tensor(2.5).item(), float)
    assert isinstance(numtorch.tensor(True).item(), bool)
    same_error(lambda m: m.tensor([1., 2.]).item())


def test_numpy_and_from_numpy_share_memory():
    x = numtorch.zeros(3)
    a = x.numpy()
    a[0] = 5.
    assert x[0].item() == 5.
    x[1] = 7.
    assert a[1] == 7.
    b = np.arange(4.)
    t = numtorch.from_numpy(b)
    assert t.dtype == numtorch.float64
    b[2] = -1.
    assert t[2].item() == -1.
    t.add_(1)
    assert b[0] == 1.
    same_error(lambda m: m.ones(2, requires_grad=True).numpy())
    same_error(lambda m: m.from_numpy([1, 2]))


def test_as_tensor_shares_when_possible():
    b = np.ones(3, dtype=np.float32)
    t = numtorch.as_tensor(b)
    b[0] = 9.
    assert t[0].item() == 9.
    c = numtorch.as_tensor(b, dtype=numtorch.float64)
    b[1] = 8.
    assert c[1].item() == 1.
    x = numtorch.ones(2)
    assert numtorch.as_tensor(x) is x
    _same(numtorch.as_tensor([1, 2]), torch.as_tensor([1, 2]))


@pytest.mark.parametrize('make', [
    lambda m: m.FloatTensor([1, 2]), lambda m: m.LongTensor([1.7, 2]),
    lambda m: m.BoolTensor([1, 0]), lambda m: m.Tensor([1, 2]), lambda m: m.DoubleTensor([[1]]),
    lambda m: m.IntTensor([3]), lambda m: m.ByteTensor([1]),
])
def test_legacy_constructors(make):
    n, t = make(numtorch), make(torch)
    _same(n, t)
    assert isinstance(n, numtorch.Tensor)


def test_legacy_constructors_with_sizes():
    for m in (numtorch, torch):
        assert tuple(m.FloatTensor(2, 3).shape) == (2, 3)
        assert m.LongTensor(4).dtype == m.int64 and m.Tensor(2, 2).dtype == m.float32


def test_is_tensor_numel():
    assert numtorch.is_tensor(numtorch.ones(2)) and not numtorch.is_tensor(np.ones(2))
    assert numtorch.numel(numtorch.ones(2, 3)) == 6 == numtorch.ones(2, 3).numel()
    assert numtorch.ones(2, 0).numel() == 0 and numtorch.tensor(1.).numel() == 1


@pytest.mark.parametrize('fn', [
    lambda x, m: x.new_zeros(2, 3), lambda x, m: x.new_zeros((2,)),
    lambda x, m: x.new_ones([1, 2]), lambda x, m: x.new_full((2, 2), 7),
    lambda x, m: x.new_full((2,), 1.5, dtype=m.float64), lambda x, m: x.new_empty(0, 3).shape,
    lambda x, m: x.new_tensor([1.5, 2.5]), lambda x, m: x.new_zeros(2, dtype=m.bool),
])
def test_new_methods(fn):
    for x in ((numtorch.zeros(1, dtype=numtorch.int64), torch.zeros(1, dtype=torch.int64)),
              (numtorch.zeros(1), torch.zeros(1))):
        n, t = fn(x[0], numtorch), fn(x[1], torch)
        if isinstance(t, torch.Tensor):
            _same(n, t)
        else:
            assert tuple(n) == tuple(t)
    assert numtorch.ones(1).new_zeros(2, requires_grad=True).requires_grad


def test_size_behaviour():
    s = numtorch.zeros(2, 3, 4).shape
    t = torch.zeros(2, 3, 4).shape
    assert isinstance(s, tuple) and isinstance(s, numtorch.Size)
    assert s == t == (2, 3, 4) and s[1] == 3 and s[-1] == 4
    assert isinstance(s[1:], numtorch.Size) and s[1:] == (3, 4)
    assert s.numel() == 24 and len(s) == 3 and list(s) == [2, 3, 4]
    assert repr(s) == 'torch.Size([2, 3, 4])'
    assert numtorch.zeros(s).shape == s
    assert numtorch.zeros(2, 3).size() == (2, 3) and numtorch.zeros(2, 3).size(-1) == 3
    same_error(lambda m: m.zeros(2, 3).size(2))


@pytest.mark.parametrize('fn', [
    lambda m: m.zeros(2, 3, 4),
    lambda m: m.zeros(2, 3, 4).transpose(0, 2),
    lambda m: m.zeros(2, 3, 4)[:, ::2],
    lambda m: m.zeros(4, 3).t().contiguous(),
    lambda m: m.zeros(3, 1).expand(3, 4),
    lambda m: m.zeros(2, 3, 4).permute(1, 0, 2),
    lambda m: m.zeros(5)[1:4],
])
def test_stride_contiguity_dim(fn):
    n, t = fn(numtorch), fn(torch)
    assert n.stride() == t.stride() and n.is_contiguous() == t.is_contiguous()
    assert n.dim() == t.dim() == n.ndim and n.storage_offset() == t.storage_offset()
    assert n.contiguous().is_contiguous()


def test_contiguous_returns_self_or_copy():
    x = numtorch.zeros(2, 3)
    assert x.contiguous() is x
    y = x.t()
    c = y.contiguous()
    assert c is not y and not np.shares_memory(c.numpy(), x.numpy())
    w = numtorch.zeros(2, 3, requires_grad=True)
    assert w.t().contiguous().grad_fn.name() == torch.zeros(2, 3, requires_grad=True) \
        .t().contiguous().grad_fn.name()


def test_view_non_contiguous_error():
    same_error(lambda m: m.zeros(2, 3).t().view(6))
    _same(numtorch.arange(6).reshape(2, 3).t().reshape(6), torch.arange(6).reshape(2, 3).t().reshape(6))


@pytest.mark.parametrize('name', ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16',
                                  'float32', 'float64'])
def test_tensor_type_names_match_torch(name):
    # One table (numtorch._dtype) names dtypes in every error message; check it against torch.
    import torch
    from numtorch._dtype import tensor_type_name
    assert tensor_type_name(np.dtype(name)) == torch.empty(0, dtype=getattr(torch, name)).type()
    assert numtorch.empty(0, dtype=getattr(numtorch, name)).type() == \
        torch.empty(0, dtype=getattr(torch, name)).type()
