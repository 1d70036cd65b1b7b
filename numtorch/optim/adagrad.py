"""``Adagrad`` with ``lr_decay``, ``initial_accumulator_value``, ``eps``, weight decay and
``maximize`` (torch's single-tensor update, term for term)."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, check_nonnegative, scalar

__all__ = ['Adagrad']


class Adagrad(Optimizer):
    """Adagrad: ``s += g * g``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``.
    Its state (``step``, ``sum``) exists from construction, as in torch.

    >>> import numtorch
    >>> w = numtorch.tensor([1.], requires_grad=True)
    >>> opt = numtorch.optim.Adagrad([w], lr=0.1)
    >>> (3 * w).sum().backward(); opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {'lr': lr, 'lr_decay': lr_decay, 'eps': eps, 'weight_decay': weight_decay,
                    'initial_accumulator_value': initial_accumulator_value, 'foreach': foreach,
                    'maximize': maximize, 'differentiable': differentiable, 'fused': fused}
        super().__init__(params, defaults)

    def _init_state(self, group):
        init = self.defaults['initial_accumulator_value']
        for p in group['params']:
            st = self.state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['sum'] = wrap(namespace(p._data).full_like(p._data, init))

    def _update(self, group):
        lr = scalar(group['lr'])
        lr_decay, eps = group['lr_decay'], group['eps']
        for p, d, g in self._grads(group, group['weight_decay']):
            xp = namespace(d)
            st = self.state[p]
            if len(st) == 0:
                self._init_state({'params': [p]})
            step = bump_step(st)
            clr = lr / (1 + (step - 1) * lr_decay)
            s = st['sum']._data
            s += g * g
            std = xp.sqrt(s)
            std += eps
            upd = -clr * g
            upd /= std
            d += upd
