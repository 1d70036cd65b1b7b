"""``RMSprop`` with ``alpha``, ``eps``, ``momentum``, ``centered``, weight decay and ``maximize``
(torch's single-tensor update, term for term)."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, check_nonnegative, scalar, lerp_

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
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        defaults = {'lr': lr, 'momentum': momentum, 'alpha': alpha, 'eps': eps,
                    'centered': centered, 'weight_decay': weight_decay, 'capturable': capturable,
                    'foreach': foreach, 'maximize': maximize, 'differentiable': differentiable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr = scalar(group['lr'])
        alpha, eps = group['alpha'], group['eps']
        momentum, centered = group['momentum'], group['centered']
        state = self.state
        for p, d, g in self._grads(group, group['weight_decay']):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['square_avg'] = wrap(xp.zeros_like(d))
                if momentum > 0:
                    st['momentum_buffer'] = wrap(xp.zeros_like(d))
                if centered:
                    st['grad_avg'] = wrap(xp.zeros_like(d))
            bump_step(st)
            v = st['square_avg']._data
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                ga = st['grad_avg']._data
                lerp_(ga, g, 1 - alpha)
                avg = xp.sqrt(v + -1 * ga * ga)
            else:
                avg = xp.sqrt(v)
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
