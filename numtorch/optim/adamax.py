"""``Adamax``: Adam with the infinity norm (torch's single-tensor update term for term)."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, check_nonnegative, scalar, lerp_
from .optimizer import check_betas

__all__ = ['Adamax']


class Adamax(Optimizer):
    """Adamax: ``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 * u, |g| + eps)``,
    ``p -= lr / (1 - beta1**t) * m / u``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.Adamax([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'foreach': foreach, 'maximize': maximize, 'differentiable': differentiable,
                    'capturable': capturable}
        super().__init__(params, defaults)

    def _update(self, group):
        lr, eps = scalar(group['lr']), group['eps']
        beta1, beta2 = group['betas']
        state = self.state
        for p, d, g in self._grads(group, group['weight_decay']):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['exp_avg'] = wrap(xp.zeros_like(d))
                st['exp_inf'] = wrap(xp.zeros_like(d))
            step = bump_step(st)
            m, u = st['exp_avg']._data, st['exp_inf']._data
            lerp_(m, g, 1 - beta1)
            u *= beta2
            xp.maximum(u, xp.abs(g) + eps, out=u)
            clr = lr / (1 - beta1 ** step)
            d += -clr * m / u       # addcdiv's order: (value * t1) / t2
