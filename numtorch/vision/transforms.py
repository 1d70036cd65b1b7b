"""``numtorch.vision.transforms``: the torchvision transforms D2L's loaders use, without PIL.

Images are uint8 arrays or tensors, ``HxW`` or ``HxWxC`` before ``ToTensor`` and float ``CxHxW``
after it. Every transform here also has a ``_batch`` form that applies it to a stack of images at
once (``N`` in front); the vision datasets use it to build whole batches with a few NumPy calls.

>>> import numpy as np
>>> from numtorch.vision import transforms
>>> t = transforms.Compose([transforms.Resize(4), transforms.ToTensor(),
...                         transforms.Normalize((0.5,), (0.5,))])
>>> t(np.full((2, 2), 255, np.uint8)).shape
torch.Size([1, 4, 4])
"""
import numbers

import numpy as np

from .._tensor import Tensor
from .._ops._apply import wrap
from .. import _dtype

__all__ = ['Compose', 'ToTensor', 'Normalize', 'Resize', 'Lambda', 'InterpolationMode',
           'CenterCrop', 'RandomCrop', 'Pad', 'RandomHorizontalFlip', 'RandomVerticalFlip',
           'RandomResizedCrop', 'ColorJitter', 'ToPILImage', 'Grayscale']


def _array(img):
    if isinstance(img, Tensor):
        return img._data
    if isinstance(img, np.ndarray):
        return img
    raise TypeError(f'img should be a numtorch Tensor or a NumPy array. Got {type(img)}')


class InterpolationMode:
    """Names for ``Resize(interpolation=...)`` (torchvision's enum values are these strings)."""
    NEAREST = 'nearest'
    BILINEAR = 'bilinear'


