"""numtorch.func's first-order transforms (grad, grad_and_value, vjp, jacrev) against
torch.func 2.13: values, structure of the results (argnums int/tuple, has_aux, dict inputs),
torch's errors, and the clear refusal of nesting / hessian / jacfwd (no double backward yet)."""
import inspect

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)
TOL = {np.float64: dict(rtol=1e-12, atol=1e-13), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _flat(obj):
    if isinstance(obj, (tuple, list)):
        return [a for o in obj for a in _flat(o)]
    if isinstance(obj, dict):
        return [a for k in obj for a in _flat(obj[k])]
    return [obj]


def _cmp(ours, theirs, dt):
    fo, ft = _flat(ours), _flat(theirs)
    assert len(fo) == len(ft)
    for a, b in zip(fo, ft):
        assert isinstance(a, numtorch.Tensor)
        assert not a.requires_grad and a.grad_fn is None
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), **TOL[dt])


def _same_structure(a, b):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, numtorch.Tensor)
    else:
        assert type(a) is type(b), (type(a), type(b))
        if isinstance(b, dict):
            assert list(a) == list(b)
            for k in b:
                _same_structure(a[k], b[k])
        else:
            assert len(a) == len(b)
            for x, y in zip(a, b):
                _same_structure(x, y)


def _both(shapes, dt):
    arrs = [RNG.standard_normal(s).astype(dt) for s in shapes]
    return [numtorch.tensor(a) for a in arrs], [torch.tensor(a) for a in arrs]


def _check(transform, fn, shapes, dt, **kw):
    ins_n, ins_t = _both(shapes, dt)
    ours = getattr(numtorch.func, transform)(fn(numtorch), **kw)(*ins_n)
    theirs = getattr(torch.func, transform)(fn(torch), **kw)(*ins_t)
    _same_structure(ours, theirs)
    _cmp(ours, theirs, dt)
    for t in ins_n:      # the inputs are left alone
        assert not t.requires_grad and t.grad is None


def _scalar(L):
    return lambda x, y: ((x.sin() * y).sum() + (x * x).mean()).tanh()


def _aux(L):
    return lambda x, y: ((x * y).exp().sum(), (x.cos(), {'s': y.sum()}))


def _vec(L):
    return lambda x, y: (x.sin() * y, (x @ y.reshape(-1, 1)).tanh())


@pytest.mark.parametrize('dt', [np.float64, np.float32])
@pytest.mark.parametrize('shape', [(), (3,), (2, 3)])
@pytest.mark.parametrize('transform', ['grad', 'grad_and_value'])
def test_grad_matches_torch(transform, shape, dt):
    for argnums in (0, 1, -1, (0, 1), (1,)):
        _check(transform, _scalar, [shape, shape], dt, argnums=argnums)
    _check(transform, _aux, [shape, shape], dt, argnums=(1, 0), has_aux=True)


@pytest.mark.parametrize('dt', [np.float64, np.float32])
@pytest.mark.parametrize('shape', [(3,), (1, 4)])
def test_jacrev_matches_torch(shape, dt):
    def f(L):
        return lambda x, y: x.sin() * y.exp()
    for argnums in (0, 1, (0, 1)):
        _check('jacrev', f, [shape, shape], dt, argnums=argnums)
    _check('jacrev', _vec, [(4,), (4,)], dt, argnums=(0, 1))      # tuple of outputs
    _check('jacrev', _scalar, [shape, shape], dt)                  # scalar output
    _check('jacrev', lambda L: lambda x: (x * 2, {'a': x.sum()}), [shape], dt,
           has_aux=True, chunk_size=2)
    _check('jacrev', lambda L: lambda x: L.ones(2), [shape], dt)   # independent of x
    _check('jacrev', lambda L: lambda x: x[:0] * 2, [shape], dt)   # empty output


