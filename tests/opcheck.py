"""Declarative op tests: one ``Op`` spec expands into forward, backward-vs-torch and float64
finite-difference checks over shapes x dtypes (after Chainer's FunctionTestCase and torch's
OpInfo).

    Op('add', lambda m, a, b: m.add(a, b), shapes=[((2, 3), (2, 3)), ((2, 3), (3,))])

``fn(m, *tensors)`` is called with ``m`` = numtorch and ``m`` = torch on the same values, so one
lambda states the op for both. Inputs are drawn uniformly from ``domain``; ``grad=False`` skips the
gradient checks (comparisons, integer ops); ``int_inputs`` makes integer tensors.
"""
import contextlib
import os
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import numtorch

DTYPES = {'float32': (np.float32, torch.float32, numtorch.float32),
          'float64': (np.float64, torch.float64, numtorch.float64)}
TOL = {'float32': dict(rtol=1e-5, atol=1e-5), 'float64': dict(rtol=1e-10, atol=1e-10)}
# A float sum of K terms is exact only up to the summation order, which the BLAS kernel picks per
# CPU (blocking, SIMD width, threads): its error grows like eps * sqrt(K) * the terms' magnitude.
# So the tolerances above are floors; ``tolerance`` raises them with K (below).
SUM_C = 4.0


def tolerance(dt, k, scale, tol=None):
    """rtol/atol for comparing a ``dt`` result whose elements may be sums of up to ``k`` terms;
    ``scale`` is the result's largest magnitude (a sum's rounding is relative to its terms, not to
    a small, cancelled result). ``tol`` overrides the floors of ``TOL``."""
    base = dict(TOL.get(dt, dict(rtol=0, atol=0)), **(tol or {}))
    if dt not in TOL:                       # integer / bool results: exact
        return base
    grow = SUM_C * float(np.finfo(dt).eps) * float(np.sqrt(max(k, 1)))
    return dict(base, rtol=max(base.get('rtol', 0), grow),
                atol=max(base.get('atol', 0), grow * max(float(scale), 1.0)))


def reduction_size(*arrays):
    """An upper bound on how many terms any element of an op's result or gradient sums: the
    largest element count among its inputs and outputs (a matmul's K, a conv weight gradient's
    N*H*W, a sum's length are all at most that)."""
    return max([int(np.prod(np.shape(a))) for a in arrays] + [1])


def assert_close(actual, desired, dt, k, tol=None):
    """``np.testing.assert_allclose`` with ``tolerance(dt, k, max|desired|)``."""
    desired = np.asarray(desired)
    finite = desired[np.isfinite(desired)] if desired.dtype.kind in 'fc' else desired
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    np.testing.assert_allclose(actual, desired, equal_nan=True, **tolerance(dt, k, scale, tol))


