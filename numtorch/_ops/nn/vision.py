"""Resampling: ``interpolate`` (nearest: two 0/1 matmuls; the other modes below), modes linear / bilinear / bicubic / trilinear / nearest-exact /
area and 3-D nearest, ``grid_sample`` and ``affine_grid``.

Separable resizing is a linear map per spatial axis: each mode is a small ``(n_out, n_in)``
weight matrix built with torch's source-index rule (``align_corners``, explicit scale factors,
clamping at the borders, bicubic's A = -0.75 kernel), and one node applies the matrices axis by
axis (backward: the transposed matrices). ``grid_sample`` gathers the 4 (bilinear) or 1
(nearest) neighbours with ``gather`` and weights them with differentiable bilinear weights, so
gradients reach both the input and the grid through existing ops.
"""
import math
import warnings


from ..._backend import xp, namespace
from ...autograd.graph import Node
from .._apply import unary, wrap

_A = -0.75   # torch's bicubic convolution constant


def _scale(n_in, n_out, align_corners, scale):
    """torch's area_pixel_compute_scale."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _source(n_in, n_out, align_corners, scale, cubic, ft, ns):
    """Source coordinate of every output position (torch's area_pixel_compute_source_index),
    in the kernel's float type ``ft``, built by namespace ``ns`` (on the input's device)."""
    s = ft(_scale(n_in, n_out, align_corners, scale))
    dst = ns.arange(n_out, dtype=ft)
    if align_corners:
        return s * dst
    src = s * (dst + ft(0.5)) - ft(0.5)
    return src if cubic else xp.maximum(src, ft(0))


def _linear_matrix(n_in, n_out, align_corners, scale, dtype, ns):
    ft = xp.float32 if dtype == xp.float32 else xp.float64
    src = _source(n_in, n_out, align_corners, scale, False, ft, ns)
    i0 = src.astype(xp.int64)
    lam = src - i0
    i1 = xp.minimum(i0 + 1, n_in - 1)
    m = ns.zeros((n_out, n_in), dtype)
    r = ns.arange(n_out)
    xp.add.at(m, (r, i0), 1 - lam)
    xp.add.at(m, (r, i1), lam)
    return m


def _cubic_matrix(n_in, n_out, align_corners, scale, dtype, ns):
    ft = xp.float32 if dtype == xp.float32 else xp.float64
    src = _source(n_in, n_out, align_corners, scale, True, ft, ns)
    i = xp.floor(src).astype(xp.int64)
    t = src - i
    A = ft(_A)

    def near(x):     # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):      # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    m = ns.zeros((n_out, n_in), dtype)
    r = ns.arange(n_out)
    for k in range(4):
        xp.add.at(m, (r, xp.clip(i - 1 + k, 0, n_in - 1)), w[k])
    return m


def _nearest_matrix(n_in, n_out, scale, exact, dtype, ns):
    s = xp.float32(_scale(n_in, n_out, False, scale))
    dst = ns.arange(n_out, dtype=xp.float32)
    src = xp.floor((dst + xp.float32(0.5)) * s if exact else dst * s).astype(xp.int64)
    m = ns.zeros((n_out, n_in), dtype)
    m[ns.arange(n_out), xp.minimum(src, n_in - 1)] = 1
    return m


def _apply(x, mats, ns, transpose=False):
    """Multiply axis ``2 + d`` of ``x`` by ``mats[d]`` (or its transpose) for every d
    (``ns``: the namespace of ``x``'s device)."""
    for d, m in enumerate(mats):
        ax = 2 + d
        y = xp.tensordot(m.T if transpose else m, x, axes=([1], [ax]))
        x = xp.moveaxis(y, 0, ax)
    return ns.ascontiguousarray(x)


class Resample(Node):
    """A separable linear resize: one ``(n_out, n_in)`` matrix per spatial axis."""

    def forward(self, x, mats, name):
        self.saved = mats
        self._name = name
        return _apply(x, mats, self.xp)

    def backward(self, g):
        return _apply(g, self.saved, self.xp, transpose=True)


_NEEDS = {'linear': 3, 'bilinear': 4, 'bicubic': 4, 'trilinear': 5}


def interpolate_modes(input, sizes, scales, mode, align_corners):
    """``interpolate`` for the modes the nearest-only kernel in ``pool.py`` does not cover;
    ``sizes``/``scales`` are already resolved per spatial dim."""
    nd = input.dim()
    if nd not in (3, 4, 5) or (mode in _NEEDS and nd != _NEEDS[mode]):
        if nd in (3, 4, 5):
            raise NotImplementedError(f'Got {nd}D input, but {mode} mode needs {_NEEDS[mode]}D '
                                      f'input')
        raise NotImplementedError(
            f'Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: '
            f'nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact '
            f'(got {mode})')
    if mode == 'area':
        from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
        return {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}[nd](
            input, sizes)
    dt = input._data.dtype
    if dt.kind != 'f' and mode != 'nearest':
        raise NotImplementedError(f'"upsample_{mode}" not implemented for \'{dt.name}\'')
    spatial = input.shape[2:]
    ns = namespace(input._data)   # the weight tables are built where the input lives
    if mode in ('linear', 'bilinear', 'trilinear'):
        mats = [_linear_matrix(n, o, align_corners, s, dt, ns) for n, o, s in zip(spatial, sizes, scales)]
        name = f'Upsample{mode.capitalize()}{nd - 2}DBackward0'
    elif mode == 'bicubic':
        mats = [_cubic_matrix(n, o, align_corners, s, dt, ns) for n, o, s in zip(spatial, sizes, scales)]
        name = 'UpsampleBicubic2DBackward0'
    else:
        exact = mode == 'nearest-exact'
        mats = [_nearest_matrix(n, o, s, exact, dt, ns) for n, o, s in zip(spatial, sizes, scales)]
        name = f'UpsampleNearest{"Exact" if exact else ""}{nd - 2}DBackward0'
    return unary(Resample, input, mats, name)


# ---------------------------------------------------------------- affine_grid / grid_sample

def _base_coords(n, align_corners, dtype, ns):
    if n <= 1:
        return ns.zeros(max(n, 0), dtype)
    c = ns.linspace(-1, 1, n, dtype=dtype)
    return c if align_corners else c * dtype.type((n - 1) / n)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) of the affine maps ``theta``
    ``(N, 2, 3)`` (``(N, 3, 4)``), for ``grid_sample``.

    >>> import numtorch
    >>> theta = numtorch.tensor([[[1., 0., 0.], [0., 1., 0.]]])
    >>> numtorch.nn.functional.affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, 0]
    tensor([[-1., -1.],
            [ 1., -1.]])
    """
    if align_corners is None:
        warnings.warn('Default grid_sample and affine_grid behavior has changed to '
                      'align_corners=False since 1.3.0. Please specify align_corners=True if '
                      'the old behavior is desired. See the documentation of grid_sample for '
                      'details.', stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f'Expected theta to have floating point type, but got {theta.dtype}'
                         .replace('numtorch.', 'torch.'))
    given, size = size, list(size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f'Expected a batch of 2D affine matrices of shape Nx2x3 for size '
                             f'{given}. Got {_size(theta.shape)}.')
        spatial = size[2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f'Expected a batch of 3D affine matrices of shape Nx3x4 for size '
                             f'{given}. Got {_size(theta.shape)}.')
        spatial = size[2:]
    else:
        raise NotImplementedError(f'affine_grid only supports 4D and 5D sizes, for 2D and 3D '
                                  f'affine transforms, respectively. Got size {given}.')
    if min(size) <= 0:
        raise ValueError(f'Expected non-zero, positive output size. Got {size}')
    dt = theta._data.dtype
    ns = namespace(theta._data)   # the base grid is built on theta's device
    coords = [_base_coords(n, align_corners, dt, ns) for n in spatial]
    # Base grid (*spatial, nd + 1): x varies along the last spatial dim, then y, then z; then 1.
    mesh = xp.meshgrid(*coords, indexing='ij')[::-1]
    base = xp.stack(list(mesh) + [ns.ones(spatial, dt)], axis=-1).reshape(-1, len(spatial) + 1)
    N = size[0]
    grid = wrap(base) @ theta.transpose(1, 2)            # (N, prod(spatial), nd)
    return grid.reshape([N] + spatial + [len(spatial)])


def _size(s):
    return 'torch.Size([' + ', '.join(map(str, s)) + '])'


def _unnormalize(c, n, align_corners):
    if align_corners:
        return (c + 1) * ((n - 1) / 2)
    return ((c + 1) * n - 1) / 2


def _reflect(x, lo2, hi2):
    """torch's reflect_coordinates over [lo2/2, hi2/2], composed (the fold count is constant
    between reflections, so the result is piecewise linear in x)."""
    if lo2 == hi2:
        return x * 0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    d = (x - lo).abs()
    flips = wrap(xp.floor(d._data / span))
    extra = d - flips * span
    even = wrap((flips._data % 2 == 0).astype(x._data.dtype))
    return even * (extra + lo) + (1 - even) * (span - extra + lo)


def _source_coords(c, n, padding_mode, align_corners):
    x = _unnormalize(c, n, align_corners)
    if padding_mode == 'border':
        x = x.clamp(0, n - 1)
    elif padding_mode == 'reflection':
        x = _reflect(x, 0, 2 * (n - 1)) if align_corners else _reflect(x, -1, 2 * n - 1)
        x = x.clamp(0, n - 1)
    return x


def grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None):
    """Sample ``input`` ``(N, C, H, W)`` at the normalized (x, y) positions of ``grid``
    ``(N, Ho, Wo, 2)`` (-1 and 1 are the edges), or ``(N, C, D, H, W)`` at (x, y, z) of
    ``(N, Do, Ho, Wo, 3)``; bilinear (trilinear for 5-D) or nearest, zeros / border / reflection
    padding.

    >>> import numtorch
    >>> x = numtorch.arange(4.).reshape(1, 1, 2, 2)
    >>> g = numtorch.tensor([[[[0., 0.]]]])
    >>> numtorch.nn.functional.grid_sample(x, g, align_corners=True)
    tensor([[[[1.5000]]]])
    """
    if mode not in ('bilinear', 'nearest', 'bicubic'):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ('zeros', 'border', 'reflection'):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn('Default grid_sample and affine_grid behavior has changed to '
                      'align_corners=False since 1.3.0. Please specify align_corners=True if '
                      'the old behavior is desired. See the documentation of grid_sample for '
                      'details.', stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if mode == 'bicubic' or nd not in (2, 3):
        raise NotImplementedError('grid_sample: numtorch supports 4-D and 5-D input with bilinear '
                                  'or nearest mode (bicubic sampling is not implemented)')
    if grid.dim() != nd + 2 or grid.shape[-1] != nd or grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f'grid_sampler(): expected grid to have size {nd} in last dimension, but got grid '
            f'with sizes {list(grid.shape)}' if grid.shape[-1] != nd else
            f'grid_sampler(): expected grid and input to have same batch size, but got input '
            f'with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}')
    N, C = input.shape[:2]
    sizes = tuple(input.shape[2:])                      # (H, W) or (D, H, W)
    out_sp = tuple(grid.shape[1:-1])
    L = 1
    for n in out_sp:
        L *= n
    # grid's last axis is (x, y[, z]): x indexes the last spatial dim.
    coords = [_source_coords(grid[..., nd - 1 - k], sizes[k], padding_mode, align_corners)
              for k in range(nd)]                        # per spatial dim, (N, *out_sp)
    flat = input.reshape(N, C, -1)
    dt = input._data.dtype
    ns = namespace(input._data)    # index and mask arrays are built where the input lives

    def tap(ids):
        """input at integer positions ``ids`` (one array per spatial dim), zero outside."""
        ok = ns.ones(ids[0].shape, bool)
        lin = ns.zeros(ids[0].shape, xp.int64)
        for i, n in zip(ids, sizes):
            ok &= (i >= 0) & (i < n)
            lin = lin * n + xp.clip(i, 0, n - 1)
        idx = ns.ascontiguousarray(xp.broadcast_to(lin.reshape(N, 1, L), (N, C, L)))
        v = flat.gather(2, wrap(idx))
        return v.reshape((N, C) + out_sp) * wrap(ok.astype(dt)[:, None])

    if mode == 'nearest':
        # std::nearbyint: half to even, as rint. torch gives the grid a zero gradient (not
        # none): the "+ 0 * coords" term records exactly that.
        out = tap([xp.rint(c._data).astype(xp.int64) for c in coords])
        zero = coords[0] * 0
        for c in coords[1:]:
            zero = zero + c * 0
        return out + zero.unsqueeze(1)
    lo = [xp.floor(c._data) for c in coords]
    w1 = [(c - wrap(f)).unsqueeze(1) for c, f in zip(coords, lo)]
    base = [f.astype(xp.int64) for f in lo]
    out = None
    for corner in range(2 ** nd):        # 4 (bilinear) or 8 (trilinear) neighbours
        bits = [(corner >> (nd - 1 - k)) & 1 for k in range(nd)]
        w = None
        for k, b in enumerate(bits):
            wk = w1[k] if b else 1 - w1[k]
            w = wk if w is None else w * wk
        term = tap([i + b for i, b in zip(base, bits)]) * w
        out = term if out is None else out + term
    return out


# ---------------------------------------------------------------- nearest upsampling

def _upsample_nearest_matrix(xp, n_in, n_out, scale, dtype):
    """0/1 matrix (n_out, n_in) picking torch's nearest source for each output position:
    ``min(floor(dst * scale), n_in - 1)`` computed in float32, as torch's kernel does."""
    if scale is None or scale <= 0:
        scale = xp.float32(n_in) / xp.float32(n_out)
    else:
        scale = xp.float32(1.0) / xp.float32(scale)
    src = xp.minimum(xp.floor(xp.arange(n_out, dtype=xp.float32) * xp.float32(scale)).astype(xp.int64),
                     n_in - 1)
    return (src[:, None] == xp.arange(n_in)).astype(dtype)


