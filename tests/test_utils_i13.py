"""Issue 13 utilities vs torch: testing.assert_close (messages), utils.checkpoint (values and
gradients equal to the plain run, dropout replayed, both reentrant modes, torch's warnings),
logdet, frombuffer, Tensor.apply_/map_."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, parametrize, check_op


def _cases(m):
    ac = m.testing.assert_close
    return [
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2.1])),
        lambda: ac(m.tensor([1, 2]), m.tensor([1, 3])),
        lambda: ac(1.0, 1.1),
        lambda: ac(2, 3),
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2., 3.])),
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2.], dtype=m.float64)),
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2.]).double(), check_dtype=False),
        lambda: ac([m.tensor(1.), m.tensor(2.)], [m.tensor(1.), m.tensor(2.5)]),
        lambda: ac({'a': m.tensor(1.)}, {'a': m.tensor(2.)}),
        lambda: ac({'a': 1, 'b': [m.tensor([1., 2.])]}, {'a': 1, 'b': [m.tensor([1., 3.])]}),
        lambda: ac({'a': 1}, {'b': 1}),
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2.1]), rtol=1e-3),
        lambda: ac(m.tensor([1., 2.]), [1., 2.]),
        lambda: ac(m.tensor(1.), 1.0),
        lambda: ac(m.tensor([1., float('nan')]), m.tensor([1., float('nan')])),
        lambda: ac(m.tensor([1., float('nan')]), m.tensor([1., float('nan')]), equal_nan=True),
        lambda: ac(m.tensor([[1., 2.], [3, 4]]), m.tensor([[1., 2.], [3, 5]]), msg='custom'),
        lambda: ac(m.tensor([1., 2.]), m.tensor([1., 2.1]), msg=lambda s: 'X' + s[:10]),
        lambda: ac([1, 2], [1, 2, 3]),
        lambda: ac(m.tensor([True, False]), m.tensor([True, True])),
        lambda: ac(m.tensor([0., 1.]), m.tensor([1e-6, 1.])),
        lambda: ac(m.tensor([[1., 2.], [3., 4.]]), m.tensor([[1., 2.5], [3., 8.]])),
        lambda: ac(m.tensor([1, 2], dtype=m.int32), m.tensor([1, 5], dtype=m.int32)),
        lambda: ac(m.tensor([1., 0.]), m.tensor([1., 0.5])),
        lambda: ac(m.tensor([1., 2.]).requires_grad_(), m.tensor([1., 2.])),
    ]


def _outcome(fn):
    try:
        fn()
        return 'passed'
    except Exception as e:     # the exact type and text are what is compared
        return f'{type(e).__name__}: {e}'


@pytest.mark.parametrize('i', range(len(_cases(numtorch))))
def test_assert_close_like_torch(i):
    assert _outcome(_cases(numtorch)[i]) == _outcome(_cases(torch)[i])


def _net():
    nn = numtorch.nn
    numtorch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2))


@pytest.mark.parametrize('reentrant', [True, False])
@pytest.mark.parametrize('input_grad', [True, False])
def test_checkpoint_matches_plain_run(reentrant, input_grad):
    from numtorch.utils.checkpoint import checkpoint
    x = numtorch.randn(5, 4)
    net, ref = _net(), _net()
    xa, xb = x.clone().requires_grad_(input_grad), x.clone().requires_grad_(input_grad)
    numtorch.manual_seed(1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        y = checkpoint(net, xa, use_reentrant=reentrant)
    numtorch.manual_seed(1)
    z = ref(xb)                          # same dropout mask: the rng state is replayed
    np.testing.assert_array_equal(y.detach().numpy(), z.detach().numpy())
    if reentrant and not input_grad:     # torch: output without grad, and a warning
        assert not y.requires_grad
        assert [str(m.message) for m in w] == ['None of the inputs have requires_grad=True. '
                                               'Gradients will be None']
        return
    assert y.grad_fn is not None and y.grad_fn.name() == 'CheckpointFunctionBackward'
    y.pow(2).sum().backward()
    z.pow(2).sum().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    if input_grad:
        np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_checkpoint_kwargs_tuples_and_sequential():
    from numtorch.utils.checkpoint import checkpoint, checkpoint_sequential
    lin = numtorch.nn.Linear(3, 3)

    def f(a, b, scale=1.0):
        return lin(a) * scale, b * 2
    a = numtorch.randn(2, 3, requires_grad=True)
    b = numtorch.randn(2, requires_grad=True)
    o1, o2 = checkpoint(f, a, b, scale=3.0, use_reentrant=False)
    (o1.sum() + o2.sum()).backward()
    assert b.grad.tolist() == [2., 2.] and lin.weight.grad is not None
    np.testing.assert_allclose(a.grad.numpy(), 3 * lin.weight.sum(0).detach().numpy().repeat(2)
                               .reshape(3, 2).T, rtol=1e-6)
    net, ref = _net(), _net()
    x = numtorch.randn(3, 4)
    numtorch.manual_seed(2)
    y = checkpoint_sequential(net, 2, x, use_reentrant=False)
    numtorch.manual_seed(2)
    z = ref(x)
    y.sum().backward()
    z.sum().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_checkpoint_warnings_and_errors_like_torch():
    def run(m, **kw):
        lin = m.nn.Linear(2, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            try:
                m.utils.checkpoint.checkpoint(lin, m.ones(1, 2, requires_grad=True), **kw)
                err = None
            except Exception as e:
                err = f'{type(e).__name__}: {e}'
        return [str(x.message) for x in w], err
    import torch.utils.checkpoint  # noqa: F401
    for kw in ({}, dict(use_reentrant=True, foo=1), dict(use_reentrant=False)):
        assert run(numtorch, **kw) == run(torch, **kw), kw


OPS = [
    Op('logdet', lambda m, a: m.logdet(a @ a.mT + m.eye(3, dtype=a.dtype, device=a.device)), [((3, 3),), ((2, 3, 3),)],
       tol=dict(rtol=1e-5, atol=1e-5)),
    Op('logdet-signs', lambda m, a: m.logdet(a), [((3, 3),), ((4, 2, 2),)], grad=False),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_frombuffer_shares_memory():
    buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
    t = numtorch.frombuffer(buf, dtype=numtorch.int32, offset=4, count=2)
    assert t.tolist() == torch.frombuffer(bytearray(buf), dtype=torch.int32, offset=4,
                                          count=2).tolist()
    t[0] = 7
    assert np.frombuffer(buf, np.int32)[1] == 7
    with pytest.warns(UserWarning, match='not writable'):
        numtorch.frombuffer(b'\x00\x00\x80\x3f', dtype=numtorch.float32)


def test_apply_and_map():
    x, t = numtorch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[1., 2.], [3., 4.]])
    assert x.apply_(lambda v: v * v + 1) is x
    t.apply_(lambda v: v * v + 1)
    assert x.tolist() == t.tolist()
    x.map_(numtorch.tensor([1., -1.]), lambda a, b: a * b)
    t.map_(torch.tensor([1., -1.]), lambda a, b: a * b)
    assert x.tolist() == t.tolist()
    v = numtorch.zeros(4)
    v[1:].apply_(lambda a: 5.)         # through a view, the base sees it
    assert v.tolist() == [0., 5., 5., 5.]


ERRORS = [
    lambda m: m.ones(2, requires_grad=True).apply_(lambda v: v),
    lambda m: m.ones(2).map_(m.ones(2, requires_grad=True), lambda a, b: a),
    lambda m: m.frombuffer(bytearray(4), dtype=m.int32, offset=4),
    lambda m: m.frombuffer(bytearray(5), dtype=m.int32),
    lambda m: m.frombuffer(bytearray(8), dtype=m.int32, count=3),
    lambda m: m.logdet(m.ones(2, 3)),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])
