"""``numtorch.jit``: TorchScript entry points, kept so scripts run. numtorch does not compile:
``script`` and ``trace`` return the module or function unchanged (it runs eagerly, with the
same results), which satisfies their calling contract; saving a scripted program is not
possible (``save``/``load`` raise, pointing to ``numtorch.save`` of a ``state_dict``).

>>> import numtorch
>>> net = numtorch.jit.script(numtorch.nn.Linear(2, 1))
>>> isinstance(net, numtorch.nn.Linear), numtorch.jit.is_scripting()
(True, False)
"""
import functools
import warnings

__all__ = ['script', 'trace', 'trace_module', 'ignore', 'unused', 'export', 'is_scripting',
           'is_tracing', 'annotate', 'Final', 'interface', 'script_if_tracing', 'freeze',
           'optimize_for_inference', 'save', 'load', 'ScriptModule', 'ScriptFunction',
           'TracerWarning', 'Error', 'fork', 'wait']


class TracerWarning(Warning):
    """torch's warning category for tracing issues (never raised by numtorch)."""


class Error(RuntimeError):
    """torch.jit.Error."""


class ScriptModule:
    """Placeholder type: numtorch's ``script`` returns the original module, never one of
    these, so ``isinstance(m, jit.ScriptModule)`` is False as for any eager module."""


class ScriptFunction:
    """Placeholder type (see ``ScriptModule``)."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module, function or class) unchanged: numtorch runs it eagerly."""
    if optimize is not None:
        warnings.warn('`optimize` is deprecated and has no effect. Use `with '
                      'torch.jit.optimized_execution()` instead', FutureWarning, stacklevel=2)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Return ``func`` unchanged (numtorch does not trace; the eager function computes the
    same thing for every input, which a trace only promises for inputs like the example)."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise TypeError('jit.trace needs example_inputs (or example_kwarg_inputs)')
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """Return ``mod`` unchanged (see ``trace``)."""
    return mod


def script_if_tracing(fn):
    """Return ``fn`` unchanged."""
    return fn


def ignore(drop=False, **kwargs):
    """Decorator leaving a function to Python: identity here (with or without arguments)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Decorator marking a method unused by the compiler: identity here."""
    return fn


def export(fn):
    """Decorator exporting a method to TorchScript: identity here."""
    return fn


def interface(obj):
    """Decorator for TorchScript interfaces: identity here."""
    return obj


def is_scripting():
    """False: code never runs under TorchScript in numtorch."""
    return False


def is_tracing():
    """False: numtorch does not trace."""
    return False


def annotate(the_type, the_value):
    """Type hint for TorchScript; returns ``the_value``."""
    return the_value


class _FinalMeta(type):
    def __getitem__(cls, item):
        return item


class Final(metaclass=_FinalMeta):
    """``jit.Final[int]`` annotation: the bare type here."""


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """Return ``mod`` unchanged (nothing to freeze without a compiler)."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """Return ``mod`` unchanged."""
    return mod


class _Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs):
    """Run ``func`` now and return a future holding its result."""
    return _Future(func(*args, **kwargs))


def wait(future):
    """The result of a ``fork``."""
    return future.wait()


class _optimized_execution:
    def __init__(self, should_optimize):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


optimized_execution = _optimized_execution


def save(m, f, _extra_files=None):
    """Saving TorchScript is not possible: numtorch has no TorchScript programs."""
    raise NotImplementedError('numtorch.jit.save: numtorch does not compile to TorchScript; save '
                              'the weights with numtorch.save(model.state_dict(), f) instead')


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Loading TorchScript archives is not possible in numtorch."""
    raise NotImplementedError('numtorch.jit.load: numtorch cannot run TorchScript archives; '
                              'load a state_dict with numtorch.load instead')


del functools
