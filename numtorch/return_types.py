"""Named tuples that ops with several results return (``max(dim)`` gives ``(values, indices)``).

They print as torch's do (``torch.return_types.max(values=..., indices=...)``), unpack like
tuples and pickle by name.

>>> import numtorch
>>> numtorch.tensor([[1, 5, 2]]).max(1)
torch.return_types.max(
values=tensor([5]),
indices=tensor([1]))
"""
from collections import namedtuple


def _make(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ',\n'.join(f'{f}={v!r}' for f, v in zip(self._fields, self))
        return f'torch.return_types.{name}(\n{body})'

    cls = type(name, (base,), {'__slots__': (), '__repr__': __repr__, '__module__': __name__,
                               '__doc__': f'``({", ".join(fields)})``, as torch.return_types.{name}.'})
    globals()[name] = cls
    return cls


for _name in ('max', 'min', 'median', 'nanmedian', 'mode', 'kthvalue', 'cummax', 'cummin'):
    _make(_name, ['values', 'indices'])
for _name in ('sort', 'topk'):
    _make(_name, ['values', 'indices'])
_make('aminmax', ['min', 'max'])
del _name
