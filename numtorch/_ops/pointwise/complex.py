"""Complex-number basics: ``conj``, ``real``, ``imag``, ``view_as_real``, ``view_as_complex``,
``Tensor.H/mH/adjoint``. Gradients follow torch's convention for complex inputs (the gradient
of a real loss L w.r.t. z = x + iy is dL/dx + i dL/dy): ``real(z)`` passes ``g``, ``imag(z)``
passes ``i g``, ``conj`` conjugates. On real tensors ``conj`` is the identity (returns self).
"""
from ..._backend import xp
from ...autograd.graph import Node
from .._apply import unary


# create_graph: numtorch's elementwise ops do not follow complex (Wirtinger) calculus, so the
# first-order formulas below (`1j * g`, a real buffer taking `g.astype(complex)`) cannot be
# recorded as they are. Their ``backward_graphed`` writes each adjoint with the real <-> complex
# views instead (torch's formulas: view_as_real <-> view_as_complex, real(z) -> grad + 0j,
# imag(z) -> 0 + grad j), which are linear and record correctly.
def _complex_from(re, im):
    from ..shape.join import stack
    return view_as_complex(stack([re, im], -1))


def _zeros(t):
    from ...  import zeros_like
    return zeros_like(t)


class Conj(Node):
    _name = 'ConjBackward0'

    def forward(self, a):
        return xp.conj(a)

    def backward(self, g):
        return xp.conj(g)


class Real(Node):
    _name = 'RealBackward0'

    def forward(self, a):
        self.dt = a.dtype
        return self.xp.ascontiguousarray(a.real)

    def backward(self, g):
        return g.astype(self.dt)

    def backward_graphed(self, g):
        return _complex_from(g, _zeros(g))


class Imag(Node):
    _name = 'ImagBackward0'

    def forward(self, a):
        self.dt = a.dtype
        return self.xp.ascontiguousarray(a.imag)

    def backward(self, g):
        return (g * 1j).astype(self.dt)

    def backward_graphed(self, g):
        return _complex_from(_zeros(g), g)


class ViewAsReal(Node):
    _name = 'ViewAsRealBackward0'

    def forward(self, a):
        return xp.stack([a.real, a.imag], -1)

    def backward(self, g):
        return g[..., 0] + 1j * g[..., 1]

    def backward_graphed(self, g):
        return view_as_complex(g.contiguous())


class ViewAsComplex(Node):
    _name = 'ViewAsComplexBackward0'

    def forward(self, a):
        return a[..., 0] + 1j * a[..., 1] if a.dtype == xp.float64 else \
            (a[..., 0] + 1j * a[..., 1]).astype(xp.complex64)

    def backward(self, g):
        return xp.stack([g.real, g.imag], -1)

    def backward_graphed(self, g):
        return view_as_real(g)


def conj(input):
    """Complex conjugate (``input`` itself for real tensors, as torch).

    >>> import numtorch
    >>> numtorch.tensor([1 + 2j]).conj()
    tensor([1.-2.j])
    """
    if input._data.dtype.kind != 'c':
        return input
    return unary(Conj, input)


def conj_physical(input):
    """Complex conjugate, always a new tensor."""
    return unary(Conj, input) if input._data.dtype.kind == 'c' else input.clone()


def resolve_conj(input):
    """``input`` (numtorch conjugates eagerly: there is no lazy conjugate bit)."""
    return input


def is_conj(input):
    """False: numtorch never holds a lazily-conjugated tensor."""
    return False


def _need_complex(input, name):
    if input._data.dtype.kind != 'c':
        raise RuntimeError(f'{name} is not implemented for tensors with non-complex dtypes.')


def real(input):
    """Real part (``input`` itself for real tensors).

    >>> import numtorch
    >>> numtorch.real(numtorch.tensor([1 + 2j]))
    tensor([1.])
    """
    if input._data.dtype.kind != 'c':
        return input
    return unary(Real, input)


def imag(input):
    """Imaginary part of a complex tensor.

    >>> import numtorch
    >>> numtorch.imag(numtorch.tensor([1 + 2j]))
    tensor([2.])
    """
    _need_complex(input, 'imag')
    return unary(Imag, input)


def view_as_real(input):
    """A complex ``(*)`` tensor as a real ``(*, 2)`` one (real, imaginary).

    >>> import numtorch
    >>> numtorch.view_as_real(numtorch.tensor([1 + 2j]))
    tensor([[1., 2.]])
    """
    if input._data.dtype.kind != 'c':
        raise RuntimeError('view_as_real is only supported for complex tensors')
    return unary(ViewAsReal, input)


def view_as_complex(input):
    """A real ``(*, 2)`` tensor as a complex ``(*)`` one.

    >>> import numtorch
    >>> numtorch.view_as_complex(numtorch.tensor([[1., 2.]]))
    tensor([1.+2.j])
    """
    a = input._data
    if a.dtype not in (xp.float32, xp.float64):
        raise RuntimeError(f'view_as_complex is only supported for float and double tensors, but '
                           f'got a tensor of scalar type: {a.dtype}')
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError('Tensor must have a last dimension of size 2')
    return unary(ViewAsComplex, input)


def adjoint(input):
    """Conjugate transpose of the last two dims.

    >>> import numtorch
    >>> numtorch.ones(2, 3).adjoint().shape
    torch.Size([3, 2])
    """
    return conj(input.transpose(-2, -1))


def _H(self):
    """Conjugate transpose of a matrix (0-D and 1-D tensors as ``.T``)."""
    if self._data.ndim > 2:
        raise RuntimeError(f'tensor.H is only supported on matrices (2-D tensors). Got '
                           f'{self._data.ndim}-D tensor. For batches of matrices, consider using '
                           f'tensor.mH')
    if self._data.ndim == 1:
        raise RuntimeError('tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor.')
    return conj(self.T) if self._data.ndim == 2 else self


def _mH(self):
    """Conjugate transpose of the last two dims (``adjoint()``)."""
    if self._data.ndim < 2:
        raise RuntimeError('tensor.mH is only supported on matrices or batches of matrices. Got '
                           f'{self._data.ndim}-D tensor.')
    return adjoint(self)


__all__ = ['conj', 'conj_physical', 'resolve_conj', 'is_conj', 'real', 'imag', 'view_as_real',
           'view_as_complex', 'adjoint']
# real/imag are attributes on torch's Tensor, not methods; H and mH are properties.
METHODS = {'H': property(_H), 'mH': property(_mH), 'real': property(real),
           'imag': property(imag)}
FUNCTION_ONLY = {'view_as_real', 'view_as_complex', 'real', 'imag'}
