"""scaled_dot_product_attention and MultiheadAttention against torch: forward values, gradients of
every input and parameter, masks of every kind, errors, dropout; float64 finite differences."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)


def _t(m, a, grad=False):
    return m.tensor(a, requires_grad=grad)


def _close(n, t, tol):
    assert tuple(n.shape) == tuple(t.shape)
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), equal_nan=True, **tol)


TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _mask(kind, shape):
    if kind is None:
        return None
    if kind == 'bool':
        m = RNG.random(shape) > 0.3
        m[..., 0] = True    # keep one key per row (fully masked rows have their own test)
        return m
    return RNG.standard_normal(shape).astype(np.float32)


SDPA_CASES = [
    # (q, k, v shapes, mask kind, mask shape, kwargs)
    (((2, 3, 4),) * 3, None, None, {}),
    (((2, 2, 3, 4),) * 3, None, None, {'is_causal': True}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)), None, None, {'is_causal': True}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)), 'bool', (3, 5), {}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)), 'bool', (2, 1, 3, 5), {'scale': 0.7}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)), 'float', (2, 1, 3, 5), {}),
    (((1, 3, 4), (1, 5, 4), (1, 5, 4)), 'float', (5,), {}),
    (((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)), None, None, {'enable_gqa': True}),
    (((2, 4, 3, 4), (2, 1, 5, 4), (2, 1, 5, 4)), 'bool', (3, 5), {'enable_gqa': True}),
    (((2, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)), None, None, {}),
    (((3, 4), (5, 4), (5, 6)), None, None, {}),
    (((2, 1, 2, 3, 4),) * 3, 'float', (3, 3), {'is_causal': False, 'scale': 2.0}),
]


@pytest.mark.parametrize('dt', [np.float32, np.float64])
@pytest.mark.parametrize('shapes,mkind,mshape,kw', SDPA_CASES)
def test_sdpa_matches_torch(shapes, mkind, mshape, kw, dt):
    arrs = [RNG.standard_normal(s).astype(dt) for s in shapes]
    mask = _mask(mkind, mshape)
    outs, ins = [], []
    for m in (numtorch, torch):
        xs = [_t(m, a, True) for a in arrs]
        mk = None if mask is None else _t(m, mask, mkind == 'float')
        o = m.nn.functional.scaled_dot_product_attention(*xs, attn_mask=mk, **kw)
        o.backward(_t(m, np.cos(np.arange(o.numel())).reshape(tuple(o.shape)).astype(dt)))
        outs.append(o)
        ins.append(xs + ([mk] if mkind == 'float' else []))
    _close(outs[0], outs[1], TOL[dt])
    assert outs[0].grad_fn.name() == outs[1].grad_fn.name()
    assert len(ins[0]) == len(ins[1])
    for n, t in zip(*ins):
        _close(n.grad, t.grad, TOL[dt])


def test_sdpa_fully_masked_row_is_zero_with_zero_grad():
    mask = np.array([[True, True, False], [False, False, False], [True, False, True]])
    a = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    res = []
    for m in (numtorch, torch):
        q = _t(m, a, True)
        o = m.nn.functional.scaled_dot_product_attention(q, q * 2, q * 3, attn_mask=_t(m, mask))
        o.sum().backward()
        res.append((o, q.grad))
    assert not np.isnan(res[0][0].detach().numpy()).any()
    assert not res[0][0].detach().numpy()[:, :, 1].any()
    _close(res[0][0], res[1][0], TOL[np.float32])
    _close(res[0][1], res[1][1], TOL[np.float32])


@pytest.mark.parametrize('kw', [{}, {'is_causal': True}, {'mask': True}, {'enable_gqa': True}])
def test_sdpa_gradcheck_float64(kw):
    q = numtorch.randn(1, 2, 3, 4, dtype=numtorch.float64, requires_grad=True)
    hk = 1 if kw.get('enable_gqa') else 2
    k = numtorch.randn(1, hk, 3, 4, dtype=numtorch.float64, requires_grad=True)
    v = numtorch.randn(1, hk, 3, 5, dtype=numtorch.float64, requires_grad=True)
    ins = [q, k, v]
    if kw.pop('mask', False):
        ins.append(numtorch.randn(3, 3, dtype=numtorch.float64, requires_grad=True))

    def f(q, k, v, mask=None):
        return numtorch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)
    assert numtorch.autograd.gradcheck(f, ins, atol=1e-6, rtol=1e-5)


def test_sdpa_dropout_statistics_and_gradient():
    numtorch.manual_seed(0)
    F = numtorch.nn.functional
    q = numtorch.zeros(2, 2, 64, 8)     # uniform attention: each weight is 1/64
    v = numtorch.ones(2, 2, 64, 8, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, v, dropout_p=0.25)
    # each output = (kept weights) / 0.75 summed: mean 1, and not every entry is exactly 1
    o = out.detach().numpy()
    assert abs(o.mean() - 1) < 0.02 and o.std() > 0.05
    assert out.grad_fn.name() == 'UnsafeViewBackward0'
    out.sum().backward()
    # d out / d v sums the dropped-out weights: mean over keys = 64 queries * 1/64 -> 1
    assert abs(v.grad.numpy().mean() - 1) < 0.02
    o1 = F.scaled_dot_product_attention(q, q, v, dropout_p=1.0)
    assert not o1.detach().numpy().any()
    o0 = F.scaled_dot_product_attention(q, q, v, dropout_p=0.0)
    np.testing.assert_allclose(o0.detach().numpy(), 1, rtol=1e-6)


R = np.random.default_rng(1).standard_normal
ERRORS = {
    'ndim': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(4), m.ones(4), m.ones(4)),
    'dtype': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(2, 3, 4), m.ones(2, 3, 4, dtype=m.float64), m.ones(2, 3, 4)),
    'int': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 3, 4, dtype=m.int64)] * 3),
    'causal+mask': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 3, 4)] * 3, attn_mask=m.ones(3, 3, dtype=m.bool), is_causal=True),
    'mask dtype': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 3, 4)] * 3, attn_mask=m.ones(3, 3, dtype=m.int64)),
    'mask float64': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 2, 3, 4)] * 3, attn_mask=m.ones(3, 3, dtype=m.float64)),
    'mask shape': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 2, 3, 4)] * 3, attn_mask=m.ones(2, 2)),
    'head dim': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(2, 2, 3, 4), m.ones(2, 2, 3, 5), m.ones(2, 2, 3, 4)),
    'kv length': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(2, 3, 4), m.ones(2, 5, 4), m.ones(2, 6, 4)),
    'batch': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(2, 3, 4), m.ones(3, 5, 4), m.ones(3, 5, 4)),
    'heads without gqa': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 4, 3, 4), m.ones(1, 2, 3, 4), m.ones(1, 2, 3, 4)),
    'gqa heads': lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 4, 3, 4), m.ones(1, 3, 3, 4), m.ones(1, 3, 3, 4), enable_gqa=True),
    'dropout': lambda m: m.nn.functional.scaled_dot_product_attention(
        *[m.ones(2, 3, 4)] * 3, dropout_p=1.5),
}


@pytest.mark.parametrize('name', list(ERRORS))
def test_sdpa_errors_match_torch(name):
    same_error(ERRORS[name])


# ----------------------------------------------------------------------------- MultiheadAttention
def _pair(ctor, *args, **kwargs):
    """The same module in torch and numtorch, numtorch loaded from torch's state_dict."""
    t = getattr(torch.nn, ctor)(*args, **kwargs)
    n = getattr(numtorch.nn, ctor)(*args, **kwargs)
    n.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return n, t


