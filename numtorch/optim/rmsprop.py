"""``RMSprop`` with ``alpha``, ``eps``, ``momentum``, ``centered``, weight decay and ``maximize``
(torch's single-tensor update, term for term)."""
import numpy as np

from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, scalar, lerp_

__all__ = ['RMSprop']


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha * v + (1 - alpha) * g * g``; ``avg = sqrt(v) + eps`` (centered:
    ``sqrt(v - mean_g**2) + eps``); ``p -= lr * g / avg``, or through a momentum buffer
    ``buf = momentum * buf + g / avg``, ``p -= lr * buf``.

    >>> import numtorch
    >>> w = numtorch.tensor([1.], requires_grad=True)
    >>> opt = numtorch.optim.RMSprop([w], lr=0.01)
    >>> w.sum().backward(); opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if not 0.0 <= scalar(lr):
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        if not 0.0 <= momentum:
            raise ValueError(f'Invalid momentum value: {momentum}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        if not 0.0 <= alpha:
            raise ValueError(f'Invalid alpha value: {alpha}')
        defaults = {'lr': lr, 'momentum': momentum, 'alpha': alpha, 'eps': eps,
                    'centered': centered, 'weight_decay': weight_decay, 'capturable': capturable,
                    'foreach': foreach, 'maximize': maximize, 'differentiable': differentiable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr = scalar(group['lr'])
        alpha, eps, wd = group['alpha'], group['eps'], group['weight_decay']
        momentum, centered, maximize = group['momentum'], group['centered'], group['maximize']
        state = self.state
        for p in group['params']:
            gt = p.grad
            if gt is None:
                continue
            d = p._data
            g = gt._data
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['square_avg'] = wrap(np.zeros_like(d))
                if momentum > 0:
                    st['momentum_buffer'] = wrap(np.zeros_like(d))
                if centered:
                    st['grad_avg'] = wrap(np.zeros_like(d))
            if maximize:
                g = -g
            bump_step(st)
            if wd != 0:
                g = g + wd * d
            v = st['square_avg']._data
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                ga = st['grad_avg']._data
                lerp_(ga, g, 1 - alpha)
                avg = np.sqrt(v + -1 * ga * ga)
            else:
                avg = np.sqrt(v)
            avg += eps
            if momentum > 0:
                buf = st['momentum_buffer']._data
                buf *= momentum
                buf += g / avg
                d -= lr * buf
            else:
                upd = -lr * g
                upd /= avg
                d += upd
            p._vc[0] += 1
