"""Everyday torch snippets that must behave exactly as in torch (issue 12's drop-in list)."""
import numpy as np
import pytest
import torch

import numtorch


def _both(fn):
    return fn(numtorch), fn(torch)


# ------------------------------------------------------------- grad_fn class names
GRAD_FN_CASES = {
    'sum': lambda m, x: x.sum(), 'sum_dim': lambda m, x: x.sum(1), 'mean': lambda m, x: x.mean(),
    'add': lambda m, x: x + x, 'sub': lambda m, x: x - 1, 'rsub': lambda m, x: 2 - x,
    'rsub_float': lambda m, x: 2.5 - x, 'mul': lambda m, x: x * x, 'div': lambda m, x: x / 2,
    'rdiv': lambda m, x: 2 / x, 'pow': lambda m, x: x ** 2, 'rpow': lambda m, x: 2 ** x,
    'neg': lambda m, x: -x, 'exp': lambda m, x: x.exp(), 'relu': lambda m, x: x.relu(),
    'matmul': lambda m, x: x @ x.T, 'index': lambda m, x: x[0], 'view': lambda m, x: x.view(6),
    'reshape': lambda m, x: x.reshape(3, 2), 'transpose': lambda m, x: x.transpose(0, 1),
    'max': lambda m, x: x.max(), 'softmax': lambda m, x: x.softmax(1),
    'einsum_mm': lambda m, x: m.einsum('ij,kj->ik', x, x),
    'einsum_outer': lambda m, x: m.einsum('i,j->ij', x[0], x[1]),
    'einsum_sum': lambda m, x: m.einsum('ij->i', x), 'einsum_perm': lambda m, x: m.einsum('ij->ji', x),
    'einsum_dot': lambda m, x: m.einsum('i,i', x[0], x[1]),
    'div_floor': lambda m, x: x.div(2, rounding_mode='floor'),
}


@pytest.mark.parametrize('name', GRAD_FN_CASES)
def test_grad_fn_class_name_is_torchs(name):
    fn = GRAD_FN_CASES[name]
    x = np.arange(1., 7.).reshape(2, 3).astype(np.float32)
    n = fn(numtorch, numtorch.tensor(x, requires_grad=True))
    t = fn(torch, torch.tensor(x, requires_grad=True))
    assert type(n.grad_fn).__name__ == type(t.grad_fn).__name__ == t.grad_fn.name() == n.grad_fn.name()


def test_rsub_gradient_and_dtype():
    for m in (numtorch, torch):
        x = m.tensor([1., 2.], requires_grad=True)
        (2 - x).sum().backward()
        assert x.grad.tolist() == [-1., -1.]
        assert (2.5 - m.tensor([1, 2])).tolist() == [1.5, 0.5]
        assert (2 - m.tensor([1, 2])).dtype == m.int64


