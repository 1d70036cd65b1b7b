"""Augmentation and conversion transforms: ``CenterCrop``, ``RandomCrop``, ``Pad``,
``RandomHorizontalFlip``/``RandomVerticalFlip``, ``RandomResizedCrop``, ``ColorJitter``,
``ToPILImage``, ``Grayscale``.

Each accepts a tensor (``..., H, W``; ``C x H x W`` for colour), an ``H x W [x C]`` NumPy array
(what numtorch's CIFAR/FakeData return) or a PIL image, and returns the same kind. Random choices
draw from numtorch's generator (``numtorch.manual_seed`` makes them reproducible), in the order
torchvision draws them.
"""
import math
import numbers

import numpy as np

from .._tensor import Tensor
from .._ops._apply import wrap

__all__ = ['CenterCrop', 'RandomCrop', 'Pad', 'RandomHorizontalFlip', 'RandomVerticalFlip',
           'RandomResizedCrop', 'ColorJitter', 'ToPILImage', 'Grayscale']


def _is_pil(img):
    return type(img).__module__.startswith('PIL.')


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('ToPILImage and PIL images need Pillow: pip install numtorch[vision] '
                          '(or pip install pillow)') from None
    return Image


def _unpack(img):
    """(array with H, W as the last two dims, function turning such an array back into the
    caller's kind of image)."""
    if isinstance(img, Tensor):
        return img._data, wrap
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img, lambda a: a
        if img.ndim == 3:
            return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
        raise ValueError(f'an image array must be H x W or H x W x C, got shape {img.shape}')
    if _is_pil(img):
        Image = _pil()
        mode = img.mode
        a = np.asarray(img)
        if a.ndim == 2:
            return a, lambda b: Image.fromarray(np.ascontiguousarray(b), mode)
        return a.transpose(2, 0, 1), lambda b: Image.fromarray(
            np.ascontiguousarray(b.transpose(1, 2, 0)), mode)
    raise TypeError(f'img should be a numtorch Tensor, a NumPy array or a PIL Image. '
                    f'Got {type(img)}')


def _size_pair(size, name='size'):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f'Please provide only two dimensions (h, w) for {name}.')


def _randint(high):
    import numtorch
    return int(numtorch.randint(0, high, size=(1,)).item())


def _uniform(lo, hi):
    import numtorch
    return float(numtorch.empty(1).uniform_(lo, hi).item())


_NP_MODES = {'constant': 'constant', 'edge': 'edge', 'reflect': 'reflect',
             'symmetric': 'symmetric'}


def _pad(a, left, top, right, bottom, fill=0, padding_mode='constant'):
    if padding_mode not in _NP_MODES:
        raise ValueError('Padding mode should be either constant, edge, reflect or symmetric')
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == 'constant':
        return np.pad(a, widths, mode='constant', constant_values=fill)
    return np.pad(a, widths, mode=_NP_MODES[padding_mode])


def _parse_padding(padding):
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError('Padding must be an int or a 1, 2, or 4 element tuple, not a '
                     f'{len(padding)} element tuple')


def _crop(a, top, left, h, w):
    H, W = a.shape[-2:]
    if top < 0 or left < 0 or top + h > H or left + w > W:     # torchvision pads with zeros
        a = _pad(a, max(0, -left), max(0, -top), max(0, left + w - W), max(0, top + h - H))
        top, left = max(top, 0), max(left, 0)
    return a[..., top:top + h, left:left + w]


class Pad:
    """Pad all sides (``padding``: int, (lr, tb) or (l, t, r, b)) with ``fill`` or by
    ``padding_mode`` (``edge``, ``reflect``, ``symmetric``).

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.Pad(1)(numtorch.ones(1, 2, 2)).shape
    torch.Size([1, 4, 4])
    """

    def __init__(self, padding, fill=0, padding_mode='constant'):
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode
        self._lrtb = _parse_padding(padding)
        if padding_mode not in _NP_MODES:
            raise ValueError('Padding mode should be either constant, edge, reflect or symmetric')

    def __call__(self, img):
        a, back = _unpack(img)
        left, top, right, bottom = self._lrtb
        return back(_pad(a, left, top, right, bottom, self.fill, self.padding_mode))

    def __repr__(self):
        return (f'{type(self).__name__}(padding={self.padding}, fill={self.fill}, '
                f'padding_mode={self.padding_mode})')


