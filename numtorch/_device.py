"""``numtorch.device``: where a tensor lives (``cpu``, or ``cuda:N`` through CuPy or the test
stand-in; see ``numtorch/_backend.py``)."""


class device:
    """A device name, ``device('cpu')`` or ``device('cuda', 0)``.

    >>> import numtorch
    >>> numtorch.device('cpu')
    device(type='cpu')
    """
    __slots__ = ('type', 'index')

    def __init__(self, type, index=None):
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = 'cuda', type   # torch.device(0) is cuda:0
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ':' in type:
            type, idx = type.split(':', 1)
            index = int(idx)
        if type not in ('cpu', 'cuda', 'meta', 'mps'):
            raise RuntimeError(f'Expected one of cpu, cuda, meta, mps device type at start of device '
                               f'string: {type}')
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f'{self.type}:{self.index}'

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device('cpu')


def check_device(d):
    """None/'cpu'/'cuda'/'cuda:1'/an int/a ``device`` -> a concrete ``device``, with torch's
    errors for one that cannot be used here ("Torch not compiled with CUDA enabled")."""
    if d is None or d is CPU:
        return CPU
    from ._backend import normalize
    return normalize(d)
