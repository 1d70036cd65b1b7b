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
from . import lr_scheduler

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'lr_scheduler']
