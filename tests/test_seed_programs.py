"""Every program of the founding spec runs unchanged on numtorch (only the imports swapped) and
prints the same kind of output torch prints: shapes, grad_fn names, ``Parameter containing:``,
the state_dict's OrderedDict, the nested repr, the tied-parameter and save/load checks.

The programs live in ``examples/seed_programs.py`` (verbatim copies of the spec's code blocks);
when the spec itself is reachable, a test checks that they still are verbatim copies.
"""
import contextlib
import copy
import io
import os
import re
import runpy

import numpy as np
import pytest

import numtorch

ROOT = os.path.join(os.path.dirname(__file__), '..')
PROGRAMS = runpy.run_path(os.path.join(ROOT, 'examples', 'seed_programs.py'))['PROGRAMS']
SPEC = os.path.join(ROOT, '..', 'shared', 'spec', 'seed-deep-learning-computation.md')

ADDMM_2x10 = re.compile(r'^tensor\(\[\[(.|\n)*\]\], grad_fn=<AddmmBackward0>\)$')
RGNET = '''Sequential(
  (0): Sequential(
''' + ''.join(f'''    (block {i}): Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=4, bias=True)
      (3): ReLU()
    )
''' for i in range(4)) + '''  )
  (1): Linear(in_features=4, out_features=1, bias=True)
)
'''


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """Run the programs in order in one namespace (as a notebook would); per program keep
    its printed output and a snapshot of the names it bound."""
    numtorch.manual_seed(0)
    ns, outs = {'__name__': '__seed__'}, []
    with contextlib.chdir(tmp_path_factory.mktemp('seed')):
        for title, code in PROGRAMS:
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(compile(code, title, 'exec'), ns)
            snap = dict(ns)
            if 'net' in ns:   # later programs change net's weights in place: keep a copy
                snap['net'] = copy.deepcopy(ns['net'])
            outs.append((buf.getvalue(), snap))
    return outs


def _lines(out):
    return out.rstrip('\n').split('\n')


def test_there_are_26_programs():
    assert len(PROGRAMS) == 26


def test_layers_and_blocks(runs):
    for i in (0, 1, 2):     # nn.Sequential MLP, custom MLP block, MySequential
        out, ns = runs[i]
        assert ADDMM_2x10.match(out.strip()), out
        assert tuple(ns['net'](ns['X']).shape) == (2, 10)
    assert isinstance(runs[2][1]['net'], runs[2][1]['MySequential'])
    assert list(runs[2][1]['net']._modules) == ['0', '1', '2']
    assert len(list(runs[2][1]['net'].parameters())) == 4


def test_forward_with_control_flow_and_nesting(runs):
    for i in (3, 4):        # FixedHiddenMLP, chimera
        out = runs[i][0].strip()
        assert re.fullmatch(r'tensor\(-?\d\.\d{4}(e[+-]\d+)?, grad_fn=<SumBackward0>\)', out), out
    ns = runs[3][1]
    # the constant weight is no parameter; the linear layer's are
    assert [n for n, _ in ns['net'].named_parameters()] == ['linear.weight', 'linear.bias']
    assert not ns['net'].rand_weight.requires_grad
    chimera = runs[4][1]['chimera']
    assert len(list(chimera.parameters())) == 10


def test_parameter_access(runs):
    out, ns = runs[5]
    assert re.fullmatch(r'tensor\(\[\[-?\d\.\d{4}\],\n        \[-?\d\.\d{4}\]\], '
                        r'grad_fn=<AddmmBackward0>\)\n', out), out
    out, ns = runs[6]
    lines = _lines(out)
    assert re.fullmatch(r"OrderedDict\(\[\('weight', tensor\(\[\[.*\]\]\)\), \('bias', "
                        r"tensor\(\[-?\d\.\d{4}\]\)\)\]\)", lines[0]), lines[0]
    assert lines[1] == "<class 'numtorch.nn.parameter.Parameter'>"
    assert lines[2] == 'Parameter containing:'
    assert re.fullmatch(r'tensor\(\[-?\d\.\d{4}\], requires_grad=True\)', lines[3])
    assert re.fullmatch(r'tensor\(\[-?\d\.\d{4}\]\)', lines[4])
    assert lines[5] == 'True'           # net[2].weight.grad == None
    assert lines[6] == "('weight', torch.Size([8, 4])) ('bias', torch.Size([8]))"
    assert lines[7] == ("('0.weight', torch.Size([8, 4])) ('0.bias', torch.Size([8])) "
                        "('2.weight', torch.Size([1, 8])) ('2.bias', torch.Size([1]))")
    assert lines[8] == lines[4]         # state_dict()['2.bias'].data is the same bias


def test_nested_blocks_print_exactly_like_torch(runs):
    out, ns = runs[7]
    assert re.fullmatch(r'tensor\(\[\[-?\d\.\d{4}\],\n        \[-?\d\.\d{4}\]\], '
                        r'grad_fn=<AddmmBackward0>\)\n', out), out
    assert runs[8][0] == RGNET
    assert re.fullmatch(r'tensor\(\[( ?-?\d\.\d{4},\s+){7} ?-?\d\.\d{4}\]\)\n', runs[9][0])
    rgnet = runs[8][1]['rgnet']
    assert rgnet[0][1][0].bias is rgnet.get_parameter('0.block 1.0.bias')


