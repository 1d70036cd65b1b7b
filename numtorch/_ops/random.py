"""Random sampling ops with torch's signatures, drawing from ``numtorch.random``'s generators.

Creation: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
``multinomial``, ``poisson`` and the ``*_like`` forms (exported as ``numtorch.<name>``).
``rand``/``randn``/``randint``/``randperm`` without ``device=`` build on
``numtorch.set_default_device``'s device, as torch's do.
In-place fills, ``Tensor`` methods (``METHODS``): ``uniform_``, ``normal_``, ``bernoulli_``,
``random_``, ``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_``. They follow
``Tensor.fill_``'s rules: refused on a leaf that requires grad (outside ``no_grad``), version
bumped, and a non-leaf gets a grad_fn named as torch's that passes back a zero gradient.
"""
import math
import operator

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from .. import _dtype as _dtype_mod
from .._settings import _state as _settings_state
from .._dtype_ext import BF16_NP
from .._device import check_device
from .._backend import device_of, backend_for, to_host, to_device
from .._tensor import Tensor
from .shape.copyslices import refill_history
from ._apply import wrap
from ..autograd import graph
from ..autograd.grad_mode import _enabled
from ..random import default_generator

__all__ = ['rand', 'randn', 'randint', 'randperm', 'normal', 'bernoulli', 'multinomial',
           'poisson', 'rand_like', 'randn_like', 'randint_like']

# torch's C++ scalar-type names, used in its "not implemented for 'Long'" errors
_SCALAR = _dtype_mod._SCALAR_NAMES
_CTYPE = {'uint8': 'unsigned char', 'int8': 'signed char', 'int16': 'short', 'int32': 'int',
          'int64': 'long', 'uint16': 'unsigned short', 'uint32': 'unsigned int',
          'uint64': 'unsigned long', 'bool': 'bool'}


# torch's TORCH_CHECK without a message appends this hint (compared as one line)
_P_IN = ('Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message '
         'be improved?  If so, please report an enhancement request to PyTorch.)')


def _num(x):
    """A number as C++'s ostream prints a double (``2.0`` -> ``2``), for torch's messages."""
    return format(float(x), 'g')


def _rng(generator, where=None):
    """The draw source for ``where`` (None/a device/a tensor): ``generator``, else that device's
    default generator. Draws for a device come back as that device's arrays (one generator per
    device, so CUDA draws never move the CPU generator's stream)."""
    if where is not None:
        if isinstance(where, Tensor):
            d = where._data
            dev = None if d.__class__ is np.ndarray else device_of(d)
        else:
            dev = check_device(where)
        if dev is not None and dev.type != 'cpu':
            b = backend_for(dev)
            g = b.generator_for(dev.index) if generator is None else generator
            return _OnDevice(g._np, b, dev.index)
    return (default_generator if generator is None else generator)._np


class _OnDevice:
    """A NumPy Generator whose draws land on a device (``backend.generated``)."""

    def __init__(self, g, backend, index):
        self._g, self._b, self._i = g, backend, index

    def __getattr__(self, name):
        f = getattr(self._g, name)

        def draw(*args, **kwargs):
            return self._b.generated(np.asarray(f(*args, **kwargs)), self._i)
        return draw


def _sizes(name, args, size):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(size=(2, 3))`` -> a tuple of ints."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f'{name}() received an invalid combination of arguments - got (), but '
                        f'expected one of:\n * (tuple of ints size, *, ...)')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        shape = tuple(operator.index(s) for s in args)
    except TypeError:
        raise TypeError(f'{name}(): argument \'size\' must be tuple of ints, but found element '
                        f'of type {type(next(s for s in args if not isinstance(s, int))).__name__}'
                        ) from None
    for s in shape:
        if s < 0:
            raise RuntimeError(f'Trying to create tensor with negative dimension {s}: '
                               f'[{", ".join(map(str, shape))}]')
    return shape