def _compare_params(n, t, tol):
    tp, np_ = dict(t.named_parameters()), dict(n.named_parameters())
    assert list(tp) == list(np_)
    for k in tp:
        assert (np_[k].grad is None) == (tp[k].grad is None), k
        if tp[k].grad is not None:
            _close(np_[k].grad, tp[k].grad, tol)


MHA_CASES = [
    # (ctor kwargs, (L, S, N), forward kwargs (masks given as kinds))
    (dict(), (3, 3, 2), dict()),
    (dict(batch_first=True), (3, 3, 2), dict(average_attn_weights=False)),
    (dict(bias=False), (4, 5, 2), dict(kind='cross')),
    (dict(add_bias_kv=True), (3, 4, 2), dict(kind='cross', kpm='bool')),
    (dict(add_zero_attn=True), (3, 4, 2), dict(kind='cross', attn_mask='bool2', kpm='bool')),
    (dict(add_bias_kv=True, add_zero_attn=True), (3, 3, 2), dict(attn_mask='float2')),
    (dict(kdim=5, vdim=3), (3, 4, 2), dict(kind='kv', kpm='float')),
    (dict(kdim=5, vdim=3, batch_first=True), (3, 4, 2), dict(kind='kv', need_weights=False)),
    (dict(), (3, 3, 2), dict(attn_mask='bool3', need_weights=False)),
    (dict(batch_first=True), (4, 4, 2), dict(attn_mask='causal', is_causal=True,
                                           need_weights=False)),
    (dict(), (4, 4, 2), dict(attn_mask='causal', is_causal=True, kpm='bool')),
    (dict(), (3, 5, 2), dict(kind='kv', attn_mask='float3', kpm='bool', need_weights=False)),
    (dict(), (3, 3, None), dict(kpm='bool')),                      # unbatched
    (dict(), (3, 4, None), dict(kind='kv', attn_mask='bool3u', need_weights=False)),
]


