"""nn.RNN / LSTM / GRU and their cells vs torch: outputs, final states and every gradient from
the same weights (torch's state_dict loaded into numtorch), over a sample of option
combinations; packed inputs; float64 finite differences; names, shapes, init, repr, errors."""
import itertools
import random
import warnings

import numpy as np
import pytest
import torch

import numtorch
from numtorch._ops.nn.recurrent import recurrence
from errcheck import same_error

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

FW = {'torch': torch, 'numtorch': numtorch}


def _tol(dt, n=1):
    """float32 tolerance grows with the length of the sums feeding a value (n terms)."""
    return dict(rtol=1e-4, atol=2e-5 * max(1, n) ** 0.5) if dt == 'float32' else \
        dict(rtol=1e-9, atol=1e-10)


def _pair(name, args, kwargs, dt):
    """A torch module and a numtorch one holding the same (torch's) weights."""
    torch.manual_seed(0)
    mt = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dt))
    mn = getattr(numtorch.nn, name)(*args, **kwargs).to(getattr(numtorch, dt))
    mn.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    return mt, mn


def _np(t):
    return t.detach().numpy()


def _weights(shape, dt):
    """Fixed, non-symmetric output weights: the loss is sum(out * w), so every element counts."""
    return np.cos(np.arange(int(np.prod(shape))) * 0.7).reshape(shape).astype(dt)


def _compare(res_t, res_n, dt, n=1):
    assert res_t.keys() == res_n.keys()
    for k in res_t:
        if res_t[k] is None:
            assert res_n[k] is None, k
            continue
        assert res_n[k].shape == res_t[k].shape, (k, res_n[k].shape, res_t[k].shape)
        np.testing.assert_allclose(res_n[k], res_t[k], err_msg=k, **_tol(dt, n))


def _run_layer(fw, m, x, hx, mode):
    """Forward + backward of sum(out * w) + sum(h_n * w') [+ sum(c_n * w'')]; returns values and
    the gradients of the input, the initial state(s) and every parameter."""
    X = fw.tensor(x, requires_grad=True)
    H = None if hx is None else [fw.tensor(h, requires_grad=True) for h in hx]
    state = None if H is None else (tuple(H) if mode == 'LSTM' else H[0])
    out, hn = m(X, state)
    hs = list(hn) if mode == 'LSTM' else [hn]
    loss = (out * fw.tensor(_weights(tuple(out.shape), x.dtype))).sum()
    for h in hs:
        loss = loss + (h * fw.tensor(_weights(tuple(h.shape), x.dtype)[::-1].copy())).sum()
    loss.backward()
    res = {'out': _np(out), 'x.grad': _np(X.grad)}
    res.update({f'h{i}': _np(h) for i, h in enumerate(hs)})
    if H is not None:
        res.update({f'hx{i}.grad': _np(h.grad) for i, h in enumerate(H)})
    res.update({k: _np(p.grad) for k, p in m.named_parameters()})
    return res


# Every combination of the options, sampled (fixed seed) to keep the suite fast.
_ALL = list(itertools.product(['RNN', 'RNN-relu', 'LSTM', 'LSTM-proj', 'GRU'], [1, 2],
                              [False, True], [False, True], [True, False], ['hx', 'none'],
                              ['batched', 'unbatched']))
_CASES = random.Random(0).sample(_ALL, 28)


@pytest.mark.parametrize('kind,layers,bidir,batch_first,bias,hx,batched', _CASES)
def test_layer_vs_torch(kind, layers, bidir, batch_first, bias, hx, batched):
    name = kind.split('-')[0]
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first, bias=bias)
    if kind == 'RNN-relu':
        kw['nonlinearity'] = 'relu'
    if kind == 'LSTM-proj':
        kw['proj_size'] = 2
    I, Hs, T, B = 3, 4, 5, 2
    dt = 'float64' if (layers + bidir) % 2 else 'float32'
    mt, mn = _pair(name, (I, Hs), kw, dt)
    rng = np.random.default_rng(1)
    shape = ((B, T, I) if batch_first else (T, B, I)) if batched == 'batched' else (T, I)
    x = rng.standard_normal(shape).astype(dt)
    D = 2 if bidir else 1
    P = kw.get('proj_size', Hs)
    bshape = (B,) if batched == 'batched' else ()
    h = None
    if hx == 'hx':
        h = [rng.standard_normal((layers * D,) + bshape + (P,)).astype(dt)]
        if name == 'LSTM':
            h.append(rng.standard_normal((layers * D,) + bshape + (Hs,)).astype(dt))
    _compare(_run_layer(torch, mt, x, h, name), _run_layer(numtorch, mn, x, h, name), dt, n=T * B)