def _broadcast(a, b):
    """The broadcast of shapes ``a`` and ``b``, or torch's error naming the first clash."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f'The size of tensor a ({a[i]}) must match the size of tensor '
                               f'b ({b[i]}) at non-singleton dimension {i}')
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _not_impl(kernel, npd):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_SCALAR[npd.name]}\'')


def _uniform(g, shape, npd):
    """U[0, 1) in ``npd`` (never 1.0, also for float16)."""
    if npd.kind == 'c':
        part = np.float32 if npd == np.complex64 else np.float64
        return (g.random(shape, part) + 1j * g.random(shape, part)).astype(npd)
    if npd == np.float16:
        # float32 draws can round up to 1.0 in half precision: use 11 random bits instead
        return (g.integers(0, 2048, shape) * (1.0 / 2048)).astype(np.float16)
    if npd in BF16_NP:   # bfloat16 holds 8 significant bits: k / 256 exactly, never 1.0
        return (g.integers(0, 256, shape) * (1.0 / 256)).astype(npd)
    return g.random(shape, npd.type)


def _standard_normal(g, shape, npd):
    if npd.kind == 'c':
        part = np.float32 if npd == np.complex64 else np.float64
        z = g.standard_normal(shape, part) + 1j * g.standard_normal(shape, part)
        return (z * math.sqrt(0.5)).astype(npd)   # torch: each part has variance 1/2
    if npd == np.float16 or npd in BF16_NP:
        return g.standard_normal(shape, np.float32).astype(npd)
    return g.standard_normal(shape, npd.type)


def _float_dtype(dtype, kernel):
    npd = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
    if npd.kind not in 'fc' and npd not in BF16_NP:
        raise _not_impl(kernel, npd)
    return npd


def _finish(data, requires_grad, device, out=None):
    if device is not None:
        dev = check_device(device)
        if dev.type != 'cpu' or data.__class__ is not np.ndarray:
            data = to_device(data, dev)
    if out is not None:
        # torch resizes `out` to the result's shape and writes into it
        if out._data.shape == data.shape:
            out._data[...] = data
        else:
            out._data = data.astype(out._data.dtype)
        out._version_counter[0] += 1
        return out
    t = wrap(data)
    if requires_grad:
        t.requires_grad = True
    return t


class _Sampled(graph.Node):
    """A sample's grad_fn when an input requires grad: torch gives those inputs a zero gradient
    (sampling is not reparameterized), and names the node after the op."""

    def __init__(self, name, shapes):
        self._name = name
        self.shapes = shapes

    def backward(self, g):
        return tuple(self.xp.zeros_like(g, shape=s) for s in self.shapes)   # on g's device


def _record(out, name, inputs):
    """Give ``out`` a zero-gradient grad_fn if grad mode is on and a tensor input requires it."""
    ts = [t for t in inputs if isinstance(t, Tensor)]
    if _enabled[0] and any(t._requires_grad for t in ts):
        graph.connect(_Sampled(name, [t._data.shape for t in ts]), out, ts)
    return out


# ----------------------------------------------------------------------------- creation
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kwargs):
    """Uniform samples from [0, 1): ``rand(2, 3)``, ``rand((2, 3))``, ``rand(size=(2, 3))``.

    >>> import numtorch
    >>> x = numtorch.rand(2, 3)
    >>> x.shape, x.dtype, all(0 <= v < 1 for v in x.flatten().tolist())
    (torch.Size([2, 3]), torch.float32, True)
    """
    shape = _sizes('rand', size, kwargs.pop('size', None))
    if device is None:   # numtorch.set_default_device's choice (None: the CPU), as torch
        device = _settings_state['default_device']
    npd = _float_dtype(dtype, 'check_uniform_bounds')
    return _finish(_uniform(_rng(generator, device), shape, npd), requires_grad, device, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kwargs):
    """Standard normal samples: ``randn(2, 3)``.

    >>> import numtorch
    >>> numtorch.randn(4, 5).shape
    torch.Size([4, 5])
    """
    shape = _sizes('randn', size, kwargs.pop('size', None))
    if device is None:
        device = _settings_state['default_device']
    npd = _float_dtype(dtype, 'normal_kernel_cpu')
    return _finish(_standard_normal(_rng(generator, device), shape, npd), requires_grad, device, out)


def _int_arg(name, pos, v):
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"randint(): argument '{name}' (position {pos}) must be int, not "
                        f'{type(v).__name__}') from None


def _check_int_range(lo, hi, npd):
    """torch's checks that [lo, hi) fits an integer dtype (``hi`` exclusive)."""
    if npd.kind in 'iub':
        info = (0, 1) if npd.kind == 'b' else (np.iinfo(npd).min, np.iinfo(npd).max)
        if not info[0] <= lo <= info[1]:
            raise RuntimeError(f'from is out of bounds for {_CTYPE[npd.name]}')
        if not info[0] <= hi - 1 <= info[1]:
            raise RuntimeError(f'to - 1 is out of bounds for {_CTYPE[npd.name]}')


