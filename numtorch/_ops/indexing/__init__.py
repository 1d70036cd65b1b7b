"""Indexing ops: selecting and writing elements by position or mask.

Tensor.__getitem__/__setitem__, masked ops, nonzero, gather/scatter, index_select/add/copy/fill,
take/put and scatter_reduce.
"""
