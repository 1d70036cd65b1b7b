"""``numtorch.vision``: the parts of torchvision D2L's Fashion-MNIST chapters use.

``from numtorch.vision import datasets, transforms`` stands in for
``from torchvision import datasets, transforms``.

>>> from numtorch.vision import datasets, transforms
>>> ds = datasets.FashionMNIST(train=False, transform=transforms.ToTensor())
>>> ds[0][0].shape
torch.Size([1, 28, 28])
"""
from . import datasets, transforms

__all__ = ['datasets', 'transforms']
