"""The one seam between numtorch and its array library.

Every module gets its array functions as ``from ._backend import xp``. Today ``xp`` is NumPy;
a GPU build swaps in CuPy here (same API), and nothing else has to change.
"""
import numpy as np

xp = np
ndarray = np.ndarray
