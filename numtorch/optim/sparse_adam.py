"""``SparseAdam``: Adam that touches only the rows a gradient has (torch's lazy Adam for
``nn.Embedding(sparse=True)``).

numtorch has no sparse tensors, so gradients arrive dense (an ``Embedding`` writes zeros into
the rows a batch did not look up). ``SparseAdam`` treats the rows (first dimension) holding a
nonzero entry as the gradient's indices and updates only those, which is exactly what torch
does with the sparse gradient of an embedding lookup. The one difference: a row that was looked
up but got an all-zero gradient is skipped here, while torch would still decay its moments.
"""
import math

from .._backend import namespace
from .._ops._apply import wrap
from .optimizer import Optimizer, scalar
from .optimizer import check_betas

__all__ = ['SparseAdam']


class SparseAdam(Optimizer):
    """Lazy Adam: the moments and the parameter change only in the gradient's nonzero rows.

    >>> import numtorch
    >>> emb = numtorch.nn.Embedding(4, 2)
    >>> opt = numtorch.optim.SparseAdam(emb.parameters(), lr=0.1)
    >>> before = emb.weight.detach().clone()
    >>> emb(numtorch.tensor([1, 2])).sum().backward(); opt.step()
    >>> (emb.weight.detach() != before).any(dim=1).tolist()
    [False, True, True, False]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if not 0.0 < scalar(lr):
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 < eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        check_betas(betas)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'maximize': maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, g in enumerate(self.param_groups)
                          for j, p in enumerate(g['params']) if p.is_complex()]
        if complex_params:
            raise ValueError(f'Complex params at indices {complex_params}: SparseAdam does not '
                             'support complex parameters')

    def _update(self, group):
        lr, eps = scalar(group['lr']), group['eps']
        beta1, beta2 = group['betas']
        state = self.state
        for p, d, g in self._grads(group):
            xp = namespace(d)
            st = state[p]
            if len(st) == 0:
                st['step'] = 0                # a plain int, as torch's SparseAdam keeps it
                st['exp_avg'] = wrap(xp.zeros_like(d))
                st['exp_avg_sq'] = wrap(xp.zeros_like(d))
            st['step'] += 1
            step = st['step']
            rows = (g != 0).reshape(g.shape[0], -1).any(1) if g.ndim else (g != 0)
            if not rows.any():
                continue
            m_all, v_all = st['exp_avg']._data, st['exp_avg_sq']._data
            gv, m, v = g[rows], m_all[rows], v_all[rows]
            m_upd = (gv - m) * (1 - beta1)
            v_upd = (gv ** 2 - v) * (1 - beta2)
            m_all[rows] += m_upd
            v_all[rows] += v_upd
            numer = m_upd + m
            denom = xp.sqrt(v_upd + v) + eps
            step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
            d[rows] += -step_size * (numer / denom)
