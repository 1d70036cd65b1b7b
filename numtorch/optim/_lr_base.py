"""What every learning-rate schedule shares: ``LRScheduler`` (torch's base class, with its old
name ``_LRScheduler``) and the helpers ``lr_scheduler.py`` and ``_lr_extra.py`` both use.

Its own module so that both schedule modules import it and neither imports the other.
"""
import warnings

from .._tensor import Tensor
from .optimizer import Optimizer


_EPOCH_DEPRECATION = ('The epoch parameter in `scheduler.step()` was not necessary and is being '
                      'deprecated where possible.')


def _lrs(optimizer, key='lr'):
    return [g[key].clone() if isinstance(g[key], Tensor) else g[key]
            for g in optimizer.param_groups]


class LRScheduler:
    """Base class: sets ``initial_lr`` in each group and applies ``get_lr()`` on every ``step()``.

    >>> import numtorch
    >>> w = numtorch.zeros(1, requires_grad=True)
    >>> opt = numtorch.optim.SGD([w], lr=1.0)
    >>> sched = numtorch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     opt.step(); lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f'{type(optimizer).__name__} is not an Optimizer')
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                lr = group['lr']
                group.setdefault('initial_lr', lr.clone() if isinstance(lr, Tensor) else lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if 'initial_lr' not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   'when resuming an optimizer')
        self.base_lrs = _lrs(optimizer, 'initial_lr')
        self.last_epoch = last_epoch
        # set in torch's order: state_dict() lists them so, and checkpoints compare key for key
        self._step_count = 0
        self._is_initial = True
        self._get_lr_called_within_step = False    # torch's key, kept for identical state dicts
        self._initial_step()

    def _initial_step(self):
        # SequentialLR re-runs this on the scheduler that owns epoch 0
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self):
        """Everything but the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != 'optimizer'}

    def load_state_dict(self, state_dict):
        """Restore the schedule position from ``state_dict()``."""
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """The learning rates (one per group) the last ``step()`` set."""
        return self._last_lr

    def get_lr(self):
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance the schedule by one (or jump to ``epoch``, deprecated as in torch)."""
        if self._step_count == 1 and not self._is_initial and \
                not getattr(self.optimizer, '_opt_called', False):
            warnings.warn('Detected call of `lr_scheduler.step()` before `optimizer.step()`. In '
                          'PyTorch 1.1.0 and later, you should call them in the opposite order: '
                          '`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this '
                          'will result in PyTorch skipping the first value of the learning rate '
                          'schedule.', UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        # step() without the warnings and the step count: SequentialLR calls _update_lr(0)
        # to restart a scheduler at its milestone
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, '_get_closed_form_lr') \
                else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            if isinstance(group['lr'], Tensor):
                group['lr'].fill_(float(lr))
            else:
                group['lr'] = lr
        self._last_lr = _lrs(self.optimizer)



class _LRScheduler(LRScheduler):
    """The old name of ``LRScheduler``, still subclassed by many custom schedulers (as torch)."""

# torch's home for the class (pickles, reprs and docs name numtorch.optim.lr_scheduler)
LRScheduler.__module__ = _LRScheduler.__module__ = 'numtorch.optim.lr_scheduler'


def _cycle_momentum(optimizer, base_momentum, max_momentum, last_epoch):
    """Momentum cycling set-up shared by OneCycleLR and CyclicLR: check the optimizer has a
    momentum (or Adam's beta1), start each group at its max momentum, record both bounds.
    Returns (uses_beta1, base_momentums, max_momentums)."""
    if 'momentum' not in optimizer.defaults and 'betas' not in optimizer.defaults:
        raise ValueError('optimizer must support momentum or beta1 with `cycle_momentum` '
                         'option enabled')
    use_beta1 = 'betas' in optimizer.defaults
    base = _per_group('base_momentum', optimizer, base_momentum)
    top = _per_group('max_momentum', optimizer, max_momentum)
    if last_epoch == -1:
        for m, b, group in zip(top, base, optimizer.param_groups):
            if use_beta1:
                group['betas'] = (m, *group['betas'][1:])
            else:
                group['momentum'] = m
            group['max_momentum'] = m
            group['base_momentum'] = b
    return use_beta1, base, top


def _per_group(name, optimizer, value):
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f'{name} must have the same length as optimizer.param_groups. {name} '
                             f'has {len(value)} values, param_groups has '
                             f'{len(optimizer.param_groups)}.')
        return list(value)
    return [value] * len(optimizer.param_groups)
