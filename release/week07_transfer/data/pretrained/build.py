"""Build week 7's pretrained artefacts from the shipped WordNet gloss corpus (no download, no hub).

Writes into --out (default: this folder):
  vocab.txt              the 5,000 most frequent words of the pretraining corpus, one per line, most frequent first
  sgns_seed0.safetensors `vectors` (5000, 64) float32: skip-gram with negative sampling, seed 0
  sgns_seed1.safetensors the same recipe with seed 1 (a second space to align with Procrustes)
  encoder.safetensors    a word-level BERT-style encoder (2 layers, 4 heads, d_model 64) pretrained with masked LM,
                         its token embeddings initialised from the seed-0 SGNS vectors
  metrics.json           the figures a rebuild must reproduce (see README.md for the tolerances)
  SHA256SUMS             sha256 of the four model files and vocab.txt

The pretraining corpus is data/wordnet_glosses/corpus.txt.gz minus every line that is the definition of
a val or test synset of supersenses.tsv.gz: the downstream task's evaluation glosses are never seen.

    python data/pretrained/build.py            # ~5 minutes on one idle CPU thread (build_seconds in metrics.json)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
GLOSSES = HERE.parent / "wordnet_glosses"
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")  # encoder ids 0..4; words follow from id 5
VOCAB_SIZE = 5000
SGNS = dict(dim=64, window=5, negatives=5, sample=1e-3, ns_exponent=0.75, epochs=2, batch=8192, lr=0.01)
ENCODER = dict(max_len=32, n_layer=2, n_head=4, d_model=64)
MLM = dict(steps=10_000, tokens=1024, warmup=500, max_lr=2e-3, min_lr_ratio=0.1, weight_decay=0.01, mask_prob=0.15,
           val_lines=2000, eval_every=1000)  # tokens: ids per batch, padding included (~100 glosses, ~95 masked)


# ---------------------------------------------------------------- corpus


def pretraining_corpus() -> list[list[str]]:
    """The gloss corpus without the definitions of val/test synsets (the downstream evaluation set)."""
    with gzip.open(GLOSSES / "supersenses.tsv.gz", "rt", encoding="ascii") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    held_out = {definition for _, _, split, definition in rows if split != "train"}
    with gzip.open(GLOSSES / "corpus.txt.gz", "rt", encoding="ascii") as f:
        return [line.split() for line in (raw.rstrip("\n") for raw in f) if line not in held_out]


def top_words(corpus: list[list[str]], size: int) -> list[str]:
    """The `size` most frequent words, ties broken alphabetically."""
    counts = Counter(word for line in corpus for word in line)
    return sorted(counts, key=lambda w: (-counts[w], w))[:size]


# ---------------------------------------------------------------- SGNS


def sgns_pairs(ids: np.ndarray, line_of: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """(centre, context) pairs with word2vec.c's dynamic window: each centre draws b in [1, window]
    and pairs with the words at distance <= b in its own line."""
    reach = rng.integers(1, window + 1, size=len(ids))
    pairs = []
    for offset in range(1, window + 1):
        ahead, behind = slice(offset, None), slice(None, -offset)
        for centre, context in ((behind, ahead), (ahead, behind)):
            keep = (line_of[centre] == line_of[context]) & (reach[centre] >= offset)
            pairs.append(np.stack([ids[centre][keep], ids[context][keep]], axis=1))
    return np.concatenate(pairs)


def train_sgns(corpus: list[list[str]], vocab: list[str], seed: int) -> tuple[torch.Tensor, list[float]]:
    """Skip-gram with negative sampling (Mikolov et al., 2013): input vectors (V, dim), loss per epoch."""
    cfg = SGNS
    index = {w: i for i, w in enumerate(vocab)}
    ids, line_of = [], []
    for n, line in enumerate(corpus):
        known = [index[w] for w in line if w in index]  # out-of-vocabulary words are dropped, as min_count does
        ids += known
        line_of += [n] * len(known)
    ids, line_of = np.array(ids), np.array(line_of)
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.float64)
    freq = counts / counts.sum()
    keep_prob = np.minimum(1.0, (np.sqrt(freq / cfg["sample"]) + 1) * cfg["sample"] / freq)  # word2vec.c's rule
    noise = counts ** cfg["ns_exponent"]
    noise_cdf = np.cumsum(noise / noise.sum())

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    d = cfg["dim"]
    w_in = nn.Embedding(len(vocab), d)  # dense gradients: at 5,000 x 64, cheaper than sparse ones here
    w_out = nn.Embedding(len(vocab), d)
    nn.init.uniform_(w_in.weight, -0.5 / d, 0.5 / d)
    nn.init.zeros_(w_out.weight)
    opt = torch.optim.Adam([w_in.weight, w_out.weight], lr=cfg["lr"])
    losses = []
    for _ in range(cfg["epochs"]):
        kept = rng.random(len(ids)) < keep_prob[ids]
        pairs = sgns_pairs(ids[kept], line_of[kept], cfg["window"], rng)
        pairs = torch.from_numpy(pairs[rng.permutation(len(pairs))])
        total, count = 0.0, 0
        for start in range(0, len(pairs), cfg["batch"]):
            centre, context = pairs[start:start + cfg["batch"]].unbind(1)
            negatives = torch.from_numpy(np.searchsorted(noise_cdf, rng.random((len(centre), cfg["negatives"]))))
            negatives = negatives.clamp_max(len(vocab) - 1)
            u = w_in(centre)  # (B, d)
            pos = (u * w_out(context)).sum(-1)  # (B,)
            neg = torch.einsum("bd,bkd->bk", u, w_out(negatives))  # (B, k)
            loss = -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(-1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(centre), count + len(centre)
        losses.append(total / count)
    return w_in.weight.detach().clone(), losses


# ---------------------------------------------------------------- encoder (the notebook defines the same classes)


class SelfAttention(nn.Module):
    """Multi-head self-attention; `mask` is True where a query may attend to a key (broadcast to (B, nh, T, T))."""

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        self.n_head, self.dropout = n_head, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.resid_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        return self.resid_drop(self.proj(y.transpose(1, 2).contiguous().view(B, T, C)))


class MLP(nn.Module):
    def __init__(self, d_model: int, dropout: float = 0.0):
        super().__init__()
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_head, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class Encoder(nn.Module):
    """Word-level BERT-style encoder: hidden states (B, T, C); `mlm_logits` is the tied masked-LM head."""

    def __init__(self, vocab_size: int, max_len: int, n_layer: int, n_head: int, d_model: int, dropout: float = 0.0):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(max_len, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.mlm_transform = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.LayerNorm(d_model))
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))
        for name, p in self.named_parameters():  # GPT-2 initialisation
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, idx: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """idx (B, T) ids, mask (B, T) True at real tokens -> hidden states (B, T, C)."""
        T = idx.shape[1]
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device)))
        attn_mask = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, T): padding is never a key
        for block in self.blocks:
            x = block(x, attn_mask)
        return self.ln_f(x)

    def mlm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., V), the decoder tied to the token embeddings."""
        return self.mlm_transform(hidden) @ self.tok_emb.weight.T + self.mlm_bias


