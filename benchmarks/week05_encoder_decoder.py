"""Benchmark week 5's reference decoding, scoring and G2P model, side by side with their peers.

Loads the master notebook's definitions (its code cells, without the `train` and `gpu-extra` ones) and:

1. search: on random tiny scripted models (3-4 tokens, 3-4 steps), compares `beam_search` with an
   exhaustive search over every hypothesis (beam covering all: must agree every time; narrower beams: how
   often they find the optimum) and beam 1 with `greedy_decode`;
2. scoring: `edit_distance` / `phoneme_error_rate` against RapidFuzz's C++ Levenshtein distance (the peer
   a practitioner would use) on real phoneme sequences: agreement and speed;
3. G2P: trains the reference model on data/cmudict/ (teacher forcing, the notebook's `train_g2p`) and
   prints the test phoneme and word error rates for greedy decoding and beam widths 1, 2, 4 and 8, decoding
   time per word for each, and wall time.

    python benchmarks/week05_encoder_decoder.py                  # about 5-6 minutes on an idle 2-core machine
    python benchmarks/week05_encoder_decoder.py --budget 20 --words 300   # a quick smoke run
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import nbformat  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week05_encoder_decoder" / "encoder_decoder.ipynb"


def load_notebook() -> dict:
    """The namespace of the notebook's code cells, without training, GPU and check() cells."""
    ns: dict = {}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and not tags & {"train", "gpu-extra"} and not cell.source.startswith("check("):
            exec(compile(cell.source, str(NOTEBOOK), "exec"), ns)
    return ns


class TinyModel(torch.nn.Module):
    """A random model with the notebook's decoding interface: logits = table[step, previous token]."""

    def __init__(self, vocab_size: int, steps: int, gen: torch.Generator):
        super().__init__()
        self.table = 2.0 * torch.randn(steps, vocab_size, vocab_size, generator=gen, dtype=torch.float64)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor):
        return torch.zeros(src.shape[0], 1, dtype=torch.float64), (torch.zeros(src.shape[0], 1),)

    def step(self, tokens: torch.Tensor, state: torch.Tensor, memory: tuple):
        t = state[:, 0].long().clamp(max=self.table.shape[0] - 1)
        return self.table[t, tokens], state + 1


def exhaustive(model: TinyModel, max_len: int, bos: int, eos: int, alpha: float) -> tuple[list[int], float]:
    """The best length-normalised hypothesis of all (finished ones, and unfinished ones of max_len tokens)."""
    log_p = F.log_softmax(model.table, dim=-1)
    best, best_score = [], -math.inf
    V = model.table.shape[1]
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=n):
            if eos in seq[:-1] or (n < max_len and seq[-1] != eos):
                continue
            prev, total = bos, 0.0
            for t, token in enumerate(seq):
                total += log_p[min(t, log_p.shape[0] - 1), prev, token].item()
                prev = token
            if total / n**alpha > best_score:
                best, best_score = list(seq), total / n**alpha
    return best, best_score


def search_benchmark(ns: dict, trials: int) -> dict:
    gen = torch.Generator().manual_seed(0)
    agree_full, agree_greedy, found = 0, 0, {1: 0, 2: 0, 3: 0}
    seconds_beam = seconds_exhaustive = 0.0
    src = torch.tensor([1, 2, 3])
    for trial in range(trials):
        V, max_len = (3, 4) if trial % 2 else (4, 3)
        model, alpha = TinyModel(V, max_len, gen), (0.0, 0.6, 1.0)[trial % 3]
        start = time.perf_counter()
        best, best_score = exhaustive(model, max_len, 0, 1, alpha)
        seconds_exhaustive += time.perf_counter() - start
        start = time.perf_counter()
        tokens, score = ns["beam_search"](model, src, V**max_len, max_len, 0, 1, length_penalty=alpha)
        seconds_beam += time.perf_counter() - start
        agree_full += tokens.tolist() == best and abs(score - best_score) < 1e-9
        greedy = ns["greedy_decode"](model, src[None], torch.tensor([3]), max_len, 0, 1)[0].tolist()
        one, _ = ns["beam_search"](model, src, 1, max_len, 0, 1, length_penalty=alpha)
        agree_greedy += greedy[: len(one)] == one.tolist() and all(t == 1 for t in greedy[len(one):])
        for width in found:
            tokens, _ = ns["beam_search"](model, src, width, max_len, 0, 1, length_penalty=alpha)
            found[width] += tokens.tolist() == best
    return {
        "trials": trials,
        "full_beam_equals_exhaustive": f"{agree_full}/{trials}",
        "beam_1_equals_greedy": f"{agree_greedy}/{trials}",
        **{f"beam_{w}_finds_optimum": f"{n}/{trials}" for w, n in found.items()},
        "exhaustive_ms_per_problem": round(1000 * seconds_exhaustive / trials, 2),
        "full_beam_ms_per_problem": round(1000 * seconds_beam / trials, 2),
    }


