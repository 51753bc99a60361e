"""Benchmark week 8's reference byte-pair encoding against Hugging Face `tokenizers`.

The reference `train_bpe`, `bpe_encode` and `bpe_decode` are the master notebook's (loaded by
source/week08_bert_gpt/train_gpt.py). The peer is `tokenizers`' BPE trained with equivalent
settings: GPT-2's byte-level pre-tokeniser (`ByteLevel(add_prefix_space=False, use_regex=True)`),
all 256 bytes in the initial alphabet, no special tokens, no minimum frequency, the same number of
merges, on the same text (the first 90% of data/shakespeare/input.txt, as one string).

Where the definitions agree the results must be identical, and this script asserts it:

- training: the same pair counts, so the same merges for as long as no tie is broken. The two
  break ties differently: the notebook takes the greater pair of ids, `tokenizers` the smaller pair
  of its own ids (its alphabet is sorted by the characters bytes are mapped to, so space and newline
  sort after the printable bytes). The script reports the first merge where the two differ and
  checks that the two pairs had equal counts there (a tie), then how many merges both learned.
- encoding: a `tokenizers` BPE model built from the *reference's* merges must give the reference's
  ids on the validation text, and decoding must give the text back.
- pre-tokenisation: the notebook's pattern is GPT-2's written for Python's `re` (Unicode letters
  `[^\\W\\d_]`, digits `\\d`); on this ASCII corpus it splits exactly as GPT-2's `\\p{L}`, `\\p{N}`.

Throughput (training and encoding) is printed as the ratio of the two wall times, with
`tokenizers` on one thread by default (RAYON_NUM_THREADS) to compare implementations, not cores.

    python benchmarks/bpe.py                  # 256 merges, about 10 s
    python benchmarks/bpe.py --merges 1000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "source" / "week08_bert_gpt" / "train_gpt.py"


def load_notebook() -> dict[str, Any]:
    """The week-8 notebook's functions, executed by train_gpt.py's loader."""
    spec = importlib.util.spec_from_file_location("week08_train_gpt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook()


def byte_symbols() -> dict[int, str]:
    """GPT-2's map from bytes to printable characters, as `tokenizers`' ByteLevel uses it."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols, extra = {}, 0
    for b in range(256):
        if b in printable:
            symbols[b] = chr(b)
        else:
            symbols[b] = chr(256 + extra)
            extra += 1
    return symbols


def train_peer(text: str, merges: int):
    """`tokenizers` BPE trained as the notebook's: (tokenizer, merges as pairs of bytes)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=256 + merges, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  min_frequency=0, show_progress=False, special_tokens=[])
    tokenizer.train_from_iterator([text], trainer)
    to_byte = {s: b for b, s in byte_symbols().items()}
    learned = json.loads(tokenizer.to_str())["model"]["merges"]
    pairs = [tuple(m.split(" ") if isinstance(m, str) else m) for m in learned]
    return tokenizer, [tuple(bytes(to_byte[c] for c in part) for part in pair) for pair in pairs]


def peer_from_merges(merges: list[tuple[int, int]], vocab: dict[int, bytes]):
    """A `tokenizers` byte-level BPE whose vocabulary and merges are the reference's."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    symbols = byte_symbols()

    def name(token: int) -> str:
        return "".join(symbols[b] for b in vocab[token])

    model = models.BPE(vocab={name(i): i for i in vocab}, merges=[(name(a), name(b)) for a, b in merges])
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def pair_counts(ns: dict[str, Any], text: str, merges: list[tuple[int, int]]) -> Counter:
    """Weighted counts of adjacent pairs inside the pre-tokens of text, after `merges` (as training sees them)."""
    counts: Counter = Counter()
    for word, n in Counter(ns["pretokenize"](text)).items():
        ids = ns["bpe_encode"](word, merges)
        for pair in zip(ids, ids[1:], strict=False):
            counts[pair] += n
    return counts


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def compare(ns: dict[str, Any], train: str, val: str, merges: int) -> dict[str, Any]:
    """Train both on `train`, encode `val` with the reference's merges both ways; the figures. Asserts
    what must agree: the first differing merge is a tie, the encodings and round trips are identical."""
    ours, ours_s = timed(ns["train_bpe"], train, 256 + merges)
    (_, theirs), peer_s = timed(train_peer, train, merges)
    vocab = ns["token_bytes"](ours)
    ours_bytes = [(vocab[a], vocab[b]) for a, b in ours]
    same_prefix = next((i for i, (x, y) in enumerate(zip(ours_bytes, theirs, strict=False)) if x != y),
                       min(len(ours_bytes), len(theirs)))
    figures: dict[str, Any] = {
        "merges": len(ours), "peer_merges": len(theirs), "identical_prefix": same_prefix,
        "learned_by_both": len(set(ours_bytes) & set(theirs)),
        "train_seconds": round(ours_s, 2), "peer_train_seconds": round(peer_s, 2),
        "train_time_ratio": round(ours_s / peer_s, 1),
    }
    if same_prefix < min(len(ours), len(theirs)):  # the first difference must be a tie broken the other way
        counts = pair_counts(ns, train, ours[:same_prefix])
        inverse = {v: k for k, v in vocab.items()}
        peer_pair = tuple(inverse[part] for part in theirs[same_prefix])
        figures["first_difference"] = {
            "merge": same_prefix, "reference": [p.decode("utf-8", "replace") for p in ours_bytes[same_prefix]],
            "peer": [p.decode("utf-8", "replace") for p in theirs[same_prefix]],
            "counts": [counts[ours[same_prefix]], counts[peer_pair]]}
        assert counts[ours[same_prefix]] == counts[peer_pair], "the first difference is not a tie"

    ids, ours_enc_s = timed(ns["bpe_encode"], val, ours)
    mirror = peer_from_merges(ours, vocab)
    encoding, peer_enc_s = timed(mirror.encode, val)
    assert encoding.ids == ids, "tokenizers with the reference's merges encodes differently"
    assert ns["bpe_decode"](ids, ours) == val and mirror.decode(encoding.ids) == val
    return figures | {"val_characters": len(val), "val_tokens": len(ids),
                      "characters_per_token": round(len(val) / len(ids), 3),
                      "encode_seconds": round(ours_enc_s, 3), "peer_encode_seconds": round(peer_enc_s, 3),
                      "encode_time_ratio": round(ours_enc_s / peer_enc_s, 1), "encodings_identical": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merges", type=int, default=256)
    parser.add_argument("--chars", type=int, default=0, help="use only the first CHARS characters (0: all)")
    parser.add_argument("--threads", type=int, default=1, help="tokenizers' threads (RAYON_NUM_THREADS)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # read when tokenizers starts its thread pool

    text = (ROOT / "data" / "shakespeare" / "input.txt").read_text(encoding="ascii")
    text = text[: args.chars] if args.chars else text
    figures = compare(load_notebook(), text[: int(0.9 * len(text))], text[int(0.9 * len(text)) :], args.merges)
    figures["peer_threads"] = args.threads
    print(json.dumps(figures, indent=1))
    print(f"identical merges: the first {figures['identical_prefix']} of {figures['merges']} (then a tie broken "
          f"the other way); {figures['learned_by_both']} learned by both. Wall time, reference / tokenizers: "
          f"training {figures['train_time_ratio']}, encoding {figures['encode_time_ratio']} (the same merges, "
          "identical ids).")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
