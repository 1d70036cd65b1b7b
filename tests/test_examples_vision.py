"""The VAE, DCGAN, ResNet-18 (32x32) and time-series (LSTMCell + L-BFGS) examples run unchanged on
numtorch and on PyTorch: the same file (its one ``import numtorch as torch`` line swapped for
``import torch``), the same initial weights (torch's, loaded into numtorch) and the same
NumPy-drawn batches give the same losses to float32 (float64 for the time series) rounding."""
import os
import re
import types

import numpy as np
import pytest
import torch  # noqa: F401

import numtorch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r'^import numtorch as torch\b', re.M)


@pytest.fixture(autouse=True)
def _torch_one_thread():
    """torch's intra-op threads on tiny ops: seconds of spinning on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def load_example(name, fw):
    """The example module compiled against ``fw`` (as tests/test_examples_rnn.py does, inside
    the ``numtorch.examples`` package so its NumPy-only data helper imports)."""
    path = os.path.join(REPO, 'numtorch', 'examples', name + '.py')
    with open(path, encoding='utf-8') as f:
        src = f.read()
    assert len(LINE.findall(src)) == 1, 'the example must have exactly one framework line'
    if fw == 'torch':
        src = LINE.sub('import torch', src)
    mod = types.ModuleType(f'numtorch.examples._twin_{name}_{fw}')
    mod.__file__, mod.__package__ = path, 'numtorch.examples'
    exec(compile(src, path, 'exec'), mod.__dict__)
    return mod


def _copy(model_t, model_n):
    model_n.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                             for k, v in model_t.state_dict().items()})


def _same_weights_after(model_t, model_n):
    for (k, a), (k2, b) in zip(model_t.state_dict().items(), model_n.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=k)


def test_vae_same_losses_as_torch():
    tm, nm = load_example('vae', 'torch'), load_example('vae', 'numtorch')
    tm.torch.manual_seed(0)
    images, _ = nm.load_fashion(train=False)
    mt, mn = tm.VAE(hidden=32, latent=4), nm.VAE(hidden=32, latent=4)
    _copy(mt, mn)
    kw = dict(batch_size=16, lr=1e-3, seed=0)
    lt, ln = tm.train(mt, images, 3, **kw), nm.train(mn, images, 3, **kw)
    np.testing.assert_allclose(ln, lt, rtol=2e-5)
    _same_weights_after(mt, mn)
    assert nm.reconstruction_error(mn, images[:20]) == pytest.approx(
        tm.reconstruction_error(mt, images[:20]), rel=1e-4)


def test_dcgan_same_losses_as_torch():
    tm, nm = load_example('dcgan', 'torch'), load_example('dcgan', 'numtorch')
    tm.torch.manual_seed(0)
    images, _ = nm.load_fashion(train=False)
    gt, dt = tm.Generator(nz=8, ngf=8), tm.Discriminator(ndf=8)
    gt.apply(tm.weights_init)
    dt.apply(tm.weights_init)
    gn, dn = nm.Generator(nz=8, ngf=8), nm.Discriminator(ndf=8)
    _copy(gt, gn)
    _copy(dt, dn)
    kw = dict(batch_size=8, lr=2e-4, seed=0)
    ht, hn = tm.train(gt, dt, images, 3, **kw), nm.train(gn, dn, images, 3, **kw)
    np.testing.assert_allclose(np.array(hn), np.array(ht), rtol=3e-5, atol=1e-6)
    _same_weights_after(gt, gn)      # BatchNorm running statistics included


def test_resnet_cifar_same_losses_as_torch():
    tm, nm = load_example('resnet_cifar', 'torch'), load_example('resnet_cifar', 'numtorch')
    tm.torch.manual_seed(0)
    images, labels = nm.load_fashion(train=False)
    x = nm.make_images(images[:64], labels[:64])
    kw = dict(batch_size=8, lr=0.05, seed=0)
    # float32: two steps agree to rounding; later steps of this tiny, high-lr net amplify
    # rounding (torch's own float32 run drifts 4e-3 from its float64 run by step 3) ...
    mt, mn = tm.ResNet18(10, width=4), nm.ResNet18(10, width=4)
    _copy(mt, mn)
    lt, ln = tm.train(mt, x, labels[:64], 2, **kw), nm.train(mn, x, labels[:64], 2, **kw)
    np.testing.assert_allclose(ln, lt, rtol=2e-5, atol=1e-6)
    assert nm.accuracy(mn, x[:16], labels[:16]) == tm.accuracy(mt, x[:16], labels[:16])
    # ... so the longer run is compared in float64, where it agrees to 1e-9
    mt, mn = tm.ResNet18(10, width=4).double(), nm.ResNet18(10, width=4).double()
    _copy(mt, mn)
    x = x.astype(np.float64)
    lt, ln = tm.train(mt, x, labels[:64], 4, **kw), nm.train(mn, x, labels[:64], 4, **kw)
    np.testing.assert_allclose(ln, lt, rtol=1e-9)


def test_timeseries_lbfgs_same_losses_as_torch():
    tm, nm = load_example('timeseries', 'torch'), load_example('timeseries', 'numtorch')
    tm.torch.manual_seed(0)
    data = nm.make_waves(5, 14)
    mt, mn = tm.Sequence(hidden=5).double(), nm.Sequence(hidden=5).double()
    _copy(mt, mn)
    # one L-BFGS step = up to 20 closure evaluations with line steps; the test loss is after it
    (lt, tt), (ln, tn) = tm.train(mt, data, 1, future=3), nm.train(mn, data, 1, future=3)
    np.testing.assert_allclose(ln, lt, rtol=1e-9)
    np.testing.assert_allclose(tn, tt, rtol=1e-8)
    _same_weights_after(mt, mn)


@pytest.mark.parametrize('name,argv', [
    ('vae', ['--steps', '2', '--hidden', '16', '--latent', '2', '--batch-size', '8']),
    ('dcgan', ['--steps', '2', '--nz', '4', '--width', '4', '--batch-size', '4']),
    ('resnet_cifar', ['--steps', '2', '--width', '2', '--batch-size', '4', '--test-size', '8']),
    ('timeseries', ['--steps', '1', '--waves', '4', '--length', '12', '--hidden', '4',
                    '--future', '3'])])
def test_examples_main_runs(name, argv, capsys):
    import importlib
    importlib.import_module(f'numtorch.examples.{name}').main(argv)
    assert 'loss' in capsys.readouterr().out
