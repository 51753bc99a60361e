"""Benchmark week 7's reference implementations against the libraries the field would use.

Runs the master notebook's code cells (not the train, gpu-extra or check cells) in this process, then,
side by side in the same process:

1. `procrustes` vs `scipy.linalg.orthogonal_procrustes`: agreement of W (max |difference|, orthogonality,
   the alignment error) and median wall time, on the shipped SGNS spaces (5,000 x 64) and on random
   20,000 x 300 matrices;
2. the fine-tuning regimes (scratch, linear probe, full fine-tuning, gradual unfreezing + LLRD) at 1%,
   10% and 100% of the 35,085 labelled definitions, next to the same probe on a random (untrained) encoder,
   and scikit-learn's LogisticRegression and our linear_probe on the averaged SGNS vectors of each
   definition (validation accuracy);
3. the word-level GPT's validation loss after the same number of steps with random, frozen and
   fine-tuned pretrained embeddings.

    python benchmarks/week07_transfer.py                     # ~7 minutes on one thread at load average ~7
    python benchmarks/week07_transfer.py --fractions 0.01 --lm-steps 100   # a quick smoke run
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch
from scipy.linalg import orthogonal_procrustes
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week07_transfer" / "transfer.ipynb"


def load_notebook(path: Path = NOTEBOOK) -> dict[str, Any]:
    """Execute the notebook's code cells except gpu-extra and check cells; of the train cells only the
    functions and classes they define. Returns the namespace."""
    os.chdir(ROOT)  # data_path looks for data/ from the working directory up
    import matplotlib

    matplotlib.use("Agg")
    nb = nbformat.read(str(path), as_version=4)
    ns: dict[str, Any] = {"__name__": "week07_transfer_notebook"}
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or "gpu-extra" in tags or cell.source.startswith("check("):
            continue
        tree = ast.parse(cell.source)
        if "train" in tags:  # its definitions only (sgns_features, encoder_features), not its training
            tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)]
        exec(compile(tree, f"{path.name}[{index}]", "exec"), ns)
    return ns


def timed(fn, repeats: int) -> tuple[Any, float]:
    """fn()'s result and its median wall time in seconds over `repeats` runs."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def bench_procrustes(ns: dict[str, Any], repeats: int) -> list[dict[str, Any]]:
    rows = []
    gen = torch.Generator().manual_seed(0)
    big_a = torch.randn(20_000, 300, generator=gen, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(300, 300, generator=gen, dtype=torch.float64))
    cases = {
        "SGNS seed 0 -> seed 1 (5000 x 64)": (ns["normalise"](ns["sgns"]), ns["normalise"](ns["sgns_seed1"])),
        "random rotation + noise (20000 x 300)": (big_a, big_a @ q + 0.1 * torch.randn(20_000, 300, generator=gen,
                                                                                      dtype=torch.float64)),
    }
    for name, (A, B) in cases.items():
        (W, before, after), ours = timed(lambda A=A, B=B: ns["procrustes"](A, B), repeats)
        (R, _), theirs = timed(lambda A=A, B=B: orthogonal_procrustes(A.numpy(), B.numpy()), repeats)
        eye = np.eye(W.shape[0])
        rows.append({
            "case": name,
            "max_abs_W_difference": float(np.abs(W.numpy() - R).max()),
            "ours_orthogonality": float(np.abs(W.numpy().T @ W.numpy() - eye).max()),
            "scipy_orthogonality": float(np.abs(R.T @ R - eye).max()),
            "error_before": before, "error_after_ours": after,
            "error_after_scipy": float(np.linalg.norm(A.numpy() @ R - B.numpy())),
            "ours_ms": 1000 * ours, "scipy_ms": 1000 * theirs, "time_ratio_ours_over_scipy": ours / theirs,
        })
    return rows


