"""The one seam between numtorch and its array library.

Every module gets its array functions as ``from ._backend import xp``. Today ``xp`` is NumPy;
a GPU build swaps in CuPy here (same API), and nothing else has to change.
"""
import numpy as np

xp = np
ndarray = np.ndarray


# torch is silent where IEEE arithmetic gives inf or nan (log(0), 0/0, 1/0, overflow); NumPy warns.
# Ops that can meet these (``Node.quiet``) and the backward pass run with NumPy's floating-point
# errors ignored, through its context variable so the user's own ``np.seterr`` state is left
# alone. ``quiet_on()`` returns a token for ``quiet_off(token)``. Setting the variable directly
# costs ~0.1 us where ``np.errstate`` costs ~3 us per call.
try:   # NumPy >= 2
    from functools import partial as _partial
    from numpy._core.umath import _extobj_contextvar as _errvar
    from numpy._core._ufunc_config import _make_extobj as _make
    quiet_on = _partial(_errvar.set, _make(all='ignore'))
    quiet_off = _errvar.reset
except ImportError:   # NumPy 1.x: the (slower) public context manager
    def quiet_on():
        state = np.errstate(all='ignore')
        state.__enter__()
        return state

    def quiet_off(state):
        state.__exit__(None, None, None)
