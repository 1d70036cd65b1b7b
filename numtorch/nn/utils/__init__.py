"""``numtorch.nn.utils``: padding and packing sequences (``rnn``), gradient clipping, flat parameter vectors, weight and spectral
normalisation (hook-based and as parametrizations), ``parametrize`` and ``stateless``.

>>> import numtorch
>>> net = numtorch.nn.Linear(3, 1)
>>> net(numtorch.ones(2, 3)).sum().backward()
>>> float(numtorch.nn.utils.clip_grad_norm_(net.parameters(), 0.1)) > 0.1
True
"""
from . import parametrizations, parametrize, rnn, stateless
from .clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_,
                        get_total_norm)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ['clip_grad_norm', 'clip_grad_norm_', 'clip_grads_with_norm_', 'clip_grad_value_',
           'get_total_norm', 'parameters_to_vector', 'parametrizations', 'parametrize',
           'remove_spectral_norm', 'remove_weight_norm', 'rnn', 'spectral_norm', 'stateless',
           'vector_to_parameters', 'weight_norm']
