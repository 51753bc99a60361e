"""benchmarks/bpe.py on a slice of Shakespeare: the reference BPE and Hugging Face `tokenizers` agree
where their definitions do (the same merges until a tie, identical encodings with the same merges)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("tokenizers")

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.week08]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_bpe", ROOT / "benchmarks" / "bpe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_and_tokenizers_agree_where_their_definitions_do() -> None:
    bench = load_benchmark()
    text = (ROOT / "data" / "shakespeare" / "input.txt").read_text(encoding="ascii")[:60_000]
    figures = bench.compare(bench.load_notebook(), text[:50_000], text[50_000:] + " naïve café 日本 🎉", 60)
    assert figures["merges"] == figures["peer_merges"] == 60
    assert figures["identical_prefix"] >= 5  # the most frequent pairs of English have no ties
    assert figures["encodings_identical"]


def test_byte_symbols_are_gpt2s() -> None:
    symbols = load_benchmark().byte_symbols()
    assert len(set(symbols.values())) == 256
    assert symbols[ord(" ")] == "Ġ" and symbols[ord("\n")] == "Ċ" and symbols[ord("a")] == "a"
