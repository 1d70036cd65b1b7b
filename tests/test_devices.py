"""Devices: the array decides the backend; CUDA's API and errors; the strict stand-in device.

Without a GPU, ``cuda`` is played by ``numtorch.testing.stand_in`` (arrays that refuse host
conversion and host operands, and count transfers): the ``cuda`` fixture enables it.
"""
import io
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import numtorch
from numtorch import nn
from numtorch.testing import stand_in
from errcheck import same_error

ROOT = os.path.join(os.path.dirname(__file__), '..')


def host(t):
    return stand_in.to_host(t)


# ----------------------------------------------------------------------------- no CUDA here
def test_import_does_not_import_cupy():
    code = 'import sys, numtorch; numtorch.ones(2) + 1; print("cupy" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.stdout.strip() == 'False', out.stderr


@pytest.mark.parametrize('call', [
    lambda m: m.cuda.current_device(), lambda m: m.cuda.synchronize(),
    lambda m: m.cuda.get_device_name(), lambda m: m.ones(2).cuda(),
    lambda m: m.ones(2, device='cuda'), lambda m: m.zeros(2).to('cuda'),
    lambda m: m.cuda.initial_seed(),
    lambda m: m.randn(2, device='cuda'), lambda m: m.nn.Linear(2, 2).cuda(),
])
def test_cuda_calls_fail_as_torch_without_cuda(call):
    if numtorch.cuda.is_available():
        pytest.skip('a CUDA device is present')
    same_error(call)


def test_cuda_queries_without_cuda():
    if numtorch.cuda.is_available():
        pytest.skip('a CUDA device is present')
    for name in ('is_available', 'device_count', 'memory_allocated', 'max_memory_allocated'):
        assert getattr(numtorch.cuda, name)() == getattr(torch.cuda, name)()
    assert numtorch.cuda.manual_seed(0) is None and numtorch.cuda.manual_seed_all(0) is None
    numtorch.cuda.empty_cache()
    x = numtorch.ones(2)
    assert (x.device, x.is_cuda, x.get_device()) == (numtorch.device('cpu'), False, -1)
    assert x.cpu() is x and x.to('cpu') is x


# ----------------------------------------------------------------------------- the stand-in
def test_stand_in_is_strict(cuda):
    a = numtorch.ones(3, device='cuda')._data
    with pytest.raises(TypeError, match='Implicit conversion'):
        np.asarray(a)
    with pytest.raises(stand_in.HostOperandError):
        a + np.ones(3)
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        numtorch.ones(2, device='cuda').numpy()
    stand_in.transfers.update(h2d=0, d2h=0)
    x = numtorch.tensor([1., 2.], device='cuda')   # Python data crosses once
    y = (x * x + 1).exp().sum()
    assert stand_in.transfers == {'h2d': 1, 'd2h': 0}
    y.item()
    assert stand_in.transfers == {'h2d': 1, 'd2h': 1}


def test_device_follows_the_array(cuda):
    x = numtorch.arange(6.).reshape(2, 3)
    y = x.cuda()
    assert str(y.device) == 'cuda:0' and y.is_cuda and y.get_device() == 0
    assert y.device == numtorch.device('cuda', 0) == 'cuda:0'
    assert (y * 2 + 1).device == y.device and y.T.device == y.device and y[0].device == y.device
    assert y.cpu().device.type == 'cpu' and y.cuda() is y and y.to(y) is y
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    assert y.to('cpu', numtorch.float64).dtype == numtorch.float64
    assert x.to('cuda:0', non_blocking=True).device == y.device
    assert numtorch.zeros_like(y).device == y.device and y.new_ones(2).device == y.device
    assert y.new_tensor([1, 2]).device == y.device and x.new_zeros(2, device='cuda').is_cuda
    assert repr(y) == ("tensor([[1., 1., 1.],\n        [1., 1., 1.]], device='cuda:0')"
                       .replace('1., 1., 1.]]', '3., 4., 5.]]').replace('[[1., 1., 1.]', '[[0., 1., 2.]'))


def test_to_device_is_differentiable(cuda):
    x = numtorch.tensor([1., 2., 3.], requires_grad=True)
    y = x.cuda()
    assert y.grad_fn.name() == 'ToCopyBackward0'
    (y * y).sum().backward()
    assert x.grad.device.type == 'cpu' and x.grad.tolist() == [2., 4., 6.]
    w = numtorch.ones(3, device='cuda', requires_grad=True)
    (w.cpu() * 3).sum().backward()
    assert w.grad.is_cuda and host(w.grad).tolist() == [3., 3., 3.]


