"""``numtorch.nn.utils``: helpers around modules (``rnn``: padding and packing sequences)."""
from . import rnn  # noqa: F401