@pytest.mark.parametrize('name,kw', [('LSTM', dict(num_layers=2, bidirectional=True)),
                                     ('GRU', dict(batch_first=True)),
                                     ('RNN', dict(nonlinearity='relu', bidirectional=True)),
                                     ('LSTM', dict(proj_size=2, bidirectional=True,
                                                   batch_first=True))])
@pytest.mark.parametrize('enforce_sorted', [True, False])
def test_packed_vs_torch(name, kw, enforce_sorted):
    """Packed input -> packed output, h_n in the caller's order, gradients through packing."""
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    dt = 'float64'
    mt, mn = _pair(name, (3, 4), kw, dt)
    bf = kw.get('batch_first', False)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5, 3) if bf else (5, 4, 3))
    D = 2 if kw.get('bidirectional') else 1
    L = kw.get('num_layers', 1) * D
    h0 = rng.standard_normal((L, 4, kw.get('proj_size', 4)))
    c0 = rng.standard_normal((L, 4, 4))
    res = {}
    for fwn, m in (('torch', mt), ('numtorch', mn)):
        fw = FW[fwn]
        R = fw.nn.utils.rnn
        X = fw.tensor(x, requires_grad=True)
        H = fw.tensor(h0, requires_grad=True)
        C = fw.tensor(c0, requires_grad=True)
        p = R.pack_padded_sequence(X, fw.tensor(lengths), batch_first=bf,
                                   enforce_sorted=enforce_sorted)
        out, hn = m(p, (H, C) if name == 'LSTM' else H)
        assert isinstance(out, R.PackedSequence)
        hn = hn[0] if name == 'LSTM' else hn
        padded, lens = R.pad_packed_sequence(out, batch_first=bf, total_length=6)
        loss = (padded * fw.tensor(_weights(tuple(padded.shape), dt))).sum() + (hn * hn).sum()
        loss.backward()
        res[fwn] = {'padded': _np(padded), 'lens': lens.numpy(), 'hn': _np(hn),
                    'x.grad': _np(X.grad), 'h0.grad': _np(H.grad),
                    'batch_sizes': out.batch_sizes.numpy()}
        res[fwn].update({k: _np(v.grad) for k, v in m.named_parameters()})
    _compare(res['torch'], res['numtorch'], dt)


@pytest.mark.parametrize('name,kw', [('RNNCell', {}), ('RNNCell', dict(nonlinearity='relu')),
                                     ('LSTMCell', {}), ('GRUCell', {}),
                                     ('GRUCell', dict(bias=False)), ('LSTMCell', dict(bias=False))])
@pytest.mark.parametrize('batched,hx', [(True, True), (False, True), (True, False)])
def test_cell_vs_torch(name, kw, batched, hx):
    dt = 'float32'
    mt, mn = _pair(name, (3, 4), kw, dt)
    rng = np.random.default_rng(3)
    bs = (2,) if batched else ()
    x = rng.standard_normal(bs + (3,)).astype(dt)
    hs = [rng.standard_normal(bs + (4,)).astype(dt) for _ in range(2 if name == 'LSTMCell' else 1)]
    res = {}
    for fwn, m in (('torch', mt), ('numtorch', mn)):
        fw = FW[fwn]
        X = fw.tensor(x, requires_grad=True)
        Hs = [fw.tensor(h, requires_grad=True) for h in hs]
        state = (tuple(Hs) if name == 'LSTMCell' else Hs[0]) if hx else None
        out = m(X, state)
        outs = list(out) if name == 'LSTMCell' else [out]
        loss = sum((o * fw.tensor(_weights(tuple(o.shape), dt))).sum() for o in outs)
        loss.backward()
        r = {f'out{i}': _np(o) for i, o in enumerate(outs)}
        r['x.grad'] = _np(X.grad)
        if hx:
            r.update({f'h{i}.grad': _np(h.grad) for i, h in enumerate(Hs)})
        r.update({k: _np(v.grad) for k, v in m.named_parameters()})
        res[fwn] = r
    _compare(res['torch'], res['numtorch'], dt)


def test_dropout_between_layers():
    """dropout=1 zeroes the first layer's output in training (deterministic, so comparable to
    torch); eval mode ignores dropout; a fractional rate changes the output only in training."""
    mt, mn = _pair('LSTM', (3, 4), dict(num_layers=2, dropout=1.0), 'float64')
    x = np.random.default_rng(4).standard_normal((5, 2, 3))
    for train in (True, False):
        mt.train(train)
        mn.train(train)
        _compare(_run_layer(torch, mt, x, None, 'LSTM'), _run_layer(numtorch, mn, x, None, 'LSTM'),
                 'float64')
    mn = numtorch.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    X = numtorch.tensor(x, dtype=numtorch.float32)
    mn.eval()
    a = mn(X)[0]
    assert numtorch.equal(a, mn(X)[0])
    mn.train()
    assert not numtorch.equal(a, mn(X)[0])


