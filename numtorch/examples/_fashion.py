"""The Fashion-MNIST sample shipped with numtorch, read with NumPy only (so the examples that use
it run unchanged on PyTorch too)."""
import gzip
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')


def load_fashion(train=True):
    """(images ``N x 28 x 28`` float32 in [0, 1], labels ``N`` int64) from the IDX files."""
    split = 'train' if train else 't10k'
    with gzip.open(os.path.join(DATA, f'{split}-images-idx3-ubyte.gz'), 'rb') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(DATA, f'{split}-labels-idx1-ubyte.gz'), 'rb') as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return images.astype(np.float32) / 255, labels
