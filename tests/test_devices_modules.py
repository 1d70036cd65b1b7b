"""Recurrent layers, attention / Transformer layers and every distribution on the strict
stand-in device (``cuda`` without a GPU), against the CPU bit for bit.

The stand-in computes with NumPy and its generator is seeded as the CPU's by ``manual_seed``, so
the same code on ``cuda`` must give the CPU's numbers exactly; its arrays refuse host operands and
implicit host conversion, so a state, mask or noise tensor built on the CPU fails here.
"""
import warnings

import pytest

import numtorch
from numtorch import nn
from devicecheck import same, on_device

D = numtorch.distributions


def _flat(out):
    """Tensors of a (nested) module output: PackedSequence data, (h, c) pairs."""
    if isinstance(out, numtorch.Tensor):
        return [out]
    if isinstance(out, nn.utils.rnn.PackedSequence):
        return [out.data]
    return [t for o in out if o is not None for t in _flat(o)]


def _both(build, run):
    """``run(module, dev)`` on the CPU and on the device with the same seed: outputs + grads."""
    res = {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        m = build()
        if dev == 'cuda':
            m = m.to('cuda')
        outs = _flat(run(m, dev))
        sum(((o * o).sum() for o in outs if o.is_floating_point())).backward()
        res[dev] = outs + [p.grad for p in m.parameters() if p.grad is not None]
    same(res['cuda'], res['cpu'])
    on_device(*res['cuda'])
    return res


# ----------------------------------------------------------------------------- recurrent layers
RECURRENT = [(cls, kw) for cls in ('RNN', 'LSTM', 'GRU') for kw in (
    dict(num_layers=2, bidirectional=True), dict(batch_first=True), dict(proj_size=2)
) if 'proj_size' not in kw or cls == 'LSTM']


@pytest.mark.parametrize('packed', [False, True], ids=['padded', 'packed'])
@pytest.mark.parametrize('cls,kw', RECURRENT, ids=[f'{c}-{i}' for i, (c, _) in
                                                   enumerate(RECURRENT)])
def test_recurrent_layers_on_the_device(cuda, cls, kw, packed):
    R = nn.utils.rnn
    bf = kw.get('batch_first', False)

    def run(m, dev):
        x = numtorch.randn(4, 3, 2)
        x = (x.transpose(0, 1) if bf else x).to(dev)
        if packed:   # lengths stay on the CPU, as torch requires
            x = R.pack_padded_sequence(x, numtorch.tensor([2, 4, 1]), batch_first=bf,
                                       enforce_sorted=False)
        out, h = m(x)
        return [out, h] + ([R.pad_packed_sequence(out, batch_first=bf)[0]] if packed else [])
    _both(lambda: getattr(nn, cls)(2, 3, **kw), run)


def test_recurrent_layers_with_given_states_and_cells(cuda):
    def run(m, dev):
        lstm, gru, cells = m[0], m[1], m[2:]
        x = numtorch.randn(3, 2, 2).to(dev)
        h0, c0 = numtorch.randn(1, 2, 3).to(dev), numtorch.randn(1, 2, 3).to(dev)
        out = [lstm(x, (h0, c0)), gru(x[:, 0])]          # unbatched input too
        out += [cells[0](x[0]), cells[1](x[0]), cells[2](x[0], h0[0])]
        return out
    _both(lambda: nn.ModuleList([nn.LSTM(2, 3), nn.GRU(2, 3), nn.RNNCell(2, 3),
                                 nn.LSTMCell(2, 3), nn.GRUCell(2, 3)]), run)


# ----------------------------------------------------------------------------- attention
def _masks(dev, L=4, N=3):
    causal = nn.Transformer.generate_square_subsequent_mask(L, device=dev)
    assert causal.device.type == numtorch.device(dev).type
    pad = numtorch.tensor([[False] * L, [False] * (L - 1) + [True],
                           [False] * (L - 2) + [True] * 2]).to(dev)
    return causal, causal.isinf(), pad


@pytest.mark.parametrize('kw', [dict(), dict(add_bias_kv=True, add_zero_attn=True),
                                dict(batch_first=True, kdim=3, vdim=5)],
                         ids=['plain', 'bias_kv-zero_attn', 'batch_first-kdim'])
def test_multihead_attention_with_masks_on_the_device(cuda, kw):
    def run(m, dev):
        _, bool_mask, pad = _masks(dev)
        q = numtorch.randn(4, 3, 4)
        k = numtorch.randn(4, 3, kw.get('kdim', 4))
        v = numtorch.randn(4, 3, kw.get('vdim', 4))
        if kw.get('batch_first'):
            q, k, v = (t.transpose(0, 1) for t in (q, k, v))
        q, k, v = q.to(dev), k.to(dev), v.to(dev)
        return [m(q, k, v, attn_mask=bool_mask, key_padding_mask=pad),
                m(q, k, v, key_padding_mask=pad, average_attn_weights=False),
                m(q, k, v, need_weights=False)[0]]
    _both(lambda: nn.MultiheadAttention(4, 2, **kw), run)


@pytest.mark.parametrize('norm_first', [False, True])
def test_transformer_layers_with_masks_on_the_device(cuda, norm_first):
    def run(m, dev):
        causal, _, pad = _masks(dev)
        src, tgt = numtorch.randn(4, 3, 4).to(dev), numtorch.randn(4, 3, 4).to(dev)
        enc_layer, model = m
        return [enc_layer(src, src_mask=causal, is_causal=True),
                enc_layer(src, src_key_padding_mask=pad),
                model(src, tgt, tgt_mask=causal, tgt_is_causal=True, src_key_padding_mask=pad,
                      memory_key_padding_mask=pad)]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')    # enable_nested_tensor's notice, as torch's
        _both(lambda: nn.ModuleList([
            nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=norm_first),
            nn.Transformer(4, 2, 1, 1, 8, dropout=0.0, norm_first=norm_first)]), run)