def _gradcheck_recurrence(mode, reverse, proj):
    rng = np.random.default_rng(5)
    H = 3
    G = {'LSTM': 4, 'GRU': 3}.get(mode, 1) * H
    P = 2 if proj else H
    bs = [3, 2, 2, 1]
    N, B = sum(bs), bs[0]

    def t(*shape):
        return numtorch.tensor(rng.standard_normal(shape) * 0.8, requires_grad=True)
    xg, h0, w_hh, b_hh = t(N, G), t(B, P), t(G, P), t(G)
    c0 = t(B, H) if mode == 'LSTM' else None
    w_hr = t(P, H) if proj else None
    ins = [a for a in (xg, h0, c0, w_hh, b_hh, w_hr) if a is not None]
    return numtorch.autograd.gradcheck(
        lambda *_: recurrence(mode, xg, h0, c0, w_hh, b_hh, w_hr, bs, reverse=reverse), ins)


@pytest.mark.parametrize('mode,reverse,proj', [('LSTM', False, False), ('LSTM', True, True),
                                               ('GRU', False, False), ('GRU', True, False),
                                               ('RNN_TANH', True, False),
                                               ('RNN_RELU', False, False)])
def test_recurrence_gradcheck(mode, reverse, proj):
    """float64 finite differences of the fused Node, packed batch sizes, both directions."""
    assert _gradcheck_recurrence(mode, reverse, proj)


@pytest.mark.parametrize('name', ['RNNCell', 'LSTMCell', 'GRUCell'])
def test_cell_gradcheck(name):
    m = getattr(numtorch.nn, name)(2, 3).double()
    rng = np.random.default_rng(6)
    x = numtorch.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = numtorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = numtorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    fn = (lambda *_: m(x, (h, c))) if name == 'LSTMCell' else (lambda *_: m(x, h))
    ins = [x, h] + ([c] if name == 'LSTMCell' else []) + list(m.parameters())
    assert numtorch.autograd.gradcheck(fn, ins)


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    """The finite-difference test above can fail: break the LSTM backward and it does."""
    from numtorch._ops.nn import recurrent as recurrent
    orig = recurrent.LSTMRecurrence.backward

    def wrong(self, *g):
        gs = list(orig(self, *g))
        gs[3] = gs[3] * 1.01
        return tuple(gs)
    monkeypatch.setattr(recurrent.LSTMRecurrence, 'backward', wrong)
    with pytest.raises(Exception):
        _gradcheck_recurrence('LSTM', False, False)


@pytest.mark.parametrize('name,args,kw', [
    ('LSTM', (3, 5), dict(num_layers=2, bidirectional=True, proj_size=2, batch_first=True)),
    ('GRU', (3, 4), dict(bias=False, dropout=0.25, num_layers=3)),
    ('RNN', (3, 4, 2, 'relu'), {}), ('RNN', (3, 4), dict(nonlinearity='relu', bias=False)),
    ('RNNCell', (2, 3), dict(nonlinearity='relu', bias=False)), ('LSTMCell', (2, 3), {}),
    ('GRUCell', (2, 3), dict(bias=False))])
def test_names_shapes_repr_init_and_state_dict_interchange(name, args, kw):
    mt, mn = _pair(name, args, kw, 'float32')
    assert repr(mn) == repr(mt)
    sd_n = mn.state_dict()
    assert list(sd_n) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        assert tuple(sd_n[k].shape) == tuple(v.shape), k
    # numtorch -> torch: a fresh numtorch model's state_dict loads into torch (strict).
    fresh = getattr(numtorch.nn, name)(*args, **kw)
    mt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in fresh.state_dict().items()})
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(mt.state_dict()[k].numpy(), v.numpy())
    # init: U(-1/sqrt(hidden), 1/sqrt(hidden)) for every parameter, not degenerate
    bound = 1 / np.sqrt(args[1])
    for k, p in fresh.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound, k
        assert len(np.unique(a)) == a.size, k
    pooled = np.concatenate([p.detach().numpy().ravel() for p in fresh.parameters()])
    assert abs(pooled.std() - bound / np.sqrt(3)) < 0.2 * bound    # U(-b, b) has std b/sqrt(3)
    if name in ('LSTM', 'GRU', 'RNN'):
        assert mn._flat_weights_names == mt._flat_weights_names
        assert mn._all_weights == mt._all_weights
        assert [tuple(w.shape) for ws in mn.all_weights for w in ws] == \
            [tuple(w.shape) for ws in mt.all_weights for w in ws]
        assert mn.flatten_parameters() is None


