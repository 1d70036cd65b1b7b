"""``bfloat16`` and the float8 dtypes, through the optional ``ml_dtypes`` package.

NumPy has no bfloat16; ``ml_dtypes`` (``pip install 'numtorch[bfloat16]'``) adds it and the float8
formats as real NumPy dtypes with casts and arithmetic. The dtype objects (``numtorch.bfloat16``
...) always exist, with torch's names, so code that only names them imports and prints without
the package; ``ml_dtypes`` is imported the first time one is used for data, and its absence then
raises an ImportError that says how to get it.

As in torch, float8 tensors are for storage: they convert, print, save and load, and refuse to
promote with any other dtype.
"""
import sys

import numpy as np

from . import _dtype

MISSING = ("{name} needs the optional package ml_dtypes, which is not installed: "
           "pip install 'numtorch[bfloat16]' (or pip install ml_dtypes)")

# name, torch's C++ scalar name (error messages, tensor types), itemsize, is_signed
_SPECS = (
    ('bfloat16', 'BFloat16', 2, True),
    ('float8_e4m3fn', 'Float8_e4m3fn', 1, True),
    ('float8_e5m2', 'Float8_e5m2', 1, True),
    ('float8_e4m3fnuz', 'Float8_e4m3fnuz', 1, True),
    ('float8_e5m2fnuz', 'Float8_e5m2fnuz', 1, True),
    ('float8_e8m0fnu', 'Float8_e8m0fnu', 1, False),
)
_NP = {}   # name -> NumPy dtype, filled by load()
FLOAT_NP = set()   # the NumPy dtypes of all of them (their kind is 'V', not 'f')
BF16_NP = set()    # bfloat16's: the one that computes (float8 is storage only, as in torch)


def is_float(npd):
    """True for a NumPy dtype numtorch treats as floating: kind 'f'/'c', or an ml_dtypes one."""
    return npd.kind in 'fc' or npd in FLOAT_NP


class ext_dtype(_dtype.dtype):
    """A floating dtype whose NumPy dtype comes from ``ml_dtypes``, e.g. ``numtorch.bfloat16``.

    >>> import numtorch
    >>> numtorch.bfloat16, numtorch.bfloat16.is_floating_point, numtorch.bfloat16.itemsize
    (torch.bfloat16, True, 2)
    """
    __slots__ = ()

    def __init__(self, name, itemsize, signed):   # no NumPy dtype needed to exist
        self.name = name
        self._category = 2
        self.is_floating_point = True
        self.is_signed = signed
        self.itemsize = itemsize

    @property
    def np(self):
        npd = _NP.get(self.name)
        if npd is None:
            load(self.name)
            npd = _NP[self.name]
        return npd


def load(name='bfloat16'):
    """Import ``ml_dtypes`` and register its dtypes; ImportError naming the extra if absent."""
    if _NP:
        return
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(MISSING.format(name=f'torch.{name}')) from None
    for spec in _SPECS:
        npd = np.dtype(getattr(ml_dtypes, spec[0]))
        _NP[spec[0]] = npd
        FLOAT_NP.add(npd)
        _dtype._BY_NP[npd] = _dtype._BY_NAME[spec[0]]
    BF16_NP.add(_NP['bfloat16'])


def lookup(npd):
    """The dtype of an ml_dtypes NumPy dtype (arrays made with ml_dtypes before numtorch saw one),
    or None."""
    if not _NP and 'ml_dtypes' in sys.modules:
        load()
    return _dtype._BY_NP.get(npd)


def cast(a, npd):
    """``a.astype(npd)`` for an ml_dtypes ``npd``, rounding as torch: float8_e4m3fn (no inf)
    saturates out-of-range values and infinities at +-448 where ml_dtypes gives nan."""
    if npd == _NP.get('float8_e4m3fn'):
        a = np.clip(a.astype(np.float32), -448.0, 448.0)   # nan stays nan
    return a.astype(npd)


def is_float8(d):
    return d.__class__ is ext_dtype and d.itemsize == 1


def promote(a, b):
    """torch's promote_types where one side is bfloat16 or a float8 dtype."""
    if is_float8(a) or is_float8(b):
        raise RuntimeError('Promotion for Float8 Types is not supported, attempted to promote '
                           f'{_dtype._SCALAR_NAMES[a.name]} and {_dtype._SCALAR_NAMES[b.name]}')
    hi, lo = (a, b) if a.__class__ is ext_dtype else (b, a)   # hi is bfloat16
    if lo._category < 2:
        return hi
    if lo._category == 3:
        return lo
    return _dtype.float32 if lo is _dtype.float16 else lo


def finfo_source(d):
    """ml_dtypes' finfo (np.finfo knows none of these dtypes)."""
    import ml_dtypes
    return ml_dtypes.finfo(d.np)


DTYPES = tuple(ext_dtype(name, size, signed) for name, _, size, signed in _SPECS)
SCALAR_NAMES = {name: scalar for name, scalar, _, _ in _SPECS}
