"""``same_error(fn)``: ``fn(torch)`` and ``fn(numtorch)`` raise the same kind of exception with
the same message (first line; torch sometimes appends hints on later lines)."""
import builtins

import pytest
import torch

import numtorch


def _builtin_base(exc_type):
    for t in exc_type.__mro__:
        if getattr(builtins, t.__name__, None) is t:
            return t
    return Exception


def same_error(fn, match='full'):
    """``match='full'``: equal first lines; ``'prefix'``: numtorch's message starts like torch's
    first 40 characters; ``'type'``: only the exception type is compared."""
    with pytest.raises(Exception) as et:
        fn(torch)
    base = _builtin_base(type(et.value))
    with pytest.raises(Exception) as en:
        fn(numtorch)
    assert isinstance(en.value, base), (type(en.value), base, str(en.value))
    t_msg = str(et.value).split('\n')[0]
    n_msg = str(en.value).split('\n')[0]
    if match == 'full':
        assert n_msg == t_msg, (n_msg, t_msg)
    elif match == 'prefix':
        assert n_msg[:40] == t_msg[:40], (n_msg, t_msg)
