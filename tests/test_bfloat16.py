"""bfloat16 and the float8 dtypes (through the optional ml_dtypes) against torch 2.13.

Names, attributes, promotion, creation, conversion, printing, arithmetic, autograd, random
numbers, and checkpoints both ways (torch's zip format and safetensors). Without ml_dtypes:
tests/test_bfloat16_missing.py.
"""
import io

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

EXT = ('bfloat16', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz',
       'float8_e8m0fnu')
BASE = ('bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64',
        'complex64', 'complex128')
VALUES = [1.5, -2.3, 1e-3, 300.0, 0.0, -0.0, 65504.0, 3e38, float('inf'), float('nan')]


def _both(name):
    return getattr(torch, name), getattr(numtorch, name)


ml_dtypes = pytest.importorskip('ml_dtypes',
                                reason='bfloat16 needs ml_dtypes: pip install numtorch[bfloat16]')


@pytest.mark.parametrize('name', EXT)
def test_dtype_attributes(name):
    t, n = _both(name)
    assert repr(n) == repr(t) and str(n) == str(t)
    assert (n.is_floating_point, n.is_complex, n.is_signed, n.itemsize) == \
        (t.is_floating_point, t.is_complex, t.is_signed, t.itemsize)


def test_finfo():
    assert repr(numtorch.finfo(numtorch.bfloat16)) == repr(torch.finfo(torch.bfloat16))


@pytest.mark.parametrize('other', BASE + EXT)
def test_promotion_with_bfloat16(other):
    tb, nb = _both('bfloat16')
    to, no = _both(other)
    if other.startswith('float8'):
        same_error(lambda m: m.promote_types(m.bfloat16, getattr(m, other)))
        return
    assert repr(numtorch.promote_types(nb, no)) == repr(torch.promote_types(tb, to))
    assert repr(numtorch.promote_types(no, nb)) == repr(torch.promote_types(to, tb))


@pytest.mark.parametrize('other', ('float32', 'int64', 'float16'))
def test_float8_refuses_to_promote(other):
    same_error(lambda m: m.promote_types(m.float8_e4m3fn, getattr(m, other)))
    same_error(lambda m: m.ones(2, dtype=m.float8_e5m2) + m.ones(2, dtype=getattr(m, other)))


@pytest.mark.parametrize('name', EXT)
def test_creation_conversion_and_printing(name):
    vals = VALUES if name != 'float8_e8m0fnu' else [1.0, 4.0, 0.5, 2.0 ** 20]
    t = torch.tensor(vals).to(getattr(torch, name))
    n = numtorch.tensor(vals).to(getattr(numtorch, name))
    assert n.dtype is getattr(numtorch, name)
    # the same rounding: bit-identical float32 values
    np.testing.assert_array_equal(n.float().numpy(), t.float().numpy())
    assert repr(n) == repr(t)
    assert repr(numtorch.tensor(vals[0], dtype=n.dtype)) == repr(torch.tensor(vals[0], dtype=t.dtype))
    assert repr(numtorch.zeros(0, 2, dtype=n.dtype)) == repr(torch.zeros(0, 2, dtype=t.dtype))
    assert n.type() == t.type()


def test_bfloat16_methods_and_factories():
    assert numtorch.ones(2).bfloat16().dtype is numtorch.bfloat16
    assert numtorch.ones(2, dtype=numtorch.bfloat16).float().dtype is numtorch.float32
    for fn in (lambda m: m.full((2,), 1.3, dtype=m.bfloat16), lambda m: m.arange(3, dtype=m.bfloat16),
               lambda m: m.linspace(0, 1, 5, dtype=m.bfloat16), lambda m: m.eye(2, dtype=m.bfloat16)):
        assert repr(fn(numtorch)) == repr(fn(torch))
    a = np.array([1.5, 2.3], ml_dtypes.bfloat16)
    assert numtorch.from_numpy(a).dtype is numtorch.bfloat16
    assert numtorch.tensor([1.0], dtype=numtorch.bfloat16).numpy().dtype == a.dtype
    r = numtorch.rand(1000, dtype=numtorch.bfloat16)
    assert r.dtype is numtorch.bfloat16 and 0 <= float(r.float().min()) and float(r.float().max()) < 1
    assert numtorch.randn(3, dtype=numtorch.bfloat16).dtype is numtorch.bfloat16
    m = numtorch.nn.Linear(3, 2).bfloat16()
    assert m.weight.dtype is numtorch.bfloat16 and m.bias.dtype is numtorch.bfloat16


