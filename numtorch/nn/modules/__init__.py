"""Every layer class, importable as ``numtorch.nn.modules.<Name>`` (and ``numtorch.nn.<Name>``)."""
from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .lazy import LazyLinear   # LazyModuleMixin stays in .lazy, as torch's
from .activation import (ReLU, ReLU6, LeakyReLU, ELU, CELU, SELU, GELU, SiLU, Mish, Sigmoid,
                         Tanh, Softmax, Softmin, LogSoftmax, Softmax2d, Softplus, Hardtanh,
                         Hardswish, Hardsigmoid, LogSigmoid, Softsign, Tanhshrink, Threshold,
                         Hardshrink, Softshrink, GLU, PReLU)
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout
from .flatten import Flatten, Unflatten

__all__ = ['Module', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict',
           'Identity', 'Linear', 'Bilinear', 'LazyLinear', 'ReLU', 'ReLU6',
           'LeakyReLU', 'ELU', 'CELU', 'SELU', 'GELU', 'SiLU', 'Mish', 'Sigmoid', 'Tanh',
           'Softmax', 'Softmin', 'LogSoftmax', 'Softmax2d', 'Softplus', 'Hardtanh', 'Hardswish',
           'Hardsigmoid', 'LogSigmoid', 'Softsign', 'Tanhshrink', 'Threshold', 'Hardshrink',
           'Softshrink', 'GLU', 'PReLU', 'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d',
           'AlphaDropout', 'Flatten', 'Unflatten']

# Convolution, pooling, normalization, embedding, upsampling layers and losses.
from .conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: E402
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d,  # noqa: E402
                      AdaptiveMaxPool2d)
from .batchnorm import BatchNorm1d, BatchNorm2d  # noqa: E402
from .syncbatchnorm import SyncBatchNorm  # noqa: E402
from .normalization import LayerNorm, GroupNorm  # noqa: E402
from .sparse import Embedding  # noqa: E402
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  # noqa: E402
from .loss import (CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss,  # noqa: E402
                   BCELoss, BCEWithLogitsLoss, KLDivLoss)
__all__ += ['Conv1d', 'Conv2d', 'ConvTranspose2d', 'MaxPool1d', 'MaxPool2d', 'AvgPool1d',
            'AvgPool2d', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d', 'BatchNorm1d', 'BatchNorm2d',
            'LayerNorm', 'GroupNorm', 'Embedding', 'Upsample', 'UpsamplingNearest2d',
            'UpsamplingBilinear2d',
            'CrossEntropyLoss', 'NLLLoss', 'MSELoss', 'L1Loss', 'SmoothL1Loss', 'HuberLoss',
            'BCELoss', 'BCEWithLogitsLoss', 'KLDivLoss']
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: E402
__all__ += ['RNNBase', 'RNN', 'LSTM', 'GRU', 'RNNCellBase', 'RNNCell', 'LSTMCell', 'GRUCell']
__all__ += ['SyncBatchNorm']
from .linear import NonDynamicallyQuantizableLinear  # noqa: E402,F401
from .attention import MultiheadAttention  # noqa: E402
from .transformer import (Transformer, TransformerEncoder, TransformerDecoder,  # noqa: E402
                          TransformerEncoderLayer, TransformerDecoderLayer)
__all__ += ['MultiheadAttention', 'Transformer', 'TransformerEncoder', 'TransformerDecoder',
            'TransformerEncoderLayer', 'TransformerDecoderLayer']

# Issue 13's layers.
from .conv import Conv3d, ConvTranspose1d, ConvTranspose3d  # noqa: E402
from .pooling import (MaxPool3d, AvgPool3d, AdaptiveAvgPool1d, AdaptiveAvgPool3d,  # noqa: E402
                      AdaptiveMaxPool1d, AdaptiveMaxPool3d)
from .batchnorm import BatchNorm3d  # noqa: E402
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: E402
from .normalization import RMSNorm, LocalResponseNorm  # noqa: E402
from .padding import *  # noqa: E402,F401,F403
from .padding import __all__ as _padding_all  # noqa: E402
from .pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402
from .fold import Fold, Unfold  # noqa: E402
from .distance import CosineSimilarity, PairwiseDistance  # noqa: E402
__all__ += ['Conv3d', 'ConvTranspose1d', 'ConvTranspose3d', 'MaxPool3d', 'AvgPool3d',
            'AdaptiveAvgPool1d', 'AdaptiveAvgPool3d', 'AdaptiveMaxPool1d', 'AdaptiveMaxPool3d',
            'BatchNorm3d', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'RMSNorm',
            'LocalResponseNorm', *_padding_all, 'PixelShuffle', 'PixelUnshuffle', 'Fold', 'Unfold',
            'CosineSimilarity', 'PairwiseDistance']
from .loss import (TripletMarginLoss, TripletMarginWithDistanceLoss, MarginRankingLoss,  # noqa: E402
                   CosineEmbeddingLoss, HingeEmbeddingLoss, SoftMarginLoss,
                   MultiLabelSoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss,
                   PoissonNLLLoss, GaussianNLLLoss)
__all__ += ['TripletMarginLoss', 'TripletMarginWithDistanceLoss', 'MarginRankingLoss',
            'CosineEmbeddingLoss', 'HingeEmbeddingLoss', 'SoftMarginLoss',
            'MultiLabelSoftMarginLoss', 'MultiMarginLoss', 'MultiLabelMarginLoss',
            'PoissonNLLLoss', 'GaussianNLLLoss']
from .loss import CTCLoss  # noqa: E402
from .sparse import EmbeddingBag  # noqa: E402
__all__ += ['CTCLoss', 'EmbeddingBag']
