"""Linear algebra, special functions and order statistics on the strict stand-in device, beyond
the op specs (tests/test_stand_in_ops.py): they never read data back to the host where torch
does not, and a device library's own special-function kernels (``Backend.special``, CuPy's
``cupyx.scipy.special`` on CUDA) are used when the backend has them.
"""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.testing import stand_in

_X = np.array([[0.3, 1.2, 2.5], [0.7, 0.1, 4.0], [1.5, 2.0, 0.9]])

# op -> data; none of these syncs in torch (matrix_rank counts on the device, mode and quantile
# with a float q select on the device)
NO_SYNC = {
    'erf': lambda t: t.erf(), 'erfc': lambda t: t.erfc(), 'erfinv': lambda t: (t / 5).erfinv(),
    'lgamma': lambda t: t.lgamma(), 'digamma': lambda t: t.digamma(),
    'polygamma': lambda t: t.polygamma(2), 'i0': lambda t: t.i0(),
    'i1e': lambda t: numtorch.special.i1e(t), 'ndtri': lambda t: numtorch.special.ndtri(t / 5),
    'log_ndtr': lambda t: numtorch.special.log_ndtr(t - 2),
    'erfcx': lambda t: numtorch.special.erfcx(t), 'zeta': lambda t: numtorch.special.zeta(t + 1, 2.),
    'svd': lambda t: numtorch.linalg.svd(t).S, 'qr': lambda t: numtorch.linalg.qr(t).R,
    'cholesky': lambda t: numtorch.linalg.cholesky(t @ t.mT + numtorch.eye(3, device=t.device)),
    'eigh': lambda t: numtorch.linalg.eigh(t + t.mT).eigenvalues,
    'pinv': lambda t: numtorch.linalg.pinv(t), 'matrix_rank': numtorch.linalg.matrix_rank,
    'logdet': lambda t: numtorch.logdet(t), 'inv': lambda t: numtorch.linalg.inv(t),
    'solve': lambda t: numtorch.linalg.solve(t, t[0]),
    'mode': lambda t: (t * 2).round().mode(1).indices, 'quantile': lambda t: t.quantile(0.3, 1),
    'nuc': lambda t: numtorch.linalg.matrix_norm(t, 'nuc'),
}


@pytest.mark.parametrize('name', sorted(NO_SYNC))
def test_no_host_sync_and_cpu_values(name):
    """Forward and backward stay on the device (no device -> host copy) and give the CPU's
    values."""
    fn = NO_SYNC[name]
    want = fn(numtorch.tensor(_X))
    with stand_in.enabled():
        x = numtorch.tensor(_X, device='cuda', requires_grad=True)
        before = stand_in.transfers['d2h']
        out = fn(x)
        if out.requires_grad:
            out.sum().backward()
        assert stand_in.transfers['d2h'] == before, f'{name} read the device back to the host'
        assert out.device.type == 'cuda'
        np.testing.assert_allclose(stand_in.to_host(out), want.numpy(), rtol=1e-12, atol=1e-12)


def test_device_special_kernels_are_used(monkeypatch):
    """A backend that has its own kernel for a special function gets the call (CuPy's
    cupyx.scipy.special on CUDA); without one, numtorch's generic code gives torch's values;
    CPU tensors never ask the backend."""
    asked = []

    def special(self, name):
        asked.append(name)
        return (lambda a: a * 0 + 7) if name in ('erf', 'gammaln', 'i0', 'erfcx') else None

    monkeypatch.setattr(stand_in.StandInBackend, 'special', special)
    x = np.array([0.5, 1.5])
    numtorch.tensor(x).erf(), numtorch.tensor(x).lgamma()
    assert asked == []
    with stand_in.enabled():
        d = numtorch.tensor(x, device='cuda')
        for out in (d.erf(), d.lgamma(), d.i0(), numtorch.special.erfcx(d)):
            assert stand_in.to_host(out).tolist() == [7, 7]
        np.testing.assert_allclose(stand_in.to_host(d.erfc()), torch.erfc(torch.tensor(x)),
                                   rtol=1e-15)
    assert asked[:4] == ['erf', 'gammaln', 'i0', 'erfcx'] and 'erfc' in asked
