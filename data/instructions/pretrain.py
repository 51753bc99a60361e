"""Pretrain the week-9 base model: a character-level miniGPT on Shakespeare plus plain task text.

The model is week 8's GPT (pre-norm blocks, learned positions, tied head), written out here so
the script stands alone; the notebook defines the same classes and loads the weights.
Deterministic on one thread: rerunning it on the same machine and torch version rewrites the same
bytes (float summation order may differ on other CPUs).

    python data/instructions/build.py        # the data first (seconds)
    python data/instructions/pretrain.py     # base_model.npz + base_model.json, a few CPU minutes

The weights are a `.npz` of plain float32 arrays, one per state_dict entry (no pickle: loading
them with `np.load(path, allow_pickle=False)` cannot run code, the guarantee `torch.load(...,
weights_only=True)` gives for a `.pt`; the course refuses pickle-based files in its releases),
written with fixed zip timestamps so the same weights give the same bytes.

Every batch holds half Shakespeare windows, half windows of `pretrain_tasks.txt` (the task
facts as plain sentences, never in the chat template): the base model knows the facts but has
never seen an instruction, a special token or a response.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
SHAKESPEARE = HERE.parent / "shakespeare" / "input.txt"
CHARS = "\n" + "".join(chr(i) for i in range(32, 127))  # ids 0..95: newline and printable ASCII
SPECIALS = ("<|user|>", "<|assistant|>", "<|end|>", "<|pad|>")  # ids 96..99
CONFIG = dict(vocab_size=len(CHARS) + len(SPECIALS), block_size=96, n_layer=4, n_head=4, d_model=128, dropout=0.0)
TRAIN = dict(iters=1200, batch_size=16, warmup=100, max_lr=2e-3, min_lr=2e-4, weight_decay=0.1, clip=1.0, seed=1337)


class SelfAttention(nn.Module):
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
    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_head, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, d_model: int, dropout: float = 0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight
        for name, p in self.named_parameters():  # GPT-2 initialisation
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * n_layer) if name.endswith("proj.weight") else 0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.size(1)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device)))
        mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))


def save_state(state: dict[str, torch.Tensor], path: Path) -> None:
    """A state_dict as an .npz of plain arrays, keys sorted, fixed timestamps: same weights, same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(state):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, state[key].detach().cpu().numpy(), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def load_state(path: Path) -> dict[str, torch.Tensor]:
    with np.load(path, allow_pickle=False) as arrays:
        return {key: torch.from_numpy(arrays[key]) for key in arrays.files}


def encode(text: str) -> torch.Tensor:
    stoi = {c: i for i, c in enumerate(CHARS)}
    return torch.tensor([stoi[c] for c in text], dtype=torch.long)


def windows(data: torch.Tensor, n: int, block: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    ix = torch.randint(len(data) - block, (n,), generator=gen)
    chunk = torch.stack([data[i : i + block + 1] for i in ix.tolist()])
    return chunk[:, :-1], chunk[:, 1:]


def lr_at(step: int, cfg: dict) -> float:
    if step < cfg["warmup"]:
        return cfg["max_lr"] * (step + 1) / (cfg["warmup"] + 1)
    progress = min(1.0, (step - cfg["warmup"]) / (cfg["iters"] - cfg["warmup"]))
    return cfg["min_lr"] + 0.5 * (1 + math.cos(math.pi * progress)) * (cfg["max_lr"] - cfg["min_lr"])


def pretrain(iters: int, out: Path) -> dict:
    torch.set_num_threads(1)  # one thread: bitwise reproducible on a machine, and fast under load
    cfg = TRAIN | {"iters": iters}
    torch.manual_seed(cfg["seed"])
    shakespeare = encode(SHAKESPEARE.read_text(encoding="ascii"))
    tasks = encode((HERE / "pretrain_tasks.txt").read_text(encoding="ascii"))
    model = GPT(**CONFIG)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg["weight_decay"]},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=cfg["max_lr"], betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(cfg["seed"])
    half, block = cfg["batch_size"] // 2, CONFIG["block_size"]
    losses, start = [], time.time()
    for step in range(iters):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        xs, ys = zip(windows(shakespeare, half, block, gen), windows(tasks, half, block, gen), strict=True)
        x, y = torch.cat(xs), torch.cat(ys)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg["clip"])
        optimizer.step()
        losses.append(loss.item())
        if (step + 1) % 100 == 0:
            print(f"step {step + 1}: loss {sum(losses[-100:]) / 100:.3f} ({time.time() - start:.0f} s)", flush=True)
    save_state(model.state_dict(), out / "base_model.npz")
    record = {"config": CONFIG, "train": cfg, "chars": CHARS, "specials": list(SPECIALS), "torch": torch.__version__,
              "final_loss_mean_100": round(sum(losses[-100:]) / 100, 4)}
    (out / "base_model.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=TRAIN["iters"])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    record = pretrain(args.iters, args.out)
    print(json.dumps({k: record[k] for k in ("final_loss_mean_100", "torch")}))
    if args.out == HERE:
        import build  # the folder's build.py: SHA256SUMS covers the data and the model

        build.write_sums(HERE)


if __name__ == "__main__":
    main()
