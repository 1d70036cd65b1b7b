"""``SGD`` with momentum, dampening, Nesterov, weight decay and ``maximize`` (torch's
single-tensor update, term for term)."""
from .._ops._apply import wrap
from .._backend import blocks, run_blocks, workspace, namespace
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
        wd = group['weight_decay']
        state = self.state
        fused = momentum != 0 and not nesterov and not group['maximize']
        for p, d, g in self._grads(group, 0 if fused else wd):
            if fused:
                buf = state[p].get('momentum_buffer')
                if buf is not None and _fusable(d, g, buf._data):
                    # the common step: one blocked pass (below), the same operations
                    _momentum_step(d, g, buf._data, wd, momentum, 1 - damp, lr)
                    continue
                if wd != 0:
                    g = g + wd * d
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


def _fusable(d, g, b):
    """``_momentum_step`` applies: one dtype and layout (C-contiguous, so flat views)."""
    return (g.dtype == d.dtype == b.dtype and d.flags.c_contiguous and g.flags.c_contiguous
            and b.flags.c_contiguous and g.shape == d.shape == b.shape)


#: ``_momentum_step``'s blocks, in elements. ResNet-18's update (11.2M float32 parameters, one
#: thread, shared machine): 18.9 / 12.7 / 10.8 / 11.3 ms with blocks of 8K / 32K / 128K / 1M
#: elements (smaller blocks pay more Python per element), the whole-array passes before 14.3
#: ms, torch 10.4 ms.
_STEP_BLOCK = 1 << 17


def _momentum_step(d, g, b, wd, momentum, keep, lr):
    """torch's single-tensor SGD step with momentum, in place: ``g' = g + wd * d``,
    ``b = momentum * b + keep * g'``, ``d -= lr * b``, term for term as ``SGD._update``'s
    general path, per cache-sized block of the flat arrays (``_backend.blocks``) over the
    threads: each array is read and written once instead of 3-7 whole-array passes with
    three parameter-sized temporaries."""
    n = d.size
    df, gf, bf = d.reshape(1, n), g.reshape(1, n), b.reshape(1, n)
    xp = namespace(d)

    def part(i0, i1, c0, c1):
        ds, bs = df[:, c0:c1], bf[:, c0:c1]
        t = workspace(d, c1 - c0, d.dtype).reshape(1, -1)
        gs = gf[:, c0:c1]
        if wd != 0:
            xp.multiply(ds, wd, out=t)
            gs = xp.add(gs, t, out=t)
        bs *= momentum
        if keep != 1:                  # (keep * g is g itself when keep is 1)
            gs = xp.multiply(gs, keep, out=t)
        bs += gs
        ds -= xp.multiply(bs, lr, out=t)
    run_blocks(d, part, blocks(d, 1, n, 1, _STEP_BLOCK))
