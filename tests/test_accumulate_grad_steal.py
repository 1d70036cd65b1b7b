"""AccumulateGrad keeps a fresh gradient as ``leaf.grad`` without copying it (as torch steals an
unshared gradient), and copies whenever anything else can still see the array: another edge,
a hook, a retained graph's saved values, a view, the caller's own gradient."""
import numpy as np
import pytest

import numtorch
from numtorch.autograd import graph


@pytest.fixture
def owned(monkeypatch):
    """The ``owned`` flag of every AccumulateGrad.backward call, in order."""
    seen = []
    real = graph.AccumulateGrad.backward

    def spy(self, grad, owned=False):
        seen.append(owned)
        return real(self, grad, owned)
    monkeypatch.setattr(graph.AccumulateGrad, 'backward', spy)
    return seen


def _alone(t, *others):
    """``t.grad``'s memory is shared with none of the arrays ``others``."""
    return not any(np.shares_memory(t.grad.numpy(), o) for o in others)


def test_a_fresh_gradient_is_kept_without_a_copy(owned):
    x = numtorch.randn(3, 4, requires_grad=True)
    (x * 2).sum().backward()
    assert owned == [True]
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2, np.float32))
    # the second backward adds into the kept array, in place, as before
    keep = x.grad
    (x * 3).sum().backward()
    assert x.grad is keep
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 5, np.float32))


def test_one_array_passed_to_two_leaves_is_copied_for_the_first():
    # Add hands the same array to both of its inputs: the leaves must not share it
    a = numtorch.randn(5, requires_grad=True)
    b = numtorch.randn(5, requires_grad=True)
    ((a + b) * 2).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1)
    np.testing.assert_array_equal(b.grad.numpy(), np.full(5, 2, np.float32))


def test_a_gradient_a_hook_keeps_is_not_the_leafs():
    x = numtorch.randn(4, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2).sum().backward()
    assert _alone(x, seen[0].numpy())
    # a hook on a non-leaf whose gradient reaches the leaf unchanged (Add passes it on)
    y = numtorch.randn(4, requires_grad=True)
    z = y + 0
    z.register_hook(lambda g: seen.append(g))
    (z * 3).sum().backward()
    assert _alone(y, seen[1].numpy())
    # a hook's result that the hook keeps
    w = numtorch.randn(4, requires_grad=True)
    kept = []
    w.register_hook(lambda g: kept.append(g * 1) or kept[-1])
    (w * 2).sum().backward()
    assert _alone(w, kept[0].numpy())


def test_retain_grad_and_the_callers_gradient_are_not_aliased():
    x = numtorch.randn(4, requires_grad=True)
    y = x * 1
    y.retain_grad()
    (y + 0).sum().backward()
    assert _alone(x, y.grad.numpy())
    # the caller's own gradient, through an op that passes it on and into a leaf directly
    g = numtorch.ones(4)
    (x + 0).backward(g)
    assert _alone(x, g.numpy())
    v = numtorch.randn(4, requires_grad=True)
    v.backward(g)
    assert _alone(v, g.numpy())
    g.add_(5)
    np.testing.assert_array_equal(v.grad.numpy(), np.ones(4, np.float32))


def test_views_and_saved_gradients_are_copied():
    # cat's backward gives each input a slice (a view) of one array
    a = numtorch.randn(3, requires_grad=True)
    b = numtorch.randn(2, requires_grad=True)
    (numtorch.cat([a, b]) * 2).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())

    # a custom Function whose backward returns a tensor it keeps (alive with retain_graph)
    kept = []

    class Keep(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            kept.append(t.detach() * 0 + 7)
            return t.clone()

        @staticmethod
        def backward(ctx, g):
            return kept[0]

    x = numtorch.randn(3, requires_grad=True)
    out = Keep.apply(x)
    out.sum().backward(retain_graph=True)
    assert _alone(x, kept[0].numpy())
    x.grad.zero_()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 7, np.float32))


def test_backward_with_inputs_and_autograd_grad_keep_their_own_arrays():
    x = numtorch.randn(4, requires_grad=True)
    y = x * 2
    (gx,) = numtorch.autograd.grad(y.sum(), x, retain_graph=True)
    y.sum().backward(inputs=[x])
    assert _alone(x, gx.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), gx.numpy())



@pytest.mark.parametrize('threads', [1, 2])
def test_a_transposed_gradient_is_copied_c_contiguous(threads):
    # a convolution's weight gradient arrives as a transposed view of its GEMM's result; the
    # leaf's .grad is a C-contiguous copy (as torch's layout contract), copied in blocks
    from numtorch._threads import contiguous_copy
    numtorch.set_num_threads(threads)
    base = np.random.default_rng(0).standard_normal((1, 270, 200)).astype(np.float32)
    view = base.transpose(0, 2, 1).reshape(200, 30, 3, 3)
    got = contiguous_copy(view)
    assert got.flags.c_contiguous and np.array_equal(got, view)
    assert not np.shares_memory(got, base)
    w = numtorch.randn(16, 8, 3, 3, requires_grad=True)
    numtorch.nn.functional.conv2d(numtorch.randn(2, 8, 6, 6), w).square().sum().backward()
    assert w.grad.numpy().flags.c_contiguous
    # a view whose reshape must copy, and plain small arrays
    odd = np.arange(4 * 50 * 300, dtype=np.float32).reshape(4, 50, 300)[:, ::2]
    assert np.array_equal(contiguous_copy(odd), odd) and contiguous_copy(odd).flags.c_contiguous
    assert np.array_equal(contiguous_copy(base[0, :3].T), base[0, :3].T)


@pytest.mark.parametrize('stride,channels,kept', [(1, 32, True), (2, 32, True), (1, 2, False)])
def test_a_convolutions_reshaped_weight_gradient_is_kept(owned, stride, channels, kept):
    # the channels-last paths (Winograd, strided) return their weight gradient as a reshape of
    # a fresh GEMM result: the whole of an array no one else holds, so it is kept; the NCHW
    # im2col's is a transposed view, copied (in blocks)
    x = numtorch.randn(2, channels, 6, 6)
    w = numtorch.randn(channels, channels, 3, 3, requires_grad=True)
    numtorch.nn.functional.conv2d(x, w, padding=1, stride=stride).sum().backward()
    assert owned == [kept]


class _Give(numtorch.autograd.Function):
    """Backward hands out ``make()``'s tensor as the input's gradient."""
    make = None

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return _Give.make()


def test_a_view_of_an_array_someone_else_holds_or_of_part_of_one_is_copied(owned):
    held = numtorch.ones(2, 3)
    _Give.make = lambda: held.reshape(6)             # the whole of an array the test holds
    x = numtorch.zeros(6, requires_grad=True)
    _Give.apply(x).sum().backward()
    assert owned == [False] and _alone(x, held.numpy())
    _Give.make = lambda: numtorch.ones(12)[:6]      # part of a fresh array
    y = numtorch.zeros(6, requires_grad=True)
    _Give.apply(y).sum().backward()
    assert owned == [False, False]
    _Give.make = lambda: numtorch.ones(2, 3).reshape(6)   # the whole of a fresh one
    z = numtorch.zeros(6, requires_grad=True)
    _Give.apply(z).sum().backward()
    assert owned == [False, False, True]
    np.testing.assert_array_equal(z.grad.numpy(), np.ones(6, np.float32))
