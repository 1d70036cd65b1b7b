"""``numtorch.utils``: ``numtorch.utils.data`` (datasets and the DataLoader);
``numtorch.utils.tensorboard`` (imported on demand: it needs the ``tensorboard`` extra)."""
from . import data

__all__ = ['data']
