"""numtorch.func's first-order transforms (grad, grad_and_value, vjp, jacrev) against
torch.func 2.13: values, structure of the results (argnums int/tuple, has_aux, dict inputs),
torch's errors; nested transforms (grad(grad(f)), jacrev(jacrev(f)), hessian, jacfwd), vjp_fn's
create_graph, and composition with ordinary autograd (results keep their history exactly when
torch's do)."""
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



def _v(L, shape=(3,), seed=1):
    return L.tensor(np.random.default_rng(seed).standard_normal(shape))


def _mlp_hessian(L):
    m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Tanh(), L.nn.Linear(3, 1)).double()
    params = {k: _v(L, tuple(v.shape), i + 10) for i, (k, v) in enumerate(m.named_parameters())}
    x = _v(L, (4, 2), 5)
    return L.func.hessian(lambda p: L.func.functional_call(m, p, (x,)).pow(2).mean())(params)


@pytest.mark.parametrize('nested', [
    lambda L: L.func.grad(L.func.grad(lambda x: (x ** 3).sin()))(L.tensor(0.7, dtype=L.float64)),
    lambda L: L.func.grad(L.func.grad(L.func.grad(lambda x: x.sin() * x ** 2)))(
        L.tensor(0.7, dtype=L.float64)),
    lambda L: L.func.grad(lambda x: L.func.grad(lambda y: (y ** 3).sum())(x).sin().sum())(_v(L)),
    lambda L: L.func.grad(lambda x: L.func.grad(lambda y: (x * y ** 2).sum())(x).sum())(_v(L)),
    lambda L: L.func.jacrev(L.func.jacrev(lambda x: x.sin() * x.sum()))(_v(L)),
    lambda L: L.func.jacrev(lambda x: L.func.vjp(lambda y: y ** 3, x)[0])(_v(L)),
    lambda L: L.func.grad(lambda x: L.func.vjp(lambda y: y.exp() * 2, x)[1](x)[0].sum())(_v(L)),
    lambda L: L.func.jacrev(lambda c: L.func.vjp(lambda y: y.sin(), _v(L, seed=2))[1](c))(_v(L)),
    lambda L: L.func.hessian(lambda x: (x.sin() * x.sum()).sum())(_v(L)),
    lambda L: L.func.hessian(lambda x, y: (x.sin() * y).sum() * (x * y).sum(), argnums=(0, 1))(
        _v(L), _v(L, seed=3)),
    lambda L: L.func.hessian(lambda x, y: (x.exp() * y).sum(), argnums=1)(_v(L), _v(L, seed=3)),
    lambda L: L.func.jacfwd(L.func.jacrev(lambda x: (x.sin() * x.sum()).sum()))(_v(L)),
    lambda L: L.func.jacrev(L.func.grad(lambda d: (d['a'] * d['b'].exp()).sum()))(
        {'a': _v(L), 'b': _v(L, seed=4)}),
    _mlp_hessian,
])
def test_nested_transforms_match_torch(nested):
    ours, theirs = nested(numtorch), nested(torch)
    _same_structure(ours, theirs)
    _cmp(ours, theirs, np.float64)


@pytest.mark.parametrize('dt', [np.float64, np.float32])
def test_jacfwd_equals_torch(dt):
    def f(L):
        return lambda x, y: (x.sin() * y, (x @ y.reshape(-1, 1)).tanh())
    for argnums in (0, 1, (0, 1), (1, 0)):
        _check('jacfwd', f, [(4,), (4,)], dt, argnums=argnums)
    _check('jacfwd', lambda L: lambda x: (x * 2, {'a': x.sum()}), [(2, 3)], dt, has_aux=True)
    _check('jacfwd', lambda L: lambda x: L.ones(2), [(3,)], dt)        # independent of x


def test_jacfwd_is_jacrev():
    x = _v(numtorch, (2, 3))
    f = lambda t: (t.exp() @ t.T).tanh()      # noqa: E731
    np.testing.assert_array_equal(numtorch.func.jacfwd(f)(x).numpy(),
                                  numtorch.func.jacrev(f)(x).numpy())


@pytest.mark.parametrize('call', [
    lambda L: L.func.jacfwd(lambda x: x, randomness='x')(_x(L)),
    lambda L: L.func.jacfwd(lambda x: 3.0)(_x(L)),
    lambda L: L.func.jacfwd(lambda x: x, has_aux=True)(_x(L)),
    lambda L: L.func.jacfwd(lambda x: x)(L.tensor([1, 2])),
    lambda L: L.func.jacfwd(lambda x: x, argnums=1)(_x(L)),
    lambda L: L.func.jacfwd(lambda x: x.real)(_x(L).to(L.complex64)),
    lambda L: L.func.jacrev(lambda x: (x > 0).long())(_x(L)),
    lambda L: L.func.hessian(lambda x: x.sum(), argnums=2)(_x(L)),
    lambda L: L.func.hessian(lambda x: x * 2)(_x(L)).sum().backward(),
])
def test_more_errors_match_torch(call):
    same_error(call)


