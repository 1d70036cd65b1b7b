"""The one mechanism behind CPU autocast: ``_ac`` is the CPU autocast state ``[enabled, dtype]``
(shared with ``autocast_mode``, mutated in place so ops can bind it once), and ``cast`` is what
each lower-precision op calls when ``_ac[0]`` is set.

It lives outside ``numtorch.amp`` because the op modules import it while ``numtorch`` is still
loading (``amp`` imports ``Tensor``).

Ops check ``if _ac[0]:`` first, so with autocast off the cost is one list lookup per call.
"""
_ac = [False, None]
_ELIGIBLE = ('float32', 'float16', 'bfloat16')


def cast(*args, to=None):
    """``args`` with every float32/float16/bfloat16 tensor cast (differentiably) to the autocast dtype, as torch's
    CPU autocast does for its lower-precision ops; float64, integer, bool, complex, non-tensors
    and ``None`` pass unchanged. Call only when ``_ac[0]`` is set.

    >>> import numtorch
    >>> from numtorch._autocast import cast
    >>> with numtorch.autocast('cpu'):
    ...     [t.dtype for t in cast(numtorch.ones(1), numtorch.ones(1, dtype=numtorch.float64))]
    [torch.bfloat16, torch.float64]
    """
    dt = _ac[1] if to is None else to
    out = []
    for a in args:
        d = getattr(a, '_data', None)
        # torch casts every floating tensor but float64 (float16 <-> bfloat16 included)
        if d is not None and d.dtype.name in _ELIGIBLE and d.dtype != dt.np:
            a = a._to_dtype(dt)
        out.append(a)
    return out


def cast_fp32(*args):
    """``args`` with float16/bfloat16 tensors cast to float32: torch's CPU autocast "fp32" policy
    (losses such as ``cross_entropy``, ``nll_loss``, ``mse_loss``). Call only when ``_ac[0]``.

    >>> import numtorch
    >>> from numtorch._autocast import cast_fp32
    >>> with numtorch.autocast('cpu'):
    ...     cast_fp32(numtorch.ones(1, dtype=numtorch.bfloat16))[0].dtype
    torch.float32
    """
    from . import _dtype
    return cast(*args, to=_dtype.float32)
