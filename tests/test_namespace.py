"""numtorch's public namespaces hold only torch's names (issue 9: no internal name leaks).

Every public name (no leading underscore) of a numtorch namespace must exist in the torch
counterpart (``dir`` or ``hasattr``, since torch loads some submodules lazily). The exemptions are
listed below, each with its reason; a stale exemption (the name is gone or torch gained it) fails.
"""
import importlib

import pytest
import torch

import numtorch

# namespace -> {name: why numtorch may have it although torch does not}
EXEMPT = {
    'numtorch': {
        'examples': "numtorch's bundled example programs (python -m numtorch.examples...); an "
                    'attribute once imported',
        'vision': "numtorch's torchvision-like datasets/transforms (torchvision is a separate "
                  'package for torch); an attribute once imported'},
    'numtorch.Tensor': {},
    'numtorch.nn': {},
    'numtorch.nn.functional': {},
    'numtorch.linalg': {},
    'numtorch.special': {},
    'numtorch.fft': {},
}


def _resolve(path, root):
    obj = root
    for part in path.split('.')[1:]:
        obj = getattr(obj, part)
    return obj


def _extra(path):
    ours = _resolve(path, numtorch)
    theirs = _resolve(path, torch)
    names = set(dir(theirs))
    return sorted(n for n in dir(ours)
                  if not n.startswith('_') and n not in names and not hasattr(theirs, n))


@pytest.mark.parametrize('path', sorted(EXEMPT))
def test_public_names_are_torch_names(path):
    importlib.import_module('torch.nn.functional')
    if path == 'numtorch':   # every subpackage, imported (as the full suite would)
        importlib.import_module('numtorch.examples')
        importlib.import_module('numtorch.vision')
    extra = _extra(path)
    unexplained = [n for n in extra if n not in EXEMPT[path]]
    assert not unexplained, f'{path} has names torch lacks: {unexplained}'
    stale = sorted(set(EXEMPT[path]) - set(extra))
    assert not stale, f'{path}: stale exemptions {stale}'


def test_method_only_and_function_only_names():
    """The registry's two exclusions: view is a Tensor method only, cat a function only."""
    assert hasattr(numtorch.Tensor, 'view') and not hasattr(numtorch, 'view')
    assert hasattr(numtorch.Tensor, 'add_') and not hasattr(numtorch, 'add_')
    assert hasattr(numtorch, 'cat') and not hasattr(numtorch.Tensor, 'cat')
    assert hasattr(numtorch, 'std_mean') and not hasattr(numtorch.Tensor, 'std_mean')
    assert numtorch.exp is numtorch.Tensor.exp


def test_every_registered_name_is_torchs():
    """Each ops module's declarations agree with torch: __all__ names are torch-level functions,
    those not in FUNCTION_ONLY are torch Tensor methods too, METHODS names are Tensor attributes."""
    from numtorch import _registry
    for mod in _registry.MODULES:
        only = getattr(mod, 'FUNCTION_ONLY', set())
        assert only <= set(mod.__all__), (mod.__name__, only - set(mod.__all__))
        for name in mod.__all__:
            assert hasattr(torch, name), (mod.__name__, name)
            if name not in only:
                assert hasattr(torch.Tensor, name), (mod.__name__, name, 'FUNCTION_ONLY?')
        for name in getattr(mod, 'METHODS', {}):
            assert hasattr(torch.Tensor, name) or name in ('_check_inplace', '_inplace'), \
                (mod.__name__, name)