def test_transformer_detects_a_causal_mask_on_the_device(cuda):
    def run(m, dev):
        causal, _, _ = _masks(dev)
        return [m(numtorch.randn(4, 3, 4).to(dev), mask=causal)]
    _both(lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2,
                                        enable_nested_tensor=False), run)


# ----------------------------------------------------------------------------- distributions
def _t(dev, *vals):
    return [numtorch.tensor(v).to(dev).requires_grad_() for v in vals]


DISTRIBUTIONS = {   # name -> (parameters, constructor)
    'Normal': (([0., 1.], [1., 2.]), lambda p, v: D.Normal(*p, validate_args=v)),
    'LogNormal': (([0., 1.], [1., 2.]), lambda p, v: D.LogNormal(*p, validate_args=v)),
    'HalfNormal': (([1., 2.],), lambda p, v: D.HalfNormal(*p, validate_args=v)),
    'Independent': (([0., 1.], [1., 2.]),
                    lambda p, v: D.Independent(D.Normal(*p, validate_args=v), 1)),
    'Uniform': (([0., 1.], [2., 3.]), lambda p, v: D.Uniform(*p, validate_args=v)),
    'Laplace': (([0., 1.], [1., 2.]), lambda p, v: D.Laplace(*p, validate_args=v)),
    'Cauchy': (([0., 1.], [1., 2.]), lambda p, v: D.Cauchy(*p, validate_args=v)),
    'Exponential': (([2., .5],), lambda p, v: D.Exponential(*p, validate_args=v)),
    'Bernoulli': (([.3, .6],), lambda p, v: D.Bernoulli(probs=p[0], validate_args=v)),
    'Categorical': (([[.1, 1., -2.], [.5, .5, 0.]],),
                    lambda p, v: D.Categorical(logits=p[0], validate_args=v)),
    'Multinomial': (([.2, .3, .5],), lambda p, v: D.Multinomial(3, probs=p[0], validate_args=v)),
    'Poisson': (([2., 4.],), lambda p, v: D.Poisson(*p, validate_args=v)),
    'Gamma': (([1.5, 3.], [2., 1.]), lambda p, v: D.Gamma(*p, validate_args=v)),
    'Chi2': (([2., 5.],), lambda p, v: D.Chi2(*p, validate_args=v)),
    'Dirichlet': (([1., 2., 3.],), lambda p, v: D.Dirichlet(*p, validate_args=v)),
    'Beta': (([1.5, 2.], [2., .5]), lambda p, v: D.Beta(*p, validate_args=v)),
    'StudentT': (([3., 5.], [0., 1.], [1., 2.]), lambda p, v: D.StudentT(*p, validate_args=v)),
    'MultivariateNormal': (([0., 1.], [[2., 1.], [1., 2.]]),
                           lambda p, v: D.MultivariateNormal(*p, validate_args=v)),
}
assert set(DISTRIBUTIONS) >= {n for n in D.__all__ if isinstance(getattr(D, n), type) and
                              issubclass(getattr(D, n), D.Distribution) and
                              n not in ('Distribution', 'TransformedDistribution')}

CHECKS = ('sample', 'rsample', 'grad', 'log_prob', 'entropy', 'moments')


