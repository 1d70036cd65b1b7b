"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is one module-level list cell that every op reads (``_enabled[0]``); a list cell keeps
the read to one index on the hot path. Like torch, each is both a context manager and a
decorator.
"""
import functools

_enabled = [True]


def is_grad_enabled():
    """True when ops record their history for backward.

    >>> import numtorch
    >>> numtorch.is_grad_enabled()
    True
    """
    return _enabled[0]


class _Mode:
    mode = True

    def __enter__(self):
        self.prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc):
        _enabled[0] = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class _NoParamMode(_Mode):
    """Also usable as a bare decorator (``@no_grad`` as well as ``@no_grad()``), as in torch."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamMode):
    """Context manager / decorator: ops inside record no graph.

    >>> import numtorch
    >>> x = numtorch.ones(2, requires_grad=True)
    >>> with numtorch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    mode = False


class enable_grad(_NoParamMode):
    """Context manager / decorator: turn recording back on inside ``no_grad``."""
    mode = True


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` turns recording off now, and as a context manager restores it.

    >>> import numtorch
    >>> with numtorch.set_grad_enabled(False):
    ...     numtorch.is_grad_enabled()
    False
    """

    def __init__(self, mode):
        self.prev = _enabled[0]
        self.mode = bool(mode)
        _enabled[0] = self.mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        _enabled[0] = self.prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


_inference = [False]   # inside an enabled inference_mode (is_inference_mode_enabled)


class inference_mode(no_grad):
    """Same as ``no_grad`` here (numtorch has no separate inference tensors).

    >>> import numtorch
    >>> with numtorch.inference_mode():
    ...     numtorch.is_inference_mode_enabled()
    True
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):        # inference_mode(False) is a mode, not a function
            return object.__new__(cls)
        return super().__new__(cls, mode)

    def __init__(self, mode=True):
        self.mode = not mode if isinstance(mode, bool) else False

    def __enter__(self):
        super().__enter__()
        self.prev_inference = _inference[0]
        _inference[0] = not self.mode

    def __exit__(self, *exc):
        _inference[0] = self.prev_inference
        return super().__exit__(*exc)


def is_inference_mode_enabled():
    """True inside ``inference_mode()``.

    >>> import numtorch
    >>> numtorch.is_inference_mode_enabled()
    False
    """
    return _inference[0]
