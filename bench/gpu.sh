#!/usr/bin/env bash
# Proof on a real GPU (issue 9). On a machine with an NVIDIA GPU, CuPy 14 (pip install
# numtorch[cuda], i.e. cupy-cuda13x) and a CUDA build of torch, from the repository root:
#     bash bench/gpu.sh
# 1. the op-spec differential tests on CUDA: every Op spec, numtorch (CuPy) against torch CUDA
# 2. training-step benchmarks, numtorch CUDA vs torch CUDA (ms/step and ratio).
set -u
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || exit 1
python -c 'import cupy, torch; print("cupy", cupy.__version__, "| torch", torch.__version__, "cuda", torch.version.cuda); assert torch.cuda.is_available()' || exit 1
python -c 'import numtorch; assert numtorch.cuda.is_available(), "numtorch sees no CUDA device"; print("numtorch on", numtorch.cuda.get_device_name())' || exit 1
echo "== op specs on CUDA: numtorch (CuPy) vs torch CUDA"
NUMTORCH_TEST_DEVICE=cuda timeout 1200 python -m pytest -q -p no:cacheprovider \
    tests/test_stand_in_ops.py 2>&1 | tail -5
echo "== training steps: numtorch CUDA vs torch CUDA"
python bench/gpu_bench.py