def encode_lines(lines: list[list[str]], vocab: list[str], max_len: int) -> list[list[int]]:
    """[CLS] w1 ... wn [SEP] as encoder ids, words beyond max_len - 2 cut, unknown words [UNK]."""
    index = {w: i + len(SPECIALS) for i, w in enumerate(vocab)}
    return [[2] + [index.get(w, 1) for w in line[: max_len - 2]] + [3] for line in lines]


def pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, mask) padded with [PAD] = 0 to the longest sequence."""
    T = max(len(s) for s in seqs)
    ids = torch.tensor([s + [0] * (T - len(s)) for s in seqs])
    return ids, ids != 0


def mask_for_mlm(
    ids: torch.Tensor, vocab_size: int, mask_prob: float, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 80/10/10 recipe on ordinary tokens (id >= 5): (inputs, labels with -100 where not chosen)."""
    ordinary = ids >= len(SPECIALS)
    chosen = (torch.rand(ids.shape, generator=gen) < mask_prob) & ordinary
    labels = torch.where(chosen, ids, -100)
    roll = torch.rand(ids.shape, generator=gen)
    inputs = torch.where(chosen & (roll < 0.8), 4, ids)
    random_ids = torch.randint(len(SPECIALS), vocab_size, ids.shape, generator=gen)
    inputs = torch.where(chosen & (roll >= 0.8) & (roll < 0.9), random_ids, inputs)
    return inputs, labels


