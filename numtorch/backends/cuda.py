"""``numtorch.backends.cuda``: CUDA's switches. ``is_built()`` is False; ``matmul.allow_tf32``
and the reduced-precision flags are stored (type-checked as torch does) and change nothing;
``allow_tf32`` follows ``set_float32_matmul_precision`` (True unless the precision is
``'highest'``), as in torch.

>>> import numtorch
>>> numtorch.backends.cuda.matmul.allow_tf32 = True
>>> numtorch.backends.cuda.matmul.allow_tf32
True
>>> numtorch.backends.cuda.matmul.allow_tf32 = False
"""
import contextlib

__all__ = ['is_built', 'matmul', 'cuBLASModule', 'flash_sdp_enabled', 'enable_flash_sdp',
           'mem_efficient_sdp_enabled', 'enable_mem_efficient_sdp', 'math_sdp_enabled',
           'enable_math_sdp', 'cudnn_sdp_enabled', 'enable_cudnn_sdp', 'sdp_kernel',
           'preferred_linalg_library']


def is_built():
    """False: numtorch is not built with CUDA."""
    return False


class cuBLASModule:
    """``backends.cuda.matmul``: cuBLAS flags."""
    _REDUCED = ('allow_fp16_reduced_precision_reduction',
                'allow_bf16_reduced_precision_reduction')

    def __init__(self):
        object.__setattr__(self, '_flags', {'allow_fp16_reduced_precision_reduction': True,
                                            'allow_bf16_reduced_precision_reduction': True,
                                            'allow_fp16_accumulation': False})

    def __getattr__(self, name):
        if name == 'allow_tf32':
            from .. import _settings
            return _settings.get_float32_matmul_precision() != 'highest'
        flags = object.__getattribute__(self, '_flags')
        if name in flags:
            return flags[name]
        raise AttributeError(f'Unknown attribute {name}')

    def __setattr__(self, name, value):
        if name == 'allow_tf32':
            if not isinstance(value, bool):
                raise RuntimeError(f'set_allow_tf32_cublas expects a bool, but got '
                                   f'{type(value).__name__}')
            from .. import _settings
            _settings.set_float32_matmul_precision('high' if value else 'highest')
            return
        if name in self._REDUCED:
            if not isinstance(value, (bool, tuple, list)):
                raise TypeError(f'{name} expects a bool or a tuple/list of bools, but got '
                                f'{type(value)}')
            self._flags[name] = value
            return
        if name == 'allow_fp16_accumulation':
            self._flags[name] = value
            return
        raise AttributeError(f'Unknown attribute {name}')


matmul = cuBLASModule()

_sdp = {'flash': True, 'mem_efficient': True, 'math': True, 'cudnn': True}


def flash_sdp_enabled():
    """Whether the flash attention kernel may be chosen (a stored flag here)."""
    return _sdp['flash']


def enable_flash_sdp(enabled):
    """Store the flash attention switch (numtorch has one attention kernel)."""
    _sdp['flash'] = enabled


def mem_efficient_sdp_enabled():
    """Whether the memory-efficient attention kernel may be chosen (a stored flag)."""
    return _sdp['mem_efficient']


def enable_mem_efficient_sdp(enabled):
    """Store the memory-efficient attention switch."""
    _sdp['mem_efficient'] = enabled


def math_sdp_enabled():
    """Whether the math attention kernel may be chosen (a stored flag)."""
    return _sdp['math']


def enable_math_sdp(enabled):
    """Store the math attention switch."""
    _sdp['math'] = enabled


def cudnn_sdp_enabled():
    """Whether the cuDNN attention kernel may be chosen (a stored flag)."""
    return _sdp['cudnn']


def enable_cudnn_sdp(enabled):
    """Store the cuDNN attention switch."""
    _sdp['cudnn'] = enabled


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
               enable_cudnn=True):
    """Set the attention-kernel switches inside the context (deprecated in torch)."""
    prev = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                cudnn=enable_cudnn)
    try:
        yield {}
    finally:
        _sdp.update(prev)


def preferred_linalg_library(backend=None):
    """The linear-algebra library choice; numtorch always uses NumPy's LAPACK."""
    return 'Default'
