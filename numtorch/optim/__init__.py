"""``numtorch.optim``: optimizers with torch's API and update formulas, and ``lr_scheduler``.

>>> import numtorch
>>> w = numtorch.tensor([3.], requires_grad=True)
>>> opt = numtorch.optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
>>> w
tensor([0.3750], requires_grad=True)
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .asgd import ASGD
from .rprop import Rprop
from .lbfgs import LBFGS
from .sparse_adam import SparseAdam
from . import lr_scheduler
from . import swa_utils

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'Adadelta', 'Adamax', 'NAdam',
           'RAdam', 'ASGD', 'Rprop', 'LBFGS', 'SparseAdam', 'lr_scheduler', 'swa_utils']
