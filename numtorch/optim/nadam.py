"""``NAdam`` (Adam with Nesterov momentum, Dozat 2016), torch's single-tensor update term for
term, including its momentum-decay schedule ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * psi))``."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import (Optimizer, host, new_step, bump_step, check_nonnegative, scalar,
                        lerp_)
from .optimizer import check_betas

__all__ = ['NAdam']


class NAdam(Optimizer):
    """NAdam: Adam's moments with the Nesterov look-ahead; ``mu_product`` (a 0-dim float32
    state tensor, as torch keeps it) is the running product of the ``mu_t``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.NAdam([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.8944, -0.8944], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'momentum_decay': momentum_decay,
                    'decoupled_weight_decay': decoupled_weight_decay, 'maximize': maximize,
                    'foreach': foreach, 'capturable': capturable,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr, eps = scalar(group['lr']), group['eps']
        beta1, beta2 = group['betas']
        wd, psi = group['weight_decay'], group['momentum_decay']
        decoupled = wd != 0 and group['decoupled_weight_decay']
        state = self.state
        for p, d, g in self._grads(group, 0 if decoupled else wd):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['mu_product'] = wrap(host.ones((), host.float32))   # on the host, as torch's
                st['exp_avg'] = wrap(xp.zeros_like(d))
                st['exp_avg_sq'] = wrap(xp.zeros_like(d))
            step = bump_step(st)
            bc2 = 1 - beta2 ** step
            if decoupled:
                d *= 1 - lr * wd
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            mp = st['mu_product']._data
            mp *= mu                           # in the state tensor's float32, as torch
            mu_product = float(mp)
            m, v = st['exp_avg']._data, st['exp_avg_sq']._data
            lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = xp.sqrt(v / bc2)
            denom += eps
            # addcdiv's order, (value * t1) / t2, as torch's kernel computes it
            d += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
            d += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom
