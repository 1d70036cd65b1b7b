"""The one place where op functions become ``numtorch.<name>`` and ``Tensor.<name>``.

Every module in ``MODULES`` declares what it offers with three module-level names (kept at the
top or bottom of the module)::

    __all__ = ['exp', 'cat', ...]       # torch-level functions: numtorch.<name> ...
    FUNCTION_ONLY = {'cat'}             # ... of which these are NOT also Tensor methods
    METHODS = {'view': view,            # Tensor-only methods (torch has no torch.view), and
               'where': _where_method}  # methods whose signature differs from the function's

``install()`` (called once, from ``numtorch/__init__.py`` right after ``Tensor`` exists) walks
``MODULES`` in order and, for each module:

1. puts every name of ``__all__`` into the dict it returns (numtorch's namespace);
2. makes it ``Tensor.<name>`` too, unless it is in ``FUNCTION_ONLY`` or ``Tensor``'s class dict
   already has that name (written in the class body, or set by an earlier module);
3. sets every ``METHODS`` entry on ``Tensor``, replacing what was there.

A function whose first parameter is ``input`` works as a method unchanged. Adding an op: write
its Node and function in the right module, add the name to ``__all__`` (and to ``FUNCTION_ONLY``
or ``METHODS`` where torch has only one of the two forms). ``tests/test_namespace.py`` checks the
result against torch's ``dir()``: numtorch exports no name torch lacks.

>>> import numtorch
>>> numtorch.exp is numtorch.Tensor.exp, hasattr(numtorch.Tensor, 'cat'), hasattr(numtorch, 'view')
(True, False, False)
"""
from . import _tensor_inplace, storage
from ._ops import tensor_meta, random
from ._ops.pointwise import arithmetic, unary, binary, compare, complex, special
from ._ops.reductions import reduce, stats, order_stats, sorting, scan
from ._ops.shape import views, rearrange, join, split, inplace
from ._ops.indexing import index, gather_scatter, scatter_reduce
from ._ops.linalg import products, contractions, solve, decomp
from ._ops.nn import (activations, losses, losses_margin, norm, pool, conv, conv_nd, patches,
                      distance)

# The order matters only where two modules offer the same method name (see rules 2 and 3).
MODULES = (_tensor_inplace,   # add_, mul_, fill_, copy_, +=, ...: as if in the class body
           arithmetic, reduce, products, contractions, views, index, rearrange, join, gather_scatter,
           unary, binary, compare, stats, activations, sorting, split, inplace, scan, order_stats,
           solve, decomp, conv, pool, norm, losses, conv_nd, patches, distance, losses_margin,
           scatter_reduce, complex, special, tensor_meta,
           storage,           # Tensor.storage / pin_memory / share_memory_
           random)            # rand, randn, ...; Tensor.uniform_, normal_, ...


def install(Tensor):
    """Set the op methods on ``Tensor``; return ``{name: function}`` for numtorch's namespace."""
    functions = {}
    for mod in MODULES:
        only = getattr(mod, 'FUNCTION_ONLY', ())
        for name in mod.__all__:
            fn = functions[name] = getattr(mod, name)
            if name not in only and name not in Tensor.__dict__:
                setattr(Tensor, name, fn)
        for name, fn in getattr(mod, 'METHODS', {}).items():
            setattr(Tensor, name, fn)
    return functions
