"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``state_dict`` in torch's
layout, step hooks. Subclasses implement ``_update(group)``, which walks ``self._grads(group)``
and changes each parameter's array in place (NumPy ``out=``-style arithmetic, no autograd
involved); ``_grads`` bumps each parameter's version counter.

The state dict has torch's exact shape, ``{'state': {0: {...}, 1: {...}}, 'param_groups':
[{'lr': ..., 'params': [0, 1]}]}``, with tensors as values, so it round-trips through
``numtorch.save``/``numtorch.load`` and loads into a torch optimizer (and back).
"""
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

from .._backend import namespace, xp as host   # host: the CPU namespace (step counters)
from .._tensor import Tensor
from .._ops._apply import wrap
from ..autograd.grad_mode import enable_grad

__all__ = ['Optimizer', 'required']


class _RequiredParameter:
    """Marks a hyperparameter every group must give (torch's ``optim.optimizer.required``)."""

    def __repr__(self):
        return '<required parameter>'


required = _RequiredParameter()


class _Handle:
    _next = 0

    def __init__(self, hooks):
        self.hooks_dict_ref, self.id = hooks, _Handle._next
        _Handle._next += 1

    def remove(self):
        self.hooks_dict_ref.pop(self.id, None)


class Optimizer:
    """Base class of all optimizers.

    >>> import numtorch
    >>> w = numtorch.ones(3, requires_grad=True)
    >>> opt = numtorch.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    tensor([0.8000, 0.8000, 0.8000], requires_grad=True)
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError('params argument given to the optimizer should be an iterable of '
                            f'Tensors or dicts, but got {params.type()}')
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError('optimizer got an empty parameter list')
        if not isinstance(param_groups[0], dict):
            param_groups = [{'params': param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyperparameters (missing ones take the
        optimizer's defaults).

        >>> import numtorch
        >>> a, b = numtorch.zeros(2, requires_grad=True), numtorch.zeros(2, requires_grad=True)
        >>> opt = numtorch.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({'params': [b], 'lr': 0.01})
        >>> [g['lr'] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f'param_group must be a dict, but got {type(param_group)}')
        params = param_group['params']
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError('optimizer parameters need to be organized in ordered collections, '
                            'but the ordering of tensors in sets will change between runs. '
                            'Please use a list instead.')
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group['params'] = params
        if names:
            if len(names) != len(params):
                raise ValueError('all optimizer params should be with/without names. Some param '
                                 'names are missing')
            param_group['param_names'] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError('optimizer can only optimize Tensors, but one of the params is '
                                f'{type(p).__module__}.{type(p).__name__}')
            if not self.defaults.get('differentiable', None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f'optimization parameter {name}')
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            import warnings
            warnings.warn('optimizer contains a parameter group with duplicate parameters; in '
                          'future, this will cause an error; see '
                          'github.com/pytorch/pytorch/issues/40967 for more information',
                          stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g['params']}
        for g in self.param_groups:
            if ('param_names' in param_group) != ('param_names' in g):
                which = 'with names' if 'param_names' in param_group else 'without names'
                raise ValueError('all optimizer param groups should be with/without names. '
                                 f'cannot add param group {which} to the optimizer')
        if any(id(p) in seen for p in params):
            raise ValueError('some parameters appear in more than one parameter group')
        self.param_groups.append(param_group)
        self._init_state(param_group)

    def _init_state(self, group):
        """Hook for optimizers whose state exists before the first step (Adagrad)."""

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros."""
        for group in self.param_groups:
            for p in group['params']:
                g = p.grad
                if g is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if g.grad_fn is not None:
                            g.detach_()
                        else:
                            g.requires_grad_(False)
                        g._data.fill(0)
                        g._version_counter[0] += 1

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` (optional)
        re-evaluates the model and returns the loss, which ``step`` returns."""
        for hook in list(self._step_pre_hooks.values()):
            res = hook(self, (), {})
            if res is not None:
                raise RuntimeError('optimizer pre-hooks that change the arguments are not '
                                   'supported')
        self._opt_called = True     # lets an lr scheduler warn when stepped before the optimizer
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update(group)
        for hook in list(self._step_post_hooks.values()):
            hook(self, (), {})
        return loss

    def _update(self, group):
        raise NotImplementedError

    @staticmethod
    def _grads(group, weight_decay=0):
        """``(param, data, grad)`` NumPy arrays for each parameter of ``group`` that has a
        gradient: the gradient negated under ``maximize``, plus ``weight_decay * data`` (L2).
        The caller updates ``data`` in place; the parameter's version counter is bumped when
        the caller moves on to the next one."""
        maximize = group['maximize']
        for p in group['params']:
            gt = p.grad
            if gt is None:
                continue
            d = p._data
            g = gt._data
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g + weight_decay * d
            yield p, d, g
            p._version_counter[0] += 1

    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; returns a handle."""
        h = _Handle(self._step_pre_hooks)
        self._step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``; returns a handle."""
        h = _Handle(self._step_post_hooks)
        self._step_post_hooks[h.id] = hook
        return h

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [...]}`` with parameters replaced by their
        index in group order, exactly as torch lays it out.

        >>> import numtorch
        >>> w = numtorch.ones(2, requires_grad=True)
        >>> opt = numtorch.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> w.sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sd['state'], sd['param_groups'][0]['params']
        ({0: {'momentum_buffer': tensor([1., 1.])}}, [0])
        """
        mapping, start = {}, 0
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != 'params'}
            for i, p in enumerate(g['params'], start):
                mapping.setdefault(id(p), i)
            packed['params'] = [mapping[id(p)] for p in g['params']]
            start += len(packed['params'])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and per-parameter state from ``state_dict()`` (a numtorch or
        torch one); state tensors are cast to their parameter's dtype, as torch does."""
        groups = self.param_groups
        saved_groups = deepcopy(state_dict['param_groups'])
        if len(groups) != len(saved_groups):
            raise ValueError('loaded state dict has a different number of parameter groups')
        if any(len(g['params']) != len(s['params']) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g['params'] for g in saved_groups),
                          chain.from_iterable(g['params'] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict['state'].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast(p, val, key) for key, val in v.items()}
            else:
                state[k] = v
        for g, new in zip(groups, saved_groups):
            new['params'] = g['params']
            if 'param_names' in g and 'param_names' not in new:
                new['param_names'] = g['param_names']
            for k, default in self.defaults.items():   # state dicts from older versions
                new.setdefault(k, default)
        self.state = state
        self.param_groups = saved_groups

    def __getstate__(self):
        return {'defaults': self.defaults, 'state': self.state, 'param_groups': self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault('_step_pre_hooks', OrderedDict())
        self.__dict__.setdefault('_step_post_hooks', OrderedDict())

    def __repr__(self):
        s = type(self).__name__ + ' ('
        for i, group in enumerate(self.param_groups):
            s += f'\nParameter Group {i}\n'
            for key in sorted(group.keys()):
                if key != 'params':
                    s += f'    {key}: {group[key]}\n'
        return s + ')'


def _cast(param, value, key=None):
    """State values follow their parameter's float dtype; ``step`` counters stay as they are."""
    if isinstance(value, Tensor):
        if key == 'step':
            return value
        if param.is_floating_point() and value._data.dtype != param._data.dtype:
            return wrap(value._data.astype(param._data.dtype))
        return value
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------- helpers for subclasses
def new_step():
    """A step counter as torch keeps it: a 0-dim float32 tensor on the host (torch hosts
    ``step`` on the CPU for non-capturable optimizers: no kernel launch per step)."""
    return wrap(host.zeros((), host.float32))


def bump_step(state):
    """Increment ``state['step']`` (a tensor, or a number in old state dicts); return it."""
    st = state['step']
    if isinstance(st, Tensor):
        st._data += 1
        return float(st._data)
    state['step'] = st = st + 1
    return float(st)


_LABELS = {'lr': 'learning rate', 'eps': 'epsilon value'}


def check_nonnegative(**values):
    """torch's argument checks: ``ValueError('Invalid <name> value: <v>')`` for the first
    negative one (``lr`` may be a 1-element tensor)."""
    for name, v in values.items():
        if not 0.0 <= scalar(v):
            raise ValueError(f'Invalid {_LABELS.get(name, name + " value")}: {v}')



def check_betas(betas):
    """torch's Adam-family check: ``0 <= beta < 1`` for both betas."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f'Invalid beta parameter at index {i}: {betas[i]}')


def scalar(x):
    """A hyperparameter that may be a 1-element tensor, as a Python float."""
    return float(x.item()) if isinstance(x, Tensor) else x


def lerp_(a, b, w):
    """``a.lerp_(b, w)`` with torch's two formulas (exact at w = 0 and w = 1)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        namespace(a).subtract(b, (b - a) * (1 - w), out=a)
