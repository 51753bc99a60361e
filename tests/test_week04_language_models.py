"""Week 4 (language models): the reference Kneser-Ney is a distribution for any context and equals NLTK's
once their definitions agree; the probes draw fresh inputs when grading."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import math
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
import torch

from coursekit.arrays import to_array
from coursekit.checks import load_checks
from coursekit.probing import drawing_from, set_input_seed

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week04_language_models" / "language_models.ipynb"
PUBLIC = ROOT / "autograder" / "week04_language_models" / "public.py"
CONSTANTS = {"BOS", "EOS", "UNK"}


def kept(node: ast.stmt) -> bool:
    """Imports, functions, classes and the boundary constants: nothing that reads data or trains."""
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef):
        return True
    return isinstance(node, ast.Assign) and {getattr(t, "id", None) for t in ast.walk(node.targets[0])} <= \
        CONSTANTS | {None}


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The notebook's definitions, executed into a fresh namespace."""
    ns: dict[str, Any] = {}
    for cell in nbformat.read(str(NOTEBOOK), as_version=4).cells:
        if cell.cell_type != "code" or {"train", "gpu-extra"} & set(cell.get("metadata", {}).get("tags", [])):
            continue
        keep = [node for node in ast.parse(cell.source).body if kept(node)]
        exec(compile(ast.Module(body=keep, type_ignores=[]), NOTEBOOK.name, "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def public() -> Any:
    spec = importlib.util.spec_from_file_location("week04_public_for_tests", PUBLIC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toy_corpus(seed: int = 0, count: int = 40) -> list[list[str]]:
    gen = torch.Generator().manual_seed(seed)
    words = ["a", "b", "c", "d", "e", "f"]
    lengths = torch.randint(0, 8, (count,), generator=gen).tolist()
    return [[words[i] for i in torch.randint(0, 6, (k,), generator=gen).tolist()] for k in lengths]


@pytest.mark.parametrize(("n", "discount"), [(1, 0.5), (2, 0.75), (3, 0.1), (3, 0.9), (4, 0.75)])
def test_kneser_ney_sums_to_one_for_any_context(reference, n: int, discount: float) -> None:
    sentences = toy_corpus()
    vocab = sorted({w for s in sentences for w in s} | {"never", "<unk>", "</s>"})
    model = reference["KneserNey"](n, discount).fit(reference["ngram_counts"](sentences, n), vocab)
    for context in itertools.product(["<s>", "a", "c", "never"], repeat=max(n - 1, 0)):
        total = sum(model.prob(w, context) for w in vocab)
        assert math.isclose(total, 1.0, abs_tol=1e-12), (context, total)
        assert min(model.prob(w, context) for w in vocab) > 0


@pytest.mark.parametrize("n", [2, 3])
def test_kneser_ney_equals_nltk_with_the_same_last_level(reference, n: int) -> None:
    """NLTK fed the course's n-grams (and their suffixes), its unigram level given the course's discount and
    uniform base: every held-out probability equal (the benchmark's comparison, on a toy corpus)."""
    pytest.importorskip("nltk")
    from nltk.lm import KneserNeyInterpolated

    spec = importlib.util.spec_from_file_location("week04_benchmark", ROOT / "benchmarks" / "week04_language_models.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    train, held_out = toy_corpus(1), toy_corpus(2, count=10)
    vocab = sorted({w for s in train for w in s} | {"</s>"})
    counts = reference["ngram_counts"](train, n)
    ours = reference["KneserNey"](n, 0.75).fit(counts, vocab)
    theirs = KneserNeyInterpolated(n, discount=0.75)
    theirs.fit([[g[i:] for g, c in counts.items() for _ in range(c) for i in range(n)]], vocab + ["<s>"])
    theirs.estimator = benchmark.KneserNeyUniformBase(theirs.vocab, theirs.counts, n, 0.75, len(vocab))
    for gram in reference["ngram_counts"](held_out, n):
        assert math.isclose(ours.prob(gram[-1], gram[:-1]), theirs.score(gram[-1], gram[:-1]), rel_tol=1e-12)


def test_probe_inputs_are_fresh_when_grading(public) -> None:
    """The public inputs are fixed; a grading seed draws other sentences, sizes, discounts and weights."""
    public_inputs = (public.corpus(11), public.eval_lines(71), public.fresh_discount(0.75, 520),
                     public.lambdas_for(3, 42))
    with drawing_from(987654321):
        fresh = (public.corpus(11), public.eval_lines(71), public.fresh_discount(0.75, 520), public.lambdas_for(3, 42))
    assert public_inputs[0] != fresh[0] and public_inputs[1] != fresh[1] and public_inputs[3] != fresh[3]
    assert public_inputs[2] == 0.75


def test_toy_model_is_a_distribution(public) -> None:
    model = public.toy_model(3, seed=5)
    for context in [("<s>", "<s>"), ("the", "king"), ("x",)]:
        assert math.isclose(sum(model.prob(w, context) for w in model.vocab), 1.0, abs_tol=1e-12)
    assert model.prob("<s>", ("the", "king")) == 0.0


def outputs(namespace: dict[str, Any], check) -> dict[str, np.ndarray] | None:
    """A check's raw outputs and derived properties on `namespace`, or None if the probe raised."""
    torch.manual_seed(0)
    try:
        raw = {k: to_array(v) for k, v in check.probe(namespace).items()}
    except Exception:  # a mistake may crash the probe: that is a failed check
        return None
    derived = {f"derived_{k}": to_array(v) for k, v in check.derive(raw).items()} if check.derive else {}
    return raw | derived


def agree(a, b, check) -> bool:
    return a is not None and b is not None and a.keys() == b.keys() and all(
        a[k].shape == b[k].shape and np.allclose(a[k].astype(float), b[k].astype(float), atol=check.atol,
                                                 rtol=check.rtol, equal_nan=True) for k in a)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 2024])
def test_fresh_inputs_keep_mistakes_caught_and_variants_accepted(reference, seed: int) -> None:
    """On grading-style inputs (another input seed) every variant still matches the key on every check of
    its function, and every catalogued mistake still differs on at least one."""
    week = load_checks(ROOT / "autograder" / "week04_language_models")
    set_input_seed(seed)
    try:
        key = {c.name: outputs(reference, c) for c in week.checks}
        assert all(v is not None for v in key.values())
        for alternative in week.alternatives:
            namespace = dict(reference)
            exec(alternative.code, namespace)
            failed = [c.name for c in week.for_function(alternative.function)
                      if not agree(outputs(namespace, c), key[c.name], c)]
            assert (failed == []) == (alternative in week.variants), (alternative.name, failed)
    finally:
        set_input_seed(0)
