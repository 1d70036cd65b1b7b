"""Load a program written for PyTorch under ``torch`` or ``numtorch``: its torch import lines are
pointed at numtorch (``import torch`` -> ``import numtorch as torch``, ``import torch.nn as nn``
-> ``import numtorch.nn as nn``, ``from torch.x import y`` -> ``from numtorch.x import y``), the
one change a user makes; nothing else in the file is touched."""
import os
import re
import types

HERE = os.path.dirname(os.path.abspath(__file__))
_RULES = [(re.compile(r'^(\s*)import torch$', re.M), r'\1import numtorch as torch'),
          (re.compile(r'^(\s*)(import|from) torch\.', re.M), r'\1\2 numtorch.'),
          (re.compile(r'^(\s*)from torch import', re.M), r'\1from numtorch import')]


def load_program(name, fw):
    """The program ``tests/programs/<name>.py`` as a module running on ``fw``."""
    path = os.path.join(HERE, name + '.py')
    with open(path, encoding='utf-8') as f:
        src = f.read()
    if fw == 'numtorch':
        for rx, rep in _RULES:
            src = rx.sub(rep, src)
        assert 'import torch' not in src.replace('import numtorch as torch', '')
    mod = types.ModuleType(f'_program_{name}_{fw}')
    mod.__file__ = path
    # dataclasses look the module up in sys.modules while processing the class
    import sys
    sys.modules[mod.__name__] = mod
    exec(compile(src, path, 'exec'), mod.__dict__)
    return mod
