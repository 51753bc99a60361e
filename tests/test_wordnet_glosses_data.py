"""The shipped WordNet gloss data is intact and exactly what data/wordnet_glosses/build.py produces."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "wordnet_glosses"
WORDNET = Path("/usr/share/wordnet")
SHIPPED = ("corpus.txt.gz", "supersenses.tsv.gz", "SHA256SUMS")
SIX = {  # the six week-3 classes and their synset counts
    "noun.animal": 7509,
    "noun.plant": 8030,
    "noun.food": 2573,
    "noun.artifact": 11587,
    "noun.person": 11087,
    "noun.location": 3209,
}


def load_build():
    spec = importlib.util.spec_from_file_location("wordnet_glosses_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lines(name: str) -> list[str]:
    return gzip.decompress((FOLDER / name).read_bytes()).decode("ascii").splitlines()


def test_shipped_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == ["corpus.txt.gz", "supersenses.tsv.gz"]
    readme = (FOLDER / "README.md").read_text()
    for name, digest in sums.items():
        assert hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() == digest, name
        assert digest in readme, f"README.md does not list the sha256 of {name}"


def test_corpus_contents() -> None:
    corpus = lines("corpus.txt.gz")
    assert len(corpus) == 166_002
    assert corpus[0].startswith("that which is perceived or known or inferred")
    tokens = Counter(token for line in corpus for token in line.split(" "))
    assert "" not in tokens  # no empty lines, no double spaces
    assert (tokens.total(), len(tokens)) == (1_461_052, 61_623)
    assert all(token == token.lower() for token in tokens)


def test_supersenses_contents() -> None:
    header, *rows = [line.split("\t") for line in lines("supersenses.tsv.gz")]
    assert header == ["synset", "lexname", "split", "definition"]
    assert len(rows) == 82_115 and all(len(row) == 4 and row[3] for row in rows)
    assert all(synset.endswith("-n") and lexname.startswith("noun.") for synset, lexname, _, _ in rows)
    assert {split for _, _, split, _ in rows} == {"train", "val", "test"}
    counts = Counter(lexname for _, lexname, _, _ in rows)
    assert len(counts) == 26 and {name: counts[name] for name in SIX} == SIX
    train = sum(split == "train" for _, lexname, split, _ in rows if lexname in SIX)
    assert 0.78 < train / sum(SIX.values()) < 0.82


def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    if not (WORDNET / "data.noun").is_file():
        pytest.skip(f"WordNet is not installed in {WORDNET} (apt-get install wordnet-base)")
    load_build().build(WORDNET, tmp_path)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
