"""All tensor ops, as plain functions over tensors.

Each module lists its public functions in ``__all__``; they become ``numtorch.<name>`` and,
except those in ``FUNCTION_ONLY``, ``Tensor.<name>`` (a function whose first parameter is
``input`` works as a method unchanged). Adding an op is: write its Node and function in the right
module, add the name to ``__all__``.
"""
from . import _apply, elementwise, reduce, linalg, shape, index, rearrange, gather
from . import pointwise, blend, compare, reduce_stats

MODULES = [elementwise, reduce, linalg, shape, index, rearrange, gather,
           pointwise, blend, compare, reduce_stats]

# Functions that are torch-level only (no Tensor method of that name in torch).
FUNCTION_ONLY = {'cat', 'concat', 'concatenate', 'stack', 'hstack', 'vstack', 'dstack', 'einsum',
                 'where_', 'meshgrid', 'broadcast_tensors', 'cartesian_prod', 'block_diag',
                 'cdist', 'tensordot', 'getitem', 'setitem', 'atleast_1d', 'atleast_2d',
                 'atleast_3d', 'column_stack', 'row_stack', 'result_type', 'can_cast',
                 'promote_types', 'is_nonzero', 'chain_matmul', 'broadcast_shapes'}

# NN ops (linear/addmm, softmax family, activations, dropout); owned by the nn issue.
from . import activation  # noqa: E402
MODULES.append(activation)
FUNCTION_ONLY |= activation.FUNCTION_ONLY

from . import sorting  # noqa: E402
MODULES.append(sorting)
FUNCTION_ONLY |= sorting.FUNCTION_ONLY

from . import extra, order_stats  # noqa: E402
MODULES += [extra, order_stats]
FUNCTION_ONLY |= extra.FUNCTION_ONLY

# Inverse/det/solve and the matrix decompositions (svd, qr, cholesky, slogdet, pinverse); the
# linalg.* forms are exported by numtorch.linalg.
from . import linsolve, decomp  # noqa: E402
MODULES += [linsolve, decomp]

# Layer and loss ops (convolution, pooling, normalization, losses); owned by the layers issue.
# Their __all__ lists only the names torch also has at top level (torch.conv2d, ...); none is a
# Tensor method. The full set is exported by numtorch.nn.functional.
from . import conv, pool, normalization, loss  # noqa: E402
MODULES += [conv, pool, normalization, loss]
FUNCTION_ONLY |= {*conv.__all__, *pool.__all__, *normalization.__all__, *loss.__all__}

# Issue 13's layers: 3-D convolution/pooling, per-sample norms, patches, distances (compositions).
# Tensor methods among them: Tensor.unfold (patches.METHODS); cosine_similarity, cdist and
# pairwise_distance are torch-level only.
from . import conv_nd, pool_nd, feature_norm, patches, distance, loss_margin  # noqa: E402
from . import scatter_reduce, complex, special_fns  # noqa: E402
MODULES += [conv_nd, pool_nd, feature_norm, patches, distance, loss_margin, scatter_reduce,
            complex, special_fns]
FUNCTION_ONLY |= complex.FUNCTION_ONLY | special_fns.FUNCTION_ONLY
from . import everyday  # noqa: E402  (everyday names real scripts use: dist, hsplit, addmm_...)
MODULES.append(everyday)
FUNCTION_ONLY |= everyday.FUNCTION_ONLY
from .. import storage as _storage  # noqa: E402  (Tensor.storage/pin_memory/share_memory_)
MODULES.append(_storage)
FUNCTION_ONLY |= {*conv_nd.__all__, *pool_nd.__all__, *feature_norm.__all__, *patches.__all__,
                  *distance.__all__, *loss_margin.__all__}


def _install():
    from .._tensor import Tensor
    g = globals()
    for mod in MODULES:
        for name in mod.__all__:
            fn = getattr(mod, name)
            g[name] = fn
            if name not in FUNCTION_ONLY and name not in Tensor.__dict__:
                setattr(Tensor, name, fn)
        # Methods whose signature differs from the function's (``x.where(cond, y)``).
        for name, fn in getattr(mod, 'METHODS', {}).items():
            setattr(Tensor, name, fn)


def register(mod):
    """Add an ops module (used by modules that must import after Tensor exists)."""
    MODULES.append(mod)
    _install()
