"""Declarative op tests: one ``Op`` spec expands into forward, backward-vs-torch and float64
finite-difference checks over shapes x dtypes (after Chainer's FunctionTestCase and torch's
OpInfo).

    Op('add', lambda m, a, b: m.add(a, b), shapes=[((2, 3), (2, 3)), ((2, 3), (3,))])

``fn(m, *tensors)`` is called with ``m`` = numtorch and ``m`` = torch on the same values, so one
lambda states the op for both. Inputs are drawn uniformly from ``domain``; ``grad=False`` skips the
gradient checks (comparisons, integer ops); ``int_inputs`` makes integer tensors.
"""
import os
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import numtorch

DTYPES = {'float32': (np.float32, torch.float32, numtorch.float32),
          'float64': (np.float64, torch.float64, numtorch.float64)}
TOL = {'float32': dict(rtol=1e-5, atol=1e-5), 'float64': dict(rtol=1e-10, atol=1e-10)}


@dataclass
class Op:
    name: str
    fn: object
    shapes: list                         # list of cases, each a tuple of input shapes
    dtypes: tuple = ('float32', 'float64')
    domain: tuple = (-2.0, 2.0)
    grad: bool = True
    gradcheck: bool = True
    int_inputs: bool = False
    tol: dict = field(default_factory=dict)
    make: object = None                  # custom input maker: make(rng, shape, np_dtype) -> array

    def cases(self):
        for i, shapes in enumerate(self.shapes):
            for dt in (('int64',) if self.int_inputs else self.dtypes):
                yield pytest.param(self, shapes, dt, id=f'{self.name}-{i}-{dt}')


def _inputs(op, shapes, dt, seed):
    rng = np.random.default_rng(seed)
    arrs = []
    for s in shapes:
        if op.make is not None:
            arrs.append(op.make(rng, s, np.dtype(dt)))
        elif op.int_inputs:
            arrs.append(rng.integers(-5, 6, size=s).astype(np.int64))
        else:
            lo, hi = op.domain
            arrs.append(rng.uniform(lo, hi, size=s).astype(dt))
    return arrs


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


# NUMTORCH_TEST_DEVICE=stand-in runs every spec on the strict stand-in device (as 'cuda'), so a
# stray host call in an op fails its test; tests/test_stand_in_ops.py does it in every run.
DEVICE = os.environ.get('NUMTORCH_TEST_DEVICE')
if DEVICE == 'stand-in':
    from numtorch.testing import stand_in as _stand_in
    _stand_in.enable()


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    from numtorch.testing.stand_in import to_host
    return to_host(t)


def check_op(op, shapes, dt, seed=0, device=None):
    """Forward values, dtype and shape vs torch; gradients vs torch; float64 finite differences.

    ``device``: where numtorch's inputs live ('cuda' on the stand-in); the outputs and
    gradients must come back on it."""
    if device is None and DEVICE == 'stand-in':
        device = 'cuda'
    arrs = _inputs(op, shapes, dt, seed)
    diff = op.grad and not op.int_inputs
    nt_in = [numtorch.tensor(a, requires_grad=diff, device=device) for a in arrs]
    th_in = [torch.tensor(a, requires_grad=diff) for a in arrs]
    nt_out = _as_list(op.fn(numtorch, *nt_in))
    th_out = _as_list(op.fn(torch, *th_in))
    tol = dict(TOL.get(dt, dict(rtol=0, atol=0)), **op.tol)
    assert len(nt_out) == len(th_out)
    for n, t in zip(nt_out, th_out):
        if not isinstance(t, torch.Tensor):
            assert n == t
            continue
        assert tuple(n.shape) == tuple(t.shape), (n.shape, t.shape)
        assert str(n.dtype) == str(t.dtype), (n.dtype, t.dtype)
        if device is not None:
            assert n.device.type == numtorch.device(device).type, (n.device, device)
        np.testing.assert_allclose(_np(n), _np(t), equal_nan=True, **tol)
    if not diff:
        return
    # Backward with the same random upstream gradient on both sides.
    rng = np.random.default_rng(seed + 1)
    pairs = [(n, t) for n, t in zip(nt_out, th_out)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    assert all(n.requires_grad for n, _ in pairs), 'numtorch output lost requires_grad'
    if not pairs:
        return
    ups = [rng.standard_normal(t.shape).astype(dt) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.tensor(u) for u in ups])
    numtorch.autograd.backward([n for n, _ in pairs],
                               [numtorch.tensor(u, device=device) for u in ups])
    for n, t in zip(nt_in, th_in):
        if t.grad is None:
            assert n.grad is None or not np.any(_np(n.grad))
            continue
        assert n.grad is not None, 'numtorch gave no gradient where torch did'
        assert n.grad.device == n.device
        np.testing.assert_allclose(_np(n.grad), t.grad.numpy(), equal_nan=True, **tol)
    # Finite differences prove the math once, on the CPU; a device run proves the device path.
    if op.gradcheck and dt == 'float64' and all(a.size <= 64 for a in arrs) and device is None:
        xs = [numtorch.tensor(a, requires_grad=True) for a in arrs]
        assert numtorch.autograd.gradcheck(lambda *x: op.fn(numtorch, *x), xs,
                                           atol=1e-5, rtol=1e-4)


def parametrize(ops):
    """``@parametrize(OPS)`` over every (op, case, dtype)."""
    return pytest.mark.parametrize('op,shapes,dt', [c for op in ops for c in op.cases()])