def bench_regimes(ns: dict[str, Any], fractions: list[float]) -> list[dict[str, Any]]:
    """Validation accuracy of each regime at each fraction of the labelled training definitions."""
    n_train = len(ns["train_seqs"])
    xtr, xva = ns["sgns_features"]("train"), ns["sgns_features"]("val")
    ytr, yva = ns["train_labels"], ns["val_labels"]
    rows = []
    for fraction in fractions:
        n = max(1, round(fraction * n_train))
        order = torch.randperm(n_train, generator=torch.Generator().manual_seed(0))[:n]  # run_regime's subset
        row: dict[str, Any] = {"fraction": fraction, "n": n}
        for regime in ("scratch", "linear probe", "full fine-tuning", "gradual + LLRD"):
            start = time.perf_counter()
            row[regime] = ns["run_regime"](regime, n)[0]
            row[f"{regime} s"] = time.perf_counter() - start
        start = time.perf_counter()
        torch.manual_seed(0)
        random_encoder = ns["Encoder"](**ns["encoder_config"])  # the control: the same architecture, untrained
        features = [ns["encoder_features"](random_encoder, seqs).double() for seqs in
                    ([ns["train_seqs"][i] for i in order.tolist()], ns["val_seqs"])]
        row["linear probe, random encoder"] = ns["linear_probe"](features[0], ytr[order], features[1], yva,
                                                                 len(ns["CLASSES"]), 1.0)[2]
        row["linear probe, random encoder s"] = time.perf_counter() - start
        start = time.perf_counter()
        clf = LogisticRegression(max_iter=2000).fit(xtr[order].numpy(), ytr[order].numpy())
        row["sklearn logreg on mean SGNS"] = float(clf.score(xva.numpy(), yva.numpy()))
        row["sklearn logreg on mean SGNS s"] = time.perf_counter() - start
        row["linear_probe on mean SGNS"] = ns["linear_probe"](xtr[order].double(), ytr[order], xva.double(), yva,
                                                              len(ns["CLASSES"]), 1.0)[2]
        rows.append(row)
    return rows


def bench_embeddings(ns: dict[str, Any], steps: int) -> dict[str, float]:
    """Validation loss of the word-level GPT after `steps` steps with each embedding set-up."""
    return {setup: ns["train_lm"](ns["make_gpt"](setup), steps, eval_every=steps, desc=setup)[-1][1]
            for setup in ("random", "frozen", "fine-tuned")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    parser.add_argument("--lm-steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    ns = load_notebook()
    print(f"notebook cells executed in {time.perf_counter() - start:.1f} s; threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.1f}")

    figures: dict[str, Any] = {"procrustes": bench_procrustes(ns, args.repeats)}
    print("\n== procrustes vs scipy.linalg.orthogonal_procrustes ==")
    for row in figures["procrustes"]:
        print(f"{row['case']}: max|W - W_scipy| {row['max_abs_W_difference']:.1e}; ||W^T W - I||max ours "
              f"{row['ours_orthogonality']:.1e} scipy {row['scipy_orthogonality']:.1e}; ||AW - B|| "
              f"{row['error_before']:.2f} -> ours {row['error_after_ours']:.4f} "
              f"/ scipy {row['error_after_scipy']:.4f}; "
              f"time ours {row['ours_ms']:.1f} ms, scipy {row['scipy_ms']:.1f} ms "
              f"(ratio {row['time_ratio_ours_over_scipy']:.2f})")

    figures["regimes"] = bench_regimes(ns, args.fractions)
    columns = ["scratch", "linear probe", "linear probe, random encoder", "full fine-tuning", "gradual + LLRD",
               "linear_probe on mean SGNS", "sklearn logreg on mean SGNS"]
    print("\n== six supersenses, validation accuracy (4,410 definitions) ==")
    print(f"{'labels':>14}" + "".join(f"{c:>30}" for c in columns))
    for row in figures["regimes"]:
        print(f"{row['fraction']:>6.0%} {row['n']:>7,}" + "".join(f"{row[c]:>30.3f}" for c in columns))
    print("seconds:", "; ".join(f"{row['n']}: " + ", ".join(f"{c} {row[c + ' s']:.0f}" for c in columns
                                                        if c + " s" in row) for row in figures["regimes"]))

    start = time.perf_counter()
    figures["gpt_val_loss"] = bench_embeddings(ns, args.lm_steps)
    print(f"\n== word-level GPT, validation loss after {args.lm_steps} steps "
          f"({time.perf_counter() - start:.0f} s) ==")
    for setup, loss in figures["gpt_val_loss"].items():
        print(f"{setup:>11}: {loss:.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