@torch.no_grad()
def mlm_eval(model: Encoder, seqs: list[list[int]], vocab_size: int) -> tuple[float, float]:
    """Masked-LM loss and accuracy on `seqs`, masks drawn from a fixed seed."""
    model.eval()
    gen = torch.Generator().manual_seed(1234)
    total, correct, count = 0.0, 0, 0
    for start in range(0, len(seqs), 256):
        ids, mask = pad(seqs[start:start + 256])
        inputs, labels = mask_for_mlm(ids, vocab_size, MLM["mask_prob"], gen)
        chosen = labels != -100
        logits = model.mlm_logits(model(inputs, mask)[chosen])  # only the chosen positions: (n, V)
        total += F.cross_entropy(logits, labels[chosen], reduction="sum").item()
        correct += (logits.argmax(-1) == labels[chosen]).sum().item()
        count += int(chosen.sum())
    model.train()
    return total / count, correct / count


def length_batches(lengths: np.ndarray, tokens: int, rng: np.random.Generator) -> list[list[int]]:
    """One epoch of batches of similar length, at most `tokens` ids each, padding included.

    Shuffle, sort each run of 8,192 sequences by length, cut it greedily, shuffle the batches: a random
    batch of 64 glosses is padded to ~30 ids for 10 real ones, and the padding costs as much as the text."""
    order, batches = rng.permutation(len(lengths)), []
    for run in np.array_split(order, max(1, len(order) // 8192)):
        run = run[np.argsort(lengths[run], kind="stable")]
        batch: list[int] = []
        for i in run:
            if batch and (len(batch) + 1) * lengths[i] > tokens:  # run is sorted: lengths[i] is the batch's longest
                batches.append(batch)
                batch = []
            batch.append(int(i))
        batches.append(batch)
    return [batches[i] for i in rng.permutation(len(batches))]


@torch.no_grad()
def unigram_eval(train: list[list[int]], val: list[list[int]], vocab_size: int) -> tuple[float, float]:
    """The baseline a masked LM must beat: the training unigram distribution at mlm_eval's masked positions."""
    counts = torch.bincount(torch.tensor([i for s in train for i in s if i >= len(SPECIALS)]), minlength=vocab_size)
    log_p = (counts.double() / counts.sum()).log()
    gen = torch.Generator().manual_seed(1234)  # mlm_eval's masks
    total, correct, count = 0.0, 0, 0
    for start in range(0, len(val), 256):
        ids, _ = pad(val[start:start + 256])
        _, labels = mask_for_mlm(ids, vocab_size, MLM["mask_prob"], gen)
        target = labels[labels != -100]
        total -= log_p[target].sum().item()
        correct += (target == log_p.argmax()).sum().item()
        count += len(target)
    return total / count, correct / count


def mlm_lr(step: int) -> float:
    """Linear warm-up to max_lr, then cosine decay to min_lr_ratio * max_lr at the last step."""
    if step < MLM["warmup"]:
        return MLM["max_lr"] * (step + 1) / MLM["warmup"]
    angle = math.pi * (step - MLM["warmup"]) / (MLM["steps"] - MLM["warmup"])
    ratio = MLM["min_lr_ratio"]
    return MLM["max_lr"] * (ratio + (1 - ratio) * 0.5 * (1 + math.cos(angle)))


def train_encoder(
    corpus: list[list[str]], vocab: list[str], vectors: torch.Tensor
) -> tuple[Encoder, dict[str, float | list[list[float]]]]:
    """Masked-LM pretraining, one corpus line per sequence, the token embeddings initialised from `vectors`
    (SGNS, (len(vocab), d_model)); AdamW, warm-up then cosine decay, batches of similar length."""
    seqs = encode_lines(corpus, vocab, ENCODER["max_len"])
    order = np.random.default_rng(0).permutation(len(seqs))
    val = [seqs[i] for i in order[: MLM["val_lines"]]]
    train = [seqs[i] for i in order[MLM["val_lines"]:]]
    V = len(SPECIALS) + len(vocab)
    torch.manual_seed(0)
    model = Encoder(V, **ENCODER)
    with torch.no_grad():
        model.tok_emb.weight[len(SPECIALS):] = vectors  # week 1's vectors, unscaled; specials keep N(0, 0.02)
    # no weight decay on embeddings, LayerNorms and biases (BERT's recipe): decay would shrink the SGNS rows
    decay = [p for name, p in model.named_parameters() if p.dim() >= 2 and "emb" not in name]
    no_decay = [p for name, p in model.named_parameters() if not (p.dim() >= 2 and "emb" not in name)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": MLM["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=MLM["max_lr"])
    gen, rng = torch.Generator().manual_seed(0), np.random.default_rng(0)
    lengths = np.array([len(s) for s in train])
    unigram = unigram_eval(train, val, V)
    curve = [[0, *mlm_eval(model, val, V)]]  # (step, val loss, val accuracy)
    losses: list[float] = []
    queue: list[list[int]] = []
    for step in range(MLM["steps"]):
        for group in opt.param_groups:
            group["lr"] = mlm_lr(step)
        if not queue:
            queue = length_batches(lengths, MLM["tokens"], rng)
        ids, mask = pad([train[i] for i in queue.pop()])
        inputs, labels = mask_for_mlm(ids, V, MLM["mask_prob"], gen)
        chosen = labels != -100  # the (V,)-wide head runs on the chosen positions only: 7x less work
        loss = F.cross_entropy(model.mlm_logits(model(inputs, mask)[chosen]), labels[chosen])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if (step + 1) % MLM["eval_every"] == 0:
            curve.append([step + 1, *mlm_eval(model, val, V)])
            print(f"mlm step {step + 1}: train {sum(losses[-500:]) / 500:.3f}, val {curve[-1][1]:.3f}, "
                  f"accuracy {curve[-1][2]:.3f}", flush=True)
    return model.eval(), {
        "mlm_val_loss_unigram": round(unigram[0], 4), "mlm_val_acc_unigram": round(unigram[1], 4),
        "mlm_val_loss_init": round(curve[0][1], 4), "mlm_val_acc_init": round(curve[0][2], 4),
        "mlm_val_loss": round(curve[-1][1], 4), "mlm_val_acc": round(curve[-1][2], 4),
        "mlm_train_loss_last500": round(sum(losses[-500:]) / 500, 4),
        "mlm_val_curve": [[s, round(loss, 4), round(acc, 4)] for s, loss, acc in curve],
    }


# ---------------------------------------------------------------- figures a rebuild must reproduce


def neighbour_overlap(a: torch.Tensor, b: torch.Tensor, words: int = 1000, k: int = 10) -> float:
    """Mean overlap of the k nearest neighbours (cosine) of the `words` most frequent words in two spaces."""
    def neighbours(x: torch.Tensor) -> torch.Tensor:
        x = F.normalize(x, dim=1)
        sims = x[:words] @ x.T
        sims[torch.arange(words), torch.arange(words)] = -2.0
        return sims.topk(k, dim=1).indices
    na, nb = neighbours(a), neighbours(b)
    return sum(len(set(r.tolist()) & set(s.tolist())) for r, s in zip(na, nb, strict=True)) / (words * k)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same floating-point sums on every machine with this torch
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    corpus = pretraining_corpus()
    vocab = top_words(corpus, VOCAB_SIZE)
    (args.out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="ascii")
    known = set(vocab)
    n_tokens = sum(map(len, corpus))
    metrics: dict[str, float | int | list] = {
        "corpus_lines": len(corpus), "corpus_tokens": n_tokens,
        "vocab_token_coverage": round(sum(w in known for line in corpus for w in line) / n_tokens, 4),
    }
    spaces = []
    for seed in (0, 1):
        vectors, losses = train_sgns(corpus, vocab, seed)
        save_file({"vectors": vectors.contiguous()}, str(args.out / f"sgns_seed{seed}.safetensors"))
        metrics[f"sgns_seed{seed}_epoch_losses"] = [round(x, 4) for x in losses]
        spaces.append(vectors)
        print(f"sgns seed {seed}: losses {losses} ({time.time() - t0:.0f} s)", flush=True)
    metrics["sgns_seed_neighbour_overlap_at_10"] = round(neighbour_overlap(*spaces), 4)
    model, mlm = train_encoder(corpus, vocab, spaces[0])
    metrics |= mlm
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / "encoder.safetensors"))  # no metadata: its key order is not deterministic
    metrics["build_seconds"] = round(time.time() - t0)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    names = ("vocab.txt", "sgns_seed0.safetensors", "sgns_seed1.safetensors", "encoder.safetensors")
    (args.out / "SHA256SUMS").write_text("".join(f"{sha256(args.out / n)}  {n}\n" for n in names))
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