def _pair(data, requires_grad=False):
    t = torch.tensor(data, dtype=torch.bfloat16, requires_grad=requires_grad)
    n = numtorch.tensor(data, dtype=numtorch.bfloat16, requires_grad=requires_grad)
    return t, n


def _same(n, t, exact=True):
    assert repr(n.dtype) == repr(t.dtype)
    a, b = n.detach().float().numpy(), t.detach().float().numpy()
    if exact:
        np.testing.assert_array_equal(a, b)
    else:   # a few bfloat16 ulps (7 mantissa bits: 2**-7 relative per rounding)
        np.testing.assert_allclose(a, b, rtol=3 * 2.0 ** -7, atol=1e-6)


@pytest.mark.parametrize('op', ['add', 'sub', 'mul', 'div', 'neg', 'abs', 'scalar', 'compare',
                                'promote', 'sum', 'mean', 'relu'])
def test_elementwise_is_torchs(op):
    # Each is one rounding of the float32 result, as torch's CPU kernels do: bit-identical.
    x = [[1.5, -2.3, 0.1], [300.0, 1e-3, -7.7]]
    y = [[0.3, 2.0, -1.1], [3.0, 7.0, 0.25]]
    (tx, nx), (ty, ny) = _pair(x), _pair(y)
    fn = {'add': lambda a, b: a + b, 'sub': lambda a, b: a - b, 'mul': lambda a, b: a * b,
          'div': lambda a, b: a / b, 'neg': lambda a, b: -a, 'abs': lambda a, b: a.abs(),
          'scalar': lambda a, b: a * 2.5 + 1, 'compare': lambda a, b: a > b,
          'promote': lambda a, b: a * b.float(), 'sum': lambda a, b: a.sum(1),
          'mean': lambda a, b: a.mean(0), 'relu': lambda a, b: a.relu()}[op]
    _same(fn(nx, ny), fn(tx, ty), exact=op not in ('sum', 'mean'))


@pytest.mark.parametrize('op', ['exp', 'log', 'sigmoid', 'tanh', 'sqrt'])
def test_unary_math_is_close_to_torchs(op):
    # ml_dtypes rounds each NumPy step to bfloat16; torch rounds once: a few ulps apart at most.
    tx, nx = _pair([[0.5, 1.5, 2.3], [3.0, 0.01, 7.7]])
    _same(getattr(nx, op)(), getattr(tx, op)(), exact=False)


def test_matmul_and_linear_accumulate_in_float32():
    rng = np.random.default_rng(0)
    a, w, b = rng.standard_normal((4, 16)), rng.standard_normal((3, 16)), rng.standard_normal(3)
    (ta, na), (tw, nw), (tb, nb) = _pair(a, True), _pair(w, True), _pair(b, True)
    _same(na @ nw.T, ta @ tw.T, exact=False)
    tout = torch.nn.functional.linear(ta, tw, tb)
    nout = numtorch.nn.functional.linear(na, nw, nb)
    _same(nout, tout, exact=False)
    g = rng.standard_normal((4, 3))
    tout.backward(torch.tensor(g, dtype=torch.bfloat16))
    nout.backward(numtorch.tensor(g, dtype=numtorch.bfloat16))
    for n, t in ((na, ta), (nw, tw), (nb, tb)):
        _same(n.grad, t.grad, exact=False)


