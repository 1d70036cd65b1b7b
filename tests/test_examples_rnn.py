"""The recurrent examples run unchanged on numtorch and on PyTorch: the same file (its one
``import numtorch as torch`` line swapped for ``import torch``), the same initial weights (torch's,
loaded into numtorch) and the same batches give the same losses to float32 rounding."""
import os
import re
import types

import numpy as np
import pytest
import torch  # noqa: F401  (imported once at collection, as the other tests do)

import numtorch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r'^import numtorch as torch\b', re.M)   # the framework line


def load_example(name, fw):
    """The example module ``name`` compiled against framework ``fw`` ('numtorch' or 'torch')."""
    path = os.path.join(REPO, 'numtorch', 'examples', name + '.py')
    with open(path, encoding='utf-8') as f:
        src = f.read()
    assert len(LINE.findall(src)) == 1, 'the example must have exactly one framework line'
    if fw == 'torch':
        src = LINE.sub('import torch', src)
    mod = types.ModuleType(f'_example_{name}_{fw}')
    mod.__file__ = path
    exec(compile(src, path, 'exec'), mod.__dict__)
    return mod


def _same_weights(model_t, model_n):
    model_n.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                             for k, v in model_t.state_dict().items()})


def _close(losses_n, losses_t, n_steps):
    assert len(losses_n) == len(losses_t) == n_steps
    # float32 throughout; Adam's first steps move every weight by ~lr whatever the gradient's
    # size, so differences stay at rounding level over a few steps.
    np.testing.assert_allclose(losses_n, losses_t, rtol=2e-5, atol=1e-6)


def test_char_lstm_same_losses_as_torch():
    tm, nm = load_example('char_lstm', 'torch'), load_example('char_lstm', 'numtorch')
    tm.torch.manual_seed(0)
    text, chars, data = nm.load_text()
    mt = tm.CharLSTM(len(chars), embed=8, hidden=16)
    mn = nm.CharLSTM(len(chars), embed=8, hidden=16)
    _same_weights(mt, mn)
    kw = dict(batch_size=4, seq_len=12, lr=3e-3, seed=0)
    lt, ln = tm.train(mt, data, 4, **kw), nm.train(mn, data, 4, **kw)
    _close(ln, lt, 4)
    for m, mod in ((mt, tm), (mn, nm)):       # sampling runs in both
        s = mod.sample(m, chars, prompt='The', length=5)
        assert s.startswith('The') and len(s) == 8


def test_seq2seq_same_losses_as_torch():
    tm, nm = load_example('seq2seq', 'torch'), load_example('seq2seq', 'numtorch')
    tm.torch.manual_seed(0)
    mt, mn = tm.Seq2Seq(8, embed=8, hidden=12), nm.Seq2Seq(8, embed=8, hidden=12)
    _same_weights(mt, mn)
    kw = dict(batch_size=6, lr=3e-3, seed=0, max_len=5)
    lt, ln = tm.train(mt, 3, 8, **kw), nm.train(mn, 3, 8, **kw)
    _close(ln, lt, 3)
    assert nm.accuracy(mn, 8, n=10, max_len=5) == pytest.approx(tm.accuracy(mt, 8, n=10,
                                                                            max_len=5))


@pytest.mark.parametrize('name,argv', [
    ('char_lstm', ['--steps', '2', '--hidden', '8', '--seq-len', '8', '--batch-size', '2',
                   '--sample-len', '3']),
    ('seq2seq', ['--steps', '2', '--hidden', '8', '--batch-size', '4', '--max-len', '4'])])
def test_examples_main_runs(name, argv, capsys):
    import importlib
    importlib.import_module(f'numtorch.examples.{name}').main(argv)
    assert 'loss' in capsys.readouterr().out
