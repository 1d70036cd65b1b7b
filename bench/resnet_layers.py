"""ResNet-18's convolution layers one by one (batch 64, CIFAR sizes): forward and backward ms,
numtorch vs torch, the minimum of 5 calls each.

    python bench/resnet_layers.py [THREADS]      # default 2
"""
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numtorch  # noqa: E402
import torch  # noqa: E402

th = int(sys.argv[1]) if len(sys.argv) > 1 else 2
numtorch.set_num_threads(th); torch.set_num_threads(th)
L = [(3,64,32,1,3),(64,64,32,1,3),(64,128,32,2,3),(128,128,16,1,3),(64,128,32,2,1),
     (128,256,16,2,3),(256,256,8,1,3),(256,512,8,2,3),(512,512,4,1,3),(256,512,8,2,1)]
rng = np.random.default_rng(0)
for cin, cout, H, s, k in L:
    x = rng.standard_normal((64, cin, H, H), dtype=np.float32)
    w = rng.standard_normal((cout, cin, k, k), dtype=np.float32) * 0.05
    res = {}
    for name, fw in (('nt', numtorch), ('th', torch)):
        xt = fw.tensor(x, requires_grad=cin != 3); wt = fw.tensor(w, requires_grad=True)
        def run():
            y = fw.nn.functional.conv2d(xt, wt, stride=s, padding=k // 2)
            t1 = time.perf_counter()
            y.backward(fw.ones_like(y))
            return t1
        run()
        bf, bb = 1e9, 1e9
        for _ in range(5):
            t0 = time.perf_counter(); t1 = run(); t2 = time.perf_counter()
            bf, bb = min(bf, t1 - t0), min(bb, t2 - t1)
        res[name] = (bf, bb)
    Ho = H // s
    gf = 2 * 64 * cout * cin * k * k * Ho * Ho / 1e9
    print(f'{cin:3d}->{cout:3d} H{H:2d} s{s} k{k}  {gf:5.2f} GF  nt fwd {res["nt"][0]*1e3:6.1f} bwd {res["nt"][1]*1e3:6.1f} | '
          f'torch fwd {res["th"][0]*1e3:6.1f} bwd {res["th"][1]*1e3:6.1f} | nt {gf/res["nt"][0]:.0f} GF/s fwd')
