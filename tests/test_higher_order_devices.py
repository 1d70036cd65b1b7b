"""autograd.functional's higher-order functions, numtorch.func's nested transforms and
gradgradcheck on the strict stand-in device (``cuda`` without a GPU): the CPU's numbers bit for
bit, results on the device, no stray host arrays."""
import numpy as np

import numtorch
from devicecheck import same, on_device


def _f(a, b):
    return ((a.sin() * b).sum() * (a * a).sum() + (a.exp() * b * b).sum())


def test_functional_higher_order_on_the_device(cuda):
    AF = numtorch.autograd.functional
    out = {}
    for dev in ('cpu', 'cuda'):
        x = numtorch.tensor(np.array([0.3, -1.2, 0.8])).to(dev)
        y = numtorch.tensor(np.array([1.1, 0.4, -0.6])).to(dev)
        H = AF.hessian(_f, (x, y))
        _, hv = AF.hvp(_f, (x, y), (y, x))
        _, vh = AF.vhp(_f, (x, y), (y, x))
        _, jv = AF.jvp(lambda a: a.sin() * a.sum(), x, y)
        J = AF.jacobian(lambda a: a.exp() * a, x, create_graph=True)
        xr = x.detach().requires_grad_()
        third, = numtorch.autograd.grad(AF.hessian(lambda a: (a ** 4).sum(), xr,
                                                   create_graph=True).sum(), xr)
        out[dev] = [h for row in H for h in row] + list(hv) + list(vh) + [jv, J, third]
    same(out['cuda'], out['cpu'])
    on_device(*out['cuda'])


def test_func_nested_on_the_device(cuda):
    F = numtorch.func
    out = {}
    for dev in ('cpu', 'cuda'):
        x = numtorch.tensor(np.array([0.3, -1.2, 0.8])).to(dev)
        y = numtorch.tensor(np.array([1.1, 0.4, -0.6])).to(dev)
        res = [F.hessian(_f, argnums=(0, 1))(x, y)[0][1],
               F.jacrev(F.jacrev(lambda a: a.sin() * a.sum()))(x),
               F.jacfwd(lambda a: a.tanh() * 2)(x),
               F.grad(F.grad(lambda a: a.sin() * a ** 2))(x[0])]
        _, fn = F.vjp(lambda a: (a.exp() * a).sum(), x.detach().requires_grad_())
        res.append(fn(numtorch.tensor(1., dtype=numtorch.float64).to(dev),
                      create_graph=True)[0].detach())
        out[dev] = res
    same(out['cuda'], out['cpu'])
    on_device(*out['cuda'])


def test_gradgradcheck_on_the_device(cuda):
    x = numtorch.tensor(np.array([0.3, -1.2, 0.8])).to('cuda').requires_grad_()
    assert numtorch.autograd.gradgradcheck(lambda t: (t * t).sin() * t.sum(), (x,))
