"""More learning-rate schedules, re-exported by ``lr_scheduler``: ``ConstantLR``, ``LinearLR``,
``PolynomialLR``, ``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``SequentialLR``,
``ChainedScheduler``, ``ReduceLROnPlateau``.

Same rules as ``lr_scheduler.py``: torch's recursive ``get_lr`` (so the floats agree with torch's
to the last bit), its closed form for ``step(epoch)``, and ``state_dict()`` with torch's keys.
"""
import math
import types
import warnings
from bisect import bisect_right
from functools import partial

from .._tensor import Tensor
from .optimizer import Optimizer
from ._lr_base import LRScheduler, _lrs, _per_group, _cycle_momentum, _EPOCH_DEPRECATION

__all__ = ['ConstantLR', 'LinearLR', 'PolynomialLR', 'CosineAnnealingWarmRestarts', 'CyclicLR',
           'SequentialLR', 'ChainedScheduler', 'ReduceLROnPlateau']


def _set_lr(group, lr):
    # a Tensor lr is updated in place so that anything holding it (compiled steps) sees the change
    if isinstance(group['lr'], Tensor):
        group['lr'].fill_(float(lr))
    else:
        group['lr'] = lr


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` for the first ``total_iters`` epochs, then restore it.

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=0.3)
    >>> s = numtorch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [0.15, 0.15, 0.3, 0.3]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError('Constant multiplicative factor expected to be between 0 and 1.')
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The next lrs (called by ``step()``; use ``get_last_lr()`` to read them)."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g['lr'] * self.factor for g in groups]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [g['lr'] * (1.0 / self.factor) for g in groups]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs
    (the usual warm-up).

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = numtorch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); s.step(); lrs.append(round(s.get_last_lr()[0], 6))
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError('Starting multiplicative factor expected to be greater than 0 and '
                             'less or equal to 1.')
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError('Ending multiplicative factor expected to be between 0 and 1.')
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The next lrs (called by ``step()``; use ``get_last_lr()`` to read them)."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g['lr'] * self.start_factor for g in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        d = self.end_factor - self.start_factor
        # torch's ratio of consecutive factors, bracketed the same way for identical rounding
        return [g['lr'] * (1.0 + d / (self.total_iters * self.start_factor
                                      + (self.last_epoch - 1) * d)) for g in groups]

    def _get_closed_form_lr(self):
        return [base * (self.start_factor + (self.end_factor - self.start_factor)
                        * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr as ``(1 - epoch / total_iters) ** power`` down to 0 at ``total_iters``.

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = numtorch.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.5625]
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The next lrs (called by ``step()``; use ``get_last_lr()`` to read them)."""
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        n, e = self.total_iters, self.last_epoch
        decay = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** self.power
        return [g['lr'] * decay for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine from ``initial_lr`` to ``eta_min`` over ``T_i`` epochs, then restart, with
    ``T_i`` growing by ``T_mult`` after each restart. ``step(epoch)`` takes fractional epochs.

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = numtorch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); s.step(); lrs.append(round(s.get_last_lr()[0], 6))
    >>> lrs
    [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f'Expected positive integer T_0, but got {T_0}')
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f'Expected integer T_mult >= 1, but got {T_mult}')
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f'Expected float or int eta_min, but got {eta_min} of type '
                             f'{type(eta_min)}')
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The next lrs (called by ``step()``; use ``get_last_lr()`` to read them)."""
        lo = self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to (possibly fractional) ``epoch``, e.g.
        ``sched.step(epoch + i / iters)`` once per batch. Unlike the other schedulers this
        neither warns nor counts steps, as in torch."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f'Expected non-negative epoch, but got {epoch}')
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # which restart period holds `epoch`: sum of the geometric series T_0*T_mult^k
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            _set_lr(group, lr)
        self._last_lr = _lrs(self.optimizer)


class CyclicLR(LRScheduler):
    """Cycle the lr between ``base_lr`` and ``max_lr`` (triangular, triangular2, exp_range or a
    custom ``scale_fn``), momentum the opposite way. Step it once per batch.

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    >>> s = numtorch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); s.step(); lrs.append(round(s.get_last_lr()[0], 6))
    >>> lrs
    [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode='triangular', gamma=1.0, scale_fn=None, scale_mode='cycle',
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f'{type(optimizer).__name__} is not an Optimizer')
        self.optimizer = optimizer
        base_lrs = _per_group('base_lr', optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                _set_lr(group, lr)
        self.max_lrs = _per_group('max_lr', optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ('triangular', 'triangular2', 'exp_range') and scale_fn is None:
            raise ValueError('mode is invalid and scale_fn is None')
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _cycle_momentum(
                optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        # torch sets these after the first step, which so used the groups' initial_lr
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == 'triangular':
            self._scale_fn_ref, self.scale_mode = _triangular, 'cycle'
        elif self.mode == 'triangular2':
            self._scale_fn_ref, self.scale_mode = _triangular2, 'cycle'
        elif self.mode == 'exp_range':
            self._scale_fn_ref, self.scale_mode = partial(_exp_range, self.gamma), 'iterations'

    def scale_fn(self, x):
        """The amplitude multiplier at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self):
        """The next lrs (called by ``step()``; use ``get_last_lr()`` to read them); also sets
        the groups' momentum (or beta1)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == 'cycle' else self.last_epoch
        # scale_fn is called per group as torch does (a custom one may count its calls)
        lrs = [base + (top - base) * scale_factor * self.scale_fn(at)
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, b, m in zip(self.optimizer.param_groups, self.base_momentums,
                                   self.max_momentums):
                mom = m - (m - b) * scale_factor * self.scale_fn(at)
                if self.use_beta1:
                    group['betas'] = (mom, *group['betas'][1:])
                else:
                    group['momentum'] = mom
        return lrs

    def state_dict(self):
        """As the base's, less the scale function (a custom callable object keeps its
        attributes; plain functions are not saved)."""
        sd = super().state_dict()
        sd.pop('_scale_fn_ref', None)
        fn = sd.pop('_scale_fn_custom')
        sd['_scale_fn_custom'] = None if fn is None or isinstance(fn, types.FunctionType) \
            else fn.__dict__.copy()
        return sd

    def load_state_dict(self, state_dict):
        """Restore from ``state_dict()``."""
        state_dict = dict(state_dict)
        fn = state_dict.pop('_scale_fn_custom')
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _triangular(x):
    return 1.0


def _triangular2(x):
    return 1 / (2.0 ** (x - 1))


def _exp_range(gamma, x):
    return gamma ** x


def _check_children(owner, optimizer, schedulers):
    name = type(owner).__name__
    for i, s in enumerate(schedulers):
        if not hasattr(s, 'optimizer'):
            raise TypeError(f'{name} at index {i} should have `optimizer` as its attribute.')
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f'{name} does not support `ReduceLROnPlateau` scheduler as it requires '
                             'additional kwargs to be specified when calling `step`, but got one '
                             f'at index {i} in the given schedulers sequence.')
        if optimizer != s.optimizer:
            raise ValueError(f'{name} expects all schedulers to belong to the same optimizer, but '
                             f'got scheduler {type(s).__name__} at index {i} has {s.optimizer}, '
                             f'which is different from {type(optimizer).__name__}.')


class _Composite(LRScheduler):
    """state_dict of a scheduler of schedulers: its own attributes plus each child's state."""

    def state_dict(self):
        """Own attributes, with ``_schedulers`` as the list of the children's state dicts."""
        sd = {k: v for k, v in self.__dict__.items() if k not in ('optimizer', '_schedulers')}
        sd['_schedulers'] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict):
        """Restore this scheduler and its children from ``state_dict()``."""
        state_dict = dict(state_dict)
        children = state_dict.pop('_schedulers')
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, children):
            s.load_state_dict(sd)


class SequentialLR(_Composite):
    """Run ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]``; each starts over
    (its epoch 0) at its milestone. Build the children on the same optimizer first.

    >>> import numtorch
    >>> from numtorch.optim import lr_scheduler as L
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> warm = L.LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = L.ExponentialLR(opt, gamma=0.5)
    >>> s = L.SequentialLR(opt, [warm, decay], milestones=[2])
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError(f'{type(self).__name__} expects at least one scheduler, but got no '
                             'scheduler.')
        _check_children(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError('Sequential Schedulers expects number of schedulers provided to be one '
                             'more than the number of milestone points, but got number of '
                             f'schedulers {len(schedulers)} and the number of milestones to be '
                             f'equal to {len(milestones)}')
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the children each took an initial step when built: undo them, then let only the one
        # owning epoch 0 take it again, from the initial lrs
        for group in optimizer.param_groups:
            _set_lr(group, group['initial_lr'])
        self.recursive_undo()
        idx = bisect_right(milestones, 0)
        schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None):
        """Step every (nested) child's ``last_epoch`` back by one."""
        s = self if sched is None else sched
        if hasattr(s, '_schedulers'):
            for child in s._schedulers:
                self.recursive_undo(child)
        elif hasattr(s, 'last_epoch'):
            s.last_epoch -= 1

    def step(self):
        """Step the scheduler of the current stage (restarting it at its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sched._update_lr(0)
        else:
            sched.step()
        self._last_lr = sched.get_last_lr()


class ChainedScheduler(_Composite):
    """Step every scheduler in ``schedulers`` on each ``step()``, so their factors multiply.

    >>> import numtorch
    >>> from numtorch.optim import lr_scheduler as L
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = L.ChainedScheduler([L.ConstantLR(opt, factor=0.5, total_iters=2),
    ...                         L.ExponentialLR(opt, gamma=0.9)])
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); s.step(); lrs.append(round(s.get_last_lr()[0], 6))
    >>> lrs
    [0.5, 0.45, 0.81, 0.729]
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(f'{type(self).__name__} expects at least one scheduler to be chained, '
                             'but got no scheduler.')
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(self, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _lrs(schedulers[-1].optimizer)

    def step(self):
        """Step each chained scheduler in order."""
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self._schedulers[-1].optimizer)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when ``metric`` (passed to ``step``) has not improved by
    ``threshold`` for more than ``patience`` epochs; then wait ``cooldown`` epochs. The lr never
    goes below ``min_lr``, and changes smaller than ``eps`` are skipped.

    >>> import numtorch
    >>> opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = numtorch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]:
    ...     opt.step(); s.step(loss)
    >>> s.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError('Factor should be < 1.0.')
        self.factor = factor
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f'{type(optimizer).__name__} is not an Optimizer')
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f'expected {n} min_lrs, got {len(min_lr)}')
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        """Whether the cooldown after a reduction is still running."""
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):
        """Record this epoch's ``metrics`` (a number or 0-dim tensor) and reduce the lr if it
        has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0         # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f'The number of param groups in the `optimizer` ({len(groups)}) differs from '
                    f'when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due '
                    'to a new param group being added to the optimizer. Please modify the '
                    '`min_lrs` field to match the length of the `optimizer` param groups.')
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group['lr'])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                _set_lr(group, new)

    def _is_better(self, a, best):
        if self.mode == 'min':
            return a < best * (1.0 - self.threshold) if self.threshold_mode == 'rel' \
                else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if self.threshold_mode == 'rel' \
            else a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ('min', 'max'):
            raise ValueError('mode ' + mode + ' is unknown!')
        if threshold_mode not in ('rel', 'abs'):
            raise ValueError('threshold mode ' + threshold_mode + ' is unknown!')
        self.mode_worse = math.inf if mode == 'min' else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        """Restore from ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