def test_autograd_keeps_bfloat16():
    (tx, nx) = _pair([1.0, 2.3, -0.7], requires_grad=True)
    (tx * tx * 3).sum().backward()
    (nx * nx * 3).sum().backward()
    _same(nx.grad, tx.grad)
    tx2, nx2 = _pair([1.0, 2.0], requires_grad=True)
    tx2.float().sum().backward()
    nx2.float().sum().backward()
    _same(nx2.grad, tx2.grad)


# ----------------------------------------------------------------------- checkpoints
def _tensors(m):
    base = m.arange(12.0).reshape(3, 4)
    out = {'w': m.tensor(VALUES).to(m.bfloat16), 'view': base.to(m.bfloat16)[:, 1:3],
           'mixed': m.ones(2, dtype=m.float16), 'dt': m.bfloat16}
    for name in EXT[1:]:
        out[name] = m.tensor([1.0, 4.0, 0.5]).to(getattr(m, name))
    return out


def _assert_same_tensors(n, t):
    assert list(n) == list(t)
    for k in n:
        if k == 'dt':
            assert repr(n[k]) == repr(t[k])
            continue
        assert repr(n[k].dtype) == repr(t[k].dtype), k
        assert tuple(n[k].shape) == tuple(t[k].shape), k
        np.testing.assert_array_equal(n[k].float().numpy(), t[k].float().numpy())


@pytest.mark.parametrize('mmap', [False, True])
def test_torch_checkpoint_loads_as_bfloat16(tmp_path, mmap):
    path = str(tmp_path / 'ck.pt')
    torch.save(_tensors(torch), path)
    _assert_same_tensors(numtorch.load(path, mmap=mmap), torch.load(path, weights_only=True))


def test_numtorch_checkpoint_loads_in_torch(tmp_path):
    path = str(tmp_path / 'ck.pt')
    numtorch.save(_tensors(numtorch), path)
    _assert_same_tensors(numtorch.load(path), torch.load(path, weights_only=True))
    sd = numtorch.nn.Linear(3, 2).bfloat16().state_dict()
    numtorch.save(sd, path)
    back = torch.load(path, weights_only=True)
    for k in sd:
        assert back[k].dtype == torch.bfloat16
        np.testing.assert_array_equal(back[k].float().numpy(), sd[k].float().numpy())


def test_safetensors_bfloat16_both_ways(tmp_path):
    st = pytest.importorskip('safetensors.torch')
    path = str(tmp_path / 'a.safetensors')
    tensors = {'b': torch.tensor(VALUES[:6]).bfloat16(), 'e4': torch.tensor([1.5, 2.0]).to(
        torch.float8_e4m3fn), 'e5': torch.tensor([1.5, 2.0]).to(torch.float8_e5m2)}
    st.save_file(tensors, path)
    ours = numtorch.serialization.load_file(path)
    for k, v in tensors.items():
        assert repr(ours[k].dtype) == repr(v.dtype)
        np.testing.assert_array_equal(ours[k].float().numpy(), v.float().numpy())
    numtorch.serialization.save_file(ours, path)
    theirs = st.load_file(path)
    for k, v in tensors.items():
        assert theirs[k].dtype == v.dtype and torch.equal(theirs[k].float(), v.float())


@pytest.mark.parametrize('fn', ['softmax', 'log_softmax', 'cross_entropy'])
def test_softmax_family_computes_in_float32(fn):
    data = [[1.0, 2.3, -0.5], [0.1, 0.2, 3.0]]
    outs = []
    for m in (torch, numtorch):
        x = m.tensor(data, dtype=m.bfloat16, requires_grad=True)
        F = m.nn.functional
        y = F.cross_entropy(x, m.tensor([1, 2])) if fn == 'cross_entropy' else getattr(F, fn)(x, 1)
        # a non-constant upstream gradient (a constant one gives softmax a zero gradient)
        (y * m.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=m.bfloat16)).sum().backward()
        outs.append((y, x.grad))
    (ty, tg), (ny, ng) = outs
    _same(ny, ty, exact=False)
    _same(ng, tg, exact=False)
