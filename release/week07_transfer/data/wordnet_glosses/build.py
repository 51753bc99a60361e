"""Build the WordNet gloss corpus of weeks 1 (word embeddings) and 3 (text classification).

Source: the WordNet 3.0 database files `data.noun`, `data.verb`, `data.adj`, `data.adv` of the Debian
package `wordnet-base` (installed under /usr/share/wordnet). Standard library only; same bytes every run:

    apt-get install wordnet-base
    python data/wordnet_glosses/build.py [--wordnet-dir /usr/share/wordnet] [--out data/wordnet_glosses]

What it does:

- Each data line (`offset lex_filenum ss_type ... | gloss`; license header lines start with two spaces) is
  one synset. Its gloss is split at the first double quote: the text before it is the definition, and
  each `"..."` after it is one example sentence (an unclosed quote runs to the end of the gloss).
  Text outside the quotes after the first one (attributions such as `- Shakespeare`, notes) is dropped.
- Tokens: the text is lower-cased and the tokens are the matches of TOKEN, i.e. runs of ASCII letters
  and digits, joined by internal apostrophes or hyphens (`child's`, `moo-cow`, `3-d`); everything else
  (punctuation, quotes, `.` in `e.g.` or `3.5`) separates tokens and is dropped.
- `corpus.txt.gz`: one tokenised sentence per line, space separated: for each synset its definition,
  then its examples; files in the order noun, verb, adj, adv, synsets by offset; empty sentences skipped.
- `supersenses.tsv.gz`: a header line, then one row per noun synset with a non-empty definition:
  `synset` (`offset-pos`, e.g. `02084071-n`), `lexname` (lexicographer file, e.g. `noun.animal`),
  `split` (train/val/test, 80/10/10 by SHA-256 of SPLIT_SEED and the synset id), `definition` (tokens).
- `SHA256SUMS`: the sha256 of both files, in the format of `sha256sum`.

Both .gz files are written with gzip level 9, no file name and mtime 0, so rebuilds are byte-identical.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

POS_FILES: tuple[tuple[str, str], ...] = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))

# lexnames(5WN): the 45 lexicographer file names, numbered from 00 (field 2 of a data line).
LEXNAMES: tuple[str, ...] = (
    "adj.all", "adj.pert", "adv.all",  # 00-02
    "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute", "noun.body",  # 03-08
    "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",  # 09-14
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant",  # 15-20
    "noun.possession", "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",  # 21-26
    "noun.substance", "noun.time",  # 27-28
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",  # 29-33
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",  # 34-38
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",  # 39-43
    "adj.ppl",  # 44
)  # fmt: skip

TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
EXAMPLE = re.compile(r'"([^"]*)"?')
SPLIT_SEED = "coursekit/wordnet_glosses"


class Synset(NamedTuple):
    """One synset: id, lexicographer file name, tokenised definition and examples."""

    synset: str
    lexname: str
    definition: list[str]
    examples: list[list[str]]


def tokenize(text: str) -> list[str]:
    """Lower-cased words and numbers; punctuation dropped."""
    return TOKEN.findall(text.lower())


def split_gloss(gloss: str) -> tuple[str, list[str]]:
    """(definition, example sentences) of a gloss: the definition ends at the first double quote."""
    definition, quote, rest = gloss.partition('"')
    return definition, EXAMPLE.findall(quote + rest)


def parse_line(line: str, pos: str) -> Synset:
    """The synset of one data line."""
    fields, _, gloss = line.partition(" | ")
    offset, lex_filenum = fields.split(" ", 2)[:2]
    definition, examples = split_gloss(gloss.strip())
    tokenised = [tokenize(example) for example in examples]
    return Synset(f"{offset}-{pos}", LEXNAMES[int(lex_filenum)], tokenize(definition), [t for t in tokenised if t])


def read_synsets(wordnet_dir: Path) -> list[Synset]:
    """All synsets, noun then verb, adj, adv, each file by offset."""
    paths = [wordnet_dir / f"data.{name}" for name, _ in POS_FILES]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        sys.exit(f"WordNet data files missing ({', '.join(missing)}): apt-get install wordnet-base")
    synsets: list[Synset] = []
    for path, (_, pos) in zip(paths, POS_FILES, strict=True):
        lines = [line for line in path.read_text(encoding="ascii").splitlines() if not line.startswith("  ")]
        synsets += sorted((parse_line(line, pos) for line in lines), key=lambda s: s.synset)
    return synsets


def split_of(synset: str) -> str:
    """train, val or test (80/10/10), fixed by a hash of the synset id."""
    bucket = int.from_bytes(hashlib.sha256(f"{SPLIT_SEED}:{synset}".encode()).digest()[:8], "big") % 10
    return "train" if bucket < 8 else "val" if bucket == 8 else "test"


def sentences(synsets: list[Synset]) -> list[list[str]]:
    """The corpus sentences: each synset's definition, then its examples; empty ones skipped."""
    return [sentence for s in synsets for sentence in [s.definition, *s.examples] if sentence]


def corpus_text(synsets: list[Synset]) -> str:
    """One sentence per line, tokens separated by spaces."""
    return "".join(" ".join(sentence) + "\n" for sentence in sentences(synsets))


def supersenses_text(synsets: list[Synset]) -> str:
    """TSV with a header: synset, lexname, split, definition; noun synsets with a definition."""
    rows = [("synset", "lexname", "split", "definition")]
    rows += [
        (s.synset, s.lexname, split_of(s.synset), " ".join(s.definition))
        for s in synsets
        if s.synset.endswith("-n") and s.definition
    ]
    return "".join("\t".join(row) + "\n" for row in rows)


def gzip_bytes(text: str) -> bytes:
    """Reproducible gzip: level 9, no file name, mtime 0."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(text.encode("ascii"))
    return buffer.getvalue()


def build(wordnet_dir: Path, out: Path) -> list[Synset]:
    """Write the outputs and SHA256SUMS into `out`; return the synsets."""
    synsets = read_synsets(wordnet_dir)
    files = {
        "corpus.txt.gz": gzip_bytes(corpus_text(synsets)),
        "supersenses.tsv.gz": gzip_bytes(supersenses_text(synsets)),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())
    (out / "SHA256SUMS").write_text(sums, encoding="ascii")
    return synsets


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=here)
    args = parser.parse_args()
    synsets = build(args.wordnet_dir, args.out)
    corpus = sentences(synsets)
    words = Counter(token for sentence in corpus for token in sentence)
    print(f"{len(synsets):,} synsets, {sum(len(s.examples) for s in synsets):,} examples")
    print(f"corpus: {len(corpus):,} sentences, {words.total():,} tokens, {len(words):,} distinct")
    print((args.out / "SHA256SUMS").read_text(), end="")


if __name__ == "__main__":
    main()
