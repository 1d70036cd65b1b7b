"""A character-level LSTM language model, trained on a short text and then sampled.

    python -m numtorch.examples.char_lstm                     # the text shipped with numtorch
    python -m numtorch.examples.char_lstm --steps 600 --text my.txt --sample-len 400

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does exactly that and
checks that both give the same losses from the same initial weights). The model is an
``Embedding`` -> 2-layer ``LSTM`` -> ``Linear`` over the characters, trained with Adam on random
windows of the text to predict each next character; then it writes text one character at a
time, sampling from its softmax (``multinomial``) and feeding its own state ``(h, c)`` back in.
Batches are drawn with NumPy from ``--seed``, so they do not depend on the framework.

The default text, ``numtorch/data/tiny_text.txt`` (2.4 KB), was written for numtorch and is
public domain.
"""
import argparse
import math
import os
import time

import numpy as np

import numtorch as torch   # the one framework line: `import torch` runs this file on PyTorch

TEXT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data',
                    'tiny_text.txt')


class CharLSTM(torch.nn.Module):
    """Embedding -> LSTM -> Linear: next-character logits at every position."""

    def __init__(self, vocab_size, embed=32, hidden=128, layers=2, dropout=0.0):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                                  dropout=dropout)
        self.head = torch.nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def load_text(path=TEXT):
    """The text, its sorted character vocabulary and the text as an int64 index array."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    return text, chars, np.array([index[c] for c in text], dtype=np.int64)


def get_batch(data, rng, batch_size, seq_len):
    """``batch_size`` random windows: inputs ``(B, T)`` and the next characters ``(B, T)``."""
    starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
    x = np.stack([data[s:s + seq_len] for s in starts])
    y = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
    return torch.tensor(x), torch.tensor(y)


def train(model, data, steps, batch_size=16, seq_len=64, lr=3e-3, seed=0, log_every=0):
    """Train with Adam; returns the loss of every step (floats)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    t0 = time.time()
    for step in range(steps):
        x, y = get_batch(data, rng, batch_size, seq_len)
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            recent = sum(losses[-log_every:]) / log_every
            print(f'step {step + 1:5d}  loss {recent:.3f}  ({recent / math.log(2):.2f} bits/char)'
                  f'  {time.time() - t0:.1f}s')
    return losses


@torch.no_grad()
def sample(model, chars, prompt='The ', length=200, temperature=0.8):
    """Continue ``prompt`` by ``length`` characters, sampling from the model's softmax."""
    model.eval()
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in prompt if c in index] or [0]
    logits, state = model(torch.tensor([ids]))
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
        nxt = int(torch.multinomial(probs, 1))
        out.append(chars[nxt])
        logits, state = model(torch.tensor([[nxt]]), state)
    return prompt + ''.join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description='Character-level LSTM language model.')
    p.add_argument('--text', default=TEXT, help='a UTF-8 text file (default: the shipped one)')
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--seq-len', type=int, default=64)
    p.add_argument('--hidden', type=int, default=128)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--sample-len', type=int, default=200)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    text, chars, data = load_text(args.text)
    print(f'{len(text)} characters, vocabulary of {len(chars)}')
    model = CharLSTM(len(chars), hidden=args.hidden)
    losses = train(model, data, args.steps, args.batch_size, args.seq_len, args.lr, args.seed,
                   log_every=max(1, args.steps // 10))
    print(f'uniform guessing: {math.log(len(chars)):.3f}; final loss {losses[-1]:.3f}')
    print('--- sample ---')
    print(sample(model, chars, length=args.sample_len))
    return losses


if __name__ == '__main__':
    main()
