"""Pretrain the two week-10 GPTs on the synthetic biographies and write their state dicts.

The model, tokenizer and training loop are the ones in `knowledge.ipynb` next to this file:
`load_notebook` executes the notebook's imports, functions and classes and the few assignments
they need (the corpus, the tokenizer, GPT_CONFIG), not its demos, checks or `train`/`gpu-extra`
cells. One thread and fixed seeds make the run deterministic; on the machine that built them it
rewrites the shipped files byte for byte (their SHA-256 are in data/knowledge/README.md):

    python source/week10_knowledge/pretrain.py                 # both models, 1500 steps each
    python source/week10_knowledge/pretrain.py --only single   # one of them
    sha256sum data/knowledge/gpt_*.safetensors
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import time
from pathlib import Path
from typing import Any

import nbformat
import torch
from safetensors.torch import save_model

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "knowledge.ipynb"
DATA = HERE.parents[1] / "data" / "knowledge"
SKIP_TAGS = {"train", "gpu-extra"}
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
KEEP = frozenset({"texts", "tok", "PAD", "EOS", "GPT_CONFIG"})  # module-level assignments the training code reads
CORPORA = {"single": "bios_single", "augmented": "bios_augmented"}


def data_path(name: str) -> Path:
    """The notebook's `coursekit.data_path`, for data/knowledge only."""
    folder, _, file = name.partition("/")
    assert folder == "knowledge", name
    return DATA / file


def _kept(node: ast.stmt, keep: frozenset[str]) -> bool:
    if isinstance(node, ast.ImportFrom | ast.Import):
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        return not any(m.split(".")[0] in ("coursekit", "matplotlib") for m in modules)
    if isinstance(node, ast.Assign):
        names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return bool(names) and names <= keep
    return isinstance(node, DEFINITIONS)


def load_notebook(path: Path = NOTEBOOK, keep: frozenset[str] = KEEP) -> dict[str, Any]:
    """The notebook's imports, definitions and the assignments to `keep`, executed in order into a
    fresh namespace (data/knowledge/build.py takes make_biographies from it with keep empty)."""
    nb = nbformat.read(str(path), as_version=4)
    ns: dict[str, Any] = {"__name__": "knowledge_notebook", "data_path": data_path}
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & SKIP_TAGS or "check(" in cell.source:
            continue
        nodes = [node for node in ast.parse(cell.source).body if _kept(node, keep)]
        if nodes:
            exec(compile(ast.Module(body=nodes, type_ignores=[]), f"{path.name}[{index}]", "exec"), ns)
    return ns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CORPORA), help="train one model only")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=DATA, help="folder for gpt_<name>.safetensors")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same sums in the same order, hence the same bytes
    ns = load_notebook()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, corpus in CORPORA.items():
        if args.only and name != args.only:
            continue
        start = time.perf_counter()
        model = ns["pretrain"](ns["texts"][corpus], steps=args.steps, seed=0)
        path = args.out / f"gpt_{name}.safetensors"
        save_model(model, str(path))  # tensors only; the tied head is stored once
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path}: {time.perf_counter() - start:.0f} s, sha256 {digest}")


if __name__ == "__main__":
    main()