def _randint_data(g, lo, hi, shape, npd):
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= "
                           f"to={hi}")
    _check_int_range(lo, hi, npd)
    return g.integers(lo, hi, shape, dtype=np.int64 if hi <= 1 << 63 else np.uint64).astype(npd)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers uniform in [low, high): ``randint(10, (3,))``, ``randint(2, 5, (2, 2))``.

    int64 unless ``dtype`` says otherwise.

    >>> import numtorch
    >>> x = numtorch.randint(2, 5, (100,))
    >>> x.dtype, sorted(set(x.tolist()))
    (torch.int64, [2, 3, 4])
    """
    if size is None and isinstance(high, (tuple, list)):   # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:                                      # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size' (a tuple of ints)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f'{type(size).__name__}')
    low, high = _int_arg('low', 0, low), _int_arg('high', 1, high)
    shape = _sizes('randint', (size,), None)
    if device is None:
        device = _settings_state['default_device']
    npd = np.dtype(np.int64) if dtype is None else to_dtype(dtype).np
    return _finish(_randint_data(_rng(generator, device), low, high, shape, npd), requires_grad, device, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of ``0 .. n-1`` (int64 by default).

    >>> import numtorch
    >>> sorted(numtorch.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f'Trying to create tensor with negative dimension {n}: [{n}]')
    npd = np.dtype(np.int64) if dtype is None else to_dtype(dtype).np
    if device is None:
        device = _settings_state['default_device']
    return _finish(_rng(generator, device).permutation(n).astype(npd), requires_grad, device, out)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """Normal samples with the given ``mean`` and ``std`` (numbers or tensors, broadcast).

    ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, 1.0)``, ``normal(0., std_tensor)``,
    ``normal(0., 1., size=(2, 3))``.

    >>> import numtorch
    >>> numtorch.normal(numtorch.zeros(2, 3), 1.).shape
    torch.Size([2, 3])
    >>> numtorch.normal(2., 3., size=(4,)).dtype
    torch.float32
    """
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    # unlike rand/randn, torch's normal(mean, std, size) ignores set_default_device (CPU)
    g = _rng(generator, mean if mt else std if st else device)
    if not mt and not st:
        if size is None:
            raise TypeError(f'normal() received an invalid combination of arguments - got '
                            f'({type(mean).__name__}, {type(std).__name__}), but expected one of:'
                            f'\n * a Tensor mean or std, or a size')
        if std < 0:
            raise RuntimeError(f'normal expects std >= 0.0, but found std {_num(std)}')
        shape = _sizes('normal', (size,), None)
        npd = _float_dtype(dtype, 'normal_kernel_cpu')
        data = (_standard_normal(g, shape, npd) * std + mean).astype(npd, copy=False)
        return _finish(data, requires_grad, device, out)
    if st and (std._data < 0).any():
        raise RuntimeError('normal expects all elements of std >= 0.0')
    if not st and std < 0:
        raise RuntimeError(f'normal expects std >= 0.0, but found std {_num(std)}')
    if mt and st:
        shape = _broadcast(mean._data.shape, std._data.shape)
        npd = np.result_type(mean._data, std._data)
        name = 'NormalBackward3'
    else:
        t = mean if mt else std
        shape, npd = t._data.shape, t._data.dtype
        name = 'NormalBackward1' if mt else 'NormalBackward2'
    if npd.kind not in 'fc':
        raise _not_impl('normal_kernel_cpu', npd)
    m = mean._data if mt else mean
    s = std._data if st else std
    data = (_standard_normal(g, shape, npd) * s + m).astype(npd, copy=False)
    return _record(_finish(data, False, device, out), name, (mean, std))


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples, 1 with probability ``input`` (elementwise), or ``p`` if given.

    >>> import numtorch
    >>> numtorch.bernoulli(numtorch.tensor([0., 1., 1.]))
    tensor([0., 1., 1.])
    """
    a = input._data
    g = _rng(generator, input)
    if p is not None:
        _check_p01('bernoulli_', p)
        data = (g.random(a.shape) < p).astype(a.dtype)
        return _finish(data, False, None, out)
    if a.dtype.kind not in 'fc':
        raise _not_impl('bernoulli_tensor_cpu_p_', a.dtype)
    if not ((a >= 0) & (a <= 1)).all():
        raise RuntimeError(_P_IN)
    data = (g.random(a.shape) < a).astype(a.dtype)
    return _record(_finish(data, False, None, out), 'BernoulliBackward0', (input,))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    ``input`` is 1-D (one distribution) or 2-D (one per row); the result has ``num_samples``
    indices per distribution (int64). Without replacement an index appears at most once.

    >>> import numtorch
    >>> numtorch.multinomial(numtorch.tensor([0., 1., 0.]), 2, replacement=True)
    tensor([1, 1])
    """
    a = to_host(input._data)   # the sampler runs on the host (result goes back to the device)
    if a.dtype.kind != 'f':
        raise RuntimeError(f'multinomial only supports floating-point dtypes for input, got: '
                           f'{_SCALAR[a.dtype.name]}')
    if a.ndim not in (1, 2):
        raise RuntimeError('prob_dist must be 1 or 2 dim')
    n = operator.index(num_samples)
    if n <= 0:
        raise RuntimeError('cannot sample n_sample <= 0 samples')
    k = a.shape[-1]
    if not replacement and n > k:
        raise RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without '
                           'replacement')
    p = a.astype(np.float64).reshape(-1, k)
    if not (np.isfinite(p) & (p >= 0)).all():
        raise RuntimeError('probability tensor contains either `inf`, `nan` or element < 0')
    total = p.sum(1)
    if (total <= 0).any():
        raise RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)')
    g = _rng(generator, input)
    if isinstance(g, _OnDevice):   # the sampler loops on the host; draws come from the device's
        g = g._g                   # generator, the result goes back to the input's device
    if replacement:
        res = np.empty((p.shape[0], n), np.int64)
        u = g.random((p.shape[0], n))
        for i, row in enumerate(p):
            cdf = np.cumsum(row)
            cdf /= cdf[-1]
            # side='right' never lands on a zero-probability category; the clip guards against
            # rounding putting u past the last positive category's cdf
            last = np.flatnonzero(row)[-1]
            res[i] = np.minimum(np.searchsorted(cdf, u[i], side='right'), last)
    else:
        # exponential race, as torch's CPU kernel: the n largest p / Exp(1) keys, in order
        keys = p / g.standard_exponential(p.shape)
        res = np.argsort(-keys, axis=1, kind='stable')[:, :n]
    return _finish(res.reshape(a.shape[:-1] + (n,)), False,
                   None if input._data.__class__ is np.ndarray else input.device, out)


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (same float dtype).

    >>> import numtorch
    >>> numtorch.poisson(numtorch.zeros(3))
    tensor([0., 0., 0.])
    """
    a = input._data
    if a.dtype.kind != 'f':
        raise _not_impl('poisson_cpu', a.dtype)
    if (a < 0).any() or np.isnan(a).any():
        raise RuntimeError('invalid Poisson rate, expected rate to be non-negative')
    g = _rng(generator, input)
    if isinstance(g, _OnDevice):   # NumPy's sampler on the host, the device's generator
        data = to_device(g._g.poisson(to_host(a).astype(np.float64)).astype(a.dtype), input.device)
    else:
        data = g.poisson(a.astype(np.float64)).astype(a.dtype)
    return _record(wrap(data), 'PoissonBackward0', (input,))


