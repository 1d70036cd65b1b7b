"""``numtorch.vision.models``: torchvision's everyday architectures with its parameter names,
shapes and initialisation, so a torchvision ``state_dict`` loads unchanged. No pretrained
weights: ``weights=None`` (the default) only; asking for weights raises a clear error.

>>> from numtorch.vision import models
>>> m = models.resnet18()
>>> list(m.state_dict())[:3], m.fc.weight.shape
(['conv1.weight', 'bn1.weight', 'bn1.bias'], torch.Size([1000, 512]))
"""
from .resnet import (ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50,
                     ResNet18_Weights, ResNet34_Weights, ResNet50_Weights)
from .vgg import VGG, vgg11, vgg11_bn, VGG11_Weights, VGG11_BN_Weights
from .alexnet import AlexNet, alexnet, AlexNet_Weights
from .mobilenetv2 import MobileNetV2, mobilenet_v2, MobileNet_V2_Weights

__all__ = ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'VGG',
           'vgg11', 'vgg11_bn', 'AlexNet', 'alexnet', 'MobileNetV2', 'mobilenet_v2',
           'ResNet18_Weights', 'ResNet34_Weights', 'ResNet50_Weights', 'VGG11_Weights',
           'VGG11_BN_Weights', 'AlexNet_Weights', 'MobileNet_V2_Weights']
