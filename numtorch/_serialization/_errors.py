"""The exceptions ``numtorch.load`` raises for a file it will not load.

Every rejection of a file's contents is a ``CheckpointError`` (a ``RuntimeError``, which is what
torch raises for a broken archive); a pickle problem is its subclass ``UnpicklingError``, which is
also a ``pickle.UnpicklingError`` so code written against torch/pickle keeps catching it.
"""
import pickle


class CheckpointError(RuntimeError):
    """A checkpoint file is malformed, corrupt, truncated or hostile; nothing was executed."""


class UnpicklingError(CheckpointError, pickle.UnpicklingError):
    """The pickle inside a checkpoint is malformed or names a global outside the allowlist."""


def short(x, limit=80):
    """``repr(x)`` cut to about ``limit`` characters, built in time and memory bounded by
    ``limit`` whatever ``x`` is: every message that shows data from a file uses this, because
    ``f'{x!r:.80}'`` trims only after the full repr is built (exponential for a memoised DAG of
    lists, quadratic for a huge int).

    >>> short([[1, 2]] * 1000, 20)
    '[[1, 2], [1, 2], [1,...'
    >>> short(1 << 100000)
    '<int of 100001 bits>'
    """
    out, left = [], [limit]
    _short_into(x, out, left, 0)
    s = ''.join(out)
    return s[:limit] + '...' if len(s) > limit or left[0] < 0 else s


_OPEN = {list: ('[', ']'), tuple: ('(', ')'), set: ('{', '}'), frozenset: ('frozenset({', '})'),
         dict: ('{', '}')}


def _short_into(x, out, left, depth):
    if left[0] < 0:
        return
    t = type(x)
    if t not in _OPEN:   # subclasses (OrderedDict, Counter, torch.Size) by their base's form
        t = next((k for k in (dict, tuple, list, set, frozenset) if isinstance(x, k)), t)
    if t in _OPEN and depth < 20:
        a, b = _OPEN[t]
        if type(x) is not t:
            a, b = f'{type(x).__name__}({a}', b + ')'
        out.append(a)
        left[0] -= len(a)
        items = iter(x.items() if t is dict else x)
        first = True
        for item in items:   # stops after `limit` characters, however many items there are
            if left[0] < 0:
                return
            if not first:
                out.append(', ')
                left[0] -= 2
            first = False
            if t is dict:
                _short_into(item[0], out, left, depth + 1)
                out.append(': ')
                left[0] -= 2
                _short_into(item[1], out, left, depth + 1)
            else:
                _short_into(item, out, left, depth + 1)
        if t is tuple and len(x) == 1:
            out.append(',')
        out.append(b)
        left[0] -= len(b)
        return
    if t is int and x.bit_length() > 64:
        s = f'<int of {x.bit_length()} bits>'
    elif t in (str, bytes, bytearray):
        s = repr(x[:left[0] + 1])
    elif t in (bool, float, complex, int) or x is None:
        s = repr(x)
    elif t in _OPEN:
        s = f'<{t.__name__}>'
    else:
        s = f'<{t.__name__}>' if t.__repr__ is object.__repr__ else _safe_repr(x)
    out.append(s)
    left[0] -= len(s)


def _safe_repr(x):
    # objects the unpickler can build besides containers: dtypes, devices, storages, tensors
    # (a tensor's repr is bounded by its print options); anything odd gets its type's name
    try:
        return repr(x)[:200]
    except Exception:
        return f'<{type(x).__name__}>'
