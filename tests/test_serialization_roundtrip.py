"""numtorch.save/load round trips, and interop both ways with real torch 2.13."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn
from numtorch.serialization import CheckpointError
from numtorch._serialization import _zip

DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'uint64',
          'float16', 'float32', 'float64', 'complex64', 'complex128']


def _arr(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 100
    if dtype == 'bool':
        return a > 0
    if dtype.startswith('complex'):
        return (a + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.startswith('uint'):
        return np.abs(a).astype(dtype)
    return a.astype(dtype)


def _nt(a):
    return numtorch.from_numpy(np.ascontiguousarray(a)) if a.ndim else numtorch.tensor(a.item())


def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    numtorch.save(obj, buf)
    buf.seek(0)
    return numtorch.load(buf, **kw), buf


def _same(a, b):
    """numtorch tensor a vs numtorch or torch tensor b: values, dtype, shape, strides."""
    bd = b.numpy() if isinstance(b, torch.Tensor) else b._data
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    if a.numel():   # strides of an empty tensor are a convention, not data
        assert tuple(a.stride()) == tuple(b.stride())
    np.testing.assert_array_equal(a._data, bd)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('shape', [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_every_dtype_roundtrips_and_torch_reads_it(dtype, shape, tmp_path):
    t = _nt(_arr(dtype, shape))
    back, buf = _roundtrip(t)
    _same(back, t)
    buf.seek(0)
    _same(t, torch.load(buf, weights_only=True))


@pytest.mark.parametrize('dtype', DTYPES)
def test_torch_saves_every_dtype_numtorch_loads_it(dtype):
    a = _arr(dtype, (3, 4), seed=1)
    tt = torch.from_numpy(a).t()          # non-contiguous on the torch side too
    buf = io.BytesIO()
    torch.save({'t': tt, 'v': tt[1:, ::2]}, buf)
    buf.seek(0)
    d = numtorch.load(buf)
    _same(d['t'], tt)
    _same(d['v'], tt[1:, ::2])
    assert d['v']._data.base is not None   # still a view into the shared storage


def test_views_share_one_storage_in_numtorch_and_in_torch():
    base = numtorch.arange(24.).reshape(4, 6)
    views = {'base': base, 'row': base[1], 'col': base[:, 2], 't': base.T, 'sl': base[1:3, ::2],
             'flat': base.reshape(-1)[5:]}
    back, buf = _roundtrip(views)
    for k in views:
        _same(back[k], views[k])
        assert back[k].storage_offset() == views[k].storage_offset()
    back['base'][1, 2] = -1.0                     # writes through every view, as before saving
    assert back['row'][2].item() == -1.0 and back['col'][1].item() == -1.0
    assert back['t'][2, 1].item() == -1.0
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    ptrs = {tv[k].untyped_storage().data_ptr() for k in tv}
    assert len(ptrs) == 1
    for k in views:
        _same(views[k], tv[k])
        assert tv[k].storage_offset() == views[k].storage_offset()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert [n for n in z.namelist() if '/data/' in n] == ['archive/data/0']


def test_noncontiguous_negative_and_fortran_layouts():
    a = np.arange(30, dtype=np.float32).reshape(5, 6)
    cases = {'neg': numtorch.Tensor._wrap(a[::-1, ::-2]),
             'fortran': numtorch.Tensor._wrap(np.asfortranarray(a)),
             'expand': numtorch.Tensor._wrap(np.broadcast_to(a[:1], (4, 6)))}
    back, buf = _roundtrip(cases)
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    for k, t in cases.items():
        np.testing.assert_array_equal(back[k]._data, t._data)
        np.testing.assert_array_equal(tv[k].numpy(), t._data)
    assert back['expand'].stride() == (0, 1) and tuple(tv['expand'].stride()) == (0, 1)
    assert back['fortran'].stride() == (1, 5)


def test_nested_containers_and_python_values():
    x = numtorch.arange(4)
    obj = {'list': [x, numtorch.zeros(4)], 'tuple': (1, 2.5, 'é', None, True, False),
           'nested': {'a': [{'b': (x, [x])}]}, 'big': 2 ** 70, 'neg': -5, 'c': 1 + 2j,
           'bytes': b'\x00\xff', 'ba': bytearray(b'ab'), 'set': {1, 2}, 'dtype': numtorch.float16,
           'device': numtorch.device('cpu'), 'size': numtorch.Size([2, 3]), 3: 'int key',
           'np': np.float32(1.5), 'od': collections.OrderedDict(z=1, a=2)}
    back, buf = _roundtrip(obj)
    assert back['nested']['a'][0]['b'][0] is back['nested']['a'][0]['b'][1][0]  # identity kept
    assert back['list'][0] is back['nested']['a'][0]['b'][0]
    for k in ('tuple', 'big', 'neg', 'c', 'bytes', 'ba', 'set', 3, 'np'):
        assert back[k] == obj[k] and type(back[k]) is type(obj[k]) or k == 'np'
    assert back['dtype'] is numtorch.float16 and back['device'] == numtorch.device('cpu')
    assert type(back['size']) is numtorch.Size and back['size'] == (2, 3)
    assert type(back['od']) is collections.OrderedDict and list(back['od']) == ['z', 'a']
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    assert tv['tuple'] == obj['tuple'] and tv['bytes'] == b'\x00\xff' and tv['set'] == {1, 2}
    assert tv['dtype'] is torch.float16 and tv['size'] == torch.Size([2, 3]) and tv['c'] == 1 + 2j
    assert tv['ba'] == bytearray(b'ab') and tv['big'] == 2 ** 70
    assert tv['list'][0] is tv['nested']['a'][0]['b'][0]


def test_spec_examples(tmp_path):
    x = numtorch.arange(4)
    numtorch.save(x, tmp_path / 'x-file')
    assert repr(numtorch.load(tmp_path / 'x-file')) == 'tensor([0, 1, 2, 3])'
    y = numtorch.zeros(4)
    numtorch.save([x, y], str(tmp_path / 'x-files'))
    x2, y2 = numtorch.load(str(tmp_path / 'x-files'))
    assert f'{x2} {y2}' == 'tensor([0, 1, 2, 3]) tensor([0., 0., 0., 0.])'
    numtorch.save({'x': x, 'y': y}, tmp_path / 'mydict')
    assert repr(numtorch.load(tmp_path / 'mydict')) == \
        "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}"


def test_parameters_and_requires_grad():
    p = nn.Parameter(numtorch.randn(2, 3))
    q = nn.Parameter(numtorch.randn(2), requires_grad=False)
    g = numtorch.randn(3, requires_grad=True)
    back, buf = _roundtrip([p, q, g, p])
    assert type(back[0]) is nn.Parameter and back[0].requires_grad and back[0] is back[3]
    assert type(back[1]) is nn.Parameter and not back[1].requires_grad
    assert type(back[2]) is numtorch.Tensor and back[2].requires_grad and back[2].is_leaf
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    assert type(tv[0]) is torch.nn.Parameter and tv[0].requires_grad and tv[0] is tv[3]
    assert type(tv[1]) is torch.nn.Parameter and not tv[1].requires_grad
    assert type(tv[2]) is torch.Tensor and tv[2].requires_grad
    tp = torch.nn.Parameter(torch.ones(2))
    tp.extra = 'hello'
    b2 = io.BytesIO()
    torch.save({'p': tp, 'frozen': torch.nn.Parameter(torch.ones(1), requires_grad=False)}, b2)
    b2.seek(0)
    d = numtorch.load(b2)
    assert type(d['p']) is nn.Parameter and d['p'].extra == 'hello'
    assert not d['frozen'].requires_grad


class MLP(nn.Module):
    def __init__(self, torch_mod=nn):
        super().__init__()
        self.hidden = torch_mod.Linear(20, 256)
        self.output = torch_mod.Linear(256, 10)

    def forward(self, x):
        return self.output(self.hidden(x).relu())


class TorchMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(20, 256)
        self.output = torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(x)))


def test_state_dict_spec_flow_and_interop_both_ways(tmp_path):
    net = MLP()
    X = numtorch.randn(2, 20)
    Y = net(X)
    numtorch.save(net.state_dict(), tmp_path / 'mlp.params')
    clone = MLP()
    clone.load_state_dict(numtorch.load(tmp_path / 'mlp.params'))
    assert bool((clone.eval()(X) == Y).all())
    sd = numtorch.load(tmp_path / 'mlp.params')
    assert type(sd) is collections.OrderedDict and sd._metadata == net.state_dict()._metadata
    # numtorch -> torch
    tnet = TorchMLP()
    tnet.load_state_dict(torch.load(tmp_path / 'mlp.params', weights_only=True))
    tY = tnet(torch.from_numpy(X.numpy()))
    np.testing.assert_allclose(tY.detach().numpy(), Y.detach().numpy(), rtol=1e-5, atol=1e-6)
    # torch -> numtorch
    tnet2 = TorchMLP()
    torch.save(tnet2.state_dict(), tmp_path / 'torch.params')
    net2 = MLP()
    net2.load_state_dict(numtorch.load(tmp_path / 'torch.params'))
    np.testing.assert_allclose(net2(X).detach().numpy(),
                               tnet2(torch.from_numpy(X.numpy())).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    # mmap load of torch's file gives the same module outputs
    net3 = MLP()
    net3.load_state_dict(numtorch.load(tmp_path / 'torch.params', mmap=True))
    assert bool((net3(X) == net2(X)).all())


def test_optimizer_state_shape_roundtrips():
    # the shape of Optimizer.state_dict(): int keys, tensors, floats, tuples, lists, None
    sd = {'state': {0: {'step': numtorch.tensor(3.), 'exp_avg': numtorch.randn(4, 3),
                        'exp_avg_sq': numtorch.rand(4, 3)},
                    1: {'step': numtorch.tensor(3.), 'exp_avg': numtorch.randn(3),
                        'momentum_buffer': None}},
          'param_groups': [{'lr': 1e-3, 'betas': (0.9, 0.999), 'eps': 1e-8, 'weight_decay': 0,
                            'amsgrad': False, 'maximize': False, 'foreach': None,
                            'params': [0, 1]}]}
    back, buf = _roundtrip(sd)
    assert back['param_groups'] == sd['param_groups']
    for i in (0, 1):
        for k, v in sd['state'][i].items():
            _same(back['state'][i][k], v) if v is not None else None
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    assert tv['param_groups'][0]['betas'] == (0.9, 0.999) and tv['state'][0]['step'].item() == 3.0
    topt = torch.optim.Adam(torch.nn.Linear(3, 4).parameters())
    topt.zero_grad()
    list(topt.param_groups[0]['params'])[0].grad = torch.ones(4, 3)
    list(topt.param_groups[0]['params'])[1].grad = torch.ones(4)
    topt.step()
    b2 = io.BytesIO()
    torch.save(topt.state_dict(), b2)
    b2.seek(0)
    d = numtorch.load(b2)
    _same(d['state'][0]['exp_avg'], topt.state_dict()['state'][0]['exp_avg'])
    assert d['param_groups'][0]['lr'] == topt.param_groups[0]['lr']


def test_real_optimizer_state_moves_between_numtorch_and_torch():
    net = nn.Linear(3, 2)
    tnet = torch.nn.Linear(3, 2)
    tnet.load_state_dict(torch.load(io.BytesIO(_roundtrip(net.state_dict())[1].getvalue()),
                                    weights_only=True))
    opt = numtorch.optim.Adam(net.parameters(), lr=0.01)
    x = numtorch.randn(4, 3)
    net(x).sum().backward()
    opt.step()
    back, buf = _roundtrip(opt.state_dict())
    assert back['param_groups'] == opt.state_dict()['param_groups']
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01)
    buf.seek(0)
    topt.load_state_dict(torch.load(buf, weights_only=True))   # torch accepts numtorch's state
    for i, p in enumerate(tnet.parameters()):
        st = topt.state[p]
        _same(opt.state_dict()['state'][i]['exp_avg'], st['exp_avg'])
        assert st['step'].item() == 1.0
    b2 = io.BytesIO()
    torch.save(topt.state_dict(), b2)
    b2.seek(0)
    opt2 = numtorch.optim.Adam(nn.Linear(3, 2).parameters())
    opt2.load_state_dict(numtorch.load(b2))                   # and the reverse
    assert opt2.state_dict()['param_groups'][0]['lr'] == 0.01


def test_uninitialized_parameter_is_refused():
    lazy = nn.LazyLinear(3)
    with pytest.raises(ValueError, match='uninitialized'):
        numtorch.save(lazy.state_dict(), io.BytesIO())


def test_torch_legacy_format_and_bfloat16():
    buf = io.BytesIO()
    base = torch.arange(6.)
    torch.save({'a': base[1:4], 'b': base, 'i': torch.arange(3), 'n': [1, 'x']}, buf,
               _use_new_zipfile_serialization=False)
    buf.seek(0)
    d = numtorch.load(buf)
    _same(d['a'], base[1:4])
    _same(d['i'], torch.arange(3))
    assert d['n'] == [1, 'x']
    buf2 = io.BytesIO()
    torch.save(torch.tensor([1.5, -2.25, 3e38]).bfloat16(), buf2)
    buf2.seek(0)
    pytest.importorskip('ml_dtypes')   # bfloat16 round trips: tests/test_bfloat16.py
    t = numtorch.load(buf2)
    assert t.dtype == numtorch.bfloat16
    np.testing.assert_array_equal(t.float().numpy(),
                                  torch.tensor([1.5, -2.25, 3e38]).bfloat16().float())


def test_zip_layout_matches_torch_and_is_aligned():
    buf = io.BytesIO()
    numtorch.save({'w': numtorch.ones(3, 5), 'b': numtorch.zeros(7)}, buf)
    tbuf = io.BytesIO()
    torch.save({'w': torch.ones(3, 5), 'b': torch.zeros(7)}, tbuf)
    mine = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    theirs = zipfile.ZipFile(io.BytesIO(tbuf.getvalue()))
    assert mine.namelist() == theirs.namelist()
    assert mine.testzip() is None
    for info in mine.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        nlen, elen = np.frombuffer(buf.getvalue(), '<u2', 2, info.header_offset + 26)
        data_off = info.header_offset + 30 + int(nlen) + int(elen)
        assert data_off % 64 == 0
    assert mine.read('archive/data.pkl') == theirs.read('archive/data.pkl')
    assert buf.getvalue()[:64] == tbuf.getvalue()[:64]


def test_forced_zip64_records_read_by_torch_and_zipfile():
    arrs = [np.arange(10, dtype=np.float32), np.ones(3)]
    buf = io.BytesIO()
    w = _zip.ZipWriter(buf, zip64_threshold=16)
    from numtorch._serialization._pickler import Pickler
    from numtorch._serialization._storage import StorageTable
    table = StorageTable()
    pkl = Pickler(table).dump([numtorch.Tensor._wrap(a) for a in arrs])
    w.write_record('archive/data.pkl', pkl)
    for k, a in enumerate(table.data):
        w.write_record(f'archive/data/{k}', a.view('u1'))
    w.write_record('archive/version', b'3\n')
    w.close()
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    assert z.testzip() is None
    buf.seek(0)
    tv = torch.load(buf, weights_only=True)
    buf.seek(0)
    nv = numtorch.load(buf)
    for a, t, n in zip(arrs, tv, nv):
        np.testing.assert_array_equal(t.numpy(), a)
        np.testing.assert_array_equal(n.numpy(), a)


def test_mmap_load_maps_the_file(tmp_path):
    w = numtorch.randn(64, 64)
    numtorch.save({'w': w, 'v': w[3:]}, tmp_path / 'm.pt')
    d = numtorch.load(tmp_path / 'm.pt', mmap=True)
    _same(d['w'], w)
    root = d['v']._data
    while isinstance(root.base, np.ndarray):
        root = root.base
    import mmap
    mem = root.base.obj if isinstance(root.base, memoryview) else root.base
    assert isinstance(mem, mmap.mmap)
    d['w'][0, 0] = 123.0                      # copy-on-write: the file is not modified
    assert d['v'].storage_offset() == 3 * 64
    assert numtorch.load(tmp_path / 'm.pt')['w'][0, 0].item() == w[0, 0].item()
    with pytest.raises(ValueError, match='fileno'):
        b = io.BytesIO((tmp_path / 'm.pt').read_bytes())
        numtorch.load(b, mmap=True)


def test_map_location_and_weights_only_false():
    buf = io.BytesIO()
    numtorch.save(numtorch.ones(2), buf)
    for ml in (None, 'cpu', numtorch.device('cpu'), {'cpu': 'cpu'}, lambda s, loc: s):
        buf.seek(0)
        assert numtorch.load(buf, map_location=ml, weights_only=False).tolist() == [1.0, 1.0]
    pkl = zipfile.ZipFile(buf).read('archive/data.pkl')
    gpu = io.BytesIO()
    w = _zip.ZipWriter(gpu)
    w.write_record('archive/data.pkl', pkl.replace(b'X\x03\x00\x00\x00cpu',
                                                   b'X\x06\x00\x00\x00cuda:0'))
    w.write_record('archive/data/0', np.ones(2, np.float32).view('u1'))
    w.close()
    gpu.seek(0)
    with pytest.raises(CheckpointError, match='map_location'):
        numtorch.load(gpu)
    for ml in ('cpu', {'cuda:0': 'cpu'}):
        gpu.seek(0)
        assert numtorch.load(gpu, map_location=ml).tolist() == [1.0, 1.0]


def test_save_refuses_objects_pickle_cannot_name():
    class Foo:   # a local class: torch.save cannot pickle it by reference either
        pass
    with pytest.raises((pickle.PicklingError, AttributeError), match='Foo'):
        numtorch.save({'x': Foo()}, io.BytesIO())
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match='deeper'):
        numtorch.save(deep, io.BytesIO())
