"""Build the week-6 seq2seq task: reverse a string of digits.

Each example is a random digit string (length 5 to 16, uniform) and its reversal, e.g.
`40213` -> `31204`. Every source string occurs once in the whole data set, so the validation and
test strings are never seen in training. Rerunning the script writes the same bytes:

    python data/seq2seq/make_data.py          # writes train.tsv, val.tsv, test.tsv next to it

Files: tab-separated, a header line `source<TAB>target`, then one example per line, `\\n` endings.
Reversal is the classic first seq2seq task: a model must route each output position to the
mirrored input position, so its cross-attention map is an anti-diagonal you can see.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

SEED = 6  # week 6
MIN_LEN, MAX_LEN = 5, 16  # length 5 already has 10^5 distinct strings: splits stay disjoint
SPLITS: tuple[tuple[str, int], ...] = (("train", 12_000), ("val", 1_000), ("test", 1_000))
FOLDER = Path(__file__).resolve().parent


def examples(n: int, rng: random.Random, seen: set[str]) -> list[tuple[str, str]]:
    """`n` new (source, reversed source) pairs whose sources are not in `seen` (which grows)."""
    pairs = []
    while len(pairs) < n:
        length = rng.randint(MIN_LEN, MAX_LEN)
        source = "".join(rng.choice("0123456789") for _ in range(length))
        if source not in seen:
            seen.add(source)
            pairs.append((source, source[::-1]))
    return pairs


def build() -> dict[str, str]:
    """File name -> file text, for every split."""
    rng, seen = random.Random(SEED), set()
    files = {}
    for split, n in SPLITS:
        lines = ["source\ttarget"] + [f"{s}\t{t}" for s, t in examples(n, rng, seen)]
        files[f"{split}.tsv"] = "\n".join(lines) + "\n"
    return files


def main() -> None:
    for name, text in build().items():
        (FOLDER / name).write_text(text, encoding="ascii", newline="\n")
        digest = hashlib.sha256(text.encode("ascii")).hexdigest()
        print(f"{name}: {text.count(chr(10)) - 1} examples, {len(text):,} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
