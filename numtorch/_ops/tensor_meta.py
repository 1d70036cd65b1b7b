"""Questions about a tensor rather than computations on its values: ``is_floating_point``,
``is_complex``, ``is_nonzero``, ``is_same_size``, ``is_signed``, ``get_device``, ``is_inference``,
``detach``, ``to_dense``, ``dim_order`` and ``Tensor.layout``.
"""


def is_floating_point(input):
    """True for a floating-point tensor.

    >>> import numtorch
    >>> numtorch.is_floating_point(numtorch.ones(1)), numtorch.is_floating_point(numtorch.ones(1, dtype=numtorch.long))
    (True, False)
    """
    return input.is_floating_point()


def is_complex(input):
    """True for a complex tensor.

    >>> import numtorch
    >>> numtorch.is_complex(numtorch.ones(1))
    False
    """
    return input.is_complex()


def detach(input):
    """``input.detach()``.

    >>> import numtorch
    >>> numtorch.detach(numtorch.ones(1, requires_grad=True)).requires_grad
    False
    """
    return input.detach()


def is_nonzero(input):
    """``bool(input)`` of a one-element tensor (torch's errors otherwise).

    >>> import numtorch
    >>> numtorch.is_nonzero(numtorch.tensor([0.5]))
    True
    """
    n = input.numel()
    if n == 0:
        raise RuntimeError('Boolean value of Tensor with no values is ambiguous')
    if n > 1:
        raise RuntimeError('Boolean value of Tensor with more than one value is ambiguous')
    return bool(input._data.reshape(()))


def is_same_size(input, other):
    """True when both tensors have the same shape.

    >>> import numtorch
    >>> numtorch.ones(2).is_same_size(numtorch.zeros(2))
    True
    """
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """True unless the dtype is unsigned (``uint8``...) or ``bool``.

    >>> import numtorch
    >>> numtorch.ones(1).is_signed(), numtorch.ones(1, dtype=numtorch.uint8).is_signed()
    (True, False)
    """
    return input._data.dtype.kind in 'ifc'


def get_device(input):
    """The device index: -1 for a CPU tensor, as torch.

    >>> import numtorch
    >>> numtorch.ones(1).get_device()
    -1
    """
    idx = input.device.index
    return -1 if input.device.type == 'cpu' or idx is None else idx


def is_inference(input):
    """False: numtorch makes no inference tensors (``inference_mode`` acts as ``no_grad``).

    >>> import numtorch
    >>> numtorch.ones(1).is_inference()
    False
    """
    return False


def to_dense(input, dtype=None, *, masked_grad=True):
    """``input`` itself (numtorch tensors are dense), or a copy in ``dtype``.

    >>> import numtorch
    >>> x = numtorch.ones(2); x.to_dense() is x
    True
    """
    return input if dtype is None else input.to(dtype)


def dim_order(input, *, ambiguity_check=False):
    """Dims from outermost to innermost in memory (by stride, as torch).

    >>> import numtorch
    >>> numtorch.ones(2, 3).t().dim_order()
    (1, 0)
    """
    st = input.stride()
    return tuple(sorted(range(input.dim()), key=lambda d: -st[d]))


# (is_nonzero is both: listed above, so its method (a different signature) comes from METHODS)
# Tensor methods only (torch has no torch.<name> for them)
def _layout(self):
    from .._misc_names import strided
    return strided

# torch-level only (the first three are Tensor methods already; is_nonzero's method, a different
# signature, comes from METHODS)
__all__ = ['is_floating_point', 'is_complex', 'detach', 'is_nonzero']
FUNCTION_ONLY = {'is_floating_point', 'is_complex', 'detach', 'is_nonzero'}
# Tensor methods only (torch has no torch.<name> for them)
METHODS = {'layout': property(_layout, doc='``numtorch.strided``: the one (dense) layout.'),
           'to_dense': to_dense, 'dim_order': dim_order, 'is_nonzero': is_nonzero,
           'is_same_size': is_same_size, 'is_signed': is_signed, 'get_device': get_device,
           'is_inference': is_inference}
