"""The shipped week-10 world is intact: data/knowledge/build.py rebuilds it byte for byte, and the
two pretrained state dicts are the ones whose SHA-256 the README lists."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, load_model

pytestmark = pytest.mark.week10

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "knowledge"
WEIGHTS = ("gpt_single.safetensors", "gpt_augmented.safetensors")


def load_build():
    spec = importlib.util.spec_from_file_location("knowledge_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(load_build().SHIPPED)
    readme = (FOLDER / "README.md").read_text()
    for name, digest in sums.items():
        assert sha256(FOLDER / name) == digest, name
        assert digest in readme, f"README.md does not list the sha256 of {name}"


def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    sums = load_build().build(tmp_path)
    for name in sums:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name


def test_world_contents() -> None:
    build = load_build()
    people = build.make_people()
    assert len(people) == build.N_PEOPLE == len({p["name"] for p in people})
    assert Counter(p["split"] for p in people) == {"train": 200, "test": 200}
    single = (FOLDER / "bios_single.txt").read_text().splitlines()
    augmented = (FOLDER / "bios_augmented.txt").read_text().splitlines()
    assert len(single) == 400 and len(augmented) == 2000
    for person, bio in zip(people, single, strict=True):
        assert bio.startswith(person["name"]) and bio.count(person["name"]) == 1
        assert all(f" {person[a]} ." in bio for a in build.ATTRIBUTES)
    for i, person in enumerate(people):
        versions = augmented[5 * i: 5 * i + 5]
        assert all(v.count(person["name"]) == 5 for v in versions)  # the full name in every sentence
        assert len(set(versions)) > 1


def test_weights_listed_and_loadable() -> None:
    readme = (FOLDER / "README.md").read_text()
    for name in WEIGHTS:
        assert sha256(FOLDER / name) in readme, f"README.md does not list the sha256 of {name}"
        state = load_file(FOLDER / name)
        assert "pos_emb.weight" in state and all(t.dtype == torch.float32 for t in state.values())


@pytest.mark.slow
def test_pretraining_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    """Minutes of CPU: retrain the single-version model and compare it with the shipped one."""
    sys.path.insert(0, str(ROOT / "source" / "week10_knowledge"))
    import pretrain

    torch.set_num_threads(1)
    ns = pretrain.load_notebook()
    model = ns["pretrain"](ns["texts"]["bios_single"], steps=1500, seed=0)
    shipped = ns["GPT"](**ns["GPT_CONFIG"])
    load_model(shipped, str(FOLDER / "gpt_single.safetensors"))
    for (name, tensor), expected in zip(model.state_dict().items(), shipped.state_dict().values(), strict=True):
        torch.testing.assert_close(tensor, expected, atol=1e-5, rtol=1e-5, msg=name)
