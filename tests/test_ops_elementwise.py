"""Elementwise ops vs torch: forward values and dtypes, gradients for a random upstream gradient,
float64 finite differences (see opcheck.py); plus comparisons, in-place forms, grad_fn names,
tie-breaking in gradients and error messages."""
import math

import numpy as np
import pytest
import torch

import numtorch
from opcheck import Op, check_op, parametrize

BCAST = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (4,)), ((0, 3), (3,))]
UNARY = [((2, 3),), ((),), ((0, 2),)]


def away_from_zero(lo=0.5, hi=2.0):
    """Inputs with |x| in [lo, hi] and random signs (for 1/x, x % y, ...)."""
    def make(rng, shape, dt):
        mag = rng.uniform(lo, hi, size=shape)
        return (mag * rng.choice([-1.0, 1.0], size=shape)).astype(dt)
    return make


def with_ties(rng, shape, dt):
    """Small integers as floats: plenty of ties for max/min/maximum (no gradcheck there)."""
    return rng.integers(-2, 3, size=shape).astype(dt)


def positive_ints(rng, shape, dt):
    return rng.integers(1, 6, size=shape).astype(np.int64)


def probs(rng, shape, dt):
    return rng.uniform(0.05, 0.95, size=shape).astype(dt)


OPS = [
    # arithmetic
    Op('remainder', lambda m, a, b: m.remainder(a, b), BCAST[:4], make=away_from_zero()),
    Op('remainder_scalar', lambda m, a: a % 1.5, UNARY),
    Op('remainder_neg_scalar', lambda m, a: a % -0.7, [((5,),)]),
    Op('rmod', lambda m, a: 3.5 % a, [((4,),)], make=away_from_zero(), grad=False),
    Op('remainder_int', lambda m, a, b: m.remainder(a, b), [((3, 4), (4,))], int_inputs=True,
       make=lambda rng, s, dt: rng.integers(-7, 8, size=s) * 0 + rng.choice([-3, -2, 2, 5], size=s)),
    Op('fmod', lambda m, a, b: m.fmod(a, b), BCAST[:4], make=away_from_zero()),
    Op('fmod_scalar', lambda m, a: m.fmod(a, 0.75), [((2, 3),)]),
    Op('floor_divide', lambda m, a, b: m.floor_divide(a, b), BCAST[:3], make=away_from_zero(), grad=False),
    Op('floordiv_op_int', lambda m, a, b: a // b, [((2, 3), (3,))], int_inputs=True, make=away_from_zero(1, 9)),
    Op('div_trunc', lambda m, a, b: m.div(a, b, rounding_mode='trunc'), BCAST[:2], make=away_from_zero()),
    Op('div_floor', lambda m, a, b: m.div(a, b, rounding_mode='floor'), BCAST[:2], make=away_from_zero()),
    Op('div_trunc_int', lambda m, a, b: m.div(a, b, rounding_mode='trunc'), [((6,), (6,))],
       int_inputs=True, make=lambda rng, s, dt: rng.choice([-7, -3, 3, 5, 8], size=s)),
    Op('reciprocal', lambda m, a: a.reciprocal(), UNARY, make=away_from_zero()),
    Op('square', lambda m, a: a.square(), UNARY),
    Op('abs', lambda m, a: a.abs(), UNARY),
    Op('abs_op', lambda m, a: abs(a), [((3,),)]),
    Op('abs_int', lambda m, a: m.abs(a), [((2, 3),)], int_inputs=True),
    Op('sign', lambda m, a: a.sign(), UNARY),
    Op('sgn', lambda m, a: a.sgn(), [((4,),)], grad=False),   # torch's grad is a ZeroTensor
    Op('floor', lambda m, a: a.floor(), UNARY),
    Op('ceil', lambda m, a: a.ceil(), UNARY),
    Op('round', lambda m, a: a.round(), UNARY, domain=(-4, 4)),
    Op('round_decimals', lambda m, a: a.round(decimals=2), [((3, 4),)], domain=(-4, 4)),
    Op('trunc', lambda m, a: a.trunc(), UNARY, domain=(-4, 4)),
    Op('frac', lambda m, a: a.frac(), UNARY, domain=(-4, 4)),
    Op('floor_int', lambda m, a: (a.floor(), a.ceil(), a.round(), a.trunc(), a.sign()), [((4,),)], int_inputs=True),
    Op('neg_int', lambda m, a: -a, [((4,),)], int_inputs=True),
    # binary selections
    Op('maximum', lambda m, a, b: m.maximum(a, b), BCAST),
    Op('minimum', lambda m, a, b: m.minimum(a, b), BCAST),
    Op('maximum_ties', lambda m, a, b: m.maximum(a, b), [((3, 4), (4,))], make=with_ties, gradcheck=False),
    Op('minimum_ties', lambda m, a, b: m.minimum(a, b), [((3, 4), (3, 1))], make=with_ties, gradcheck=False),
    Op('max_binary', lambda m, a, b: m.max(a, b), [((2, 3), (3,))]),
    Op('fmax', lambda m, a, b: m.fmax(a, b), BCAST[:3]),
    Op('fmin', lambda m, a, b: m.fmin(a, b), BCAST[:3]),
    Op('fmax_ties', lambda m, a, b: m.fmax(a, b), [((3, 4), (4,))], make=with_ties, gradcheck=False),
    Op('maximum_int', lambda m, a, b: m.maximum(a, b), [((3, 4), (4,))], int_inputs=True),
    Op('atan2', lambda m, a, b: m.atan2(a, b), BCAST[:4], make=away_from_zero()),
    Op('clamp', lambda m, a: a.clamp(-0.5, 0.7), UNARY),
    Op('clamp_min', lambda m, a: a.clamp(min=0.2), [((2, 3),)]),
    Op('clamp_max', lambda m, a: m.clamp(a, max=-0.1), [((2, 3),)]),
    Op('clamp_fns', lambda m, a: (m.clamp_min(a, 0.), m.clamp_max(a, 0.5)), [((5,),)]),
    Op('clip', lambda m, a: a.clip(-1, 1), [((5,),)]),
    Op('clamp_at_bounds', lambda m, a: a.clamp(-1, 1), [((3, 4),)], make=with_ties, gradcheck=False),
    Op('clamp_tensor', lambda m, a, lo, hi: a.clamp(lo - 1, hi + 1), [((2, 3), (3,), (2, 1)), ((4,), (), ())]),
    Op('clamp_tensor_min', lambda m, a, lo: m.clamp(a, min=lo), [((2, 3), (3,))]),
    Op('clamp_tensor_max', lambda m, a, hi: m.clamp(a, max=hi), [((2, 3), (2, 1))]),
    Op('clamp_crossed', lambda m, a, lo, hi: a.clamp(lo + 1, hi - 1), [((3, 4), (4,), (4,))]),
    Op('clamp_int', lambda m, a: a.clamp(-2, 3), [((3, 4),)], int_inputs=True),
    Op('clamp_int_float_bound', lambda m, a: a.clamp(-2.5), [((3, 4),)], int_inputs=True),
    Op('where', lambda m, a, b: m.where(a > 0, a, b), BCAST),
    Op('where_scalar', lambda m, a: m.where(a > 0, a, 0.5), UNARY),
    Op('where_scalar_first', lambda m, a: m.where(a > 0, -1, a), [((2, 3),)]),
    Op('where_cond_bcast', lambda m, a, b: m.where(b > 0, a, -a), [((2, 3), (3, 1, 1))]),
    Op('where_method', lambda m, a, b: a.where(a > 0, b), [((2, 3), (3,))]),
    Op('where_int', lambda m, a, b: m.where(a > b, a, b), [((3, 4), (4,))], int_inputs=True),
    Op('lerp', lambda m, a, b: m.lerp(a, b, 0.3), BCAST),
    Op('lerp_tensor', lambda m, a, b, w: m.lerp(a, b, w), [((2, 3), (3,), (2, 1)), ((4,), (4,), ())]),
    Op('addcmul', lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), [((2, 3), (3,), (2, 1)), ((), (4,), ())]),
    Op('addcdiv', lambda m, a, b, c: m.addcdiv(a, b, c, value=-2), [((2, 3), (3,), (2, 1))], make=away_from_zero()),
    Op('float_power', lambda m, a: m.float_power(a, 2), [((2, 3),)]),
    Op('float_power_t', lambda m, a, b: m.float_power(a, b), [((2, 3), (3,))], domain=(0.5, 2)),
    # exp / log family
    Op('exp2', lambda m, a: a.exp2(), UNARY),
    Op('expm1', lambda m, a: a.expm1(), UNARY),
    Op('log1p', lambda m, a: a.log1p(), UNARY, domain=(-0.9, 3)),
    Op('log2', lambda m, a: a.log2(), UNARY, domain=(0.1, 3)),
    Op('log10', lambda m, a: a.log10(), UNARY, domain=(0.1, 3)),
    Op('sqrt', lambda m, a: a.sqrt(), UNARY, domain=(0.1, 3)),
    Op('rsqrt', lambda m, a: a.rsqrt(), UNARY, domain=(0.1, 3)),
    # trigonometry
    Op('sin', lambda m, a: a.sin(), UNARY),
    Op('cos', lambda m, a: m.cos(a), UNARY),
    Op('tan', lambda m, a: a.tan(), UNARY, domain=(-1.2, 1.2)),
    Op('asin', lambda m, a: a.asin(), UNARY, domain=(-0.9, 0.9)),
    Op('acos', lambda m, a: a.acos(), UNARY, domain=(-0.9, 0.9)),
    Op('atan', lambda m, a: a.atan(), UNARY),
    Op('arc_aliases', lambda m, a: (m.arcsin(a), m.arccos(a), m.arctan(a)), [((3,),)], domain=(-0.9, 0.9)),
    Op('sinh', lambda m, a: a.sinh(), UNARY),
    Op('cosh', lambda m, a: a.cosh(), UNARY),
    Op('tanh', lambda m, a: a.tanh(), UNARY),
    Op('asinh', lambda m, a: a.asinh(), UNARY),
    Op('acosh', lambda m, a: a.acosh(), UNARY, domain=(1.1, 3)),
    Op('atanh', lambda m, a: a.atanh(), UNARY, domain=(-0.9, 0.9)),
    Op('deg2rad', lambda m, a: (a.deg2rad(), a.rad2deg()), [((3,),)]),
    # sigmoid, erf, ...
    Op('sigmoid', lambda m, a: a.sigmoid(), UNARY, domain=(-6, 6)),
    Op('sigmoid_extreme', lambda m, a: m.sigmoid(a * 60), [((8,),)]),
    Op('logit', lambda m, a: a.logit(), UNARY, make=probs),
    Op('logit_eps', lambda m, a: a.logit(eps=0.2), [((3, 4),)], make=probs),
    Op('erf', lambda m, a: a.erf(), UNARY),
    Op('erfc', lambda m, a: a.erfc(), UNARY),
    Op('erfinv', lambda m, a: a.erfinv(), UNARY, domain=(-0.95, 0.95)),
    # past 512 elements erf runs Cody's vectorized approximation (below: math.erf per element)
    Op('erf_large', lambda m, a: (a.erf(), a.erfc(), (a / 7).erfinv()), [((40, 30),)], domain=(-6.5, 6.5)),
    Op('nan_to_num', lambda m, a: (a / (a > 0)).nan_to_num(), [((3, 4),)], gradcheck=False),
    Op('nan_to_num_args', lambda m, a: m.nan_to_num(m.log(a), nan=1.0, posinf=5.0, neginf=-5.0),
       [((3, 4),)], domain=(-1, 1), grad=False),
    Op('sigmoid_int', lambda m, a: (a.sigmoid(), a.sqrt(), a.exp2(), a.reciprocal(), a.erf()), [((4,),)],
       int_inputs=True, make=positive_ints),
    # comparisons and logic (no gradient)
    Op('eq', lambda m, a, b: (a == b, m.eq(a, b), a.ne(b), a != b), BCAST, make=with_ties, grad=False),
    Op('lt_gt', lambda m, a, b: (a < b, a <= b, a > b, a >= b, m.lt(a, b), m.ge(a, b)), BCAST, grad=False),
    Op('cmp_aliases', lambda m, a, b: (m.greater(a, b), m.greater_equal(a, b), m.less(a, b),
                                       m.less_equal(a, b), m.not_equal(a, b)), [((2, 3), (3,))], grad=False),
    Op('cmp_scalar', lambda m, a: (a > 0.5, a == 1, 0.5 < a, a.le(0), a.eq(0.)), [((2, 3),), ((),)], grad=False),
    Op('cmp_int_float_scalar', lambda m, a: (a < 2.5, a == 2.0, a >= -1), [((3, 4),)], int_inputs=True),
    Op('logical', lambda m, a, b: (m.logical_and(a, b), m.logical_or(a > 0, b), m.logical_xor(a, b > 0),
                                   m.logical_not(a), a.logical_not()), [((2, 3), (3,))], make=with_ties, grad=False),
    Op('bitwise', lambda m, a, b: (a & b, a | b, a ^ b, ~a, m.bitwise_and(a, 3), 6 | a, 3 ^ a),
       [((3, 4), (4,))], int_inputs=True),
    Op('bitwise_bool', lambda m, a, b: ((a > 0) & (b > 0), (a > 0) | (b < 0), ~(a > 0), (a > 0) ^ True),
       [((3, 4), (4,))], int_inputs=True),
    Op('isnan', lambda m, a: (m.log(a).isnan(), (a / 0).isinf(), (a / 0).isfinite(), (a / 0).isposinf(),
                              (a / 0).isneginf(), a.signbit()), [((3, 4),)], grad=False),
    Op('isclose', lambda m, a, b: (m.isclose(a, b + 1e-9), m.isclose(a, b, rtol=0.5, atol=0.1)),
       [((2, 3), (3,))], grad=False),
    # composition keeps torch's graph
    Op('mixture', lambda m, a, b: (m.sigmoid(a) * m.tanh(b) + m.maximum(a, b).abs().sqrt()).clamp(max=1.5),
       [((2, 3), (3,))]),
]


