"""Names older and everyday scripts use (issue 13 audit): nn.DataParallel on a GPU-less machine,
autograd.Variable, lr_scheduler._LRScheduler subclasses, Tensor.layout, the in-place functional
activations, deprecated F.upsample*, nn.UpsamplingBilinear2d — against torch 2.13."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error


def _copy(mt, mn):
    mn.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})


def test_data_parallel_like_torch_without_gpus():
    lt = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ln = numtorch.nn.Sequential(numtorch.nn.Linear(3, 4), numtorch.nn.ReLU(),
                                numtorch.nn.Linear(4, 2))
    _copy(lt, ln)
    pt, pn = torch.nn.DataParallel(lt), numtorch.nn.DataParallel(ln, device_ids=[0])
    assert list(pn.state_dict()) == list(pt.state_dict())
    assert repr(pn) == repr(pt) and pn.device_ids == pt.device_ids == []
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ot, on = pt(torch.tensor(x)), pn(numtorch.tensor(x))
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    ot.sum().backward()
    on.sum().backward()
    np.testing.assert_allclose(pn.module[0].weight.grad.numpy(), pt.module[0].weight.grad.numpy(),
                               rtol=1e-5, atol=1e-6)
    # the usual checkpoint dance: save model.module.state_dict(), load into the bare model
    pn.module.load_state_dict(ln.state_dict())


def test_variable():
    for L in (numtorch, torch):
        x = L.ones(2)
        v = L.autograd.Variable(x, requires_grad=True)
        assert v.requires_grad and v is not x and isinstance(x, L.autograd.Variable)
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0]
        w = L.autograd.Variable(x * 2)
        assert not w.requires_grad and w.grad_fn is None
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter('always')
            L.autograd.Variable(x, volatile=True)
        assert 'volatile was removed' in str(rec[0].message)
    x = numtorch.ones(2)
    v = numtorch.autograd.Variable(x)
    v.add_(1)
    assert x.tolist() == [2.0, 2.0]          # shares memory, as torch's
    same_error(lambda L: L.autograd.Variable([1, 2]))
    same_error(lambda L: L.autograd.Variable(L.ones(1, dtype=L.long), requires_grad=True))


def test_old_style_lr_scheduler_subclass():
    lrs = {}
    for L in (numtorch, torch):
        class Warmup(L.optim.lr_scheduler._LRScheduler):
            def __init__(self, optimizer, warmup, last_epoch=-1):
                self.warmup = warmup
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                return [base * min(1.0, (self.last_epoch + 1) / self.warmup)
                        for base in self.base_lrs]
        opt = L.optim.SGD([L.nn.Parameter(L.ones(1))], lr=0.1)
        s = Warmup(opt, 4)
        seq = [opt.param_groups[0]['lr']]
        for _ in range(5):
            opt.step()
            s.step()
            seq.append(opt.param_groups[0]['lr'])
        assert isinstance(s, L.optim.lr_scheduler.LRScheduler)
        lrs[L] = seq
    np.testing.assert_allclose(lrs[numtorch], lrs[torch], rtol=1e-12)


def test_layout():
    for L in (numtorch, torch):
        assert L.ones(2).layout == L.strided
        assert repr(L.ones(2).layout) == 'torch.strided'


@pytest.mark.parametrize('name,args', [('elu_', (0.7,)), ('leaky_relu_', (0.2,)),
                                       ('hardtanh_', (-0.5, 0.4)), ('threshold_', (0.1, -2.0))])
def test_inplace_functional_activations(name, args):
    x = np.random.default_rng(1).standard_normal((3, 4))
    res = {}
    for L in (numtorch, torch):
        leaf = L.tensor(x, requires_grad=True)
        y = leaf * 1
        out = getattr(L.nn.functional, name)(y, *args)
        assert out is y
        (y * L.tensor(x)).sum().backward()
        res[L] = y.detach().numpy(), leaf.grad.numpy()
    for a, b in zip(res[numtorch], res[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    same_error(lambda L: getattr(L.nn.functional, name)(L.ones(2, requires_grad=True), *args))


def test_deprecated_upsample_and_bilinear_module():
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4)).astype(np.float32)
    for name, kw in (('upsample', dict(scale_factor=2)),
                     ('upsample', dict(size=(5, 7), mode='bilinear', align_corners=False)),
                     ('upsample_bilinear', dict(scale_factor=2))):
        res = []
        for L in (numtorch, torch):
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter('always')
                res.append(getattr(L.nn.functional, name)(L.tensor(x), **kw).numpy())
            assert f'`nn.functional.{name}` is deprecated' in str(rec[0].message)
        np.testing.assert_allclose(res[0], res[1], rtol=1e-5, atol=1e-6)
    mt, mn = torch.nn.UpsamplingBilinear2d(size=(4, 6)), numtorch.nn.UpsamplingBilinear2d(size=(4, 6))
    assert repr(mn) == repr(mt)
    np.testing.assert_allclose(mn(numtorch.tensor(x)).numpy(), mt(torch.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_import_paths_custom_layers_use():
    # private-but-stable import paths real layer code uses
    from numtorch.nn.modules.utils import _pair, _single, _triple, _quadruple, _reverse_repeat_tuple
    import torch.nn.modules.utils as tu
    for n, f in (('_pair', _pair), ('_single', _single), ('_triple', _triple),
                 ('_quadruple', _quadruple)):
        for a in (3, (1, 2), [4]):
            assert f(a) == getattr(tu, n)(a)
    assert _reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)
    from numtorch.nn.common_types import _size_2_t  # noqa: F401
    from numtorch.types import Number  # noqa: F401
    from numtorch.utils.hooks import RemovableHandle
    h = numtorch.nn.Linear(1, 1).register_forward_hook(lambda *a: None)
    assert isinstance(h, RemovableHandle)
    from numtorch.utils.data._utils.collate import default_collate
    assert default_collate([numtorch.ones(2), numtorch.zeros(2)]).shape == (2, 2)
    from numtorch.autograd.function import once_differentiable
    res = {}
    for L in (numtorch, torch):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            @(once_differentiable if L is numtorch else torch.autograd.function.once_differentiable)
            def backward(ctx, g):
                x, = ctx.saved_tensors
                assert not L.is_grad_enabled()
                return 3 * x ** 2 * g
        x = L.tensor([1., 2.], requires_grad=True)
        Cube.apply(x).sum().backward()
        res[L] = x.grad.tolist()
    assert res[numtorch] == res[torch]