def _like_dtype(input, dtype):
    return input._data.dtype if dtype is None else to_dtype(dtype).np


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """``rand`` with ``input``'s shape and dtype."""
    npd = _like_dtype(input, dtype)
    if npd.kind not in 'fc':
        raise _not_impl('check_uniform_bounds', npd)
    device = input.device if device is None else device
    return _finish(_uniform(_rng(generator, device), input._data.shape, npd), requires_grad, device)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    """``randn`` with ``input``'s shape and dtype."""
    npd = _like_dtype(input, dtype)
    if npd.kind not in 'fc':
        raise _not_impl('normal_kernel_cpu', npd)
    device = input.device if device is None else device
    return _finish(_standard_normal(_rng(generator, device), input._data.shape, npd),
                   requires_grad, device)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    """``randint`` with ``input``'s shape and dtype: ``randint_like(x, 10)``, ``(x, 2, 5)``."""
    if high is None:
        low, high = 0, low
    low, high = _int_arg('low', 1, low), _int_arg('high', 2, high)
    npd = _like_dtype(input, dtype)
    device = input.device if device is None else device
    return _finish(_randint_data(_rng(generator, device), low, high, input._data.shape, npd),
                   requires_grad, device)


# ----------------------------------------------------------------------------- in-place fills
class _Refill(graph.Node):
    """grad_fn of a tensor overwritten by random values: nothing flows to its old value."""

    def __init__(self, name):
        self._name = name

    def backward(self, g):
        return (self.xp.zeros_like(g),)   # dispatches to g's device (NumPy's array protocols)


