"""The README's API-coverage table and not-supported list are current, and the counting rule works.

``python tools/api_coverage.py --write`` regenerates both (README.md between the coverage
markers, and docs/coverage.md); this test fails when either differs from a fresh run.
"""
import importlib.util
import os
import types

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def cov():
    spec = importlib.util.spec_from_file_location('api_coverage',
                                                  os.path.join(REPO, 'tools', 'api_coverage.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_and_docs_are_current(cov):
    for path, text in cov.outputs().items():
        with open(path, encoding='utf-8') as f:
            assert f.read() == text, (f'{os.path.relpath(path, REPO)} is out of date: run '
                                      'python tools/api_coverage.py --write')


def _fn(module, doc='does something'):
    def f():
        pass
    f.__doc__, f.__module__ = doc, module
    return f


def test_counting_rule(cov):
    import torch
    m = types.ModuleType('torch.fake')
    m.documented = _fn('torch.fake')
    m.undocumented = _fn('torch.fake', doc=None)
    m.foreign = _fn('typing')               # a re-export from outside torch
    m._private = _fn('torch.fake')
    m.submodule = types
    m.pi = 3.14                              # a plain constant
    m.float32 = torch.float32                # dtypes count without a docstring
    assert cov.public_names(m, dtype_type=torch.dtype) == ['documented', 'float32']
    m.__all__ = ['undocumented', 'foreign']
    assert cov.public_names(m, dtype_type=torch.dtype) == []
    assert 'Tensor' in cov.public_names(torch, dtype_type=torch.dtype)   # C++ class, documented
    assert 'abs_' not in cov.public_names(torch, dtype_type=torch.dtype)


def test_missing_names_are_really_missing(cov):
    import numtorch
    rows = {ns: (names, missing) for ns, names, missing in cov.measure()}
    names, missing = rows['torch.nn']
    assert 'Linear' in names and 'Linear' not in missing
    assert all(not hasattr(numtorch.nn, n) for n in missing)
    names, missing = rows['torch.Tensor']
    assert 'backward' in names and 'backward' not in missing


def test_unsupported_features_are_probed(cov, monkeypatch):
    monkeypatch.setattr(cov, 'FEATURES', (('works', lambda: True), ('fails', lambda: 1 / 0),
                                          ('false', lambda: False)))
    assert cov.unsupported() == ['fails', 'false']
