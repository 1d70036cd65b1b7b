"""``numtorch.random``: ``Generator``, seeding and RNG state (torch's ``torch.random``).

Every draw goes through a ``Generator``, a NumPy ``PCG64`` bit generator plus the seed it was
made from. Seeding is reproducible across runs and platforms (NumPy's seeding is specified), but
the numbers are not torch's: bitwise equality with torch's Mersenne Twister is not a goal.

``get_state()`` / ``get_rng_state()`` return a uint8 tensor, as torch does, so a checkpoint can
store it. Its 56 bytes are fixed-width little-endian fields (no pickle): a magic tag, the
initial seed, PCG64's 128-bit state and increment, and its buffered 32-bit half-word.

The sampling ops (``rand``, ``randn``, ``uniform_``, ...) live in ``numtorch/_ops/random.py``.
"""
import contextlib
import os
import struct

import numpy as np

from ._device import check_device
from ._tensor import Tensor
from ._ops._apply import wrap

__all__ = ['Generator', 'default_generator', 'manual_seed', 'seed', 'initial_seed',
           'get_rng_state', 'set_rng_state', 'fork_rng']

# torch's seed for a fresh torch.Generator() (c10's default_rng_seed_val)
_DEFAULT_SEED = 67280421310721
_MAGIC = b'NTPCG64\x01'
_STATE = struct.Struct('<8sQ16s16sII')   # magic, seed, state, inc, has_uint32, uinteger
_U64 = (1 << 64) - 1


def _check_seed(s):
    s = int(s)
    if not -(1 << 63) <= s <= _U64:
        raise ValueError('Overflow when unpacking long long')
    return s & _U64   # torch keeps a negative seed as its two's complement uint64


class Generator:
    """A source of random numbers with its own state (torch's ``torch.Generator``).

    >>> import numtorch
    >>> g = numtorch.Generator().manual_seed(42)
    >>> a = numtorch.rand(3, generator=g)
    >>> a.tolist() == numtorch.rand(3, generator=numtorch.Generator().manual_seed(42)).tolist()
    True
    """

    def __init__(self, device='cpu'):
        self.device = check_device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Reseed; returns the generator itself (so ``Generator().manual_seed(0)`` works)."""
        seed = _check_seed(seed)
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        """Reseed from the OS's entropy and return the new seed."""
        s = int.from_bytes(os.urandom(8), 'little')
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The full state as a uint8 tensor (56 bytes), for ``set_state`` or a checkpoint.

        >>> import numtorch
        >>> g = numtorch.Generator().manual_seed(1); s = g.get_state()
        >>> a = numtorch.rand(2, generator=g); _ = g.set_state(s)
        >>> a.tolist() == numtorch.rand(2, generator=g).tolist(), s.dtype
        (True, torch.uint8)
        """
        st = self._np.bit_generator.state
        inner = st['state']
        raw = _STATE.pack(_MAGIC, self._seed, inner['state'].to_bytes(16, 'little'),
                          inner['inc'].to_bytes(16, 'little'), st['has_uint32'], st['uinteger'])
        return wrap(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from ``get_state()``; returns the generator."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError('RNG state must be a torch.ByteTensor')
        raw = new_state._data.tobytes()
        if len(raw) != _STATE.size:
            raise RuntimeError(f'Expected a numtorch PCG64 generator state of size {_STATE.size} '
                               f'but found the input RNG state size to be {len(raw)}')
        magic, seed, state, inc, has32, u32 = _STATE.unpack(raw)
        if magic != _MAGIC:
            raise RuntimeError('RNG state is not a numtorch PCG64 generator state (a torch '
                               'checkpoint\'s RNG state cannot be restored into numtorch)')
        bg = np.random.PCG64()
        bg.state = {'bit_generator': 'PCG64',
                    'state': {'state': int.from_bytes(state, 'little'),
                              'inc': int.from_bytes(inc, 'little')},
                    'has_uint32': has32, 'uinteger': u32}
        self._seed = seed
        self._np = np.random.Generator(bg)
        return self

    def __repr__(self):
        return f'<numtorch.Generator object at {hex(id(self))}>'


default_generator = Generator()
default_generator.seed()   # like torch, an unseeded process draws differently on every run


def manual_seed(seed):
    """Seed the default generator; returns it.

    >>> import numtorch
    >>> _ = numtorch.manual_seed(0); a = numtorch.randn(2)
    >>> _ = numtorch.manual_seed(0); a.tolist() == numtorch.randn(2).tolist()
    True
    """
    seed = _check_seed(seed)
    _device_seed[0] = seed   # device generators made later start from it too (torch seeds CUDA)
    from . import _backend
    b = _backend._BY_TYPE.get('cuda')
    if b is not None and getattr(b, 'generators', None) is not None:
        for g in b.generators:
            g.manual_seed(seed)
    return default_generator.manual_seed(seed)


_device_seed = [_DEFAULT_SEED]   # the seed of a device's generator when it is first made


def seed():
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller='fork_rng', _devices_kw='devices',
             device_type=None):
    """Inside the block draw freely; the default generator's state is restored afterwards."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
