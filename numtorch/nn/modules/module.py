"""``nn.Module``: the base class of every layer and model, with torch's semantics.

Attribute assignment registers Parameters, sub-Modules and buffers in three ordered dicts
(``_parameters``, ``_modules``, ``_buffers``); every iterator (``parameters``, ``named_modules``,
...) walks them through one memoized traversal, ``named_modules``, so de-duplication of shared
layers and dotted names come from one place (torch's ``module.py``). The state-dict logic lives
in ``_state_dict.py`` and the hook plumbing in ``_hooks.py``; their public entry points are the
methods here, at torch's paths.
"""
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ... import _dtype
from ..._device import check_device
from ..parameter import Parameter, Buffer, is_lazy
from . import _hooks, _state_dict
from ._hooks import RemovableHandle  # noqa: F401  (torch.utils.hooks.RemovableHandle's role)


def _addindent(s, n):
    """Indent every line of ``s`` but the first by ``n`` spaces (torch's helper)."""
    lines = s.split('\n')
    if len(lines) == 1:
        return s
    pad = ' ' * n
    return lines[0] + '\n' + '\n'.join(pad + line for line in lines[1:])


def _typename(v):
    """torch.typename: 'torch.FloatTensor' for a tensor, the qualified class name otherwise."""
    t = type(v)
    if isinstance(v, Tensor):
        return v.type()
    return t.__name__ if t.__module__ == 'builtins' else f'{t.__module__}.{t.__qualname__}'