def _refill_node(t, name):
    node = _Refill(name)
    node.edges = (graph.edge(t),)
    graph._rename(node)
    return node


def _fill(t, data, name):
    """Write ``data`` into ``t`` in place, with fill_'s autograd and version rules."""
    if _enabled[0] and (t._requires_grad or (t._base is not None and t._base._requires_grad)):
        t._check_inplace()   # a leaf that requires grad may not be overwritten
        t._data[...] = data
        t._version_counter[0] += 1
        refill_history(t, lambda t: _refill_node(t, name))
        return t
    t._data[...] = data
    t._version_counter[0] += 1
    return t


def _check_float(t, kernel):
    if t._data.dtype.kind not in 'fc':
        raise _not_impl(kernel, t._data.dtype)


def _check_p01(op, p):
    if not 0 <= p <= 1:
        raise RuntimeError(f'{op} expects p to be in [0, 1], but got p={_num(p)}')


def uniform_(self, from_=0, to=1, *, generator=None, **kwargs):
    """Fill in place with samples from U[from, to).

    >>> import numtorch
    >>> w = numtorch.empty(1000).uniform_(-1, 1).tolist()
    >>> -1 <= min(w) and max(w) < 1
    True
    """
    from_ = kwargs.pop('from', from_)
    _check_float(self, 'check_uniform_bounds')
    if from_ > to:
        raise RuntimeError(f'uniform_ expects to return a [from, to) range, but found '
                           f'from={_num(from_)} > to={_num(to)}')
    a = self._data
    u = _uniform(_rng(generator, self), a.shape, a.dtype)
    return _fill(self, u * (to - from_) + from_, 'UniformBackward0')


