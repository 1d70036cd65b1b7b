"""Type promotion: for every pair of operands (tensors of each dtype, 1-d and 0-dim, and Python
bool/int/float scalars) and each operator, numtorch gives torch's result dtype and values, or
the same kind of error."""
import operator

import numpy as np
import pytest
import torch

import numtorch

DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64']
# Small positive values: no overflow (uint8 wrap-around is not modelled) and no division by zero.
VALUES = [[1, 2, 3], 2]


def _operands():
    out = []
    for name in DTYPES:
        for v in VALUES:
            vals = np.array(v)
            if name == 'bool':
                vals = vals % 2 == 1
            out.append((f'{name}{"[3]" if vals.ndim else "[]"}', name, vals))
    for s in (True, 3, 2.5):
        out.append((repr(s), None, s))
    return out


OPERANDS = _operands()

OPS = {
    'add': operator.add, 'sub': operator.sub, 'mul': operator.mul, 'truediv': operator.truediv,
    'floordiv': operator.floordiv, 'mod': operator.mod, 'pow': operator.pow,
    'lt': operator.lt, 'eq': operator.eq, 'ge': operator.ge,
    'and': operator.and_, 'or': operator.or_,
    'maximum': lambda m, a, b: m.maximum(a, b), 'where': lambda m, a, b: m.where(a > 1, a, b),
    'atan2': lambda m, a, b: m.atan2(a, b),
}
TENSOR_ONLY = {'maximum', 'atan2'}   # torch refuses a Python number as `other` there


def _make(mod, dtname, vals):
    if dtname is None:
        return vals
    return mod.tensor(vals, dtype=getattr(mod, dtname))


def _run(mod, fn, a, b):
    try:
        if isinstance(fn, type(operator.add)):
            return fn(a, b)
        return fn(mod, a, b)
    except Exception as e:   # noqa: BLE001 - we compare the kind of error with torch's
        return e


_ERRORS_ALIKE = (RuntimeError, TypeError, NotImplementedError, ValueError)


@pytest.mark.parametrize('op', list(OPS))
def test_result_dtype_and_values(op):
    fn = OPS[op]
    bad = []
    for na, da, va in OPERANDS:
        if da is None:
            continue     # the first operand is a tensor; reflected forms below
        for nb, db, vb in OPERANDS:
            if op in TENSOR_ONLY and db is None:
                continue
            if op == 'sub' and ('bool' in (da, db) or vb is True):
                continue     # torch refuses any bool operand to `-`; see test_bool_sub_raises
            t = _run(torch, fn, _make(torch, da, va), _make(torch, db, vb))
            n = _run(numtorch, fn, _make(numtorch, da, va), _make(numtorch, db, vb))
            if isinstance(t, Exception):
                if not isinstance(n, Exception):
                    bad.append(f'{na} {op} {nb}: torch raised {type(t).__name__}, numtorch gave {n!r}')
                continue
            if isinstance(n, Exception):
                bad.append(f'{na} {op} {nb}: numtorch raised {n!r}, torch gave {t.dtype}')
                continue
            if str(n.dtype) != str(t.dtype):
                bad.append(f'{na} {op} {nb}: {n.dtype} != torch {t.dtype}')
            elif not np.allclose(n.numpy().astype(float), t.numpy().astype(float), equal_nan=True):
                bad.append(f'{na} {op} {nb}: values {n.numpy()} != {t.numpy()}')
    assert not bad, '\n'.join(bad[:30])


