"""``numtorch.Size``: a tuple of ints, as torch's, printed ``torch.Size([2, 3])`` like torch (its dtypes too say ``torch.``)."""


class Size(tuple):
    """The shape of a tensor.

    >>> import numtorch
    >>> numtorch.zeros(2, 3).shape
    torch.Size([2, 3])
    >>> numtorch.Size([2, 3]).numel()
    6
    """
    __slots__ = ()

    def __repr__(self):
        return f'torch.Size([{", ".join(map(str, self))}])'

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))
