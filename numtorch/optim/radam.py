"""``RAdam`` (rectified Adam, Liu et al. 2019), torch's single-tensor update term for term."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import (Optimizer, new_step, bump_step, check_betas, check_nonnegative,
                        scalar, lerp_)

__all__ = ['RAdam']



class RAdam(Optimizer):
    """RAdam: Adam's moments; while the variance's length ``rho_t <= 5`` the step is plain
    momentum ``p -= lr * m_hat``, after that Adam's step times the rectification term.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.RAdam([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.8000, -0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'maximize': maximize, 'foreach': foreach, 'capturable': capturable,
                    'decoupled_weight_decay': decoupled_weight_decay,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr, eps = scalar(group['lr']), group['eps']
        beta1, beta2 = group['betas']
        wd = group['weight_decay']
        decoupled = wd != 0 and group['decoupled_weight_decay']
        rho_inf = 2 / (1 - beta2) - 1
        state = self.state
        for p, d, g in self._grads(group, 0 if decoupled else wd):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['exp_avg'] = wrap(xp.zeros_like(d))
                st['exp_avg_sq'] = wrap(xp.zeros_like(d))
            step = bump_step(st)
            if decoupled:
                d *= 1 - lr * wd
            m, v = st['exp_avg']._data, st['exp_avg_sq']._data
            lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            bc1 = 1 - beta1 ** step
            bc2 = 1 - beta2 ** step
            m_hat = m / bc1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = bc2 ** 0.5 / (xp.sqrt(v) + eps)
                d -= m_hat * lr * adaptive * rect
            else:
                d -= m_hat * lr
