"""numtorch.vision: IDX datasets (the shipped sample and torchvision's folder layouts),
transforms against torch's own arithmetic, and the batched fast path."""
import gzip
import os
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import numtorch
from numtorch.utils.data import DataLoader, default_collate
from numtorch.vision import datasets, transforms

SHARED = '/work/shared/data/fashion-mnist'


def test_shipped_sample_is_small_balanced_and_readable():
    root = datasets.sample_root()
    files = sorted(f for f in os.listdir(root) if f.endswith('.gz'))
    assert files == ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
                     'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']
    assert sum(os.path.getsize(os.path.join(root, f)) for f in files) <= 3_000_000
    assert os.path.isfile(os.path.join(root, 'README.md'))
    for train, n in ((True, 5000), (False, 1000)):
        ds = datasets.FashionMNIST(train=train)
        assert len(ds) == n
        assert ds.data.shape == (n, 28, 28) and ds.data.dtype == numtorch.uint8
        assert ds.targets.dtype == numtorch.int64
        assert np.bincount(ds.targets.numpy()).tolist() == [n // 10] * 10
    assert datasets.FashionMNIST.classes[9] == 'Ankle boot'


@pytest.mark.skipif(not os.path.isdir(SHARED), reason='full Fashion-MNIST not present')
def test_sample_is_drawn_from_the_full_data():
    full = datasets.FashionMNIST(SHARED, train=False)
    sample = datasets.FashionMNIST(train=False)
    assert len(full) == 10000
    # the sample keeps the first 100 test images of each class, in file order
    keep = np.sort(np.concatenate([np.flatnonzero(full.targets.numpy() == c)[:100]
                                   for c in range(10)]))
    assert np.array_equal(sample.data.numpy(), full.data.numpy()[keep])
    assert np.array_equal(sample.targets.numpy(), full.targets.numpy()[keep])


def test_item_and_transforms():
    ds = datasets.FashionMNIST(train=False)
    img, label = ds[3]
    assert isinstance(label, int) and img.shape == (28, 28) and img.dtype == numtorch.uint8
    t = datasets.FashionMNIST(train=False, transform=transforms.ToTensor(),
                              target_transform=lambda y: y + 100)
    x, y = t[3]
    assert y == label + 100
    ref = torch.from_numpy(img.numpy()).to(torch.float32).div(255)[None]
    assert x.dtype == numtorch.float32 and np.array_equal(x.numpy(), ref.numpy())
    assert 'Number of datapoints: 1000' in repr(t) and 'Split: Test' in repr(t)


def test_torchvision_layouts_and_errors(tmp_path):
    src = datasets.sample_root()
    raw = tmp_path / 'FashionMNIST' / 'raw'
    raw.mkdir(parents=True)
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        with gzip.open(os.path.join(src, name + '.gz'), 'rb') as f, open(raw / name, 'wb') as g:
            shutil.copyfileobj(f, g)     # torchvision's layout, decompressed
    ds = datasets.FashionMNIST(str(tmp_path), train=False)
    assert np.array_equal(ds.data.numpy(), datasets.FashionMNIST(train=False).data.numpy())
    with pytest.raises(RuntimeError, match=r'(?s)does not download.*train-images-idx3-ubyte'):
        datasets.FashionMNIST(str(tmp_path), train=True, download=True)
    with pytest.raises(RuntimeError, match='Dataset not found'):
        datasets.MNIST(str(tmp_path))
    bad = tmp_path / 'bad'
    bad.mkdir()
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        (bad / name).write_bytes(b'\x00\x00\x00\x07' + b'\x00' * 12)
    with pytest.raises(RuntimeError, match='magic number 7'):
        datasets.MNIST(str(bad), train=False)


def test_to_tensor_shapes_and_dtypes():
    hwc = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    x = transforms.ToTensor()(hwc)
    assert x.shape == (3, 4, 5)
    np.testing.assert_array_equal(x.numpy(), torch.from_numpy(hwc).permute(2, 0, 1).float().div(255).numpy())
    f = transforms.ToTensor()(np.ones((2, 2), np.float64))
    assert f.dtype == numtorch.float64 and f.shape == (1, 2, 2)    # non-uint8 keeps its values
    with pytest.raises(ValueError, match='2/3 dimensional'):
        transforms.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_and_compose():
    x = np.random.default_rng(1).random((3, 4, 4)).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)
    got = transforms.Normalize(mean, std)(numtorch.tensor(x))
    want = (torch.tensor(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match='float tensor'):
        transforms.Normalize(mean, std)(numtorch.zeros(3, 2, 2, dtype=numtorch.uint8))
    with pytest.raises(ValueError, match='std evaluated to zero'):
        transforms.Normalize([0.], [0.])(numtorch.zeros(1, 2, 2))
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    out = t(np.full((2, 2), 255, np.uint8))
    assert out.tolist() == [[[1.0, 1.0], [1.0, 1.0]]]
    assert 'ToTensor()' in repr(t)


@pytest.mark.parametrize('antialias', [True, False])
@pytest.mark.parametrize('size,mode', [((5, 7), 'bilinear'), ((12, 9), 'bilinear'), ((56, 56), 'bilinear'),
                                       ((3, 3), 'nearest'), ((13, 17), 'nearest'),
                                       ((1, 1), 'bilinear'), ((7, 2), 'bilinear')])
def test_resize_matches_torch_interpolate(size, mode, antialias):
    # torchvision's Resize antialiases by default when it shrinks a tensor
    x = np.random.default_rng(2).random((2, 3, 8, 6)).astype(np.float32)
    got = transforms.Resize(size, interpolation=mode, antialias=antialias)(numtorch.tensor(x))
    kw = dict(align_corners=False, antialias=antialias) if mode == 'bilinear' else {}
    want = F.interpolate(torch.tensor(x), size=size, mode=mode, **kw)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_int_uint8_and_aspect():
    img = np.random.default_rng(3).integers(0, 256, (28, 14), dtype=np.uint8)
    out = transforms.Resize(56)(img)
    assert out.shape == (112, 56) and out.dtype == numtorch.uint8
    ref = F.interpolate(torch.from_numpy(img)[None, None].float(), size=(112, 56), mode='bilinear',
                        align_corners=False).round().clamp(0, 255).to(torch.uint8)[0, 0]
    assert np.abs(out.numpy().astype(int) - ref.numpy().astype(int)).max() <= 1
    assert transforms.Resize(28)(img).shape == (56, 28)


@pytest.mark.parametrize('transform', [
    None,
    transforms.ToTensor(),
    transforms.Compose([transforms.Resize(32), transforms.ToTensor(),
                        transforms.Normalize((0.286,), (0.353,))]),
])
def test_batched_fast_path_equals_per_item(transform):
    ds = datasets.FashionMNIST(train=False, transform=transform)
    idx = [7, 0, 999, 500, 3]
    fast = ds._getbatch(idx)
    slow = default_collate([ds[i] for i in idx])
    assert fast[0].shape == slow[0].shape and fast[0].dtype == slow[0].dtype
    np.testing.assert_allclose(fast[0].numpy(), slow[0].numpy(), rtol=1e-6, atol=1e-7)
    assert fast[1].tolist() == slow[1].tolist() and fast[1].dtype == numtorch.int64
    # the DataLoader goes through it and yields D2L's shapes
    X, y = next(iter(DataLoader(ds, batch_size=256, shuffle=True)))
    assert X.shape[0] == 256 and y.shape == (256,)


def test_lambda_transform_disables_fast_path_but_works():
    ds = datasets.FashionMNIST(train=False, transform=transforms.Lambda(lambda im: im.float() / 2))
    assert ds._getbatch is None
    X, y = next(iter(DataLoader(ds, batch_size=4)))
    assert X.shape == (4, 28, 28) and X.dtype == numtorch.float32
