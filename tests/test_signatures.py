"""Every public numtorch function accepts torch's keyword names (``torch.flip(a, dims=[1])``).

torch's Python functions are read with ``inspect.signature``; its builtins have none, so their
names come from the ATen operator schemas (``torch._C._jit_get_schemas_for_operator``), taking
the names every non-``out``, non-named-dim overload shares.
"""
import inspect

import pytest
import torch

import numtorch

# Keywords a CPU/NumPy build has no use for (torch's placement, layout and RNG stream objects are
# accepted where numtorch documents them, so they are not required here).
NOT_REQUIRED = {'out', 'dtype', 'layout', 'device', 'pin_memory', 'memory_format', 'generator',
                'names', 'self'}
EXEMPT = {   # name -> why numtorch does not take that keyword
    'torch.layer_norm': 'cudnn_enable is a switch for NVIDIA cuDNN, which numtorch never uses',
    'torch.group_norm': 'cudnn_enabled is a switch for NVIDIA cuDNN, which numtorch never uses',
    'torch.nn.functional.elu_': "ATen's scale/input_scale are internal (SELU/CELU reuse ELU's "
                                "kernel); torch documents elu_(input, alpha=1.)",
}
NAMESPACES = [(torch, numtorch), (torch.nn.functional, numtorch.nn.functional),
              (torch.linalg, numtorch.linalg)]


def _torch_names(fn, op):
    try:
        sig = inspect.signature(fn)
        return {p.name for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    except (ValueError, TypeError):
        pass
    schemas = [s for s in torch._C._jit_get_schemas_for_operator('aten::' + op)
               if not s.overload_name.endswith('out') and 'Dimname' not in str(s)
               and 'names' not in s.overload_name]
    return set.intersection(*[{a.name for a in s.arguments} for s in schemas]) if schemas else None


def _numtorch_names(fn):
    try:
        sig = inspect.signature(fn)
    except (ValueError, TypeError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return None          # takes any keyword
    return {p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _pairs():
    for tmod, nmod in NAMESPACES:
        for name in sorted(dir(nmod)):
            nf = getattr(nmod, name)
            if name.startswith('_') or not hasattr(tmod, name) or not callable(nf) \
                    or isinstance(nf, type) or inspect.ismodule(nf):
                continue
            op = 'linalg_' + name if tmod is torch.linalg else name
            yield f'{tmod.__name__}.{name}', nf, getattr(tmod, name), op


def test_every_function_takes_torchs_keyword_names():
    missing, checked = {}, 0
    for qual, nf, tf, op in _pairs():
        ours, theirs = _numtorch_names(nf), _torch_names(tf, op)
        if ours is None or theirs is None:
            continue
        checked += 1
        lack = sorted(theirs - ours - NOT_REQUIRED)
        if lack and qual not in EXEMPT:
            missing[qual] = lack
    assert checked > 300       # the audit really ran over the namespaces
    assert not missing, missing


def test_exemptions_are_still_needed():
    for qual, nf, tf, op in _pairs():
        if qual in EXEMPT:
            assert _torch_names(tf, op) - (_numtorch_names(nf) or set()) - NOT_REQUIRED, qual


@pytest.mark.parametrize('call', [
    lambda m: m.flip(m.arange(6.).reshape(2, 3), dims=[1]),
    lambda m: m.arange(6.).reshape(2, 3).flip(dims=[0, 1]),
    lambda m: m.arange(6.).reshape(2, 3).flip(1),
    lambda m: m.arange(6.).reshape(2, 3).flip((0,)),
    lambda m: m.reshape(m.arange(6.), shape=(3, 2)),
    lambda m: m.arange(6.).reshape(shape=(3, 2)),
    lambda m: m.swapaxes(m.arange(6.).reshape(2, 3), axis0=0, axis1=1),
    lambda m: m.swapdims(m.arange(6.).reshape(2, 3), dim0=0, dim1=1),
])
def test_keyword_calls_like_torch(call):
    n, t = call(numtorch), call(torch)
    assert n.tolist() == t.tolist()


def test_promote_types_keywords():
    assert str(numtorch.promote_types(type1=numtorch.int32, type2=numtorch.float32)) == \
        str(torch.promote_types(type1=torch.int32, type2=torch.float32))
