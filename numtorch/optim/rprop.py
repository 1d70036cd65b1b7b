"""``Rprop``: resilient backpropagation, torch's single-tensor update term for term."""
from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, new_step, bump_step, check_nonnegative, scalar

__all__ = ['Rprop']


class Rprop(Optimizer):
    """Rprop: each element's step size grows by ``etas[1]`` while its gradient keeps its sign and
    shrinks by ``etas[0]`` when it flips (that step is skipped), clamped to ``step_sizes``;
    ``p -= sign(g) * step_size``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., -1.], requires_grad=True)
    >>> opt = numtorch.optim.Rprop([w], lr=0.1)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([ 0.7800, -0.7800], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f'Invalid eta values: {etas[0]}, {etas[1]}')
        defaults = {'lr': lr, 'etas': etas, 'step_sizes': step_sizes, 'foreach': foreach,
                    'maximize': maximize, 'differentiable': differentiable,
                    'capturable': capturable}
        super().__init__(params, defaults)

    def _update(self, group):
        etaminus, etaplus = group['etas']
        lo, hi = group['step_sizes']
        state = self.state
        for p, d, g in self._grads(group):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = new_step()
                st['prev'] = wrap(xp.zeros_like(d))
                st['step_size'] = wrap(xp.full_like(d, scalar(group['lr'])))
            bump_step(st)
            prev, size = st['prev']._data, st['step_size']._data
            s = xp.sign(g * prev)
            factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1)).astype(d.dtype)
            size *= factor
            xp.clip(size, lo, hi, out=size)
            g = xp.where(factor == d.dtype.type(etaminus), 0, g).astype(d.dtype)
            d -= xp.sign(g) * size
            prev[...] = g
