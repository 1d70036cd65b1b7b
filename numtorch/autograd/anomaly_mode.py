"""``detect_anomaly`` / ``set_detect_anomaly``: torch's autograd anomaly mode.

While it is on, every recorded node keeps the Python traceback of the call that created it
(``record``; nodes made by a ``create_graph`` backward also keep the node whose backward made
them), and a backward pass checks each node's gradients for NaN (``check_nan``) and, when a
node fails, warns with where that node was created (``report``), as torch does. Off (the
default), the only cost is one list-cell test per recorded op and per backward pass.
"""
import functools
import os
import traceback
import warnings

__all__ = ['detect_anomaly', 'set_detect_anomaly']

# torch's switch (numtorch.set_anomaly_enabled / is_anomaly_enabled re-export these)
_anomaly = {'enabled': False, 'check_nan': True}
# The same "enabled" flag as a list cell: what graph.connect tests on the hot path.
_on = [False]
# The node whose backward is running (in anomaly mode): nodes it records name it as parent.
_current = [None]


def set_anomaly_enabled(enabled, check_nan=True):
    """Switch autograd's anomaly mode on or off (see ``detect_anomaly``).

    >>> import numtorch
    >>> numtorch.set_anomaly_enabled(False); numtorch.is_anomaly_enabled()
    False
    """
    _anomaly['enabled'], _anomaly['check_nan'] = bool(enabled), bool(check_nan)
    _on[0] = bool(enabled)


def is_anomaly_enabled():
    """Whether anomaly mode is on (see ``set_anomaly_enabled``)."""
    return _anomaly['enabled']


def is_anomaly_check_nan_enabled():
    """Whether anomaly mode checks backward's gradients for NaN."""
    return _anomaly['check_nan']


class detect_anomaly:
    """Context manager / decorator switching anomaly mode on: backward raises torch's error
    at the first node whose gradient has a NaN and warns with the traceback of the forward
    call that created it.

    >>> import numtorch, warnings
    >>> x = numtorch.tensor([0., 1.], requires_grad=True)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter('always')
    ...     with numtorch.autograd.detect_anomaly():
    ...         y = (x.sqrt() * 0).sum()
    ...         y.backward()
    Traceback (most recent call last):
    RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    >>> str(w[-1].message).splitlines()[0]
    'Error detected in SqrtBackward0. Traceback of forward call that caused the error:'
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


# ------------------------------------------------------------------ used by the engine
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@functools.lru_cache(maxsize=None)
def _internal(filename):
    """A frame of numtorch's op/engine machinery (private modules and autograd), which the
    forward traceback leaves out: torch's ops are C++ and its traceback ends at the Python
    line that called them. Public Python layers (nn modules, nn.functional) stay, as in torch."""
    filename = os.path.abspath(filename)    # frames may name files by a relative path
    if not filename.startswith(_PKG):
        return False
    rel = filename[len(_PKG):]
    return rel.startswith('autograd' + os.sep) or any(
        part.startswith('_') for part in rel.split(os.sep))


def record(node):
    """Keep on ``node`` where it was created (the caller's stack) and, during a backward
    pass, the node whose backward created it. Called by ``graph.connect`` in anomaly mode."""
    stack = traceback.extract_stack()
    while stack and _internal(stack[-1].filename):
        stack.pop()
    node._anomaly_stack = stack
    if _current[0] is not None:
        node._anomaly_parent = _current[0]


def check_nan(node, grads):
    """torch's check: ``node``'s gradients (arrays, or tensors under create_graph) hold no NaN
    (a read back to the host per gradient, as torch's)."""
    from .._backend import namespace, to_host
    for i, g in enumerate(grads):
        if g is None:
            continue
        a = getattr(g, '_data', g)
        if a.dtype.kind in 'fc' and bool(to_host(namespace(a).isnan(a).any())):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               'output.')


def report(node):
    """Warn, as torch does when a node fails in anomaly mode, with the forward traceback of
    ``node`` and of each node whose backward created it."""
    stack = node.__dict__.get('_anomaly_stack')
    if stack is None:
        warnings.warn(f'Error detected in {node.name()}. No forward pass information available. '
                      'Enable detect anomaly during forward pass for more information.',
                      stacklevel=4)
        return
    warnings.warn(f'Error detected in {node.name()}. Traceback of forward call that caused the '
                  'error:\n' + ''.join(traceback.format_list(stack)), stacklevel=4)
    parent = node.__dict__.get('_anomaly_parent')
    while parent is not None:
        stack = parent.__dict__.get('_anomaly_stack')
        if stack is None:
            break
        warnings.warn(f'\n\nPrevious calculation was induced by {parent.name()}. Traceback of '
                      'forward call that induced the previous calculation:\n'
                      + ''.join(traceback.format_list(stack)), stacklevel=4)
        parent = parent.__dict__.get('_anomaly_parent')
