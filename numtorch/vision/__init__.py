"""``numtorch.vision``: torchvision's everyday parts -- ``datasets`` (MNIST, Fashion-MNIST,
CIFAR-10/100, ImageFolder, FakeData), ``transforms``, ``models`` (ResNet-18/34/50, VGG-11,
AlexNet, MobileNetV2) and ``utils`` (``make_grid``, ``save_image``).

``import numtorch.vision as torchvision`` (or ``from numtorch.vision import datasets,
transforms``) stands in for torchvision.

>>> from numtorch.vision import datasets, transforms
>>> ds = datasets.FashionMNIST(train=False, transform=transforms.ToTensor())
>>> ds[0][0].shape
torch.Size([1, 28, 28])
"""
from . import datasets, transforms, utils, models

__all__ = ['datasets', 'transforms', 'utils', 'models']
