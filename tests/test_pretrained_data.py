"""The shipped pretrained artefacts (data/pretrained/) are intact, load safely, and rebuild from build.py.

A rebuild must give the same vocabulary and reproduce metrics.json within the tolerances stated in
data/pretrained/README.md (and, on the machine that built them, the same bytes).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "pretrained"
MODELS = ("sgns_seed0.safetensors", "sgns_seed1.safetensors", "encoder.safetensors")
TOLERANCE = {  # metric -> largest absolute difference a rebuild may show (README.md, "Rebuild")
    "sgns_seed0_epoch_losses": 0.01, "sgns_seed1_epoch_losses": 0.01, "sgns_seed_neighbour_overlap_at_10": 0.02,
    "mlm_val_loss_unigram": 1e-4, "mlm_val_acc_unigram": 1e-4,  # counts only: exact up to rounding
    "mlm_val_loss_init": 0.05, "mlm_val_acc_init": 0.01, "mlm_val_loss": 0.05, "mlm_val_acc": 0.01,
    "mlm_train_loss_last500": 0.05,
}


def load_build():
    spec = importlib.util.spec_from_file_location("pretrained_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_files_match_sha256sums() -> None:
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(("vocab.txt", *MODELS))
    readme = (FOLDER / "README.md").read_text()
    for name, digest in sums.items():
        assert hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() == digest, name
        assert digest in readme, f"README.md does not list the sha256 of {name}"


def test_artefacts_load_and_fit_together() -> None:
    build = load_build()
    vocab = (FOLDER / "vocab.txt").read_text(encoding="ascii").split()
    assert len(vocab) == len(set(vocab)) == build.VOCAB_SIZE
    for seed in (0, 1):
        vectors = load_file(FOLDER / f"sgns_seed{seed}.safetensors")["vectors"]
        assert vectors.shape == (build.VOCAB_SIZE, build.SGNS["dim"]) and vectors.dtype == torch.float32
        assert torch.isfinite(vectors).all()
    model = build.Encoder(len(build.SPECIALS) + len(vocab), **build.ENCODER)
    model.load_state_dict(load_file(FOLDER / "encoder.safetensors"))  # strict: names and shapes match
    assert sum(p.numel() for p in model.parameters()) < 1_000_000
    assert sum((FOLDER / name).stat().st_size for name in MODELS) < 5_000_000  # "a few MB at most"


def test_metrics_are_plausible() -> None:
    metrics = json.loads((FOLDER / "metrics.json").read_text())
    # the encoder beats the unigram baseline by a wide margin, and its curve ends lower than it starts
    assert metrics["mlm_val_acc"] > 3 * metrics["mlm_val_acc_unigram"]
    assert metrics["mlm_val_loss"] < metrics["mlm_val_loss_unigram"] - 2 < metrics["mlm_val_loss_init"]
    curve = metrics["mlm_val_curve"]
    assert curve[0][0] == 0 and curve[-1][1:] == [metrics["mlm_val_loss"], metrics["mlm_val_acc"]]
    assert all(b[1] < a[1] for a, b in zip(curve, curve[1:], strict=False))
    assert metrics["sgns_seed0_epoch_losses"][-1] < metrics["sgns_seed0_epoch_losses"][0]
    assert 0.2 < metrics["sgns_seed_neighbour_overlap_at_10"] < 1.0


@pytest.mark.slow
def test_rebuild_reproduces_metrics(tmp_path: Path) -> None:
    build = load_build()
    import sys

    argv = sys.argv
    sys.argv = ["build.py", "--out", str(tmp_path)]
    try:
        build.main()
    finally:
        sys.argv = argv
    assert (tmp_path / "vocab.txt").read_bytes() == (FOLDER / "vocab.txt").read_bytes()
    shipped = json.loads((FOLDER / "metrics.json").read_text())
    rebuilt = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("corpus_lines", "corpus_tokens", "vocab_token_coverage"):
        assert rebuilt[key] == shipped[key], key
    for key, tolerance in TOLERANCE.items():
        a, b = torch.tensor(shipped[key], dtype=torch.float64), torch.tensor(rebuilt[key], dtype=torch.float64)
        assert (a - b).abs().max() <= tolerance, (key, shipped[key], rebuilt[key])
    a, b = (torch.tensor(m["mlm_val_curve"], dtype=torch.float64) for m in (shipped, rebuilt))  # (step, loss, acc)
    assert torch.equal(a[:, 0], b[:, 0])
    assert ((a - b).abs().amax(dim=0)[1:] <= torch.tensor([TOLERANCE["mlm_val_loss"], TOLERANCE["mlm_val_acc"]])).all()
