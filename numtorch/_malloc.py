"""glibc's malloc settings for numtorch's allocation pattern (the CPU policy, issue 14).

A training step allocates and frees the same few activation-sized arrays (0.1-5 MB) every step.
With glibc's defaults those come and go through fresh pages: blocks above the dynamic mmap
threshold are mapped and unmapped, and freed heap tops above the trim threshold go back to the
kernel, so every step faults its activations in again (~4000 page faults per LeNet step, on the
development VM 8-10 ms of kernel time in a 35 ms step). Raising the mmap threshold to 32 MiB
(glibc's own ceiling for its dynamic threshold) and the trim threshold to 128 MiB keeps those
pages in the process: 0 faults, LeNet's one-thread step 35.5 -> 24.1 ms of CPU time. Raising
only the mmap threshold changes nothing (the trimmed heap faults instead), which is why an
earlier try (docs/speed.md) was rejected. The cost: up to 128 MiB of freed memory stays mapped.

Applied once at import, on glibc only, and never when the environment already sets one of
glibc's malloc tunables (``MALLOC_*_`` variables or ``GLIBC_TUNABLES``): the user's choice wins.
The settings are process-wide, so other libraries in the process (torch in bench/train.py)
get them too.
"""
import ctypes
import os
import platform

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameter numbers

applied = False


def _user_chose():
    return 'GLIBC_TUNABLES' in os.environ or any(
        k.startswith('MALLOC_') and k.endswith('_') for k in os.environ)


def tune():
    """Set the two thresholds with ``mallopt`` (glibc only; see the module docstring). Returns
    whether they were set.

    >>> isinstance(tune(), bool)
    True
    """
    global applied
    if applied:
        return True
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc' or _user_chose():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # mmap threshold first: once either is set, glibc stops adjusting the mmap one itself
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied
