"""``detect_anomaly`` / ``set_detect_anomaly``: accepted and recorded (``is_anomaly_enabled``);
numtorch does not check backward for NaNs nor keep forward tracebacks."""
import warnings

__all__ = ['detect_anomaly', 'set_detect_anomaly']

# torch's switch (numtorch.set_anomaly_enabled / is_anomaly_enabled re-export these)
_anomaly = {'enabled': False, 'check_nan': True}


def set_anomaly_enabled(enabled, check_nan=True):
    """Record autograd's anomaly mode. numtorch does not check backward for NaNs nor record
    forward tracebacks: the switch is accepted and reported back only.

    >>> import numtorch
    >>> numtorch.set_anomaly_enabled(False); numtorch.is_anomaly_enabled()
    False
    """
    _anomaly['enabled'], _anomaly['check_nan'] = bool(enabled), bool(check_nan)


def is_anomaly_enabled():
    """Whether anomaly mode was switched on (see ``set_anomaly_enabled``)."""
    return _anomaly['enabled']


def is_anomaly_check_nan_enabled():
    """The ``check_nan`` flag recorded with anomaly mode."""
    return _anomaly['check_nan']



class detect_anomaly:
    """Context manager / decorator switching anomaly mode on (recorded only, see module doc).

    >>> import numtorch, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore')
    ...     with numtorch.autograd.detect_anomaly():
    ...         numtorch.is_anomaly_enabled()
    True
    """

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn('Anomaly Detection has been enabled. This mode will increase the runtime '
                      'and should only be enabled for debugging.', stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Switch anomaly mode on or off now; as a context manager, restore it on exit.

    >>> import numtorch
    >>> with numtorch.autograd.set_detect_anomaly(False):
    ...     numtorch.is_anomaly_enabled()
    False
    """

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
