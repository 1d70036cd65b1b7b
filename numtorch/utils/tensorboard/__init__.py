"""``numtorch.utils.tensorboard.SummaryWriter``: torch's TensorBoard writer API on top of
tensorboardX (the optional extra ``tensorboard``: ``pip install numtorch[tensorboard]``).

numtorch tensors passed to any ``add_*`` method are handed to tensorboardX as NumPy arrays.
``add_graph`` needs a traced graph, which numtorch does not have: it raises
``NotImplementedError``.
"""
from ..._tensor import Tensor

__all__ = ['SummaryWriter']


def _tbx():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError('numtorch.utils.tensorboard needs tensorboardX: '
                          'pip install numtorch[tensorboard] (or pip install tensorboardX)'
                          ) from None
    return tensorboardX


def _np(x):
    """Tensors (also inside lists, tuples and dicts) -> NumPy arrays."""
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_np(v) for v in x)
    return x


class SummaryWriter:
    """Write TensorBoard event files (``log_dir`` defaults to ``runs/<date>_<host><comment>``).

    >>> import tempfile, numtorch
    >>> from numtorch.utils.tensorboard import SummaryWriter   # doctest: +SKIP
    >>> with SummaryWriter(tempfile.mkdtemp()) as w:           # doctest: +SKIP
    ...     w.add_scalar('loss', numtorch.tensor(0.5), 1)
    """

    def __init__(self, log_dir=None, comment='', purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=''):
        tbx = _tbx()
        self._writer = tbx.SummaryWriter(logdir=log_dir, comment=comment, purge_step=purge_step,
                                         max_queue=max_queue, flush_secs=flush_secs,
                                         filename_suffix=filename_suffix)
        self.log_dir = self._writer.logdir

    def get_logdir(self):
        """The directory event files are written to."""
        return self.log_dir

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Not available: numtorch does not trace models into graphs."""
        raise NotImplementedError('numtorch cannot trace a model for TensorBoard\'s graph view '
                                  '(there is no torch.jit tracer); log scalars, histograms, '
                                  'images... instead')

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)
        fn = getattr(self._writer, name)
        if not callable(fn) or not name.startswith('add_'):
            return fn

        def call(*args, **kwargs):
            return fn(*_np(args), **_np(kwargs))
        call.__name__ = name
        call.__doc__ = f'tensorboardX ``{name}`` with numtorch tensors converted to NumPy.'
        return call

    def flush(self):
        """Write pending events to disk."""
        self._writer.flush()

    def close(self):
        """Flush and close the event file."""
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