@parametrize(OPS)
def test_op(op, shapes, dt):
    check_op(op, shapes, dt)


def _names(fn, *xs):
    return fn(*xs).grad_fn.name()


@pytest.mark.parametrize('expr', [
    'a % 2', 'torch.remainder(a, b)', 'torch.fmod(a, 2)', 'torch.fmod(a, b)', 'a.reciprocal()',
    'a.square()', 'a.abs()', 'torch.maximum(a, b)', 'torch.minimum(a, b)', 'torch.fmax(a, b)',
    'torch.fmin(a, b)', 'a.clamp(0, 1)', 'a.clamp(min=0.1)', 'a.clamp(min=b)', 'a.clamp(b, b + 1)',
    'a.sign()', 'a.floor()', 'a.ceil()', 'a.round()', 'a.round(decimals=1)', 'a.trunc()',
    'a.frac()', 'torch.lerp(a, b, 0.3)', 'torch.lerp(a, b, b)', 'torch.addcmul(a, a, b)',
    'torch.addcdiv(a, a, b)', 'torch.float_power(a, 2)', 'a.exp2()', 'a.expm1()', 'a.log1p()',
    'a.log2()', 'a.log10()', 'a.sqrt()', 'a.rsqrt()', 'a.sin()', 'a.cos()', 'a.tan()',
    'a.asin()', 'a.acos()', 'a.atan()', 'torch.atan2(a, b)', 'a.sinh()', 'a.cosh()', 'a.tanh()',
    'a.asinh()', 'a.atanh()', 'a.sigmoid()', 'a.logit()', 'a.erf()', 'a.erfc()', 'a.erfinv()',
    'a.nan_to_num()', 'torch.where(a > 0.5, a, b)', 'torch.where(a > 0.5, a, 0.)',
    'a.where(a > 0.5, b)', 'a / 2', 'a / b', '2 / a', '2 ** a', 'a ** b', 'a ** 2',
    'torch.div(a, b, rounding_mode="floor")', 'a.relu()', 'a.exp()', 'a.log()', '-a',
])
def test_grad_fn_names(expr):
    def run(m):
        a = m.tensor([0.25, 0.5, 0.75], requires_grad=True)
        b = m.tensor([0.5, 0.5, 0.25], requires_grad=True)
        return eval(expr, {'torch': m, 'a': a, 'b': b}).grad_fn.name()
    assert run(numtorch) == run(torch)


