"""``Adadelta`` (Zeiler 2012), torch's single-tensor update term for term."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, check_nonnegative, scalar

__all__ = ['Adadelta']


class Adadelta(Optimizer):
    """Adadelta: ``v = rho * v + (1 - rho) * g * g``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho * u + (1 - rho) * delta ** 2``,
    ``p -= lr * delta``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.Adadelta([w])
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.9968, -0.9968], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f'Invalid rho value: {rho}')
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = {'lr': lr, 'rho': rho, 'eps': eps, 'weight_decay': weight_decay,
                    'maximize': maximize, 'capturable': capturable, 'foreach': foreach,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr, rho, eps = scalar(group['lr']), group['rho'], group['eps']
        state = self.state
        for p, d, g in self._grads(group, group['weight_decay']):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['square_avg'] = wrap(xp.zeros_like(d))
                st['acc_delta'] = wrap(xp.zeros_like(d))
            bump_step(st)
            v, u = st['square_avg']._data, st['acc_delta']._data
            v *= rho
            v += (1 - rho) * g * g
            std = xp.sqrt(v + eps)
            delta = xp.sqrt(u + eps)
            delta /= std
            delta *= g
            u *= rho
            u += (1 - rho) * delta * delta
            d -= lr * delta
