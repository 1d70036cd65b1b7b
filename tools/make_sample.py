"""Build the Fashion-MNIST sample shipped in ``numtorch/data/`` (deterministic: no RNG).

Takes the first ``--train-per-class`` training images and ``--test-per-class`` test images of
each class, in file order (the release is already shuffled), keeps them in their original
relative order, and writes them in the same IDX gzip layout (gzip level 9, mtime 0, so the output
is byte-identical on every run).

    python tools/make_sample.py --src /work/shared/data/fashion-mnist --dst numtorch/data
"""
import argparse
import gzip
import hashlib
import os
import struct

import numpy as np


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    magic, n = struct.unpack('>II', raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack('>II', raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows, cols)
    if magic == 2049:
        return np.frombuffer(raw, np.uint8, offset=8)
    raise ValueError(f'{path}: unknown IDX magic {magic}')


def write_idx(path, arr):
    if arr.ndim == 3:
        header = struct.pack('>IIII', 2051, *arr.shape)
    else:
        header = struct.pack('>II', 2049, arr.shape[0])
    payload = header + np.ascontiguousarray(arr, np.uint8).tobytes()
    # GzipFile with mtime=0 and no file name in the header: the bytes depend on content only.
    with open(path, 'wb') as raw, gzip.GzipFile(filename='', mode='wb', fileobj=raw,
                                                compresslevel=9, mtime=0) as f:
        f.write(payload)


def pick(labels, per_class):
    """Indices of the first ``per_class`` items of each class, in ascending (file) order."""
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    return np.sort(keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--src', default='/work/shared/data/fashion-mnist')
    ap.add_argument('--dst', default=os.path.join(os.path.dirname(__file__), '..', 'numtorch', 'data'))
    ap.add_argument('--train-per-class', type=int, default=500)
    ap.add_argument('--test-per-class', type=int, default=100)
    args = ap.parse_args()
    os.makedirs(args.dst, exist_ok=True)
    for split, per in (('train', args.train_per_class), ('t10k', args.test_per_class)):
        images = read_idx(os.path.join(args.src, f'{split}-images-idx3-ubyte.gz'))
        labels = read_idx(os.path.join(args.src, f'{split}-labels-idx1-ubyte.gz'))
        keep = pick(labels, per)
        for kind, arr in (('images-idx3', images[keep]), ('labels-idx1', labels[keep])):
            out = os.path.join(args.dst, f'{split}-{kind}-ubyte.gz')
            write_idx(out, arr)
            with open(out, 'rb') as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            print(f'{os.path.basename(out)}: {len(arr)} items, {os.path.getsize(out)} bytes, '
                  f'sha256 {digest}')


if __name__ == '__main__':
    main()
