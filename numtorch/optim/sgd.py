"""``SGD`` with momentum, dampening, Nesterov, weight decay and ``maximize`` (torch's
single-tensor update, term for term)."""
from .._ops._apply import wrap
from .._backend import split_run
from .._threads import SPLIT_MIN
from .optimizer import Optimizer, scalar

__all__ = ['SGD']


class SGD(Optimizer):
    """Stochastic gradient descent.

    ``g = grad (+ weight_decay * p)``; with momentum ``buf = momentum * buf + (1 - dampening) * g``
    (``buf = g`` on the first step) and ``g = buf`` (or ``g + momentum * buf`` with Nesterov);
    then ``p -= lr * g``.

    >>> import numtorch
    >>> w = numtorch.tensor([1., 2.], requires_grad=True)
    >>> opt = numtorch.optim.SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
    >>> w
    tensor([-0.9000, -1.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        # torch's SGD tests `< 0` (so NaN passes), unlike the other optimizers' `not 0 <= x`
        if scalar(lr) < 0.0:
            raise ValueError(f'Invalid learning rate: {lr}')
        if momentum < 0.0:
            raise ValueError(f'Invalid momentum value: {momentum}')
        if weight_decay < 0.0:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        defaults = {'lr': lr, 'momentum': momentum, 'dampening': dampening,
                    'weight_decay': weight_decay, 'nesterov': nesterov, 'maximize': maximize,
                    'foreach': foreach, 'differentiable': differentiable, 'fused': fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires a momentum and zero dampening')
        super().__init__(params, defaults)

    def _update(self, group):
        lr = scalar(group['lr'])
        momentum = group['momentum']
        damp = group['dampening']
        nesterov = group['nesterov']
        state = self.state
        for p, d, g in self._grads(group, group['weight_decay']):
            if momentum != 0 and not nesterov and d.size >= SPLIT_MIN and g.dtype == d.dtype:
                buf = state[p].get('momentum_buffer')
                if buf is not None and d.flags.c_contiguous and g.flags.c_contiguous:
                    # a large parameter: the same update per range over the threads
                    _momentum_split(d, g, buf._data, momentum, 1 - damp, lr)
                    continue
            if momentum != 0:
                st = state[p]
                buf = st.get('momentum_buffer')
                if buf is None:
                    buf = st['momentum_buffer'] = wrap(g.copy())
                    b = buf._data
                else:
                    b = buf._data
                    b *= momentum
                    b += (1 - damp) * g
                g = g + momentum * b if nesterov else b
            d -= lr * g


def _momentum_split(d, g, b, momentum, keep, lr):
    """``b = momentum * b + keep * g; d -= lr * b`` in place, the same operations as
    ``SGD._update``'s, per range of the flat arrays over the threads (``_backend.split_run``)."""
    df, gf, bf = d.reshape(-1), g.reshape(-1), b.reshape(-1)

    def part(lo, hi):
        bs = bf[lo:hi]
        bs *= momentum
        bs += keep * gf[lo:hi]
        df[lo:hi] -= lr * bs
    split_run(d, part, d.size)