def _check(dev, name, what, validate=None):
    params, make = DISTRIBUTIONS[name]
    numtorch.manual_seed(0)
    p = _t(dev, *params)
    d = make(p, validate)
    if what == 'sample':
        out = [d.sample((3,)), d.sample()]
    elif what in ('rsample', 'grad'):
        if not d.has_rsample:
            return []
        out = [d.rsample((3,))]
        if what == 'grad':
            out[0].sum().backward()
            out += [q.grad for q in p if q.grad is not None]
    elif what == 'log_prob':
        with numtorch.no_grad():
            x = d.sample((2,))
        out = [d.log_prob(x)]
    elif what == 'entropy':
        try:
            out = [d.entropy()]
        except NotImplementedError:
            return []
    else:
        out = []
        for m in ('mean', 'mode', 'variance', 'stddev'):
            try:
                out.append(getattr(d, m))
            except NotImplementedError:
                pass
    return [o for o in out if isinstance(o, numtorch.Tensor)]


CASES = [(n, w) for n in DISTRIBUTIONS for w in CHECKS]


@pytest.mark.parametrize('name,what', CASES,
                         ids=[f'{n}-{w}' for n, w in CASES])
def test_distributions_on_the_device(cuda, name, what):
    cpu = _check('cpu', name, what)
    dev = _check('cuda', name, what)
    same(dev, cpu)
    on_device(*dev)


@pytest.mark.parametrize('name', ['Normal', 'Gamma'])
def test_distribution_validation_on_the_device(cuda, name):
    same(_check('cuda', name, 'sample', validate=None), _check('cpu', name, 'sample', None))


def test_the_cpu_streams_do_not_move(cuda):
    """Device draws come from the device's generator: the CPU's numbers after them are the
    numbers without them (torch: one generator per device)."""
    numtorch.manual_seed(0)
    ref = numtorch.randn(3).tolist()
    for name in ('Normal', 'Gamma', 'Dirichlet', 'MultivariateNormal', 'StudentT'):
        numtorch.manual_seed(0)
        params, make = DISTRIBUTIONS[name]
        make(_t('cuda', *params), False).rsample((2,))
        assert numtorch.randn(3).tolist() == ref, name


# ----------------------------------------------------------------------------- device= kwargs
MADE_ON_DEVICE = {
    'Linear': lambda d: nn.Linear(3, 2, device=d),
    'Bilinear': lambda d: nn.Bilinear(2, 3, 4, device=d),
    'Conv1d': lambda d: nn.Conv1d(2, 3, 2, device=d),
    'Conv2d': lambda d: nn.Conv2d(2, 4, 3, groups=2, device=d),
    'ConvTranspose2d': lambda d: nn.ConvTranspose2d(2, 3, 2, device=d),
    'Conv3d': lambda d: nn.Conv3d(1, 2, 2, device=d),
    'BatchNorm1d': lambda d: nn.BatchNorm1d(3, device=d),
    'InstanceNorm2d': lambda d: nn.InstanceNorm2d(3, affine=True, track_running_stats=True,
                                                  device=d),
    'LayerNorm': lambda d: nn.LayerNorm(3, device=d),
    'GroupNorm': lambda d: nn.GroupNorm(2, 4, device=d),
    'RMSNorm': lambda d: nn.RMSNorm(3, device=d),
    'Embedding': lambda d: nn.Embedding(5, 3, padding_idx=1, device=d),
    'EmbeddingBag': lambda d: nn.EmbeddingBag(5, 3, device=d),
    'PReLU': lambda d: nn.PReLU(3, device=d),
    'LSTM': lambda d: nn.LSTM(2, 3, bidirectional=True, proj_size=1, device=d),
    'GRUCell': lambda d: nn.GRUCell(2, 3, device=d),
    'MultiheadAttention': lambda d: nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3,
                                                          device=d),
    'Transformer': lambda d: nn.Transformer(4, 2, 1, 1, 8, device=d),
}


@pytest.mark.parametrize('name', list(MADE_ON_DEVICE))
def test_modules_made_with_device_live_there(cuda, name):
    """``device=`` (torch's factory kwarg) builds parameters and buffers on the device and
    initializes them there, from its generator: with the same seed, the CPU's values."""
    sd = {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            sd[dev] = MADE_ON_DEVICE[name](dev).state_dict()
    assert list(sd['cuda']) == list(sd['cpu'])
    same(list(sd['cuda'].values()), list(sd['cpu'].values()))
    on_device(*sd['cuda'].values())


def test_lazy_linear_materializes_on_its_device(cuda):
    m = nn.LazyLinear(3, device='cuda')
    y = m(numtorch.randn(2, 4).to('cuda'))
    on_device(m.weight, m.bias, y)
    assert m.weight.shape == (3, 4)
