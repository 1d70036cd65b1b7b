"""numtorch.nn.utils against torch.nn.utils: clipping, flat vectors, weight/spectral norm (hooks
and parametrizations), parametrize, orthogonal, stateless.functional_call — values, gradients,
state-dict keys and interchange, errors."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

RNG = np.random.default_rng(0)


def _pair(shape, dtype=np.float32, seed=None):
    a = (np.random.default_rng(seed) if seed is not None else RNG).standard_normal(shape)
    a = a.astype(dtype)
    return numtorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _np(t):
    return t.detach().numpy()


def _copy_params(src, dst, mod):
    """Copy torch module ``src``'s state into numtorch module ``dst`` (or the reverse)."""
    with mod.no_grad():
        for k, v in src.state_dict().items():
            dst.state_dict()[k].copy_(mod.tensor(v.detach().numpy()))


# ---------------------------------------------------------------------- clipping
@pytest.mark.parametrize('norm_type', [2.0, 1, 3.5, float('inf'), 'inf', 0.5])
@pytest.mark.parametrize('max_norm', [0.5, 100.0])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    shapes = [(3, 4), (5,), (), (2, 2, 2)]
    res = []
    for mod in (numtorch, torch):
        ps = [mod.zeros(s, dtype=getattr(mod, np.dtype(dtype).name), requires_grad=True)
              for s in shapes]
        rng = np.random.default_rng(1)
        for p in ps[:-1]:                          # the last parameter has no gradient
            p.grad = mod.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
        total = mod.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=True)
        res.append((_np(total), [_np(p.grad) for p in ps[:-1]], ps[-1].grad))
    (nt, ng, nl), (tt, tg, tl) = res
    assert nt.dtype == tt.dtype and nt.shape == tt.shape
    np.testing.assert_allclose(nt, tt, rtol=1e-6)
    for a, b in zip(ng, tg):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert nl is None and tl is None


def test_clip_grad_norm_single_tensor_empty_nonfinite_and_deprecated_alias():
    for mod in (numtorch, torch):
        w = mod.ones(3, requires_grad=True)
        w.grad = mod.tensor([3., 0., 4.])
        assert float(mod.nn.utils.clip_grad_norm_(w, 1.0)) == pytest.approx(5.0)
        assert float(mod.nn.utils.clip_grad_norm_([], 1.0)) == 0.0
        with pytest.warns(UserWarning, match='empty generator'):
            mod.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        with pytest.warns(FutureWarning, match='clip_grad_norm_'):
            mod.nn.utils.clip_grad_norm([w], 1.0)
        w.grad = mod.tensor([float('nan'), 1., 1.])
        mod.nn.utils.clip_grad_norm_([w], 1.0)       # scales by nan, as torch
        assert bool(w.grad.isnan().all())

    def nonfinite(m):
        w = m.ones(2, requires_grad=True)
        w.grad = m.tensor([float('inf'), 1.])
        m.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    same_error(nonfinite)


def test_clip_grad_value_and_split_helpers_match_torch():
    res = []
    for mod in (numtorch, torch):
        a = mod.zeros(2, 3, requires_grad=True)
        b = mod.zeros(4, requires_grad=True)
        a.grad = mod.tensor(np.linspace(-2, 2, 6).reshape(2, 3).astype(np.float32))
        b.grad = mod.tensor([5., -0.1, 0.3, -7.])
        mod.nn.utils.clip_grad_value_([a, b], 0.5)
        tot = mod.nn.utils.get_total_norm([a.grad, b.grad], 1.0)
        mod.nn.utils.clip_grads_with_norm_([a, b], 1.0, tot)
        res.append([_np(a.grad), _np(b.grad), _np(tot)])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-6)


def test_parameters_to_vector_round_trip_and_gradient():
    res = []
    for mod in (numtorch, torch):
        net = mod.nn.Linear(3, 2)
        vec = mod.arange(8, dtype=mod.float32) / 10
        mod.nn.utils.vector_to_parameters(vec, net.parameters())
        flat = mod.nn.utils.parameters_to_vector(net.parameters())
        (flat * mod.arange(8.)).sum().backward()
        res.append((_np(net.weight), _np(net.bias), _np(flat), _np(net.weight.grad)))
    for x, y in zip(*res):
        np.testing.assert_array_equal(x, y)
    same_error(lambda m: m.nn.utils.vector_to_parameters([1.], m.nn.Linear(1, 1).parameters()))


