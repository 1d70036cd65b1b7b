"""numtorch.vision beyond MNIST: CIFAR (a tiny data set in the real pickled format, and hostile
pickles refused), ImageFolder with real PNG files, FakeData, the augmentation transforms,
make_grid/save_image, and the models: torchvision's parameter names/shapes/counts, and the same
forward/backward as the identical architecture built with torch.nn from the same weights."""
import os
import pickle
import re

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn
from numtorch.vision import datasets, models, transforms, utils

try:
    import PIL.Image as PIL
except ImportError:        # the optional extra numtorch[vision]
    PIL = None
needs_pil = pytest.mark.skipif(PIL is None, reason='Pillow (numtorch[vision]) is not installed')


@pytest.fixture(autouse=True)
def _torch_one_thread():
    """torch's intra-op threads on tiny ops: seconds of spinning on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- datasets
@pytest.mark.parametrize('cls,n_classes', [(datasets.CIFAR10, 10), (datasets.CIFAR100, 100)])
def test_cifar_reads_the_pickled_batches(tmp_path, cls, n_classes):
    folder = cls._write_fake(str(tmp_path), n=6, seed=1)
    train, test = cls(str(tmp_path), train=True), cls(str(tmp_path), train=False)
    n_files = len(cls.train_list)
    assert len(train) == 6 * n_files and len(test) == 6
    assert train.data.shape == (6 * n_files, 32, 32, 3) and train.data.dtype == np.uint8
    assert len(train.classes) == n_classes and train.class_to_idx[train.classes[3]] == 3
    # the layout: rows of 3072 = R plane, G plane, B plane, each 32x32 row-major
    with open(os.path.join(folder, cls.test_list[0]), 'rb') as f:
        raw = pickle.load(f, encoding='latin1')
    np.testing.assert_array_equal(test.data[2][5, 7], raw['data'][2].reshape(3, 32, 32)[:, 5, 7])
    img, label = test[2]
    assert label == raw[cls.labels_key][2] and isinstance(label, int)
    x, _ = cls(str(tmp_path), train=False, transform=transforms.ToTensor())[2]
    assert x.shape == (3, 32, 32)
    np.testing.assert_allclose(x.numpy(), raw['data'][2].reshape(3, 32, 32) / 255, rtol=1e-6)
    assert 'Split: Test' in repr(test)


def test_cifar_missing_and_hostile_pickles(tmp_path):
    with pytest.raises(RuntimeError, match='Dataset not found or corrupted'):
        datasets.CIFAR10(str(tmp_path))
    folder = datasets.CIFAR10._write_fake(str(tmp_path), n=2)

    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))
    with open(os.path.join(folder, 'test_batch'), 'wb') as f:
        pickle.dump({'data': Evil(), 'labels': [0]}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='refuses the global'):
        datasets.CIFAR10(str(tmp_path), train=False)
    with open(os.path.join(folder, 'test_batch'), 'wb') as f:
        pickle.dump({'data': np.array([object()], dtype=object), 'labels': [0]}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='object array'):
        datasets.CIFAR10(str(tmp_path), train=False)


@needs_pil
def test_image_folder_with_pngs(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for cls_name in ('dog', 'cat'):
        os.makedirs(tmp_path / cls_name / 'sub')
        for i in range(2):
            a = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            p = tmp_path / cls_name / ('sub' if i else '') / f'{i}.png'
            PIL.fromarray(a).save(p)
            arrays[str(p)] = a
    (tmp_path / 'cat' / 'notes.txt').write_text('not an image')
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ['cat', 'dog'] and ds.class_to_idx == {'cat': 0, 'dog': 1}
    assert len(ds) == 4 and ds.targets == [0, 0, 1, 1]
    for i, (path, target) in enumerate(ds.samples):
        x, y = ds[i]
        assert y == target and x.shape == (3, 5, 7)
        np.testing.assert_allclose(x.numpy(), arrays[path].transpose(2, 0, 1) / 255, rtol=1e-6)
    raw = datasets.ImageFolder(str(tmp_path))[0][0]
    assert raw.mode == 'RGB' and raw.size == (7, 5)
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='Found no valid file for the classes empty'):
        datasets.ImageFolder(str(tmp_path))


def test_fake_data_is_deterministic_per_index():
    ds = datasets.FakeData(size=4, image_size=(3, 6, 5), num_classes=3,
                           transform=transforms.ToTensor())
    a, la = ds[1]
    b, lb = ds[1]
    assert a.shape == (3, 6, 5) and la == lb and 0 <= la < 3
    assert numtorch.equal(a, b) and not numtorch.equal(a, ds[2][0])
    with pytest.raises(IndexError):
        ds[4]


# --------------------------------------------------------------------------- transforms
def _img(seed=0, shape=(3, 6, 8)):
    return numtorch.tensor(np.random.default_rng(seed).random(shape, dtype=np.float32))


@needs_pil
def test_center_crop_all_input_kinds():
    x = _img()
    out = transforms.CenterCrop((4, 4))(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, 1:5, 2:6])
    hwc = (x.numpy().transpose(1, 2, 0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(transforms.CenterCrop(4)(hwc), hwc[1:5, 2:6])
    pil = PIL.fromarray(hwc)
    got = transforms.CenterCrop(4)(pil)
    assert got.size == (4, 4)
    np.testing.assert_array_equal(np.asarray(got), hwc[1:5, 2:6])
    big = transforms.CenterCrop(10)(x)          # larger than the image: zero padding around
    assert big.shape == (3, 10, 10) and float(big[:, 0].abs().sum()) == 0


def test_random_crop_with_padding_covers_every_offset():
    numtorch.manual_seed(0)
    x = numtorch.arange(16.).reshape(1, 4, 4)
    t = transforms.RandomCrop(4, padding=1)
    seen = set()
    for _ in range(200):
        out = t(x).numpy()[0]
        padded = np.pad(x.numpy()[0], 1)
        hits = [(i, j) for i in range(3) for j in range(3)
                if np.array_equal(padded[i:i + 4, j:j + 4], out)]
        assert hits
        seen.add(hits[0])
    assert len(seen) == 9
    edge = transforms.RandomCrop(6, pad_if_needed=True, padding_mode='edge')(x)
    assert edge.shape == (1, 6, 6)
    with pytest.raises(ValueError, match='larger than input image size'):
        transforms.RandomCrop(5)(x)


def test_flips_and_seeded_reproducibility():
    x = _img(1)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(1.0)(x).numpy(),
                                  x.numpy()[..., ::-1])
    np.testing.assert_array_equal(transforms.RandomVerticalFlip(1.0)(x).numpy(),
                                  x.numpy()[..., ::-1, :])
    assert transforms.RandomHorizontalFlip(0.0)(x) is x
    numtorch.manual_seed(5)
    flips = [transforms.RandomHorizontalFlip()(x) is not x for _ in range(400)]
    assert 150 < sum(flips) < 250
    numtorch.manual_seed(5)
    assert flips == [transforms.RandomHorizontalFlip()(x) is not x for _ in range(400)]


def test_random_resized_crop_params_and_output():
    numtorch.manual_seed(0)
    x = _img(2, (3, 40, 50))
    areas, ratios = [], []
    for _ in range(300):
        i, j, h, w = transforms.RandomResizedCrop.get_params(x, (0.2, 0.8), (0.5, 2.0))
        assert 0 <= i <= 40 - h and 0 <= j <= 50 - w
        areas.append(h * w / 2000)
        ratios.append(w / h)
    assert min(areas) > 0.17 and max(areas) < 0.83 and np.mean(areas) > 0.4
    assert min(ratios) > 0.45 and max(ratios) < 2.2
    out = transforms.RandomResizedCrop((12, 10))(x)
    assert out.shape == (3, 12, 10) and out.dtype == numtorch.float32
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    # the whole image, resized: equal to Resize
    full = transforms.RandomResizedCrop((20, 25), scale=(1.0, 1.0), ratio=(1.25, 1.25))(x)
    np.testing.assert_allclose(full.numpy(), transforms.Resize((20, 25))(x).numpy(), rtol=1e-6)


def test_color_jitter_formulas():
    x = _img(3, (3, 4, 5))
    a = x.numpy()
    gray = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(transforms.ColorJitter(brightness=(0.5, 0.5))(x).numpy(),
                               0.5 * a, rtol=1e-6)
    np.testing.assert_allclose(transforms.ColorJitter(contrast=(0.3, 0.3))(x).numpy(),
                               np.clip(0.3 * a + 0.7 * gray.mean(), 0, 1), rtol=1e-5)
    np.testing.assert_allclose(transforms.ColorJitter(saturation=(0.0, 0.0))(x).numpy(),
                               np.broadcast_to(gray, a.shape), rtol=1e-5, atol=1e-7)
    red = numtorch.zeros(3, 2, 2)
    red[0] = 1.0
    green = transforms.ColorJitter(hue=(1 / 3, 1 / 3))(red).numpy()
    np.testing.assert_allclose(green[:, 0, 0], [0, 1, 0], atol=1e-6)
    u8 = (a.transpose(1, 2, 0) * 255).astype(np.uint8)
    out = transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)(u8)
    assert out.shape == u8.shape and out.dtype == np.uint8
    with pytest.raises(ValueError, match='hue values should be between'):
        transforms.ColorJitter(hue=0.7)


@needs_pil
def test_to_pil_image_and_resize_on_pil():
    x = _img(4, (3, 6, 8))
    pil = transforms.ToPILImage()(x)
    assert pil.size == (8, 6) and pil.mode == 'RGB'
    np.testing.assert_array_equal(np.asarray(pil),
                                  (x.numpy() * 255).astype(np.uint8).transpose(1, 2, 0))
    back = transforms.ToTensor()(pil)
    assert back.shape == (3, 6, 8) and float((back - x).abs().max()) <= 1 / 255 + 1e-6
    small = transforms.Resize((3, 4))(pil)
    assert small.size == (4, 3)
    hwc = np.asarray(pil)
    assert transforms.Resize((3, 4))(hwc).shape == (3, 4, 3)
    gray = transforms.ToPILImage()(numtorch.rand(1, 4, 4))
    assert gray.mode == 'L'


def test_cifar_training_pipeline(tmp_path):
    datasets.CIFAR10._write_fake(str(tmp_path), n=8)
    t = transforms.Compose([transforms.RandomCrop(32, padding=4),
                            transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                            transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    ds = datasets.CIFAR10(str(tmp_path), train=True, transform=t)
    X, y = next(iter(numtorch.utils.data.DataLoader(ds, batch_size=5, shuffle=True)))
    assert X.shape == (5, 3, 32, 32) and X.dtype == numtorch.float32 and y.shape == (5,)


# --------------------------------------------------------------------------- utils
@needs_pil
def test_make_grid_layout_and_save_image(tmp_path):
    b = numtorch.arange(5 * 3 * 2 * 2, dtype=numtorch.float32).reshape(5, 3, 2, 2) / 60
    g = utils.make_grid(b, nrow=3, padding=1, pad_value=0.5)
    assert g.shape == (3, 1 + 2 * 3, 1 + 3 * 3)
    np.testing.assert_array_equal(g.numpy()[:, 1:3, 4:6], b.numpy()[1])
    np.testing.assert_array_equal(g.numpy()[:, 4:6, 4:6], b.numpy()[4])
    assert float(g[0, 0, 0]) == 0.5 and float(g[0, 4, 7]) == 0.5     # padding, empty cell
    gray = utils.make_grid(numtorch.rand(2, 1, 3, 3))
    assert gray.shape == (3, 7, 12)
    norm = utils.make_grid(b * 10 - 3, normalize=True)
    assert abs(float(norm[:, 2:4, 2:4].min())) < 1e-6
    path = tmp_path / 'grid.png'
    utils.save_image(b, str(path), nrow=3, padding=1)
    saved = np.asarray(PIL.open(path))
    want = np.clip(g.numpy() * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    want[0, 0] = saved[0, 0]        # the pad value differs (save_image pads with 0)
    np.testing.assert_array_equal(saved[1:3, 1:3], want[1:3, 1:3])


# --------------------------------------------------------------------------- models
# torchvision's documented parameter counts (num_params in each builder's weights table)
NUM_PARAMS = {'resnet18': 11689512, 'resnet34': 21797672, 'resnet50': 25557032,
              'vgg11': 132863336, 'alexnet': 61100840, 'mobilenet_v2': 3504872}
# spot checks of torchvision's state_dict keys and shapes
KEYS = {
    'resnet18': {'conv1.weight': (64, 3, 7, 7), 'layer2.0.downsample.0.weight': (128, 64, 1, 1),
                 'layer4.1.bn2.running_var': (512,), 'layer1.0.bn1.num_batches_tracked': (),
                 'fc.weight': (1000, 512)},
    'resnet50': {'layer1.0.conv3.weight': (256, 64, 1, 1),
                 'layer1.0.downsample.1.running_mean': (256,),
                 'layer3.5.conv2.weight': (256, 256, 3, 3), 'fc.weight': (1000, 2048)},
    'vgg11': {'features.0.weight': (64, 3, 3, 3), 'features.18.weight': (512, 512, 3, 3),
              'classifier.0.weight': (4096, 25088), 'classifier.6.bias': (1000,)},
    'alexnet': {'features.0.weight': (64, 3, 11, 11), 'features.10.weight': (256, 256, 3, 3),
                'classifier.1.weight': (4096, 9216), 'classifier.6.weight': (1000, 4096)},
    'mobilenet_v2': {'features.0.0.weight': (32, 3, 3, 3), 'features.1.conv.0.0.weight':
                     (32, 1, 3, 3), 'features.1.conv.1.weight': (16, 32, 1, 1),
                     'features.2.conv.0.0.weight': (96, 16, 1, 1),
                     'features.2.conv.1.0.weight': (96, 1, 3, 3),
                     'features.17.conv.2.weight': (320, 960, 1, 1),
                     'features.18.0.weight': (1280, 320, 1, 1), 'classifier.1.weight': (1000, 1280)},
}
N_KEYS = {'resnet18': 122, 'resnet34': 218, 'resnet50': 320, 'vgg11': 22, 'alexnet': 16,
          'mobilenet_v2': 314}


@pytest.fixture
def no_init(monkeypatch):
    """Skip random initialisation (structure only; VGG's 100M-weight init is slow here)."""
    noop = lambda t, *a, **k: t     # noqa: E731
    for name in ('kaiming_normal_', 'kaiming_uniform_', 'normal_', 'constant_', 'uniform_',
                 'zeros_', 'ones_'):
        monkeypatch.setattr(nn.init, name, noop)
    for cls in (nn.Linear, nn.Conv2d):
        monkeypatch.setattr(cls, 'reset_parameters', lambda self: None)


@pytest.mark.parametrize('name', sorted(NUM_PARAMS))
def test_model_names_shapes_and_counts_match_torchvision(name, no_init):
    m = getattr(models, name)()
    sd = m.state_dict()
    assert sum(p.numel() for p in m.parameters()) == NUM_PARAMS[name]
    assert len(sd) == N_KEYS[name]
    for k, shape in KEYS.get(name, {}).items():
        assert tuple(sd[k].shape) == shape, k
    assert all(re.fullmatch(r'[a-z_0-9]+(\.[a-z_0-9]+)*', k) for k in sd)


def test_pretrained_weights_raise_clearly(no_init):
    for call in (lambda: models.resnet18(weights='DEFAULT'),
                 lambda: models.resnet50(weights=models.ResNet50_Weights.DEFAULT),
                 lambda: models.mobilenet_v2(pretrained=True)):
        with pytest.raises(RuntimeError, match='no pretrained weights are available'):
            call()
    assert models.alexnet(pretrained=False, num_classes=3).classifier[6].out_features == 3


def _close(a, b, tol):
    # relative to the largest magnitude: tiny entries are differences of large partial sums
    a, b = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * float(np.abs(b).max()))


