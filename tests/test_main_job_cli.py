"""The main job's command line refuses bad input before the first epoch, in one line.

Every bad value, path or file gives ``error: ...`` (one line, naming the option) on stderr and
exit status 2, without a traceback and before any training; an existing checkpoint is never
overwritten by accident; ``--threads`` sets (and reports) the BLAS thread count.
Most cases run ``main`` in process; one subprocess checks the real exit status and stderr.
"""
import gzip
import os
import shutil
import subprocess
import sys

import pytest

import numtorch
from numtorch.examples import _checks, _plot
from numtorch.examples import fashion_mnist as fm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz',
         't10k-labels-idx1-ubyte.gz')


def _main(capsys, *argv):
    """Run the command in process: (status, stdout, stderr)."""
    try:
        rc = fm.main(['--no-progress', '--epochs', '1', *argv])
    except SystemExit as e:      # argparse-level errors exit from parse_args
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def _refused(capsys, *argv, says):
    rc, out, err = _main(capsys, *argv)
    assert rc == 2, out + err
    assert err.startswith('error: ') and err.count('\n') == 1, err   # one line, no traceback
    for word in ([says] if isinstance(says, str) else says):
        assert word in err, err
    assert 'epoch 1/' not in out and 'training' not in out   # refused before training
    return err


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of the shipped sample's four files."""
    d = tmp_path / 'data'
    d.mkdir()
    for f in FILES:
        shutil.copy(os.path.join(fm.sample_dir(), f), d / f)
    return d


# ------------------------------------------------------------------------ values
@pytest.mark.parametrize('flag, value', [('--lr', '-0.1'), ('--lr', 'nan'), ('--lr', 'inf'),
                                         ('--lr', '0'), ('--epochs', '-1'), ('--batch-size', '0'),
                                         ('--num-workers', '-1'), ('--stop-after', '0'),
                                         ('--stop-after', '-2'), ('--threads', '0')])
def test_bad_value_names_its_option(capsys, flag, value):
    err = _refused(capsys, flag, value, says=[flag, value])
    others = {'--lr', '--epochs', '--batch-size', '--num-workers', '--stop-after', '--threads'}
    assert not [o for o in others - {flag} if o in err]   # a message per option, not a combined one


@pytest.mark.parametrize('device, says', [('tpu', 'expected cpu or cuda'),
                                          ('cuda', 'CUDA is not available'),
                                          ('cuda:1', 'CUDA is not available')])
def test_bad_device_is_one_line(capsys, device, says):
    # this machine has no CUDA (CI); under the stand-in device 'cuda' is accepted (test_devices)
    import numtorch
    if numtorch.cuda.is_available():
        pytest.skip('a CUDA device is present')
    _refused(capsys, '--device', device, says=['--device', device, says])


def test_unparsable_value_is_one_line(capsys):
    _refused(capsys, '--lr', 'fast', says=['--lr', 'fast'])


def test_header_says_1_epoch_and_threads(capsys):
    lines = []
    fm.run(fm.parse_args(['--epochs', '1', '--no-progress', '--threads', '2']),
           out=lines.append, datasets=_tiny())
    assert ', 1 epoch, ' in lines[0] and '1 epochs' not in lines[0]
    from numtorch import _threads
    # A BLAS numtorch cannot talk to reports 1 thread.
    assert lines[0].endswith(', 2 BLAS threads' if _threads._find() else ', 1 BLAS thread')


def _tiny():
    train, test = fm.load_datasets(None)
    TD = numtorch.utils.data.TensorDataset
    return (TD(train.data[:64].float().div(255).unsqueeze(1), train.targets[:64]),
            TD(test.data[:64].float().div(255).unsqueeze(1), test.targets[:64]))


def test_threads_default_is_set_reported_and_restored(monkeypatch):
    seen = []
    before = numtorch.get_num_threads()
    monkeypatch.setattr(fm, 'train_epoch', lambda fw, *a, **k: (seen.append(fw.get_num_threads()),
                                                               (1.0, 0.5, 64, 0.01))[1])
    lines = []
    args = fm.parse_args(['--epochs', '1', '--no-progress'])
    assert args.threads == fm.DEFAULT_THREADS == 1
    fm.run(args, out=lines.append, datasets=_tiny())
    assert seen == [1] and lines[0].endswith(', 1 BLAS thread')
    assert numtorch.get_num_threads() == before


def test_stop_after_without_checkpoint_does_not_suggest_resume():
    lines = []
    res = fm.run(fm.parse_args(['--epochs', '3', '--stop-after', '1', '--no-progress']),
                 out=lines.append, datasets=_tiny())
    assert res['stopped'] and res['epoch'] == 1
    assert any('stopping after epoch 1' in ln for ln in lines)
    assert not any('--resume' in ln for ln in lines)


# ------------------------------------------------------------------------ checkpoint
def test_existing_checkpoint_is_not_overwritten(tmp_path, capsys):
    path = tmp_path / 'g2.pt'
    fm.run(fm.parse_args(['--epochs', '2', '--checkpoint', str(path), '--no-progress']),
           out=lambda *a: None, datasets=_tiny())
    before = path.read_bytes()
    _refused(capsys, '--checkpoint', str(path), says=[str(path), '--resume', '--overwrite'])
    assert path.read_bytes() == before
    # --overwrite starts afresh and replaces it
    res = fm.run(fm.parse_args(['--epochs', '1', '--checkpoint', str(path), '--overwrite',
                                '--no-progress']), out=lambda *a: None, datasets=_tiny())
    assert res['epoch'] == 1 and numtorch.load(str(path))['epoch'] == 1
    _refused(capsys, '--checkpoint', str(path), '--resume', '--overwrite',
             says=['--resume', '--overwrite'])


