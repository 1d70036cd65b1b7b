"""A variational autoencoder on Fashion-MNIST (the sample shipped with numtorch), in the spirit of
PyTorch's examples/vae.

    python -m numtorch.examples.vae                 # 300 steps, then reconstruction error
    python -m numtorch.examples.vae --steps 2000 --latent 20

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does so and checks that
both give the same losses from the same initial weights). The encoder maps an image to the mean
and log-variance of a Gaussian over ``--latent`` dimensions; a sample from it (the
reparameterisation ``mu + eps * std``) is decoded back to pixel probabilities; the loss is the
binary cross-entropy of the reconstruction plus the KL divergence to the standard normal prior.
Batches and the noise ``eps`` come from NumPy (``--seed``), so they do not depend on the framework.
"""
import argparse
import time

import numpy as np

import numtorch as torch   # the one framework line: `import torch` runs this file on PyTorch

try:
    from ._fashion import load_fashion
except ImportError:        # run as a plain script
    from _fashion import load_fashion


class VAE(torch.nn.Module):
    """784 -> hidden -> (mu, logvar) -> z -> hidden -> 784 (Bernoulli logits)."""

    def __init__(self, hidden=400, latent=20):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, hidden)
        self.fc21 = torch.nn.Linear(hidden, latent)
        self.fc22 = torch.nn.Linear(hidden, latent)
        self.fc3 = torch.nn.Linear(latent, hidden)
        self.fc4 = torch.nn.Linear(hidden, 784)

    def encode(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        return self.fc4(torch.relu(self.fc3(z)))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def loss_function(logits, x, mu, logvar):
    """Reconstruction BCE + KL(q(z|x) || N(0, I)), summed over the batch."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x.view(-1, 784),
                                                               reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train(model, images, steps, batch_size=64, lr=1e-3, seed=0, log_every=0):
    """Adam on random batches; returns the per-image loss of every step."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    latent = model.fc21.out_features
    losses = []
    t0 = time.time()
    model.train()
    for step in range(steps):
        idx = rng.integers(0, len(images), batch_size)
        x = torch.tensor(images[idx])
        eps = torch.tensor(rng.standard_normal((batch_size, latent)).astype(np.float32))
        logits, mu, logvar = model(x, eps)
        loss = loss_function(logits, x, mu, logvar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item() / batch_size)
        if log_every and (step + 1) % log_every == 0:
            print(f'step {step + 1:5d}  loss {np.mean(losses[-log_every:]):.2f} per image'
                  f'  {time.time() - t0:.1f}s')
    return losses


@torch.no_grad()
def reconstruction_error(model, images):
    """Mean absolute pixel error of reconstructing ``images`` from their posterior means."""
    model.eval()
    mu, _ = model.encode(torch.tensor(images).view(-1, 784))
    recon = torch.sigmoid(model.decode(mu)).view(-1, 28, 28)
    return float((recon - torch.tensor(images)).abs().mean())


def main(argv=None):
    p = argparse.ArgumentParser(description='VAE on Fashion-MNIST.')
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--hidden', type=int, default=400)
    p.add_argument('--latent', type=int, default=20)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    images, _ = load_fashion(train=True)
    test_images, _ = load_fashion(train=False)
    model = VAE(args.hidden, args.latent)
    losses = train(model, images, args.steps, args.batch_size, args.lr, args.seed,
                   log_every=max(1, args.steps // 10))
    print(f'final loss {losses[-1]:.2f} per image; test reconstruction error '
          f'{reconstruction_error(model, test_images[:200]):.4f}')
    return losses


if __name__ == '__main__':
    main()
