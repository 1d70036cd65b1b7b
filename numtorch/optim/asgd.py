"""``ASGD``: averaged SGD (Polyak & Juditsky 1992), torch's single-tensor update term for term.
``eta`` and ``mu`` live in the state as 0-dim float32 tensors, as torch keeps them."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, bump_step, check_nonnegative, scalar

__all__ = ['ASGD']


class ASGD(Optimizer):
    """Averaged SGD: ``p = p * (1 - lambd * eta) - eta * g``; the average ``ax`` follows ``p``
    with weight ``mu = 1 / max(1, t - t0)``; ``eta = lr / (1 + lambd * lr * t) ** alpha``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.ASGD([w], lr=0.1, lambd=0.)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.8000, -0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = {'lr': lr, 'lambd': lambd, 'alpha': alpha, 't0': t0,
                    'weight_decay': weight_decay, 'foreach': foreach, 'maximize': maximize,
                    'differentiable': differentiable, 'capturable': capturable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr, lambd, alpha, t0 = scalar(group['lr']), group['lambd'], group['alpha'], group['t0']
        state = self.state
        for p, d, g in self._grads(group, group['weight_decay']):
            st = state[p]
            if len(st) == 0:
                # unlike the other optimizers, torch's ASGD keeps step, eta and mu on the
                # parameter's device (and reads them back each step, as here)
                xp = namespace(d)
                st['step'] = wrap(xp.zeros((), xp.float32))
                st['eta'] = wrap(xp.full((), lr, xp.float32))
                st['mu'] = wrap(xp.ones((), xp.float32))
                st['ax'] = wrap(xp.zeros_like(d))
            step = bump_step(st)
            eta_t, mu_t = st['eta']._data, st['mu']._data
            eta, mu = float(eta_t), float(mu_t)
            d *= 1 - lambd * eta
            d -= eta * g
            ax = st['ax']._data
            if mu != 1:
                ax += (d - ax) * mu
            else:
                ax[...] = d
            # the new values are rounded to the state's float32, as torch's copy_ does
            eta_t[...] = lr / ((1 + lambd * lr * step) ** alpha)
            mu_t[...] = 1 / max(1, step - t0)