def test_checkpoint_naming_a_folder(tmp_path, capsys):
    _refused(capsys, '--checkpoint', str(tmp_path), says=['--checkpoint', 'folder'])


def test_checkpoint_under_a_file(tmp_path, capsys):
    (tmp_path / 'f').write_text('x')
    _refused(capsys, '--checkpoint', str(tmp_path / 'f' / 'ck.pt'), says=['not a folder'])


@pytest.mark.parametrize('content', [b'', b'PK\x03\x04 not really a zip', b'garbage' * 100])
def test_corrupted_checkpoint_on_resume(tmp_path, capsys, content):
    path = tmp_path / 'ck.pt'
    path.write_bytes(content)
    _refused(capsys, '--checkpoint', str(path), '--resume', says=['cannot resume', str(path)])


def test_foreign_checkpoint_on_resume(tmp_path, capsys):
    path = tmp_path / 'ck.pt'
    numtorch.save({'weights': numtorch.zeros(2)}, str(path))
    _refused(capsys, '--checkpoint', str(path), '--resume', says=['not a checkpoint', 'epoch'])


def test_resume_needs_checkpoint(capsys):
    _refused(capsys, '--resume', says='--checkpoint')


def test_corrupted_checkpoint_subprocess_exit_status(tmp_path):
    path = tmp_path / 'ck.pt'
    path.write_bytes(b'\x00' * 50)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    r = subprocess.run([sys.executable, '-m', 'numtorch.examples.fashion_mnist', '--epochs', '1',
                        '--checkpoint', str(path), '--resume', '--no-progress'],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith('error: cannot resume') and r.stderr.count('\n') == 1, r.stderr
    assert 'Traceback' not in r.stderr and 'epoch 1/' not in r.stdout


# ------------------------------------------------------------------------ data
def test_missing_data_dir(tmp_path, capsys):
    _refused(capsys, '--data-dir', str(tmp_path / 'nope'), says=['--data-dir', 'does not exist'])


def test_data_dir_without_the_files(tmp_path, capsys):
    _refused(capsys, '--data-dir', str(tmp_path), says=['train-images-idx3-ubyte.gz'])


def test_truncated_gz_names_the_file(data_copy, capsys):
    f = data_copy / 'train-images-idx3-ubyte.gz'
    f.write_bytes(f.read_bytes()[:5000])
    _refused(capsys, '--data-dir', str(data_copy), says=[str(f), 'truncated'])


def test_corrupted_gz_names_the_file(data_copy):
    f = data_copy / 't10k-labels-idx1-ubyte.gz'
    f.write_bytes(b'\x1f\x8b' + b'\x00' * 40)
    with pytest.raises(RuntimeError, match='t10k-labels'):
        numtorch.vision.datasets.read_idx(str(f))


def test_resume_accepts_the_same_data_through_a_symlink(data_copy, tmp_path):
    ck = str(tmp_path / 'ck.pt')
    quiet = lambda *a: None  # noqa: E731
    base = ['--no-progress', '--checkpoint', ck, '--batch-size', '1000']
    fm.run(fm.parse_args(base + ['--epochs', '1', '--data-dir', str(data_copy)]), out=quiet)
    link = tmp_path / 'link'
    link.symlink_to(data_copy, target_is_directory=True)
    res = fm.run(fm.parse_args(base + ['--epochs', '2', '--resume', '--data-dir', str(link)]),
                 out=quiet)
    assert res['epoch'] == 2
    # a copy of the same files elsewhere is the same data too (content identity)
    other = tmp_path / 'copy'
    shutil.copytree(data_copy, other)
    res = fm.run(fm.parse_args(base + ['--epochs', '3', '--resume', '--data-dir', str(other)]),
                 out=quiet)
    assert res['epoch'] == 3
    # different data (one test label changed) in another folder is refused, naming --data-dir
    other = tmp_path / 'changed'
    shutil.copytree(data_copy, other)
    labels = other / 't10k-labels-idx1-ubyte.gz'
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(fm.JobError, match='--data-dir'):
        fm.run(fm.parse_args(base + ['--epochs', '4', '--resume', '--data-dir', str(other)]),
               out=quiet)


# ------------------------------------------------------------------------ plot
def test_plot_into_a_missing_folder(tmp_path, capsys):
    _refused(capsys, '--plot', str(tmp_path / 'no' / 'c.png'), says=['--plot', 'does not exist'])


def test_plot_unknown_extension(tmp_path, capsys):
    _refused(capsys, '--plot', str(tmp_path / 'c.xyz'), says=['--plot', "'.xyz'", '.png'])


def test_plot_without_extension_reports_the_real_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_plot, 'have_matplotlib', lambda: True)
    written = []
    monkeypatch.setattr(_plot, 'plot_curves', lambda h, path, title=None: written.append(path))
    lines = []
    fm.run(fm.parse_args(['--epochs', '1', '--no-progress', '--plot', str(tmp_path / 'curves')]),
           out=lines.append, datasets=_tiny())
    assert written == [str(tmp_path / 'curves.png')]
    assert lines[-1] == f'curves written to {tmp_path / "curves.png"}'


def test_plot_formats_are_matplotlibs():
    pytest.importorskip('matplotlib')
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    assert set(_checks.plot_formats()) == set(FigureCanvasAgg.get_supported_filetypes())
    assert set(_checks.PLOT_FORMATS) <= set(FigureCanvasAgg.get_supported_filetypes())
