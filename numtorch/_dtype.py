"""dtypes with torch's names, and torch's type-promotion rules.

A ``dtype`` wraps a NumPy dtype. Tensors store plain NumPy arrays, so ``tensor.dtype`` is a dict
lookup from the array's NumPy dtype. Promotion follows torch, not NumPy: a float beats any
integer (``float16 + int64 -> float16``), Python scalars are "weak" (``int32 + 2 -> int32``,
``int64 + 2.5 -> get_default_dtype()``), and a 0-dim tensor only wins if it is of a higher
category than the dimensioned ones (see ``result_type``).
"""
import numpy as np


class dtype:
    """A tensor element type, e.g. ``numtorch.float32``.

    >>> import numtorch
    >>> numtorch.float32.is_floating_point, numtorch.float32.itemsize
    (True, 4)
    """
    __slots__ = ('name', 'np', 'is_floating_point', 'is_signed', 'itemsize', '_category')

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in 'fic'
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self):
        return self._category == 3

    def to_real(self):
        return self

    def __repr__(self):
        # Tensors print "dtype=torch.float64" in torch; we print the same so repr output matches.
        return 'torch.' + self.name

    def __reduce__(self):
        # Pickling a dtype names the module attribute, as torch does (checkpoints store these).
        return (_lookup, (self.name,))


def _lookup(name):
    return _BY_NAME[name]


bool_ = dtype('bool', np.bool_, 0)
uint8 = dtype('uint8', np.uint8, 1)
int8 = dtype('int8', np.int8, 1)
int16 = dtype('int16', np.int16, 1)
int32 = dtype('int32', np.int32, 1)
int64 = dtype('int64', np.int64, 1)
uint16 = dtype('uint16', np.uint16, 1)
uint32 = dtype('uint32', np.uint32, 1)
uint64 = dtype('uint64', np.uint64, 1)
float16 = dtype('float16', np.float16, 2)
float32 = dtype('float32', np.float32, 2)
float64 = dtype('float64', np.float64, 2)
complex64 = dtype('complex64', np.complex64, 3)
complex128 = dtype('complex128', np.complex128, 3)

ALL = (bool_, uint8, int8, int16, int32, int64, uint16, uint32, uint64,
       float16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}

# torch's aliases: torch.float is float32, torch.long is int64, ...
ALIASES = {'float': float32, 'double': float64, 'half': float16, 'long': int64, 'int': int32,
           'short': int16, 'bool': bool_, 'cfloat': complex64, 'cdouble': complex128}

_default = [float32]

# torch's C++ scalar-type names, as its error messages spell them ("... not implemented for 'Long'").
_SCALAR_NAMES = {'bool': 'Bool', 'uint8': 'Byte', 'int8': 'Char', 'int16': 'Short', 'int32': 'Int',
                 'int64': 'Long', 'uint16': 'UInt16', 'uint32': 'UInt32', 'uint64': 'UInt64',
                 'float16': 'Half', 'float32': 'Float', 'float64': 'Double',
                 'complex64': 'ComplexFloat', 'complex128': 'ComplexDouble'}


def scalar_name(npd):
    """torch's name for a NumPy dtype in error messages: float32 -> 'Float', int64 -> 'Long'."""
    name = np.dtype(npd).name
    return _SCALAR_NAMES.get(name, name)


def tensor_type_name(npd):
    """torch's legacy tensor type name: float32 -> 'torch.FloatTensor'."""
    return 'torch.' + scalar_name(npd) + 'Tensor'


def get_default_dtype():
    """The dtype of floats created from Python numbers (``float32`` unless changed).

    >>> import numtorch
    >>> numtorch.get_default_dtype()
    torch.float32
    """
    return _default[0]


def set_default_dtype(d):
    """Set the default floating dtype (``float32`` or ``float64``, as torch allows)."""
    d = to_dtype(d)
    if d not in (float16, float32, float64):
        raise TypeError('only floating-point types are supported as the default type')
    _default[0] = d


