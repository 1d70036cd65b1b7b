"""``make_grid`` and ``save_image`` (torchvision.utils): tile a batch of images into one.

>>> import numtorch
>>> from numtorch.vision.utils import make_grid
>>> make_grid(numtorch.zeros(5, 3, 4, 4), nrow=4).shape
torch.Size([3, 14, 26])
"""
import math

import numtorch
from .._tensor import Tensor

__all__ = ['make_grid', 'save_image']


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """A ``B x C x H x W`` tensor (or list of ``C x H x W``) as one ``3 x H' x W'`` grid image,
    ``nrow`` images per row with ``padding`` pixels of ``pad_value`` between them."""
    if not (isinstance(tensor, Tensor) or
            (isinstance(tensor, list) and all(isinstance(t, Tensor) for t in tensor))):
        raise TypeError(f'tensor or list of tensors expected, got {type(tensor)}')
    if isinstance(tensor, list):
        tensor = numtorch.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = numtorch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = numtorch.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError('value_range has to be a tuple (min, max) if specified. min and max '
                            'are numbers')

        def norm_range(t, rng):
            low, high = (float(rng[0]), float(rng[1])) if rng is not None else \
                (float(t.min()), float(t.max()))
            t.clamp_(min=low, max=high)
            t.sub_(low).div_(max(high - low, 1e-5))
        if scale_each:
            for t in tensor:
                norm_range(t, value_range)
        else:
            norm_range(tensor, value_range)
    if not isinstance(tensor, Tensor):
        raise TypeError('tensor should be of type torch.Tensor')
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    num_channels = tensor.size(1)
    # torchvision's way: a grid of pad_value on the images' device, tiles copied in (no graph)
    with numtorch.no_grad():
        grid = tensor.new_full((num_channels, height * ymaps + padding, width * xmaps + padding),
                               pad_value)
        k = 0
        for y in range(ymaps):
            for x in range(xmaps):
                if k >= nmaps:
                    break
                top, left = y * height + padding, x * width + padding
                grid[:, top:top + height - padding, left:left + width - padding] = tensor[k]
                k += 1
    return grid


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, tiled with ``make_grid(**kwargs)``) as an image file (needs
    Pillow: ``pip install numtorch[vision]``)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('save_image needs Pillow: pip install numtorch[vision] '
                          '(or pip install pillow)') from None
    grid = make_grid(tensor, **kwargs)
    ndarr = grid.detach().mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to('cpu', numtorch.uint8)
    im = Image.fromarray(ndarr.contiguous().numpy())
    im.save(fp, format=format)
