"""numtorch.utils.tensorboard.SummaryWriter writes events that TensorBoard's reader (tensorboardX's
protobufs) reads back; without tensorboardX the import error names the extra."""
import glob
import struct
import subprocess
import sys

import numpy as np
import pytest

import numtorch

tbx = pytest.importorskip('tensorboardX', reason='tensorboardX (numtorch[tensorboard]) absent')


def _events(logdir):
    """Every Event record in the directory's event files (TFRecord framing, parsed by hand)."""
    from tensorboardX.proto import event_pb2
    out = []
    for path in sorted(glob.glob(f'{logdir}/**/events.out.tfevents.*', recursive=True)):
        data = open(path, 'rb').read()
        pos = 0
        while pos < len(data):
            (n,) = struct.unpack('<Q', data[pos:pos + 8])
            ev = event_pb2.Event()
            ev.ParseFromString(data[pos + 12:pos + 12 + n])
            out.append(ev)
            pos += 12 + n + 4
    return out


def test_scalars_histograms_and_images_round_trip(tmp_path):
    from numtorch.utils.tensorboard import SummaryWriter
    w = SummaryWriter(str(tmp_path))
    assert w.get_logdir() == str(tmp_path)
    for step, loss in enumerate([0.9, 0.5, 0.25]):
        w.add_scalar('train/loss', numtorch.tensor(loss), step)
    w.add_scalars('acc', {'train': numtorch.tensor(0.8), 'val': 0.7}, 3)
    w.add_histogram('weights', numtorch.randn(100), 0)
    w.add_image('img', numtorch.rand(3, 4, 5), 0)
    w.close()
    scalars = [(e.step, v.tag, v.simple_value) for e in _events(tmp_path)
               for v in e.summary.value if v.HasField('simple_value')]
    got = [(s, v) for s, t, v in scalars if t == 'train/loss']
    assert got == [(0, pytest.approx(0.9)), (1, pytest.approx(0.5)), (2, pytest.approx(0.25))]
    # add_scalars writes one run (sub-folder) per key, each with the tag 'acc'
    assert sorted(round(v, 5) for s, t, v in scalars if t == 'acc') == [0.7, 0.8]
    assert len(glob.glob(f'{tmp_path}/acc*/**/events.*', recursive=True)) == 2
    tags = {v.tag for e in _events(tmp_path) for v in e.summary.value}
    assert 'weights' in tags and 'img' in tags
    with pytest.raises(NotImplementedError, match='cannot trace'):
        SummaryWriter(str(tmp_path / 'g')).add_graph(numtorch.nn.Linear(2, 2))


def test_missing_tensorboardx_names_the_extra():
    code = ('import sys; sys.modules["tensorboardX"] = None\n'
            'from numtorch.utils.tensorboard import SummaryWriter\n'
            'try:\n    SummaryWriter("/tmp/x")\nexcept ImportError as e:\n    print(e)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=str(__import__('pathlib').Path(__file__).parents[1]))
    assert 'pip install numtorch[tensorboard]' in out.stdout, out.stderr


def test_values_are_numpy_for_tensorboardx(tmp_path):
    from numtorch.utils.tensorboard import _np
    t = numtorch.ones(2, requires_grad=True)
    conv = _np({'a': [t, 1.0], 'b': (t,)})
    assert isinstance(conv['a'][0], np.ndarray) and isinstance(conv['b'], tuple)