def test_dropout_warning_and_attributes():
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter('always')
        torch.nn.LSTM(2, 3, dropout=0.5)
    with warnings.catch_warnings(record=True) as wn:
        warnings.simplefilter('always')
        numtorch.nn.LSTM(2, 3, dropout=0.5)
    assert [str(w.message) for w in wn] == [str(w.message) for w in wt]
    mt, mn = torch.nn.GRU(2, 3, 2), numtorch.nn.GRU(2, 3, 2)
    for a in ('mode', 'input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'dropout',
              'bidirectional', 'proj_size'):
        assert getattr(mn, a) == getattr(mt, a), a
    assert numtorch.nn.RNN(2, 3, nonlinearity='relu').nonlinearity == 'relu'


def _x(fw, *shape, dt=None):
    return fw.zeros(*shape, dtype=dt)


@pytest.mark.parametrize('fn', [
    lambda m: m.nn.RNN(2, 3, proj_size=1),
    lambda m: m.nn.GRU(2, 3, proj_size=1),
    lambda m: m.nn.RNN(2, 3, nonlinearity='x'),
    lambda m: m.nn.LSTM(2, 3, proj_size=3),
    lambda m: m.nn.LSTM(2, 3, proj_size=-1),
    lambda m: m.nn.LSTM(0, 3),
    lambda m: m.nn.LSTM(2, 0),
    lambda m: m.nn.LSTM(2, 3, 0),
    lambda m: m.nn.LSTM(2, 3, dropout=1.5),
    lambda m: m.nn.LSTM(2, 3, bias=1),
    lambda m: m.nn.LSTM(2.0, 3),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2, 5)),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2, 2, 1)),
    lambda m: m.nn.RNN(2, 3)(_x(m, 4, 2, 2, 1)),
    lambda m: m.nn.GRU(2, 3)(_x(m, 4)),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2, 2), (_x(m, 1, 3, 3), _x(m, 1, 2, 3))),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2, 2), (_x(m, 1, 2, 3), _x(m, 1, 2, 4))),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2, 2), (_x(m, 2, 3), _x(m, 2, 3))),
    lambda m: m.nn.LSTM(2, 3)(_x(m, 4, 2), (_x(m, 1, 1, 3), _x(m, 1, 3))),
    lambda m: m.nn.GRU(2, 3)(_x(m, 4, 2, 2), _x(m, 1, 3, 3)),
    lambda m: m.nn.GRU(2, 3)(_x(m, 4, 2, 2), _x(m, 2, 3)),
    lambda m: m.nn.RNN(2, 3)(_x(m, 4, 2), _x(m, 1, 1, 3)),
    lambda m: m.nn.RNN(2, 3)(_x(m, 4, 2, 2, dt=m.float64)),
    lambda m: m.nn.LSTMCell(2, 3)(_x(m, 4, 5)),
    lambda m: m.nn.LSTMCell(2, 3)(_x(m, 4, 2, 1)),
    lambda m: m.nn.LSTMCell(2, 3)(_x(m, 4, 2), (_x(m, 4, 3), _x(m, 4, 3, 1))),
    lambda m: m.nn.GRUCell(2, 3)(_x(m, 4, 2), _x(m, 3, 3)),
    lambda m: m.nn.GRUCell(2, 3)(_x(m, 4, 2), _x(m, 4, 3, 1)),
    lambda m: m.nn.RNNCell(2, 3, nonlinearity='x')(_x(m, 4, 2)),
])
def test_errors_match_torch(fn):
    same_error(fn)


@pytest.mark.parametrize('name', ['RNN', 'LSTM', 'GRU'])
@pytest.mark.parametrize('batch_first', [False, True])
def test_output_layout_matches_torch(name, batch_first):
    """Scripts call ``out.view(...)``: the output is contiguous exactly when torch's is."""
    got = {}
    for fwn, fw in FW.items():
        out, h = getattr(fw.nn, name)(2, 3, batch_first=batch_first, bidirectional=True)(
            fw.zeros(4, 5, 2))
        h = h[0] if name == 'LSTM' else h
        got[fwn] = (out.is_contiguous(), h.is_contiguous(), tuple(out.shape), tuple(h.shape))
    assert got['numtorch'] == got['torch']
