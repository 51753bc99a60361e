"""Grade one submission: prepare it, run it in a sandbox, score it in the parent, write its feedback.

The parent never runs learner code. It reads the notebook as JSON (coursekit.grading.static),
hands a clean copy to a sandboxed fork server (coursekit.engine.forkserver) and compares the raw
outputs that come back with the reference (coursekit.scoring). In `out_dir`: results.json
(Gradescope's schema), feedback.md, feedback.html and grade.json (what the gradebook holds;
written last, it marks the submission as done).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from coursekit.compare import CheckResult
from coursekit.config import Course, Week
from coursekit.engine.execute import Execution
from coursekit.engine.forkserver import ForkServer
from coursekit.files import write_atomic
from coursekit.grading.feedback import write_feedback
from coursekit.grading.lateness import lateness
from coursekit.grading.result import GradeResult
from coursekit.grading.static import Prepared, prepare
from coursekit.grading.submissions import safe_id
from coursekit.grading.week import WeekGrader
from coursekit.scoring import score

DONE = "grade.json"


def _run_problems(execution: Execution, grader: WeekGrader, prepared: Prepared) -> list[str]:
    """Cell errors and whole-run events, one line each; syntax errors are already said."""
    said = {p.split(",")[0] for p in prepared.problems if p.startswith("cell ")}
    lines = []
    for cell in sorted(execution.cells, key=lambda c: c.get("index", 0)):
        if cell.get("status") not in ("error", "timeout") or f"cell {cell.get('index')}" in said:
            continue
        error = str(cell.get("error", ""))[:300]
        if "MemoryError" in error.split(":")[0]:
            error += f" (over the {grader.course.limits.memory_mb} MB memory limit)"
        if cell.get("status") == "timeout":
            lines.append(f"{error} (limit per cell; an endless loop?); the rest of the notebook was still run")
        else:
            lines.append(f"cell {cell.get('index')}: {error}")
    return lines + list(execution.problems)


def grade_notebook(
    course: Course, week: Week, notebook_path: Path | None, out_dir: Path, *, student: str | None = None,
    submitted_at: datetime | None = None, grader: WeekGrader | None = None, server: ForkServer | None = None,
    notes: list[str] = (), source: str = "",
) -> GradeResult:
    """Grade one submission and write results.json, feedback.md and feedback.html into `out_dir`.

    `grader` and `server` are reused across a batch; without them this loads the week and
    starts (then stops) a sandbox for this notebook alone.
    """
    start = time.monotonic()
    grader = grader or WeekGrader.load(course, week)
    student = student or safe_id(notebook_path.stem if notebook_path else out_dir.name)
    prepared = prepare(notebook_path, grader.graded, grader.signatures, source)
    result = GradeResult(
        student=student, week=week.slug, notebook=str(notebook_path or ""), sha256=prepared.sha256,
        submitted_at=submitted_at, checks=[], hints=grader.hints, max_score=week.points, possible=grader.possible,
        lateness=lateness(submitted_at, week.due_at, course.late), notes=list(notes),
        graded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if prepared.text is None:
        result.problems = [prepared.fatal]
        why = "not graded: " + prepared.fatal
        result.checks = [CheckResult(c, passed=False, error=why) for c in grader.checks.checks]
    else:
        own = server is None
        server = server or grader.server()
        try:
            execution = server.run(prepared.text, cells=prepared.cells)
        finally:
            if own:
                server.close()
        result.checks = score(grader.checks, grader.ref, execution)
        result.problems = prepared.problems + _run_problems(execution, grader, prepared)
    result.seconds = time.monotonic() - start
    write_feedback(result, out_dir)
    write_atomic(out_dir / DONE, json.dumps(result.row(), indent=1) + "\n")
    return result
