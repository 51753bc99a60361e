"""The shipped week-9 instruction data and base model are intact, sound, and what the seeded scripts in
data/instructions/ produce."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "instructions"
DATA = ("sft_train.jsonl", "eval.jsonl", "preferences.jsonl", "pretrain_tasks.txt")
MODEL = ("base_model.npz", "base_model.json")


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"instructions_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(FOLDER))  # pretrain.py imports the folder's build.py
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FOLDER))
    return module


WORDINGS = load("build").WORDINGS


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (FOLDER / name).read_text().splitlines()]


def slot(row: dict, name: str) -> str:
    """The {letter} or {key} a row's instruction was filled with, read back through its wording."""
    template = WORDINGS[row["task"]][int(row["wording"])]
    pattern = re.escape(template).replace(re.escape("{" + name + "}"), r"(\w+)")
    return re.fullmatch(pattern, row["instruction"]).group(1)


def answer(row: dict, output: str | None = None) -> bool:
    """Whether `output` (default: the row's) is the right answer to the row's task, recomputed."""
    task, inp = row["task"], row["input"]
    out = row["output"] if output is None else output
    if task == "count":
        return out == str(inp.count(slot(row, "letter")))
    if task == "add":
        a, b = inp.split(" + ")
        return out == str(int(a) + int(b))
    if task == "lookup":
        return out == dict(item.split(": ") for item in inp.split(", "))[slot(row, "key")]
    expected = {"reverse": inp[::-1], "uppercase": inp.upper(), "capitalise": inp.capitalize(),
                "sort": "".join(sorted(inp))}[task]
    return out == expected


def test_shipped_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(DATA + MODEL)
    readme = (FOLDER / "README.md").read_text()
    for name, digest in sums.items():
        assert hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() == digest, name
        assert digest in readme, f"README.md does not list the sha256 of {name}"


def test_splits_hold_out_wordings_words_and_a_task() -> None:
    train, evaluation, prefs = rows("sft_train.jsonl"), rows("eval.jsonl"), rows("preferences.jsonl")
    assert (len(train), len(evaluation), len(prefs)) == (6000, 520, 2400)
    assert Counter(r["split"] for r in evaluation) == {"seen_wording": 240, "heldout_wording": 240, "heldout_task": 40}
    trained_wordings = {r["instruction"] for r in train} | {r["instruction"] for r in prefs}
    assert all(r["wording"] in "012" for r in train + prefs)
    assert not any(r["instruction"] in trained_wordings for r in evaluation if r["split"] == "heldout_wording"
                   and r["task"] not in ("count", "lookup"))  # count/lookup wordings carry a letter or key
    assert all(r["wording"] in "34" for r in evaluation if r["split"] == "heldout_wording")
    assert "capitalise" not in {r["task"] for r in train + prefs}
    assert {r["task"] for r in evaluation if r["split"] == "heldout_task"} == {"capitalise"}
    words = {r["input"] for r in train if r["task"] in ("reverse", "uppercase", "sort")}
    assert not words & {r["input"] for r in evaluation if r["task"] in ("reverse", "uppercase", "sort", "capitalise")}


def test_answers_are_right_and_rejected_ones_wrong() -> None:
    for row in rows("sft_train.jsonl") + rows("eval.jsonl"):
        assert answer(row), row
    for row in rows("preferences.jsonl"):
        assert answer(row, row["chosen"]) and not answer(row, row["rejected"]), row


def test_pretraining_text_has_no_template() -> None:
    text = (FOLDER / "pretrain_tasks.txt").read_text()
    assert "<|" not in text and len(text.splitlines()) == 17_500
    assert "with a capital is" in text  # the held-out task's facts are in the pretraining text


def test_base_model_loads_without_pickle() -> None:
    pytest.importorskip("torch")
    pretrain = load("pretrain")
    record = json.loads((FOLDER / "base_model.json").read_text())
    state = pretrain.load_state(FOLDER / "base_model.npz")
    model = pretrain.GPT(**record["config"])
    model.load_state_dict(state)
    n = sum(p.numel() for p in model.parameters())
    assert 0.5e6 < n < 1.5e6 and record["final_loss_mean_100"] < 1.6


def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    load("build").build(tmp_path)
    for name in DATA:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name


@pytest.mark.slow
def test_pretraining_gives_the_same_bytes(tmp_path: Path) -> None:
    """Minutes of CPU: the base model retrained on one thread equals the shipped one bit for bit (same
    torch version and CPU family; float summation order may differ elsewhere)."""
    record = json.loads((FOLDER / "base_model.json").read_text())
    torch = pytest.importorskip("torch")
    if torch.__version__ != record["torch"]:
        pytest.skip(f"the base model was trained with torch {record['torch']}, this is {torch.__version__}")
    load("pretrain").pretrain(record["train"]["iters"], tmp_path)
    for name in MODEL:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