def test_mixing_devices_raises_torchs_error(cuda):
    msg = ('Expected all tensors to be on the same device, but found at least two devices, '
           'cuda:0 and cpu!')
    a, b = numtorch.ones(2, device='cuda'), numtorch.ones(2)
    for f in (lambda: a + b, lambda: b * a, lambda: numtorch.cat([a, b]),
              lambda: numtorch.stack([b, a]),
              lambda: nn.functional.linear(b[None], numtorch.ones(3, 2, device='cuda'))):
        with pytest.raises(RuntimeError) as e:
            f()
        assert str(e.value) == msg
    # a 0-dim CPU tensor is allowed in a device op, as in torch
    assert host(a + numtorch.tensor(2.)).tolist() == [3., 3.]
    assert (2 - a).is_cuda and (2 / a).is_cuda and (a ** 2).is_cuda


def test_factories_build_on_the_device(cuda):
    stand_in.transfers.update(h2d=0, d2h=0)
    made = [numtorch.zeros(2, 3, device='cuda'), numtorch.ones(2, device='cuda'),
            numtorch.full((2,), 7, device='cuda'), numtorch.eye(3, device='cuda'),
            numtorch.arange(5, device='cuda'), numtorch.logspace(0, 1, 5, device='cuda'),
            numtorch.empty(3, device=numtorch.device('cuda')), numtorch.rand(3, device='cuda'),
            numtorch.randn(2, device='cuda'), numtorch.randint(0, 5, (3,), device='cuda'),
            numtorch.randperm(4, device='cuda')]
    assert all(t.is_cuda for t in made)
    assert stand_in.transfers == {'h2d': 0, 'd2h': 0}
    assert host(made[4]).tolist() == [0, 1, 2, 3, 4]
    # linspace computes torch's exact formula on the host, then crosses once
    assert numtorch.linspace(0, 1, 5, device='cuda').is_cuda and stand_in.transfers['h2d'] == 1
    with pytest.raises(RuntimeError, match='invalid device ordinal'):
        numtorch.ones(2, device='cuda:1')


def test_default_device_is_followed_by_the_factories(cuda):
    numtorch.set_default_device('cuda')
    try:
        made = [numtorch.zeros(2), numtorch.tensor([1., 2.]), numtorch.arange(3),
                numtorch.full((2,), 1.), numtorch.eye(2)]
        assert all(t.is_cuda for t in made)
    finally:
        numtorch.set_default_device(None)
    assert numtorch.zeros(2).device.type == 'cpu'


def test_one_generator_per_device(cuda):
    numtorch.manual_seed(0)
    cpu_only = numtorch.randn(4).tolist()
    numtorch.manual_seed(0)
    numtorch.randn(4, device='cuda')           # draws from the CUDA generator ...
    assert numtorch.randn(4).tolist() == cpu_only   # ... so the CPU stream is untouched
    numtorch.cuda.manual_seed(3)
    a = host(numtorch.rand(3, device='cuda'))
    numtorch.cuda.manual_seed_all(3)
    assert np.array_equal(a, host(numtorch.rand(3, device='cuda')))
    w = numtorch.empty(100, device='cuda').uniform_(-1, 1)
    assert w.is_cuda and -1 <= host(w).min() and host(w).max() < 1
    assert numtorch.cuda.initial_seed() == 3


def test_cuda_api_on_the_stand_in(cuda):
    m = numtorch.cuda
    assert m.is_available() and m.device_count() == 1 and m.current_device() == 0
    m.set_device(0)
    m.synchronize()
    assert isinstance(m.get_device_name(0), str) and m.memory_allocated() >= 0
    assert m.max_memory_allocated() >= 0 and m.empty_cache() is None
    with pytest.raises(RuntimeError, match='invalid device ordinal'):
        m.set_device(1)
    with m.device(0):
        assert m.current_device() == 0
    acc = numtorch.accelerator
    assert acc.is_available() and acc.current_accelerator() == numtorch.device('cuda')
    assert acc.device_count() == 1 and acc.current_device_index() == 0
    assert numtorch.ones(2).pin_memory().device.type == 'cpu'


