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
                    out.extend(pytest.param(*c.values, id=f'{name}-{c.id}')
                               for c in op.cases())
    return out


@pytest.mark.parametrize('op,shapes,dt', _specs())
def test_op_on_stand_in(op, shapes, dt):
    # NUMTORCH_TEST_DEVICE=cuda (bench/gpu.sh): the same specs on a real GPU, against torch CUDA
    with contextlib.nullcontext() if DEVICE == 'cuda' else stand_in.enabled():
        check_op(op, shapes, dt, device='cuda')


def test_every_op_spec_module_is_listed():
    """A new op-test module must run on the stand-in too: every test file using ``Op`` is here."""
    import os
    import re
    here = os.path.dirname(__file__)
    users = {f[:-3] for f in os.listdir(here) if f.startswith('test_') and f.endswith('.py')
             and re.search(r'^from opcheck import .*\bOp\b', open(os.path.join(here, f)).read(), re.M)}
    # test_conv_paths runs its specs on the stand-in itself, with its paths forced
    users -= {'test_opcheck', 'test_stand_in_ops', 'test_conv_paths'}
    assert users <= set(MODULES), sorted(users - set(MODULES))
