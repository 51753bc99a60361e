import numpy as np

from coursekit.checks import Check
from coursekit.compare import compare
from coursekit.explain import format_result

CHECK = Check("c", "f", probe=lambda ns: {}, points=2, description="demo")
EXPECTED = {"y": np.array([[1.0, 2.0], [3.0, 4.0]])}


def test_pass_within_tolerance():
    result = compare(CHECK, EXPECTED, {"y": EXPECTED["y"] + 1e-9})
    assert result.passed and result.score == 2


def test_value_mismatch_reports_first_index_and_error():
    got = EXPECTED["y"].copy()
    got[1, 0] = 3.5
    result = compare(CHECK, EXPECTED, {"y": got})
    assert not result.passed and result.score == 0
    diff = result.diffs[0]
    assert diff.first_index == (1, 0) and diff.max_abs_error == 0.5
    text = "\n".join(format_result(result, {}))
    assert "first mismatch at [1, 0]: expected 3, got 3.5" in text


def test_shape_dtype_missing_and_extra_outputs_fail():
    assert compare(CHECK, EXPECTED, {"y": np.zeros(4)}).diffs[0].problem == "shape"
    assert compare(CHECK, EXPECTED, {"y": EXPECTED["y"].astype(int)}).diffs[0].problem == "dtype"
    assert compare(CHECK, EXPECTED, {}).diffs[0].problem == "missing"
    assert not compare(CHECK, EXPECTED, {"y": EXPECTED["y"], "z": np.zeros(1)}).passed
    assert not compare(CHECK, EXPECTED, {"y": np.full((2, 2), np.nan)}).passed


def test_error_and_named_mistake():
    wrong = {"y": EXPECTED["y"] * 2}
    result = compare(CHECK, EXPECTED, wrong, mistake_outputs={"doubled": wrong, "same": EXPECTED})
    assert result.mistakes == ["doubled"]  # a 'mistake' equal to the reference is never named
    assert "    hint: twice as large  [known mistake: doubled]" in format_result(result, {"doubled": "twice as large"})
    errored = compare(CHECK, EXPECTED, None, "NotImplementedError: not implemented yet")
    assert not errored.passed and "not implemented" in "\n".join(format_result(errored, {}))


def test_hidden_report_reveals_no_values_or_learner_text():
    got = {"y": EXPECTED["y"] + 10}
    text = "\n".join(format_result(compare(CHECK, EXPECTED, got), {}, reveal=False))
    assert "wrong values" in text and "expected" not in text and "11" not in text
    smuggled = compare(CHECK, EXPECTED, None, "ValueError: secret hidden input 0.12345")
    text = "\n".join(format_result(smuggled, {}, reveal=False))
    assert "secret" not in text and "your code raised ValueError" in text


def test_a_contract_error_names_the_mistake_that_raises_it():
    error = "`f` returned a Tensor; expected a tuple (output, weights)"
    errors = {"returns_tensor": error, "returns_list": "`f` returned a list of 3; expected a tuple (output, weights)"}
    result = compare(CHECK, EXPECTED, None, error, {}, errors)
    assert not result.passed and result.mistakes == ["returns_tensor"]
    assert "[known mistake: returns_tensor]" in "\n".join(format_result(result, {"returns_tensor": "return a tuple"}))
    assert compare(CHECK, EXPECTED, None, "ValueError: bad shape (cell 3, line 2)", {}, errors).mistakes == []


def test_a_reference_stores_only_what_differs_and_fills_in_the_rest():
    from coursekit.reference import Reference

    ref = Reference(outputs={"c": EXPECTED}, mistakes={"m": {}}, errors={"m/d": "`f` returned a list of 2; expected"})
    assert ref.alternative("m", "c") is EXPECTED  # nothing stored: equal to the reference's
    assert ref.alternative("m", "d") is None  # it raised instead
    assert ref.mistake_errors("d") == {"m": "`f` returned a list of 2; expected"}
