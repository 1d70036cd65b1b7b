"""Per-sample normalizations built from existing ops: ``instance_norm``, ``rms_norm``,
``local_response_norm``.

``instance_norm`` is ``batch_norm`` over ``(1, N*C, *)`` (each (sample, channel) pair is its own
"channel"), so it reuses the fused batch-norm node and its backward; the running statistics are
updated through per-sample copies and averaged back, as torch does. ``rms_norm`` and
``local_response_norm`` are short compositions whose gradients come from the pieces.
"""
from ... import _dtype
from ...autograd.grad_mode import no_grad
from ..normalization import batch_norm


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Normalize each (sample, channel) of ``(N, C, *)`` over its spatial dims.

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.instance_norm(numtorch.tensor([[[1., 3.], [2., 6.]]]))
    tensor([[[-1.0000,  1.0000],
             [-1.0000,  1.0000]]])
    """
    shape = input.shape
    N, C = shape[0], shape[1]
    if use_input_stats:
        n = 1
        for s in shape[2:]:
            n *= s
        if n <= 1:
            raise ValueError(f'Expected more than 1 spatial element when training, got input size '
                             f'torch.Size([{", ".join(map(str, shape))}])')
    x = input.reshape((1, N * C) + tuple(shape[2:]))
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.reshape(N, C).mean(0))
            if running_var is not None:
                running_var.copy_(rv.reshape(N, C).mean(0))
    return out.reshape(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input**2) + eps) * weight`` over the trailing ``normalized_shape``
    dims; ``eps=None`` uses the dtype's machine epsilon (as torch).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.rms_norm(numtorch.tensor([[3., 4.]]), (2,))
    tensor([[0.8485, 1.1314]])
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(input.shape)
    if len(ns) == 0 or len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f'Given normalized_shape={list(ns)}, expected input with shape '
                           f'[*{", ".join(map(str, ns))}], but got input of size{list(shape)}')
    if eps is None:
        eps = _dtype.finfo(input.dtype).eps
    dims = tuple(range(-len(ns), 0))
    y = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Divide each element by ``(k + alpha/size * sum of squares over the size neighbouring
    channels) ** beta`` (AlexNet's normalization).

    >>> import numtorch
    >>> from numtorch.nn import functional as F
    >>> F.local_response_norm(numtorch.ones(1, 3, 2), 2).shape
    torch.Size([1, 3, 2])
    """
    nd = input.dim()
    if nd < 3:
        # (torch's message has this run of spaces, from a line continuation in its source)
        raise ValueError(f'Expected 3D or higher dimensionality{" " * 26}input (got {nd} '
                         f'dimensions)')
    if input.numel() == 0:
        return input
    from ...nn.functional import pad
    from ..pool import avg_pool2d
    shape = tuple(input.shape)
    # Mean of squares over a window of `size` channels (zero-padded size//2 before,
    # (size-1)//2 after): one average pooling along the channel axis.
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k).pow(beta)


__all__ = ['instance_norm', 'rms_norm']


def _aten_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                        eps, cudnn_enabled):
    """``torch.instance_norm``: the top-level form takes ATen's argument order (weight and bias
    before the running statistics, every argument required); ``cudnn_enabled`` is accepted and
    ignored. ``F.instance_norm`` is the everyday form.

    >>> import numtorch
    >>> numtorch.instance_norm(numtorch.tensor([[[1., 3.]]]), None, None, None, None, True, 0.1,
    ...                        1e-5, False)
    tensor([[[-1.0000,  1.0000]]])
    """
    return instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                         momentum, eps)


_aten_instance_norm.__name__ = _aten_instance_norm.__qualname__ = 'instance_norm'
FUNCTION_ONLY = set(__all__)   # torch.<name> only: no Tensor method