def _torch_twin(module_file):
    """The model file executed with torch in place of numtorch: the identical architecture in
    real torch.nn (the files import only ``numtorch as torch``, ``numtorch.nn`` and ``_api``)."""
    src = open(module_file).read()
    src = src.replace('import numtorch as torch', 'import torch').replace(
        'from numtorch import nn', 'from torch import nn').replace(
        'from ._api import', 'from numtorch.vision.models._api import')
    ns = {'__name__': 'twin'}
    exec(compile(src, module_file, 'exec'), ns)
    return ns


@pytest.mark.parametrize('name,module,args,kw,train_mode', [
    ('ResNet', 'resnet', ('BasicBlock', [1, 1, 1, 1]), dict(num_classes=10), True),
    ('ResNet', 'resnet', ('Bottleneck', [1, 1, 1, 1]), dict(num_classes=5), False),
    ('mobilenet_v2', 'mobilenetv2', (), dict(num_classes=7, width_mult=0.35), False),
])
def test_models_forward_backward_match_torch_from_the_same_weights(name, module, args, kw,
                                                                   train_mode):
    import importlib
    mod = importlib.import_module(f'numtorch.vision.models.{module}')
    twin = _torch_twin(mod.__file__)
    numtorch.manual_seed(0)
    ours = getattr(mod, name)(*[getattr(mod, a) if isinstance(a, str) else a for a in args],
                              **kw)
    theirs = twin[name](*[twin[a] if isinstance(a, str) else a for a in args], **kw)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    # float64, so that agreement is checked far below float32 rounding. Train mode (BatchNorm
    # on batch statistics) only where the last maps are 2x2: BatchNorm over the 1x1 maps of two
    # images is ill-conditioned (and MobileNet's dropout draws differ between the libraries).
    ours.double()
    theirs.double()
    size = 48 if train_mode else 32
    x = np.random.default_rng(0).standard_normal((2, 3, size, size))
    for train in ((True, False) if train_mode else (False,)):
        ours.train(train)
        theirs.train(train)
        xo, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        tol = 1e-5 if train else 1e-9
        _close(yo, yt, tol)
        yo.square().sum().backward()
        yt.square().sum().backward()
        _close(xo.grad, xt.grad, tol)
    for (k, p), (k2, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == k2
        _close(p.grad, q.grad, 1e-5 if train_mode else 1e-8)
    # running statistics moved the same way
    for k, v in ours.state_dict().items():
        if 'running' in k:
            np.testing.assert_allclose(v.numpy(), theirs.state_dict()[k].numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=k)


@needs_pil
def test_transforms_functional():
    import numtorch.vision.transforms.functional as TF
    x = _img(5, (3, 6, 8))
    a = x.numpy()
    assert TF.get_image_size(x) == [8, 6]
    np.testing.assert_array_equal(TF.crop(x, 1, 2, 3, 4).numpy(), a[:, 1:4, 2:6])
    np.testing.assert_array_equal(TF.vflip(x).numpy(), a[:, ::-1])
    np.testing.assert_array_equal(TF.pad(x, (1, 2)).numpy(), np.pad(a, ((0, 0), (2, 2), (1, 1))))
    np.testing.assert_allclose(TF.adjust_brightness(x, 0.5).numpy(), 0.5 * a, rtol=1e-6)
    gray = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(TF.adjust_saturation(x, 0.0).numpy()[1], gray, rtol=1e-5)
    np.testing.assert_allclose(TF.adjust_hue(TF.adjust_hue(x, 0.2), -0.2).numpy(), a,
                               atol=1e-5)
    np.testing.assert_allclose(TF.to_tensor(TF.to_pil_image(x)).numpy(), a, atol=1 / 255 + 1e-6)
    assert TF.resized_crop(x, 0, 0, 4, 4, (8, 8)).shape == (3, 8, 8)
    with pytest.raises(ValueError, match='hue_factor'):
        TF.adjust_hue(x, 0.7)
