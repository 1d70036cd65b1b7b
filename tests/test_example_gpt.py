"""numtorch/examples/gpt.py runs under numtorch and, as the very same file with its
``import numtorch as torch`` line reading ``import torch``, under real PyTorch: from the same
initial weights and batches the training losses agree to float32 rounding."""
import os
import subprocess
import sys
import types

import numpy as np
import torch

import numtorch
from numtorch.examples import gpt as nt_gpt

ROOT = os.path.join(os.path.dirname(__file__), '..')
IMPORT_LINE = 'import numtorch as torch\n'


def _as_torch_module():
    """gpt.py executed with torch in place of numtorch (nothing else changed)."""
    src = open(nt_gpt.__file__).read()
    assert src.count(IMPORT_LINE) == 1
    mod = types.ModuleType('gpt_torch')
    mod.__file__ = nt_gpt.__file__
    exec(compile(src.replace(IMPORT_LINE, 'import torch\n'), nt_gpt.__file__, 'exec'),
         mod.__dict__)
    assert mod.torch is torch
    return mod


def test_gpt_losses_match_torch_from_the_same_weights():
    th_gpt = _as_torch_module()
    text = nt_gpt.make_text(80)
    tok = nt_gpt.CharTokenizer(text)
    data = np.array(tok.encode(text), dtype=np.int64)
    cfg = dict(vocab_size=tok.vocab_size, block_size=16, n_layer=2, n_head=2, d_model=32)
    torch.manual_seed(0)
    tm = th_gpt.GPT(**cfg)
    nm = nt_gpt.GPT(**cfg)
    sd = tm.state_dict()
    assert list(nm.state_dict()) == list(sd)
    nm.load_state_dict({k: numtorch.tensor(v.numpy()) for k, v in sd.items()})
    assert nm.head.weight is nm.tok_emb.weight       # tying survives the load
    kw = dict(steps=6, block_size=16, batch_size=4, lr=3e-3, seed=1)
    lt = th_gpt.train(tm, data, **kw)
    ln = nt_gpt.train(nm, data, **kw)
    assert len(lt) == len(ln) == 6
    assert lt[-1] < lt[0]                               # it learns
    np.testing.assert_allclose(ln, lt, rtol=2e-5, atol=2e-5)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(nm.state_dict()[k].numpy(), v.numpy(), rtol=1e-3, atol=2e-5)
    out = nm.generate(numtorch.zeros(1, 1, dtype=numtorch.int64), 5, top_k=3)
    assert tuple(out.shape) == (1, 6)


def test_gpt_runs_as_a_module():
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT), OPENBLAS_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-m', 'numtorch.examples.gpt', '--steps', '2',
                        '--block-size', '8', '--batch-size', '2', '--d-model', '16',
                        '--n-layer', '1', '--sample', '10'],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'step     1  loss' in r.stdout
    assert r.stdout.rstrip().split('\n')[-1]            # the generated sample
