"""The exceptions ``numtorch.load`` raises for a file it will not load.

Every rejection of a file's contents is a ``CheckpointError`` (a ``RuntimeError``, which is what
torch raises for a broken archive); a pickle problem is its subclass ``UnpicklingError``, which is
also a ``pickle.UnpicklingError`` so code written against torch/pickle keeps catching it.
"""
import pickle


class CheckpointError(RuntimeError):
    """A checkpoint file is malformed, corrupt, truncated or hostile; nothing was executed."""


class UnpicklingError(CheckpointError, pickle.UnpicklingError):
    """The pickle inside a checkpoint is malformed or names a global outside the allowlist."""