def test_custom_function_node_name():
    class Twice(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    y = Twice.apply(numtorch.ones(2, requires_grad=True))
    assert type(y.grad_fn).__name__ == 'TwiceBackward' == y.grad_fn.name()


# ------------------------------------------------------------- linspace
def _linspace_cases():
    rng = np.random.default_rng(0)
    fixed = [(-1, 1, 20), (0, 1, 5), (0, 10, 7), (1, 0, 5), (-3, 7, 6), (0.1, 0.7, 33), (2, 2, 3),
             (0, 1, 2), (0, 1, 1), (0, 1, 0), (-5.5, 3.25, 100), (1e-3, 1e3, 1000)]
    rand = zip(rng.uniform(-100, 100, 150), rng.uniform(-100, 100, 150), rng.integers(2, 400, 150))
    return fixed + [(float(a), float(b), int(c)) for a, b, c in rand]


def test_linspace_is_torchs_bit_for_bit():
    bad = []
    for start, end, steps in _linspace_cases():
        for name in ('float32', 'float64', 'int64', 'int32', 'int16', 'uint8'):
            if name in ('uint8', 'int16') and not (0 <= min(start, end) and max(start, end) < 256):
                continue
            n = numtorch.linspace(start, end, steps, dtype=getattr(numtorch, name)).numpy()
            t = torch.linspace(start, end, steps, dtype=getattr(torch, name)).numpy()
            if n.dtype != t.dtype or n.tobytes() != t.tobytes():
                bad.append((start, end, steps, name))
    assert not bad, bad[:5]
    assert numtorch.linspace(-1, 1, 20)[5].item() == -0.4736841917037964    # issue 12's value
    assert numtorch.linspace(numtorch.tensor(0.), numtorch.tensor(1.), 3).tolist() == [0., .5, 1.]


# ------------------------------------------------------------- indexing and assignment
from errcheck import same_error  # noqa: E402

INDEX_CASES = [
    lambda m: m.tensor([[.1, .3, .6], [.3, .2, .5]])[range(2), m.tensor([0, 2])],   # D2L's cross_entropy
    lambda m: m.arange(6.).reshape(2, 3)[range(2)],
    lambda m: m.arange(6.).reshape(2, 3)[(0, 1), ],
    lambda m: m.arange(6.).reshape(2, 3)[:, (2, 0)],
    lambda m: m.arange(6.).reshape(2, 3)[range(0)],
    lambda m: m.arange(6.).reshape(2, 3)[[]],
    lambda m: m.arange(6.).reshape(2, 3)[range(1, 2), range(0, 3, 2)],
]


@pytest.mark.parametrize('i', range(len(INDEX_CASES)))
def test_sequences_and_ranges_are_indices(i):
    n, t = _both(INDEX_CASES[i])
    assert n.tolist() == t.tolist() and tuple(n.shape) == tuple(t.shape)


def _setitem(value, index=0, shape=(3,), dtype='float32', vdtype=None):
    def run(m):
        x = m.zeros(*shape, dtype=getattr(m, dtype))
        x[index] = value(m) if vdtype is None else value(m).to(getattr(m, vdtype))
        return x
    return run


@pytest.mark.parametrize('run', [
    _setitem(lambda m: m.ones(1, 1)),                          # preds[i] = net(x)
    _setitem(lambda m: m.ones(1, 1, 3), shape=(2, 3)),
    _setitem(lambda m: m.ones(1, 2), index=(slice(None), 0), shape=(2, 3)),
    _setitem(lambda m: m.tensor(1.5), dtype='int64'),          # basic index: casts silently
    _setitem(lambda m: m.tensor(1.5), index=slice(1, None), dtype='int64'),
    _setitem(lambda m: m.tensor(2), dtype='float32'),
    _setitem(lambda m: m.tensor(1.5), index=[True, False, True], dtype='int64'),   # a mask fill
])
def test_setitem_values_like_torch(run):
    n, t = _both(run)
    assert n.tolist() == t.tolist() and str(n.dtype) == str(t.dtype)


def test_setitem_value_gradient_through_stripped_dims():
    for m in (numtorch, torch):
        v = m.ones(1, 1, requires_grad=True)
        x = m.zeros(3)
        x[1] = v * 2
        x.sum().backward()
        assert v.grad.tolist() == [[2.]]


@pytest.mark.parametrize('fn', [
    _setitem(lambda m: m.tensor([1.5, 2.]), index=[0, 1], dtype='int64'),
    _setitem(lambda m: m.tensor([1.5, 2.]), index=range(2), dtype='int64'),
    _setitem(lambda m: m.tensor(1), index=[0], dtype='float32'),
    _setitem(lambda m: m.tensor(1.), index=[0], dtype='float32', vdtype='float64'),
    _setitem(lambda m: m.tensor([1.5, 2.]), index=[True, False, True], dtype='int64'),
    _setitem(lambda m: m.ones(2, 1)),                          # not size-1: still an error
    lambda m: m.zeros(3).copy_(m.ones(1, 1, 3)),               # copy_ does not strip dims
])
def test_setitem_errors_like_torch(fn):
    same_error(fn)


# ------------------------------------------------------------- zero-size batches
ZERO_BATCH = {
    'flatten': lambda m, x: x.flatten(1), 'flatten0': lambda m, x: x.flatten(),
    'reshape': lambda m, x: x.reshape(-1, 3 * 4 * 5), 'view': lambda m, x: x.view(0, 60),
    'unflatten': lambda m, x: x.flatten(1).unflatten(1, (3, 20)),
    'squeeze': lambda m, x: x[:, :1].squeeze(1), 'unsqueeze': lambda m, x: x.unsqueeze(1),
    'permute': lambda m, x: x.permute(0, 2, 3, 1), 'transpose': lambda m, x: x.transpose(0, 1),
    'movedim': lambda m, x: m.movedim(x, 0, -1), 'cat': lambda m, x: m.cat([x, x], 1),
    'cat0': lambda m, x: m.cat([x, x]), 'stack': lambda m, x: m.stack([x, x], 1),
    'split': lambda m, x: x.split(2, 1)[1], 'chunk': lambda m, x: x.chunk(3, 1)[0],
    'expand': lambda m, x: x[:, :1].expand(0, 3, 4, 5), 'repeat': lambda m, x: x.repeat(2, 1, 1, 1),
    'flip': lambda m, x: m.flip(x, [0, 1]), 'roll': lambda m, x: x.roll(1, 1),
    'narrow': lambda m, x: x.narrow(1, 0, 2), 'contiguous': lambda m, x: x.transpose(2, 3).contiguous(),
    'sum': lambda m, x: x.sum(0), 'mean_dim1': lambda m, x: x.mean(1), 'softmax': lambda m, x: x.softmax(1),
    'linear': lambda m, x: m.nn.Linear(5, 2)(x), 'conv': lambda m, x: m.nn.Conv2d(3, 2, 3)(x),
    'maxpool': lambda m, x: m.nn.MaxPool2d(2)(x), 'avgpool': lambda m, x: m.nn.AvgPool2d(2)(x),
    'adaptive': lambda m, x: m.nn.AdaptiveAvgPool2d(1)(x), 'Flatten': lambda m, x: m.nn.Flatten()(x),
    'layernorm': lambda m, x: m.nn.LayerNorm(5)(x), 'bn_eval': lambda m, x: m.nn.BatchNorm2d(3).eval()(x),
    'relu': lambda m, x: m.nn.ReLU()(x), 'dropout': lambda m, x: m.nn.Dropout(0.5)(x),
    'lenet_tail': lambda m, x: m.nn.Sequential(m.nn.Flatten(), m.nn.Linear(60, 7), m.nn.Sigmoid())(x),
    'embedding': lambda m, x: m.nn.Embedding(4, 2)(m.zeros(0, 3, dtype=m.int64)),
    'upsample': lambda m, x: m.nn.Upsample(scale_factor=2)(x),
}


@pytest.mark.parametrize('name', ZERO_BATCH)
def test_zero_size_batch_like_torch(name):
    fn = ZERO_BATCH[name]
    n = fn(numtorch, numtorch.empty(0, 3, 4, 5))
    t = fn(torch, torch.empty(0, 3, 4, 5))
    assert tuple(n.shape) == tuple(t.shape) and str(n.dtype) == str(t.dtype)


def test_zero_size_reshape_errors_like_torch():
    same_error(lambda m: m.empty(0, 3).view(0, -1))
    same_error(lambda m: m.empty(2, 3).view(0, -1))


# ------------------------------------------------------------- DataLoader(persistent_workers=True)
class _PidDataset(numtorch.utils.data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        import os
        return numtorch.tensor([i, os.getpid()])


class _Stream(numtorch.utils.data.IterableDataset):
    def __iter__(self):
        return iter(range(3))


def _epoch(loader):
    batches = list(loader)
    return (sorted(int(i) for b in batches for i in b[:, 0].tolist()),
            {int(p) for b in batches for p in b[:, 1].tolist()})


def test_persistent_workers_live_across_epochs():
    loader = numtorch.utils.data.DataLoader(_PidDataset(), batch_size=2, num_workers=2,
                                            persistent_workers=True)
    (items1, pids1), (items2, pids2) = _epoch(loader), _epoch(loader)
    assert items1 == items2 == list(range(6))
    assert pids1 == pids2 and len(pids1) == 2           # the same two processes
    for i, _ in enumerate(loader):                       # an epoch left early ...
        break
    assert _epoch(loader) == (list(range(6)), pids1)     # ... leaves nothing stale behind
    loader._iterator._shutdown_workers()


def test_workers_restart_without_persistence():
    loader = numtorch.utils.data.DataLoader(_PidDataset(), batch_size=2, num_workers=2)
    assert _epoch(loader)[1].isdisjoint(_epoch(loader)[1])


def test_persistent_workers_restart_an_iterable_dataset():
    loader = numtorch.utils.data.DataLoader(_Stream(), batch_size=2, num_workers=2,
                                            persistent_workers=True)
    epochs = [[b.tolist() for b in loader] for _ in range(3)]
    assert epochs[0] == epochs[1] == epochs[2] == [[0, 1], [0, 1], [2], [2]]
    loader._iterator._shutdown_workers()


def test_grad_fn_class_name_after_in_place_and_special_paths():
    for fn in (lambda m, x: (x * 1).unsqueeze_(0), lambda m, x: m.xlogy(x, 2.),
               lambda m, x: (x * 1).t_(), lambda m, x: (x * 1).uniform_()):
        x = np.arange(1., 7.).reshape(2, 3).astype(np.float32)
        n = fn(numtorch, numtorch.tensor(x, requires_grad=True))
        t = fn(torch, torch.tensor(x, requires_grad=True))
        assert type(n.grad_fn).__name__ == n.grad_fn.name() == t.grad_fn.name()