# Ops whose last graph node is still named differently from torch's (``type(grad_fn).__name__``),
# with why; every other op in every test_ops_* table is checked. Shrink this list, never grow it.
NODE_NAME_EXEMPT = {
    **dict.fromkeys(['adaptive_avg_pool2d-1', 'adaptive_max_pool2d', 'avg_pool2d', 'conv1d',
                     'conv2d', 'max_pool2d'],
                    'unbatched input: torch runs the batched kernel then squeezes (SqueezeBackward1)'),
    't': "torch's t() of a 1-d tensor is TBackward0; numtorch records a permute",
    'sort_stable': 'torch names sort(stable=...) SortBackward1',
    'cholesky_method_upper': 'torch keeps the deprecated cholesky as CholeskyBackward0',
    'cholesky_old': 'torch keeps the deprecated cholesky as CholeskyBackward0',
    'clamp_fns': 'torch records clamp_min/clamp_max as ClampMin/ClampMaxBackward0',
    **dict.fromkeys(['setitem_adv', 'setitem_mask'],
                    'torch records advanced-index assignment as IndexPutBackward0'),
    'logcumsumexp_0d': 'torch records the 0-d case as LogcumsumexpBackward0, numtorch a view',
    **dict.fromkeys(['quantile', 'quantile_dim', 'quantile_keep_all', 'quantile_nan', 'quantile_q',
                     'nanquantile', 'nanquantile_allnan'],
                    "composite: torch's last op differs with the interpolation path"),
    'kron': 'composite: torch ends in a view/permute of a product',
    **dict.fromkeys(['matrix_norm_inf', 'matrix_norm_m1', 'matrix_norm_m2',
                     'matrix_norm_ninf_dim'], "composite: torch's last reduction differs"),
    'solve_right': 'torch solves the transposed system (LinalgSolveExBackward0 then transpose)',
    'vdot': 'numtorch records VdotBackward0 as DotBackward0',
    **dict.fromkeys(['aminmax', 'aminmax_dim'], 'torch records one AminmaxBackward0 node'),
    'sum_mean_0d_dim': 'torch names the 0-d sum(dim) SumBackward1',
    'var_mean': 'torch records one VarMean/StdMeanBackward0 node',
    'repeat_interleave': 'composite: torch indexes (IndexSelect) then views',
    'bilinear': 'composite: torch adds the bias last (AddBackward0), numtorch reshapes last',
}
# Issue 13's layers and functions built as compositions of existing differentiable ops (so they
# run on every device): the last node is the composition's (AddBackward0, ViewBackward0, ...)
# where torch runs one fused kernel (GridSampler2DBackward0, ConvolutionBackward0, ...).
NODE_NAME_EXEMPT.update(dict.fromkeys([
    'adaptive_avg_pool3d', 'adaptive_max_pool3d', 'affine_grid-False', 'affine_grid-True',
    'affine_grid3d-False', 'affine_grid3d-True', 'area', 'avg_pool3d', 'avg_pool3d-args',
    'avg_pool3d-divisor', 'avg_pool3d-nocount', 'cdist-mm', 'conv3d', 'conv3d-args', 'conv3d-same', 'conv_transpose1d', 'conv_transpose1d-groups',
    'conv_transpose3d', 'embedding_bag-2d-mean', 'embedding_bag-2d-psw', 'embedding_bag-max',
    'embedding_bag-max-4', 'embedding_bag-max-True', 'embedding_bag-mean',
    'embedding_bag-mean-2', 'embedding_bag-sum', 'embedding_bag-sum-True', 'entr', 'erfcx',
    'fft-real-imag', 'fold', 'fold-args', 'grid_sample-border-False-bilinear',
    'grid_sample-border-False-nearest', 'grid_sample-border-True-bilinear',
    'grid_sample-border-True-nearest', 'grid_sample-reflection-False-bilinear',
    'grid_sample-reflection-False-nearest', 'grid_sample-reflection-True-bilinear',
    'grid_sample-reflection-True-nearest', 'grid_sample-zeros-False-bilinear',
    'grid_sample-zeros-False-nearest', 'grid_sample-zeros-True-bilinear',
    'grid_sample-zeros-True-nearest', 'grid_sample3d-border-bilinear',
    'grid_sample3d-border-nearest', 'grid_sample3d-reflection-bilinear',
    'grid_sample3d-reflection-nearest', 'grid_sample3d-zeros-bilinear',
    'grid_sample3d-zeros-nearest', 'log_ndtr', 'logdet', 'margin_ranking_loss-none',
    'max_pool3d', 'max_pool3d-args', 'multigammaln',
    'ndtr', 'ndtri', 'pairwise_distance', 'pairwise_distance-p', 'pixel_shuffle',
    'pixel_unshuffle', 'soft_margin_loss-mean', 'soft_margin_loss-none', 'soft_margin_loss-sum',
    'triplet_margin_loss-none', 'unfold', 'unfold-args', 'xlog1py',],
    'composite: torch has one fused kernel node here'))


@dataclass
class Op:
    name: str
    fn: object
    shapes: list                         # list of cases, each a tuple of input shapes
    dtypes: tuple = ('float32', 'float64')
    domain: tuple = (-2.0, 2.0)
    grad: bool = True
    gradcheck: bool = True
    gradgrad: bool = True                # second derivatives (create_graph) vs torch + gradgradcheck
    int_inputs: bool = False
    tol: dict = field(default_factory=dict)
    make: object = None                  # custom input maker: make(rng, shape, np_dtype) -> array

    def cases(self):
        for i, shapes in enumerate(self.shapes):
            for dt in (('int64',) if self.int_inputs else self.dtypes):
                yield pytest.param(self, shapes, dt, id=f'{self.name}-{i}-{dt}')


def _inputs(op, shapes, dt, seed):
    rng = np.random.default_rng(seed)
    arrs = []
    for s in shapes:
        if op.make is not None:
            arrs.append(op.make(rng, s, np.dtype(dt)))
        elif op.int_inputs:
            arrs.append(rng.integers(-5, 6, size=s).astype(np.int64))
        else:
            lo, hi = op.domain
            arrs.append(rng.uniform(lo, hi, size=s).astype(dt))
    return arrs


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


