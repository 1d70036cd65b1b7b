"""``same_error(fn)``: ``fn(torch)`` and ``fn(numtorch)`` raise the same exception: the same
class (by name, under the same built-in base: torch's ``LinAlgError`` is numtorch's
``LinAlgError``) with the same message. Only the first line is compared, because torch appends
hints on later lines (C++ frames, "Could this error message be improved?").

This is the one "same error as torch" check of the test suite: no looser modes."""
import builtins

import pytest
import torch

import numtorch


def _builtin_base(exc_type):
    for t in exc_type.__mro__:
        if getattr(builtins, t.__name__, None) is t:
            return t
    return Exception


# torch exception classes whose public name differs from their class name
_PUBLIC = {torch.linalg.LinAlgError: 'LinAlgError'}


def _name(exc):
    return _PUBLIC.get(type(exc), type(exc).__name__)


def first_line(exc):
    return str(exc).split('\n')[0]


def same_error(fn):
    """Assert ``fn(numtorch)`` raises what ``fn(torch)`` raises; returns the two exceptions."""
    with pytest.raises(Exception) as et:
        fn(torch)
    with pytest.raises(Exception) as en:
        fn(numtorch)
    t, n = et.value, en.value
    assert (_name(n), _builtin_base(type(n))) == (_name(t), _builtin_base(type(t))), \
        (type(n), type(t), str(n))
    assert first_line(n) == first_line(t), (first_line(n), first_line(t))
    return n, t
