"""``numtorch.vision.datasets``: MNIST and Fashion-MNIST read from the standard IDX files.

``root`` may hold the four files directly (``train-images-idx3-ubyte.gz`` ...), or in torchvision's
layout ``root/FashionMNIST/raw/``; gzipped or not. Nothing is ever downloaded: ``download=True``
says where to put the files. ``FashionMNIST()`` with no root reads the small sample shipped in the
package (``sample_root()``; 500 training and 100 test images per class).

Like torchvision, a dataset exposes ``.data`` (``N x 28 x 28`` uint8) and ``.targets`` (int64);
``ds[i]`` is ``(image, label)`` with the image a ``28 x 28`` uint8 tensor (where torchvision would
give a PIL image) passed through ``transform``.
"""
import gzip
import os
import struct
import zlib

import numpy as np

from .._ops._apply import wrap
from ..utils.data import Dataset

__all__ = ['MNIST', 'FashionMNIST', 'sample_root', 'read_idx', 'CIFAR10', 'CIFAR100',
           'DatasetFolder', 'ImageFolder', 'FakeData']


def sample_root():
    """The folder of the Fashion-MNIST sample shipped with numtorch.

    >>> from numtorch.vision.datasets import FashionMNIST, sample_root
    >>> len(FashionMNIST(sample_root(), train=False))
    1000
    """
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')


def read_idx(path):
    """An IDX file (``.gz`` or raw) as a NumPy array: ``N x rows x cols`` uint8 images or ``N``
    uint8 labels."""
    try:
        return _read_idx(path)
    except (EOFError, OSError, zlib.error) as e:   # truncated or corrupted gzip, unreadable file
        raise RuntimeError(f'{path}: cannot read it ({type(e).__name__}: {e}); the file is '
                           'truncated or damaged') from e


def _read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        head = f.read(8)
        if len(head) < 8:
            raise RuntimeError(f'{path}: too short to be an IDX file')
        magic, n = struct.unpack('>II', head)
        if magic == 2051:
            shape = (n,) + struct.unpack('>II', f.read(8))
        elif magic == 2049:
            shape = (n,)
        else:
            raise RuntimeError(f'{path}: not an IDX image/label file (magic number {magic})')
        # Read straight into a writable array (np.frombuffer over bytes would be read-only).
        arr = np.empty(shape, np.uint8)
        got = f.readinto(memoryview(arr.reshape(-1)))
        if got != arr.size or f.read(1):
            raise RuntimeError(f'{path}: header says {shape} but the data size differs')
    return arr


class MNIST(Dataset):
    """The MNIST digits, from the IDX files under ``root``.

    >>> from numtorch.vision import datasets, transforms
    >>> ds = datasets.FashionMNIST(train=False, transform=transforms.ToTensor())
    >>> img, label = ds[0]
    >>> img.shape, img.dtype, type(label)
    (torch.Size([1, 28, 28]), torch.float32, <class 'int'>)
    """
    classes = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six',
               '7 - seven', '8 - eight', '9 - nine']

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if root is None:
            raise ValueError(f'{type(self).__name__} needs root: the folder holding the IDX files')
        self.root = os.path.expanduser(str(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = 'train' if train else 't10k'
        names = (f'{split}-images-idx3-ubyte', f'{split}-labels-idx1-ubyte')
        paths = [self._find(n) for n in names]
        if None in paths:
            raise RuntimeError(self._missing(names, download))
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f'{paths[0]} and {paths[1]} do not match: images {images.shape}, '
                               f'labels {labels.shape}')
        self._images = images
        self._labels = labels.astype(np.int64)
        self.data = wrap(images)
        self.targets = wrap(self._labels)

    def _dirs(self):
        name = type(self).__name__
        return [self.root, os.path.join(self.root, name, 'raw'), os.path.join(self.root, name)]

    def _find(self, name):
        for d in self._dirs():
            for candidate in (name + '.gz', name):
                p = os.path.join(d, candidate)
                if os.path.isfile(p):
                    return p
        return None

    def _missing(self, names, download):
        where = ', '.join(self._dirs())
        files = ', '.join(f'{n}.gz' for n in names)
        head = ('numtorch does not download data sets (download=True was given). '
                if download else 'Dataset not found. ')
        return (f'{head}{type(self).__name__}: could not find {files} (gzipped or not) in any of: '
                f'{where}. Put the four IDX files (train-images-idx3-ubyte.gz, '
                'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) '
                f'into {self.root} or {self._dirs()[1]}.')

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img, target = wrap(self._images[index]), int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def _getbatch(self):
        # A whole batch with one fancy-index, when the transforms can run on a stack of images.
        if self.target_transform is not None:
            return None
        t = self.transform
        fn = None if t is None else getattr(t, '_batch', None)
        if t is not None and fn is None:
            return None

        def batch(indices):
            idx = np.asarray(indices, dtype=np.intp)
            imgs = wrap(self._images[idx])
            return [imgs if fn is None else fn(imgs), wrap(self._labels[idx])]
        return batch

    def __repr__(self):
        lines = [f'Dataset {type(self).__name__}', f'    Number of datapoints: {len(self)}',
                 f'    Root location: {self.root}', f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append('    StandardTransform')
            lines.append('Transform: ' + repr(self.transform).replace('\n', '\n           '))
        return '\n'.join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST; ``root=None`` reads the sample shipped with numtorch.

    >>> from numtorch.vision.datasets import FashionMNIST
    >>> ds = FashionMNIST(train=True)
    >>> len(ds), ds.data.shape, ds.classes[ds[0][1]]
    (5000, torch.Size([5000, 28, 28]), 'Pullover')
    """
    classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
               'Sneaker', 'Bag', 'Ankle boot']

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(sample_root() if root is None else root, train, transform,
                         target_transform, download)


from ._folder import (CIFAR10, CIFAR100, DatasetFolder, ImageFolder, FakeData,  # noqa: E402
                      IMG_EXTENSIONS, default_loader)