class Module(_hooks.HookRegistration):
    """Base class for all neural network modules; subclass it and define ``forward``.

    Assigning a Parameter, Module or buffer to an attribute registers it.

    >>> import numtorch
    >>> from numtorch import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> [n for n, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(numtorch.ones(4, 3)).shape
    torch.Size([4, 2])
    """
    training = True
    _version = 1
    dump_patches = False
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f'{type(self).__name__}.__init__() got unexpected arguments: '
                            f'{args or ""} {kwargs or ""}'.rstrip())
        d = self.__dict__
        d['training'] = True
        d['_parameters'] = {}
        d['_buffers'] = {}
        d['_non_persistent_buffers_set'] = set()
        d['_modules'] = {}
        d['_forward_hooks'] = OrderedDict()
        d['_forward_hooks_with_kwargs'] = OrderedDict()
        d['_forward_hooks_always_called'] = OrderedDict()
        d['_forward_pre_hooks'] = OrderedDict()
        d['_forward_pre_hooks_with_kwargs'] = OrderedDict()
        d['_backward_hooks'] = OrderedDict()
        d['_backward_pre_hooks'] = OrderedDict()
        d['_state_dict_hooks'] = OrderedDict()
        d['_state_dict_pre_hooks'] = OrderedDict()
        d['_load_state_dict_pre_hooks'] = OrderedDict()
        d['_load_state_dict_post_hooks'] = OrderedDict()

    def forward(self, *input):
        """Define the computation; call the module (``m(x)``), not ``forward``, to run hooks."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        d = self.__dict__
        try:
            hooked = (d['_forward_hooks'] or d['_forward_pre_hooks'] or d['_backward_hooks']
                      or d['_backward_pre_hooks'])
        except KeyError:
            raise AttributeError(f'{type(self).__name__} was called before Module.__init__() ran: '
                                 'call super().__init__() first in its __init__') from None
        if not hooked:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        for hid, hook in self._forward_pre_hooks.items():
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError('forward pre-hook must return None or a tuple of '
                                           f'(new_args, new_kwargs), but got {res}.')
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw = None
        if self._backward_hooks or self._backward_pre_hooks:
            bw = _hooks.BackwardHook(self, self._backward_hooks, self._backward_pre_hooks)
            args = bw.setup_input_hook(args)
        result = self.forward(*args, **kwargs)
        for hid, hook in self._forward_hooks.items():
            if hid in self._forward_hooks_with_kwargs:
                res = hook(self, args, kwargs, result)
            else:
                res = hook(self, args, result)
            if res is not None:
                result = res
        if bw is not None:
            result = bw.setup_output_hook(result)
        return result

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name, param):
        """Add a parameter (a ``Parameter`` or None) under ``name``.

        >>> import numtorch
        >>> from numtorch import nn
        >>> m = nn.Module(); m.register_parameter('w', nn.Parameter(numtorch.ones(2)))
        >>> list(dict(m.named_parameters()))
        ['w']
        """
        if '_parameters' not in self.__dict__:
            raise AttributeError('cannot assign parameter before Module.__init__() call')
        _check_name(name, 'parameter name')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
        elif not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            '(torch.nn.Parameter or None required)')
        elif param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             'parameters must be created explicitly. To express '
                             f"'{name}' as a function of another Tensor, compute the value in "
                             'the forward() method.')
        else:
            self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: state that is not a parameter (e.g. BatchNorm's running mean).

        Non-persistent buffers are left out of ``state_dict``.

        >>> import numtorch
        >>> from numtorch import nn
        >>> m = nn.Module(); m.register_buffer('steps', numtorch.zeros(1))
        >>> list(m.state_dict())
        ['steps']
        """
        if '_buffers' not in self.__dict__:
            raise AttributeError('cannot assign buffer before Module.__init__() call')
        _check_name(name, 'buffer name')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            '(torch Tensor or None required)')
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module; any string without '.' is a valid name (``'block 0'``).

        >>> from numtorch import nn
        >>> net = nn.Sequential(); net.add_module('block 0', nn.ReLU()); net
        Sequential(
          (block 0): ReLU()
        )
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f'{_typename(module)} is not a Module subclass')
        _check_name(name, 'module name')
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get('_parameters')
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError('cannot assign parameters before Module.__init__() call')
            _remove_from(name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                '(torch.nn.Parameter or None expected)')
            self.register_parameter(name, value)
            return
        modules = d.get('_modules')
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError('cannot assign module before Module.__init__() call')
            _remove_from(name, d, self._parameters, self._buffers,
                         self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                '(torch.nn.Module or None expected)')
            modules[name] = value
            return
        buffers = d.get('_buffers')
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                '(torch.nn.Buffer, torch.Tensor or None expected)')
            persistent = value.persistent if isinstance(value, Buffer) else \
                name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the three registries.
        d = self.__dict__
        for key in ('_parameters', '_buffers', '_modules'):
            reg = d.get(key)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for reg in (self._parameters, self._buffers, self._modules):
            if name in reg:
                del reg[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        attrs = list(object.__dir__(self)) + list(self._parameters) + list(self._modules) + \
            list(self._buffers)
        return sorted(a for a in set(attrs) if not a[:1].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix='', remove_duplicate=True):
        """Every module in the tree (self first), with dotted names; each shared module once.

        >>> from numtorch import nn
        >>> l = nn.Linear(2, 2); net = nn.Sequential(l, l)
        >>> [n for n, _ in net.named_modules()]
        ['', '0']
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ('.' if prefix else '') + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Every module in the tree, self first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Immediate children as ``(name, module)``, each module once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        """Immediate child modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix='', recurse=True, remove_duplicate=True):
        memo = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, module in mods:
            for k, v in get_members(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield mod_prefix + ('.' if mod_prefix else '') + k, v

    def named_parameters(self, prefix='', recurse=True, remove_duplicate=True):
        """``(dotted name, Parameter)`` pairs; a shared parameter appears once (first name).

        >>> from numtorch import nn
        >>> [(n, tuple(p.shape)) for n, p in nn.Linear(4, 8).named_parameters()]
        [('weight', (8, 4)), ('bias', (8,))]
        """
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse=True):
        """Every parameter of the module tree, each once.

        >>> from numtorch import nn
        >>> sum(p.numel() for p in nn.Linear(4, 8).parameters())
        40
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix='', recurse=True, remove_duplicate=True):
        """``(dotted name, buffer)`` pairs."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer of the module tree."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The sub-module at dotted path ``target`` (``''`` is self).

        >>> from numtorch import nn
        >>> nn.Sequential(nn.Sequential(nn.ReLU())).get_submodule('0.0')
        ReLU()
        """
        if target == '':
            return self
        mod = self
        for item in target.split('.'):
            if not hasattr(mod, item):
                raise AttributeError(f'{mod._get_name()} has no attribute `{item}`')
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f'`{item}` is not an nn.Module')
        return mod

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` (``'0.weight'``)."""
        mod_path, _, name = target.rpartition('.')
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f'{mod._get_name()} has no attribute `{name}`')
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f'`{name}` is not an nn.Parameter')
        return p

    def get_buffer(self, target):
        """The buffer at dotted path ``target``."""
        mod_path, _, name = target.rpartition('.')
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f'`{name}` is not a buffer')
        return mod._buffers[name]

    # ------------------------------------------------------------------ modes and bulk ops
    def apply(self, fn):
        """Call ``fn`` on every sub-module (children first) and then on self; returns self.

        >>> import numtorch
        >>> from numtorch import nn
        >>> def init(m):
        ...     if type(m) == nn.Linear:
        ...         nn.init.ones_(m.weight)
        >>> net = nn.Sequential(nn.Linear(2, 2)).apply(init)
        >>> net[0].weight.sum().item()
        4.0
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def train(self, mode=True):
        """Set training mode (Dropout active, BatchNorm using batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError('training mode is expected to be boolean')
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); returns self.

        >>> from numtorch import nn
        >>> nn.Dropout().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient (to None by default, as torch >= 2.0)."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def _apply(self, fn, recurse=True):
        """Replace every parameter's and buffer's values by ``fn(tensor)`` (in place for
        parameters: the Parameter objects, and so optimizers' references, survive)."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with no_grad():
            for key, param in self._parameters.items():
                if param is not None and is_lazy(param):
                    param.__dict__.setdefault('_pending', []).append(fn)   # at materialize
                if param is None or is_lazy(param):
                    continue
                new = fn(param)
                if new is not param:
                    param._data = new._data
                if param.grad is not None:
                    g = fn(param.grad)
                    if g is not param.grad:
                        param.grad._data = g._data
            for key, buf in self._buffers.items():
                if buf is not None and is_lazy(buf):
                    buf.__dict__.setdefault('_pending', []).append(fn)
                if buf is not None and not is_lazy(buf):
                    self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs):
        """Cast floating parameters and buffers to a dtype and/or move to a device; returns self.

        >>> import numtorch
        >>> from numtorch import nn
        >>> nn.Linear(2, 2).to(numtorch.float64).weight.dtype
        torch.float64
        """
        dtype = kwargs.get('dtype')
        device = kwargs.get('device')
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, _dtype.dtype):
                dtype = a
            elif a is not None:
                device = a
        if device is not None:
            device = check_device(device)
        if dtype is None:
            if device is None:
                return self
            return self._apply(lambda t: t._to_device(device))
        dt = _dtype.to_dtype(dtype)
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError(f'nn.Module.to only accepts floating point or complex dtypes, but got '
                            f'desired dtype={dt}')
        if device is not None:
            return self._apply(lambda t: (t._to_dtype(dt) if t.is_floating_point() else t)
                               ._to_device(device))
        return self._apply(lambda t: t._to_dtype(dt) if t.is_floating_point() else t)

    def _cast_float(self, dt):
        return self._apply(lambda t: t._to_dtype(dt) if t.is_floating_point() else t)

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self._cast_float(_dtype.float32)

    def double(self):
        """Cast floating parameters and buffers to float64."""
        return self._cast_float(_dtype.float64)

    def half(self):
        """Cast floating parameters and buffers to float16."""
        return self._cast_float(_dtype.float16)

    def bfloat16(self):
        """Cast floating parameters and buffers to bfloat16 (needs the optional ml_dtypes)."""
        return self._cast_float(_dtype.bfloat16)

    def type(self, dst_type):
        """Cast all parameters and buffers to ``dst_type``."""
        dt = _dtype.to_dtype(dst_type)
        return self._apply(lambda t: t._to_dtype(dt))

    def cpu(self):
        """Move every parameter and buffer to the CPU (parameters keep their identity)."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        """Move every parameter and buffer to a CUDA device (parameters keep their identity)."""
        return self._apply(lambda t: t.cuda(device))

    def share_memory(self):
        return self

    # ------------------------------------------------------------------ state dict
    def state_dict(self, *args, destination=None, prefix='', keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer by dotted name.

        Values are detached tensors sharing memory with the parameters (``keep_vars=True``
        gives the Parameters themselves). Tied parameters appear under every name.

        >>> from numtorch import nn
        >>> list(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return _state_dict.state_dict(self, args, destination, prefix, keep_vars)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        _state_dict.save_to_state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Returns ``(missing_keys, unexpected_keys)``; with ``strict=True`` (default) any missing
        or unexpected key, or a shape mismatch, raises one RuntimeError naming them all.

        >>> from numtorch import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        >>> bool((a.weight == b.weight).all())
        True
        """
        return _state_dict.load_state_dict(self, state_dict, strict, assign)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        _state_dict.load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                         missing_keys, unexpected_keys, error_msgs)

    # defined in _state_dict.py, which tells an override from these by identity
    get_extra_state = _state_dict.get_extra_state
    set_extra_state = _state_dict.set_extra_state

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ''

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split('\n')
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append('(' + key + '): ' + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main = self._get_name() + '('
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += '\n  ' + '\n  '.join(lines) + '\n'
        return main + ')'


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f'{what} should be a string. Got {type(name).__name__}')
    if name == '':
        raise KeyError(f'{what} can\'t be empty string ""')
    if '.' in name:
        raise KeyError(f'{what} can\'t contain ".", got: {name}')


def _remove_from(name, *dicts_or_sets):
    for d in dicts_or_sets:
        if name in d:
            if isinstance(d, dict):
                del d[name]
            else:
                d.discard(name)
