"""``CIFAR10``/``CIFAR100`` (the pickled "python version" batches, read with a restricted
unpickler), ``DatasetFolder``/``ImageFolder`` (Pillow decodes the files) and ``FakeData``.

Images come back as ``H x W x C`` uint8 NumPy arrays where torchvision gives PIL images (CIFAR,
FakeData) -- every numtorch transform and ``ToTensor`` accepts both -- and as PIL images from
``ImageFolder``'s default loader, as torchvision's.
"""
import io
import os
import pickle

import numpy as np

from ..utils.data import Dataset

__all__ = ['CIFAR10', 'CIFAR100', 'DatasetFolder', 'ImageFolder', 'FakeData',
           'IMG_EXTENSIONS', 'default_loader', 'pil_loader', 'safe_unpickle']


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('this numtorch.vision feature needs Pillow: pip install numtorch[vision] '
                          '(or pip install pillow)') from None
    return Image


# --------------------------------------------------------------------------- safe unpickling
def _make_dtype(*args):
    dt = np.dtype(*args)
    if dt.hasobject:
        raise pickle.UnpicklingError('refusing a NumPy object array in a data-set pickle')
    return dt


def _reconstruct(cls, shape, dtype):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError(f'refusing to rebuild {cls!r} (only numpy.ndarray)')
    return np.ndarray.__new__(np.ndarray, shape, _make_dtype(dtype))


def _encode(text, encoding='utf-8'):
    # how protocol-2 pickles written by Python 3 carry bytes: _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError('refusing _codecs.encode other than str -> latin1 bytes')
    return text.encode('latin1')


_SAFE_GLOBALS = {
    ('_codecs', 'encode'): _encode,
    ('numpy.core.multiarray', '_reconstruct'): _reconstruct,
    ('numpy._core.multiarray', '_reconstruct'): _reconstruct,
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): _make_dtype,
}


class _SafeUnpickler(pickle.Unpickler):
    """Only NumPy arrays (no object dtype) and plain containers/strings/numbers: any other global
    in the file raises ``UnpicklingError`` before anything could be called."""

    def find_class(self, module, name):
        try:
            return _SAFE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f'numtorch.vision refuses the global {module}.{name} in a data-set pickle '
                '(only NumPy arrays are allowed)') from None


def safe_unpickle(path):
    """Load a CIFAR-style pickle (Python 2 ``str`` decoded as latin-1, as torchvision does),
    allowing NumPy arrays and builtin containers only."""
    with open(path, 'rb') as f:
        return _SafeUnpickler(io.BytesIO(f.read()), encoding='latin1').load()


