"""Benchmark week 8's reference miniGPT on the shipped Shakespeare corpus.

Trains the master notebook's GPT (loaded by source/week08_bert_gpt/train_gpt.py, which executes
the notebook's functions and classes) with nanoGPT's CPU configuration: 4 layers, 4 heads,
d_model 128, context 64, batch 12, 2000 steps, AdamW, cosine schedule, no dropout. Prints
throughput, wall time and the validation loss (200 seeded batches), next to add-one unigram and
bigram baselines on the same 90/10 split.

    python benchmarks/minigpt.py                 # about 2-3 minutes on an idle 2-core machine
    python benchmarks/minigpt.py --iters 200     # a quick smoke run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "source" / "week08_bert_gpt" / "train_gpt.py"


def load_trainer():
    spec = importlib.util.spec_from_file_location("week08_train_gpt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    trainer = load_trainer()
    ns = trainer.load_notebook()
    text = trainer.find_data().read_text(encoding="ascii")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    unigram, bigram = ns["ngram_baselines"](data[:n], data[n:], len(chars))

    start = time.perf_counter()
    results = trainer.train(trainer.parse_args([
        "--iters", str(args.iters), "--threads", str(args.threads), "--device", "cpu",
        "--eval-every", "0", "--out", "", "--sample", "0",
    ]))
    figures = {
        "config": "n_layer=4 n_head=4 d_model=128 block_size=64 batch_size=12 dropout=0",
        "steps": results["steps"],
        "threads": args.threads,
        "train_seconds": round(results["seconds"], 1),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "tokens_per_s": round(results["tokens_per_s"]),
        "val_loss": round(results["val_loss"], 4),
        "uniform": round(math.log(len(chars)), 4),
        "unigram_val": round(unigram, 4),
        "bigram_add_one_val": round(bigram, 4),
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