def test_module_to_keeps_parameter_identity(cuda):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    w = net[0].weight
    assert net.to('cuda') is net and net[0].weight is w and w.is_cuda
    assert net[1].running_mean.is_cuda
    net.cpu()
    assert net[0].weight is w and w.device.type == 'cpu'
    net.cuda()
    net.to(numtorch.float64)
    assert w.is_cuda and w.dtype == numtorch.float64
    net.to('cpu', numtorch.float32)
    assert w.device.type == 'cpu' and w.dtype == numtorch.float32


def test_save_load_map_location(cuda, tmp_path):
    sd = {'w': numtorch.arange(4.).cuda(), 'n': 3, 'c': numtorch.ones(2)}
    buf = io.BytesIO()
    numtorch.save(sd, buf)
    pkl = zipfile.ZipFile(buf).read('archive/data.pkl')
    assert b'cuda:0' in pkl and b'cpu' in pkl   # torch's location strings, per storage
    buf.seek(0)
    out = numtorch.load(buf)
    assert out['w'].is_cuda and out['c'].device.type == 'cpu'
    for ml in ('cpu', numtorch.device('cpu'), {'cuda:0': 'cpu'}, lambda s, loc: s):
        buf.seek(0)
        out = numtorch.load(buf, map_location=ml)
        assert out['w'].device.type == 'cpu' and out['w'].tolist() == [0., 1., 2., 3.]
    buf.seek(0)
    assert numtorch.load(buf, map_location='cuda')['c'].is_cuda
    buf.seek(0)
    assert torch.load(buf, map_location='cpu')['w'].tolist() == [0., 1., 2., 3.]
    stand_in.disable()   # now a machine without CUDA
    buf.seek(0)
    with pytest.raises(RuntimeError) as e:
        numtorch.load(buf)
    assert str(e.value) == (
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
        "False. If you are running on a CPU-only machine, please use torch.load with "
        "map_location=torch.device('cpu') to map your storages to the CPU.")
    buf.seek(0)
    assert numtorch.load(buf, map_location='cpu')['w'].tolist() == [0., 1., 2., 3.]


# ----------------------------------------------------------------------------- training
def _train(dev, opt_cls):
    numtorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.LayerNorm(16), nn.Linear(16, 3))
    net.to(dev)
    opt = opt_cls(net.parameters(), lr=0.05)
    x = numtorch.randn(8, 6).to(dev)
    y = numtorch.tensor([0, 1, 2, 0, 1, 2, 0, 1]).to(dev)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [stand_in.to_host(p).copy() for p in net.parameters()], opt


@pytest.mark.parametrize('opt_cls', [numtorch.optim.SGD, numtorch.optim.Adam,
                                     numtorch.optim.AdamW, numtorch.optim.RMSprop,
                                     numtorch.optim.Adagrad])
def test_training_on_the_device_matches_the_cpu_bit_for_bit(cuda, opt_cls):
    cpu_losses, cpu_params, _ = _train('cpu', opt_cls)
    stand_in.transfers.update(h2d=0, d2h=0)
    losses, params, opt = _train('cuda', opt_cls)
    assert losses == cpu_losses
    assert all(np.array_equal(a, b) for a, b in zip(params, cpu_params))
    # the only copies back: per step, loss.item() and cross_entropy's target-range check (one
    # sync; torch's CUDA kernel asserts on the device instead)
    assert stand_in.transfers['d2h'] == 3 * 2
    for p in opt.param_groups[0]['params']:
        for k, v in opt.state.get(p, {}).items():
            if isinstance(v, numtorch.Tensor) and k != 'step':
                assert v.is_cuda, k   # optimizer state lives on the parameter's device


