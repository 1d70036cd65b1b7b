"""``numtorch.utils``: ``numtorch.utils.data`` (datasets and the DataLoader),
``numtorch.utils.checkpoint`` (activation checkpointing) and ``numtorch.utils.tensorboard``
(imported on demand: it needs the ``tensorboard`` extra)."""
from . import data
from . import checkpoint

__all__ = ['data', 'checkpoint']