def scoring_benchmark(ns: dict, pairs: list[tuple[list[str], list[str]]]) -> dict:
    ours_fn, per_fn = ns["edit_distance"], ns["phoneme_error_rate"]
    start = time.perf_counter()
    ours = [ours_fn(a, b) for a, b in pairs]
    seconds_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = [Levenshtein.distance(a, b) for a, b in pairs]
    seconds_theirs = time.perf_counter() - start
    per_ours = per_fn([a for a, _ in pairs], [b for _, b in pairs])
    per_theirs = sum(theirs) / sum(len(b) for _, b in pairs)
    return {
        "pairs": len(pairs),
        "distances_agree": f"{sum(o == t for o, t in zip(ours, theirs, strict=True))}/{len(pairs)}",
        "per_ours": round(per_ours, 6),
        "per_rapidfuzz": round(per_theirs, 6),
        "ours_us_per_pair": round(1e6 * seconds_ours / len(pairs), 2),
        "rapidfuzz_us_per_pair": round(1e6 * seconds_theirs / len(pairs), 2),
        "speed_ratio_ours_over_rapidfuzz": round(seconds_ours / seconds_theirs, 1),
    }


def g2p_benchmark(ns: dict, epochs: int, budget: float, words: int) -> dict:
    torch.manual_seed(0)
    model = ns["G2P"](emb_dim=64, enc_hidden=128, dec_hidden=256, attn_dim=128)
    start = time.perf_counter()
    history = ns["train_g2p"](model, epochs=epochs, time_budget_s=budget)
    train_seconds = time.perf_counter() - start
    model.eval()
    test = ns["test_pairs"][:words]
    refs = [phones for _, phones in test]
    start = time.perf_counter()
    greedy = ns["evaluate"](model, test)
    figures = {"parameters": sum(p.numel() for p in model.parameters()), "steps": history[-1][0],
               "train_seconds": round(train_seconds, 1), "test_words": len(test),
               "greedy_batched": {"per": round(greedy["per"], 4), "wer": round(greedy["wer"], 4),
                                  "ms_per_word": round(1000 * (time.perf_counter() - start) / len(test), 2)}}
    letters = ns["LETTERS"]
    for width in (1, 2, 4, 8):
        start = time.perf_counter()
        predictions = []
        for word, _ in test:
            src = torch.tensor([letters.index(c) + 1 for c in word])
            tokens, _ = ns["beam_search"](model, src, width, len(word) + 6, ns["BOS"], ns["EOS"], length_penalty=1.0)
            predictions.append(ns["phonemes_of"](tokens.tolist()))
        wer = sum(p != r for p, r in zip(predictions, refs, strict=True)) / len(refs)
        per = ns["phoneme_error_rate"](predictions, refs)
        figures[f"beam_{width}"] = {"per": round(per, 4), "wer": round(wer, 4),
                                    "ms_per_word": round(1000 * (time.perf_counter() - start) / len(test), 2)}
        if width == 1:
            figures["beam_1_equals_greedy_on_words"] = predictions == greedy["predictions"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--budget", type=float, default=200.0, help="training time budget in seconds")
    parser.add_argument("--words", type=int, default=2906, help="test words to decode (2906: all)")
    parser.add_argument("--trials", type=int, default=60, help="tiny search problems")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    wall = time.perf_counter()
    ns = load_notebook()

    random.seed(0)
    test = ns["test_pairs"]
    # predicted-vs-reference-like pairs: each test pronunciation against another word's of similar length
    shuffled = random.sample(test, len(test))
    pairs = [(a, b) for (_, a), (_, b) in zip(test, shuffled, strict=True)]
    figures = {"search": search_benchmark(ns, args.trials), "scoring": scoring_benchmark(ns, pairs)}
    figures["g2p"] = g2p_benchmark(ns, args.epochs, args.budget, args.words)
    figures["threads"] = args.threads
    figures["wall_seconds"] = round(time.perf_counter() - wall, 1)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
