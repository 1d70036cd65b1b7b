"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and their one-step ``RNNCell``, ``LSTMCell``,
``GRUCell``, with torch's parameter names, shapes, initialization and argument checks, so that
state_dicts interchange with torch's.

A layer runs, per layer and direction, one ``linear`` over all time steps (the input
projection) and one fused recurrence Node (``numtorch/_ops/nn/recurrent.py``; why fused: see
there). The cells are compositions of ordinary differentiable ops: one step records a handful
of nodes, which is cheap, and works on every device the ops do.
"""
import math
import numbers
import warnings

from ... import _dtype
from ..._backend import xp, namespace, empty_on
from ..._ops import _apply
from ..._ops.nn.activations import linear as _linear, dropout as _dropout
from ..._ops.shape.join import cat, stack
from ..._ops.nn.recurrent import recurrence
from ..parameter import Parameter
from .. import init
from ..utils.rnn import PackedSequence
from .module import Module

_GATES = {'LSTM': 4, 'GRU': 3, 'RNN_TANH': 1, 'RNN_RELU': 1}


def _empty(shape, dtype, device=None):
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if device is None:
        return Parameter(_apply.wrap(xp.empty(shape, dt.np)))
    return Parameter(_apply.wrap(empty_on(device, 'empty', shape, dt.np)))


def _zeros(shape, like):
    """Zero initial states on ``like``'s device, in its dtype (torch: ``zeros(..., device=
    input.device)``)."""
    d = like._data
    return _apply.wrap(namespace(d).zeros(shape, d.dtype))


def _permute(hx, permutation):
    """Reorder the batch dimension (1) of a state tensor, or of an LSTM ``(h, c)`` pair."""
    if permutation is None:
        return hx
    if isinstance(hx, tuple):
        return tuple(h.index_select(1, permutation) for h in hx)
    return hx.index_select(1, permutation)


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is 'RNN_TANH', 'RNN_RELU',
    'LSTM' or 'GRU').

    Parameters per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` ``(gates*hidden, in)``, ``weight_hh_l{k}`` ``(gates*hidden, out)``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` and, for an LSTM with ``proj_size``, ``weight_hr_l{k}``
    ``(proj_size, hidden)``; all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)).

    >>> from numtorch import nn
    >>> [n for n, _ in nn.GRU(2, 3, bidirectional=True).named_parameters()][:5]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse']
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError('dropout should be a number in range [0, 1] representing the '
                             'probability of an element being zeroed')
        if dropout > 0 and num_layers == 1:
            warnings.warn('dropout option adds dropout after all but last recurrent layer, so '
                          'non-zero dropout expects num_layers greater than 1, but got '
                          f'dropout={dropout} and num_layers={num_layers}', stacklevel=3)
        for name, value, kind in (('bias', bias, bool), ('batch_first', batch_first, bool),
                                  ('input_size', input_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f'{name} should be of type {kind.__name__}, got: '
                                f'{type(value).__name__}')
        if input_size <= 0:
            raise ValueError('input_size must be greater than zero')
        if not isinstance(hidden_size, int):
            raise TypeError(f'hidden_size should be of type int, got: {type(hidden_size).__name__}')
        if hidden_size <= 0:
            raise ValueError('hidden_size must be greater than zero')
        if num_layers <= 0:
            raise ValueError('num_layers must be greater than zero')
        if proj_size < 0:
            raise ValueError('proj_size should be a positive integer or zero to disable '
                             'projections')
        if proj_size >= hidden_size:
            raise ValueError('proj_size has to be smaller than hidden_size')
        if mode not in _GATES:
            raise ValueError('Unrecognized RNN mode: ' + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * D
            for direction in range(D):
                sfx = f'l{layer}' + ('_reverse' if direction == 1 else '')
                params = [('weight_ih_', (gate_size, layer_in)),
                          ('weight_hh_', (gate_size, real_hidden))]
                if bias:
                    params += [('bias_ih_', (gate_size,)), ('bias_hh_', (gate_size,))]
                if proj_size > 0:
                    params += [('weight_hr_', (proj_size, hidden_size))]
                names = [p + sfx for p, _ in params]
                for name, (_, shape) in zip(names, params):
                    setattr(self, name, _empty(shape, dtype, device))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        """The parameters in torch's flat order (looked up by name: always the current ones)."""
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction.

        >>> from numtorch import nn
        >>> [[tuple(w.shape) for w in ws] for ws in nn.RNN(2, 3, bias=False).all_weights]
        [[(3, 2), (3, 3)]]
        """
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: torch compacts weights for cuDNN here; numtorch keeps them as they are.

        >>> from numtorch import nn
        >>> nn.LSTM(2, 3).flatten_parameters()
        """

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch.

        >>> from numtorch import nn
        >>> m = nn.GRU(3, 4); m.reset_parameters()
        >>> all(float(p.abs().max()) <= 0.5 for p in m.parameters())
        True
        """
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f'{self.input_size}, {self.hidden_size}'
        if self.proj_size != 0:
            s += f', proj_size={self.proj_size}'
        if self.num_layers != 1:
            s += f', num_layers={self.num_layers}'
        if self.bias is not True:
            s += f', bias={self.bias}'
        if self.batch_first is not False:
            s += f', batch_first={self.batch_first}'
        if self.dropout != 0:
            s += f', dropout={self.dropout}'
        if self.bidirectional is not False:
            s += f', bidirectional={self.bidirectional}'
        return s

    # ------------------------------------------------------------------ argument checks
    def _name(self):
        return 'RNN' if self.mode.startswith('RNN') else self.mode

    def check_input(self, input, batch_sizes):
        """Raise torch's errors for a wrong input dtype, rank or feature size.

        >>> import numtorch
        >>> from numtorch import nn
        >>> nn.RNN(2, 3).check_input(numtorch.zeros(4, 1, 5), None)
        Traceback (most recent call last):
        RuntimeError: input.size(-1) must be equal to input_size. Expected 2, got 5
        """
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f'RNN input dtype ({input.dtype}) does not match weight dtype '
                             f'({w.dtype}). Convert input: input.to({w.dtype}), or convert model: '
                             f'model.to({input.dtype})')
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f'input must have {expected} dimensions, got {input.dim()}')
        if self.input_size != input.size(-1):
            raise RuntimeError(f'input.size(-1) must be equal to input_size. Expected '
                               f'{self.input_size}, got {input.size(-1)}')

    def get_expected_hidden_size(self, input, batch_sizes):
        """``(num_layers * num_directions, batch, proj_size or hidden_size)``.

        >>> import numtorch
        >>> from numtorch import nn
        >>> nn.LSTM(2, 4, 3, proj_size=1).get_expected_hidden_size(numtorch.zeros(5, 7, 2), None)
        (3, 7, 1)
        """
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        D = 2 if self.bidirectional else 1
        return (self.num_layers * D, mini_batch, self.proj_size if self.proj_size > 0
                else self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg='Expected hidden size {}, got {}'):
        """Raise torch's RuntimeError if ``hx`` does not have ``expected_hidden_size``."""
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        """Check the input and the initial state against the layer's sizes."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        """Reorder the batch dimension of ``hx`` by ``permutation`` (None: unchanged).

        >>> import numtorch
        >>> from numtorch import nn
        >>> h = numtorch.arange(3.).reshape(1, 3, 1)
        >>> nn.GRU(1, 1).permute_hidden(h, numtorch.tensor([2, 0, 1])).flatten()
        tensor([2., 0., 1.])
        """
        return _permute(hx, permutation)

    # ------------------------------------------------------------------ the computation
    def _run(self, x, batch_sizes, h0, c0):
        """All layers and directions over packed-layout ``x`` ``(N, in)``: returns ``(out (N,
        D*P), h_n, c_n)`` (``c_n`` None unless LSTM)."""
        D = 2 if self.bidirectional else 1
        names = self._all_weights
        has_b, has_r = self.bias, self.proj_size > 0
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w = [getattr(self, n) for n in names[k]]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if has_b else (None, None)
                w_hr = w[-1] if has_r else None
                xg = _linear(x, w_ih, b_ih)
                res = recurrence(self.mode, xg, h0[k], None if c0 is None else c0[k], w_hh, b_hh,
                                 w_hr, batch_sizes, reverse=d == 1)
                outs.append(res[0])
                hs.append(res[1])
                if c0 is not None:
                    cs.append(res[2])
            x = outs[0] if D == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return x, stack(hs), (stack(cs) if c0 is not None else None)

    def _forward(self, input, hx):
        """Shared forward of all three layers: packed, batched and unbatched inputs."""
        lstm = self.mode == 'LSTM'
        name = self._name()
        D = 2 if self.bidirectional else 1
        P = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            bs = [int(b) for b in batch_sizes.tolist()]
            if hx is None:
                hx = _zeros((self.num_layers * D, bs[0], P if lstm else self.hidden_size), data)
                if lstm:
                    hx = (hx, _zeros((self.num_layers * D, bs[0], self.hidden_size), data))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            x = data
        else:
            batch_sizes = None
            if input.dim() not in (2, 3):
                tensor = ' tensor' if name == 'RNN' else ''
                raise ValueError(f'{name}: Expected input to be 2D or 3D, got {input.dim()}D'
                                 f'{tensor} instead')
            batched = input.dim() == 3
            bdim = 0 if self.batch_first else 1
            if not batched:
                input = input.unsqueeze(bdim)
            if hx is not None:
                want = 3 if batched else 2
                what = 'batched 3-D' if batched else 'unbatched 2-D'
                if lstm:
                    if hx[0].dim() != want or hx[1].dim() != want:
                        raise RuntimeError(f'For {what} input, hx and cx should also be {want}-D '
                                           f'but got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors')
                    if not batched:
                        hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
                else:
                    if hx.dim() != want:
                        raise RuntimeError(f'For {what} input, hx should also be {want}-D but got '
                                           f'{hx.dim()}-D tensor')
                    if not batched:
                        hx = hx.unsqueeze(1)
            B = input.size(bdim)
            if hx is None:
                hx = _zeros((self.num_layers * D, B, P if lstm else self.hidden_size), input)
                if lstm:
                    hx = (hx, _zeros((self.num_layers * D, B, self.hidden_size), input))
            self.check_forward_args(input, hx, None)
            seq = input.transpose(0, 1) if self.batch_first else input
            T = seq.size(0)
            bs = [B] * T
            x = seq.reshape(T * B, self.input_size)
        h0, c0 = hx if lstm else (hx, None)
        out, h_n, c_n = self._run(x, bs, h0, c0)
        hidden = (h_n, c_n) if lstm else h_n
        if packed:
            return (PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        out = out.reshape(T, B, out.size(-1))
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(bdim)
            hidden = (h_n.squeeze(1), c_n.squeeze(1)) if lstm else h_n.squeeze(1)
        return out, hidden


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. ``forward(input, hx=None)`` returns
    ``(output, h_n)``; ``input`` is ``(T, B, in)`` (``(B, T, in)`` with ``batch_first``),
    ``(T, in)`` unbatched, or a ``PackedSequence``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> rnn = nn.RNN(10, 20, 2)
    >>> out, hn = rnn(numtorch.randn(5, 3, 10), numtorch.randn(2, 3, 20))
    >>> out.shape, hn.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if 'proj_size' in kwargs:
            raise ValueError('proj_size argument is only supported for LSTM, not RNN or GRU')
        if len(args) > 3:
            self.__dict__['nonlinearity'] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__['nonlinearity'] = kwargs.pop('nonlinearity', 'tanh')
        if self.nonlinearity == 'tanh':
            mode = 'RNN_TANH'
        elif self.nonlinearity == 'relu':
            mode = 'RNN_RELU'
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory (torch's gates ``i, f, g, o``), optionally with a projection
    ``h_t = (o_t * tanh(c_t)) W_hr^T`` when ``proj_size > 0``.

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    >>> out, (hn, cn) = lstm(numtorch.randn(3, 5, 10))
    >>> out.shape, hn.shape, cn.shape
    (torch.Size([3, 5, 20]), torch.Size([2, 3, 20]), torch.Size([2, 3, 20]))
    >>> nn.LSTM(10, 20, proj_size=5, bidirectional=True)
    LSTM(10, 20, proj_size=5, bidirectional=True)
    """

    def __init__(self, *args, **kwargs):
        super().__init__('LSTM', *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        """``(num_layers * num_directions, batch, hidden_size)``."""
        L, B, _ = self.get_expected_hidden_size(input, batch_sizes)
        return (L, B, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        """Check the input, ``h_0`` and ``c_0`` against the layer's sizes."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               'Expected hidden[0] size {}, got {}')
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               'Expected hidden[1] size {}, got {}')

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (torch's gates ``r, z, n``;
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h' = (1 - z) n + z h``).

    >>> import numtorch
    >>> from numtorch import nn
    >>> out, hn = nn.GRU(4, 6, bidirectional=True)(numtorch.randn(7, 4))   # unbatched
    >>> out.shape, hn.shape
    (torch.Size([7, 12]), torch.Size([2, 6]))
    """

    def __init__(self, *args, **kwargs):
        if 'proj_size' in kwargs:
            raise ValueError('proj_size argument is only supported for LSTM, not RNN or GRU')
        super().__init__('GRU', *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


# ---------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step: ``weight_ih`` ``(chunks*hidden, in)``, ``weight_hh`` ``(chunks*hidden,
    hidden)``, ``bias_ih``, ``bias_hh``, drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _empty((num_chunks * hidden_size, input_size), dtype, device)
        self.weight_hh = _empty((num_chunks * hidden_size, hidden_size), dtype, device)
        if bias:
            self.bias_ih = _empty((num_chunks * hidden_size,), dtype, device)
            self.bias_hh = _empty((num_chunks * hidden_size,), dtype, device)
        else:
            self.register_parameter('bias_ih', None)
            self.register_parameter('bias_hh', None)
        self.reset_parameters()

    def extra_repr(self):
        s = f'{self.input_size}, {self.hidden_size}'
        if self.bias is not True:
            s += f', bias={self.bias}'
        nl = self.__dict__.get('nonlinearity', 'tanh')
        if nl != 'tanh':
            s += f', nonlinearity={nl}'
        return s

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, hx, name, states):
        """Check ranks and sizes as torch does, add the batch dim to 1-D inputs and make zero
        states where ``hx`` is None. Returns ``(input, [state, ...], batched)``."""
        if input.dim() not in (1, 2):
            raise ValueError(f'{name}: Expected input to be 1D or 2D, got {input.dim()}D instead')
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.size(1) != self.input_size:
            raise RuntimeError(f'input has inconsistent input_size: got {input.size(1)} expected '
                               f'{self.input_size}')
        if hx is None:
            return input, [_zeros((input.size(0), self.hidden_size), input)] * states, batched
        hs = list(hx) if states > 1 else [hx]
        out = []
        for i, h in enumerate(hs):
            if h.dim() not in (1, 2):
                what = f'hx[{i}]' if states > 1 else 'hidden'
                raise ValueError(f'{name}: Expected {what} to be 1D or 2D, got {h.dim()}D instead')
            if not batched:
                h = h.unsqueeze(0)
            if h.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f'batch size {h.size(0)}')
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f'hidden{i} has inconsistent hidden_size: got {h.size(1)}, '
                                   f'expected {self.hidden_size}')
            out.append(h)
        return input, out, batched