@pytest.mark.parametrize('dt', [np.float64, np.float32])
def test_vjp_matches_torch(dt):
    ins_n, ins_t = _both([(2, 3), (3,)], dt)
    cots_n, cots_t = _both([(2, 3), (2, 1)], dt)
    on, fn = numtorch.func.vjp(_vec(numtorch), *ins_n)
    ot, ft = torch.func.vjp(_vec(torch), *ins_t)
    _same_structure(on, ot)
    _cmp(on, ot, dt)
    for _ in range(2):                            # vjp_fn may be called again
        gn, gt = fn(tuple(cots_n)), ft(tuple(cots_t))
        _same_structure(gn, gt)
        _cmp(gn, gt, dt)
    on, fn, an = numtorch.func.vjp(_aux(numtorch), *ins_n[:1], ins_n[0], has_aux=True)
    ot, ft, at = torch.func.vjp(_aux(torch), *ins_t[:1], ins_t[0], has_aux=True)
    _cmp((on, an), (ot, at), dt)
    one = np.asarray(1.5, dt)
    _cmp(fn(numtorch.tensor(one)), ft(torch.tensor(one)), dt)
    # a dict primal gives a dict cotangent
    _cmp(numtorch.func.vjp(lambda d: d['a'] * 3, {'a': ins_n[1]})[1](ins_n[1]),
         torch.func.vjp(lambda d: d['a'] * 3, {'a': ins_t[1]})[1](ins_t[1]), dt)


def _mlp(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 5), L.nn.Tanh(), L.nn.Linear(5, 2))


def test_mlp_loss_grad_wrt_parameters():
    """The common pattern: grad of a loss w.r.t. a dict of parameters via functional_call."""
    mn, mt = _mlp(numtorch), _mlp(torch)
    with torch.no_grad():                 # same weights in both
        for (k, pn), (_, pt) in zip(mn.named_parameters(), mt.named_parameters()):
            pt.copy_(torch.tensor(pn.detach().numpy()))
    (xn, yn), (xt, yt) = _both([(4, 3), (4, 2)], np.float32)

    def loss(L, m):
        def f(params, x, y):
            out = L.func.functional_call(m, params, (x,))
            return L.nn.functional.mse_loss(out, y), out
        return f
    pn = {k: v.detach() for k, v in mn.named_parameters()}
    pt = {k: v.detach() for k, v in mt.named_parameters()}
    gn, (ln, on) = numtorch.func.grad_and_value(loss(numtorch, mn), has_aux=True)(pn, xn, yn)
    gt, (lt, ot) = torch.func.grad_and_value(loss(torch, mt), has_aux=True)(pt, xt, yt)
    _same_structure(gn, gt)
    _cmp((gn, ln, on), (gt, lt, ot), np.float32)
    # and the same as a plain backward
    mn.zero_grad()
    numtorch.nn.functional.mse_loss(mn(xn), yn).backward()
    for k, p in mn.named_parameters():
        np.testing.assert_allclose(gn[k].numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_fd_float64():
    """A float64 finite-difference check of jacrev, independent of torch."""
    x = RNG.standard_normal(4)
    f = lambda t: (t.sin() * t.sum()).exp()          # noqa: E731
    jac = numtorch.func.jacrev(f)(numtorch.tensor(x)).numpy()
    eps = 1e-6
    for j in range(4):
        d = np.zeros(4)
        d[j] = eps
        fd = (f(numtorch.tensor(x + d)).numpy() - f(numtorch.tensor(x - d)).numpy()) / (2 * eps)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-6, atol=1e-8)