class UpsampleNearest(Node):
    frees = False   # torch saves no tensor here: backward may run again
    def forward(self, x, sizes, scales):
        mats = [_upsample_nearest_matrix(self.xp, n, o, s, x.dtype) for n, o, s in zip(x.shape[2:], sizes, scales)]
        self.saved = tuple(mats)
        self._name = f'UpsampleNearest{len(sizes)}DBackward0'
        y = xp.matmul(x, mats[-1].T)
        if len(mats) == 2:
            y = xp.matmul(mats[0], y)
        return y

    def backward(self, g):
        mats = self.saved
        gx = xp.matmul(g, mats[-1])
        if len(mats) == 2:
            gx = xp.matmul(mats[0].T, gx)
        return gx


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` by ``size`` or
    ``scale_factor``; modes nearest (default), linear, bilinear, bicubic, trilinear, area,
    nearest-exact (``antialias=True`` is not supported).

    >>> import numtorch
    >>> numtorch.nn.functional.interpolate(numtorch.tensor([[[1., 2.]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    nd = input._data.ndim - 2
    modes = ('nearest', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', 'nearest-exact')
    if mode not in modes:
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported by numtorch")
    if mode in ('nearest', 'area', 'nearest-exact'):
        if align_corners is not None:
            raise ValueError('align_corners option can only be set with the interpolating modes: '
                             'linear | bilinear | bicubic | trilinear')
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError('interpolate: antialias=True is not supported by numtorch')
    if size is None and scale_factor is None:
        raise ValueError('either size or scale_factor should be defined')
    if size is not None and scale_factor is not None:
        raise ValueError('only one of size or scale_factor should be defined')
    spatial = input._data.shape[2:]
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(sizes) != nd:
            raise ValueError(f'Input and output must have the same number of spatial dimensions, '
                             f'but got input with spatial dimensions of {list(spatial)} and output '
                             f'size of {list(sizes)}. Please provide input tensor in (N, C, d1, d2, '
                             f'...,dK) format and output size in (o1, o2, ...,oK) format.')
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * nd
    else:
        sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        if len(sf) != nd:
            raise ValueError(f'Input and scale_factor must have the same number of spatial '
                             f'dimensions, but got input with spatial dimensions of '
                             f'{list(spatial)} and scale_factor of shape {list(sf)}. Please provide '
                             f'input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in '
                             f'(s1, s2, ...,sK) format.')
        sizes = tuple(int(math.floor(float(n) * float(s))) for n, s in zip(spatial, sf))
        scales = (None,) * nd if recompute_scale_factor else tuple(float(s) for s in sf)
    if size is not None and recompute_scale_factor:
        raise ValueError('recompute_scale_factor is not meaningful with an explicit size.')
    if mode == 'area':
        scales = (None,) * nd
    if mode == 'nearest' and nd in (1, 2):
        return unary(UpsampleNearest, input, sizes, scales)
    # The other modes and 3-D inputs: the separable resampling matrices above.
    return interpolate_modes(input, sizes, scales, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated alias of ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode='nearest')


__all__ = []