class RNNCell(RNNCellBase):
    """One Elman step, ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> cell = nn.RNNCell(10, 20, nonlinearity='relu')
    >>> cell(numtorch.randn(3, 10)).shape, cell
    (torch.Size([3, 20]), RNNCell(10, 20, nonlinearity=relu))
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, hx, 'RNNCell', 1)
        a = _linear(input, self.weight_ih, self.bias_ih) + _linear(h, self.weight_hh, self.bias_hh)
        if self.nonlinearity == 'tanh':
            h = a.tanh()
        elif self.nonlinearity == 'relu':
            h = a.relu()
        else:
            raise RuntimeError(f'Unknown nonlinearity: {self.nonlinearity}')
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c)=None) -> (h', c')``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> h, c = nn.LSTMCell(10, 20)(numtorch.randn(10))        # unbatched
    >>> h.shape, c.shape
    (torch.Size([20]), torch.Size([20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, (h, c), batched = self._prepare(input, hx, 'LSTMCell', 2)
        gates = _linear(input, self.weight_ih, self.bias_ih) + _linear(h, self.weight_hh,
                                                                      self.bias_hh)
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``forward(input, h=None) -> h'``.

    >>> import numtorch
    >>> from numtorch import nn
    >>> nn.GRUCell(10, 20)(numtorch.randn(3, 10), numtorch.randn(3, 20)).shape
    torch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, hx, 'GRUCell', 1)
        ir, iz, in_ = _linear(input, self.weight_ih, self.bias_ih).chunk(3, 1)
        hr, hz, hn = _linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r = (ir + hr).sigmoid()
        z = (iz + hz).sigmoid()
        n = (in_ + r * hn).tanh()
        h = n + z * (h - n)
        return h if batched else h.squeeze(0)