def test_signatures_match_torch():
    for name in ('grad', 'grad_and_value', 'vjp', 'jacrev', 'hessian', 'jacfwd'):
        ps = inspect.signature(getattr(torch.func, name)).parameters
        ours = inspect.signature(getattr(numtorch.func, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == \
            [(p.name, p.kind, p.default) for p in ps.values()], name


def _x(L):
    return L.tensor([1., 2., 3.])


@pytest.mark.parametrize('call', [
    lambda L: L.func.grad(lambda x: x * 2)(_x(L)),
    lambda L: L.func.grad(lambda x: 3.0)(_x(L)),
    lambda L: L.func.grad(lambda x: x.sum(), has_aux=True)(_x(L)),
    lambda L: L.func.grad(lambda x: (x.sum(), 1, 2), has_aux=True)(_x(L)),
    lambda L: L.func.grad_and_value(lambda x: x.sum(), argnums=1)(_x(L)),
    lambda L: L.func.grad(lambda x: x.sum(), argnums=-2)(_x(L)),
    lambda L: L.func.grad(lambda x: x.sum(), argnums=(0, 0))(_x(L)),
    lambda L: L.func.grad(lambda x: x.sum(), argnums=())(_x(L)),
    lambda L: L.func.grad(lambda x: x.sum(), argnums=1.0)(_x(L)),
    lambda L: L.func.grad(lambda x, y: x.sum(), argnums=(0, 'a'))(_x(L), _x(L)),
    lambda L: L.func.grad(lambda x: x.sum())(3.0),
    lambda L: L.func.grad(lambda x: x.sum())(L.tensor([1, 2])),
    lambda L: L.func.grad(lambda x: x.sum())(),
    lambda L: L.func.vjp(lambda x: x * 2, 3.0),
    lambda L: L.func.vjp(lambda x: 3.0, _x(L)),
    lambda L: L.func.vjp(lambda x: x * 2, _x(L), has_aux=True),
    lambda L: L.func.vjp(lambda x: (x > 0).long(), _x(L)),
    lambda L: L.func.vjp(lambda x: x * 2, _x(L))[1](L.ones(2)),
    lambda L: L.func.jacrev(lambda x: x, chunk_size=0),
    lambda L: L.func.jacrev(lambda x: x, argnums=1)(_x(L)),
    lambda L: L.func.jacrev(lambda x: x, has_aux=True)(_x(L)),
    lambda L: L.func.jacrev(lambda x: 3.0)(_x(L)),
])
def test_errors_match_torch(call):
    same_error(call)


def test_vjp_cotangent_structure_error():
    _, fn = numtorch.func.vjp(lambda x: x * 2, _x(numtorch))
    with pytest.raises(RuntimeError, match='pytree structure of cotangents'):
        fn((numtorch.ones(3),))


@pytest.mark.parametrize('nested', [
    lambda F: F.grad(F.grad(lambda x: (x ** 3).sum()))(numtorch.tensor(2.)),
    lambda F: F.grad(lambda x: F.grad(lambda y: (y ** 3).sum())(x).sum())(numtorch.ones(2)),
    lambda F: F.jacrev(F.jacrev(lambda x: x ** 3))(numtorch.ones(2)),
    lambda F: F.jacrev(lambda x: F.vjp(lambda y: y ** 3, x)[0])(numtorch.ones(2)),
    lambda F: F.grad(lambda x: F.vjp(lambda y: y * 2, numtorch.ones(1))[1](x)[0].sum())(
        numtorch.ones(1)),
    lambda F: F.hessian(lambda x: (x ** 3).sum()),
    lambda F: F.jacfwd(lambda x: x ** 3),
    lambda F: F.vjp(lambda x: x * 2, numtorch.ones(2))[1](numtorch.ones(2), create_graph=True),
])
def test_nesting_and_higher_order_refused_clearly(nested):
    with pytest.raises(NotImplementedError, match=r'create_graph=True.*issue 11'):
        nested(numtorch.func)
    # the refusal leaves no transform marked as running
    assert numtorch.func.grad(lambda x: (x ** 2).sum())(numtorch.tensor(3.)).item() == 6.0


def test_inputs_requiring_grad_and_outer_graph_untouched():
    w = numtorch.tensor([1., 2.], requires_grad=True)
    g = numtorch.func.grad(lambda w: (w ** 2).sum())(w * 1)
    assert not g.requires_grad and w.grad is None
    np.testing.assert_array_equal(g.numpy(), [2., 4.])
