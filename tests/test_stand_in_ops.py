"""Every ``Op`` spec of the op-test modules, run on the strict stand-in device as ``cuda``
(with ``NUMTORCH_TEST_DEVICE=cuda``, on a real GPU against torch CUDA: ``bench/gpu.sh``).

Inputs, outputs and gradients live on the stand-in, whose arrays refuse host conversion and
host operands: an op that builds a NumPy array and mixes it in, or reads values back to the host
mid-computation, fails here. Values and gradients are compared with torch as on the CPU.
"""
import contextlib
import importlib

import pytest

from opcheck import DEVICE, Op, check_op
from numtorch.testing import stand_in

MODULES = ['test_ops_core', 'test_ops_elementwise', 'test_ops_reduce', 'test_ops_shape',
           'test_ops_index', 'test_ops_linalg', 'test_ops_decomp', 'test_ops_extra',
           'test_nn_functional', 'test_conv_pool', 'test_norm', 'test_audit_core',
           'test_layers_3d', 'test_losses_margin', 'test_resample_ctc', 'test_special',
           'test_tensor_extras', 'test_utils_i13']


# Op specs not yet device-neutral (issue 9, left to do): each still builds a host array inside
# the op (a padding buffer, an index array, a table from np.*) or reads values back to the host.
# They are skipped here, visibly; remove a name once its op passes on the stand-in.
NOT_YET = {  # all wait on _ops/pool.py's host tables (_avg_matrix, _divisors)
    'test_conv_pool-adaptive_avg_pool2d',
    'test_conv_pool-adaptive_avg_pool2d-none',
    'test_conv_pool-adaptive_avg_pool2d-up',
    'test_conv_pool-avg_pool1d',
    'test_conv_pool-avg_pool2d',
    'test_conv_pool-avg_pool2d-ceil',
    'test_conv_pool-avg_pool2d-ceil-nocount',
    'test_conv_pool-avg_pool2d-nopad-count',
    'test_conv_pool-avg_pool2d-odd',
    'test_conv_pool-avg_pool2d-overlap',
    'test_conv_pool-interpolate-down',
    'test_conv_pool-interpolate-frac',
    'test_conv_pool-interpolate-recompute',
    'test_conv_pool-interpolate-size',
    'test_conv_pool-interpolate-x2',
    'test_layers_3d-adaptive_avg_pool1d',
    'test_layers_3d-adaptive_avg_pool3d',
    'test_layers_3d-avg_pool3d-args',
    'test_layers_3d-avg_pool3d-nocount',
    'test_layers_3d-local_response_norm',
    'test_layers_3d-local_response_norm-even',
    'test_resample_ctc-area',
}


def _specs():
    seen, out = set(), []
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for v in vars(mod).values():
            items = v if isinstance(v, (list, tuple)) else [v]
            for op in items:
                if isinstance(op, Op) and id(op) not in seen:
                    seen.add(id(op))
                    marks = ([pytest.mark.skip(reason='op not yet device-neutral (issue 9)')]
                             if f"{name}-{op.name}" in NOT_YET else [])
                    out.extend(pytest.param(*c.values, id=f'{name}-{c.id}', marks=marks)
                               for c in op.cases())
    return out


@pytest.mark.parametrize('op,shapes,dt', _specs())
def test_op_on_stand_in(op, shapes, dt):
    # NUMTORCH_TEST_DEVICE=cuda (bench/gpu.sh): the same specs on a real GPU, against torch CUDA
    with contextlib.nullcontext() if DEVICE == 'cuda' else stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')


def test_not_yet_list_names_only_real_specs():
    """A stale NOT_YET entry (a renamed or removed spec) would hide nothing and mislead: each
    name must be an existing spec of the listed modules."""
    real = set()
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for v in vars(mod).values():
            for op in (v if isinstance(v, (list, tuple)) else [v]):
                if isinstance(op, Op):
                    real.add(f'{name}-{op.name}')
    assert NOT_YET <= real, sorted(NOT_YET - real)
