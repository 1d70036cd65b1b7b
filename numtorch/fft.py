"""``numtorch.fft``: discrete Fourier transforms with torch's signatures and gradients.

Each transform is one node over ``numpy.fft``. Backward is the adjoint transform, written the
way torch's ``FunctionsManual`` does: a complex-to-complex FFT's adjoint is the opposite-direction
FFT with the dual normalization ("backward" <-> "forward", "ortho" stays); ``rfft``'s adjoint
zero-pads the half spectrum and keeps the real part of the inverse; ``irfft``'s is ``rfft`` with
the non-DC, non-Nyquist bins doubled. ``n``/``s`` (crop or zero-pad the input) are applied
before the node with differentiable slicing/padding. Outputs are complex64 for float32 inputs
(complex128 for float64), as torch.
"""

from ._backend import xp as _xp
from .autograd.graph import Node as _Node
from ._ops._apply import unary as _unary, wrap as _wrap
from ._ops.reductions.reduce import _one

_DUAL = {'backward': 'forward', 'forward': 'backward', 'ortho': 'ortho'}
_C = {_xp.dtype(_xp.float32): _xp.complex64, _xp.dtype(_xp.float64): _xp.complex128,
      _xp.dtype(_xp.complex64): _xp.complex64, _xp.dtype(_xp.complex128): _xp.complex128}


def _norm(norm):
    if norm is None:
        return 'backward'
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _cdtype(a):
    if a.dtype.kind in 'biu':
        return _xp.complex64
    return _C[a.dtype]


def _rdtype(a):
    return _xp.float64 if a.dtype in (_xp.complex128, _xp.float64) else _xp.float32


class _C2C(_Node):
    """fftn / ifftn over ``axes``; input real or complex, output complex."""

    def forward(self, a, axes, norm, inverse, name):
        self._name = name
        self.real_in = a.dtype.kind != 'c'
        self.meta = axes, norm, inverse, a.dtype
        f = _xp.fft.ifftn if inverse else _xp.fft.fftn
        return f(a, axes=axes, norm=norm).astype(_cdtype(a), copy=False)

    def backward(self, g):
        axes, norm, inverse, dt = self.meta
        f = _xp.fft.fftn if inverse else _xp.fft.ifftn
        gi = f(g, axes=axes, norm=_DUAL[norm])
        return (gi.real if self.real_in else gi).astype(dt, copy=False)


class _R2C(_Node):
    """rfftn: real input, half spectrum along the last axis."""
    _name = 'FftR2CBackward0'

    def forward(self, a, axes, norm):
        self.meta = axes, norm, a.shape, a.dtype
        return _xp.fft.rfftn(a, axes=axes, norm=norm).astype(_cdtype(a), copy=False)

    def backward(self, g):
        axes, norm, shape, dt = self.meta
        last = axes[-1]
        full = list(g.shape)
        full[last] = shape[last]
        pad = self.xp.zeros(full, g.dtype)
        sl = [slice(None)] * g.ndim
        sl[last] = slice(0, g.shape[last])
        pad[tuple(sl)] = g
        return _xp.fft.ifftn(pad, axes=axes, norm=_DUAL[norm]).real.astype(dt, copy=False)


