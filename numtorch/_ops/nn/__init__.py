"""The ops behind numtorch.nn.functional: activations, losses, pooling, normalization,
embeddings, distances, vision resampling/patches, attention and the fused recurrence.

numtorch.nn.functional and numtorch.nn's modules import them from here.
"""
