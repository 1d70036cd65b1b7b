"""``parameters_to_vector`` / ``vector_to_parameters``: all parameters as one flat vector and
back (torch's order: the iteration order of ``parameters``)."""
from ..._tensor import Tensor

__all__ = ['parameters_to_vector', 'vector_to_parameters']


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter's values, flattened and concatenated (differentiable).

    >>> import numtorch
    >>> net = numtorch.nn.Linear(2, 1)
    >>> numtorch.nn.utils.parameters_to_vector(net.parameters()).shape
    torch.Size([3])
    """
    from ... import cat
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Replace each parameter's data by the next slice of ``vec`` (the inverse of
    ``parameters_to_vector``).

    >>> import numtorch
    >>> net = numtorch.nn.Linear(2, 1)
    >>> numtorch.nn.utils.vector_to_parameters(numtorch.arange(3.), net.parameters())
    >>> net.weight.data, net.bias.data
    (tensor([[0., 1.]]), tensor([2.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f'expected torch.Tensor, but got: {type(vec).__name__}')
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
