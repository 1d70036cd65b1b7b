"""``GradScaler``: loss scaling for mixed precision, torch's state machine and state dict.

``GradScaler('cuda')`` (the default, and ``torch.cuda.amp.GradScaler``) on a machine without
CUDA is disabled with torch's warning: ``scale`` returns its input, ``step`` just steps,
``update``/``unscale_`` do nothing, ``state_dict()`` is ``{}``, ``get_scale()`` is 1.0.
``GradScaler('cpu')`` is enabled as in torch: gradients are unscaled, a step with an inf/NaN
gradient is skipped, and the scale backs off / grows on torch's schedule.
"""
import warnings
from collections import defaultdict
from enum import Enum

from .._backend import quiet_on, quiet_off, namespace, device_of, to_device, xp as host
from .._tensor import Tensor
from .._ops._apply import wrap

__all__ = ['GradScaler', 'OptState']


def _cuda_available():
    from .. import cuda
    return cuda.is_available()


def _first_device(outputs):
    """The device of the first tensor in ``outputs`` (nested lists/tuples); None if none."""
    if isinstance(outputs, Tensor):
        return outputs.device
    if isinstance(outputs, (list, tuple)):
        for v in outputs:
            d = _first_device(v)
            if d is not None:
                return d
    return None


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state():
    return {'stage': OptState.READY, 'found_inf_per_device': {}}


