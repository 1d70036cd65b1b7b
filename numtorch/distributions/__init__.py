"""``numtorch.distributions``: the probability distributions D2L uses, with torch's API
(``sample``, ``rsample``, ``log_prob``, ``entropy``, ``mean``, ``variance``, validation).

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
from . import bernoulli, categorical, multinomial, normal, uniform

__all__ = ['Distribution', 'Bernoulli', 'Categorical', 'Multinomial', 'Normal', 'Uniform',
           'constraints']
