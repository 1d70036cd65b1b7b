"""numtorch.autograd.gradgradcheck: torch's signature and argument checks, passes on correct
second derivatives (built-in ops, a custom Function whose backward is differentiable), and
catches wrong ones: a custom backward that detaches what it differentiates, and a
once_differentiable backward (torch's gradgradcheck fails on both as well)."""
import inspect

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error


def test_signature_matches_torch():
    ps = inspect.signature(torch.autograd.gradgradcheck).parameters
    ours = inspect.signature(numtorch.autograd.gradgradcheck).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in ps.values()]


def _cube(L, wrong=False, once=False):
    """x**3 with a hand-written backward; ``wrong``: it treats x as a constant, so the first
    derivative is right and the second is zero; ``once``: once_differentiable."""
    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def _backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * (x.detach() if wrong else x) ** 2
        backward = staticmethod(L.autograd.function.once_differentiable(_backward) if once
                                else _backward)
    return Cube.apply


def _x(L):
    return L.tensor([0.7, -1.3, 2.1], dtype=L.float64, requires_grad=True)


@pytest.mark.parametrize('fn', [
    lambda L: (lambda t: (t * t).sin()),
    lambda L: (lambda t: (t.exp() @ t.reshape(3, 1)).tanh()),
    lambda L: (lambda t: L.nn.functional.softplus(t) * t.sum()),
    lambda L: _cube(L),
])
def test_passes_on_correct_second_derivatives(fn):
    for L in (numtorch, torch):
        assert L.autograd.gradgradcheck(fn(L), (_x(L),))
    # with given grad_outputs: one that requires grad (checked too) and one that does not
    for L in (numtorch, torch):
        v = L.tensor([1., -2., .5], dtype=L.float64)
        f = lambda t: t.sin() * t    # noqa: E731
        assert L.autograd.gradgradcheck(f, (_x(L),), (v,))
        assert L.autograd.gradgradcheck(f, (_x(L),), (v.requires_grad_(),))


@pytest.mark.parametrize('kind', ['wrong', 'once'])
def test_catches_a_wrong_double_backward(kind):
    for L in (numtorch, torch):
        f = _cube(L, **{kind: True})
        assert L.autograd.gradcheck(f, (_x(L),))                # first order is right
        assert L.autograd.gradgradcheck(f, (_x(L),), raise_exception=False) is False
        with pytest.raises(RuntimeError, match='Jacobian mismatch'):
            L.autograd.gradgradcheck(f, (_x(L),))
    with pytest.raises(numtorch.autograd.GradcheckError):
        numtorch.autograd.gradgradcheck(_cube(numtorch, **{kind: True}), (_x(numtorch),))


def test_a_wrong_builtin_formula_is_caught():
    """A node whose backward detaches a differentiable intermediate (the bug GRADGRAD.md warns
    about) fails gradgradcheck although gradcheck passes."""
    class Bad(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(x)
            return y * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * numtorch.tensor((x.exp() * (1 + x)).detach().numpy())
    x = _x(numtorch)
    assert numtorch.autograd.gradcheck(Bad.apply, (x,))
    assert not numtorch.autograd.gradgradcheck(Bad.apply, (x,), raise_exception=False)


@pytest.mark.parametrize('kw', [
    dict(check_rev_over_rev=False),
    dict(check_rev_over_rev=False, check_undefined_grad=False, check_fwd_over_rev=False),
    dict(check_rev_over_rev=False, check_undefined_grad=False, check_batched_grad=True,
         check_fwd_over_rev=True),
])
def test_argument_errors_match_torch(kw):
    same_error(lambda L: L.autograd.gradgradcheck(lambda t: t.sin(), (_x(L),), **kw))


def test_options_numtorch_cannot_check_say_so():
    for kw in (dict(check_fwd_over_rev=True), dict(check_batched_grad=True)):
        with pytest.raises(NotImplementedError, match='numtorch has no'):
            numtorch.autograd.gradgradcheck(lambda t: t.sin(), (_x(numtorch),), **kw)
    # the options that do not change what is checked are accepted
    assert numtorch.autograd.gradgradcheck(lambda t: t.sin(), (_x(numtorch),), fast_mode=True,
                                           gen_non_contig_grad_outputs=True, nondet_tol=1e-9,
                                           check_grad_dtypes=True, masked=True)


def test_inputs_left_unchanged():
    x = _x(numtorch)
    before = x.detach().numpy().copy()
    numtorch.autograd.gradgradcheck(lambda t: t.sin() * t, (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None
