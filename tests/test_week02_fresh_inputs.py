"""Week 2 at fresh inputs: every check's probe, run on the reference at a grading seed, returns other
outputs than at the public inputs, so a table of the released expected outputs answers no graded
check (autograder/week02_nn_cnn/public.py draws every size with `Sizes`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from coursekit.checks import load_checks
from coursekit.probing import drawing_from

pytestmark = [pytest.mark.week02, pytest.mark.slow]

ROOT = Path(__file__).parents[1]
GRADING_SEEDS = (1, 20261203, 987654321)


@pytest.fixture(scope="module")
def ns() -> dict:
    spec = importlib.util.spec_from_file_location("week02_benchmark", ROOT / "benchmarks" / "week02_nn_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook()


def outputs(check, ns: dict, seed: int) -> dict[str, np.ndarray]:
    with drawing_from(seed):
        torch.manual_seed(0)
        return {k: np.asarray(v.detach() if isinstance(v, torch.Tensor) else v) for k, v in check.probe(ns).items()}


def differ(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    if a.keys() != b.keys():
        return True
    return any(a[k].shape != b[k].shape or not np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("seed", GRADING_SEEDS)
def test_every_check_sees_fresh_inputs(ns, seed):
    checks = load_checks(ROOT / "autograder" / "week02_nn_cnn").checks
    same = [c.name for c in checks if not differ(outputs(c, ns, 0), outputs(c, ns, seed))]
    assert same == [], f"the reference answers these checks identically at grading seed {seed}: {same}"