# --------------------------------------------------------------------------- CIFAR
class CIFAR10(Dataset):
    """CIFAR-10 from ``root/cifar-10-batches-py`` (the standard pickled batches; nothing is
    downloaded). ``ds[i]`` is ``(32 x 32 x 3 uint8 array, int)`` through the transforms.

    >>> import os, tempfile, numpy as np
    >>> from numtorch.vision.datasets import CIFAR10
    >>> root = tempfile.mkdtemp(); _ = CIFAR10._write_fake(root, n=4)
    >>> ds = CIFAR10(root, train=False)
    >>> len(ds), ds.data.shape, ds[0][0].dtype, ds.classes[0]
    (4, (4, 32, 32, 3), dtype('uint8'), 'airplane')
    """
    base_folder = 'cifar-10-batches-py'
    train_list = [f'data_batch_{i}' for i in range(1, 6)]
    test_list = ['test_batch']
    meta = {'filename': 'batches.meta', 'key': 'label_names'}
    labels_key = 'labels'

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(str(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        folder = os.path.join(self.root, self.base_folder)
        files = self.train_list if train else self.test_list
        paths = [os.path.join(folder, f) for f in files]
        if not all(os.path.isfile(p) for p in paths + [os.path.join(folder, self.meta['filename'])]):
            raise RuntimeError(
                'Dataset not found or corrupted. numtorch does not download data sets: put the '
                f'extracted {self.base_folder} folder (the "python version" archive) into '
                f'{self.root}')
        data, targets = [], []
        for p in paths:
            entry = safe_unpickle(p)
            data.append(np.asarray(entry['data'], dtype=np.uint8))
            targets.extend(entry['labels'] if 'labels' in entry else entry['fine_labels'])
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.targets = [int(t) for t in targets]
        meta = safe_unpickle(os.path.join(folder, self.meta['filename']))
        self.classes = list(meta[self.meta['key']])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def __repr__(self):
        lines = [f'Dataset {type(self).__name__}', f'    Number of datapoints: {len(self)}',
                 f'    Root location: {self.root}', '    ' + self.extra_repr()]
        if self.transform is not None:
            lines.append('    StandardTransform')
            lines.append('Transform: ' + repr(self.transform).replace('\n', '\n           '))
        return '\n'.join(lines)

    @classmethod
    def _write_fake(cls, root, n=10, seed=0):
        """Write a tiny data set in the real on-disk format (tests and doctests)."""
        rng = np.random.default_rng(seed)
        folder = os.path.join(root, cls.base_folder)
        os.makedirs(folder, exist_ok=True)
        n_classes = 10 if cls.labels_key == 'labels' else 100
        for name in cls.train_list + cls.test_list:
            entry = {'data': rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                     cls.labels_key: [int(v) for v in rng.integers(0, n_classes, n)],
                     'filenames': [f'img_{i}.png' for i in range(n)]}
            with open(os.path.join(folder, name), 'wb') as f:
                pickle.dump(entry, f, protocol=2)
        names = (['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
                  'ship', 'truck'] if n_classes == 10 else [f'class{i}' for i in range(100)])
        with open(os.path.join(folder, cls.meta['filename']), 'wb') as f:
            pickle.dump({cls.meta['key']: names}, f, protocol=2)
        return folder


class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels) from ``root/cifar-100-python``.

    >>> import tempfile
    >>> from numtorch.vision.datasets import CIFAR100
    >>> root = tempfile.mkdtemp(); _ = CIFAR100._write_fake(root, n=3)
    >>> len(CIFAR100(root)), len(CIFAR100(root).classes)
    (3, 100)
    """
    base_folder = 'cifar-100-python'
    train_list = ['train']
    test_list = ['test']
    meta = {'filename': 'meta', 'key': 'fine_label_names'}
    labels_key = 'fine_labels'


# --------------------------------------------------------------------------- folders
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def pil_loader(path):
    """Open an image file as an RGB PIL image (needs Pillow)."""
    Image = _pil_image()
    with open(path, 'rb') as f:
        img = Image.open(f)
        return img.convert('RGB')


default_loader = pil_loader


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else
                                     tuple(extensions))


class DatasetFolder(Dataset):
    """Samples in ``root/<class>/**/<file>``, loaded with ``loader``; classes sorted by name.

    >>> import os, tempfile
    >>> from numtorch.vision.datasets import DatasetFolder
    >>> root = tempfile.mkdtemp()
    >>> for c in ('b', 'a'):
    ...     os.makedirs(os.path.join(root, c)); open(os.path.join(root, c, 'x.txt'), 'w').close()
    >>> ds = DatasetFolder(root, loader=lambda p: p[-5:], extensions=('.txt',))
    >>> ds.classes, ds[1]
    (['a', 'b'], ('x.txt', 1))
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        self.root = os.path.expanduser(str(root))
        self.transform = transform
        self.target_transform = target_transform
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def find_classes(directory):
        """The sorted class folder names and their indices."""
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {c: i for i, c in enumerate(classes)}

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        """``[(path, class_index)]`` for every valid file under each class folder."""
        both_none = extensions is None and is_valid_file is None
        if both_none or (extensions is not None and is_valid_file is not None):
            raise ValueError('Both extensions and is_valid_file cannot be None or not None at '
                             'the same time')
        if extensions is not None:
            def is_valid_file(x):
                return has_file_allowed_extension(x, extensions)
        instances, available = [], set()
        for target_class in sorted(class_to_idx):
            idx = class_to_idx[target_class]
            target_dir = os.path.join(directory, target_class)
            for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
                for fname in sorted(fnames):
                    path = os.path.join(root, fname)
                    if is_valid_file(path):
                        instances.append((path, idx))
                        available.add(target_class)
        empty = set(class_to_idx) - available
        if empty and not allow_empty:
            msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
            if extensions is not None:
                exts = extensions if isinstance(extensions, str) else ', '.join(extensions)
                msg += f'Supported extensions are: {exts}'
            raise FileNotFoundError(msg)
        return instances

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/<file>`` (decoded by Pillow: ``pip install numtorch[vision]``)."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples


class FakeData(Dataset):
    """Random images (``image_size`` C x H x W, returned as H x W x C uint8 arrays) with random
    labels, the same for an index every time (seeded by ``index + random_offset``).

    >>> from numtorch.vision.datasets import FakeData
    >>> ds = FakeData(size=5, image_size=(3, 8, 8))
    >>> len(ds), ds[0][0].shape, ds[0][0].dtype, (ds[2][0] == ds[2][0]).all()
    (5, (8, 8, 3), dtype('uint8'), np.True_)
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.transform = transform
        self.target_transform = target_transform
        self.random_offset = random_offset

    def __getitem__(self, index):
        import numtorch
        if index >= len(self):
            raise IndexError(f'{type(self).__name__} index out of range')
        with numtorch.random.fork_rng():
            numtorch.manual_seed(index + self.random_offset)
            img = numtorch.randn(*self.image_size)
            target = int(numtorch.randint(0, self.num_classes, size=(1,), dtype=numtorch.long)[0])
        # torchvision: ToPILImage()(img) on a float tensor, i.e. mul(255).byte()
        arr = (img.mul(255)._data.astype(np.int64) % 256).astype(np.uint8)
        arr = arr.transpose(1, 2, 0) if arr.ndim == 3 else arr
        if self.transform is not None:
            arr = self.transform(arr)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return arr, target

    def __len__(self):
        return self.size
