"""``numtorch.testing.assert_close``, as torch's: values within rtol/atol, same shape/dtype."""
import numpy as np


def _arr(x):
    return x._data if hasattr(x, '_data') else np.asarray(x)


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True,
                 msg=None, **_):
    """Raise AssertionError unless ``actual`` and ``expected`` are close elementwise.

    Defaults follow torch: float32 rtol 1.3e-6 / atol 1e-5, float64 rtol 1e-7 / atol 1e-7,
    exact for integers and bools.

    >>> import numtorch
    >>> numtorch.testing.assert_close(numtorch.tensor([1., 2.]), numtorch.tensor([1., 2.]))
    """
    a, e = _arr(actual), _arr(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f'The values for attribute \'shape\' do not match: '
                             f'{a.shape} != {e.shape}.')
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                             f'{a.dtype} != {e.dtype}.')
    defaults = {'float16': (1e-3, 1e-5), 'float32': (1.3e-6, 1e-5), 'float64': (1e-7, 1e-7)}
    r, t = defaults.get(a.dtype.name, (0, 0))
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan):
        bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        raise AssertionError(msg or f'Tensor-likes are not close!\n\nMismatched elements: '
                             f'{int(bad.sum())} / {a.size}\nGreatest absolute difference: '
                             f'{np.nanmax(diff) if diff.size else 0}')