def test_results_connect_to_the_outer_graph_as_torch():
    """An input that requires grad (or a captured parameter) keeps the transform's results
    differentiable with ordinary autograd; under no_grad they are detached, as torch's."""
    got = {}
    for L in (numtorch, torch):
        w = L.tensor([1., 2.], dtype=L.float64, requires_grad=True)
        c = L.tensor([0.5, -1.], dtype=L.float64, requires_grad=True)
        res = []
        g = L.func.grad(lambda t: (t ** 3).sum())(w * 1)                  # input from outside
        res += [g, L.autograd.grad(g.sum(), w)[0]]
        g = L.func.grad(lambda t: (t.sin() * c).sum())(L.ones(2, dtype=L.float64))  # capture
        res += [g, L.autograd.grad(g.sum(), c)[0]]
        j = L.func.jacrev(lambda t: t.exp() * w)(c)
        res += [j, L.autograd.grad(j.sum(), (w, c))]
        out, fn = L.func.vjp(lambda t: t ** 3, w)
        (vj,) = fn(c)                                 # cotangent that requires grad
        res += [out, vj, L.autograd.grad(vj.sum(), (w, c))]
        res += [fn(c, create_graph=False)[0]]
        gv, (val, aux) = L.func.grad_and_value(lambda t: ((t * w).sum(), (w * 2, t * 2)),
                                               has_aux=True)(L.ones(2, dtype=L.float64))
        res += [gv, val, aux]
        with L.no_grad():
            res += [L.func.grad(lambda t: (t * c).sum())(w)]
            o2, fn2 = L.func.vjp(lambda t: t * c, w)
            res += [o2, fn2(L.ones(2, dtype=L.float64))]
        got[L] = res
    fo, ft = _flat(got[numtorch]), _flat(got[torch])
    assert len(fo) == len(ft)
    for a, b in zip(fo, ft):
        assert a.requires_grad == b.requires_grad, (a, b)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_vjp_fn_create_graph_and_retain_graph():
    """vjp_fn(create_graph=True) gives a differentiable result (a Hessian-vector product from
    the gradient), and retain_graph=False frees the graph as torch's does."""
    for L in (numtorch, torch):
        x = L.tensor([0.3, 1.2], dtype=L.float64, requires_grad=True)
        _, fn = L.func.vjp(lambda t: (t.sin() * t).sum(), x)
        (g,) = fn(L.tensor(1., dtype=L.float64), create_graph=True)
        hv = L.autograd.grad(g, x, L.tensor([1., 0.], dtype=L.float64))[0]
        np.testing.assert_allclose(hv.numpy(), [2 * np.cos(.3) - .3 * np.sin(.3), 0], rtol=1e-12)

    def twice(L):
        _, fn = L.func.vjp(lambda t: t.exp().sum(), L.ones(2))
        fn(L.tensor(1.), retain_graph=False)
        fn(L.tensor(1.))                       # the graph is gone
    same_error(twice)


def test_inputs_requiring_grad_and_outer_graph_untouched():
    w = numtorch.tensor([1., 2.], requires_grad=True)
    g = numtorch.func.grad(lambda w: (w ** 2).sum())(w * 1)
    assert g.requires_grad and w.grad is None        # connected, as torch's (nothing accumulated)
    np.testing.assert_array_equal(g.detach().numpy(), [2., 4.])
    g = numtorch.func.grad(lambda w: (w ** 2).sum())(w.detach())
    assert not g.requires_grad and g.grad_fn is None


def test_first_order_use_survives_an_op_without_double_backward():
    """Parameters that require grad connect the result to the outside, so the transform asks
    for create_graph; an op that cannot record its double backward must not break the
    first-order result: it is computed, and only differentiating it raises the op's error."""
    from numtorch.autograd._grad_array import DoubleBackwardError

    class Opaque(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if numtorch.is_grad_enabled():          # i.e. under create_graph
                raise DoubleBackwardError('Opaque has no double backward')
            return g * 2
    w = numtorch.tensor([1., -2.], requires_grad=True)
    f = lambda p: (Opaque.apply(p) * p).sum()       # noqa: E731
    g = numtorch.func.grad(f)(w)
    np.testing.assert_array_equal(g.detach().numpy(), [4., -8.])
    np.testing.assert_array_equal(numtorch.func.grad(f)(w.detach()).numpy(), [4., -8.])
    with pytest.raises(DoubleBackwardError, match='Opaque has no double backward'):
        g.sum().backward()
    jac = numtorch.func.jacrev(lambda p: Opaque.apply(p) * p)(w)
    np.testing.assert_array_equal(jac.detach().numpy(), [[4., 0.], [0., -8.]])
