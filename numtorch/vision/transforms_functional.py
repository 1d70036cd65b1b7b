"""``transforms.functional`` (``import numtorch.vision.transforms.functional as TF``): the
deterministic operations behind the transform classes, for the same inputs (tensors,
``H x W [x C]`` arrays, PIL images), each returning the kind it was given.

>>> import numtorch
>>> from numtorch.vision.transforms import functional as TF
>>> TF.hflip(numtorch.tensor([[[1, 2, 3]]]))
tensor([[[3, 2, 1]]])
"""
import numpy as np

from ._transforms_aug import (_unpack, _crop, _pad, _parse_padding, _float01, _gray, _blend,
                              _rgb_to_hsv, _hsv_to_rgb, ToPILImage)

__all__ = ['to_tensor', 'to_pil_image', 'normalize', 'resize', 'crop', 'center_crop', 'pad',
           'hflip', 'vflip', 'resized_crop', 'rgb_to_grayscale', 'adjust_brightness',
           'adjust_contrast', 'adjust_saturation', 'adjust_hue', 'get_image_size']


def to_tensor(pic):
    """An image -> float ``C x H x W`` tensor (uint8 scaled to [0, 1])."""
    from .transforms import ToTensor
    return ToTensor()(pic)


def to_pil_image(pic, mode=None):
    """A tensor or array -> PIL image (needs Pillow)."""
    return ToPILImage(mode)(pic)


def normalize(tensor, mean, std, inplace=False):
    """``(x - mean[c]) / std[c]`` per channel."""
    from .transforms import Normalize
    return Normalize(mean, std, inplace)(tensor)


def resize(img, size, interpolation='bilinear', max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or the shorter edge)."""
    from .transforms import Resize
    return Resize(size, interpolation, max_size, antialias)(img)


def get_image_size(img):
    """``[width, height]`` (torchvision's order)."""
    a, _ = _unpack(img)
    return [int(a.shape[-1]), int(a.shape[-2])]


def crop(img, top, left, height, width):
    """The ``height x width`` window at (``top``, ``left``); zero-padded where it leaves the
    image."""
    a, back = _unpack(img)
    return back(np.ascontiguousarray(_crop(a, top, left, height, width)))


def center_crop(img, output_size):
    """The centre window of ``output_size``."""
    from ._transforms_aug import CenterCrop
    return CenterCrop(output_size)(img)


def pad(img, padding, fill=0, padding_mode='constant'):
    """Pad by ``padding`` (int, (lr, tb) or (l, t, r, b))."""
    a, back = _unpack(img)
    return back(_pad(a, *_parse_padding(padding), fill, padding_mode))


def hflip(img):
    """Mirror left-right."""
    a, back = _unpack(img)
    return back(np.ascontiguousarray(a[..., ::-1]))


def vflip(img):
    """Mirror top-bottom."""
    a, back = _unpack(img)
    return back(np.ascontiguousarray(a[..., ::-1, :]))


def resized_crop(img, top, left, height, width, size, interpolation='bilinear', antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _colour(img, fn):
    a, back = _unpack(img)
    x, bound, to_dtype = _float01(a)
    return back(to_dtype(fn(x, bound)))


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma (0.2989 R + 0.587 G + 0.114 B), 1 or 3 channels."""
    from ._transforms_aug import Grayscale
    return Grayscale(num_output_channels)(img)


def adjust_brightness(img, brightness_factor):
    """Scale intensities by ``brightness_factor`` (clipped)."""
    return _colour(img, lambda x, b: _blend(x, np.zeros_like(x), brightness_factor, b))


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level."""
    return _colour(img, lambda x, b: _blend(
        x, _gray(x).mean(axis=(-3, -2, -1), keepdims=True), contrast_factor, b))


def adjust_saturation(img, saturation_factor):
    """Blend with the grey image."""
    return _colour(img, lambda x, b: _blend(x, _gray(x), saturation_factor, b))


def adjust_hue(img, hue_factor):
    """Rotate the hue by ``hue_factor`` (in [-0.5, 0.5]) turns."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor ({hue_factor}) is not in [-0.5, 0.5].')

    def fn(x, bound):
        hsv = _rgb_to_hsv(x / bound)
        hsv[..., 0, :, :] = np.fmod(hsv[..., 0, :, :] + hue_factor, 1.0)
        return _hsv_to_rgb(hsv) * bound
    return _colour(img, fn)