def _mha_inputs(E, H, L, S, N, kdim, vdim, fkw, batch_first):
    kind = fkw.pop('kind', 'self')
    shp = (lambda n, d: (n, d)) if N is None else \
        ((lambda n, d: (N, n, d)) if batch_first else (lambda n, d: (n, N, d)))
    q = RNG.standard_normal(shp(L, E)).astype(np.float32)
    k = RNG.standard_normal(shp(S, kdim)).astype(np.float32)
    v = RNG.standard_normal(shp(S, vdim)).astype(np.float32) if kind == 'kv' else k
    masks = {}
    am = fkw.pop('attn_mask', None)
    nb = 1 if N is None else N
    if am == 'bool2':
        masks['attn_mask'] = _mask('bool', (L, S)) == 0     # True = masked out here
    elif am == 'bool3':
        masks['attn_mask'] = _mask('bool', (nb * H, L, S)) == 0
    elif am == 'bool3u':
        masks['attn_mask'] = _mask('bool', (H, L, S)) == 0
    elif am == 'float2':
        masks['attn_mask'] = _mask('float', (L, S))
    elif am == 'float3':
        masks['attn_mask'] = _mask('float', (nb * H, L, S))
    elif am == 'causal':
        masks['attn_mask'] = np.triu(np.full((L, S), -np.inf, np.float32), 1)
    kpm = fkw.pop('kpm', None)
    if kpm:
        pad = np.zeros((nb, S), bool)
        pad[:, S - 1] = True
        pad = pad[0] if N is None else pad
        masks['key_padding_mask'] = pad if kpm == 'bool' else np.where(pad, -1e9, 0.).astype(
            np.float32)
    return kind, q, k, v, masks


@pytest.mark.parametrize('ckw,dims,fkw', MHA_CASES)
def test_multihead_attention_matches_torch(ckw, dims, fkw):
    E, H = 8, 2
    L, S, N = dims
    fkw = dict(fkw)
    kind, q, k, v, masks = _mha_inputs(E, H, L, S, N, ckw.get('kdim', E), ckw.get('vdim', E),
                                       fkw, ckw.get('batch_first', False))
    n, t = _pair('MultiheadAttention', E, H, **ckw)
    res = []
    for m, mod in ((numtorch, n), (torch, t)):
        qt = _t(m, q, True)
        kt = qt if kind == 'self' else _t(m, k, True)
        vt = kt if kind != 'kv' else _t(m, v, True)
        mk = {key: _t(m, a) for key, a in masks.items()}
        out, w = mod(qt, kt, vt, **mk, **fkw)
        loss = (out * out).sum() + (0 if w is None else (w * w).sum())
        loss.backward()
        res.append((out, w, [x for x in (qt, kt, vt) if x.grad is not None]))
    tol = dict(rtol=1e-4, atol=1e-5)
    _close(res[0][0], res[1][0], tol)
    assert (res[0][1] is None) == (res[1][1] is None)
    if res[1][1] is not None:
        _close(res[0][1], res[1][1], tol)
    assert len(res[0][2]) == len(res[1][2])
    for a, b in zip(res[0][2], res[1][2]):
        _close(a.grad, b.grad, tol)
    _compare_params(n, t, tol)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_multihead_attention_fully_masked_query_gives_nan_weights_as_torch():
    n, t = _pair('MultiheadAttention', 4, 2)
    x = RNG.standard_normal((2, 1, 4)).astype(np.float32)
    mask = np.array([[True, True], [False, True]])
    outs = [mod(_t(m, x), _t(m, x), _t(m, x), attn_mask=_t(m, mask))
            for m, mod in ((numtorch, n), (torch, t))]
    _close(outs[0][0], outs[1][0], TOL[np.float32])
    _close(outs[0][1], outs[1][1], TOL[np.float32])
    assert np.isnan(outs[0][1].detach().numpy()[0, 0]).all()