def test_builtin_initialization(runs):
    out, ns = runs[10]
    assert re.fullmatch(r'tensor\(\[.*\]\) tensor\(0\.\)\n', out), out
    out, _ = runs[11]
    assert out == 'tensor([1., 1., 1., 1.])\ntensor(0.)\n'
    out, ns = runs[12]
    lines = _lines(out)
    assert lines[1] == 'tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])'
    bound = (6 / (4 + 8)) ** 0.5
    assert np.abs(ns['net'][0].weight._data).max() <= bound


def test_custom_initialization_zero_pattern(runs):
    out, ns = runs[13]
    lines = _lines(out)
    assert lines[0] == 'Init weight torch.Size([8, 4])'
    assert lines[1] == 'Init weight torch.Size([1, 8])'
    assert lines[-1].endswith('grad_fn=<SliceBackward0>)')
    # snapshot taken before program 15 changed the weights in place
    printed = np.array([float(v) for v in re.findall(r'-?\d+\.\d+', out.split('\n', 2)[2])])
    assert printed.shape == (8,) and ((printed == 0) | (np.abs(printed) >= 5)).all()
    for w in (ns['net'][0].weight._data, ns['net'][2].weight._data):
        assert ((w == 0) | ((np.abs(w) >= 5) & (np.abs(w) <= 10))).all()
    out, ns = runs[14]
    w = ns['net'][0].weight._data
    assert w[0, 0] == 42
    assert out.startswith('tensor([42.0000, ')
    # every other weight is 1 more than a value in {0} U [5, 10] U [-10, -5]
    rest = w.reshape(-1)[1:] - 1
    assert ((rest == 0) | ((np.abs(rest) >= 5) & (np.abs(rest) <= 10))).all()


def test_tied_parameters(runs):
    out, ns = runs[15]
    assert out == ('tensor([True, True, True, True, True, True, True, True])\n' * 2)
    net = ns['net']
    assert net[2].weight is net[4].weight
    assert net[2].weight.data[0, 0].item() == 100
    # gradients of both uses add up in the shared weight
    X = ns['X']
    net.zero_grad()
    net(X).sum().backward()
    g_tied = net[2].weight.grad._data.copy()
    assert np.any(g_tied)


def test_custom_layers(runs):
    assert runs[17][0] == 'tensor([-2., -1.,  0.,  1.,  2.])\n'
    out = runs[18][0].strip()
    m = re.fullmatch(r'tensor\((-?[\d.e+-]+), grad_fn=<MeanBackward0>\)', out)
    assert m and abs(float(m.group(1))) < 1e-6, out
    out, ns = runs[19]
    lines = _lines(out)
    assert lines[0] == 'Parameter containing:'
    assert lines[5].endswith('], requires_grad=True)')
    assert len(lines) == 6 + 2 + 2
    assert 'grad_fn' not in out        # MyLinear uses .data: no graph is recorded
    assert tuple(ns['dense'].weight.shape) == (5, 3)
    assert re.fullmatch(r'tensor\(\[\[\d+\.\d{4}\],\n        \[\d+\.\d{4}\]\]\)', lines[-2] + '\n' + lines[-1])


def test_save_and_load(runs):
    assert runs[22][0] == 'tensor([0, 1, 2, 3]) tensor([0., 0., 0., 0.])\n'
    assert runs[23][0] == "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}\n"
    out, ns = runs[25]
    assert out == '''MLP(
  (hidden): Linear(in_features=20, out_features=256, bias=True)
  (output): Linear(in_features=256, out_features=10, bias=True)
)
tensor([[True, True, True, True, True, True, True, True, True, True],
        [True, True, True, True, True, True, True, True, True, True]])
'''
    assert not ns['clone'].training


def test_state_dict_round_trip_in_memory():
    """The save/load program's model part, through state_dict/load_state_dict alone."""
    from numtorch import nn
    from numtorch.nn import functional as F

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 256)
            self.output = nn.Linear(256, 10)

        def forward(self, x):
            return self.output(F.relu(self.hidden(x)))
    net, clone = MLP(), MLP()
    X = numtorch.randn(size=(2, 20))
    clone.load_state_dict(net.state_dict())
    assert bool((clone.eval()(X) == net(X)).all())


def test_programs_are_the_spec_verbatim():
    if not os.path.exists(SPEC):
        pytest.skip('spec not reachable from this checkout')
    src = open(SPEC, encoding='utf-8').read()
    blocks = re.findall(r'```python\n(.*?)```', src, re.S)
    swap = [('import torch.nn.functional as F', 'import numtorch.nn.functional as F'),
            ('from torch.nn import functional as F', 'from numtorch.nn import functional as F'),
            ('from torch import nn', 'from numtorch import nn'),
            ('import torch\n', 'import numtorch as torch\n')]
    assert len(blocks) == len(PROGRAMS)
    for block, (_, code) in zip(blocks, PROGRAMS):
        for a, b in swap:
            block = block.replace(a, b)
        norm = '\n'.join(line.rstrip() for line in block.split('\n')).strip('\n') + '\n'
        assert norm == code
