"""VGG-11 (with and without BatchNorm) with torchvision's module names and initialisation."""
import numtorch as torch
from numtorch import nn

from ._api import WeightsEnum, check_weights

__all__ = ['VGG', 'vgg11', 'vgg11_bn', 'VGG11_Weights', 'VGG11_BN_Weights']

cfgs = {'A': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']}


class VGG(nn.Module):
    """``features`` (a conv stack), 7x7 adaptive average pool, three-layer ``classifier``."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def make_layers(cfg, batch_norm=False):
    """The conv stack for a config list (ints: 3x3 conv channels, 'M': 2x2 max pool)."""
    layers = []
    in_channels = 3
    for v in cfg:
        if v == 'M':
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


VGG11_Weights = WeightsEnum('VGG11_Weights')
VGG11_BN_Weights = WeightsEnum('VGG11_BN_Weights')


def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (config "A"; ``weights`` must be None)."""
    check_weights(weights, 'vgg11', kwargs.pop('pretrained', None))
    return VGG(make_layers(cfgs['A'], batch_norm=False), **kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with BatchNorm (``weights`` must be None)."""
    check_weights(weights, 'vgg11_bn', kwargs.pop('pretrained', None))
    return VGG(make_layers(cfgs['A'], batch_norm=True), **kwargs)
