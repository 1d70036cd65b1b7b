"""``repr``/``str`` of tensors, character for character as torch prints them.

The algorithm is torch's (``torch/_tensor_str.py``), rewritten over NumPy arrays:
- one ``_Formatter`` per tensor (two for complex: real and imaginary parts) looks at every value
  that will be shown and fixes a common width and a mode: integers (``1.``), fixed point
  (``1.2346``) or scientific (``1.2346e+08``);
- the text is built by recursion over the first dimension, wrapping 1-D rows at ``linewidth``;
- past ``threshold`` elements only ``edgeitems`` rows at each end of every dimension are shown;
- suffixes (``dtype=``, ``requires_grad=True``, ``grad_fn=<...>``) go after the data, on a new
  line when they would pass ``linewidth``.

Values are formatted as Python floats/ints (``ndarray.tolist()``), which is what torch formats
too, so rounding is identical.
"""
import contextlib
import math

import numpy as np

from . import _dtype
from ._backend import to_host


class _PrintOptions:
    __slots__ = ('precision', 'threshold', 'edgeitems', 'linewidth', 'sci_mode')

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {'default': (4, 1000, 3, 80), 'short': (2, 1000, 2, 80), 'full': (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how tensors print (torch's options and defaults).

    ``precision`` digits after the point (4), ``threshold`` element count past which tensors are
    summarized (1000), ``edgeitems`` items kept at each end when summarizing (3), ``linewidth``
    (80), ``profile`` one of ``'default'``, ``'short'``, ``'full'``, ``sci_mode`` True/False to
    force scientific notation on/off (None: chosen from the values). As in torch, ``sci_mode`` is
    reset to None by any call that does not pass it.

    >>> import numtorch
    >>> numtorch.set_printoptions(precision=2)
    >>> numtorch.tensor([1.12345])
    tensor([1.12])
    >>> numtorch.set_printoptions(profile='default')
    >>> numtorch.tensor([1.12345])
    tensor([1.1235])
    """
    if profile is not None:
        # torch silently ignores an unknown profile name; so do we
        if profile in _PROFILES:
            (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
             PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict that ``set_printoptions(**d)`` accepts."""
    return {k: getattr(PRINT_OPTS, k) for k in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change print options inside a ``with`` block only.

    >>> import numtorch
    >>> with numtorch._tensor_str.printoptions(precision=1):
    ...     print(numtorch.tensor([1.26]))
    tensor([1.3])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """A common width and mode for a set of values (a flat ndarray of what will be shown)."""

    def __init__(self, values):
        self.floating = values.dtype.kind == 'f'
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        # float16/float32 -> float64 is exact, and torch also decides the mode in double
        v = values.astype(np.float64, copy=False)
        nz = v[np.isfinite(v) & (v != 0)]
        if nz.size == 0:
            return
        absv = np.abs(nz)
        lo, hi = absv.min(), absv.max()
        self.int_mode = bool((nz == np.ceil(nz)).all())
        opt = PRINT_OPTS.sci_mode
        if opt is None:
            with np.errstate(over='ignore'):   # 1e300 / 1e-300 is inf, which is > 1000 anyway
                opt = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        self.sci_mode = opt
        p = PRINT_OPTS.precision
        vals = nz.tolist()
        if self.sci_mode:
            spec = f'.{p}e'
            width = max(len(format(x, spec)) for x in vals)
        elif self.int_mode:
            # the trailing '.' marks a float tensor whose values are all integers
            width = max(len(format(x, '.0f')) for x in vals) + 1
        else:
            spec = f'.{p}f'
            width = max(len(format(x, spec)) for x in vals)
        self.max_width = max(self.max_width, width)

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                ret = format(value, f'{self.max_width}.{PRINT_OPTS.precision}e')
            elif self.int_mode:
                ret = format(value, '.0f')
                if not (math.isinf(value) or math.isnan(value)):
                    ret += '.'
            else:
                ret = format(value, f'.{PRINT_OPTS.precision}f')
        else:
            ret = str(value)
        return ret.rjust(self.max_width)


def _complex_str(val, f_re, f_im):
    real = f_re.format(val.real)
    imag = (f_im.format(val.imag) + 'j').lstrip()
    # a negative (or -0.0) imaginary part brings its own sign
    return real + imag if imag[0] in '+-' else real + '+' + imag


def _vector_str(a, indent, summarize, f1, f2):
    width = f1.max_width + 2
    if f2 is not None:
        width += f2.max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / width))
    fmt = f1.format if f2 is None else (lambda v: _complex_str(v, f1, f2))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ['...']
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt(v) for v in a[:e].tolist()] + [' ...'] + [fmt(v) for v in a[-e:].tolist()]
    else:
        data = [fmt(v) for v in a.tolist()]
    lines = [', '.join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return '[' + (',\n' + ' ' * (indent + 1)).join(lines) + ']'


def _format_nd(a, indent, summarize, f1, f2=None):
    ndim = a.ndim
    if ndim == 0:
        v = a.item()
        return f1.format(v) if f2 is None else _complex_str(v, f1, f2)
    if ndim == 1:
        return _vector_str(a, indent, summarize, f1, f2)
    n = a.shape[0]
    e = PRINT_OPTS.edgeitems
    if summarize and n > 2 * e:
        rows = ([_format_nd(a[i], indent + 1, summarize, f1, f2) for i in range(e)] + ['...']
                + [_format_nd(a[i], indent + 1, summarize, f1, f2) for i in range(n - e, n)])
    else:
        rows = [_format_nd(a[i], indent + 1, summarize, f1, f2) for i in range(n)]
    return '[' + (',' + '\n' * (ndim - 1) + ' ' * (indent + 1)).join(rows) + ']'


def _shown_values(a, out):
    """Append to ``out`` the flat pieces of ``a`` that a summarized print shows."""
    e = PRINT_OPTS.edgeitems
    if a.ndim <= 1:
        # like torch, 1-D with edgeitems=0 keeps everything (a[-0:] is the whole row)
        if a.ndim == 1 and a.shape[0] > 2 * e:
            out.append(a[:e])
            out.append(a[-e:])
        else:
            out.append(a.reshape(-1))
        return
    if not e:
        return
    n = a.shape[0]
    idx = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    for i in idx:
        _shown_values(a[i], out)


def _tensor_str(a, indent):
    if a.size == 0:
        return '[]'
    summarize = a.size > PRINT_OPTS.threshold
    if summarize:
        pieces = []
        _shown_values(a, pieces)
        shown = np.concatenate(pieces) if pieces else a.reshape(-1)[:0]
    else:
        shown = a.reshape(-1)
    if a.dtype.kind == 'c':
        return _format_nd(a, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag))
    return _format_nd(a, indent, summarize, _Formatter(shown))


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    # torch's count (it is two more than the last line's length when there is no newline)
    last_len = len(text) - text.rfind('\n') + 1
    for s in suffixes:
        if last_len + len(s) + 2 > PRINT_OPTS.linewidth:
            parts.append(',\n' + ' ' * indent + s)
            last_len = indent + len(s)
        else:
            parts.append(', ' + s)
            last_len += len(s) + 2
    parts.append(')')
    return ''.join(parts)


def _str(t, *, tensor_contents=None):
    """torch's ``repr(tensor)``: ``tensor([...], dtype=..., requires_grad=True)``.

    >>> import numtorch
    >>> numtorch.tensor([[1.5, -2e-5], [3., 4.]])
    tensor([[ 1.5000e+00, -2.0000e-05],
            [ 3.0000e+00,  4.0000e+00]])
    >>> numtorch.zeros(0, 3, dtype=numtorch.int32)
    tensor([], size=(0, 3), dtype=torch.int32)
    """
    cls = type(t)
    # torch prints Parameters as plain tensors (nn.Parameter adds its "Parameter containing:")
    prefix = 'tensor(' if cls.__name__ in ('Tensor', 'Parameter') else cls.__name__ + '('
    indent = len(prefix)
    a = to_host(t._data)   # printing is a host boundary: one copy of a device tensor
    dt = _dtype._BY_NP[a.dtype]
    if dt.__class__ is not _dtype.dtype:   # bfloat16 / float8: format their (exact) float32 values
        a = a.astype(np.float32)
    default = _dtype.get_default_dtype()
    suffixes = []
    dev = t.device
    if dev.type != 'cpu':
        suffixes.append(f"device='{dev}'")
    if a.size == 0:
        # no values to tell an int64 tensor from a float one, so any non-default dtype is shown
        if a.ndim != 1:
            suffixes.append('size=' + str(tuple(a.shape)))
        if dt is not default:
            suffixes.append('dtype=' + repr(dt))
        text = '[]'
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append('size=' + str(tuple(a.shape)))
        cdefault = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
        if dt is not default and dt is not cdefault and dt is not _dtype.int64 and dt is not _dtype.bool_:
            suffixes.append('dtype=' + repr(dt))
        text = None if tensor_contents is not None else _tensor_str(a, indent)
    if tensor_contents is not None:
        text = tensor_contents
    fn = t.grad_fn
    if fn is not None:
        suffixes.append(f'grad_fn=<{fn.name()}>')
    elif t._requires_grad:
        suffixes.append('requires_grad=True')
    return _add_suffixes(prefix + text, suffixes, indent)
