"""Words for learners: one check result as a few lines of text.

`reveal=False` (hidden checks) states only pass/fail, the kind of problem, the learner's own
dtype, and the hints of matched mistakes: never an input, an expected value or an
expected shape, and never text the learner's code produced (it could smuggle hidden inputs out).
"""

from __future__ import annotations

from collections.abc import Mapping

from coursekit.compare import CheckResult, OutputDiff

PASS, FAIL = "✓", "✗"


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


def format_result(result: CheckResult, hints: Mapping[str, str], reveal: bool = True) -> list[str]:
    """Lines describing one check: a headline, then details indented by four spaces."""
    check = result.check
    mark = PASS if result.passed else FAIL
    points = f"{result.score:g}/{check.points:g}"
    label = f"{mark} {check.name} [{points}]"
    if check.description:
        label += f": {check.description}"
    lines = [label]
    if result.passed:
        if reveal:
            lines += [f"    {d.output}: {_shape(d.got_shape)} {d.got_dtype}, max abs error {d.max_abs_error or 0:.2g}"
                      for d in result.diffs]
        return lines
    if result.error:
        lines.append(f"    {result.error if reveal else _error_kind(result.error)}")
    lines += [f"    {describe_diff(d, reveal)}" for d in result.diffs if not d.ok]
    for name in result.mistakes:
        lines.append(f"    hint: {hints.get(name, name)}  [known mistake: {name}]")
    return lines


SAFE_ERRORS = frozenset({
    "TypeError", "ValueError", "RuntimeError", "IndexError", "KeyError", "AttributeError", "NameError",
    "AssertionError", "ZeroDivisionError", "MemoryError", "RecursionError", "NotImplementedError",
})


def _error_kind(error: str) -> str:
    """For hidden checks: a fixed phrase only, since the error text may come from learner code."""
    if error.startswith("timed out"):
        return "timed out"
    head = error.split(":", 1)[0].strip()
    if head == "NotImplementedError":
        return "not implemented yet"
    if head in SAFE_ERRORS:
        return f"your code raised {head}"
    return "your code could not be run on this check; see the public checks of the same function"
