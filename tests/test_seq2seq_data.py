"""The shipped week-6 seq2seq data is exactly what data/seq2seq/make_data.py produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "data" / "seq2seq"


def test_rebuild_gives_the_same_bytes() -> None:
    spec = importlib.util.spec_from_file_location("seq2seq_make_data", FOLDER / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.build().items():
        assert text.encode() == (FOLDER / name).read_bytes(), name


def test_splits_are_disjoint() -> None:
    sources = {}
    for split in ("train", "val", "test"):
        lines = (FOLDER / f"{split}.tsv").read_text().splitlines()[1:]
        sources[split] = {line.split("\t")[0] for line in lines}
        assert all(src[::-1] == tgt for src, tgt in (line.split("\t") for line in lines))
    assert not (sources["train"] & sources["val"]) and not (sources["train"] & sources["test"])