def test_multihead_attention_parameters_init_and_repr():
    numtorch.manual_seed(0)
    for kw in (dict(), dict(kdim=3, vdim=5, add_bias_kv=True, bias=False)):
        n, t = getattr(numtorch.nn, 'MultiheadAttention')(6, 3, **kw), \
            torch.nn.MultiheadAttention(6, 3, **kw)
        assert repr(n) == repr(t)
        ns, ts = n.state_dict(), t.state_dict()
        assert list(ns) == list(ts)
        for key in ts:
            assert tuple(ns[key].shape) == tuple(ts[key].shape), key
    m = numtorch.nn.MultiheadAttention(64, 4)
    bound = (6 / (64 + 3 * 64)) ** 0.5            # Xavier-uniform over the packed (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    from numtorch.nn.modules.linear import NonDynamicallyQuantizableLinear
    from numtorch.nn.modules.activation import MultiheadAttention
    assert MultiheadAttention is numtorch.nn.MultiheadAttention
    assert type(m.out_proj) is NonDynamicallyQuantizableLinear
    assert isinstance(m.out_proj, numtorch.nn.Linear)


def test_multihead_attention_dropout_train_and_eval():
    numtorch.manual_seed(0)
    m = numtorch.nn.MultiheadAttention(8, 2, dropout=0.5)
    x = numtorch.randn(6, 3, 8)
    m.eval()
    a, wa = m(x, x, x)
    b, wb = m(x, x, x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(wa.detach().numpy().sum(-1), 1, rtol=1e-5)
    m.train()
    c, wc = m(x, x, x, average_attn_weights=False)
    wc = wc.detach().numpy()
    assert not np.allclose(c.detach().numpy(), a.detach().numpy())
    frac_zero = (wc == 0).mean()
    assert 0.35 < frac_zero < 0.65
    # the kept weights are scaled by 1/(1-p)
    _, w_eval = (m.eval(), m(x, x, x, average_attn_weights=False))[1]
    kept = wc != 0
    np.testing.assert_allclose(wc[kept], 2 * w_eval.detach().numpy()[kept], rtol=1e-5)


MHA_ERRORS = {
    'is_causal without mask': lambda m: m.nn.MultiheadAttention(4, 2)(
        *[m.ones(3, 1, 4)] * 3, is_causal=True),
    'int kpm': lambda m: m.nn.MultiheadAttention(4, 2)(
        *[m.ones(3, 1, 4)] * 3, key_padding_mask=m.zeros(1, 3, dtype=m.int64)),
    '4-D query': lambda m: m.nn.MultiheadAttention(4, 2)(*[m.ones(3, 1, 1, 4)] * 3),
    'embed mismatch': lambda m: m.nn.MultiheadAttention(4, 2)(*[m.ones(3, 1, 6)] * 3),
    'kpm batch': lambda m: m.nn.MultiheadAttention(4, 2)(
        *[m.ones(3, 2, 4)] * 3, key_padding_mask=m.zeros(3, 3, dtype=m.bool)),
    'mask dim': lambda m: m.nn.MultiheadAttention(4, 2)(
        *[m.ones(3, 2, 4)] * 3, attn_mask=m.zeros(1, 1, 3, 3, dtype=m.bool)),
    'divisible': lambda m: m.nn.MultiheadAttention(5, 2),
    'nonpositive': lambda m: m.nn.MultiheadAttention(0, 2),
}


@pytest.mark.parametrize('name', list(MHA_ERRORS))
def test_multihead_attention_errors_match_torch(name):
    same_error(MHA_ERRORS[name])


def test_sdpa_scale_and_gqa_are_keyword_only():
    q = numtorch.ones(1, 2, 3)
    with pytest.raises(TypeError):
        numtorch.nn.functional.scaled_dot_product_attention(q, q, q, None, 0.0, False, 0.5)
    out = numtorch.nn.functional.scaled_dot_product_attention(query=q, key=q, value=q, scale=0.5)
    assert tuple(out.shape) == (1, 2, 3)


def test_sdpa_kernel_context_is_accepted():
    from numtorch.nn.attention import SDPBackend, sdpa_kernel
    assert [(m.name, m.value) for m in SDPBackend] == \
        [(m.name, m.value) for m in torch.nn.attention.SDPBackend.__members__.values()]
    q = numtorch.ones(1, 2, 3)
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        assert tuple(numtorch.nn.functional.scaled_dot_product_attention(q, q, q).shape) == \
            (1, 2, 3)
    same_error(lambda m: m.nn.attention.sdpa_kernel('math').__enter__())
