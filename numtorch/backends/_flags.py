"""Module objects whose boolean flags are checked on assignment, as torch's backend modules
(``torch.backends.cudnn.benchmark = 3`` raises)."""
import sys
import types


def install_bool_flags(module_name, setters):
    """Give module ``module_name`` an ``__setattr__`` that checks ``setters`` (flag name ->
    torch's setter name used in the error message) hold bools."""
    mod = sys.modules[module_name]

    class _FlagModule(types.ModuleType):
        def __setattr__(self, name, value):
            if name in setters and not isinstance(value, bool):
                raise RuntimeError(f'{setters[name]} expects a bool, but got '
                                   f'{type(value).__name__}')
            super().__setattr__(name, value)

    mod.__class__ = _FlagModule
