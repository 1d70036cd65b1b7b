"""Issue 13 tensor/torch functions vs torch: scatter_reduce, masked_scatter, numtorch.fft
(values and gradients through real views, float64 finite differences), complex basics, H/mH,
storage / memory-placement methods."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error
from opcheck import Op, parametrize, check_op

TOL = dict(rtol=1e-4, atol=1e-5)
_IDX = [[0, 1, 2], [0, 2, 2], [1, 1, 0], [0, 2, 0], [3, 2, 0]]


def _sr(red, inc):
    return Op(f'scatter_reduce-{red}-{inc}', lambda m, x, s: x.scatter_reduce(
        0, m.tensor(_IDX), s, red, include_self=inc), [((4, 3), (5, 3))], tol=TOL)


def _with_zeros(rng, shape, dt):
    a = rng.uniform(-2, 2, size=shape).astype(dt)
    a.reshape(-1)[::4] = 0      # zeros exercise prod's zero-safe gradient
    return a


OPS = [_sr(r, inc) for r in ('sum', 'mean', 'amax', 'amin') for inc in (True, False)]
OPS += [Op(f'scatter_reduce-prod-zeros-{inc}', lambda m, x, s, inc=inc: x.scatter_reduce(
    0, m.tensor(_IDX), s, 'prod', include_self=inc), [((4, 3), (5, 3))], make=_with_zeros,
    tol=TOL, gradcheck=False) for inc in (True, False)]
OPS += [Op(f'scatter_reduce-prod-{inc}', lambda m, x, s, inc=inc: m.scatter_reduce(
    x, 1, m.tensor([[0, 0, 1], [2, 1, 1]]), s, 'prod', include_self=inc), [((2, 3), (2, 3))],
    tol=TOL) for inc in (True, False)]
OPS += [
    Op('masked_scatter', lambda m, x, s: x.masked_scatter(
        m.tensor([[True, False, True, True], [False, False, True, False], [True] * 4]), s),
       [((3, 4), (2, 7)), ((3, 4), (8,))]),
    Op('masked_scatter-bcast', lambda m, x, s: m.masked_scatter(x, m.tensor([True, False, True]), s),
       [((2, 3), (5,))]),
]


def _real(m, t):
    return m.view_as_real(t.resolve_conj()) if t.is_complex() else t


def _cplx(m, x):
    return m.view_as_complex(x)


FFT = []
for norm in (None, 'ortho', 'forward'):
    FFT += [
        Op(f'fft-{norm}', lambda m, x, n=norm: _real(m, m.fft.fft(x, norm=n)), [((3, 5),), ((4,),)]),
        Op(f'fft-n-c-{norm}', lambda m, x, n=norm: _real(m, m.fft.fft(_cplx(m, x), n=7, dim=0, norm=n)),
           [((3, 5, 2),)]),
        Op(f'ifft-n-{norm}', lambda m, x, n=norm: _real(m, m.fft.ifft(_cplx(m, x), n=3, norm=n)),
           [((3, 5, 2),)]),
        Op(f'rfft-{norm}', lambda m, x, n=norm: _real(m, m.fft.rfft(x, norm=n)), [((3, 6),), ((5,),)]),
        Op(f'rfft-n-{norm}', lambda m, x, n=norm: _real(m, m.fft.rfft(x, n=9, norm=n)), [((3, 6),)]),
        Op(f'irfft-{norm}', lambda m, x, n=norm: m.fft.irfft(_cplx(m, x), norm=n), [((3, 4, 2),)]),
        Op(f'irfft-n-{norm}', lambda m, x, n=norm: m.fft.irfft(_cplx(m, x), n=7, norm=n),
           [((3, 4, 2),), ((3, 5, 2),)]),
        Op(f'fft2-{norm}', lambda m, x, n=norm: _real(m, m.fft.fft2(x, norm=n)), [((2, 3, 4),)]),
        Op(f'rfft2-{norm}', lambda m, x, n=norm: _real(m, m.fft.rfft2(x, norm=n)), [((2, 3, 4),)]),
        Op(f'irfft2-{norm}', lambda m, x, n=norm: m.fft.irfft2(_cplx(m, x), s=(4, 5), norm=n),
           [((2, 3, 4, 2),)]),
        Op(f'irfftn-{norm}', lambda m, x, n=norm: m.fft.irfftn(_cplx(m, x), norm=n), [((2, 3, 4, 2),)]),
        Op(f'ifftn-{norm}', lambda m, x, n=norm: _real(m, m.fft.ifftn(_cplx(m, x), s=(2, 5),
                                                                    dim=(0, 2), norm=n)),
           [((2, 3, 4, 2),)]),
        Op(f'hfft-{norm}', lambda m, x, n=norm: m.fft.hfft(_cplx(m, x), norm=n), [((3, 4, 2),)]),
        Op(f'ihfft-{norm}', lambda m, x, n=norm: _real(m, m.fft.ihfft(x, norm=n)), [((3, 4),)]),
    ]
FFT += [
    Op('rfft-irfft', lambda m, x: m.fft.irfft(m.fft.rfft(x), n=6), [((3, 6),)]),
    Op('fftshift', lambda m, x: m.fft.fftshift(x), [((3, 6),)]),
    Op('ifftshift', lambda m, x: m.fft.ifftshift(x, dim=1), [((3, 5),)]),
    Op('fft-real-imag', lambda m, x: (m.fft.fft(x).real, m.fft.fft(x).imag), [((3, 6),)]),
    Op('conj-H', lambda m, x: _real(m, _cplx(m, x).conj().mH.resolve_conj()), [((2, 3, 4, 2),)]),
    Op('adjoint', lambda m, x: m.adjoint(x), [((2, 3, 4),)]),
]


@parametrize(OPS + FFT)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def test_fft_dtypes_and_freqs():
    x = np.random.default_rng(0).standard_normal(8).astype(np.float32)
    assert numtorch.fft.rfft(numtorch.tensor(x)).dtype == numtorch.complex64
    assert numtorch.fft.fft(numtorch.arange(4)).dtype == numtorch.complex64
    for f in ('fftfreq', 'rfftfreq'):
        np.testing.assert_allclose(getattr(numtorch.fft, f)(7, 0.3).numpy(),
                                   getattr(torch.fft, f)(7, 0.3).numpy(), rtol=1e-6)
    assert numtorch.fft.fftfreq(4, dtype=numtorch.float64).dtype == numtorch.float64


def test_in_place_forms():
    x = numtorch.zeros(3)
    assert x.scatter_reduce_(0, numtorch.tensor([0, 0, 2]), numtorch.tensor([1., 2., 3.]),
                             'sum') is x
    assert x.tolist() == [3., 0., 3.]
    y = numtorch.zeros(2)
    y.masked_scatter_(numtorch.tensor([False, True]), numtorch.tensor([5.]))
    assert y.tolist() == [0., 5.]


def test_H_and_real_attributes():
    m = np.array([[1 + 2j, 3j], [2, 1 - 1j]])
    np.testing.assert_array_equal(numtorch.tensor(m).H.numpy(), torch.tensor(m).H.resolve_conj().numpy())
    x = numtorch.tensor([1., 2.])
    assert x.real is x and x.conj() is x
    assert numtorch.tensor(m).imag.tolist() == torch.tensor(m).imag.tolist()


def test_storage_and_memory_methods():
    x = numtorch.arange(6.).reshape(2, 3)
    t = torch.arange(6.).reshape(2, 3)
    assert x.untyped_storage().nbytes() == t.untyped_storage().nbytes()
    assert x[1].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert repr(x.untyped_storage()).splitlines()[-1] == repr(t.untyped_storage()).splitlines()[-1]
    with pytest.warns(UserWarning, match='TypedStorage is deprecated'):
        s = x.storage()
    with pytest.warns(UserWarning):
        assert repr(s) == repr(t.storage())
    assert s.tolist() == [0., 1., 2., 3., 4., 5.] and s.size() == 6
    assert not x.is_pinned() and not x.is_shared()
    p = x.pin_memory()
    assert p.is_pinned() and p is not x and p.tolist() == x.tolist()
    assert x.share_memory_() is x and x.is_shared()


ERRORS = [
    lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.ones(1), 'bad'),
    lambda m: m.fft.irfft(m.ones(3), n=0),
    lambda m: m.fft.rfft(m.ones(3, dtype=m.complex64)),
    lambda m: m.zeros(3).masked_scatter(m.tensor([1, 0, 1]), m.ones(3)),
    lambda m: m.ones(3).H,
    lambda m: m.ones(2, 2, 2).H,
    lambda m: m.view_as_complex(m.ones(3, 3)),
    lambda m: m.fft.rfft(m.ones(3), norm='bad'),
]


@pytest.mark.parametrize('i', range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i])
