"""A ResNet-18 on 32x32 colour images (the CIFAR-style variant: 3x3 stem, no max-pool), trained
with SGD + momentum + weight decay and the usual random-crop / flip augmentation.

    python -m numtorch.examples.resnet_cifar              # synthetic 32x32 images, 100 steps
    python -m numtorch.examples.resnet_cifar --width 64 --steps 2000

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does so and checks that
both give the same losses from the same initial weights). The images are Fashion-MNIST's (shipped
with numtorch), padded to 32x32 and tinted per class into three channels, so that the file needs
no download; batches and augmentation come from NumPy (``--seed``).
"""
import argparse
import time

import numpy as np

import numtorch as torch   # the one framework line: `import torch` runs this file on PyTorch

try:
    from ._fashion import load_fashion
except ImportError:        # run as a plain script
    from _fashion import load_fashion

nn = torch.nn
F = torch.nn.functional


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers and a (projected when shapes change) shortcut."""
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 for 32x32 inputs; ``width`` is the first stage's channels (64 in the paper)."""

    def __init__(self, num_classes=10, width=64, blocks=(2, 2, 2, 2)):
        super().__init__()
        self.in_planes = width
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(width, blocks[0], 1)
        self.layer2 = self._make_layer(width * 2, blocks[1], 2)
        self.layer3 = self._make_layer(width * 4, blocks[2], 2)
        self.layer4 = self._make_layer(width * 8, blocks[3], 2)
        self.linear = nn.Linear(width * 8, num_classes)

    def _make_layer(self, planes, n, stride):
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def make_images(images, labels):
    """28x28 grey -> 32x32 RGB: zero-pad by 2 and tint each class with its own colour."""
    tint = np.random.default_rng(123).uniform(0.4, 1.0, (10, 3)).astype(np.float32)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    rgb = padded[:, None] * tint[labels][:, :, None, None]
    mean = rgb.mean(axis=(0, 2, 3), keepdims=True)
    std = rgb.std(axis=(0, 2, 3), keepdims=True)
    return ((rgb - mean) / std).astype(np.float32)


def augment(batch, rng):
    """Random crop (4-pixel zero padding) and horizontal flip, per image."""
    n = len(batch)
    padded = np.pad(batch, ((0, 0), (0, 0), (4, 4), (4, 4)))
    out = np.empty_like(batch)
    offsets = rng.integers(0, 9, (n, 2))
    flips = rng.random(n) < 0.5
    for i in range(n):
        y, x = offsets[i]
        crop = padded[i, :, y:y + 32, x:x + 32]
        out[i] = crop[:, :, ::-1] if flips[i] else crop
    return out


def train(model, images, labels, steps, batch_size=32, lr=0.05, seed=0, log_every=0):
    """SGD (momentum 0.9, weight decay 5e-4) with cosine-annealed lr; per-step losses."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    rng = np.random.default_rng(seed)
    losses = []
    t0 = time.time()
    model.train()
    for step in range(steps):
        idx = rng.integers(0, len(images), batch_size)
        x = torch.tensor(augment(images[idx], rng))
        y = torch.tensor(labels[idx])
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f'step {step + 1:5d}  loss {np.mean(losses[-log_every:]):.3f}'
                  f'  {time.time() - t0:.1f}s')
    return losses


@torch.no_grad()
def accuracy(model, images, labels, batch_size=200):
    """Top-1 accuracy in eval mode."""
    model.eval()
    correct = 0
    for i in range(0, len(images), batch_size):
        pred = model(torch.tensor(images[i:i + batch_size])).argmax(1)
        correct += int((pred == torch.tensor(labels[i:i + batch_size])).sum())
    return correct / len(images)


def main(argv=None):
    p = argparse.ArgumentParser(description='ResNet-18 on 32x32 images.')
    p.add_argument('--steps', type=int, default=100)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--width', type=int, default=16, help='64 is the full ResNet-18')
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--test-size', type=int, default=200)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    images, labels = load_fashion(train=True)
    test_images, test_labels = load_fashion(train=False)
    x, xt = make_images(images, labels), make_images(test_images, test_labels)
    model = ResNet18(10, args.width)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'ResNet-18 (width {args.width}): {n_params} parameters')
    losses = train(model, x, labels, args.steps, args.batch_size, args.lr, args.seed,
                   log_every=max(1, args.steps // 10))
    acc = accuracy(model, xt[:args.test_size], test_labels[:args.test_size])
    print(f'final loss {losses[-1]:.3f}; test accuracy {acc:.3f}')
    return losses


if __name__ == '__main__':
    main()