# ---------------------------------------------------------------------- weight norm
@pytest.mark.parametrize('dim', [0, 1, None, -1])
@pytest.mark.parametrize('api', ['hook', 'parametrization'])
def test_weight_norm_forward_backward_and_keys_match_torch(dim, api):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 6, 6)).astype(np.float32)
    out = []
    for mod in (numtorch, torch):
        conv = mod.nn.Conv2d(3, 5, 3)
        with mod.no_grad():
            conv.weight.copy_(mod.tensor(np.random.default_rng(3).standard_normal((5, 3, 3, 3))
                                         .astype(np.float32)))
            conv.bias.zero_()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            if api == 'hook':
                conv = mod.nn.utils.weight_norm(conv, dim=dim)
            else:
                conv = mod.nn.utils.parametrizations.weight_norm(conv, dim=dim)
        y = conv(mod.tensor(x))
        (y ** 2).sum().backward()
        grads = {n: _np(p.grad) for n, p in conv.named_parameters()}
        out.append((_np(y), {k: _np(v) for k, v in conv.state_dict().items()}, grads))
    (ny, nsd, ng), (ty, tsd, tg) = out
    np.testing.assert_allclose(ny, ty, rtol=1e-4, atol=1e-4)
    assert list(nsd) == list(tsd)
    for k in tsd:
        assert nsd[k].shape == tsd[k].shape, k
        np.testing.assert_allclose(nsd[k], tsd[k], rtol=1e-5, atol=1e-6)
    assert list(ng) == list(tg)
    for k in tg:
        np.testing.assert_allclose(ng[k], tg[k], rtol=1e-3, atol=1e-3 * np.abs(tg[k]).max())


def test_weight_norm_fd_gradcheck_and_remove():
    from numtorch.autograd import gradcheck
    from numtorch.nn.utils.weight_norm import _weight_norm
    v = numtorch.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    g = numtorch.tensor(RNG.standard_normal((3, 1)), requires_grad=True)
    assert gradcheck(lambda v, g: _weight_norm(v, g, 0), (v, g))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        m = numtorch.nn.utils.weight_norm(numtorch.nn.Linear(4, 3))
        w = m.weight.detach().clone()
        numtorch.nn.utils.remove_weight_norm(m)
        assert list(dict(m.named_parameters())) == ['bias', 'weight']
        np.testing.assert_allclose(_np(m.weight), _np(w), rtol=1e-6)

    def twice(mod):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            mod.nn.utils.weight_norm(mod.nn.utils.weight_norm(mod.nn.Linear(2, 2)))
    same_error(twice)
    same_error(lambda m: m.nn.utils.remove_weight_norm(m.nn.Linear(2, 2)))


def test_parametrized_weight_norm_loads_old_state_dict_from_torch():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    sd = {k: numtorch.tensor(v.detach().numpy()) for k, v in old.state_dict().items()}
    new = numtorch.nn.utils.parametrizations.weight_norm(numtorch.nn.Linear(3, 2))
    new.load_state_dict(sd)
    np.testing.assert_allclose(_np(new.weight), _np(old.weight), rtol=1e-6)