@pytest.mark.parametrize('model', ['lenet', 'lenet-bn'])
def test_lenet_trains_on_the_device_as_on_the_cpu(cuda, model):
    from numtorch.examples._models import build_model
    out = {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        net = build_model(model, numtorch).to(dev)
        opt = numtorch.optim.SGD(net.parameters(), lr=0.9)
        x, y = numtorch.randn(4, 1, 28, 28).to(dev), numtorch.tensor([1, 2, 3, 4]).to(dev)
        for _ in range(2):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
        out[dev] = (loss.item(), [stand_in.to_host(p).copy() for p in net.parameters()])
    assert out['cuda'][0] == out['cpu'][0]
    assert all(np.array_equal(a, b) for a, b in zip(out['cuda'][1], out['cpu'][1]))


# ----------------------------------------------------------------------------- D2L 5.6 (GPUs)
D2L = '''
import numtorch as torch
from numtorch import nn
from numtorch.testing import stand_in
stand_in.enable()
print(torch.device('cpu'), torch.device('cuda'), torch.device('cuda:1'))
print(torch.cuda.device_count())
def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')
def try_all_gpus():
    devices = [torch.device(f'cuda:{i}') for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device('cpu')]
print(try_gpu(), try_gpu(10), try_all_gpus())
x = torch.tensor([1, 2, 3])
print(x.device)
X = torch.ones(2, 3, device=try_gpu())
print(X)
Y = torch.rand(2, 3, device=try_gpu(1))
print(Y.device)
try:
    Z = X.cuda(1)
except RuntimeError as e:
    print('RuntimeError:', str(e).splitlines()[0])
Z = X.cuda(0)
print(Z.cuda(0) is Z)
net = nn.Sequential(nn.LazyLinear(1))
net = net.to(device=try_gpu())
print(net(X).shape, net(X).device)
print(net[0].weight.data.device)
'''

# What torch prints for that code on a machine with one GPU (torch's CUDA error text for an
# invalid ordinal; the rest is torch's repr of devices and of a cuda:0 tensor).
D2L_TORCH = '''cpu cuda cuda:1
1
cuda:0 cpu [device(type='cuda', index=0)]
cpu
tensor([[1., 1., 1.],
        [1., 1., 1.]], device='cuda:0')
cpu
RuntimeError: CUDA error: invalid device ordinal
True
torch.Size([2, 1]) cuda:0
cuda:0
'''


def test_d2l_use_gpu_section_on_the_stand_in():
    out = subprocess.run([sys.executable, '-c', D2L], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.replace('numtorch.Size', 'torch.Size') == D2L_TORCH
    # the device reprs are torch's own
    assert repr(numtorch.device('cuda', 0)) == repr(torch.device('cuda', 0))
    assert str(numtorch.device('cuda:1')) == str(torch.device('cuda:1'))


# ----------------------------------------------------------------------------- the main job
def test_main_job_one_epoch_on_the_stand_in_matches_the_cpu(tmp_path):
    from numtorch.examples import fashion_mnist as fm
    figures = {}
    for dev in ('cpu', 'cuda'):
        ck = tmp_path / f'{dev}.pt'
        lines = []
        with stand_in.enabled():   # parse_args checks --device cuda: the stand-in plays it
            args = fm.parse_args(['--model', 'mlp', '--epochs', '1', '--no-progress', '--device',
                                  dev, '--checkpoint', str(ck)])
            r = fm.run(args, out=lines.append)
            figures[dev] = (r['loss'], r['train_acc'], r['test_acc'])
            assert all(p.device.type == dev for p in r['net'].parameters())
            state = numtorch.load(ck, map_location='cpu')
        assert lines[-1].endswith(f'on {dev}')
        assert all(v.device.type == 'cpu' for v in state['model_state_dict'].values())
    assert figures['cuda'] == figures['cpu']   # bit for bit: same arithmetic, another device


def test_dataloader_batches_a_tensor_dataset_on_the_device(cuda):
    # torch: a TensorDataset of CUDA tensors yields CUDA batches (the batch index goes over too)
    from numtorch.utils.data import DataLoader, TensorDataset
    from devicecheck import same, on_device
    x = numtorch.arange(20.).reshape(10, 2)
    w = numtorch.ones(10, requires_grad=True)          # the differentiable path keeps the graph
    got = {}
    for dev in ('cpu', 'cuda'):
        xs, ws = x.to(dev), w.detach().to(dev).requires_grad_()
        numtorch.manual_seed(0)
        batches = list(DataLoader(TensorDataset(xs, ws, numtorch.arange(10).to(dev)),
                                  batch_size=4, shuffle=True))
        got[dev] = [t for b in batches for t in b]
        batches[0][1].sum().backward()
        got[dev].append(ws.grad)
    on_device(*got['cuda'])
    same(got['cuda'], got['cpu'])


def test_make_grid_stays_on_the_images_device(cuda):
    # torchvision builds the grid with tensor.new_full: it is on the images' device
    from numtorch.vision.utils import make_grid
    from devicecheck import same, on_device
    b = numtorch.rand(5, 3, 4, 4)
    grid = make_grid(b.to('cuda'), nrow=3, padding=1, pad_value=0.5)
    on_device(grid)
    same([grid], [make_grid(b, nrow=3, padding=1, pad_value=0.5)])
