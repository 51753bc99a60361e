"""Week 7 (transfer learning): the notebook's classes match the shipped artefacts, and the reference
Procrustes agrees with scipy's on the shipped SGNS spaces."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week07_transfer" / "transfer.ipynb"
PRETRAINED = ROOT / "data" / "pretrained"


def definitions() -> dict[str, Any]:
    """The notebook's imports, functions and classes (no cell that loads data or trains)."""
    ns: dict[str, Any] = {"__name__": "week07_definitions"}
    for cell in nbformat.read(str(NOTEBOOK), as_version=4).cells:
        if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & {"train", "gpu-extra"}:
            continue
        tree = ast.parse(cell.source)
        keep = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)]
        exec(compile(ast.Module(body=keep, type_ignores=[]), str(NOTEBOOK), "exec"), ns)
    return ns


def test_notebook_encoder_loads_shipped_weights() -> None:
    ns = definitions()
    vocab = (PRETRAINED / "vocab.txt").read_text(encoding="ascii").split()
    encoder = ns["Encoder"](vocab_size=5 + len(vocab), max_len=32, n_layer=2, n_head=4, d_model=64)
    encoder.load_state_dict(load_file(PRETRAINED / "encoder.safetensors"))  # strict
    ids = torch.tensor([[2, 5, 6, 7, 3, 0]])
    hidden = encoder.eval()(ids, ids != 0)
    assert hidden.shape == (1, 6, 64) and torch.isfinite(hidden).all()


def test_procrustes_matches_scipy_on_sgns() -> None:
    from scipy.linalg import orthogonal_procrustes

    ns = definitions()
    A = load_file(PRETRAINED / "sgns_seed0.safetensors")["vectors"].double()
    B = load_file(PRETRAINED / "sgns_seed1.safetensors")["vectors"].double()
    W, before, after = ns["procrustes"](A, B)
    R, _ = orthogonal_procrustes(A.numpy(), B.numpy())
    assert np.abs(W.numpy() - R).max() < 1e-8
    assert after < before


def test_build_and_notebook_share_the_encoder() -> None:
    spec = importlib.util.spec_from_file_location("pretrained_build", PRETRAINED / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    ns = definitions()
    a = build.Encoder(50, **build.ENCODER)
    b = ns["Encoder"](50, **build.ENCODER)
    assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    b.load_state_dict(a.state_dict())
    ids = torch.randint(5, 50, (3, 9), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids, dtype=torch.bool)
    mask[1, 6:] = False
    torch.testing.assert_close(a.eval()(ids, mask), b.eval()(ids, mask))
    torch.testing.assert_close(a.mlm_logits(a(ids, mask)), b.mlm_logits(b(ids, mask)))
