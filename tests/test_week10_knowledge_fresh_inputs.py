"""Week 10, fresh inputs: every check's probe, run on the reference solution, gives other raw outputs
when grading draws fresh inputs (another input seed) than on the public inputs, so a table of the
shipped expected outputs answers none of the graded checks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from coursekit.arrays import to_array
from coursekit.checks import load_checks
from coursekit.probing import set_input_seed

pytestmark = pytest.mark.week10

ROOT = Path(__file__).resolve().parents[1]
CONSTANT = {"precision_at_1_all_tied", "mrr_all_tied"}  # all-tied scores: P@1 = 0 and MRR = 1/C by design


@pytest.fixture(scope="module")
def reference() -> dict:
    sys.path.insert(0, str(ROOT / "source" / "week10_knowledge"))
    import pretrain

    torch.set_num_threads(1)
    return pretrain.load_notebook(keep=frozenset())


def outputs(check, ns: dict, seed: int) -> dict[str, np.ndarray]:
    set_input_seed(seed)
    try:
        return {name: to_array(value) for name, value in check.probe(ns).items()}
    finally:
        set_input_seed(0)


def test_every_probe_draws_fresh_inputs(reference: dict) -> None:
    checks = load_checks(ROOT / "autograder" / "week10_knowledge").checks
    same = []
    for check in checks:
        if check.name in CONSTANT:
            continue
        public, fresh = outputs(check, reference, 0), outputs(check, reference, 987_654)
        if all(public[k].shape == fresh.get(k, np.empty(0)).shape and np.array_equal(public[k], fresh[k])
               for k in public if public[k].size > 1 or k in ("logprob", "precision", "mrr", "value")):
            same.append(check.name)
    assert same == [], f"these checks give the same raw outputs on fresh inputs: {same}"
