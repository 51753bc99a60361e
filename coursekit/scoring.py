"""Score an execution: compare each check's outputs with the reference's, naming matched mistakes.

Shared by validation (key, stub, mistakes) and grading; it runs in the grader, never in the sandbox.
"""

from __future__ import annotations

from coursekit.checks import WeekChecks
from coursekit.compare import CheckResult, compare
from coursekit.engine.execute import Execution
from coursekit.engine.runner import SUBMISSION
from coursekit.probing import drawing_from
from coursekit.reference import Reference


def score(checks: WeekChecks, ref: Reference, run: Execution, variant: str = SUBMISSION,
          input_seed: int = 0) -> list[CheckResult]:
    """Compare one execution's outputs with the reference, naming matched mistakes.

    `input_seed` is the one the run's probes drew their inputs from (and the reference's): derive
    functions remake those inputs here.
    """
    results = []
    with drawing_from(input_seed):
        for check in checks.checks:
            record = run.probe(check.name, variant)
            expected = ref.outputs.get(check.name, {})
            results.append(compare(check, expected, record.outputs, record.error, ref.mistake_outputs(check.name),
                                   ref.mistake_errors(check.name)))
    return results
