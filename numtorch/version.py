"""``numtorch.version``: the numtorch version, and the CUDA/ROCm versions a script may check
(None: numtorch is built for neither).

>>> import numtorch
>>> numtorch.version.cuda is None
True
"""
__all__ = ['__version__', 'cuda', 'debug', 'git_version', 'hip', 'rocm', 'xpu']

__version__ = '0.1.0'
debug = False
cuda = None
hip = None
rocm = None
xpu = None
git_version = 'Unknown'
