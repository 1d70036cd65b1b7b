"""Pretrained-weights stand-ins: numtorch ships no weights and never downloads, so asking for any
(``weights=...``, ``pretrained=True``) raises a clear error; ``weights=None`` builds the
architecture with torchvision's initialisation."""

__all__ = ['WeightsEnum', 'check_weights']


class _Entry:
    def __init__(self, enum, name):
        self._enum, self._name = enum, name

    def __repr__(self):
        return f'{self._enum}.{self._name}'

    def get_state_dict(self, *args, **kwargs):
        """Always raises: numtorch has no pretrained weights."""
        check_weights(self, self._enum)


class WeightsEnum:
    """``ResNet18_Weights.DEFAULT`` and friends exist so scripts import and name them; using one
    raises the offline error."""

    def __init__(self, name):
        self._name = name
        for entry in ('DEFAULT', 'IMAGENET1K_V1', 'IMAGENET1K_V2'):
            setattr(self, entry, _Entry(name, entry))

    def __repr__(self):
        return self._name

    def verify(self, obj):
        return obj


def check_weights(weights, builder, pretrained=None):
    """Raise unless no weights were asked for."""
    if weights is None and not pretrained:
        return
    raise RuntimeError(
        f'numtorch.vision.models: no pretrained weights are available for {builder} '
        '(numtorch works offline and ships no weights). Build it with weights=None, then load '
        'weights you have: model.load_state_dict(numtorch.load(path)) -- a torchvision '
        'state_dict loads unchanged.')
