"""Everything the main job checks before its first epoch, so bad input costs no training time.

Each check raises ``JobError`` with a one-line message naming the option and the value;
``fashion_mnist.main`` prints it as ``error: <message>`` on stderr and exits with status 2 (the
status argparse uses for a bad command line). Nothing here imports torch or matplotlib.
"""
import hashlib
import math
import os


class JobError(Exception):
    """A bad option value, path or file, found before training.

    >>> str(JobError('--lr must be a positive finite number, got -0.1'))
    '--lr must be a positive finite number, got -0.1'
    """


#: File types every recent matplotlib writes; used only where matplotlib is absent (the run is
#: then refused for that anyway, but a bad path is reported first, whatever is installed).
PLOT_FORMATS = ('eps', 'jpeg', 'jpg', 'pdf', 'pgf', 'png', 'ps', 'raw', 'rgba', 'svg', 'svgz',
                'tif', 'tiff', 'webp')


def plot_formats():
    """The image types ``--plot`` can write: matplotlib's Agg canvas's, where it is installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        return PLOT_FORMATS
    return tuple(sorted(FigureCanvasAgg.get_supported_filetypes()))


def check_values(args):
    """Raise ``JobError`` for the first out-of-range number in ``args`` (one message per option).

    >>> from types import SimpleNamespace as NS
    >>> check_values(NS(epochs=1, batch_size=0, num_workers=0, lr=0.1, stop_after=None, threads=1))
    Traceback (most recent call last):
    ...
    numtorch.examples._checks.JobError: --batch-size must be >= 1, got 0
    """
    for flag, value, low in (('--epochs', args.epochs, 0), ('--batch-size', args.batch_size, 1),
                             ('--num-workers', args.num_workers, 0),
                             ('--stop-after', args.stop_after, 1), ('--threads', args.threads, 1)):
        if value is not None and value < low:
            raise JobError(f'{flag} must be >= {low}, got {value}')
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise JobError(f'--lr must be a positive finite number, got {args.lr}')


def check_device(name):
    """``--device``: a device string numtorch knows, and CUDA only where CUDA is available.

    >>> check_device('tpu')
    Traceback (most recent call last):
    ...
    numtorch.examples._checks.JobError: --device tpu: expected cpu or cuda[:N]
    """
    import numtorch
    try:
        dev = numtorch.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise JobError(f'--device {name}: expected cpu or cuda[:N]') from None
    if dev.type not in ('cpu', 'cuda'):
        raise JobError(f'--device {name}: expected cpu or cuda[:N]')
    if dev.type == 'cuda':
        if not numtorch.cuda.is_available():
            raise JobError(f'--device {name}: CUDA is not available here (it needs an NVIDIA GPU '
                           f'and the cuda extra: pip install numtorch[cuda])')
        if dev.index is not None and dev.index >= numtorch.cuda.device_count():
            raise JobError(f'--device {name}: this machine has '
                           f'{numtorch.cuda.device_count()} CUDA device(s)')


def _writable_folder(flag, path):
    """The folder ``path`` will be written into must exist (or be creatable) and be writable."""
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while not os.path.exists(probe):       # save_checkpoint creates missing folders
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise JobError(f'{flag} {path}: {probe} is not a folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise JobError(f'{flag} {path}: cannot write into {probe}')
    return folder


def check_checkpoint(args):
    """``--checkpoint`` must be a file path we may write; an existing file is only continued
    (``--resume``) or replaced (``--overwrite``), never overwritten by accident."""
    path = args.checkpoint
    if path is None:
        if args.resume or args.overwrite:
            flag = '--resume' if args.resume else '--overwrite'
            raise JobError(f'{flag} needs --checkpoint PATH')
        return
    if args.resume and args.overwrite:
        raise JobError('--resume and --overwrite contradict each other: give one of them')
    if os.path.isdir(path):
        raise JobError(f'--checkpoint {path} is a folder; give a file name, e.g. '
                       f'{os.path.join(path, "checkpoint.pt")}')
    _writable_folder('--checkpoint', path)
    if os.path.exists(path) and not (args.resume or args.overwrite):
        raise JobError(f'--checkpoint {path} already exists: add --resume to continue it or '
                       f'--overwrite to start afresh and replace it')


def plot_file(path):
    """The file ``--plot path`` writes: matplotlib adds ``.png`` to a name without extension.

    >>> plot_file('curves'), plot_file('curves.svg')
    ('curves.png', 'curves.svg')
    """
    return path if os.path.splitext(path)[1] else path + '.png'


def check_plot(path):
    """``--plot``: a known image extension, and a folder that exists and is writable."""
    ext = os.path.splitext(path)[1]
    formats = plot_formats() if ext else ()
    if ext and ext[1:].lower() not in formats:
        raise JobError(f'--plot {path}: unknown image type {ext!r}; use one of '
                       f'{", ".join("." + f for f in formats)}')
    target = plot_file(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise JobError(f'--plot {path}: folder {folder} does not exist')
    if os.path.isdir(target):
        raise JobError(f'--plot {path} is a folder; give a file name such as curves.png')
    if not os.access(folder, os.W_OK | os.X_OK):
        raise JobError(f'--plot {path}: cannot write into {folder}')


def check_data_dir(path):
    """``--data-dir`` must be an existing folder (its files are checked when they are read)."""
    if not os.path.exists(path):
        raise JobError(f'--data-dir {path} does not exist')
    if not os.path.isdir(path):
        raise JobError(f'--data-dir {path} is not a folder')


def load_data(load, data_dir):
    """``load(data_dir)``, with a missing, truncated or malformed file reported as ``JobError``."""
    try:
        return load(data_dir)
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        where = 'the shipped sample' if data_dir is None else f'--data-dir {data_dir}'
        raise JobError(f'cannot read Fashion-MNIST from {where}: {e}') from None


_CHECKPOINT_KEYS = ('epoch', 'hparams', 'model_state_dict', 'optimizer_state_dict', 'rng_state',
                    'loader_generator_state', 'history')


def load_checkpoint(fw, path):
    """``fw.load(path)``, with an unreadable or foreign file reported as ``JobError``."""
    try:
        ck = fw.load(path)
    except Exception as e:   # any broken file: the loader's message says what is wrong
        raise JobError(f'cannot resume from --checkpoint {path}: {e}') from None
    missing = [k for k in _CHECKPOINT_KEYS if not isinstance(ck, dict) or k not in ck]
    if missing:
        raise JobError(f'cannot resume from --checkpoint {path}: it is not a checkpoint of this '
                       f'program (no {", ".join(missing)})')
    return ck


def data_fingerprint(train_set, test_set):
    """A digest of the images and labels of both splits (None for datasets without arrays):
    resuming accepts another ``--data-dir`` that holds the same data (a symlink, a copy)."""
    h = hashlib.blake2b(digest_size=16)
    for ds in (train_set, test_set):
        images, labels = getattr(ds, '_images', None), getattr(ds, '_labels', None)
        if images is None or labels is None:
            return None
        for a in (images, labels):
            h.update(str((a.shape, a.dtype.str)).encode())
            h.update(a.tobytes())
    return h.hexdigest()


def same_data_dir(a, b):
    """True when two ``--data-dir`` values (None: the sample) name one folder after symlinks."""
    if a is None or b is None:
        return a is b
    return os.path.realpath(a) == os.path.realpath(b)
