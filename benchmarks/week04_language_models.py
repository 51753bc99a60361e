"""Benchmark week 4's interpolated Kneser-Ney against NLTK's `nltk.lm.KneserNeyInterpolated`.

Both models are fit in this process on the same training text of the shipped Shakespeare corpus
(week 8's 90/10 split, the notebook's word tokenizer and <unk> threshold), with the same order, the same
discount and the same vocabulary, and score the same held-out tokens (every word, <unk> included, and
one </s> per line). The reference is the master notebook's `ngram_counts` and `KneserNey`, executed from
source/week04_language_models/language_models.ipynb.

Where the definitions differ, and how the comparison handles it:

- Padding. NLTK's `padded_everygram_pipeline` pads n - 1 "</s>" on the right, so a trigram model also
  predicts "</s>" after "</s>"; the course pads one. NLTK is therefore fed the course's n-grams (n - 1
  "<s>", one "</s>") and every suffix of them, so its count tables hold exactly the course's n-gram types.
- The bottom of the recursion. NLTK 3.9.1 ends at the unigram continuation distribution,
  p(w) = N1+(. w) / N1+(. .), undiscounted; the course (Chen & Goodman 1999) discounts it too and
  interpolates with the uniform distribution 1/|V|, so a word never seen still gets probability. When
  every token of V has been seen (as here: V is built from the training text, rare words as <unk>), the
  two are the same distribution: each word loses D / N1+(. .) and gets D * |V| / N1+(. .) / |V| back.
  They differ only for vocabulary tokens never seen in training, which stock NLTK gives probability 0.
  `KneserNeyUniformBase` below gives NLTK the course's last level (the only change), so the comparison
  also holds for such vocabularies (tests/test_week04_language_models.py checks one); both NLTK models
  are reported. Target: perplexity within 1%.
- Unseen contexts. Both pass the lower order through unchanged (NLTK: alpha 0, gamma 1), as the course does.
- NLTK scores one n-gram at a time and recomputes continuation counts by scanning every context of the
  order above (O(number of contexts) per call), so it scores only the first --nltk-tokens held-out tokens;
  the time per token is compared.

    python benchmarks/week04_language_models.py                       # orders 2 and 3, D = 0.75
    python benchmarks/week04_language_models.py --orders 2 --nltk-tokens 300
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat
import torch
from nltk.lm import KneserNeyInterpolated
from nltk.lm.smoothing import KneserNey as NLTKKneserNey

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week04_language_models" / "language_models.ipynb"
DATA = ROOT / "data" / "shakespeare" / "input.txt"
CONSTANTS = {"BOS", "EOS", "UNK", "MIN_COUNT", "TOKEN"}
NEEDED = {"ngram_counts", "tokenize", "KneserNey"}


def wanted(node: ast.stmt) -> bool:
    """Imports (not coursekit's or matplotlib's), the constants and the definitions the benchmark uses."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        return not any(name.split(".")[0] in ("coursekit", "matplotlib") for name in names)
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return node.name in NEEDED
    if isinstance(node, ast.Assign):
        return bool({getattr(t, "id", None) for t in ast.walk(node.targets[0])} & CONSTANTS)
    return False


def load_reference(path: Path = NOTEBOOK) -> dict[str, Any]:
    """The notebook's imports, constants and the definitions the benchmark needs, in a fresh namespace."""
    nb = nbformat.read(str(path), as_version=4)
    ns: dict[str, Any] = {"__name__": "week04_reference"}
    for cell in nb.cells:
        if cell.cell_type != "code" or {"train", "gpu-extra"} & set(cell.get("metadata", {}).get("tags", [])):
            continue
        keep = [node for node in ast.parse(cell.source).body if wanted(node)]
        exec(compile(ast.Module(body=keep, type_ignores=[]), path.name, "exec"), ns)
    return ns


class KneserNeyUniformBase(NLTKKneserNey):
    """NLTK's Kneser-Ney with the course's last level: the unigram continuation counts discounted and
    interpolated with the uniform distribution over `size` tokens (NLTK 3.9.1: undiscounted, no uniform)."""

    def __init__(self, vocabulary, counter, order, discount, size: int):
        super().__init__(vocabulary, counter, order, discount=discount)
        self.size = size
        self.continued = len({w for ctx in counter[2] for w in counter[2][ctx] if counter[2][ctx][w] > 0})

    def unigram_score(self, word):
        count, total = self._continuation_counts(word)
        return max(count - self.discount, 0.0) / total + self.discount * self.continued / total / self.size


def corpus(ns: dict[str, Any]) -> tuple[list[list[str]], list[list[str]], frozenset[str]]:
    """The notebook's training and held-out sentences (lines, tokenised, rare words as <unk>) and V."""
    text = DATA.read_text(encoding="ascii")
    cut = int(0.9 * len(text))
    train = [ns["tokenize"](line) for line in text[:cut].split("\n") if line.strip()]
    val = [ns["tokenize"](line) for line in text[cut:].split("\n") if line.strip()]
    freq = Counter(w for s in train for w in s)
    vocab = frozenset(w for w, c in freq.items() if c >= ns["MIN_COUNT"]) | {ns["UNK"], ns["EOS"]}

    def to_vocab(sentences):
        return [[w if w in vocab else ns["UNK"] for w in s] for s in sentences]

    return to_vocab(train), to_vocab(val), vocab


