"""Linear algebra ops: products (mm, matmul, einsum, ...), solves and decompositions.

numtorch.linalg exports the decompositions and solves under torch.linalg's names.
"""
