"""D2L's Fashion-MNIST models, built from any framework with torch's API.

Every builder takes the framework module (``numtorch``, or ``torch`` in ``bench/train.py``) so
the same lines build both sides of the benchmark. Layers, initialization and learning rates are
those of *Dive into Deep Learning* (PyTorch edition): softmax regression and the MLP in ch. 3-4
(``normal_(std=0.01)`` on the Linear weights, biases left at their defaults), LeNet in ch. 6.6 and
LeNet with batch norm in ch. 7.5 (``xavier_uniform_`` on every Linear/Conv2d weight, from
``train_ch6``).
"""

#: D2L's learning rates (SGD, batch 256).
DEFAULT_LR = {'softmax': 0.1, 'mlp': 0.1, 'lenet': 0.9, 'lenet-bn': 1.0}
MODELS = tuple(DEFAULT_LR)


def _softmax(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def _mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def _lenet_bn(nn):
    # D2L 7.5 ("Concise Implementation"): the first conv has no padding, hence 16*4*4 features.
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


_BUILDERS = {'softmax': _softmax, 'mlp': _mlp, 'lenet': _lenet, 'lenet-bn': _lenet_bn}


def build_model(name, fw):
    """D2L's model ``name`` (one of ``MODELS``) in framework ``fw``, initialized as D2L does.

    Draws its initial weights from ``fw``'s global generator, so seed it first.

    >>> import numtorch
    >>> _ = numtorch.manual_seed(0)
    >>> build_model('mlp', numtorch)
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=784, out_features=256, bias=True)
      (2): ReLU()
      (3): Linear(in_features=256, out_features=10, bias=True)
    )
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(MODELS)}")
    nn = fw.nn
    net = _BUILDERS[name](nn)
    if name in ('softmax', 'mlp'):
        def init(m):
            if type(m) is nn.Linear:
                nn.init.normal_(m.weight, std=0.01)
    else:
        def init(m):
            if type(m) in (nn.Linear, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)
    net.apply(init)
    return net
