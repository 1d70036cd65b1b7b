"""Small torch-level names (numtorch/_misc_names.py, numtorch/func.py, autograd anomaly mode)
against torch 2.13."""
import math
import warnings

import numpy as np
import torch

import numtorch
from errcheck import same_error


def test_constants_formats_layouts():
    for n in ('e', 'pi', 'inf', 'nan'):
        a, b = getattr(numtorch, n), getattr(torch, n)
        assert a == b or (math.isnan(a) and math.isnan(b))
    assert numtorch.newaxis is torch.newaxis is None
    for n in ('contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format',
              'strided'):
        assert repr(getattr(numtorch, n)) == repr(getattr(torch, n))
    # the formats are accepted where torch takes them (numtorch keeps its C-contiguous arrays)
    for L in (numtorch, torch):
        m = L.nn.Conv2d(2, 3, 1).to(memory_format=L.channels_last)
        x = L.ones(1, 2, 4, 4).contiguous(memory_format=L.channels_last)
        assert tuple(m(x).shape) == (1, 3, 4, 4)
        assert tuple(L.zeros_like(x, memory_format=L.preserve_format).shape) == (1, 2, 4, 4)


def test_threads_inference_anomaly_typename():
    for L in (numtorch, torch):
        assert L.get_num_interop_threads() >= 1
        assert not L.is_inference_mode_enabled()
        with L.inference_mode():
            assert L.is_inference_mode_enabled() and not L.is_grad_enabled()
            with L.inference_mode(False):
                assert not L.is_inference_mode_enabled()
        assert not L.is_inference_mode_enabled()
        assert not L.is_anomaly_enabled()
        with L.autograd.set_detect_anomaly(True):
            assert L.is_anomaly_enabled()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            with L.autograd.detect_anomaly():
                assert L.is_anomaly_enabled()
        assert 'Anomaly Detection has been enabled' in str(w[0].message)
        assert not L.is_anomaly_enabled()
        assert L.typename(L.ones(1, dtype=L.long)) == 'torch.LongTensor'
        assert L.typename(L.nn.Linear(1, 1)) == 'torch.nn.modules.linear.Linear'
        assert L.typename(3) == 'int'
        assert L.is_storage(L.ones(1).untyped_storage()) and not L.is_storage(L.ones(1))
    same_error(lambda L: L.set_num_interop_threads(0))
    same_error(lambda L: L.set_default_tensor_type('torch.LongTensor'))


def test_set_default_tensor_type():
    try:
        for L in (numtorch, torch):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always')
                L.set_default_tensor_type('torch.DoubleTensor')
            if L is numtorch:   # torch warns once per process (an earlier test may have)
                assert 'set_default_tensor_type() is deprecated' in str(w[0].message)
            assert L.ones(1).dtype == L.float64
            L.set_default_tensor_type(L.FloatTensor)
            assert L.ones(1).dtype == L.float32
    finally:
        numtorch.set_default_dtype(numtorch.float32)
        torch.set_default_dtype(torch.float32)


def test_func_functional_call_like_torch():
    lt = torch.nn.Linear(3, 2)
    ln = numtorch.nn.Linear(3, 2)
    ln.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in lt.state_dict().items()})
    w = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    x = np.ones((4, 3), np.float32)
    wt, wn = torch.tensor(w, requires_grad=True), numtorch.tensor(w, requires_grad=True)
    ot = torch.func.functional_call(lt, ({'weight': wt}, {}), (torch.tensor(x),))
    on = numtorch.func.functional_call(ln, ({'weight': wn}, {}), (numtorch.tensor(x),))
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-6)
    ot.pow(2).sum().backward()
    on.pow(2).sum().backward()
    np.testing.assert_allclose(wn.grad.numpy(), wt.grad.numpy(), rtol=1e-5)
    assert ln.weight.grad is None     # the module's own weight was not used
    same_error(lambda L: L.func.functional_call(
        L.nn.Linear(1, 1), ({'weight': L.ones(1, 1)}, {'weight': L.ones(1, 1)}), (L.ones(1, 1),)))
