"""``numtorch.utils``: ``numtorch.utils.data`` (datasets and the DataLoader) and
``numtorch.utils.checkpoint`` (activation checkpointing)."""
from . import data
from . import checkpoint

__all__ = ['data', 'checkpoint']
