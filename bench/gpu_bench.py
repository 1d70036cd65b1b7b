"""numtorch CUDA (CuPy) vs torch CUDA: training-step time in one process (bench/gpu.sh runs it).

    python bench/gpu_bench.py

MLP 784-256-10 and LeNet (D2L's) at batch 256, and a GPT-style block (d_model 256, 4 heads,
sequence 128, batch 32) forward+backward; ms/step (median of timed steps, synchronized) and the
numtorch/torch ratio. Needs an NVIDIA GPU, CuPy (pip install numtorch[cuda]) and a CUDA torch.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import torch  # noqa: E402

import numtorch  # noqa: E402
from numtorch.examples._models import build_model  # noqa: E402


def mlp(fw):
    nn = fw.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def gpt_block(fw):
    return fw.nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, dropout=0.0,
                                         batch_first=True, norm_first=True)


def step_ms(fw, make, x_shape, kind, steps=20, warmup=5):
    fw.manual_seed(0)
    dev = fw.device('cuda')
    net = make(fw).to(dev)
    opt = fw.optim.SGD(net.parameters(), lr=0.01)
    x = fw.randn(*x_shape, device=dev)
    y = fw.randint(0, 10, (x_shape[0],), device=dev)
    loss_fn = fw.nn.CrossEntropyLoss()
    times = []
    for i in range(warmup + steps):
        fw.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad()
        out = net(x)
        loss = loss_fn(out, y) if kind == 'cls' else out.square().mean()
        loss.backward()
        opt.step()
        fw.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


CASES = [
    ('MLP 784-256-10, batch 256', mlp, (256, 1, 28, 28), 'cls'),
    ('LeNet, batch 256', lambda fw: build_model('lenet', fw), (256, 1, 28, 28), 'cls'),
    ('GPT block d256 h4 s128, batch 32', gpt_block, (32, 128, 256), 'reg'),
]


def main():
    if not (torch.cuda.is_available() and numtorch.cuda.is_available()):
        sys.exit('needs a GPU visible to both torch (CUDA build) and numtorch (CuPy)')
    print(f'card: {numtorch.cuda.get_device_name(0)} | torch {torch.__version__}')
    print(f'{"step":36s} {"numtorch ms":>12s} {"torch ms":>9s} {"ratio":>6s}')
    for name, make, shape, kind in CASES:
        try:
            a = step_ms(numtorch, make, shape, kind)
        except Exception as e:   # an op not yet device-neutral: say which, keep going
            print(f'{name:36s} numtorch failed: {type(e).__name__}: {str(e)[:60]}')
            continue
        b = step_ms(torch, make, shape, kind)
        print(f'{name:36s} {a:12.2f} {b:9.2f} {a / b:6.2f}')


if __name__ == '__main__':
    main()
