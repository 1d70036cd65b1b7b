"""``MultivariateNormal(loc, covariance_matrix= | precision_matrix= | scale_tril=)``."""
import math

import numtorch
from .._size import Size
from . import constraints
from .distribution import Distribution, lazy_property

__all__ = ['MultivariateNormal']


def _batch_mv(bmat, bvec):
    """``bmat @ bvec`` over broadcast batch dims."""
    return numtorch.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """``|L^-1 x|^2`` for lower-triangular ``L`` (batch dims broadcast). ``tril`` first: torch's
    triangular solve reads only the lower triangle, so the upper one gets no gradient."""
    sol = numtorch.linalg.solve(bL.tril(), bx.unsqueeze(-1)).squeeze(-1)
    return sol.pow(2).sum(-1)


def _precision_to_scale_tril(P):
    """The Cholesky factor of ``P^-1``, via the flipped Cholesky of ``P`` (as torch: it avoids
    forming the inverse): ``L = (flip(chol(flip(P))))^-T``."""
    Lf = numtorch.linalg.cholesky(numtorch.flip(P, (-2, -1)))
    L_inv = numtorch.flip(Lf, (-2, -1)).mT
    eye = numtorch.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return numtorch.linalg.solve(L_inv, eye.expand_as(L_inv))


class MultivariateNormal(Distribution):
    """Gaussian with mean ``loc`` and one of a covariance, precision or lower-Cholesky scale.

    >>> import numtorch
    >>> from numtorch.distributions import MultivariateNormal
    >>> d = MultivariateNormal(numtorch.zeros(2), covariance_matrix=numtorch.eye(2) * 4)
    >>> d.log_prob(numtorch.zeros(2)), d.entropy(), d.scale_tril
    (tensor(-3.2242), tensor(4.2242), tensor([[2., 0.],
            [0., 2.]]))
    """
    arg_constraints = {'loc': constraints.real_vector,
                       'covariance_matrix': constraints.positive_definite,
                       'precision_matrix': constraints.positive_definite,
                       'scale_tril': constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError('loc must be at least one-dimensional.')
        if (covariance_matrix is not None) + (scale_tril is not None) + \
                (precision_matrix is not None) != 1:
            raise ValueError('Exactly one of covariance_matrix or precision_matrix or '
                             'scale_tril may be specified.')
        for name, m in (('scale_tril', scale_tril), ('covariance_matrix', covariance_matrix),
                        ('precision_matrix', precision_matrix)):
            if m is not None:
                if m.dim() < 2:
                    raise ValueError(f"{name}{' matrix' if name == 'scale_tril' else ''} must be "
                                     'at least two-dimensional, with optional leading batch '
                                     'dimensions')
                batch_shape = numtorch.broadcast_shapes(m.shape[:-2], loc.shape[:-1])
                setattr(self, name, m.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = numtorch.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        """Expand ``loc`` and the matrices to ``batch_shape``."""
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(batch_shape + self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ('covariance_matrix', 'scale_tril', 'precision_matrix'):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _mat_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._mat_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return numtorch.matmul(L, L.mT).expand(self._mat_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril    # torch's cholesky_inverse: the same gradient
        return numtorch.linalg.inv(numtorch.matmul(L, L.mT)).expand(self._mat_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = numtorch.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
