"""The CUDA backend: CuPy arrays are ``cuda:N`` tensors' data.

Imported only when CUDA is first used. ``load()`` returns None when CuPy imports but no GPU is
visible; it raises ImportError naming the extra when CuPy is missing.
Install: ``pip install numtorch[cuda]`` (CuPy for CUDA 13, ``cupy-cuda13x``).
"""
import contextlib

import numpy as np

from .. import _backend
from .._device import device


def load():
    try:
        import cupy
    except ImportError as e:
        raise ImportError('CUDA needs CuPy: pip install numtorch[cuda] (cupy-cuda13x)') from e
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception:   # CuPy without a driver or a GPU
        return None
    if n == 0:
        return None
    return CupyBackend(cupy, n)


class CupyBackend(_backend.Backend):
    type = 'cuda'

    def __init__(self, cupy, n):
        self.cp = cupy
        self.xp = cupy
        self.array_type = cupy.ndarray
        self.n = n
        self._devices = [device('cuda', i) for i in range(n)]
        self.generators = None
        self._peak = [0] * n

    def device(self, arr):
        return self._devices[arr.device.id]

    def to_host(self, arr):
        return self.cp.asnumpy(arr)

    def special(self, name):
        import cupyx.scipy.special   # part of CuPy; loaded the first time a special fn runs
        return getattr(cupyx.scipy.special, name, None)

    def from_host(self, arr, index=None):
        with self.on(index):
            return self.cp.asarray(arr)

    def device_count(self):
        return self.n

    def current_device(self):
        return self.cp.cuda.runtime.getDevice()

    def set_device(self, index):
        self.cp.cuda.runtime.setDevice(index)

    def check_index(self, index):
        if index is not None and not 0 <= index < self.n:
            raise RuntimeError('CUDA error: invalid device ordinal\nCUDA kernel errors might be '
                               'asynchronously reported at some other API call, so the '
                               'stacktrace below might be incorrect.\nFor debugging consider '
                               'passing CUDA_LAUNCH_BLOCKING=1\nCompile with '
                               '`TORCH_USE_CUDA_DSA` to enable device-side assertions.\n')

    def on(self, index):
        if index is None:
            return contextlib.nullcontext()
        return self.cp.cuda.Device(index)

    def name(self, index):
        props = self.cp.cuda.runtime.getDeviceProperties(index)
        name = props['name']
        return name.decode() if isinstance(name, bytes) else name

    def properties(self, index):
        return self.cp.cuda.runtime.getDeviceProperties(index)

    def capability(self, index):
        props = self.cp.cuda.runtime.getDeviceProperties(index)
        return (props['major'], props['minor'])

    def memory_allocated(self, index):
        with self.on(index):
            used = self.cp.get_default_memory_pool().used_bytes()
        self._peak[index] = max(self._peak[index], used)
        return used

    def max_memory_allocated(self, index):
        return max(self.memory_allocated(index), self._peak[index])

    def memory_reserved(self, index):
        with self.on(index):
            return self.cp.get_default_memory_pool().total_bytes()

    def reset_peak(self, index):
        self._peak[index] = 0

    def synchronize(self, index):
        with self.on(index):
            self.cp.cuda.Device().synchronize()

    def empty_cache(self):
        self.cp.get_default_memory_pool().free_all_blocks()

    def generator_for(self, index):
        from ..random import Generator, _device_seed
        if self.generators is None:
            self.generators = [Generator(device=device('cuda', i)).manual_seed(_device_seed[0]) for i in range(self.n)]
        return self.generators[index or 0]

    def generated(self, host_arr, index=None):
        # Draws come from the device's own PCG64 stream (on the host, then copied): the
        # numbers are reproducible and independent of the CPU generator's.
        return self.from_host(np.ascontiguousarray(host_arr), index)
