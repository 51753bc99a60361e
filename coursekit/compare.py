"""Compare a learner's probe outputs with the reference's, and name the mistake they match.

Runs in the trusted process only: the inputs are plain arrays read from .npz files, and a
check's `derive` (properties of the raw outputs) runs here, never where learner code runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from coursekit.arrays import to_array
from coursekit.checks import Check

KIND_NAMES = {"b": "bool", "i": "integer", "u": "integer", "f": "float"}


@dataclass(frozen=True)
class OutputDiff:
    """Why one named output differs from the reference (or `ok`)."""

    output: str
    problem: str  # "" when it matches; else "missing", "shape", "dtype", "value"
    expected_shape: tuple[int, ...] = ()
    got_shape: tuple[int, ...] | None = None
    expected_dtype: str = ""
    got_dtype: str = ""
    max_abs_error: float | None = None
    first_index: tuple[int, ...] | None = None
    expected_value: float | None = None
    got_value: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass
class CheckResult:
    check: Check
    passed: bool
    error: str | None = None  # the probe raised: safe summary
    diffs: list[OutputDiff] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # names of catalogued mistakes matched

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


def _kind(array: np.ndarray) -> str:
    return KIND_NAMES.get(array.dtype.kind, array.dtype.kind)


def diff_output(name: str, expected: np.ndarray, got: np.ndarray | None, atol: float, rtol: float,
                exact_dtype: bool = False) -> OutputDiff:
    base = {"output": name, "expected_shape": tuple(expected.shape), "expected_dtype": str(expected.dtype)}
    if got is None:
        return OutputDiff(problem="missing", **base)
    base.update(got_shape=tuple(got.shape), got_dtype=str(got.dtype))
    if got.shape != expected.shape:
        return OutputDiff(problem="shape", **base)
    if _kind(got) != _kind(expected) or (exact_dtype and got.dtype != expected.dtype):
        return OutputDiff(problem="dtype", **base)
    if expected.size == 0:
        return OutputDiff(problem="", **base)
    exp64, got64 = expected.astype(np.float64), got.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - exp64)
        close = np.isclose(got64, exp64, atol=atol, rtol=rtol, equal_nan=True)
    if close.all():
        return OutputDiff(problem="", max_abs_error=float(np.max(np.nan_to_num(error, nan=0.0), initial=0.0)), **base)
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    finite = np.where(np.isfinite(error), error, np.inf)
    return OutputDiff(
        problem="value",
        max_abs_error=float(finite.max()),
        first_index=first,
        expected_value=float(exp64[first]),
        got_value=float(got64[first]),
        **base,
    )


def observed(check: Check, raw: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What a check compares: the raw outputs (unless `values=False`) and what `derive` makes of them.

    Raises on outputs `derive` cannot read (a wrong shape, a missing output): `compare` reports it.
    """
    if check.derive is None:
        return dict(raw)
    derived = {name: to_array(value) for name, value in check.derive(raw).items()}
    return (dict(raw) if check.values else {}) | derived


def _observed_or_error(check: Check, raw: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray] | None, str]:
    try:
        return observed(check, raw), ""
    except Exception as exc:  # noqa: BLE001 - the learner's outputs may be anything
        return None, f"its outputs could not be checked ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"


def matches(check: Check, expected: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray]) -> bool:
    """Whether `got` has exactly the outputs of `expected`, within the check's tolerance."""
    if set(got) != set(expected):
        return False
    return all(diff_output(k, v, got[k], check.atol, check.rtol, check.exact_dtype).ok for k, v in expected.items())


def compare(
    check: Check,
    expected: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray] | None,
    error: str | None = None,
    mistake_outputs: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    mistake_errors: Mapping[str, str] | None = None,
) -> CheckResult:
    """Score one check. `got` is None when the probe raised (`error` says why).

    `mistake_outputs` maps a mistake's name to its outputs on this check; a failing learner
    whose outputs equal a mistake's (and that mistake's differ from the reference) is told so.
    `mistake_errors` maps a mistake's name to the error it raised on this check instead (a broken
    contract, in the kit's words); a learner's identical error names it the same way.
    """
    if got is None:
        named = [m for m, e in (mistake_errors or {}).items() if error and e == error]
        return CheckResult(check, passed=False, error=error or "the probe produced no outputs", mistakes=named)
    expected = observed(check, expected)  # the reference's outputs: an error here is the author's
    got, problem = _observed_or_error(check, got)
    if got is None:
        return CheckResult(check, passed=False, error=problem)
    diffs = [diff_output(k, v, got.get(k), check.atol, check.rtol, check.exact_dtype)
             for k, v in sorted(expected.items())]
    extra = sorted(set(got) - set(expected))
    diffs += [OutputDiff(output=k, problem="unexpected") for k in extra]
    passed = all(d.ok for d in diffs)
    named = []
    if not passed:
        for name, raw in (mistake_outputs or {}).items():
            outputs, _ = _observed_or_error(check, raw)
            if outputs is not None and not matches(check, expected, outputs) and matches(check, outputs, got):
                named.append(name)
    return CheckResult(check, passed=passed, diffs=diffs, mistakes=named)
