"""``Module.state_dict`` / ``load_state_dict``, kept apart from module.py (torch crams them in).

Saving walks the module tree *without* de-duplication, so a tied parameter is stored under every
name it has, as torch does. Loading validates everything first per module (missing keys,
unexpected keys, shape mismatches), collects all problems, and raises once with torch's text.
Values are copied in place, so tied parameters stay tied and optimizers keep their references.
"""
from collections import OrderedDict, namedtuple

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter, is_lazy


class _IncompatibleKeys(namedtuple('IncompatibleKeys', ['missing_keys', 'unexpected_keys'])):
    """What ``load_state_dict`` returns: ``(missing_keys, unexpected_keys)``."""
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return '<All keys matched successfully>'
        return (f'_IncompatibleKeys(missing_keys={self.missing_keys!r}, '
                f'unexpected_keys={self.unexpected_keys!r})')

    __str__ = __repr__


def save_to_state_dict(module, destination, prefix, keep_vars):
    for name, param in module._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    skip = module._non_persistent_buffers_set
    for name, buf in module._buffers.items():
        if buf is not None and name not in skip:
            destination[prefix + name] = buf if keep_vars else buf.detach()
    if type(module).get_extra_state is not get_extra_state:
        destination[prefix + '_extra_state'] = module.get_extra_state()


def get_extra_state(self):
    raise RuntimeError('Reached a code path in Module.get_extra_state() that should never be '
                       'called.')


def set_extra_state(self, state):
    raise RuntimeError('Reached a code path in Module.set_extra_state() that should never be '
                       'called.')


# Module's own (they live here so that this module needs no import of module.py)
get_extra_state.__qualname__ = 'Module.get_extra_state'
set_extra_state.__qualname__ = 'Module.set_extra_state'


def state_dict(module, args, destination, prefix, keep_vars):
    if args:   # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
        destination = args[0]
        if len(args) > 1:
            prefix = args[1]
        if len(args) > 2:
            keep_vars = args[2]
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    meta = getattr(destination, '_metadata', None)
    if meta is not None:
        meta[prefix[:-1]] = dict(version=module._version)
    for hook in module._state_dict_pre_hooks.values():
        hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            child.state_dict(destination=destination, prefix=prefix + name + '.',
                             keep_vars=keep_vars)
    for hook in module._state_dict_hooks.values():
        res = hook(module, destination, prefix, meta.get(prefix[:-1]) if meta else {})
        if res is not None:
            destination = res
    return destination


def load_from_state_dict(module, state_dict, prefix, local_metadata, strict, missing_keys,
                         unexpected_keys, error_msgs):
    for hook in module._load_state_dict_pre_hooks.values():
        hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
             error_msgs)
    persistent = {k: v for k, v in module._buffers.items()
                  if k not in module._non_persistent_buffers_set}
    local_state = {k: v for k, v in list(module._parameters.items()) + list(persistent.items())
                   if v is not None}
    assign = local_metadata.get('assign_to_params_buffers', False)
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        value = state_dict[key]
        if not isinstance(value, Tensor):
            error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor '
                              f'or Tensor-like object from checkpoint but received {type(value)}')
            continue
        lazy = is_lazy(param)
        if lazy:
            param.materialize(value._data.shape, dtype=value.dtype)
        if not lazy and param._data.ndim == 0 and value._data.shape == (1,):
            value = value[0]   # torch's backward compatibility with 0.3-era 1-element tensors
        if not lazy and value._data.shape != param._data.shape:
            error_msgs.append(f'size mismatch for {key}: copying a param with shape '
                              f'{value.shape} from checkpoint, the shape in current model is '
                              f'{param.shape}.')
            continue
        try:
            with no_grad():
                if assign:
                    if isinstance(param, Parameter) and not isinstance(value, Parameter):
                        value = Parameter(value, requires_grad=param.requires_grad)
                    setattr(module, name, value)
                else:
                    param.copy_(value)
        except Exception as ex:  # noqa: BLE001 - torch reports any copy failure the same way
            error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in '
                              f'the model are {param.shape} and whose dimensions in the checkpoint '
                              f'are {value.shape}, an exception occurred : {ex.args}.')
    extra_key = prefix + '_extra_state'
    if type(module).set_extra_state is not set_extra_state:
        if extra_key in state_dict:
            module.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head = key[len(prefix):].split('.', 1)
                if len(head) > 1:
                    if head[0] not in module._modules:
                        unexpected_keys.append(key)
                elif head[0] not in local_state:
                    unexpected_keys.append(key)


def load_state_dict(module, state_dict, strict=True, assign=False):
    if not isinstance(state_dict, dict):
        raise TypeError(f'Expected state_dict to be dict-like, got {type(state_dict)}.')
    missing, unexpected, errors = [], [], []
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(state_dict)
    if metadata is not None:
        state_dict._metadata = metadata

    def load(mod, local, prefix=''):
        meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            meta['assign_to_params_buffers'] = assign
        mod._load_from_state_dict(local, prefix, meta, True, missing, unexpected, errors)
        for name, child in mod._modules.items():
            if child is not None:
                cp = prefix + name + '.'
                load(child, {k: v for k, v in local.items() if k.startswith(cp)}, cp)
        keys = _IncompatibleKeys(missing, unexpected)
        for hook in mod._load_state_dict_post_hooks.values():
            if hook(mod, keys) is not None:
                raise AssertionError('Hooks registered with ``register_load_state_dict_post_hook`` '
                                     'are not expected to return new values, if incompatible_keys '
                                     'need to be modified, it should be done inplace.')

    load(module, state_dict)
    if strict:
        if unexpected:
            errors.insert(0, 'Unexpected key(s) in state_dict: {}. '.format(
                ', '.join(f'"{k}"' for k in unexpected)))
        if missing:
            errors.insert(0, 'Missing key(s) in state_dict: {}. '.format(
                ', '.join(f'"{k}"' for k in missing)))
    if errors:
        raise RuntimeError('Error(s) in loading state_dict for {}:\n\t{}'.format(
            type(module).__name__, '\n\t'.join(errors)))
    return _IncompatibleKeys(missing, unexpected)
