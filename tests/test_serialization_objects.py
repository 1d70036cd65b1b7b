"""save/load of ordinary Python objects (issue 13): pickled by reference as torch does; load
stays weights-only by default, extended only by add_safe_globals/safe_globals; weights_only=False
is the explicit opt-in for trusted files. Checked against torch 2.13 both ways."""
import argparse
import collections
import io
import pickle

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn
from numtorch.serialization import (UnpicklingError, add_safe_globals, clear_safe_globals,
                                    get_safe_globals, safe_globals)

NP_GLOBALS = [np.ndarray, np.dtype, type(np.dtype(np.float64)), type(np.dtype(np.int64))]
try:
    NP_GLOBALS.append(np._core.multiarray._reconstruct)
except AttributeError:   # NumPy 1.x
    NP_GLOBALS.append(np.core.multiarray._reconstruct)


class Config:   # module level: picklable by reference
    def __init__(self, lr):
        self.lr = lr

    def __eq__(self, other):
        return type(other) is Config and other.lr == self.lr


class Slotted:
    __slots__ = ('a', 'b')

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __getstate__(self):
        return (self.a, self.b)

    def __setstate__(self, state):
        self.a, self.b = state


def _bytes(obj, saver=numtorch.save):
    b = io.BytesIO()
    saver(obj, b)
    return b.getvalue()


def _load(data, **kw):
    return numtorch.load(io.BytesIO(data), **kw)


@pytest.fixture(autouse=True)
def _clean_allowlist():
    clear_safe_globals()
    yield
    clear_safe_globals()


def test_whole_model_and_optimizer_round_trip_with_weights_only_false():
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    opt = numtorch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(numtorch.randn(4, 3)).sum().backward()
    opt.step()
    data = _bytes({'model': net, 'opt': opt, 'epoch': 3})
    with pytest.raises(UnpicklingError, match='rejected global.*add_safe_globals'):
        _load(data)                                   # safe by default
    out = _load(data, weights_only=False)
    net2, opt2 = out['model'], out['opt']
    x = numtorch.randn(5, 3)
    assert bool((net2(x) == net(x)).all()) and out['epoch'] == 3
    assert net2[0].weight is opt2.param_groups[0]['params'][0]   # identity kept, as pickle
    assert isinstance(net2[0].weight, nn.Parameter)
    sd, sd2 = opt.state_dict(), opt2.state_dict()
    assert sd2['param_groups'] == sd['param_groups']
    assert bool((sd2['state'][0]['momentum_buffer'] == sd['state'][0]['momentum_buffer']).all())


def test_numpy_and_namespace_interchange_with_torch_both_ways():
    obj = {'a': np.arange(6.).reshape(2, 3), 'ns': argparse.Namespace(lr=0.1, name='x'),
           'cfg': Config(0.5), 'w': numtorch.arange(4.)}
    mine = _bytes(obj)
    tobj = dict(obj, w=torch.arange(4.))
    theirs = _bytes(tobj, torch.save)
    for data in (mine, theirs):
        got = _load(data, weights_only=False)
        np.testing.assert_array_equal(got['a'], obj['a'])
        assert got['ns'] == obj['ns'] and got['cfg'] == obj['cfg']
        assert got['w'].tolist() == [0.0, 1.0, 2.0, 3.0]
        with safe_globals(NP_GLOBALS + [argparse.Namespace, Config]):
            safe = _load(data)   # weights-only, with the user's allowlist
        np.testing.assert_array_equal(safe['a'], obj['a'])
        assert safe['ns'] == obj['ns'] and safe['cfg'] == obj['cfg']
        with pytest.raises(UnpicklingError):
            _load(data)
    t = torch.load(io.BytesIO(mine), weights_only=False)
    assert t['w'].tolist() == [0.0, 1.0, 2.0, 3.0] and t['ns'] == obj['ns']
    with torch.serialization.safe_globals(NP_GLOBALS + [argparse.Namespace, Config]):
        t = torch.load(io.BytesIO(mine), weights_only=True)   # torch's weights-only reads it
    np.testing.assert_array_equal(t['a'], obj['a'])


def test_tensors_keep_writing_torch_bytes():
    # tensors and containers still take the fast path: byte-for-byte what torch writes
    sd = collections.OrderedDict(w=numtorch.ones(2, 2))
    assert b'numtorch' not in _bytes(sd)
    data = _bytes({'sd': sd, 'ns': argparse.Namespace(k=1), 'size': numtorch.Size([2]),
                   'dt': numtorch.float16, 'p': nn.Parameter(numtorch.zeros(2)),
                   'u': numtorch.tensor([1, 2], dtype=numtorch.uint16)})
    t = torch.load(io.BytesIO(data), weights_only=False)
    assert t['size'] == torch.Size([2]) and t['dt'] is torch.float16
    assert isinstance(t['p'], torch.nn.Parameter) and t['u'].dtype == torch.uint16
    n = _load(data, weights_only=False)
    assert n['size'] == numtorch.Size([2]) and n['dt'] is numtorch.float16
    assert isinstance(n['p'], nn.Parameter) and n['u'].tolist() == [1, 2]


def test_safe_globals_api_matches_torch():
    assert get_safe_globals() == []
    add_safe_globals([Config, (Slotted, f'{__name__}.Slotted')])
    assert get_safe_globals() == [Config, (Slotted, f'{__name__}.Slotted')]
    with safe_globals([argparse.Namespace]):
        assert get_safe_globals()[-1] is argparse.Namespace
    assert len(get_safe_globals()) == 2
    clear_safe_globals()
    assert get_safe_globals() == []
    with pytest.raises(TypeError):
        add_safe_globals([3])


def test_user_classes_get_setstate_and_newobj_as_torch():
    data = _bytes({'s': Slotted(1, [2, 3]), 'c': Config(1)})
    with safe_globals([Slotted, Config]):
        out = _load(data)
    assert (out['s'].a, out['s'].b) == (1, [2, 3]) and out['c'] == Config(1)
    with torch.serialization.safe_globals([Slotted, Config]):
        t = torch.load(io.BytesIO(data), weights_only=True)
    assert (t['s'].a, t['s'].b) == (1, [2, 3])


def test_allowlisted_objects_are_still_bounded():
    # a memoised 10,000-entry state copied into an allowlisted object 1000 times: charged
    # every time (10 M dict entries from a 200 KB file)
    items = b''.join(b'\x8c' + bytes([len(k)]) + k + b'N' for k in
                     (f'k{i}'.encode() for i in range(10_000)))
    state = b'}(' + items + b'uq\x000'
    one = b'c' + __name__.encode() + b'\nConfig\n)\x81h\x00b'
    pkl = b'\x80\x02' + state + b'](' + one * 1000 + b'e.'
    from test_serialization_bounds import archive
    with safe_globals([Config]):
        with pytest.raises(UnpicklingError, match='budget'):
            _load(archive(pkl))


def test_local_objects_cannot_be_pickled_by_reference():
    class Local:
        pass
    with pytest.raises((pickle.PicklingError, AttributeError)):
        _bytes({'x': Local()})


def test_whole_torch_model_loads_as_the_numtorch_model_with_weights_only_false():
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    net = _load(_bytes(tnet, torch.save), weights_only=False)
    assert isinstance(net[0], nn.Linear) and isinstance(net[0].weight, nn.Parameter)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(net(numtorch.from_numpy(x)).detach().numpy(),
                               tnet(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