class CenterCrop:
    """Crop the centre ``size`` (int or (h, w)); smaller images are zero-padded first.

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.CenterCrop(2)(numtorch.arange(16).reshape(1, 4, 4))
    tensor([[[ 5,  6],
             [ 9, 10]]])
    """

    def __init__(self, size):
        self.size = _size_pair(size)

    def __call__(self, img):
        a, back = _unpack(img)
        H, W = a.shape[-2:]
        th, tw = self.size
        top = int(round((H - th) / 2.0))
        left = int(round((W - tw) / 2.0))
        return back(_crop(a, top, left, th, tw))

    def __repr__(self):
        return f'{type(self).__name__}(size={self.size})'


class RandomCrop:
    """Crop a random ``size`` window, after optional ``padding`` (and ``pad_if_needed``).

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.RandomCrop(32, padding=4)(numtorch.zeros(3, 32, 32)).shape
    torch.Size([3, 32, 32])
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode='constant'):
        self.size = _size_pair(size)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, h, w) of a random crop of ``output_size``."""
        a, _ = _unpack(img)
        H, W = a.shape[-2:]
        th, tw = output_size
        if H < th or W < tw:
            raise ValueError(f'Required crop size {(th, tw)} is larger than input image size '
                             f'{(H, W)}')
        if W == tw and H == th:
            return 0, 0, H, W
        i = _randint(H - th + 1)
        j = _randint(W - tw + 1)
        return i, j, th, tw

    def __call__(self, img):
        a, back = _unpack(img)
        if self.padding is not None:
            a = _pad(a, *_parse_padding(self.padding), self.fill, self.padding_mode)
        H, W = a.shape[-2:]
        th, tw = self.size
        if self.pad_if_needed and W < tw:
            a = _pad(a, tw - W, 0, tw - W, 0, self.fill, self.padding_mode)
        if self.pad_if_needed and H < th:
            a = _pad(a, 0, th - H, 0, th - H, self.fill, self.padding_mode)
        i, j, h, w = self.get_params(wrap(a), self.size)
        return back(a[..., i:i + h, j:j + w])

    def __repr__(self):
        return f'{type(self).__name__}(size={self.size}, padding={self.padding})'


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``.

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.RandomHorizontalFlip(p=1.0)(numtorch.tensor([[[1, 2, 3]]]))
    tensor([[[3, 2, 1]]])
    """
    _axis = -1

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        import numtorch
        if numtorch.rand(1).item() < self.p:
            a, back = _unpack(img)
            return back(np.ascontiguousarray(np.flip(a, self._axis)))
        return img

    def __repr__(self):
        return f'{type(self).__name__}(p={self.p})'


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""
    _axis = -2


class RandomResizedCrop:
    """A random crop of random area (``scale``) and aspect ratio (``ratio``), resized to ``size``
    (bilinear, antialiased when shrinking, as torchvision's tensor path).

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.RandomResizedCrop(8)(numtorch.rand(3, 20, 30)).shape
    torch.Size([3, 8, 8])
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation='bilinear', antialias=True):
        self.size = _size_pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            import warnings
            warnings.warn('Scale and ratio should be of kind (min, max)')
        self.scale, self.ratio = scale, ratio
        self.interpolation = getattr(interpolation, 'value', interpolation)
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, h, w) of the random crop (10 tries, then a centre crop)."""
        a, _ = _unpack(img)
        height, width = a.shape[-2:]
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(height - h + 1), _randint(width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        from .transforms import _bilinear, _nearest
        a, back = _unpack(img)
        i, j, h, w = self.get_params(wrap(a), self.scale, self.ratio)
        crop = a[..., i:i + h, j:j + w]
        if self.interpolation == 'nearest':
            return back(_nearest(crop, *self.size))
        return back(_bilinear(crop, *self.size, antialias=bool(self.antialias)))

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, interpolation={self.interpolation})')


# --------------------------------------------------------------------------- colour
def _float01(a):
    """(float array in [0, 1] scale units, bound, back-to-dtype function)."""
    if a.dtype == np.uint8:
        return a.astype(np.float32), 255.0, lambda x: np.clip(x, 0, 255).astype(np.uint8)
    return a, 1.0, lambda x: np.clip(x, 0, 1).astype(a.dtype, copy=False)


def _gray(x):
    if x.shape[-3] == 1:
        return x
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    return (0.2989 * r + 0.587 * g + 0.114 * b)[..., None, :, :].astype(x.dtype, copy=False)


def _blend(a, b, ratio, bound):
    return np.clip(ratio * a + (1.0 - ratio) * b, 0, bound)


def _rgb_to_hsv(x):
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(-3), x.min(-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], -3)


def _hsv_to_rgb(x):
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [row[c] for row in table]) for c in range(3)]
    return np.stack(out, -3).astype(x.dtype, copy=False)


class ColorJitter:
    """Random brightness, contrast, saturation and hue changes, applied in a random order
    (torchvision's tensor formulas: blends with black, the mean grey and the grey image; a hue
    rotation in HSV).

    >>> import numtorch
    >>> from numtorch.vision import transforms
    >>> transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)(numtorch.rand(3, 4, 4)).shape
    torch.Size([3, 4, 4])
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check(brightness, 'brightness')
        self.contrast = self._check(contrast, 'contrast')
        self.saturation = self._check(saturation, 'saturation')
        self.hue = self._check(hue, 'hue', center=0, bound=(-0.5, 0.5), clip_first=False)

    @staticmethod
    def _check(value, name, center=1, bound=(0, float('inf')), clip_first=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f'If {name} is a single number, it must be non negative.')
            value = [center - float(value), center + float(value)]
            if clip_first:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f'{name} should be a single number or a list/tuple with length 2.')
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f'{name} values should be between {bound}, but got {value}.')
        return None if value[0] == value[1] == center else tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, b, c, s, h): a permutation of the four adjustments and their factors."""
        import numtorch
        fn_idx = numtorch.randperm(4)
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def __call__(self, img):
        a, back = _unpack(img)
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        x, bound, to_dtype = _float01(a)
        for fn_id in order.tolist():
            if fn_id == 0 and b is not None:
                x = _blend(x, np.zeros_like(x), b, bound)
            elif fn_id == 1 and c is not None:
                mean = _gray(x).mean(axis=(-3, -2, -1), keepdims=True)
                x = _blend(x, mean, c, bound)
            elif fn_id == 2 and s is not None and x.shape[-3] == 3:
                x = _blend(x, _gray(x), s, bound)
            elif fn_id == 3 and h is not None and x.shape[-3] == 3:
                hsv = _rgb_to_hsv(x / bound)
                hsv[..., 0, :, :] = np.fmod(hsv[..., 0, :, :] + h, 1.0)
                x = _hsv_to_rgb(hsv) * bound
        return back(to_dtype(x))

    def __repr__(self):
        return (f'{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, '
                f'saturation={self.saturation}, hue={self.hue})')


class Grayscale:
    """RGB -> grey (``num_output_channels`` 1 or 3)."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        a, back = _unpack(img)
        x, _, to_dtype = _float01(a)
        g = _gray(x)
        if self.num_output_channels == 3:
            g = np.concatenate([g] * 3, -3)
        return back(to_dtype(g) if a.dtype != np.uint8 else np.round(g).astype(np.uint8))

    def __repr__(self):
        return f'{type(self).__name__}(num_output_channels={self.num_output_channels})'


class ToPILImage:
    """A tensor (``C x H x W``; floats are scaled by 255) or an ``H x W [x C]`` array -> a PIL
    image (needs Pillow: ``pip install numtorch[vision]``)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        Image = _pil()
        if isinstance(pic, Tensor):
            a = pic.detach()._data
            if a.ndim not in (2, 3):
                raise ValueError(f'pic should be 2/3 dimensional. Got {a.ndim} dimensions.')
            if a.ndim == 3:
                a = a.transpose(1, 2, 0)
            if a.dtype.kind == 'f' and self.mode != 'F':
                a = (a * 255).astype(np.int64).astype(np.uint8)    # torch's mul(255).byte()
        elif isinstance(pic, np.ndarray):
            a = pic
            if a.ndim not in (2, 3):
                raise ValueError(f'pic should be 2/3 dimensional. Got {a.ndim} dimensions.')
        else:
            raise TypeError(f'pic should be Tensor or ndarray. Got {type(pic)}.')
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        return Image.fromarray(np.ascontiguousarray(a), self.mode)

    def __repr__(self):
        return f'{type(self).__name__}(mode={self.mode})' if self.mode else 'ToPILImage()'