class _C2R(_Node):
    """irfftn: half spectrum in, real output of length ``n`` along the last axis."""
    _name = 'FftC2RBackward0'

    def forward(self, a, axes, norm, s):
        self.meta = axes, norm, a.shape, a.dtype
        out = _xp.fft.irfftn(a, s=s, axes=axes, norm=norm)
        return out.astype(_rdtype(a), copy=False)

    def backward(self, g):
        axes, norm, shape, dt = self.meta
        gi = _xp.fft.rfftn(g, axes=axes, norm=_DUAL[norm])
        last = axes[-1]
        # rfftn(g) has n//2 + 1 bins along the last axis; the input had shape[last] of them.
        n_out = g.shape[last]
        keep = shape[last]
        sl = [slice(None)] * gi.ndim
        sl[last] = slice(0, min(keep, gi.shape[last]))
        gi = gi[tuple(sl)]
        if gi.shape[last] < keep:                      # input longer than needed: zero grads
            padw = [(0, 0)] * gi.ndim
            padw[last] = (0, keep - gi.shape[last])
            gi = _xp.pad(gi, padw)
        # Bins 1 .. (n_out - 1) // 2... counted twice in the Hermitian-symmetric spectrum.
        double = n_out - (n_out // 2 + 1)
        if double > 0:
            sl[last] = slice(1, 1 + double)
            gi[tuple(sl)] *= 2
        return gi.astype(dt, copy=False)


def _fit(x, dims, sizes):
    """Crop or zero-pad ``x`` along ``dims`` to ``sizes`` (differentiable)."""
    for d, n in zip(dims, sizes):
        if n is None or n == -1:
            continue
        if n < 1:
            raise RuntimeError(f'Invalid number of data points ({n}) specified')
        cur = x.shape[d]
        if n < cur:
            x = x.narrow(d, 0, n)
        elif n > cur:
            from .nn.functional import pad
            p = [0, 0] * (x.dim() - 1 - d) + [0, n - cur]
            x = pad(x, p)
    return x


def _dims_sizes(x, s, dim, default_all):
    nd = x.dim()
    if dim is None:
        if s is not None:
            dims = list(range(nd - len(s), nd))
        else:
            dims = list(range(nd)) if default_all else [nd - 1]
    else:
        dims = [_one(d, nd) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
    if s is not None:
        s = list(s) if isinstance(s, (tuple, list)) else [s]
        if len(s) != len(dims):
            raise RuntimeError('When given, dim and shape arguments must have the same length')
    return dims, s


def _c2c(x, s, dim, norm, inverse, default_all, name):
    dims, s = _dims_sizes(x, s, dim, default_all)
    if s is not None:
        x = _fit(x, dims, s)
    return _unary(_C2C, x, tuple(dims), _norm(norm), inverse, name)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D discrete Fourier transform along ``dim``.

    >>> import numtorch
    >>> numtorch.fft.fft(numtorch.tensor([1., 0., 0., 0.]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    return _c2c(input, None if n is None else [n], dim, norm, False, False, 'FftC2CBackward0')


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-D inverse discrete Fourier transform along ``dim``."""
    return _c2c(input, None if n is None else [n], dim, norm, True, False, 'FftC2CBackward0')


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """2-D FFT over the last two dims."""
    return _c2c(input, s, dim, norm, False, True, 'FftC2CBackward0')


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """2-D inverse FFT over the last two dims."""
    return _c2c(input, s, dim, norm, True, True, 'FftC2CBackward0')


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-D FFT (all dims by default)."""
    return _c2c(input, s, dim, norm, False, True, 'FftC2CBackward0')


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-D inverse FFT (all dims by default)."""
    return _c2c(input, s, dim, norm, True, True, 'FftC2CBackward0')


def _need_real(x, name):
    if x._data.dtype.kind == 'c':
        from ._dtype import scalar_name
        raise RuntimeError(f'{name} expects a real input tensor, but got '
                           f'{scalar_name(x._data.dtype)}')


def _r2c(x, s, dim, norm, default_all, name):
    _need_real(x, name)
    dims, s = _dims_sizes(x, s, dim, default_all)
    if s is not None:
        x = _fit(x, dims, s)
    if x._data.dtype.kind in 'biu':
        x = x.float()
    return _unary(_R2C, x, tuple(dims), _norm(norm))


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """FFT of a real signal: the ``n // 2 + 1`` non-negative frequencies.

    >>> import numtorch
    >>> numtorch.fft.rfft(numtorch.tensor([1., 2., 3., 4.]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _r2c(input, None if n is None else [n], dim, norm, False, 'rfft')


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """2-D FFT of a real signal (half spectrum along the last dim)."""
    return _r2c(input, s, dim, norm, True, 'rfftn')


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-D FFT of a real signal (half spectrum along the last dim)."""
    return _r2c(input, s, dim, norm, True, 'rfftn')


def _c2r(x, s, dim, norm, default_all):
    dims, s = _dims_sizes(x, s, dim, default_all)
    if x._data.dtype.kind != 'c':
        x = x.to(_C_DTYPE(x))
    out_sizes = list(s) if s is not None else [x.shape[d] for d in dims[:-1]] + \
        [2 * (x.shape[dims[-1]] - 1)]
    if out_sizes[-1] < 1:
        raise RuntimeError(f'Invalid number of data points ({out_sizes[-1]}) specified')
    # Crop/pad the leading dims to their sizes and the last to n//2 + 1 bins.
    fit = out_sizes[:-1] + [out_sizes[-1] // 2 + 1]
    x = _fit(x, dims, fit)
    return _unary(_C2R, x, tuple(dims), _norm(norm), tuple(out_sizes))


def _C_DTYPE(x):
    from . import _dtype
    return _dtype.complex128 if x._data.dtype == _xp.float64 else _dtype.complex64


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of ``rfft``: a real signal of length ``n`` (default ``2 * (bins - 1)``).

    >>> import numtorch
    >>> x = numtorch.tensor([1., 2., 3., 4.])
    >>> numtorch.fft.irfft(numtorch.fft.rfft(x))
    tensor([1., 2., 3., 4.])
    """
    return _c2r(input, None if n is None else [n], dim, norm, False)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Inverse of ``rfft2``."""
    return _c2r(input, s, dim, norm, True)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Inverse of ``rfftn``."""
    return _c2r(input, s, dim, norm, True)


def _freq_dtype(dtype):
    from . import _dtype
    return dtype or _dtype.get_default_dtype()


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an ``n``-point FFT with spacing ``d``.

    >>> import numtorch
    >>> numtorch.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    dt = _freq_dtype(dtype)
    t = _wrap(_xp.fft.fftfreq(n, d).astype(dt.np))
    return t.requires_grad_() if requires_grad else t


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an ``n``-point ``rfft``.

    >>> import numtorch
    >>> numtorch.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    dt = _freq_dtype(dtype)
    t = _wrap(_xp.fft.rfftfreq(n, d).astype(dt.np))
    return t.requires_grad_() if requires_grad else t


def _shift_dims(x, dim):
    if dim is None:
        return list(range(x.dim()))
    return [_one(d, x.dim()) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]


def fftshift(input, dim=None):
    """Move the zero frequency to the centre (``roll`` by ``n // 2``).

    >>> import numtorch
    >>> numtorch.fft.fftshift(numtorch.fft.fftfreq(4))
    tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    dims = _shift_dims(input, dim)
    return input.roll([input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    """Inverse of ``fftshift``."""
    dims = _shift_dims(input, dim)
    return input.roll([-(input.shape[d] // 2) for d in dims], dims)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """FFT of a Hermitian-symmetric signal given by its first half (real output)."""
    # hfft(x, n) = irfft(conj(x), n) with the dual normalization scaled: numpy's identity.
    nrm = _norm(norm)
    return irfft(input.conj(), n, dim, _DUAL[nrm])


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of ``hfft``: half spectrum of a real signal, conjugated."""
    nrm = _norm(norm)
    return rfft(input, n, dim, _DUAL[nrm]).conj()


__all__ = ['fft', 'ifft', 'fft2', 'ifft2', 'fftn', 'ifftn', 'rfft', 'irfft', 'rfft2', 'irfft2',
           'rfftn', 'irfftn', 'hfft', 'ihfft', 'fftfreq', 'rfftfreq', 'fftshift', 'ifftshift']
