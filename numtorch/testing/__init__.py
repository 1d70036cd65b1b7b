"""``numtorch.testing.assert_close``: torch's comparison semantics and messages.

Inputs may be tensors, NumPy arrays, Python scalars, or (nested) sequences and mappings of
them. Tensors must agree in shape and (with ``check_dtype``) dtype; values are compared with
``|actual - expected| <= atol + rtol * |expected|`` using per-dtype defaults (float32: 1.3e-6 /
1e-5, float64: 1e-7 / 1e-7, integers and bools exactly). Failures raise ``AssertionError`` with
torch's text ("Tensor-likes are not close!", mismatch counts, greatest differences and their
index, "The failure occurred for item [1]").
"""
import collections.abc
import numbers

import numpy as np

_DEFAULT_TOL = {'float16': (1e-3, 1e-5), 'bfloat16': (1.6e-2, 1e-5), 'float32': (1.3e-6, 1e-5),
                'float64': (1e-7, 1e-7), 'complex64': (1.3e-6, 1e-5), 'complex128': (1e-7, 1e-7)}


class _Fail(AssertionError):
    """A mismatch with the path of items where it happened (for nested inputs)."""

    def __init__(self, msg, path=()):
        super().__init__(msg)
        self.base, self.path = msg, path


def _tname(x):
    from .._tensor import Tensor
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _is_tensorlike(x):
    from .._tensor import Tensor
    return isinstance(x, (Tensor, np.ndarray))