# ---------------------------------------------------------------------- spectral norm
@pytest.mark.parametrize('api', ['hook', 'parametrization'])
@pytest.mark.parametrize('layer', ['linear', 'convT'])
def test_spectral_norm_matches_torch_given_the_same_start_vectors(api, layer):
    """u and v start random; copy torch's into numtorch, then train-mode forwards (power
    iterations), backward, eval forward and the state dicts agree."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4) if layer == 'linear' else (2, 4, 3, 3)).astype(np.float32)
    mods = []
    for mod in (torch, numtorch):
        m = mod.nn.Linear(4, 3) if layer == 'linear' else mod.nn.ConvTranspose2d(4, 3, 2)
        fn = mod.nn.utils.spectral_norm if api == 'hook' else \
            mod.nn.utils.parametrizations.spectral_norm
        mods.append(fn(m, n_power_iterations=2))
    tm, nm = mods
    _copy_params(tm, nm, numtorch)
    outs = []
    for mod, m in ((torch, tm), (numtorch, nm)):
        ys = [_np(m(mod.tensor(x))) for _ in range(2)]
        m(mod.tensor(x)).sum().backward()
        m.eval()
        ys.append(_np(m(mod.tensor(x))))
        outs.append((ys, {k: _np(v) for k, v in m.state_dict().items()},
                     {k: _np(p.grad) for k, p in m.named_parameters()}))
    (ty, tsd, tg), (ny, nsd, ng) = outs
    for a, b in zip(ny, ty):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert list(nsd) == list(tsd)
    for k in tsd:
        np.testing.assert_allclose(nsd[k], tsd[k], rtol=1e-4, atol=1e-5, err_msg=k)
    for k in tg:
        np.testing.assert_allclose(ng[k], tg[k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_spectral_norm_hook_remove_and_errors():
    m = numtorch.nn.utils.spectral_norm(numtorch.nn.Linear(4, 3))
    m(numtorch.ones(1, 4))
    numtorch.nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ['bias', 'weight'] and not m._forward_pre_hooks
    assert not m._load_state_dict_pre_hooks and not m._state_dict_hooks
    same_error(lambda mod: mod.nn.utils.spectral_norm(mod.nn.Linear(2, 2), n_power_iterations=0))
    same_error(lambda mod: mod.nn.utils.remove_spectral_norm(mod.nn.Linear(2, 2)))
    same_error(lambda mod: mod.nn.utils.parametrizations.spectral_norm(mod.nn.Linear(2, 2), dim=3))
    same_error(lambda mod: mod.nn.utils.parametrizations.spectral_norm(mod.nn.Linear(2, 2), 'w'))


# ---------------------------------------------------------------------- parametrize
def _symmetric(mod):
    class Symmetric(mod.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _scale(mod):
    class Scale(mod.nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, A):
            return A / 2
    return Scale()


def test_parametrize_register_chain_assign_remove_like_torch():
    P = mod_utils = None  # noqa: F841
    a = np.random.default_rng(5).standard_normal((3, 3)).astype(np.float32)
    x = np.random.default_rng(6).standard_normal((2, 3)).astype(np.float32)
    res = []
    for mod in (numtorch, torch):
        P = mod.nn.utils.parametrize
        m = mod.nn.Linear(3, 3)
        with mod.no_grad():
            m.weight.copy_(mod.tensor(a))
        P.register_parametrization(m, 'weight', _symmetric(mod))
        P.register_parametrization(m, 'weight', _scale(mod))
        r = [type(m).__name__, P.is_parametrized(m), P.is_parametrized(m, 'bias'),
             P.type_before_parametrizations(m).__name__, list(m.state_dict()),
             [n for n, _ in m.named_parameters()], _np(m.weight)]
        y = m(mod.tensor(x))
        y.sum().backward()
        r.append(_np(m.parametrizations.weight.original.grad))
        m.weight = mod.tensor(a + a.T)                 # assignment goes through right_inverse
        r.append(_np(m.parametrizations.weight.original))
        with P.cached():
            r.append(m.weight is m.weight)
        r.append(m.weight is m.weight)
        P.remove_parametrizations(m, 'weight', leave_parametrized=True)
        r += [type(m).__name__, list(m.state_dict()), _np(m.weight), hasattr(m, 'parametrizations')]
        res.append(r)
    assert len(res[0]) == len(res[1])
    for a_, b_ in zip(*res):
        if isinstance(b_, np.ndarray):
            np.testing.assert_allclose(a_, b_, rtol=1e-6, atol=1e-6)
        else:
            assert a_ == b_


def test_parametrize_state_dict_interchange_and_errors():
    tm = torch.nn.utils.parametrize.register_parametrization(torch.nn.Linear(3, 3), 'weight',
                                                             _symmetric(torch))
    nm = numtorch.nn.utils.parametrize.register_parametrization(numtorch.nn.Linear(3, 3),
                                                                'weight', _symmetric(numtorch))
    nm.load_state_dict({k: numtorch.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    np.testing.assert_allclose(_np(nm.weight), _np(tm.weight), rtol=1e-6)
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in nm.state_dict().items()})

    class Bad:
        pass

    def shape_change(mod):
        class Flat(mod.nn.Module):
            def forward(self, X):
                return X.reshape(-1)
        mod.nn.utils.parametrize.register_parametrization(mod.nn.Linear(2, 2), 'weight', Flat())

    def dtype_change(mod):
        class ToDouble(mod.nn.Module):
            def forward(self, X):
                return X.double()
        mod.nn.utils.parametrize.register_parametrization(mod.nn.Linear(2, 2), 'weight',
                                                          ToDouble())
    same_error(shape_change)
    same_error(dtype_change)
    same_error(lambda mod: mod.nn.utils.parametrize.register_parametrization(
        mod.nn.Linear(2, 2), 'nothing', _scale(mod)))
    same_error(lambda mod: mod.nn.utils.parametrize.remove_parametrizations(
        mod.nn.Linear(2, 2), 'weight'))
    with pytest.raises(RuntimeError, match='only supported through state_dict'):
        import pickle
        pickle.dumps(nm)
    import copy
    nm2 = copy.deepcopy(nm)
    np.testing.assert_allclose(_np(nm2.weight), _np(nm.weight))


# ---------------------------------------------------------------------- orthogonal
@pytest.mark.parametrize('omap', ['matrix_exp', 'cayley', 'householder'])
@pytest.mark.parametrize('shape', [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_matches_torch(omap, shape):
    """The same original tensor and base through the map: same orthogonal weight and gradient."""
    a = np.random.default_rng(7).standard_normal(shape).astype(np.float64)
    # a point of the parametrization: strictly lower part free, diagonal -1 as right_inverse
    # leaves it (householder reads the diagonal's sign; the other maps ignore it)
    orig = np.tril(a, -1) * 0.3 if shape[0] >= shape[1] else np.triu(a, 1) * 0.3
    np.fill_diagonal(orig, -1.0)
    base = None
    res = []
    for mod in (torch, numtorch):
        m = mod.nn.Linear(shape[1], shape[0], bias=False).double()
        with mod.no_grad():
            m.weight.copy_(mod.tensor(a))
        mod.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap)
        orth = m.parametrizations.weight
        with mod.no_grad():
            if base is None:
                base = orth[0].base.numpy().copy()
            else:
                orth[0].base.copy_(mod.tensor(base))
            orth.original.copy_(mod.tensor(orig))
        W = m.weight
        (W * mod.tensor(np.arange(W.numel()).reshape(tuple(W.shape)) / 10.)).sum().backward()
        res.append((_np(W), _np(orth.original.grad), list(m.state_dict())))
    (tw, tg, tk), (nw, ng, nk) = res
    np.testing.assert_allclose(nw, tw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ng, tg, rtol=1e-8, atol=1e-10)
    assert nk == tk
    n = min(shape)
    WtW = nw.T @ nw if shape[0] >= shape[1] else nw @ nw.T
    np.testing.assert_allclose(WtW, np.eye(n), atol=1e-10)


def test_orthogonal_errors_match_torch():
    same_error(lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3),
                                                                orthogonal_map='qr'))
    same_error(lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3), 'bias'))
    same_error(lambda m: m.nn.utils.parametrizations.orthogonal(m.nn.Linear(3, 3), 'w'))


# ---------------------------------------------------------------------- stateless
def test_functional_call_matches_torch_and_restores():
    a = np.random.default_rng(8).standard_normal((2, 3)).astype(np.float32)
    x = np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32)
    res = []
    for mod in (numtorch, torch):
        net = mod.nn.Sequential(mod.nn.Linear(3, 2), mod.nn.BatchNorm1d(2))
        w0 = net[0].weight
        new_w = mod.tensor(a, requires_grad=True)
        with pytest.warns(FutureWarning, match='functional_call'):
            y = mod.nn.utils.stateless.functional_call(
                net, {'0.weight': new_w, '0.bias': mod.zeros(2)}, mod.tensor(x))
        y.pow(2).sum().backward()
        assert net[0].weight is w0 and w0.grad is None
        res.append((_np(y), _np(new_w.grad), _np(net[1].running_mean)))
    for p, q in zip(*res):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)

    def strict(m):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            m.nn.utils.stateless.functional_call(m.nn.Linear(2, 1), {'weight': m.ones(1, 2),
                                                                     'extra': m.ones(1)},
                                                 (m.ones(1, 2),), strict=True)
    same_error(strict)

    def tied(m):
        net = m.nn.Sequential(m.nn.Linear(2, 2, bias=False), m.nn.Linear(2, 2, bias=False))
        net[1].weight = net[0].weight
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            m.nn.utils.stateless.functional_call(net, {'0.weight': m.ones(2, 2),
                                                       '1.weight': m.zeros(2, 2)}, m.ones(1, 2))
    same_error(tied)