class Compose:
    """Apply several transforms in order.

    >>> import numpy as np
    >>> from numtorch.vision import transforms
    >>> transforms.Compose([transforms.ToTensor()])(np.zeros((2, 3), np.uint8)).shape
    torch.Size([1, 2, 3])
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    @property
    def _batch(self):
        if not all(getattr(t, '_batch', None) for t in self.transforms):
            return None
        fns = [t._batch for t in self.transforms]

        def run(imgs):
            for f in fns:
                imgs = f(imgs)
            return imgs
        return run

    def __repr__(self):
        body = ''.join(f'\n    {t}' for t in self.transforms)
        return f'{type(self).__name__}({body}\n)'


class ToTensor:
    """uint8 ``HxW`` / ``HxWxC`` image -> float32 ``CxHxW`` tensor in ``[0, 1]`` (other dtypes keep
    their values, as torchvision's).

    >>> import numpy as np
    >>> from numtorch.vision import transforms
    >>> transforms.ToTensor()(np.array([[0, 255]], np.uint8))
    tensor([[[0., 1.]]])
    """

    def __call__(self, pic):
        a = np.asarray(pic) if type(pic).__module__.startswith('PIL.') else _array(pic)
        if a.ndim not in (2, 3):
            raise ValueError(f'pic should be 2/3 dimensional. Got {a.ndim} dimensions.')
        a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        return _to_float(a)

    def _batch(self, pics):
        a = _array(pics)
        a = a[:, None] if a.ndim == 3 else a.transpose(0, 3, 1, 2)
        return _to_float(a)

    def __repr__(self):
        return 'ToTensor()'


def _to_float(a):
    if a.dtype == np.uint8:
        # x / 255 in the float dtype, in one pass (x * (1/255) could differ in the last bit)
        return wrap(np.true_divide(a, 255, dtype=_dtype.get_default_dtype().np))
    return wrap(np.ascontiguousarray(a))


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float ``(..., C, H, W)`` tensor.

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.Normalize([0.5], [0.25])(numtorch.ones(1, 1, 2))
    tensor([[[2., 2.]]])
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f'img should be Tensor Image. Got {type(tensor)}')
        if not tensor.is_floating_point():
            raise TypeError(f'Input tensor should be a float tensor. Got {tensor.dtype}.')
        if tensor.dim() < 3:
            raise ValueError('Expected tensor to be a tensor image of size (..., C, H, W). Got '
                             f'tensor.size() = {tuple(tensor.shape)}')
        dt = tensor._data.dtype
        mean = np.asarray(self.mean, dt).reshape(-1, 1, 1)
        std = np.asarray(self.std, dt).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f'std evaluated to zero after conversion to {tensor.dtype}, leading '
                             'to division by zero.')
        if self.inplace:
            return tensor.sub_(wrap(mean)).div_(wrap(std))
        return (tensor - wrap(mean)) / wrap(std)

    _batch = __call__

    def __repr__(self):
        return f'{type(self).__name__}(mean={self.mean}, std={self.std})'


class Resize:
    """Resize the last two dims to ``size`` (``(h, w)``, or an int for the shorter edge, keeping
    the aspect ratio). ``interpolation`` is ``'bilinear'`` (torch's ``align_corners=False``;
    shrinking antialiases as torchvision does unless ``antialias=False``) or ``'nearest'``.
    uint8 input stays uint8 (rounded).

    >>> import numpy as np
    >>> from numtorch.vision import transforms
    >>> transforms.Resize((4, 6))(np.zeros((2, 3), np.uint8)).shape
    torch.Size([4, 6])
    """

    def __init__(self, size, interpolation='bilinear', max_size=None, antialias=True):
        if not isinstance(size, (numbers.Integral, list, tuple)) or \
                (isinstance(size, (list, tuple)) and len(size) not in (1, 2)):
            raise TypeError(f'Size should be int or sequence of length 1 or 2. Got {size!r}')
        self.size = size
        self.interpolation = getattr(interpolation, 'value', interpolation)
        if self.interpolation not in ('bilinear', 'nearest'):
            raise ValueError(f'numtorch Resize supports bilinear and nearest, got {interpolation}')
        self.max_size = max_size
        self.antialias = antialias

    def _out_size(self, h, w):
        size = self.size
        if isinstance(size, (list, tuple)) and len(size) == 2:
            return int(size[0]), int(size[1])
        size = int(size[0] if isinstance(size, (list, tuple)) else size)
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = size, int(size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        if type(img).__module__.startswith('PIL.') or \
                (isinstance(img, np.ndarray) and img.ndim == 3):
            from ._transforms_aug import _unpack      # an image: H x W x C array or PIL
            a, back = _unpack(img)
            return back(np.asarray(self._batch(a)._data))
        return self._batch(img)

    def _batch(self, img):
        a = _array(img)
        if a.ndim < 2:
            raise ValueError(f'Resize needs an image with at least 2 dims, got shape {a.shape}')
        oh, ow = self._out_size(a.shape[-2], a.shape[-1])
        if (oh, ow) == a.shape[-2:]:
            return wrap(a) if not isinstance(img, Tensor) else img
        if self.interpolation == 'nearest':
            return wrap(_nearest(a, oh, ow))
        return wrap(_bilinear(a, oh, ow, bool(self.antialias)))

    def __repr__(self):
        return f'{type(self).__name__}(size={self.size}, interpolation={self.interpolation})'


def _nearest(a, oh, ow):
    # torch's legacy 'nearest': source index floor(i * in / out)
    h, w = a.shape[-2:]
    ri = np.minimum((np.arange(oh) * np.float32(h / oh)).astype(np.intp), h - 1)
    ci = np.minimum((np.arange(ow) * np.float32(w / ow)).astype(np.intp), w - 1)
    return a[..., ri[:, None], ci]


def _taps(n_in, n_out, dt):
    # half-pixel centres (align_corners=False); negative sources clamp to 0, as torch
    src = np.maximum((np.arange(n_out, dtype=dt) + dt(0.5)) * dt(n_in / n_out) - dt(0.5), 0)
    i0 = np.minimum(src.astype(np.intp), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(dt)


def _aa_weights(n_in, n_out, dt):
    """(n_out, n_in) weights of torch's antialiased bilinear downsampling: a triangle filter
    widened to the scale, normalized per output (aten's _compute_indices_weights_aa)."""
    scale = n_in / n_out
    center = scale * (np.arange(n_out) + 0.5)
    lo = np.maximum((center - scale + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + scale + 0.5).astype(np.int64), n_in)
    j = np.arange(n_in)
    wts = np.maximum(0.0, 1.0 - np.abs((j[None] - center[:, None] + 0.5) / scale))
    wts *= (j[None] >= lo[:, None]) & (j[None] < hi[:, None])
    wts /= wts.sum(1, keepdims=True)
    return wts.astype(dt)


def _bilinear(a, oh, ow, antialias=False):
    dt = a.dtype.type if a.dtype.kind == 'f' else np.float32
    x = a.astype(dt, copy=False)
    h, w = a.shape[-2:]
    if antialias and oh < h:      # shrinking: every input pixel counts, as torchvision does
        rows = np.matmul(_aa_weights(h, oh, dt), x)
    else:
        r0, r1, rw = _taps(h, oh, dt)
        rows = x[..., r0, :] * (1 - rw)[:, None] + x[..., r1, :] * rw[:, None]
    if antialias and ow < w:
        out = np.matmul(rows, _aa_weights(w, ow, dt).T)
    else:
        c0, c1, cw = _taps(w, ow, dt)
        out = rows[..., c0] * (1 - cw) + rows[..., c1] * cw
    if a.dtype.kind in 'iu':
        info = np.iinfo(a.dtype)
        out = np.clip(np.round(out), info.min, info.max).astype(a.dtype)
    return out


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f'Argument lambd should be callable, got {type(lambd).__name__!r}')
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f'{type(self).__name__}()'


from ._transforms_aug import (CenterCrop, RandomCrop, Pad, RandomHorizontalFlip,  # noqa: E402
                              RandomVerticalFlip, RandomResizedCrop, ColorJitter, ToPILImage,
                              Grayscale)
from . import transforms_functional as functional  # noqa: E402
# ``import numtorch.vision.transforms.functional as TF`` (a submodule path, as torchvision's)
__import__('sys').modules[__name__ + '.functional'] = functional
