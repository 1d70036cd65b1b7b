"""numtorch.distributions against torch.distributions: log_prob / entropy / moments exactly (and
their gradients), samples statistically, validation messages and reprs."""
import numpy as np
import pytest
import torch
import torch.distributions as td

import numtorch
from errcheck import same_error
import numtorch.distributions as nd

TOL = {'float32': dict(rtol=1e-5, atol=1e-6), 'float64': dict(rtol=1e-11, atol=1e-12)}


def _t(mod, a, grad=False):
    t = mod.tensor(a)
    return t.requires_grad_() if grad else t


def _check(make, dtype, methods=('log_prob', 'entropy', 'mean', 'variance')):
    """``make(mod, params)`` builds the distribution; compare methods and d(log_prob)/d(params)."""
    res = {}
    for mod in (numtorch, torch):
        rng = np.random.default_rng(0)
        params, d, value = make(mod, rng, dtype)
        out = {}
        for m in methods:
            r = getattr(d, m)(value) if m in ('log_prob', 'cdf') else getattr(d, m)
            r = r() if callable(r) else r
            out[m] = r.detach().numpy().copy()
        lp = d.log_prob(value).sum()
        if lp.requires_grad:
            lp.backward()
            out['grads'] = [p.grad.numpy().copy() for p in params]
        res[mod.__name__] = out
    a, b = res['numtorch'], res['torch']
    assert set(a) == set(b)
    for k in b:
        for x, y in zip(a[k] if k == 'grads' else [a[k]], b[k] if k == 'grads' else [b[k]]):
            assert x.shape == y.shape, k
            np.testing.assert_allclose(x, y, **TOL[dtype], err_msg=k)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('shape', [(), (4,), (2, 3)])