def held_out_ngrams(sentences: list[list[str]], n: int, bos: str, eos: str) -> list[tuple[str, ...]]:
    """Every predicted token with its padded context, in order."""
    grams = []
    for s in sentences:
        padded = [bos] * (n - 1) + s + [eos]
        grams += [tuple(padded[i : i + n]) for i in range(len(padded) - n + 1)]
    return grams


def nltk_text(ngrams: Counter) -> list[list[tuple[str, ...]]]:
    """The course's n-grams and all their suffixes (orders 1..n), as NLTK's fit expects: the count tables
    then hold exactly the course's n-gram types at every order."""
    items = []
    for gram, count in ngrams.items():
        for _ in range(count):
            items += [gram[i:] for i in range(len(gram))]
    return [items]


def compare(n: int, discount: float, train, val, vocab, ns, nltk_tokens: int) -> dict[str, Any]:
    bos, eos = ns["BOS"], ns["EOS"]
    grams = held_out_ngrams(val, n, bos, eos)
    subset = grams[:nltk_tokens]

    start = time.perf_counter()
    ours = ns["KneserNey"](n, discount).fit(ns["ngram_counts"](train, n), vocab)
    ours_fit = time.perf_counter() - start
    start = time.perf_counter()
    ours_all = [ours.prob(g[-1], g[:-1]) for g in grams]
    ours_score = (time.perf_counter() - start) / len(grams)
    ours_sub = ours_all[: len(subset)]

    start = time.perf_counter()
    counts = ns["ngram_counts"](train, n)
    stock = KneserNeyInterpolated(n, discount=discount)
    stock.fit(nltk_text(counts), sorted(vocab | {bos}))
    nltk_fit = time.perf_counter() - start
    start = time.perf_counter()
    stock_sub = [stock.score(g[-1], g[:-1]) for g in subset]
    nltk_score = (time.perf_counter() - start) / len(subset)
    aligned = KneserNeyInterpolated(n, discount=discount)
    aligned.counts, aligned.vocab = stock.counts, stock.vocab
    aligned.estimator = KneserNeyUniformBase(stock.vocab, stock.counts, n, discount, len(vocab))
    aligned_sub = [aligned.score(g[-1], g[:-1]) for g in subset]

    def ppl(probs: list[float]) -> float:
        return math.exp(-sum(math.log(p) for p in probs) / len(probs))

    return {
        "order": n, "discount": discount, "held_out_tokens": len(grams), "compared_tokens": len(subset),
        "ours_ppl_all": ppl(ours_all), "ours_ppl_subset": ppl(ours_sub),
        "nltk_aligned_ppl_subset": ppl(aligned_sub), "nltk_stock_ppl_subset": ppl(stock_sub),
        "aligned_ppl_rel_diff": abs(ppl(ours_sub) / ppl(aligned_sub) - 1),
        "aligned_max_prob_rel_diff": max(abs(a / b - 1) for a, b in zip(ours_sub, aligned_sub, strict=True)),
        "stock_ppl_rel_diff": abs(ppl(ours_sub) / ppl(stock_sub) - 1),
        "stock_max_prob_rel_diff": max(abs(a / b - 1) for a, b in zip(ours_sub, stock_sub, strict=True)),
        "ours_fit_s": ours_fit, "nltk_fit_s": nltk_fit, "fit_speedup": nltk_fit / ours_fit,
        "ours_score_us_per_token": 1e6 * ours_score, "nltk_score_us_per_token": 1e6 * nltk_score,
        "score_speedup": nltk_score / ours_score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--discount", type=float, default=0.75)
    parser.add_argument("--nltk-tokens", type=int, default=300, help="held-out tokens NLTK scores (it is slow)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(1)

    ns = load_reference()
    train, val, vocab = corpus(ns)
    print(f"{sum(map(len, train)):,} training words in {len(train):,} lines; |V| = {len(vocab):,}; "
          f"D = {args.discount}")
    rows = []
    for n in args.orders:
        row = compare(n, args.discount, train, val, vocab, ns, args.nltk_tokens)
        rows.append(row)
        print(f"\norder {n}: perplexity over all {row['held_out_tokens']:,} held-out tokens (ours) "
              f"{row['ours_ppl_all']:.2f}")
        print(f"  first {row['compared_tokens']:,} tokens: ours {row['ours_ppl_subset']:.3f} | NLTK with the "
              f"course's last level {row['nltk_aligned_ppl_subset']:.3f} (rel. diff {row['aligned_ppl_rel_diff']:.1e},"
              f" max per-token {row['aligned_max_prob_rel_diff']:.1e}) | NLTK stock "
              f"{row['nltk_stock_ppl_subset']:.3f} (rel. diff {row['stock_ppl_rel_diff']:.1e}, max per-token "
              f"{row['stock_max_prob_rel_diff']:.1e})")
        print(f"  fit: ours {row['ours_fit_s']:.2f} s, NLTK {row['nltk_fit_s']:.2f} s ({row['fit_speedup']:.1f}x)")
        print(f"  score: ours {row['ours_score_us_per_token']:.1f} us/token, NLTK "
              f"{row['nltk_score_us_per_token']:.0f} us/token ({row['score_speedup']:.0f}x)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
