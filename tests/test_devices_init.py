"""``nn.init`` and the random creation ops on the strict stand-in device (``cuda`` without a
GPU), against the CPU bit for bit.

``manual_seed`` seeds the stand-in's generator as the CPU's, so an initializer that draws from the
tensor's device generator gives the CPU's numbers exactly; one that drew from the CPU generator,
or built its values on the host, fails here (the stand-in refuses host operands) or moves the
CPU stream (checked after each device run).
"""
import warnings

import pytest

import numtorch
from numtorch import nn
from numtorch.testing import stand_in
from devicecheck import same, on_device

I = nn.init

# (name, shape, call): every initializer of nn.init, with its non-default arguments
INITS = [
    ('uniform_', (3, 4), lambda t: I.uniform_(t, -2, 3)),
    ('normal_', (3, 4), lambda t: I.normal_(t, 1, 0.5)),
    # > 512 elements: below that the CPU's erf (inside erfinv) is Python's math.erf per element,
    # which can differ from the vectorized kernel a device uses by 1 ulp
    ('trunc_normal_', (24, 24), lambda t: I.trunc_normal_(t, 0.5, 2.0, -1.0, 1.5)),
    ('constant_', (2, 3), lambda t: I.constant_(t, 0.25)),
    ('ones_', (2, 3), I.ones_),
    ('zeros_', (2, 3), I.zeros_),
    ('eye_-tall', (4, 3), I.eye_),
    ('eye_-wide', (2, 5), I.eye_),
    ('dirac_', (4, 2, 3, 3), lambda t: I.dirac_(t, groups=2)),
    ('dirac_-1d', (3, 3, 5), I.dirac_),
    ('xavier_uniform_', (4, 3, 2), lambda t: I.xavier_uniform_(t, gain=2.0)),
    ('xavier_normal_', (4, 3), I.xavier_normal_),
    ('kaiming_uniform_', (5, 3, 2), lambda t: I.kaiming_uniform_(t, a=0.1, mode='fan_out')),
    ('kaiming_normal_', (5, 3), lambda t: I.kaiming_normal_(t, nonlinearity='relu')),
    ('orthogonal_-tall', (5, 3), lambda t: I.orthogonal_(t, gain=1.5)),
    ('orthogonal_-wide', (2, 3, 2), I.orthogonal_),
    ('sparse_', (6, 4), lambda t: I.sparse_(t, 0.5, std=0.1)),
]


def _cpu_stream():
    return numtorch.rand(4)   # the CPU generator's next numbers


@pytest.mark.parametrize('dtype', [numtorch.float32, numtorch.float64], ids=['f32', 'f64'])
@pytest.mark.parametrize('name,shape,call', INITS, ids=[n for n, _, _ in INITS])
def test_init_on_the_device(cuda, name, shape, call, dtype):
    res, nxt = {}, {}
    for dev in ('cpu', 'cuda'):
        numtorch.manual_seed(0)
        t = numtorch.empty(shape, dtype=dtype, device=dev)
        before = dict(stand_in.transfers)
        out = call(t)
        assert stand_in.transfers == before, f'{name} copied between host and device'
        assert out is t
        res[dev] = t
        nxt[dev] = _cpu_stream()
    on_device(res['cuda'])
    same([res['cuda']], [res['cpu']])
    # the device draws came from the device's generator: the CPU stream did not move for cuda
    numtorch.manual_seed(0)
    same([nxt['cuda']], [_cpu_stream()])


def test_init_with_a_private_generator_on_the_device(cuda):
    res = []
    for dev in ('cpu', 'cuda'):
        g = numtorch.Generator().manual_seed(3)
        t = numtorch.empty(32, 20, device=dev)   # > 512 elements: see trunc_normal_ above
        res.append(I.orthogonal_(I.trunc_normal_(t, generator=g), generator=g))
    same(res[1:], res[:1])


def test_init_of_a_device_parameter_keeps_it_a_leaf(cuda):
    lin = nn.Linear(3, 4).to('cuda')
    for f in (I.eye_, I.orthogonal_, I.trunc_normal_, lambda w: I.sparse_(w, 0.3)):
        w = f(lin.weight)
        assert w is lin.weight and w.is_leaf and w.requires_grad and w.grad_fn is None
    on_device(lin.weight)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        I.kaiming_uniform_(numtorch.empty(0, 3, device='cuda'))   # zero elements: a no-op


# ----------------------------------------------------------------------------- default device
RANDOM = [
    ('rand', lambda **kw: numtorch.rand(2, 3, **kw)),
    ('randn', lambda **kw: numtorch.randn(3, 2, dtype=numtorch.float64, **kw)),
    ('randint', lambda **kw: numtorch.randint(2, 9, (4,), **kw)),
    ('randperm', lambda **kw: numtorch.randperm(6, **kw)),
]


@pytest.mark.parametrize('name,make', RANDOM, ids=[n for n, _ in RANDOM])
def test_random_creation_follows_the_default_device(cuda, name, make):
    numtorch.manual_seed(0)
    ref = make()
    assert ref.device.type == 'cpu'
    try:
        numtorch.set_default_device('cuda')
        numtorch.manual_seed(0)
        out = make()
        on_device(out)
        explicit = make(device='cpu')   # device= still wins over the default
        assert explicit.device.type == 'cpu'
    finally:
        numtorch.set_default_device(None)
    same([out], [ref])
    # the device draw left the CPU generator alone: the explicit CPU draw is its first one
    same([explicit], [ref])
    # the default device is back to the CPU, with the CPU's numbers
    numtorch.manual_seed(0)
    again = make()
    assert again.device.type == 'cpu'
    same([again], [ref])


def test_normal_ignores_the_default_device_as_torch(cuda):
    # torch.utils._device leaves torch.normal out of the constructors set_default_device routes
    try:
        numtorch.set_default_device('cuda')
        numtorch.manual_seed(0)
        a = numtorch.normal(0., 1., size=(3,))
        b = numtorch.normal(numtorch.zeros(3), 1.)   # follows its tensor argument
    finally:
        numtorch.set_default_device(None)
    assert a.device.type == 'cpu'
    on_device(b)
