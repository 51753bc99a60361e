"""Raw outputs only: probes return what the learner's code returned; properties are derived in the grader."""

import numpy as np

from coursekit.checks import Check
from coursekit.compare import compare, observed


def row_sum_error(raw):
    return {"max_row_sum_error": np.abs(raw["weights"].sum(-1) - 1).max(keepdims=True)}


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


SCORES = np.random.default_rng(0).normal(size=(3, 4))
CHECK = Check("weights_rows", "attention", probe=lambda ns: {}, derive=row_sum_error)
REFERENCE = {"weights": softmax(SCORES)}


def test_property_is_derived_in_the_grader_from_raw_outputs():
    assert set(observed(CHECK, REFERENCE)) == {"weights", "max_row_sum_error"}
    assert compare(CHECK, REFERENCE, {"weights": softmax(SCORES)}).passed


def test_a_degenerate_answer_meeting_the_property_earns_nothing():
    uniform = {"weights": np.full((3, 4), 0.25)}  # rows sum to 1, as every correct answer's do
    result = compare(CHECK, REFERENCE, uniform)
    assert not result.passed
    assert [d.output for d in result.diffs if not d.ok] == ["weights"]


def test_outputs_derive_cannot_read_are_the_learners_problem_not_a_crash():
    result = compare(CHECK, REFERENCE, {"weights": np.zeros((3, 4, 0, 2))[..., 0]})
    assert not result.passed
    bad = compare(CHECK, REFERENCE, {"output": np.zeros(3)})  # no "weights" at all
    assert not bad.passed and "could not be checked" in bad.error


def test_values_false_compares_only_what_derive_returns():
    def frequencies(raw):
        return {"freq": np.bincount(raw["samples"].astype(int), minlength=3) / raw["samples"].size}

    check = Check("sampling", "sample", probe=lambda ns: {}, derive=frequencies, values=False, atol=0.05)
    reference = {"samples": np.array([0, 1, 2, 0, 1, 2] * 100)}
    shuffled = {"samples": np.random.default_rng(1).permutation(reference["samples"])}
    assert compare(check, reference, shuffled).passed  # other draws, same distribution
    assert not compare(check, reference, {"samples": np.zeros(600)}).passed  # always the first token


def test_mistakes_are_named_on_derived_outputs_too():
    wrong = {"weights": softmax(SCORES * 2)}
    result = compare(CHECK, REFERENCE, wrong, mistake_outputs={"no_scaling": wrong})
    assert result.mistakes == ["no_scaling"]


def test_exact_dtype_is_a_contract_when_the_docstring_states_one():
    table = {"table": np.zeros((4, 8), dtype=np.float32)}
    loose = Check("pe", "positional_encoding", probe=lambda ns: {})
    strict = Check("pe", "positional_encoding", probe=lambda ns: {}, exact_dtype=True)
    as_float64 = {"table": np.zeros((4, 8))}
    assert compare(loose, table, as_float64).passed
    result = compare(strict, table, as_float64)
    assert not result.passed and result.diffs[0].problem == "dtype"


def test_call_checks_the_contract_before_the_values():
    import pytest
    import torch

    from coursekit.errors import ProbeError
    from coursekit.probing import call

    x = torch.ones(2, 3)

    def attention_returning_one(q):
        return q * 2

    def modifies(q):
        q.mul_(2)
        return q, q

    with pytest.raises(ProbeError, match=r"returned a Tensor; expected a tuple \(output, weights\)"):
        call({"f": attention_returning_one}, "f", x, returns=("output", "weights"))
    with pytest.raises(ProbeError, match="returned a tuple of 2; expected one value"):
        call({"f": modifies}, "f", x.clone())
    with pytest.raises(ProbeError, match="modified its argument 1 in place"):
        call({"f": modifies}, "f", x.clone(), returns=("output", "weights"))
    assert set(call({"f": attention_returning_one}, "f", x)) == {"output"}
