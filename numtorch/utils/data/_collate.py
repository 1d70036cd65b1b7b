"""``default_collate`` and ``default_convert``: how a list of samples becomes a batch (torch's
rules: tensors and NumPy arrays are stacked, Python ints become int64, floats float64, strings
stay as they come (a tuple for a field of the samples), dicts / namedtuples / sequences are
collated field by field)."""
import collections.abc
import numbers

import numpy as np

from ..._tensor import Tensor
from ..._ops._apply import wrap

__all__ = ['default_collate', 'default_convert']

_ERR = ('default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; '
        'found {}')


def _stack(batch):
    first = batch[0]._data.shape
    for i, t in enumerate(batch):
        if t._data.shape != first:
            raise RuntimeError('stack expects each tensor to be equal size, but got '
                               f'{list(first)} at entry 0 and {list(t._data.shape)} at entry {i}')
    if any(t._requires_grad for t in batch):
        import numtorch   # differentiable path only when some sample carries a graph
        return numtorch.stack(batch, 0)
    return wrap(np.stack([t._data for t in batch]))


def default_collate(batch):
    """Stack a list of samples into a batch.

    >>> from numtorch.utils.data import default_collate
    >>> default_collate([(1, 0.5), (2, 1.5)])
    [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=torch.float64)]
    >>> default_collate([{'x': 1}, {'x': 2}])
    {'x': tensor([1, 2])}
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.char in 'SaUO':
            raise TypeError(_ERR.format(elem.dtype))
        return _stack([wrap(np.asarray(b)) for b in batch])
    if isinstance(elem, np.generic):
        if elem.dtype.char in 'SaUO':
            raise TypeError(_ERR.format(elem.dtype))
        return wrap(np.asarray(batch))
    if isinstance(elem, bool):
        return wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out) if type(elem) is not dict else out
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, '_fields'):   # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError('each element in list of batch should be of equal size')
        transposed = list(zip(*batch))   # tuples: a field of strings stays a tuple, as torch
        if isinstance(elem, tuple) or type(elem) is list:
            return [default_collate(s) for s in transposed]   # tuples -> list, as torch
        try:
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """What the DataLoader applies when automatic batching is off (``batch_size=None``):
    NumPy arrays become tensors, containers are converted element by element.

    >>> import numpy as np
    >>> from numtorch.utils.data import default_convert
    >>> default_convert(np.array([1, 2]))
    tensor([1, 2])
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.char in 'SaUO' else wrap(data)
    if isinstance(data, np.generic):
        return data if data.dtype.char in 'SaUO' else wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out) if type(data) is not dict else out
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, '_fields'):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
