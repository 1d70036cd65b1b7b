"""``Adam`` and ``AdamW`` (decoupled weight decay), with ``amsgrad`` and ``maximize`` (torch's
single-tensor update, term for term, so results agree to float32 rounding)."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import (Optimizer, new_step, bump_step, check_betas, check_nonnegative,
                        scalar, lerp_)

__all__ = ['Adam', 'AdamW']


class Adam(Optimizer):
    """Adam: ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v + (1 - beta2) * g * g``,
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``; ``amsgrad`` uses the
    running maximum of ``v``. ``weight_decay`` adds ``wd * p`` to the gradient (L2), or with
    ``decoupled_weight_decay=True`` (= ``AdamW``) shrinks ``p`` by ``1 - lr * wd`` first.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_nonnegative(lr=lr, eps=eps)
        betas = tuple(scalar(b) for b in betas)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'amsgrad': amsgrad, 'maximize': maximize, 'foreach': foreach,
                    'capturable': capturable, 'differentiable': differentiable, 'fused': fused,
                    'decoupled_weight_decay': decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update(self, group):
        lr = scalar(group['lr'])
        beta1, beta2 = (scalar(b) for b in group['betas'])
        eps = group['eps']
        wd = group['weight_decay']
        amsgrad = group['amsgrad']
        decoupled = wd != 0 and group['decoupled_weight_decay']
        state = self.state
        for p, d, g in self._grads(group, 0 if decoupled else wd):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['exp_avg'] = wrap(xp.zeros_like(d))
                st['exp_avg_sq'] = wrap(xp.zeros_like(d))
                if amsgrad:
                    st['max_exp_avg_sq'] = wrap(xp.zeros_like(d))
            step = bump_step(st)
            if decoupled:
                d *= 1 - lr * wd
            m = st['exp_avg']._data
            v = st['exp_avg_sq']._data
            lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            step_size = lr / (1 - beta1 ** step)
            bc2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                vmax = st['max_exp_avg_sq']._data
                xp.maximum(vmax, v, out=vmax)
                denom = xp.sqrt(vmax)
            else:
                denom = xp.sqrt(v)
            denom /= bc2_sqrt
            denom += eps
            upd = -step_size * m
            upd /= denom
            d += upd


class AdamW(Adam):
    """Adam with decoupled weight decay (default ``weight_decay=1e-2``): ``p *= 1 - lr * wd``
    before the Adam update.

    >>> import numtorch
    >>> w = numtorch.tensor([1.], requires_grad=True)
    >>> opt = numtorch.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.sum().backward(); opt.step()
    >>> w
    tensor([0.8500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for g in self.param_groups:
            g['decoupled_weight_decay'] = True