@pytest.mark.parametrize('op', ['add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'lt', 'eq'])
def test_reflected_scalar(op):
    """``scalar op tensor`` goes through the tensor's reflected operator."""
    fn = OPS[op]
    bad = []
    for na, da, va in OPERANDS:
        if da is not None:
            continue
        for nb, db, vb in OPERANDS:
            if db is None or (op == 'sub' and (db == 'bool' or va is True)):
                continue
            t = _run(torch, fn, va, _make(torch, db, vb))
            n = _run(numtorch, fn, va, _make(numtorch, db, vb))
            if isinstance(t, Exception) or isinstance(n, Exception):
                if type(t) is not type(n) and not (isinstance(t, _ERRORS_ALIKE) and isinstance(n, _ERRORS_ALIKE)):
                    bad.append(f'{na} {op} {nb}: torch {t!r} vs numtorch {n!r}')
                continue
            if str(n.dtype) != str(t.dtype):
                bad.append(f'{na} {op} {nb}: {n.dtype} != torch {t.dtype}')
            elif not np.allclose(n.numpy().astype(float), t.numpy().astype(float), equal_nan=True):
                bad.append(f'{na} {op} {nb}: values {n.numpy()} != {t.numpy()}')
    assert not bad, '\n'.join(bad[:30])


@pytest.mark.parametrize('fn', ['sqrt', 'exp', 'sin', 'sigmoid', 'reciprocal', 'abs', 'floor', 'sign',
                                'square', 'neg', 'round', 'erf', 'log1p', 'tanh'])
def test_unary_dtypes(fn):
    """Float ops turn integers into the default float; abs/floor/sign/... keep the dtype."""
    bad = []
    for name in DTYPES:
        vals = np.array([1, 2, 3]) if name != 'bool' else np.array([True, False, True])
        t = _run(torch, lambda m, a, _: getattr(a, fn)(), torch.tensor(vals, dtype=getattr(torch, name)), None)
        n = _run(numtorch, lambda m, a, _: getattr(a, fn)(), numtorch.tensor(vals, dtype=getattr(numtorch, name)), None)
        if isinstance(t, Exception):
            if not isinstance(n, Exception):
                bad.append(f'{fn}({name}): torch raised {t!r}, numtorch gave {n!r}')
        elif isinstance(n, Exception):
            bad.append(f'{fn}({name}): numtorch raised {n!r}')
        elif str(n.dtype) != str(t.dtype):
            bad.append(f'{fn}({name}): {n.dtype} != torch {t.dtype}')
        elif not np.allclose(n.numpy().astype(float), t.numpy().astype(float), rtol=1e-3):
            bad.append(f'{fn}({name}): {n.numpy()} != {t.numpy()}')
    assert not bad, '\n'.join(bad)


@pytest.mark.parametrize('fn', ['sum', 'prod', 'cumsum', 'max', 'amax', 'argmax', 'all', 'any',
                                'mean', 'std', 'norm', 'logsumexp', 'count_nonzero', 'median'])
def test_reduction_dtypes(fn):
    bad = []
    call = {'cumsum': lambda a: a.cumsum(0), 'logsumexp': lambda a: a.logsumexp(0),
            'count_nonzero': lambda a: a.count_nonzero()}.get(fn, lambda a: getattr(a, fn)())
    for name in DTYPES:
        vals = np.array([1, 2, 3]) if name != 'bool' else np.array([True, False, True])
        t = _run(torch, lambda m, a, _: call(a), torch.tensor(vals, dtype=getattr(torch, name)), None)
        n = _run(numtorch, lambda m, a, _: call(a), numtorch.tensor(vals, dtype=getattr(numtorch, name)), None)
        if isinstance(t, Exception):
            if not isinstance(n, Exception) or type(n) is not type(t):
                bad.append(f'{fn}({name}): torch raised {t!r}, numtorch gave {n!r}')
        elif isinstance(n, Exception):
            bad.append(f'{fn}({name}): numtorch raised {n!r}')
        elif str(n.dtype) != str(t.dtype):
            bad.append(f'{fn}({name}): {n.dtype} != torch {t.dtype}')
    assert not bad, '\n'.join(bad)


def test_int_division_by_zero_raises():
    with pytest.raises(RuntimeError, match='ZeroDivisionError'):
        numtorch.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError, match='ZeroDivisionError'):
        numtorch.tensor([1, 2]) % numtorch.tensor([1, 0])
    # floats divide by zero to inf / nan, as torch
    assert numtorch.tensor([1., -1.]).div(0.).tolist() == [float('inf'), float('-inf')]


def test_bool_sub_raises():
    a = numtorch.tensor([True, False])
    with pytest.raises((RuntimeError, TypeError), match='Subtraction|subtract'):
        a - a