def normal_(self, mean=0, std=1, *, generator=None):
    """Fill in place with samples from N(mean, std**2).

    >>> import numtorch
    >>> numtorch.empty(3, 4).normal_(0, 0.01).shape
    torch.Size([3, 4])
    """
    _check_float(self, 'normal_kernel_cpu')
    if std < 0:
        raise RuntimeError(f'normal expects std >= 0.0, but found std {_num(std)}')
    a = self._data
    return _fill(self, _standard_normal(_rng(generator, self), a.shape, a.dtype) * std + mean,
                 'NormalBackward0')


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill in place with 1 (probability ``p``, a number or a broadcastable tensor) or 0."""
    a = self._data
    if isinstance(p, Tensor):
        pd = p._data
        if not ((pd >= 0) & (pd <= 1)).all():
            raise RuntimeError(_P_IN)
        if _broadcast(a.shape, pd.shape) != a.shape:
            raise RuntimeError(f'output with shape [{", ".join(map(str, a.shape))}] doesn\'t '
                               f'match the broadcast shape '
                               f'[{", ".join(map(str, _broadcast(a.shape, pd.shape)))}]')
        name = 'BernoulliBackward1'
    else:
        _check_p01('bernoulli_', p)
        pd = p
        name = 'BernoulliBackward2'
    return _fill(self, _rng(generator, self).random(a.shape) < pd, name)


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    """Fill in place with integers uniform in [from, to); ``random_(to)``; or, with no bounds,
    in [0, 2**mantissa] for floats and [0, max] for integer dtypes."""
    from_ = kwargs.pop('from', from_)
    a = self._data
    npd = a.dtype
    if from_ is not None and to is None:       # random_(to)
        from_, to, name = 0, from_, 'RandomBackward1'
    elif from_ is None and to is None:
        name = 'RandomBackward2'
        from_ = 0
        if npd.kind == 'b':
            to = 2
        elif npd.kind == 'f':
            to = (1 << (np.finfo(npd).nmant + 1)) + 1
        elif npd.kind == 'c':
            raise _not_impl('random_from_to', npd)
        else:
            to = int(np.iinfo(npd).max) + 1
    else:
        from_ = 0 if from_ is None else from_
        name = 'RandomBackward0'
    data = _randint_data(_rng(generator, self), operator.index(from_), operator.index(to), a.shape, npd)
    return _fill(self, data, name)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill in place with samples from the exponential distribution with rate ``lambd``."""
    _check_float(self, 'exponential_cpu')
    if not lambd > 0:
        raise RuntimeError(f'exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}')
    a = self._data
    return _fill(self, _rng(generator, self).standard_exponential(a.shape) / lambd,
                 'ExponentialBackward0')


def geometric_(self, p, *, generator=None):
    """Fill in place with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f'geometric_ expects p to be in (0, 1), but got p={_num(p)}')
    a = self._data
    return _fill(self, _rng(generator, self).geometric(p, a.shape), 'GeometricBackward0')


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill in place with exp(N(mean, std**2)) samples."""
    _check_float(self, 'log_normal_cpu')
    if not std > 0:
        raise RuntimeError(f'log_normal_ expects std > 0.0, but found std={_num(std)}')
    a = self._data
    z = _rng(generator, self).standard_normal(a.shape)
    return _fill(self, np.exp(z * std + mean), 'LogNormalBackward0')


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill in place with samples from the Cauchy distribution."""
    _check_float(self, 'cauchy_cpu')
    a = self._data
    return _fill(self, median + sigma * _rng(generator, self).standard_cauchy(a.shape),
                 'CauchyBackward0')


# Registration (numtorch/_registry.py): x.bernoulli() and x.multinomial(n) are methods too.
FUNCTION_ONLY = set(__all__) - {'bernoulli', 'multinomial'}
METHODS = {fn.__name__: fn for fn in (uniform_, normal_, bernoulli_, random_, exponential_,
                                      geometric_, log_normal_, cauchy_)}
