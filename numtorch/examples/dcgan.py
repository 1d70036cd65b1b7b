"""A DCGAN on Fashion-MNIST (the sample shipped with numtorch), in the spirit of PyTorch's
examples/dcgan, sized for 28x28 images.

    python -m numtorch.examples.dcgan                    # 200 steps
    python -m numtorch.examples.dcgan --steps 2000 --save samples.npy

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does so and checks that
both give the same losses from the same initial weights). The generator turns noise into images
with transposed convolutions and BatchNorm; the discriminator is a strided CNN; both train with
Adam(0.5, 0.999) on the non-saturating GAN loss. Batches and noise come from NumPy (``--seed``).
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


class Generator(nn.Module):
    """nz x 1 x 1 noise -> 1 x 28 x 28 image in [-1, 1]."""

    def __init__(self, nz=32, ngf=32):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    """1 x 28 x 28 image -> one real/fake logit."""

    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    """DCGAN's initialisation: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    name = type(m).__name__
    if name.find('Conv') != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find('BatchNorm') != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train(netG, netD, images, steps, batch_size=64, lr=2e-4, seed=0, log_every=0):
    """Alternate D and G updates; returns ``[(loss_D, loss_G)]`` per step."""
    optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(seed)
    nz = netG.main[0].in_channels
    history = []
    t0 = time.time()
    for step in range(steps):
        real = torch.tensor(images[rng.integers(0, len(images), batch_size)] * 2 - 1)
        real = real.unsqueeze(1)
        noise = torch.tensor(rng.standard_normal((batch_size, nz, 1, 1)).astype(np.float32))
        ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)
        # (1) discriminator: real -> 1, fake -> 0
        netD.zero_grad()
        fake = netG(noise)
        lossD = criterion(netD(real), ones) + criterion(netD(fake.detach()), zeros)
        lossD.backward()
        optD.step()
        # (2) generator: make D call the fakes real
        netG.zero_grad()
        lossG = criterion(netD(fake), ones)
        lossG.backward()
        optG.step()
        history.append((lossD.item(), lossG.item()))
        if log_every and (step + 1) % log_every == 0:
            d, g = np.mean(history[-log_every:], axis=0)
            print(f'step {step + 1:5d}  loss_D {d:.3f}  loss_G {g:.3f}  {time.time() - t0:.1f}s')
    return history


def main(argv=None):
    p = argparse.ArgumentParser(description='DCGAN on Fashion-MNIST.')
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--nz', type=int, default=32)
    p.add_argument('--width', type=int, default=32)
    p.add_argument('--lr', type=float, default=2e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--save', default='', help='save 64 generated images to this .npy file')
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    images, _ = load_fashion(train=True)
    netG, netD = Generator(args.nz, args.width), Discriminator(args.width)
    netG.apply(weights_init)
    netD.apply(weights_init)
    history = train(netG, netD, images, args.steps, args.batch_size, args.lr, args.seed,
                    log_every=max(1, args.steps // 10))
    if args.save:
        netG.eval()
        with torch.no_grad():
            samples = netG(torch.randn(64, args.nz, 1, 1))
        np.save(args.save, samples.numpy())
        print(f'saved 64 samples to {args.save}')
    print(f'final loss_D {history[-1][0]:.3f}, loss_G {history[-1][1]:.3f}')
    return history


if __name__ == '__main__':
    main()
