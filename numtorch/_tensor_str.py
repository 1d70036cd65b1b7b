"""Placeholder printing (to be replaced by torch-exact formatting)."""
import numpy as np


def _str(t):
    body = np.array2string(t._data, separator=', ', precision=4)
    return f'tensor({body})'
