"""Time-sequence prediction: two stacked ``LSTMCell``s learn sine waves and then continue them,
fitted with L-BFGS in float64 (PyTorch's examples/time_sequence_prediction, same model and
optimizer).

    python -m numtorch.examples.timeseries                 # 5 L-BFGS steps (a minute)
    python -m numtorch.examples.timeseries --steps 15 --future 1000

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does so and checks that
both give the same losses from the same initial weights). The waves are
``sin(x / 20)`` with random phase shifts drawn with NumPy (``--seed``).
"""
import argparse
import time

import numpy as np

import numtorch as torch   # the one framework line: `import torch` runs this file on PyTorch


class Sequence(torch.nn.Module):
    """LSTMCell(1, h) -> LSTMCell(h, h) -> Linear(h, 1), stepped over time; ``future`` more
    steps feed the model its own predictions."""

    def __init__(self, hidden=51):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = torch.nn.LSTMCell(1, hidden)
        self.lstm2 = torch.nn.LSTMCell(hidden, hidden)
        self.linear = torch.nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        n = input.size(0)
        h_t = torch.zeros(n, self.hidden, dtype=torch.double)
        c_t = torch.zeros(n, self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(n, self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(n, self.hidden, dtype=torch.double)
        output = None
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def make_waves(n=100, length=1000, period=20, seed=2):
    """``n`` sine waves of ``length`` samples with random integer phase shifts."""
    rng = np.random.default_rng(seed)
    x = np.arange(length)[None, :] + rng.integers(-4 * period, 4 * period, (n, 1))
    return np.sin(x / period).astype(np.float64)


def train(model, data, steps, lr=0.8, n_test=3, future=0, log=False):
    """L-BFGS (strong-Wolfe line search) on the first ``len - n_test`` waves predicting the next
    sample; returns (training losses, test losses) per step."""
    inputs = torch.from_numpy(data[n_test:, :-1])
    target = torch.from_numpy(data[n_test:, 1:])
    test_input = torch.from_numpy(data[:n_test, :-1])
    test_target = torch.from_numpy(data[:n_test, 1:])
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.LBFGS(model.parameters(), lr=lr)
    losses, test_losses = [], []
    t0 = time.time()
    for step in range(steps):
        def closure():
            optimizer.zero_grad()
            loss = criterion(model(inputs), target)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        losses.append(loss.item())
        with torch.no_grad():
            pred = model(test_input, future=future)
            test_losses.append(criterion(pred[:, :-future] if future else pred,
                                         test_target).item())
        if log:
            print(f'step {step + 1:3d}  loss {losses[-1]:.6f}  test {test_losses[-1]:.6f}'
                  f'  {time.time() - t0:.1f}s')
    return losses, test_losses


def main(argv=None):
    p = argparse.ArgumentParser(description='Sine-wave prediction with LSTMCells and L-BFGS.')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--waves', type=int, default=20)
    p.add_argument('--length', type=int, default=100)
    p.add_argument('--hidden', type=int, default=51)
    p.add_argument('--future', type=int, default=100)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    data = make_waves(args.waves, args.length, seed=args.seed + 2)
    model = Sequence(args.hidden).double()
    losses, test_losses = train(model, data, args.steps, future=args.future, log=True)
    print(f'final loss {losses[-1]:.6f}; test loss {test_losses[-1]:.6f}')
    return losses


if __name__ == '__main__':
    main()