def test_inplace_unary_and_clamp():
    for name in ['abs_', 'exp_', 'log_', 'sqrt_', 'sigmoid_', 'tanh_', 'relu_', 'floor_', 'ceil_',
                 'round_', 'sign_', 'trunc_', 'frac_', 'neg_', 'reciprocal_', 'sin_', 'cos_',
                 'square_', 'log1p_', 'expm1_', 'rsqrt_', 'erf_']:
        vals = [0.5, 1.5, 2.25]
        n, t = numtorch.tensor(vals), torch.tensor(vals)
        rn, rt = getattr(n, name)(), getattr(t, name)()
        assert rn is n, name
        np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    n, t = numtorch.tensor([-2., 0.5, 3.]), torch.tensor([-2., 0.5, 3.])
    n.clamp_(0, 1), t.clamp_(0, 1)
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    n.clamp_(min=numtorch.tensor([0.7, 0., 0.])), t.clamp_(min=torch.tensor([0.7, 0., 0.]))
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert numtorch.abs_ is not None and numtorch.sigmoid_ is not None


def test_inplace_on_graph_and_errors():
    # in-place on a non-leaf records the op's node; gradients match torch
    res = []
    for m in (numtorch, torch):
        x = m.tensor([-1.5, 0.2, 0.8], requires_grad=True)
        y = x * 2
        y.clamp_(-1, 1).sigmoid_()
        res.append((y.grad_fn.name(), y.detach().numpy().copy()))
        y.sum().backward()
        res[-1] += (x.grad.numpy().copy(),)
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-6)
    with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
        numtorch.ones(2, requires_grad=True).exp_()
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        numtorch.tensor([1, 2]).sqrt_()


