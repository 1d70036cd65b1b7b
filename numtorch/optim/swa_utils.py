"""Stochastic weight averaging and EMA (``optim.swa_utils``): ``AveragedModel`` keeps a running
average of a model's parameters, ``SWALR`` anneals the learning rate to a constant SWA rate,
``update_bn`` recomputes BatchNorm statistics for the averaged weights. Same formulas, buffer
names (``n_averaged``, ``module.*``) and scheduler state as torch's."""
import itertools
import math
import warnings
from copy import deepcopy

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _per_group

__all__ = ['AveragedModel', 'update_bn', 'SWALR', 'get_ema_multi_avg_fn',
           'get_swa_multi_avg_fn', 'get_ema_avg_fn', 'get_swa_avg_fn']


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f'Invalid decay value {decay} provided. Please provide a value in '
                         '[0,1] range.')


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors: ``ema = lerp(ema, current, 1 - decay)``.

    >>> import numtorch
    >>> from numtorch.optim.swa_utils import get_ema_multi_avg_fn
    >>> a = [numtorch.zeros(2)]
    >>> get_ema_multi_avg_fn(0.75)(a, [numtorch.ones(2)], 1); a[0]
    tensor([0.2500, 0.2500])
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                if p_ema.is_floating_point() or p_ema.is_complex():
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of tensors: ``avg += (current - avg) / (n + 1)``.

    >>> import numtorch
    >>> from numtorch.optim.swa_utils import get_swa_multi_avg_fn
    >>> a = [numtorch.zeros(2)]
    >>> get_swa_multi_avg_fn()(a, [numtorch.ones(2)], 3); a[0]
    tensor([0.2500, 0.2500])
    """
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                if p_avg.is_floating_point() or p_avg.is_complex():
                    p_avg.lerp_(p_model, float(1 / (num_averaged + 1)))
                elif isinstance(num_averaged, Tensor):
                    p_avg.add_((p_model - p_avg) / (num_averaged + 1))
                else:
                    p_avg.add_(p_model - p_avg, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``(ema, current, n) -> decay * ema + (1 - decay) * current``.

    >>> import numtorch
    >>> from numtorch.optim.swa_utils import get_ema_avg_fn
    >>> get_ema_avg_fn(0.5)(numtorch.zeros(1), numtorch.ones(1), 1)
    tensor([0.5000])
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """``(avg, current, n) -> avg + (current - avg) / (n + 1)``, the running mean.

    >>> import numtorch
    >>> from numtorch.optim.swa_utils import get_swa_avg_fn
    >>> get_swa_avg_fn()(numtorch.zeros(1), numtorch.ones(1), 1)
    tensor([0.5000])
    """
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the running average (SWA by default, or
    ``avg_fn``/``multi_avg_fn``, e.g. an EMA) of the parameters it was updated with.

    >>> import numtorch
    >>> net = numtorch.nn.Linear(2, 1)
    >>> swa = numtorch.optim.swa_utils.AveragedModel(net)
    >>> swa.update_parameters(net)
    >>> with numtorch.no_grad():
    ...     _ = net.weight.add_(2.0)
    >>> swa.update_parameters(net)
    >>> diff = swa.module.weight - net.weight           # the mean lags the model by 1
    >>> bool(numtorch.allclose(diff, -numtorch.ones(1, 2))), int(swa.n_averaged)
    (True, 2)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError('Only one of avg_fn and multi_avg_fn should be provided')
        from .. import tensor, long
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer('n_averaged', tensor(0, dtype=long))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current parameters (and buffers with ``use_buffers``) into the
        average; the first call copies them."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        mine_d, theirs_d = [], []
        first = int(self.n_averaged) == 0
        with no_grad():
            for p_avg, p_model in zip(mine, theirs):
                mine_d.append(p_avg.detach())
                theirs_d.append(p_model.detach())
                if first:
                    p_avg.detach().copy_(p_model.detach())
            if int(self.n_averaged) > 0:
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(mine_d, theirs_d, self.n_averaged)
                else:
                    # torch's CPU path: the running mean, one tensor at a time
                    avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                    for p_avg, p_model in zip(mine_d, theirs_d):
                        p_avg.copy_(avg_fn(p_avg, p_model, self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach())
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``
    (cumulative averages, ``momentum=None``), as needed after averaging weights.

    >>> import numtorch
    >>> net = numtorch.nn.Sequential(numtorch.nn.Linear(2, 2), numtorch.nn.BatchNorm1d(2))
    >>> numtorch.optim.swa_utils.update_bn([numtorch.ones(4, 2)], net)
    >>> net[1].num_batches_tracked
    tensor(1)
    """
    from ..nn.modules.batchnorm import _BatchNorm
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for inp in loader:
            if isinstance(inp, (list, tuple)):
                inp = inp[0]
            if device is not None:
                inp = inp.to(device)
            model(inp)
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its value to ``swa_lr`` over ``anneal_epochs`` steps
    (``'cos'`` or ``'linear'``), then hold it.

    >>> import numtorch
    >>> w = numtorch.zeros(1, requires_grad=True)
    >>> opt = numtorch.optim.SGD([w], lr=1.0)
    >>> sched = numtorch.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=3,
    ...                                        anneal_strategy='linear')
    >>> lrs = []
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
    >>> lrs
    [0.7, 0.4, 0.1, 0.1]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy='cos',
                 last_epoch=-1):
        swa_lrs = _per_group('swa_lr', optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group['swa_lr'] = lr
        if anneal_strategy not in ['cos', 'linear']:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f'{anneal_strategy}')
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f'anneal_epochs must be equal or greater than 0, got {anneal_epochs}')
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == 'cos' else \
            self._linear_anneal

    def get_lr(self):
        """The annealed lrs for the current step (recovering each group's pre-anneal lr from
        its present one, as torch does)."""
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g['lr'], g['swa_lr'], prev_alpha)
                    for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g['swa_lr'] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self):
        """Everything but the optimizer and the anneal function."""
        return {k: v for k, v in self.__dict__.items() if k not in ('optimizer', 'anneal_func')}

    def load_state_dict(self, state_dict):
        """Restore from ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)


del warnings
