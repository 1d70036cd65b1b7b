"""A GRU encoder-decoder with attention, learning to reverse sequences of tokens.

    python -m numtorch.examples.seq2seq                   # a minute or two on a laptop core
    python -m numtorch.examples.seq2seq --steps 1500 --max-len 10

An ordinary PyTorch program: the only framework line is ``import numtorch as torch``; replace it
with ``import torch`` and the same file runs on PyTorch (the test suite does, and compares the
losses of both from the same initial weights).

The task is synthetic: a source is 3..``--max-len`` random tokens, the target the same tokens
reversed, then EOS. The encoder embeds the source and runs a bidirectional GRU over it as a
``PackedSequence`` (``pack_padded_sequence(..., enforce_sorted=False)``), so padding never
enters the recurrence; ``pad_packed_sequence`` gives back the per-position states. The decoder
is a ``GRUCell`` whose input at each step is the previous token's embedding and an attention
context: dot-product scores between its state and the encoder states, padding masked out with
``masked_fill``, ``softmax``, then ``bmm``. Training uses teacher forcing and cross-entropy
that ignores padding; evaluation decodes greedily and reports exact-sequence accuracy.
"""
import argparse
import time

import numpy as np

import numtorch as torch   # the one framework line: `import torch` runs this file on PyTorch

PAD, BOS, EOS = 0, 1, 2


class Encoder(torch.nn.Module):
    """Embedding + bidirectional GRU over a padded batch of given lengths."""

    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed, padding_idx=PAD)
        self.gru = torch.nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.bridge = torch.nn.Linear(2 * hidden, hidden)

    def forward(self, src, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.embed(src), lengths,
                                                         batch_first=True, enforce_sorted=False)
        out, h = self.gru(packed)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                        total_length=src.shape[1])
        h0 = torch.tanh(self.bridge(torch.cat([h[0], h[1]], dim=1)))   # both directions' ends
        return out, h0


class AttnDecoder(torch.nn.Module):
    """GRUCell fed the previous token and a dot-product attention context."""

    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed, padding_idx=PAD)
        self.query = torch.nn.Linear(hidden, 2 * hidden, bias=False)
        self.cell = torch.nn.GRUCell(embed + 2 * hidden, hidden)
        self.out = torch.nn.Linear(hidden + 2 * hidden, vocab)

    def attend(self, h, enc, mask):
        scores = torch.bmm(enc, self.query(h).unsqueeze(2)).squeeze(2)        # (B, S)
        weights = torch.softmax(scores.masked_fill(mask, float('-inf')), dim=1)
        return torch.bmm(weights.unsqueeze(1), enc).squeeze(1)                # (B, 2H)

    def forward(self, prev, h, enc, mask):
        """One step: previous tokens ``(B,)`` -> logits ``(B, vocab)`` and the new state."""
        ctx = self.attend(h, enc, mask)
        h = self.cell(torch.cat([self.embed(prev), ctx], dim=1), h)
        return self.out(torch.cat([h, self.attend(h, enc, mask)], dim=1)), h


class Seq2Seq(torch.nn.Module):
    def __init__(self, vocab, embed=32, hidden=64):
        super().__init__()
        self.encoder = Encoder(vocab, embed, hidden)
        self.decoder = AttnDecoder(vocab, embed, hidden)

    def forward(self, src, lengths, tgt_in):
        """Teacher-forced logits ``(B, T, vocab)`` for decoder inputs ``tgt_in`` ``(B, T)``."""
        enc, h = self.encoder(src, lengths)
        mask = src == PAD
        logits = []
        for t in range(tgt_in.shape[1]):
            step, h = self.decoder(tgt_in[:, t], h, enc, mask)
            logits.append(step)
        return torch.stack(logits, dim=1)

    @torch.no_grad()
    def greedy(self, src, lengths, max_len):
        """Greedy decoding: ``(B, max_len)`` token ids."""
        enc, h = self.encoder(src, lengths)
        mask = src == PAD
        prev = torch.full((src.shape[0],), BOS, dtype=torch.int64)
        out = []
        for _ in range(max_len):
            logits, h = self.decoder(prev, h, enc, mask)
            prev = logits.argmax(dim=1)
            out.append(prev)
        return torch.stack(out, dim=1)


def make_batch(rng, batch_size, vocab, min_len=3, max_len=8):
    """Random sources and their reversals: ``src, lengths, tgt_in, tgt_out`` (padded)."""
    lengths = rng.integers(min_len, max_len + 1, size=batch_size)
    S = int(lengths.max())
    src = np.full((batch_size, S), PAD, dtype=np.int64)
    tgt_in = np.full((batch_size, S + 1), PAD, dtype=np.int64)
    tgt_out = np.full((batch_size, S + 1), PAD, dtype=np.int64)
    for i, n in enumerate(lengths):
        seq = rng.integers(EOS + 1, vocab, size=n)
        src[i, :n] = seq
        tgt_in[i, 0], tgt_in[i, 1:n + 1] = BOS, seq[::-1]
        tgt_out[i, :n], tgt_out[i, n] = seq[::-1], EOS
    return (torch.tensor(src), torch.tensor(lengths), torch.tensor(tgt_in),
            torch.tensor(tgt_out))


def train(model, steps, vocab, batch_size=32, lr=3e-3, seed=0, max_len=8, log_every=0):
    """Adam with teacher forcing; returns the loss of every step (floats)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    t0 = time.time()
    model.train()
    for step in range(steps):
        src, lengths, tgt_in, tgt_out = make_batch(rng, batch_size, vocab, max_len=max_len)
        logits = model(src, lengths, tgt_in)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), tgt_out.reshape(-1),
                                                 ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f'step {step + 1:5d}  loss {sum(losses[-log_every:]) / log_every:.3f}  '
                  f'{time.time() - t0:.1f}s')
    return losses


def accuracy(model, vocab, n=200, seed=1, max_len=8):
    """Fraction of ``n`` fresh sequences reversed exactly (EOS included)."""
    model.eval()
    src, lengths, _, tgt_out = make_batch(np.random.default_rng(seed), n, vocab, max_len=max_len)
    pred = model.greedy(src, lengths, tgt_out.shape[1])
    ok = ((pred == tgt_out) | (tgt_out == PAD)).all(dim=1)
    return float(ok.float().mean())


def main(argv=None):
    p = argparse.ArgumentParser(description='GRU seq2seq with attention on sequence reversal.')
    p.add_argument('--steps', type=int, default=400)
    p.add_argument('--vocab', type=int, default=12, help='token ids, 3 of them special')
    p.add_argument('--max-len', type=int, default=8)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    model = Seq2Seq(args.vocab, hidden=args.hidden)
    losses = train(model, args.steps, args.vocab, args.batch_size, args.lr, args.seed,
                   args.max_len, log_every=max(1, args.steps // 10))
    acc = accuracy(model, args.vocab, max_len=args.max_len)
    print(f'final loss {losses[-1]:.3f}; exact reversals on fresh sequences: {acc:.1%}')
    src, lengths, _, _ = make_batch(np.random.default_rng(2), 3, args.vocab, max_len=args.max_len)
    pred = model.greedy(src, lengths, int(lengths.max()) + 1)
    for s, n, q in zip(src.tolist(), lengths.tolist(), pred.tolist()):
        print(f'  {s[:n]} -> {q[:q.index(EOS)] if EOS in q else q}')
    return losses, acc


if __name__ == '__main__':
    main()