class GradScaler:
    """Scale the loss, unscale the gradients, skip steps that overflowed.

    >>> import numtorch
    >>> w = numtorch.ones(2, requires_grad=True)
    >>> opt = numtorch.optim.SGD([w], lr=0.1)
    >>> scaler = numtorch.amp.GradScaler('cpu', init_scale=4.0)
    >>> scaler.scale((w * w).sum()).backward(); w.grad
    tensor([8., 8.])
    >>> scaler.step(opt); scaler.update(); w
    tensor([0.8000, 0.8000], requires_grad=True)
    """

    def __init__(self, device='cuda', init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if self._device == 'cuda' and enabled and not _cuda_available():
            warnings.warn('torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  '
                          'Disabling.', stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError('The growth factor must be > 1.0.')
            if backoff_factor >= 1.0:
                raise AssertionError('The backoff factor must be < 1.0.')
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _lazy_init_scale_growth_tracker(self, dev=None):
        # on the device of the first outputs scaled, as torch's
        from .._backend import empty_on
        self._scale = wrap(empty_on(dev, 'full', (), self._init_scale, host.float32))
        self._growth_tracker = wrap(empty_on(dev, 'full', (), self._init_growth_tracker,
                                             host.int32))

    def scale(self, outputs):
        """``outputs * scale`` (a tensor, or tensors nested in lists/tuples)."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._lazy_init_scale_growth_tracker(_first_device(outputs))

        def apply(v):
            if isinstance(v, Tensor):
                sc = self._scale.to(v.device)
                return v * sc.to(v.dtype) if v.is_floating_point() else v * sc
            if isinstance(v, (list, tuple)):
                return type(v)(apply(x) for x in v)
            raise ValueError('outputs must be a Tensor or an iterable of Tensors')
        token = quiet_on()   # overflow to inf is what the scaler detects: silently, as torch
        try:
            return apply(outputs)
        finally:
            quiet_off(token)

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by the scale (once per step) and
        record whether any is inf/NaN."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker('unscale_')
        state = self._per_optimizer_states[id(optimizer)]
        if state['stage'] is OptState.UNSCALED:
            raise RuntimeError('unscale_() has already been called on this optimizer since the '
                               'last update().')
        if state['stage'] is OptState.STEPPED:
            raise RuntimeError('unscale_() is being called after step().')
        sc = self._scale._data
        if sc.__class__ is host.ndarray:
            inv_scale = host.float32(1.0 / host.float64(sc))
        else:   # the same rounding, computed on the scale's device
            inv_scale = (1.0 / sc.astype(host.float64)).astype(host.float32)
        # per device: inv_scale there, and a 0-dim "all finite" flag that stays there (no
        # read-back per gradient; torch's kernel sets its found_inf flag on the device too)
        per_device, last = {}, None
        for group in optimizer.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                g = p.grad._data
                if g.dtype == host.float16:
                    raise ValueError('Attempting to unscale FP16 gradients.')
                dev = device_of(g)
                if dev is not last:    # hash a device only when it changes
                    last = dev
                    entry = per_device.get(dev)
                    if entry is None:
                        inv = inv_scale if g.__class__ is host.ndarray and \
                            sc.__class__ is host.ndarray else to_device(inv_scale, dev)
                        entry = per_device[dev] = [inv, None, namespace(g)]
                g *= entry[0]
                ok = entry[2].isfinite(g).all()
                entry[1] = ok if entry[1] is None else entry[1] & ok
                p.grad._version_counter[0] += 1
        found = {dev: wrap(xp.asarray(~ok, dtype=host.float32))
                 for dev, (_, ok, xp) in per_device.items()}
        # no gradients at all: no flags, so step() raises torch's "No inf checks were recorded"
        state['found_inf_per_device'] = found
        state['stage'] = OptState.UNSCALED

    def _check_scale_growth_tracker(self, funcname):
        if self._scale is None:
            raise AssertionError(f'Attempted {funcname} but _scale is None.  This may indicate '
                                 'your script did not use scaler.scale(loss or outputs) earlier '
                                 'in the iteration.')

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless the gradients had an inf/NaN (unscaling them first if
        ``unscale_`` was not called); returns what ``step`` returned, or None if skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if 'closure' in kwargs:
            raise RuntimeError('Closure use is not currently supported if GradScaler is enabled.')
        self._check_scale_growth_tracker('step')
        state = self._per_optimizer_states[id(optimizer)]
        if state['stage'] is OptState.STEPPED:
            raise RuntimeError('step() has already been called since the last update().')
        if state['stage'] is OptState.READY:
            self.unscale_(optimizer)
        if len(state['found_inf_per_device']) == 0:
            raise AssertionError('No inf checks were recorded for this optimizer.')
        retval = None
        if not sum(float(v) for v in state['found_inf_per_device'].values()):
            retval = optimizer.step(*args, **kwargs)
        state['stage'] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """Back off the scale after a skipped step, grow it after ``growth_interval`` clean
        ones (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker('update')
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale._data[...] = new_scale
            else:
                reason = ('new_scale should be a float or a 1-element torch.cuda.FloatTensor or '
                          'torch.FloatTensor with requires_grad=False.')
                if not (isinstance(new_scale, Tensor) and new_scale.numel() == 1 and
                        new_scale.dtype == self._scale.dtype and not new_scale.requires_grad):
                    raise AssertionError(reason)
                self._scale._data[...] = new_scale._data.reshape(())
        else:
            found_infs = [v for s in self._per_optimizer_states.values()
                          for v in s['found_inf_per_device'].values()]
            if len(found_infs) == 0:
                raise AssertionError('No inf checks were recorded prior to update.')
            scale, tracker = self._scale._data, self._growth_tracker._data
            if scale.__class__ is host.ndarray:
                self._update_on_host(scale, tracker, found_infs)
            else:
                self._update_on_device(scale, tracker, found_infs)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _update_on_host(self, scale, tracker, found_infs):
        # torch's _amp_update_scale_: back off after an overflow, grow (if the result is
        # finite) after growth_interval clean steps. On the host reading the flags is free.
        f32 = scale.dtype.type
        if sum(float(v) for v in found_infs):
            scale *= f32(self._backoff_factor)
            tracker[...] = 0
        else:
            successful = int(tracker) + 1
            if successful == self._growth_interval:
                new = scale * f32(self._growth_factor)
                if host.isfinite(new):
                    scale[...] = new
                tracker[...] = 0
            else:
                tracker[...] = successful

    def _update_on_device(self, scale, tracker, found_infs):
        # the same arithmetic computed where the scale lives, without reading anything back
        dev = device_of(scale)
        found_inf = to_device(found_infs[0]._data, dev)
        for v in found_infs[1:]:
            found_inf = found_inf + to_device(v._data, dev)
        xp = namespace(scale)
        f32 = scale.dtype.type
        found = found_inf > 0
        successful = tracker + 1
        grow = ~found & (successful == self._growth_interval)
        token = quiet_on()   # a scale that overflows when grown is dropped, silently
        try:
            new = scale * f32(self._growth_factor)
            scale[...] = xp.where(found, scale * f32(self._backoff_factor),
                                  xp.where(grow & xp.isfinite(new), new, scale))
        finally:
            quiet_off(token)
        tracker[...] = xp.where(found | grow, 0, successful)

    def _get_scale_async(self):
        return self._scale

    def get_scale(self):
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale._data)

    def get_growth_factor(self):
        """The factor the scale grows by."""
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        """Set the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        """The factor the scale backs off by."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        """Set the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        """How many clean steps before the scale grows."""
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        """Set the growth interval."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else \
            int(self._growth_tracker._data)

    def is_enabled(self):
        """Whether the scaler is active (False for a CUDA scaler without CUDA)."""
        return self._enabled

    def state_dict(self):
        """``{'scale', 'growth_factor', 'backoff_factor', 'growth_interval',
        '_growth_tracker'}`` when enabled, ``{}`` when disabled (torch's layout)."""
        if self._enabled:
            return {'scale': self.get_scale(), 'growth_factor': self._growth_factor,
                    'backoff_factor': self._backoff_factor,
                    'growth_interval': self._growth_interval,
                    '_growth_tracker': self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict):
        """Restore from ``state_dict()``."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError('The source state dict is empty, possibly because it was saved '
                               'from a disabled instance of GradScaler.')
        self._init_scale = state_dict['scale']
        if self._scale is not None:
            self._scale._data[...] = state_dict['scale']
        self._growth_factor = state_dict['growth_factor']
        self._backoff_factor = state_dict['backoff_factor']
        self._growth_interval = state_dict['growth_interval']
        self._init_growth_tracker = state_dict['_growth_tracker']
        if self._growth_tracker is not None:
            self._growth_tracker._data[...] = state_dict['_growth_tracker']

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            state['_per_optimizer_states'] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._enabled:
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)