def from_numpy_dtype(npd):
    """The numtorch dtype of a NumPy dtype; TypeError for dtypes torch has no name for."""
    try:
        return _BY_NP[npd]
    except KeyError:
        pass
    try:
        return _BY_NP[np.dtype(npd)]
    except (KeyError, TypeError):
        found = _ext_lookup(npd)
        if found is not None:
            return found
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported "
                        "types are: float64, float32, float16, complex64, complex128, int64, "
                        "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.") from None


def to_dtype(d):
    """Accept a numtorch dtype, a NumPy dtype, or Python's ``float``/``int``/``bool``."""
    if d.__class__ is dtype:
        return d
    if isinstance(d, dtype):   # bfloat16, float8 (_dtype_ext)
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    return from_numpy_dtype(d)


def promote_types(type1, type2):
    """torch.promote_types: the smallest dtype both can be cast to, floats beating integers."""
    a, b = type1, type2
    if a is b:
        return a
    if a.__class__ is not dtype or b.__class__ is not dtype:
        return _dtype_ext.promote(a, b)
    if a._category != b._category:
        hi, lo = (a, b) if a._category > b._category else (b, a)
        if hi._category >= 2:
            if lo._category == 3 or hi._category == 3:
                return from_numpy_dtype(np.promote_types(hi.np, lo.np if lo._category >= 2 else hi.np))
            return hi
        return hi  # integer beats bool
    return _BY_NP[np.promote_types(a.np, b.np)]


def _scalar_dtype(x):
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, complex):
        return complex64 if _default[0] is float32 else complex128
    return _default[0]


def _combine(higher, lower):
    # torch's combine_categories (aten/src/ATen/native/TypeProperties.cpp)
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._category >= 2 and higher._category >= lower._category:
        return higher
    if higher is bool_ or lower._category >= 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """torch.result_type over tensors and Python scalars.

    Dimensioned tensors decide the dtype unless a 0-dim tensor or a scalar is of a higher
    category (bool < integer < float < complex); within a group dtypes promote normally.
    """
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, (bool, int, float, complex)):
            d = _scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        else:
            d = x.dtype
            if x._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, wrapped))


class finfo:
    """Machine limits of a floating dtype (default: the default dtype), as ``torch.finfo``.

    >>> import numtorch
    >>> numtorch.finfo(numtorch.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or d._category != 2:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        fi = np.finfo(d.np) if d.__class__ is dtype else _dtype_ext.finfo_source(d)
        self.bits, self.dtype = fi.bits, d.name
        self.eps, self.max, self.min = float(fi.eps), float(fi.max), float(fi.min)
        self.tiny = self.smallest_normal = float(fi.smallest_normal)
        self.resolution = 10.0 ** -fi.precision

    def __repr__(self):
        return (f'finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, '
                f'eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, '
                f'tiny={self.tiny:g}, dtype={self.dtype})')


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``.

    >>> import numtorch
    >>> numtorch.iinfo(numtorch.int32).max
    2147483647
    """

    def __init__(self, type):
        if not isinstance(type, dtype) or type._category > 1:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        ii = np.iinfo(type.np) if type._category == 1 else None
        self.bits = type.itemsize * 8
        self.min, self.max = (int(ii.min), int(ii.max)) if ii else (0, 1)
        self.dtype = type.name

    def __repr__(self):
        return f'iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})'


def _ext_lookup(npd):
    try:
        return _dtype_ext.lookup(np.dtype(npd))
    except TypeError:
        return None


# bfloat16 and the float8 dtypes (NumPy dtypes from the optional ml_dtypes package).
from . import _dtype_ext  # noqa: E402
for _d in _dtype_ext.DTYPES:
    globals()[_d.name] = _BY_NAME[_d.name] = _d
_SCALAR_NAMES.update(_dtype_ext.SCALAR_NAMES)
del _d
