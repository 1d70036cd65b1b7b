"""create_graph through indexing / fft / embedding beyond the Op specs (whose second derivatives
opcheck already compares with torch): NumPy's fft and pad calls on GradArrays mean what they
mean in NumPy, higher orders through the FFTs, and torch's deferred scatter_reduce error."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.autograd._grad_array import GradArray


def _pair(a):
    return (numtorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


@pytest.mark.parametrize('name,kw', [
    ('fft', dict(n=7, norm='ortho')), ('ifft', dict(axis=0)), ('rfft', dict(n=9)),
    ('irfft', dict(n=6, norm='forward')), ('hfft', dict()), ('ihfft', dict(axis=0)),
    ('fftn', dict(s=(3, 5), axes=(0, 1))), ('ifft2', dict(norm='ortho')), ('rfftn', dict(axes=(0,))),
    ('irfftn', dict(s=(4, 6), axes=(0, 1))), ('rfft2', dict()), ('irfft2', dict(axes=(1, 0)))])
def test_numpy_fft_on_gradarrays_is_numpys_transform(name, kw):
    """A backward formula's numpy.fft.<name>(g, ...) on a GradArray: NumPy's values (and
    NumPy's argument names), recorded as numtorch.fft's differentiable transform."""
    a = np.random.default_rng(0).standard_normal((4, 5))
    x = numtorch.tensor(a, requires_grad=True)
    out = getattr(np.fft, name)(GradArray(x), **kw)
    assert out.__class__ is GradArray and out.t.requires_grad
    want = getattr(np.fft, name)(a, **kw)
    np.testing.assert_allclose(out.t.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    # its gradient is the transform's adjoint, as torch's for the same transform
    r = out.t if not out.t.is_complex() else numtorch.view_as_real(out.t)
    w = np.random.default_rng(1).standard_normal(tuple(r.shape))
    (r * numtorch.tensor(w)).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    targs = {k: v for k, v in kw.items() if k == 'norm'}
    if 'n' in kw or 's' in kw:
        targs['n' if 'n' in kw else 's'] = kw.get('n', kw.get('s'))
    if 'axis' in kw or 'axes' in kw:
        targs['dim'] = kw.get('axis', kw.get('axes'))
    tr = getattr(torch.fft, name)(tx, **targs)
    tr = tr if not tr.is_complex() else torch.view_as_real(tr.resolve_conj())
    (tr * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_numpy_pad_on_gradarrays():
    a = np.arange(6.).reshape(2, 3)
    x = numtorch.tensor(a, requires_grad=True)
    out = np.pad(GradArray(x), [(1, 0), (0, 2)])
    np.testing.assert_array_equal(out.t.detach().numpy(), np.pad(a, [(1, 0), (0, 2)]))
    (out.t * numtorch.arange(15.).reshape(3, 5)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(15.).reshape(3, 5)[1:, :3])
    with pytest.raises(NotImplementedError, match='numpy.pad'):
        np.pad(GradArray(x), 1, mode='edge')


def _spectral_penalty(m, x, order):
    """A gradient penalty on a spectral loss, differentiated ``order`` times in all."""
    y = m.view_as_real(m.fft.rfft(x, norm='ortho'))
    loss = (y ** 3).sum() + m.fft.irfft(m.fft.fft(x), n=6).pow(2).sum()
    g, = m.autograd.grad(loss, x, create_graph=True)
    pen = (g ** 2).sum()
    if order == 2:
        return m.autograd.grad(pen, x)[0]
    h, = m.autograd.grad(pen, x, create_graph=True)
    return m.autograd.grad((h * h).sum(), x)[0]


@pytest.mark.parametrize('order', [2, 3])
def test_fft_gradient_penalty_higher_orders(order):
    a = np.random.default_rng(2).standard_normal((2, 6))
    nx, tx = _pair(a)
    np.testing.assert_allclose(_spectral_penalty(numtorch, nx, order).numpy(),
                               _spectral_penalty(torch, tx, order).numpy(), rtol=1e-9, atol=1e-9)


def _prod_zeros(m):
    x = m.tensor([1.5, -2., 3.], dtype=m.float64, requires_grad=True)
    s = m.tensor([0., 0., 2.], dtype=m.float64, requires_grad=True)   # two zeros into x[0]
    y = x.scatter_reduce(0, m.tensor([0, 0, 1]), s, 'prod')
    gx, gs = m.autograd.grad(y.sum(), (x, s), create_graph=True)
    return x, s, gx, gs


def test_scatter_reduce_prod_two_zeros_defers_torchs_error():
    """torch computes the gradient, then refuses to differentiate the source's gradient again
    where more than one source zero meets in one position; the input's still works."""
    n, t = _prod_zeros(numtorch), _prod_zeros(torch)
    for a, b in zip(n[2:], t[2:]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(RuntimeError) as want:
        torch.autograd.grad(t[3].sum(), (t[0], t[1]))
    with pytest.raises(RuntimeError) as got:
        numtorch.autograd.grad(n[3].sum(), (n[0], n[1]))
    assert str(got.value) == str(want.value)
    for a, b in zip(numtorch.autograd.grad(n[2].sum(), (n[0], n[1])),
                    torch.autograd.grad(t[2].sum(), (t[0], t[1]))):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def _penalty_beside_ctc(m):
    """loss.backward(create_graph=True) through a graph holding ctc_loss: the first derivatives
    come out; a penalty on another input's gradient is fine; only a backward that reaches
    ctc's gradient raises torch's error."""
    F = m.nn.functional
    lp = m.tensor(np.random.default_rng(3).standard_normal((5, 1, 4)), requires_grad=True)
    x = m.tensor([0.5, -1.5, 2.0], dtype=m.float64, requires_grad=True)
    loss = F.ctc_loss(lp.log_softmax(2), m.tensor([[1, 2]]), [5], [2]) + (x ** 3).sum()
    gl, gx = m.autograd.grad(loss, (lp, x), create_graph=True)
    hx, = m.autograd.grad((gx ** 2).sum(), x)
    with pytest.raises(RuntimeError) as info:
        m.autograd.grad((gl ** 2).sum(), lp)
    return gl.detach(), hx, str(info.value).split('\n')[0]


def test_refused_double_backward_is_deferred_as_torchs():
    n, t = _penalty_beside_ctc(numtorch), _penalty_beside_ctc(torch)
    np.testing.assert_allclose(n[0].numpy(), t[0].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(n[1].numpy(), t[1].numpy(), rtol=1e-12)
    assert n[2] == t[2]
