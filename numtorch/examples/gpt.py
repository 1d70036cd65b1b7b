"""A GPT-style character language model trained on a text file, in plain PyTorch code.

    python -m numtorch.examples.gpt                       # generated text, 300 steps
    python -m numtorch.examples.gpt --text book.txt --steps 2000 --n-layer 4 --d-model 128

The model is the usual decoder-only transformer (as in nanoGPT): token and position embeddings,
``n_layer`` pre-norm blocks of causal multi-head self-attention (through
``F.scaled_dot_product_attention(..., is_causal=True)``) and a GELU MLP, a final LayerNorm and
a language-model head tied to the token embedding; trained with AdamW on next-character
cross-entropy, then sampled from.

Without ``--text`` it trains on a small text it generates (deterministic sentences from a tiny
grammar), so it runs anywhere offline. Everything framework-specific goes through the one name
``torch`` imported below, so this very file runs under real PyTorch when that import line reads
``import torch`` (the test suite does exactly that, and compares the two runs' losses).
Batches are drawn with NumPy from a seed, not from the framework's generator, so both
frameworks see the same data.
"""
import argparse
import math
import random
import time

import numpy as np

import numtorch as torch

nn = torch.nn
F = torch.nn.functional


# ----------------------------------------------------------------------------------- data
def make_text(n_sentences=600, seed=0):
    """A small deterministic corpus: sentences from a tiny grammar (learnable structure).

    >>> make_text(2, seed=1).count('.')
    2
    """
    rnd = random.Random(seed)
    subj = ['the cat', 'a dog', 'the old man', 'my sister', 'the small bird', 'a tired horse',
            'the teacher', 'our neighbour']
    verb = ['sees', 'likes', 'follows', 'watches', 'finds', 'calls', 'helps', 'greets']
    obj = ['the river', 'a red ball', 'the garden', 'an apple', 'the children', 'a quiet house',
           'the moon', 'some bread']
    tail = ['', ' every morning', ' near the hill', ' after dinner', ' in the rain', ' again']
    out = []
    for _ in range(n_sentences):
        s = f'{rnd.choice(subj)} {rnd.choice(verb)} {rnd.choice(obj)}{rnd.choice(tail)}.'
        out.append(s[0].upper() + s[1:])
    return ' '.join(out) + '\n'


class CharTokenizer:
    """Characters <-> integer ids over the characters of a text.

    >>> tok = CharTokenizer('abca')
    >>> tok.encode('cab'), tok.decode([0, 1])
    ([2, 0, 1], 'ab')
    """

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, s):
        return [self.stoi[c] for c in s]

    def decode(self, ids):
        return ''.join(self.chars[i] for i in ids)


def get_batch(data, block_size, batch_size, rng):
    """``batch_size`` random windows of ``data`` (a 1-D int64 array): inputs and next-char
    targets, as int64 tensors of shape (batch_size, block_size)."""
    ix = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    x = np.stack([data[i:i + block_size] for i in ix])
    y = np.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return torch.from_numpy(x), torch.from_numpy(y)


# ---------------------------------------------------------------------------------- model
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions <= t."""

    def __init__(self, d_model, n_head, dropout=0.0):
        super().__init__()
        assert d_model % n_head == 0
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.resid_drop = nn.Dropout(dropout)
        self.n_head = n_head
        self.dropout = dropout

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, heads, T, head size)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, d_model, n_head, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(),
                                 nn.Linear(4 * d_model, d_model), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Decoder-only transformer language model over ``vocab_size`` tokens.

    >>> model = GPT(vocab_size=5, block_size=8, n_layer=1, n_head=2, d_model=8)
    >>> logits, loss = model(torch.zeros(2, 8, dtype=torch.int64),
    ...                      torch.zeros(2, 8, dtype=torch.int64))
    >>> tuple(logits.shape), loss.dim()
    ((2, 8, 5), 0)
    """

    def __init__(self, vocab_size, block_size, n_layer=2, n_head=4, d_model=64, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight      # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith('proj.weight') or name.endswith('mlp.2.weight'):
                # GPT-2: scale the residual projections by 1/sqrt(2 * n_layer)
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        pos = torch.arange(T, dtype=torch.int64)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T)."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits = logits.masked_fill(logits < v[:, [-1]], float('-inf'))
            nxt = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, nxt), dim=1)
        return idx


def configure_optimizer(model, lr, weight_decay=0.1):
    """AdamW; weight decay on matrices only (not on biases, LayerNorm weights)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': weight_decay},
                              {'params': no_decay, 'weight_decay': 0.0}], lr=lr,
                             betas=(0.9, 0.95))


def train(model, data, steps, block_size, batch_size, lr, seed=0, log=None, log_every=50):
    """``steps`` AdamW steps on random windows of ``data``; returns the list of losses."""
    rng = np.random.default_rng(seed)
    opt = configure_optimizer(model, lr)
    model.train()
    losses = []
    for step in range(steps):
        x, y = get_batch(data, block_size, batch_size, rng)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if log is not None and (step % log_every == 0 or step == steps - 1):
            log(f'step {step:5d}  loss {losses[-1]:.4f}')
    return losses


def parse_args(argv=None):
    """The command line of ``python -m numtorch.examples.gpt`` (see ``--help``)."""
    p = argparse.ArgumentParser(prog='python -m numtorch.examples.gpt',
                                description='Train a small GPT-style character model.')
    p.add_argument('--text', help='a UTF-8 text file to train on (default: generated text)')
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--block-size', type=int, default=64)
    p.add_argument('--n-layer', type=int, default=2)
    p.add_argument('--n-head', type=int, default=4)
    p.add_argument('--d-model', type=int, default=64)
    p.add_argument('--dropout', type=float, default=0.0)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--sample', type=int, default=200, help='characters to generate at the end')
    return p.parse_args(argv)


def main(argv=None):
    """Entry point: ``python -m numtorch.examples.gpt [options]``."""
    args = parse_args(argv)
    if args.text:
        with open(args.text, encoding='utf-8') as f:
            text = f.read()
    else:
        text = make_text()
    tok = CharTokenizer(text)
    data = np.array(tok.encode(text), dtype=np.int64)
    torch.manual_seed(args.seed)
    model = GPT(tok.vocab_size, args.block_size, args.n_layer, args.n_head, args.d_model,
                args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{len(text)} characters, vocabulary {tok.vocab_size}, {n_params} parameters')
    t0 = time.perf_counter()
    train(model, data, args.steps, args.block_size, args.batch_size, args.lr, args.seed,
          log=print)
    print(f'{args.steps} steps in {time.perf_counter() - t0:.1f} s')
    if args.sample:
        model.eval()
        start = torch.tensor([tok.encode(text[0])], dtype=torch.int64)
        out = model.generate(start, args.sample, temperature=0.8, top_k=10)
        print(tok.decode(out[0].tolist()))


if __name__ == '__main__':
    main()
