"""``numtorch.nn.attention``: ``SDPBackend`` and ``sdpa_kernel``, which scripts use to pick the
kernel of ``F.scaled_dot_product_attention``. numtorch has one kernel (the math formula, fused
in one node), so choosing a backend changes nothing; the names exist so such scripts run.
"""
import contextlib
import enum

__all__ = ['SDPBackend', 'sdpa_kernel']


class SDPBackend(enum.Enum):
    """torch's attention backends (values as torch's)."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Context manager choosing attention backends; a no-op here (one kernel).

    >>> from numtorch.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     pass
    """
    items = backends if isinstance(backends, (list, tuple)) else [backends]
    if not all(isinstance(b, SDPBackend) for b in items):
        raise AssertionError(f'Backend must be an instance of SDPBackend or a list of SDPBackend '
                             f'instances, got {type(backends).__name__}')
    yield