def test_normal(shape, dtype):
    def make(mod, rng, dt):
        loc = _t(mod, rng.standard_normal(shape).astype(dt), True)
        scale = _t(mod, rng.uniform(0.5, 2, shape).astype(dt), True)
        value = _t(mod, rng.standard_normal((5,) + shape).astype(dt))
        return [loc, scale], mod.distributions.Normal(loc, scale), value
    _check(make, dtype, ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf'))


def test_normal_with_number_scale_and_icdf():
    for v in ([0.1, 0.5, 0.9],):
        a = nd.Normal(1.0, 2.0).icdf(numtorch.tensor(v))
        b = td.Normal(1.0, 2.0).icdf(torch.tensor(v))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    a = nd.Normal(1.0, 2.0).log_prob(numtorch.tensor([0., 3.]))
    b = td.Normal(1.0, 2.0).log_prob(torch.tensor([0., 3.]))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('shape', [(), (3,)])
def test_uniform(shape, dtype):
    def make(mod, rng, dt):
        low = _t(mod, rng.uniform(-2, 0, shape).astype(dt), True)
        high = _t(mod, rng.uniform(0.5, 2, shape).astype(dt), True)
        value = _t(mod, rng.uniform(-0.1, 0.4, (4,) + shape).astype(dt))
        return [low, high], mod.distributions.Uniform(low, high), value
    _check(make, dtype, ('log_prob', 'entropy', 'mean', 'variance', 'stddev', 'cdf'))
    # outside the support without validation: -inf, as torch
    a = nd.Uniform(0., 2., validate_args=False).log_prob(numtorch.tensor([-1., 1., 2.]))
    b = td.Uniform(0., 2., validate_args=False).log_prob(torch.tensor([-1., 1., 2.]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('kind', ['probs', 'logits'])
@pytest.mark.parametrize('shape', [(), (5,), (2, 3)])
def test_bernoulli(shape, kind, dtype):
    def make(mod, rng, dt):
        raw = rng.uniform(0.05, 0.95, shape) if kind == 'probs' else rng.standard_normal(shape) * 3
        p = _t(mod, raw.astype(dt), True)
        value = _t(mod, rng.integers(0, 2, (3,) + shape).astype(dt))
        return [p], mod.distributions.Bernoulli(**{kind: p}), value
    _check(make, dtype)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('kind', ['probs', 'logits'])
@pytest.mark.parametrize('shape', [(6,), (2, 4)])
def test_categorical(shape, kind, dtype):
    def make(mod, rng, dt):
        raw = rng.uniform(0.1, 1, shape) if kind == 'probs' else rng.standard_normal(shape)
        p = _t(mod, raw.astype(dt), True)
        value = _t(mod, rng.integers(0, shape[-1], (5,) + shape[:-1]))
        d = mod.distributions.Categorical(**{kind: p})
        return [p], d, value
    _check(make, dtype, ('log_prob', 'entropy'))
    for mod in (numtorch, torch):   # probs <-> logits both ways, normalized
        d = mod.distributions.Categorical(logits=mod.tensor([1., 2., 3.]))
        np.testing.assert_allclose(np.asarray(d.probs), [0.09003057, 0.24472847, 0.66524096], rtol=1e-6)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('n,shape', [(1, (6,)), (10, (6,)), (7, (2, 3))])
def test_multinomial(n, shape, dtype):
    def make(mod, rng, dt):
        p = _t(mod, rng.uniform(0.1, 1, shape).astype(dt), True)
        counts = rng.multinomial(n, np.ones(shape[-1]) / shape[-1], size=(4,) + shape[:-1])
        value = _t(mod, counts.astype(dt))
        return [p], mod.distributions.Multinomial(n, p), value
    _check(make, dtype)


def test_multinomial_log_prob_zero_probability_class():
    p = [0.5, 0.5, 0.0]
    v = [1., 1., 0.]
    a = nd.Multinomial(2, numtorch.tensor(p)).log_prob(numtorch.tensor(v))
    b = td.Multinomial(2, torch.tensor(p)).log_prob(torch.tensor(v))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_d2l_dice():
    numtorch.manual_seed(0)
    fair_probs = numtorch.ones([6]) / 6
    one = nd.multinomial.Multinomial(1, fair_probs).sample()
    assert one.shape == (6,) and one.dtype == numtorch.float32 and one.sum().item() == 1
    assert set(one.tolist()) <= {0.0, 1.0}
    counts = nd.multinomial.Multinomial(1000, fair_probs).sample()
    assert counts.sum().item() == 1000
    # each face ~ Binomial(1000, 1/6): mean 166.7, sd 11.8 -> within 6 sd
    assert np.all(np.abs(counts.numpy() - 1000 / 6) < 6 * 11.8)
    many = nd.Multinomial(10, fair_probs).sample((500,))
    assert many.shape == (500, 6)
    assert np.all(many.numpy().sum(1) == 10)
    cum = many.cumsum(dim=0)
    est = cum / cum.sum(dim=1, keepdims=True)
    assert est.shape == (500, 6)
    assert np.all(np.abs(est[-1].numpy() - 1 / 6) < 0.05)


def test_sampling_statistics_and_shapes():
    numtorch.manual_seed(1)
    n = 20000
    # Categorical frequencies
    p = numtorch.tensor([0.1, 0.2, 0.7])
    s = nd.Categorical(p).sample((n,))
    assert s.shape == (n,) and s.dtype == numtorch.int64
    freq = np.bincount(s.numpy(), minlength=3) / n
    assert np.all(np.abs(freq - p.numpy()) < 5 * np.sqrt(p.numpy() * (1 - p.numpy()) / n))
    assert nd.Categorical(numtorch.ones(2, 4)).sample((5,)).shape == (5, 2)
    # Bernoulli
    b = nd.Bernoulli(numtorch.tensor([0.2, 0.9])).sample((n,))
    assert b.shape == (n, 2) and set(np.unique(b.numpy())) <= {0.0, 1.0}
    assert np.all(np.abs(b.numpy().mean(0) - [0.2, 0.9]) < 5 * np.sqrt(0.16 / n) + 1e-3)
    # Normal
    x = nd.Normal(numtorch.tensor([1.0, -2.0]), numtorch.tensor([0.5, 3.0])).sample((n,))
    assert x.shape == (n, 2)
    assert np.all(np.abs(x.numpy().mean(0) - [1, -2]) < 5 * np.array([0.5, 3]) / np.sqrt(n))
    assert np.all(np.abs(x.numpy().std(0) / [0.5, 3] - 1) < 0.05)
    # Uniform
    u = nd.Uniform(-1.0, 3.0).sample((n,))
    assert u.shape == (n,) and u.numpy().min() >= -1 and u.numpy().max() < 3
    assert abs(u.numpy().mean() - 1) < 5 * (4 / np.sqrt(12)) / np.sqrt(n)
    # Multinomial with a batch
    m = nd.Multinomial(5, numtorch.tensor([[0.5, 0.5], [0.9, 0.1]])).sample((3,))
    assert m.shape == (3, 2, 2) and np.all(m.numpy().sum(-1) == 5)


def test_rsample_is_differentiable_and_sample_is_not():
    loc = numtorch.zeros(3, requires_grad=True)
    scale = numtorch.ones(3, requires_grad=True)
    d = nd.Normal(loc, scale)
    r = d.rsample((4,))
    assert r.requires_grad
    r.sum().backward()
    assert loc.grad.tolist() == [4.0, 4.0, 4.0]
    assert not d.sample((4,)).requires_grad
    low = numtorch.tensor(0.0, requires_grad=True)
    nd.Uniform(low, 1.0).rsample((10,)).sum().backward()
    assert low.grad is not None


@pytest.mark.parametrize('case', [
    lambda m: m.distributions.Normal(0., -1.),
    lambda m: m.distributions.Bernoulli(0.3).log_prob(m.tensor(2.)),
    lambda m: m.distributions.Categorical(m.tensor([0.2, 0.8])).log_prob(m.tensor(2)),
    lambda m: m.distributions.Categorical(m.tensor([0.2, 0.8]), logits=m.tensor([0., 1.])),
    lambda m: m.distributions.Uniform(0., 2.).log_prob(m.tensor([-1., 1.])),
    lambda m: m.distributions.Bernoulli(1.5),
])
def test_validation_errors_match_torch(case):
    same_error(case)


def test_reprs_match_torch():
    for make in (lambda m: m.distributions.Normal(0., 1.),
                 lambda m: m.distributions.Normal(m.zeros(3), 1.),
                 lambda m: m.distributions.Categorical(m.tensor([0.2, 0.8])),
                 lambda m: m.distributions.Multinomial(10, m.ones(6) / 6),
                 lambda m: m.distributions.Bernoulli(0.3),
                 lambda m: m.distributions.Uniform(0., 2.)):
        assert repr(make(numtorch)) == repr(make(torch))
