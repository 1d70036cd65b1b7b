"""``numtorch.distributions``: probability distributions with torch's API (``sample``,
``rsample``, ``log_prob``, ``entropy``, ``mean``, ``variance``, ``cdf``/``icdf``, validation),
transforms, ``TransformedDistribution`` and ``kl_divergence`` with its ``register_kl`` registry.

>>> import numtorch
>>> from numtorch.distributions import multinomial
>>> fair_probs = numtorch.ones([6]) / 6
>>> multinomial.Multinomial(1, fair_probs).sample().sum()
tensor(1.)
"""
from . import constraints
from .distribution import Distribution
from .bernoulli import Bernoulli
from .categorical import Categorical
from .multinomial import Multinomial
from .normal import Normal
from .uniform import Uniform
from .gamma import Gamma, Chi2, Exponential
from .dirichlet import Dirichlet, Beta
from .independent import Independent
from .multivariate_normal import MultivariateNormal
from .transformed_distribution import TransformedDistribution, LogNormal, HalfNormal
from .laplace import Laplace, Cauchy
from .poisson import Poisson, StudentT
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform,
                         PowerTransform, ReshapeTransform, SigmoidTransform, SoftplusTransform,
                         TanhTransform, SoftmaxTransform, StickBreakingTransform, Transform,
                         identity_transform)
from .kl import kl_divergence, register_kl
from .constraint_registry import biject_to, transform_to
from . import bernoulli, categorical, multinomial, normal, uniform, transforms, kl

__all__ = ['Distribution', 'Bernoulli', 'Categorical', 'Multinomial', 'Normal', 'Uniform',
           'Gamma', 'Chi2', 'Exponential', 'Dirichlet', 'Beta', 'Independent',
           'MultivariateNormal', 'TransformedDistribution', 'LogNormal', 'HalfNormal',
           'Laplace', 'Cauchy', 'Poisson', 'StudentT', 'kl_divergence',
           'register_kl', 'constraints', 'biject_to', 'transform_to',
           'AbsTransform', 'AffineTransform', 'ComposeTransform', 'ExpTransform',
           'IndependentTransform', 'LowerCholeskyTransform', 'PositiveDefiniteTransform',
           'PowerTransform', 'ReshapeTransform', 'SigmoidTransform', 'SoftplusTransform',
           'TanhTransform', 'SoftmaxTransform', 'StickBreakingTransform', 'Transform',
           'identity_transform']