@pytest.mark.parametrize('a,b', [((2, 3), (4,)), ((4,), (2, 3)), ((5, 2, 3), (4, 1, 3)),
                                 ((2, 3), (4, 5)), ((2, 1), (3, 4, 5))])
def test_broadcast_error_message(a, b):
    with pytest.raises(RuntimeError) as t:
        torch.zeros(a) + torch.zeros(b)
    for fn in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x < y, numtorch.maximum,
               numtorch.atan2, lambda x, y: numtorch.where(x > 0, x, y), lambda x, y: x.clamp(y),
               lambda x, y: numtorch.lerp(x, y, 0.5), numtorch.logical_and):
        with pytest.raises(RuntimeError) as n:
            fn(numtorch.zeros(a), numtorch.zeros(b))
        assert str(n.value) == str(t.value)


def test_other_errors():
    x = numtorch.tensor([1., 2.])
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()
    with pytest.raises(NotImplementedError, match='bitwise_and_cpu'):
        x & x
    with pytest.raises(NotImplementedError, match='not implemented for \'Bool\''):
        numtorch.tensor([True]).abs()
    with pytest.raises(RuntimeError, match='where expected condition to be a boolean tensor'):
        numtorch.where(x, x, x)
    with pytest.raises(TypeError, match='must be Tensor'):
        numtorch.maximum(x, 2)
    with pytest.raises(RuntimeError, match='derivative for aten::floor_divide is not implemented'):
        numtorch.floor_divide(x.requires_grad_(), 2).sum().backward()


