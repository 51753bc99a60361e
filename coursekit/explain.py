"""Words for learners: one check result as a few lines of text.

`reveal=False` (hidden checks) states only pass/fail, the kind of problem, the learner's own
dtype, and the hints of matched mistakes: never an input, an expected value or an
expected shape, and never text the learner's code produced (it could smuggle hidden inputs out).
"""

from __future__ import annotations

from collections.abc import Mapping

from coursekit.compare import CheckResult, OutputDiff

PASS, FAIL = "✓", "✗"
# a learner fixes what breaks the function's contract before its values: missing and dtype, then shape, then value
CONTRACT_ORDER = {"missing": 0, "unexpected": 0, "dtype": 1, "shape": 2, "value": 3}


def _shape(shape: tuple[int, ...] | None) -> str:
    return "scalar" if shape == () else "(" + ", ".join(map(str, shape or ())) + ")"


def describe_diff(diff: OutputDiff, reveal: bool) -> str:
    if diff.problem == "missing":
        return f"{diff.output}: missing from the outputs"
    if diff.problem == "unexpected":  # the name came from the learner's process: not shown for hidden checks
        return f"{diff.output}: not an expected output" if reveal else "an output that is not expected"
    got = f"{_shape(diff.got_shape)} {diff.got_dtype}"
    if not reveal:  # the learner's shape would tell the hidden input's shape
        words = {"shape": "wrong shape", "dtype": f"wrong dtype (yours: {diff.got_dtype})", "value": "wrong values"}
        return f"{diff.output}: {words[diff.problem]}"
    expected = f"{_shape(diff.expected_shape)} {diff.expected_dtype}"
    if diff.problem in ("shape", "dtype"):
        return f"{diff.output}: expected {expected}, got {got}"
    index = ", ".join(map(str, diff.first_index or ()))
    return (
        f"{diff.output}: {got}, max abs error {diff.max_abs_error:.3g}; first mismatch at [{index}]: "
        f"expected {diff.expected_value:.6g}, got {diff.got_value:.6g}"
    )


def headline(result: CheckResult) -> str:
    """The check's one-line verdict: mark, name, points and what it checks."""
    check = result.check
    label = f"{PASS if result.passed else FAIL} {check.name} [{result.score:g}/{check.points:g}]"
    return f"{label}: {check.description}" if check.description else label


def problem_lines(result: CheckResult, reveal: bool = True) -> list[str]:
    """Why a check failed, contract problems (an error, a missing output, a dtype, a shape) before values."""
    lines = [result.error if reveal else error_kind(result.error)] if result.error else []
    failing = sorted((d for d in result.diffs if not d.ok), key=lambda d: CONTRACT_ORDER.get(d.problem, 0))
    return lines + [describe_diff(d, reveal) for d in failing]


def passing_lines(result: CheckResult) -> list[str]:
    """Shape, dtype and error of each output of a public check, for a learner who wants the detail."""
    return [f"{d.output}: {_shape(d.got_shape)} {d.got_dtype}, max abs error {d.max_abs_error or 0:.2g}"
            for d in result.diffs]


def hint_line(hint: str, name: str) -> str:
    return f"hint: {hint}  [known mistake: {name}]"


def hint_lines(result: CheckResult, hints: Mapping[str, str]) -> list[str]:
    """One line per catalogued mistake the outputs match."""
    return [hint_line(hints.get(name, name), name) for name in result.mistakes]


def format_result(result: CheckResult, hints: Mapping[str, str], reveal: bool = True) -> list[str]:
    """Lines describing one check: a headline, then details indented by four spaces."""
    if result.passed:
        details = passing_lines(result) if reveal else []
    else:
        details = problem_lines(result, reveal) + hint_lines(result, hints)
    return [headline(result)] + [f"    {line}" for line in details]


SAFE_ERRORS = frozenset({
    "TypeError", "ValueError", "RuntimeError", "IndexError", "KeyError", "AttributeError", "NameError",
    "AssertionError", "ZeroDivisionError", "MemoryError", "RecursionError", "NotImplementedError",
})


def error_kind(error: str) -> str:
    """For hidden checks: a fixed phrase only, since the error text may come from learner code."""
    if error.startswith("timed out"):
        return "timed out"
    head = error.split(":", 1)[0].strip()
    if head == "NotImplementedError":
        return "not implemented yet"
    if head in SAFE_ERRORS:
        return f"your code raised {head}"
    return "your code could not be run on this check; see the public checks of the same function"