# NUMTORCH_TEST_DEVICE=cuda (bench/gpu.sh) runs every spec on a real GPU, numtorch (CuPy) against
# torch CUDA. NUMTORCH_TEST_DEVICE=stand-in runs every spec on the strict stand-in (as 'cuda'), so a
# stray host call in an op fails its test; tests/test_stand_in_ops.py does it in every run.
DEVICE = os.environ.get('NUMTORCH_TEST_DEVICE')
if DEVICE == 'stand-in':
    from numtorch.testing import stand_in as _stand_in
    _stand_in.enable()


TORCH_DEVICE = 'cuda' if DEVICE == 'cuda' else 'cpu'


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy(force=True)   # force: a ZeroTensor (a double backward's)
    if DEVICE == 'cuda':
        return t.detach().cpu().numpy()
    from numtorch.testing.stand_in import to_host
    return to_host(t)


def _tol_dtype(torch_dtype):
    """The ``TOL`` row for a result of this dtype; integer and bool results compare exactly."""
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(torch_dtype,
                                                                               torch_dtype)
    return str(real).replace('torch.', '') if real.is_floating_point else 'exact'


@contextlib.contextmanager
def _default_device(m, device):
    """``m.set_default_device(device)`` for the block (nothing for the CPU)."""
    if device in (None, 'cpu'):
        yield
        return
    m.set_default_device(device)
    try:
        yield
    finally:
        m.set_default_device(None)


def check_op(op, shapes, dt, seed=0, device=None):
    """Forward values, dtype and shape vs torch; gradients vs torch; float64 finite differences.

    ``device``: where numtorch's inputs live ('cuda' on the stand-in); the outputs and
    gradients must come back on it."""
    if device is None and DEVICE in ('stand-in', 'cuda'):
        device = 'cuda'
    arrs = _inputs(op, shapes, dt, seed)
    diff = op.grad and not op.int_inputs
    nt_in = [numtorch.tensor(a, requires_grad=diff, device=device) for a in arrs]
    th_in = [torch.tensor(a, requires_grad=diff, device=TORCH_DEVICE) for a in arrs]
    # Tensors a spec builds itself (index tensors, masks) land on the test device, as on a
    # torch CUDA run with that default device: gather & co. refuse a CPU index for CUDA data.
    with _default_device(numtorch, device), _default_device(torch, TORCH_DEVICE):
        nt_out = _as_list(op.fn(numtorch, *nt_in))
        th_out = _as_list(op.fn(torch, *th_in))
    assert len(nt_out) == len(th_out)
    k = reduction_size(*arrs, *[_np(t) for t in th_out if isinstance(t, torch.Tensor)])
    for n, t in zip(nt_out, th_out):
        if not isinstance(t, torch.Tensor):
            assert n == t
            continue
        assert tuple(n.shape) == tuple(t.shape), (n.shape, t.shape)
        assert str(n.dtype) == str(t.dtype), (n.dtype, t.dtype)
        if device is not None:
            assert n.device.type == numtorch.device(device).type, (n.device, device)
        assert_close(_np(n), _np(t), _tol_dtype(t.dtype), k, op.tol)
    if not diff:
        return
    # Backward with the same random upstream gradient on both sides.
    rng = np.random.default_rng(seed + 1)
    pairs = [(n, t) for n, t in zip(nt_out, th_out)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    assert all(n.requires_grad for n, _ in pairs), 'numtorch output lost requires_grad'
    # graph walkers (torchviz-style printers) read the node's class name: torch's, per op
    names = [type(n.grad_fn).__name__ for n, _ in pairs], [type(t.grad_fn).__name__ for _, t in pairs]
    if op.name not in NODE_NAME_EXEMPT:
        assert names[0] == names[1], f'grad_fn {names[0]} where torch has {names[1]}'
    if not pairs:
        return
    ups = [rng.standard_normal(t.shape).astype(dt) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs],
                            [torch.tensor(u, device=TORCH_DEVICE) for u in ups])
    numtorch.autograd.backward([n for n, _ in pairs],
                               [numtorch.tensor(u, device=device) for u in ups])
    for n, t in zip(nt_in, th_in):
        if t.grad is None:
            assert n.grad is None or not np.any(_np(n.grad))
            continue
        assert n.grad is not None, 'numtorch gave no gradient where torch did'
        assert n.grad.device == n.device
        assert_close(_np(n.grad), _np(t.grad), dt, k, op.tol)
    # Finite differences prove the math once, on the CPU; a device run proves the device path.
    if op.gradcheck and dt == 'float64' and all(a.size <= 64 for a in arrs) and device is None:
        xs = [numtorch.tensor(a, requires_grad=True) for a in arrs]
        assert numtorch.autograd.gradcheck(lambda *x: op.fn(numtorch, *x), xs,
                                           atol=1e-5, rtol=1e-4)
    if op.gradgrad and dt == 'float64' and all(a.size <= 64 for a in arrs):
        check_gradgrad(op, arrs, seed, device)


