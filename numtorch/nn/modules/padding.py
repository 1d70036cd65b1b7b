"""Padding layers: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``, ``ReplicationPad*``,
``CircularPad*`` (1-D, 2-D, 3-D), thin wrappers over ``F.pad`` with torch's attributes
(``padding`` as a ``2*n`` tuple in ``F.pad``'s order, last dim first) and repr."""
from .. import functional as F
from .module import Module


def _expand(padding, n):
    """An int -> ``2*n`` copies; a tuple is taken as given (``F.pad``'s order)."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * n:
            raise ValueError(f'Padding length must be {2 * n}, got {len(padding)}')
        return tuple(padding)
    return (padding,) * (2 * n)


class _ConstantPadNd(Module):
    _n = None

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _expand(padding, self._n)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, 'constant', self.value)

    def extra_repr(self):
        return f'padding={self.padding}, value={self.value}'


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ConstantPad1d(1, 3.5)(numtorch.zeros(1, 2))
    tensor([[3.5000, 0.0000, 0.0000, 3.5000]])
    """
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``; ``padding`` = (left, right, top, bottom).

    >>> from numtorch import nn
    >>> nn.ConstantPad2d((1, 0, 2, 0), 1.0)
    ConstantPad2d(padding=(1, 0, 2, 0), value=1.0)
    """
    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ConstantPad3d(1, 0.0)(numtorch.zeros(1, 1, 1, 1)).shape
    torch.Size([1, 3, 3, 3])
    """
    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ZeroPad1d((1, 2))(numtorch.ones(1, 1))
    tensor([[0., 1., 0., 0.]])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f'{self.padding}'


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros.

    >>> from numtorch import nn
    >>> nn.ZeroPad2d((1, 1, 2, 0))
    ZeroPad2d((1, 1, 2, 0))
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f'{self.padding}'


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros.

    >>> from numtorch import nn
    >>> nn.ZeroPad3d(1)
    ZeroPad3d((1, 1, 1, 1, 1, 1))
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f'{self.padding}'


class _ModePadNd(Module):
    _n = _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f'{self.padding}'


def _mode_pad(name, n, mode, doc):
    cls = type(name, (_ModePadNd,), {'_n': n, '_mode': mode, '__doc__': doc,
                                     '__module__': __name__})
    cls.__qualname__ = name
    return cls


ReflectionPad1d = _mode_pad('ReflectionPad1d', 1, 'reflect', """Pad the last dim with its mirror
    image (edge excluded).

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ReflectionPad1d(2)(numtorch.arange(4.).reshape(1, 1, 4))
    tensor([[[2., 1., 0., 1., 2., 3., 2., 1.]]])
    """)
ReflectionPad2d = _mode_pad('ReflectionPad2d', 2, 'reflect', """Reflection padding of the
    last two dims.

    >>> from numtorch import nn
    >>> nn.ReflectionPad2d(1)
    ReflectionPad2d((1, 1, 1, 1))
    """)
ReflectionPad3d = _mode_pad('ReflectionPad3d', 3, 'reflect', """Reflection padding of the
    last three dims.

    >>> from numtorch import nn
    >>> nn.ReflectionPad3d(1)
    ReflectionPad3d((1, 1, 1, 1, 1, 1))
    """)
ReplicationPad1d = _mode_pad('ReplicationPad1d', 1, 'replicate', """Pad the last dim by
    repeating its edge values.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.ReplicationPad1d((1, 2))(numtorch.tensor([[[1., 2.]]]))
    tensor([[[1., 1., 2., 2., 2.]]])
    """)
ReplicationPad2d = _mode_pad('ReplicationPad2d', 2, 'replicate', """Replication padding of
    the last two dims.

    >>> from numtorch import nn
    >>> nn.ReplicationPad2d(1)
    ReplicationPad2d((1, 1, 1, 1))
    """)
ReplicationPad3d = _mode_pad('ReplicationPad3d', 3, 'replicate', """Replication padding of
    the last three dims.

    >>> from numtorch import nn
    >>> nn.ReplicationPad3d(1)
    ReplicationPad3d((1, 1, 1, 1, 1, 1))
    """)
CircularPad1d = _mode_pad('CircularPad1d', 1, 'circular', """Pad the last dim by wrapping
    around.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.CircularPad1d(1)(numtorch.tensor([[[1., 2., 3.]]]))
    tensor([[[3., 1., 2., 3., 1.]]])
    """)
CircularPad2d = _mode_pad('CircularPad2d', 2, 'circular', """Circular padding of the last
    two dims.

    >>> from numtorch import nn
    >>> nn.CircularPad2d(1)
    CircularPad2d((1, 1, 1, 1))
    """)
CircularPad3d = _mode_pad('CircularPad3d', 3, 'circular', """Circular padding of the last
    three dims.

    >>> from numtorch import nn
    >>> nn.CircularPad3d(1)
    CircularPad3d((1, 1, 1, 1, 1, 1))
    """)

__all__ = ['ConstantPad1d', 'ConstantPad2d', 'ConstantPad3d', 'ZeroPad1d', 'ZeroPad2d',
           'ZeroPad3d', 'ReflectionPad1d', 'ReflectionPad2d', 'ReflectionPad3d',
           'ReplicationPad1d', 'ReplicationPad2d', 'ReplicationPad3d', 'CircularPad1d',
           'CircularPad2d', 'CircularPad3d']