def _tol(dtypes, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    r = a = 0.0
    for d in dtypes:
        dr, da = _DEFAULT_TOL.get(d, (0.0, 0.0))
        r, a = max(r, dr), max(a, da)
    return r, a


def _dtype_str(a):
    from .._dtype import _BY_NP
    return str(_BY_NP[a.dtype]).replace('numtorch.', 'torch.')


def _mismatch_msg(identifier, default, extra, abs_d, abs_i, rtol_d, rel_i, atol, rtol):
    equality = rtol == 0 and atol == 0

    def diff(kind, d, idx, tol):
        m = f'{kind.title()} difference: {d}' if idx is None else \
            f'Greatest {kind} difference: {d} at index {idx}'
        return m + ('' if equality else f' (up to {tol} allowed)') + '\n'
    ident = default if identifier is None else (identifier(default) if callable(identifier)
                                                else identifier)
    msg = f"{ident} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f'{extra.strip()}\n'
    msg += diff('absolute', abs_d, abs_i, atol) + diff('relative', rtol_d, rel_i, rtol)
    return msg.strip()


def _compare_scalars(a, e, rtol, atol, equal_nan, msg):
    if isinstance(a, complex) or isinstance(e, complex):
        ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        ok = np.isclose(float(a), float(e), rtol=rtol, atol=atol, equal_nan=equal_nan) \
            if not (isinstance(a, bool) and isinstance(e, bool)) else a == e
    if ok:
        return
    if isinstance(msg, str):
        raise _Fail(msg)
    abs_d = abs(a - e)
    rel_d = float('inf') if e == 0 else abs_d / abs(e)
    text = _mismatch_msg(None, 'Scalars', f'Expected {e} but got {a}.', abs_d, None, rel_d,
                         None, atol, rtol)
    raise _Fail(msg(text) if callable(msg) else text)


def _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, msg):
    if a.shape != e.shape:
        raise _Fail(f"The values for attribute 'shape' do not match: torch.Size({list(a.shape)}) "
                    f"!= torch.Size({list(e.shape)}).")
    if check_dtype and a.dtype != e.dtype:
        raise _Fail(f"The values for attribute 'dtype' do not match: {_dtype_str(a)} != "
                    f"{_dtype_str(e)}.")
    rtol, atol = _tol((a.dtype.name, e.dtype.name), rtol, atol)
    if a.dtype != e.dtype:
        common = np.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    if a.ndim == 0:
        _compare_scalars(a.item(), e.item(), rtol, atol, equal_nan, msg)
        return
    if a.dtype.kind == 'b':
        matches = a == e
    else:
        with np.errstate(all='ignore'):
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if matches.all():
        return
    if isinstance(msg, str):
        raise _Fail(msg)
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    n, bad = mf.size, int(mf.size - mf.sum())
    extra = f'Mismatched elements: {bad} / {n} ({bad / n:.1%})'
    if af.dtype.kind in 'biu':
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    with np.errstate(all='ignore'):
        absd = np.abs(af - ef)
        absd[mf] = 0
        i_abs = int(np.argmax(absd)) if not np.isnan(absd).any() else int(np.argmax(np.isnan(absd)))
        reld = absd / np.abs(ef)
        if reld.dtype.kind != 'f' or af.dtype.kind in 'iu':
            reld = (absd.astype(np.float32) / np.abs(ef).astype(np.float32))
        reld[mf] = 0
        i_rel = int(np.argmax(reld)) if not np.isnan(reld).any() else int(np.argmax(np.isnan(reld)))

    def idx(i):
        return tuple(int(v) for v in np.unravel_index(i, a.shape))
    text = _mismatch_msg(None, 'Tensor-likes', extra, absd[i_abs].item(), idx(i_abs),
                         reld[i_rel].item(), idx(i_rel), atol, rtol)
    raise _Fail(msg(text) if callable(msg) else text)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, allow_subclasses, msg, path):
    from .._tensor import Tensor
    try:
        if _is_tensorlike(actual) or _is_tensorlike(expected):
            if not (_is_tensorlike(actual) and _is_tensorlike(expected)):
                raise TypeError(f'No comparison pair was able to handle inputs of type '
                                f'{_tname(actual)} and {_tname(expected)}.')
            if type(actual) is not type(expected) and not (
                    allow_subclasses and (isinstance(actual, type(expected))
                                          or isinstance(expected, type(actual)))):
                raise _Fail(f'Except for Python scalars, type equality is required if '
                            f'allow_subclasses=False, but got {_tname(actual)} and '
                            f'{_tname(expected)} instead.')
            a = actual._data if isinstance(actual, Tensor) else actual
            e = expected._data if isinstance(expected, Tensor) else expected
            _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, msg)
        elif isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number):
            r, t = _tol(('float64' if isinstance(v, float) else 'complex128'
                         if isinstance(v, complex) else 'int' for v in (actual, expected)),
                        rtol, atol)
            _compare_scalars(actual, expected, r, t, equal_nan, msg)
        elif isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
            ka, ke = list(actual.keys()), list(expected.keys())
            if set(ka) != set(ke):
                missing = sorted(set(ke) - set(ka), key=repr)
                extra = sorted(set(ka) - set(ke), key=repr)
                raise _Fail(('The keys of the mappings do not match:\n'
                             + (f'Missing keys in the actual mapping: {missing}\n' if missing else '')
                             + (f'Additional keys in the actual mapping: {extra}\n' if extra else '')
                             ).strip())
            for k in ke:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype,
                         allow_subclasses, msg, path + (repr(k),))
        elif (isinstance(actual, collections.abc.Sequence) and not isinstance(actual, str)
              and isinstance(expected, collections.abc.Sequence) and not isinstance(expected, str)):
            if len(actual) != len(expected):
                raise _Fail(f'The length of the sequences mismatch: {len(actual)} != '
                            f'{len(expected)}')
            for i, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, allow_subclasses, msg,
                         path + (str(i),))
        else:
            raise TypeError(f'No comparison pair was able to handle inputs of type '
                            f'{_tname(actual)} and {_tname(expected)}.')
    except _Fail as f:
        if f.path or not path:
            raise
        raise _Fail(f.base, path) from None


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (torch's rules).

    >>> import numtorch
    >>> numtorch.testing.assert_close(numtorch.tensor([1., 2.]), numtorch.tensor([1., 2.]))
    >>> numtorch.testing.assert_close(numtorch.tensor([1., 2.]), numtorch.tensor([1., 2.5]))
    Traceback (most recent call last):
    ...
    AssertionError: Tensor-likes are not close!
    <BLANKLINE>
    Mismatched elements: 1 / 2 (50.0%)
    Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)
    """
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, allow_subclasses, msg, ())
    except _Fail as f:
        text = f.base
        if f.path:
            text += '\n\nThe failure occurred for item ' + ''.join(f'[{p}]' for p in f.path)
        raise AssertionError(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=''):
    """Deprecated torch alias of ``assert_close`` (``equal_nan`` defaults to True there)."""
    from .._tensor import Tensor
    if not isinstance(actual, Tensor):
        actual = Tensor._from_any(actual)
    if not isinstance(expected, Tensor):
        expected = Tensor._from_any(expected).to(actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tol((actual._data.dtype.name, expected._data.dtype.name), None, None)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


__all__ = ['assert_close', 'assert_allclose']