# Finite differences of a second derivative cost two backward passes per input element:
# they run on the smallest cases only; torch's second derivatives are checked on every case.
GRADGRAD_FD_MAX = 24


def _second_derivatives(m, op, arrs, ups, ws, device):
    """d/d(inputs, v) of <w, v^T J(inputs)> for module ``m`` (numtorch or torch): the
    gradient of a first-order gradient taken with create_graph=True."""
    dev = device if m is numtorch else TORCH_DEVICE
    xs = [m.tensor(a, requires_grad=True, device=dev) for a in arrs]
    with _default_device(m, None if m is torch and dev == 'cpu' else dev):
        outs = [o for o in _as_list(op.fn(m, *xs)) if isinstance(o, m.Tensor) and o.requires_grad]
    vs = [m.tensor(u, requires_grad=True, device=dev) for u in ups]
    gs = m.autograd.grad(outs, xs, vs, create_graph=True, allow_unused=True)
    terms = [(g * m.tensor(w, device=dev)).sum() for g, w in zip(gs, ws)
             if g is not None and g.requires_grad]
    if not terms:
        return [None] * (len(xs) + len(vs))
    return list(m.autograd.grad(sum(terms), xs + vs, allow_unused=True))


def check_gradgrad(op, arrs, seed, device=None):
    """Second derivatives equal torch's (or torch's refusal), and a float64 finite-difference
    gradgradcheck on small cases."""
    rng = np.random.default_rng(seed + 2)
    with torch.enable_grad():
        th_outs = [o for o in _as_list(op.fn(torch, *[torch.tensor(a, requires_grad=True)
                                                      for a in arrs]))
                   if isinstance(o, torch.Tensor) and o.requires_grad]
    if not th_outs:
        return
    ups = [rng.standard_normal(tuple(o.shape)) for o in th_outs]
    ws = [rng.standard_normal(a.shape) for a in arrs]
    try:
        expected = _second_derivatives(torch, op, arrs, ups, ws, TORCH_DEVICE)
    except RuntimeError as e:         # torch refuses this double backward: so must numtorch
        with pytest.raises(RuntimeError) as info:
            _second_derivatives(numtorch, op, arrs, ups, ws, device)
        assert str(info.value).split('\n')[0] == str(e).split('\n')[0]
        return
    actual = _second_derivatives(numtorch, op, arrs, ups, ws, device)
    k = reduction_size(*arrs, *ups)
    for n, t, ref in zip(actual, expected, list(arrs) + ups):
        want = np.zeros(np.shape(ref)) if t is None else _np(t)
        got = np.zeros(np.shape(ref)) if n is None else _np(n)
        assert_close(got, want, 'float64', k, op.tol)
    if op.gradcheck and device is None and sum(a.size for a in arrs) <= GRADGRAD_FD_MAX:
        xs = [numtorch.tensor(a, requires_grad=True) for a in arrs]
        assert numtorch.autograd.gradgradcheck(lambda *x: op.fn(numtorch, *x), xs,
                                               atol=1e-5, rtol=1e-4)


def parametrize(ops):
    """``@parametrize(OPS)`` over every (op, case, dtype)."""
    return pytest.mark.parametrize('op,shapes,dt', [c for op in ops for c in op.cases()])


def assert_same_bits_for_any_thread_count(run, counts=(1, 2, 3)):
    """``run()`` (returning arrays) gives the same bits with each of ``counts`` threads
    (``numtorch.set_num_threads``); the caller's count is restored."""
    before = numtorch.get_num_threads()
    out = []
    try:
        for n in counts:
            numtorch.set_num_threads(n)
            out.append([np.asarray(a) for a in run()])
    finally:
        numtorch.set_num_threads(before)
    for got in out[1:]:
        assert all(a.tobytes() == b.tobytes() for a, b in zip(got, out[0]))
