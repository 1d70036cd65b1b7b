"""In-place ops through views of tensors that require grad (issue 11): values, gradients and
node names against torch's (CopySlices on the base, AsStridedBackward0 on the views), float64
finite-difference checks, and torch's refusals."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# Each case: f(m, x, w) -> (result to differentiate, [tensors whose grad_fn names to compare]).
# x, w: (3, 4) leaves that require grad. y = x * 1 is the non-leaf base written through views.
def _mul_column(m, x, w):
    y = x * 1
    v = y[:, 0]
    v.mul_(2)
    return y, [y, v]


def _setitem_view(m, x, w):
    y = x * 1
    y[0][1] = w.sum()
    return y, [y]


def _setitem_view_slice(m, x, w):
    y = x * 1
    y[1:][0, 1:] = w[0, :3] * 2
    return y * y, [y]


def _flat_add(m, x, w):
    y = x * 1
    v = y.view(-1)
    v.add_(1)
    return y * y, [y, v]


def _t_add(m, x, w):
    y = x * 1
    v = y.t()
    v.add_(w.t() * 3)
    return y * y, [y, v]


def _transpose_select_zero(m, x, w):
    y = x * 1
    v = y.transpose(0, 1)[1]
    v.zero_()
    return y * y, [y, v]


def _diagonal_fill(m, x, w):
    y = x * 1
    v = y.diagonal()
    v.fill_(0)
    return y * y, [y, v]


def _diagonal_offset_mul(m, x, w):
    y = x * 1
    v = y.t().diagonal(-1)
    v.mul_(w[0, :3])
    return y * y, [y, v]


def _narrow_mul(m, x, w):
    y = x * 1
    v = y.narrow(1, 1, 2)
    v.mul_(w[:, :2])
    return y * y, [y, v]


def _select_add(m, x, w):
    y = x * 1
    v = y.select(1, 2)
    v.add_(w[:, 0])
    return y * y, [y, v]


def _unsqueeze_mul(m, x, w):
    y = x * 1
    v = y.unsqueeze(0)
    v.mul_(3)
    return y * y, [y, v]


def _view_of_view(m, x, w):
    y = x * 1
    a = y[1:]
    v = a[:, 1:]
    v.mul_(w[1:, 1:])
    return y * y, [y, a, v]


def _column_add_other(m, x, w):
    y = x * 1
    y[:, 1].add_(w[:, 1] * 2)
    return y * y, [y]


def _copy_into_view(m, x, w):
    y = x * 1
    v = y[1]
    v.copy_(w[2] * w[0])
    return y * y, [y, v]


def _copy_broadcast(m, x, w):
    y = x * 1
    y[:2, 1:3].copy_(w[0, :2])
    return y * y, [y]


def _iadd_view(m, x, w):
    y = x * 1
    v = y[0]
    v += w[1]
    return y * y, [y, v]


def _view_reused(m, x, w):
    y = x * 1
    v = y[0]
    v.mul_(2)
    return v.sum() * 3 + (y * y).sum(), [y, v]


def _other_view_regenerated(m, x, w):
    y = x * 1
    u = y[:, 1]
    v = y[0]
    v.mul_(w[2])
    return (u * u).sum() + y.sum(), [y, u, v]


def _base_changed_view_regenerated(m, x, w):
    y = x * 1
    v = y[0]
    e = y.expand(2, 3, 4)
    y.mul_(w)
    return (v * v).sum() + (e * e).sum(), [y, v, e]


def _element(m, x, w):
    y = x * 1
    y[1][2].mul_(w.sum())
    return y * y, [y]


def _two_writes(m, x, w):
    y = x * 1
    y[0].mul_(w[0])
    y[:, 2].add_(w[:, 1])
    y.t()[3][1:] = w[1, 2:] * 5
    return y * y, [y]


def _no_grad_base(m, x, w):
    z = m.zeros(3, 4, dtype=x.dtype)
    z[:, 1].add_(w[:, 1] * 2)
    z[0][2] = x.sum()
    return z * z, [z]


def _relu_view(m, x, w):
    y = x * 1
    m.nn.functional.relu(y[1:], inplace=True)
    return y * y, [y]


def _clamp_sigmoid_chain(m, x, w):
    y = x * 1
    v = y[:, 1:3]
    v.clamp_(-0.5, 0.5).sigmoid_()
    return y * y, [y, v]


def _copysign_composite(m, x, w):
    # numtorch's copysign is several nodes: CopySlices then splits the gradient around them
    y = x * 1
    v = y[:, 1:]
    v.copysign_(w.detach()[:, 1:] - 0.3)
    return y * y * w, [y, v]


def _shape_inplace_then_write(m, x, w):
    # t_/unsqueeze_/squeeze_ on a view change how it lies in its base
    y = x * 1
    v = y[0:2]
    v.t_()
    v.mul_(w[:2].t())
    v.unsqueeze_(0)
    v[0, 1].add_(5)
    u = y[1]
    u.unsqueeze_(1)
    u.squeeze_()
    u.add_(w[2])
    return y * y, [y, v, u]


def _random_fill(m, x, w):
    y = x * 1
    y[1].uniform_()
    return y.sum(), [y]


CASES = [_mul_column, _setitem_view, _setitem_view_slice, _flat_add, _t_add,
         _transpose_select_zero, _diagonal_fill, _diagonal_offset_mul, _narrow_mul, _select_add,
         _unsqueeze_mul, _view_of_view, _column_add_other, _copy_into_view, _copy_broadcast,
         _iadd_view, _view_reused, _other_view_regenerated, _base_changed_view_regenerated,
         _element, _two_writes, _no_grad_base, _relu_view, _clamp_sigmoid_chain,
         _copysign_composite, _shape_inplace_then_write, _random_fill]


def _run(m, case, dtype):
    x = m.tensor(X, dtype=dtype, requires_grad=True)
    w = m.tensor(W, dtype=dtype, requires_grad=True)
    out, named = case(m, x, w)
    names = [_name(t) for t in named]
    value = out.detach().numpy().copy()
    out.sum().backward()
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in (x, w)]
    return names, value, grads


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__[1:])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_matches_torch(case, dtype):
    n_names, n_value, n_grads = _run(numtorch, case, getattr(numtorch, dtype))
    t_names, t_value, t_grads = _run(torch, case, getattr(torch, dtype))
    assert n_names == t_names
    tol = 1e-6 if dtype == 'float32' else 1e-12
    if case is not _random_fill:
        np.testing.assert_allclose(n_value, t_value, rtol=tol, atol=tol)
    for a, b in zip(n_grads, t_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize('case', [_mul_column, _setitem_view_slice, _t_add, _diagonal_offset_mul,
                                  _view_of_view, _copy_broadcast, _other_view_regenerated,
                                  _base_changed_view_regenerated, _two_writes, _no_grad_base,
                                  _clamp_sigmoid_chain, _copysign_composite],
                         ids=lambda c: c.__name__[1:])
def test_gradcheck(case):
    x = numtorch.tensor(X, dtype=numtorch.float64, requires_grad=True)
    w = numtorch.tensor(W, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda a, b: case(numtorch, a, b)[0], (x, w))


@pytest.mark.parametrize('case', [_mul_column, _setitem_view_slice, _diagonal_offset_mul,
                                  _view_of_view, _base_changed_view_regenerated, _two_writes,
                                  _copysign_composite, _random_fill, _shape_inplace_then_write],
                         ids=lambda c: c.__name__[1:])
def test_functional_backward_form_agrees(case):
    """copyslices.FUNCTIONAL[0] picks the index-arithmetic form of the backward formulas (no
    writes into arrays, for differentiable array wrappers): the same gradients."""
    from numtorch._ops.shape import copyslices
    numtorch.manual_seed(0)
    expected = _run(numtorch, case, numtorch.float64)
    copyslices.FUNCTIONAL[0] = True
    try:
        numtorch.manual_seed(0)
        got = _run(numtorch, case, numtorch.float64)
    finally:
        copyslices.FUNCTIONAL[0] = False
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
    for a, b in zip(got[2], expected[2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)


def test_composite_inplace_op_is_covered():
    from numtorch._ops.shape.copyslices import CopySlicesComposite
    x = numtorch.tensor(X, requires_grad=True)
    y = _copysign_composite(numtorch, x, numtorch.tensor(W, requires_grad=True))[1][0]
    assert isinstance(y.grad_fn, CopySlicesComposite)


def test_graph_structure_matches_torch():
    def f(m):
        x = m.ones(3, 4, requires_grad=True)
        w = m.ones(4, requires_grad=True)
        y = x * 1
        y[1].mul_(w)
        fns = y.grad_fn.next_functions
        return [type(f).__name__ if f is not None else None for f, _ in fns], y._version
    assert f(numtorch) == f(torch)


def test_view_results_share_and_bump_the_version():
    for m in (numtorch, torch):
        x = m.ones(3, 4, requires_grad=True)
        y = x * 1
        v = y[0][1:]
        v.add_(1)
        assert y._version == v._version == 1
        assert y.grad_fn is not None and not y.is_leaf


# ------------------------------------------------------------------ torch's refusals
def _y(m):
    return m.tensor(X, requires_grad=True) * 1


def _no_grad_view(m, index=0):
    y = _y(m)
    with m.no_grad():
        return y[index]


def _set(t, index, value):
    t[index] = value


@pytest.mark.parametrize('call', [
    # a view of a leaf that requires grad
    lambda m: m.ones(3, 4, requires_grad=True)[0].add_(1),
    lambda m: _set(m.ones(3, 4, requires_grad=True)[0], 1, 1.),
    lambda m: m.ones(3, 4, requires_grad=True).t().zero_(),
    lambda m: m.ones(3, 4, requires_grad=True).diagonal().fill_(0),
    lambda m: m.ones(3, 4, requires_grad=True)[1:][0].mul_(2),
    # a view made in no_grad mode, changed with grad mode on
    lambda m: _no_grad_view(m).add_(1),
    lambda m: _no_grad_view(m).fill_(1),
    lambda m: _no_grad_view(m).copy_(m.ones(4)),
    lambda m: _set(_no_grad_view(m), 0, 1.),
    lambda m: _no_grad_view(m)[1:].add_(1),
    lambda m: _no_grad_view(m).mul_(m.ones(4, requires_grad=True)),
    lambda m: _set(_no_grad_view(m), slice(1, None), m.ones(3, requires_grad=True)),
    # outputs of ops returning several views
    lambda m: _y(m).unbind()[0].add_(1),
    lambda m: _y(m).unbind(1)[2].fill_(1),
    lambda m: _y(m).split(1)[1].add_(1),
    lambda m: _y(m).chunk(3)[2].zero_(),
    lambda m: _y(m).split([1, 2])[1].copy_(m.ones(2, 4)),
    lambda m: _y(m).unbind()[0][1:].add_(1),
    lambda m: _set(_y(m).unbind()[0], 0, 1.),
    lambda m: _set(_y(m).unbind()[0], slice(1, None), 1.),
    lambda m: _set(_y(m).unbind()[0], slice(None), 1.),
    lambda m: m.ones(3, 4, requires_grad=True).unbind()[0].add_(1),
    lambda m: m.zeros(3, 4).unbind()[0].add_(m.ones(4, requires_grad=True)),
    # an expanded view holds elements twice
    lambda m: m.zeros(3).expand(2, 3).add_(1),
    lambda m: (m.ones(3, requires_grad=True) * 1).expand(2, 3).mul_(2),
])
def test_refusals_match_torch(call):
    same_error(call)


@pytest.mark.parametrize('write', [
    lambda v: v.mul_(2), lambda v: v.add_(1), lambda v: _set(v, 0, 5.), lambda v: v.zero_()])
def test_saved_tensor_changed_through_a_view_raises(write):
    def f(m):
        y = _y(m)
        z = y.sin()                 # saves y
        write(y[1])
        z.sum().backward()
    same_error(f)

    def g(m):
        y = _y(m)
        s = y.t()
        z = s.exp() * s             # saves the view s and exp's output
        write(y[:, 1])
        z.sum().backward()
    same_error(g)


def test_inplace_without_grad_through_views_unchanged():
    for m in (numtorch, torch):
        x = m.zeros(3, 4)
        x[0][1] = 2.
        x.t()[2].add_(1)
        x.diagonal().mul_(3)
        assert x.grad_fn is None and not x.requires_grad
    a, b = numtorch.zeros(3, 4), torch.zeros(3, 4)
    for t in (a, b):
        t[0][1] = 2.
        t.t()[2].add_(1)
        t.diagonal().mul_(3)
        t.view(-1)[5:7].fill_(7)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_views_in_no_grad_of_a_grad_base_may_change_in_no_grad():
    for m in (numtorch, torch):
        y = _y(m)
        with m.no_grad():
            v = y[0]
            v.add_(1)
        assert type(y.grad_fn).__name__ == 'MulBackward0'


def test_retain_graph_and_double_backward_through_copyslices():
    grads = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        y[1].mul_(3)
        loss = (y * y).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        grads.append(x.grad.numpy().copy())
        with pytest.raises(RuntimeError, match='backward through the graph a second time'):
            loss.backward()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@pytest.mark.parametrize('functional', [False, True], ids=['writing', 'functional'])
@pytest.mark.parametrize('case', [_mul_column, _setitem_view, _setitem_view_slice, _t_add,
                                  _transpose_select_zero, _diagonal_fill, _diagonal_offset_mul,
                                  _view_of_view, _copy_broadcast, _other_view_regenerated,
                                  _base_changed_view_regenerated, _element, _two_writes,
                                  _shape_inplace_then_write], ids=lambda c: c.__name__[1:])
def test_on_the_stand_in_device(case, functional):
    """The same graphs on the strict stand-in device (no host arrays, no reads back mid-op):
    the same values and gradients as on the CPU, with either form of the backward formulas."""
    from numtorch.testing import stand_in
    from numtorch._ops.shape import copyslices

    def run(device):
        x = numtorch.tensor(X, requires_grad=True, device=device)
        w = numtorch.tensor(W, requires_grad=True, device=device)
        out = case(numtorch, x, w)[0]
        out.sum().backward()
        return [t.detach().cpu().numpy() for t in (out, x.grad, w.grad) if t is not None]

    expected = run('cpu')
    copyslices.FUNCTIONAL[0] = functional
    try:
        with stand_in.enabled():
            got = run('cuda')
    finally:
        copyslices.FUNCTIONAL[0] = False
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _zero_dim(m):
    x = m.tensor(2., requires_grad=True)
    y = x * 1
    v = y[...]
    v.mul_(3)
    return x, [y, v], y * y


def _empty(m):
    x = m.ones(0, 3, requires_grad=True)
    y = x * 1
    v = y[:, 1]
    v.mul_(3)
    return x, [y, v], y * y


def _strided_chain(m):
    x = m.arange(24., requires_grad=True)
    y = (x * 1).reshape(2, 3, 4)            # itself a view of the product
    v = y.permute(2, 0, 1)[1:3, :, ::2]
    v.mul_(m.arange(2.)[:, None, None] + 2)
    w = y.movedim(0, 2).flatten(1)[:, ::3]
    w.add_(1)
    return x, [y, v, w], y * y


@pytest.mark.parametrize('case', [_zero_dim, _empty, _strided_chain], ids=lambda c: c.__name__[1:])
def test_odd_shapes_match_torch(case):
    res = []
    for m in (numtorch, torch):
        x, named, out = case(m)
        names = [_name(t) for t in named]
        out.sum().backward()
        res.append((names, out.detach().numpy().copy(), x.grad.numpy().copy()))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-6)


def _unbind_then_base_changed(m):
    y = _y(m)
    a, b, c = y.unbind()
    y.mul_(2)
    a.sum().backward()


def _split_then_other_view_changed(m):
    y = _y(m)
    a, b = y.split(2)
    y[0].mul_(2)
    (b * 2).sum().backward()


def _split_saved_then_changed(m):
    y = _y(m)
    a, b = y.split(2)
    s = (a * a).sum()               # saves a: the version check names a's (stale) history
    y[0].mul_(2)
    (s + (y * y).sum()).backward()


def _view_saved_then_changed(m):
    y = _y(m)
    a = y[0:2]
    s = (a * a).sum()
    y[0].mul_(2)
    (s + (y * y).sum()).backward()


@pytest.mark.parametrize('call', [_unbind_then_base_changed, _split_then_other_view_changed,
                                  _split_saved_then_changed, _view_saved_then_changed],
                         ids=lambda c: c.__name__[1:])
def test_stale_multi_output_view_is_refused(call):
    # torch refuses when the stale view is used; numtorch when backward reaches it
    same_error(call)


def test_multi_output_views_used_before_the_change_are_fine():
    res = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        a, b = y.split(2)
        s = (a * 2).sum()
        y[0].mul_(2)
        (s + (y * y).sum()).backward()
        res.append((type(y.grad_fn).__name__, x.grad.numpy().copy()))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)


@pytest.mark.parametrize('write', [lambda y: y.mul_(2), lambda y: _set(y, 0, 5.),
                                   lambda y: y.fill_(1.), lambda y: y[1].mul_(2.),
                                   lambda y: y.t()[0].zero_(), lambda y: y.uniform_()],
                         ids=['mul_', 'setitem', 'fill_', 'view_mul_', 'view_zero_', 'uniform_'])
def test_retained_grad_follows_the_new_value(write):
    # torch retains the gradient of the tensor's value after the in-place change
    grads = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        y.retain_grad()
        write(y)
        (y * m.tensor(W)).sum().backward()
        grads.append(y.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_hook_registered_before_the_change_sees_the_old_value_gradient():
    seen = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        y.register_hook(lambda g: seen.append(g.numpy().copy()))
        y[0].mul_(2)
        (y * 3).sum().backward()
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-6)
