"""nn.Transformer and its encoder/decoder stacks and layers against torch: state_dict keys and
reprs, outputs and gradients of every parameter and input (dropout 0) over option and mask
combinations, the eval-mode padding behaviour, dropout, errors."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)
TOL = dict(rtol=1e-4, atol=2e-5)
E, H, FF = 8, 2, 16


def _close(n, t, tol=TOL):
    assert tuple(n.shape) == tuple(t.shape)
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), **tol)


def _build(m, ctor, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # enable_nested_tensor's warning, on both sides
        return ctor(m)(*args, **kwargs)


def _pair(ctor, *args, **kwargs):
    t = _build(torch, ctor, *args, **kwargs)
    n = _build(numtorch, ctor, *args, **kwargs)
    sd = t.state_dict()
    assert list(n.state_dict()) == list(sd)
    n.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in sd.items()})
    assert repr(n) == repr(t)
    return n, t


def _run_both(n, t, arrays, masks, fkw, train=False):
    res = []
    for m, mod in ((numtorch, n), (torch, t)):
        mod.train(train)
        xs = [m.tensor(a, requires_grad=True) for a in arrays]
        mk = {k: m.tensor(a) for k, a in masks.items()}
        out = mod(*xs, **mk, **fkw)
        (out * m.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32)).reshape(
            tuple(out.shape))).sum().backward()
        res.append((out, xs))
    _close(res[0][0], res[1][0])
    for a, b in zip(res[0][1], res[1][1]):
        _close(a.grad, b.grad)
    tp, np_ = dict(t.named_parameters()), dict(n.named_parameters())
    assert list(tp) == list(np_)
    for k in tp:
        _close(np_[k].grad, tp[k].grad)
    return res[0][0], res[1][0]


def _seq(L, N, batch_first):
    shape = (L, E) if N is None else ((N, L, E) if batch_first else (L, N, E))
    return RNG.standard_normal(shape).astype(np.float32)


def _masks(spec, L, S, N):
    out = {}
    for name, kind in spec.items():
        if kind == 'causal':
            out[name] = np.triu(np.full((L, L), -np.inf, np.float32), 1)
        elif kind == 'causal_bool':
            out[name] = np.triu(np.ones((L, L), bool), 1)
        elif kind == 'pad':            # right padding of the last key of sample 0
            m = np.zeros((N or 1, S), bool)
            m[0, S - 1] = True
            out[name] = m if N else m[0]
        elif kind == 'float':
            out[name] = RNG.standard_normal((L, S)).astype(np.float32)
    return out


ACT = {'relu': 'relu', 'gelu': 'gelu', 'fn': lambda m: m.nn.functional.silu,
       'module': lambda m: m.nn.GELU()}


def _act(m, a):
    return ACT[a](m) if callable(ACT[a]) else ACT[a]


ENC_CASES = [
    (dict(), dict()),
    (dict(norm_first=True, activation='gelu'), dict(src_mask='causal', is_causal=True)),
    (dict(batch_first=True, activation='fn'), dict(src_key_padding_mask='pad')),
    (dict(batch_first=True, activation='module', norm_first=True),
     dict(src_mask='causal_bool', src_key_padding_mask='pad')),
    (dict(bias=False, layer_norm_eps=1e-3), dict(src_mask='float')),
]


@pytest.mark.parametrize('lkw,fkw', ENC_CASES)
@pytest.mark.parametrize('N', [2, None])
def test_encoder_layer_matches_torch(lkw, fkw, N):
    lkw, fkw = dict(lkw), dict(fkw)
    act = lkw.pop('activation', 'relu')
    L = 4
    x = _seq(L, N, lkw.get('batch_first', False))
    masks = _masks({k: fkw.pop(k) for k in list(fkw) if k.startswith('src')}, L, L, N)
    n = _build(numtorch, lambda m: m.nn.TransformerEncoderLayer, E, H, FF, 0.0, _act(numtorch, act),
               **lkw)
    t = _build(torch, lambda m: m.nn.TransformerEncoderLayer, E, H, FF, 0.0, _act(torch, act),
               **lkw)
    n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert repr(n) == repr(t)
    _run_both(n, t, [x], masks, fkw, train=True)


DEC_CASES = [
    (dict(), dict()),
    (dict(norm_first=True, activation='gelu', batch_first=True),
     dict(tgt_mask='causal', tgt_is_causal=True, memory_key_padding_mask='pad')),
    (dict(batch_first=False), dict(tgt_mask='causal_bool', tgt_key_padding_mask='tpad',
                                   memory_mask='float')),
]


@pytest.mark.parametrize('lkw,fkw', DEC_CASES)
def test_decoder_layer_and_stack_match_torch(lkw, fkw):
    lkw, fkw = dict(lkw), dict(fkw)
    act = lkw.pop('activation', 'relu')
    T, S, N = 3, 5, 2
    bf = lkw.get('batch_first', False)
    tgt, mem = _seq(T, N, bf), _seq(S, N, bf)
    masks = {}
    for k in [k for k in fkw if k.endswith('mask')]:
        kind = fkw.pop(k)
        if kind == 'tpad':
            masks.update({k: v for k, v in _masks({k: 'pad'}, T, T, N).items()})
        elif k.startswith('tgt'):
            masks.update(_masks({k: kind}, T, T, N))
        else:
            masks.update(_masks({k: kind}, T, S, N))
    layer_n = _build(numtorch, lambda m: m.nn.TransformerDecoderLayer, E, H, FF, 0.0,
                     _act(numtorch, act), **lkw)
    layer_t = _build(torch, lambda m: m.nn.TransformerDecoderLayer, E, H, FF, 0.0,
                     _act(torch, act), **lkw)
    layer_n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in layer_t.state_dict().items()})
    _run_both(layer_n, layer_t, [tgt, mem], masks, fkw, train=True)
    t = torch.nn.TransformerDecoder(layer_t, 2, norm=torch.nn.LayerNorm(E))
    n = numtorch.nn.TransformerDecoder(layer_n, 2, norm=numtorch.nn.LayerNorm(E))
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert repr(n) == repr(t)
    _run_both(n, t, [tgt, mem], masks, fkw, train=True)


@pytest.mark.parametrize('kw', [dict(), dict(batch_first=True, norm_first=True,
                                             activation='gelu')])
def test_transformer_matches_torch(kw):
    n, t = _pair(lambda m: m.nn.Transformer, d_model=E, nhead=H, num_encoder_layers=2,
                 num_decoder_layers=1, dim_feedforward=FF, dropout=0.0, **kw)
    bf = kw.get('batch_first', False)
    S, T, N = 5, 4, 2
    masks = {'tgt_mask': np.triu(np.full((T, T), -np.inf, np.float32), 1),
             'src_key_padding_mask': _masks({'m': 'pad'}, S, S, N)['m'],
             'memory_key_padding_mask': _masks({'m': 'pad'}, S, S, N)['m']}
    _run_both(n, t, [_seq(S, N, bf), _seq(T, N, bf)], masks, {}, train=True)


def test_transformer_init_is_xavier_and_clones_are_copies():
    numtorch.manual_seed(0)
    m = numtorch.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                                dim_feedforward=32)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    bound = (6 / (16 + 32)) ** 0.5
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    a = m.encoder.layers[0].linear1.weight
    b = m.encoder.layers[1].linear1.weight
    assert a is not b
    layer = numtorch.nn.TransformerEncoderLayer(16, 2, 32)
    enc = numtorch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(),
                                  enc.layers[1].linear1.weight.detach().numpy())
    assert enc.layers[0].linear1.weight is not layer.linear1.weight


def test_generate_square_subsequent_mask_and_signatures():
    import inspect
    for sz in (1, 4):
        np.testing.assert_array_equal(
            numtorch.nn.Transformer.generate_square_subsequent_mask(sz).numpy(),
            torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())
    assert numtorch.nn.Transformer.generate_square_subsequent_mask(
        3, dtype=numtorch.float64).dtype == numtorch.float64
    for name in ('Transformer', 'TransformerEncoder', 'TransformerEncoderLayer',
                 'TransformerDecoder', 'TransformerDecoderLayer', 'MultiheadAttention'):
        for meth in ('__init__', 'forward'):
            pn = list(inspect.signature(getattr(getattr(numtorch.nn, name), meth)).parameters)
            pt = list(inspect.signature(getattr(getattr(torch.nn, name), meth)).parameters)
            assert pn == pt, (name, meth)


def test_encoder_eval_padding_outputs_zero_like_torch_nested_path():
    """In eval mode without grad, torch runs a batch_first encoder with a padding mask on nested
    tensors and returns 0 at padded positions; numtorch reproduces the numbers."""
    t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, FF, batch_first=True), 2)
    n = numtorch.nn.TransformerEncoder(numtorch.nn.TransformerEncoderLayer(E, H, FF,
                                                                           batch_first=True), 2)
    n.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = _seq(5, 2, True)
    pad = np.zeros((2, 5), bool)
    pad[0, 3:] = True
    n.eval()
    t.eval()
    with torch.no_grad(), numtorch.no_grad():
        a = n(numtorch.tensor(x), src_key_padding_mask=numtorch.tensor(pad))
        b = t(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
    _close(a, b)
    assert not a.numpy()[0, 3:].any()
    # with grad enabled (training-style call in eval) torch keeps the reference path
    a = n(numtorch.tensor(x), src_key_padding_mask=numtorch.tensor(pad))
    b = t(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
    _close(a, b)
    assert a.detach().numpy()[0, 3:].any()


def test_transformer_dropout_train_vs_eval():
    numtorch.manual_seed(0)
    layer = numtorch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.5)
    x = numtorch.randn(4, 2, E)
    layer.eval()
    a, b = layer(x), layer(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    layer.train()
    c, d = layer(x), layer(x)
    assert not np.allclose(c.detach().numpy(), d.detach().numpy())
    assert not np.allclose(c.detach().numpy(), a.detach().numpy())


def test_encoder_warns_like_torch_when_nested_tensor_unusable():
    for m in (numtorch, torch):
        with pytest.warns(UserWarning, match='enable_nested_tensor is True, but '
                                             'self.use_nested_tensor is False because '
                                             'encoder_layer.norm_first was True'):
            m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(E, H, FF, norm_first=True), 1)


ERRORS = {
    'activation': lambda m: m.nn.TransformerEncoderLayer(E, H, FF, activation='tanh'),
    'batch': lambda m: m.nn.Transformer(E, H, 1, 1, FF)(m.ones(3, 2, E), m.ones(3, 3, E)),
    'features': lambda m: m.nn.Transformer(E, H, 1, 1, FF)(m.ones(3, 2, 4), m.ones(3, 2, 4)),
}


@pytest.mark.parametrize('name', list(ERRORS))
def test_transformer_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        same_error(ERRORS[name])


def test_state_dict_from_numtorch_loads_into_torch():
    numtorch.manual_seed(0)
    n = numtorch.nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                                dim_feedforward=FF, dropout=0.0, batch_first=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t = torch.nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                                 dim_feedforward=FF, dropout=0.0, batch_first=True)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in n.state_dict().items()})
    src, tgt = _seq(5, 2, True), _seq(3, 2, True)
    mask = np.triu(np.full((3, 3), -np.inf, np.float32), 1)
    a = n(numtorch.tensor(src), numtorch.tensor(tgt), tgt_mask=numtorch.tensor(mask))
    b = t(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask))
    _close(a, b)
    m = numtorch.nn.MultiheadAttention(E, H, kdim=3, vdim=5, add_bias_kv=True)
    tm = torch.nn.MultiheadAttention(E, H, kdim=3, vdim=5, add_bias_kv=True)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    q, k, v = (RNG.standard_normal(s).astype(np.float32) for s in ((2, 1, E), (4, 1, 3), (4, 1, 5)))
    oa, wa = m(*(numtorch.tensor(x) for x in (q, k, v)))
    ob, wb = tm(*(torch.tensor(x) for x in (q, k, v)))
    _close(oa, ob)
    _close(wa, wb)
