"""All tensor ops, as plain functions over tensors: one Node class per op plus its function.

Each module declares its public functions with ``__all__`` / ``FUNCTION_ONLY`` / ``METHODS``;
``numtorch/_registry.py`` (the one registration mechanism) turns them into ``numtorch.<name>``
and ``Tensor.<name>``. This package itself exports nothing.
"""