def test_where_single_argument_and_scalars():
    c = numtorch.tensor([[True, False], [False, True]])
    rows, cols = numtorch.where(c)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    out = numtorch.where(c, 1., 0)
    assert out.dtype == numtorch.float32 and out.tolist() == [[1., 0.], [0., 1.]]
    assert numtorch.where(c, 1, 0).dtype == numtorch.int64


def test_sigmoid_and_erfinv_extremes():
    x = [-1000., -100., -20., 0., 20., 100., 1000.]
    np.testing.assert_allclose(numtorch.tensor(x, dtype=numtorch.float64).sigmoid().numpy(),
                               torch.tensor(x, dtype=torch.float64).sigmoid().numpy(), rtol=1e-12)
    y = [-1., -0.999999, -0.5, 0., 1e-10, 0.9, 0.999999, 1., 1.5]
    np.testing.assert_allclose(numtorch.tensor(y, dtype=numtorch.float64).erfinv().numpy(),
                               torch.tensor(y, dtype=torch.float64).erfinv().numpy(), rtol=1e-12)
    assert math.isnan(numtorch.tensor(1.5).erfinv().item())


def test_allclose_equal():
    a = numtorch.tensor([1., 2.])
    assert numtorch.allclose(a, a + 1e-9) and not numtorch.allclose(a, a + 1)
    assert numtorch.equal(a, numtorch.tensor([1., 2.])) and not numtorch.equal(a, a[:1])
    assert a.allclose(a) is True and a.equal(a) is True
    assert (a == None) is False and (a != None) is True  # noqa: E711


def test_comparisons_do_not_require_grad():
    x = numtorch.tensor([1., 2.], requires_grad=True)
    for r in (x > 1, x == x, x.isnan(), numtorch.logical_not(x)):
        assert not r.requires_grad and r.grad_fn is None and r.dtype == numtorch.bool
