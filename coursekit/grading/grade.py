"""Grade one submission: prepare it, run it in a sandbox, score it in the parent, write its feedback.

The parent never runs learner code. It reads the notebook as JSON (coursekit.grading.static),
hands a clean copy to a sandboxed fork server (coursekit.engine.forkserver) and compares the raw
outputs that come back with the reference (coursekit.scoring). In `out_dir`: results.json
(Gradescope's schema), feedback.md, feedback.html and grade.json (what the gradebook holds;
written last, it marks the submission as done).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from coursekit.compare import CheckResult
from coursekit.config import Course, Week
from coursekit.engine.execute import Execution, ProbeRecord, plain_text
from coursekit.engine.forkserver import ForkServer
from coursekit.engine.runner import ISOLATED, SUBMISSION
from coursekit.explain import error_kind
from coursekit.files import write_atomic
from coursekit.grading.feedback import write_feedback
from coursekit.grading.lateness import lateness
from coursekit.grading.result import GradeResult
from coursekit.grading.static import Prepared, file_digest, prepare
from coursekit.grading.submissions import safe_id
from coursekit.grading.week import WeekGrader
from coursekit.scoring import score

DONE = "grade.json"
MAX_PROBLEM_CHARS = 1000


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot start: no submission can be graded, and none is to blame."""


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
    starts (then stops) a sandbox for this notebook alone. Whatever the submission holds, an
    exception while preparing, running or scoring it becomes its one-line problem; only a sandbox
    that cannot start at all raises (SandboxUnavailable).
    """
    start = time.monotonic()
    grader = grader or WeekGrader.load(course, week)
    student = student or safe_id(notebook_path.stem if notebook_path else out_dir.name)
    result = _new_result(grader, notebook_path, student, submitted_at, notes)
    try:
        _grade(result, grader, notebook_path, source, server)
    except SandboxUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - one submission's failure is its own problem, never the batch's
        _not_graded(result, grader, f"the grader failed on this notebook ({_where(exc)}): tell your instructor")
    _write(result, out_dir, start)
    return result


def record_ungraded(grader: WeekGrader, notebook_path: Path | None, out_dir: Path, problem: str, *, student: str,
                    submitted_at: datetime | None = None, notes: list[str] = ()) -> GradeResult:
    """Write the feedback and grade.json of a submission that cannot be graded: zero, and `problem`."""
    start = time.monotonic()
    result = _new_result(grader, notebook_path, student, submitted_at, notes)
    with contextlib.suppress(OSError):
        result.sha256 = file_digest(notebook_path) if notebook_path else "none"
    _not_graded(result, grader, problem)
    _write(result, out_dir, start)
    return result


def _new_result(grader: WeekGrader, path: Path | None, student: str, submitted_at: datetime | None,
                notes: list[str]) -> GradeResult:
    """An empty result for one submission: who, when, how late; no checks yet."""
    week, course = grader.week, grader.course
    return GradeResult(
        student=student, week=week.slug, notebook=_path_text(path), sha256="none", submitted_at=submitted_at,
        checks=[], hints=grader.hints, max_score=week.points, possible=grader.possible,
        lateness=lateness(submitted_at, week.due_at, course.late), notes=[plain_text(n) for n in notes],
        graded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _not_graded(result: GradeResult, grader: WeekGrader, problem: str) -> None:
    """`problem` is the only one; every check fails with it."""
    result.problems = [problem]
    result.checks = [CheckResult(c, passed=False, error="not graded: " + problem) for c in grader.checks.checks]


def _write(result: GradeResult, out_dir: Path, start: float) -> None:
    """Write the feedback, then grade.json (last: it marks the submission as done)."""
    result.problems = [plain_text(p, MAX_PROBLEM_CHARS) for p in result.problems]  # one line each, UTF-8 can encode
    result.seconds = time.monotonic() - start
    write_feedback(result, out_dir)
    write_atomic(out_dir / DONE, json.dumps(result.row(), indent=1) + "\n")


def _grade(result: GradeResult, grader: WeekGrader, path: Path | None, source: str, server: ForkServer | None) -> None:
    """Fill in `result`'s sha256, checks and problems: prepare, run, score."""
    prepared = prepare(path, grader.graded, grader.signatures, source)
    result.sha256 = prepared.sha256
    if prepared.text is None:
        _not_graded(result, grader, prepared.fatal)
        return
    execution = _run(grader, server, prepared)
    result.checks = score(grader.checks, grader.ref, isolated(execution), input_seed=grader.input_seed)
    result.problems = prepared.problems + _run_problems(execution, grader, prepared)


def isolated(execution: Execution) -> Execution:
    """The records grading scores: each public check as it ran with the answer key's other definitions.

    That run came after the notebook, when learner code could have seen hidden inputs, so its
    error is shown by kind only, or as the same check's error during the notebook if it had one.
    A public check whose isolated run is missing (the sandbox ended first) keeps its notebook run.
    """
    records = dict(execution.variants.get(SUBMISSION, {}))
    for name, record in execution.variants.get(ISOLATED, {}).items():
        before = records.get(name)
        if record.status == "ok":
            records[name] = record
        elif before is None or before.status == "ok":
            records[name] = ProbeRecord(record.status, error=error_kind(record.error or ""))
        # else both failed: the notebook run's error says why, in words the learner saw anyway
    return Execution(cells=execution.cells, variants={SUBMISSION: records}, problems=execution.problems,
                     seconds=execution.seconds)


def _run(grader: WeekGrader, server: ForkServer | None, prepared: Prepared) -> Execution:
    """Run the clean notebook in `server` (or a sandbox of its own), leaving a server fit for the next one."""
    own = server is None
    server = server or grader.server()
    try:
        _start(server)  # before the notebook's deadline starts: a restart is never charged to it
        return server.run(prepared.text, cells=prepared.cells)
    except SandboxUnavailable:
        raise
    except Exception:
        if not own:  # the sandbox may be mid-run: a fresh one, on this submission's time, not the next one's
            server.stop()
            with contextlib.suppress(RuntimeError):  # if it cannot start, the next submission says so
                server.start()
        raise
    finally:
        if own:
            server.close()


def _start(server: ForkServer) -> None:
    """Start the sandbox if it is not running; SandboxUnavailable if it cannot start."""
    if server.process is not None and server.process.poll() is None:
        return
    try:
        server.start()
    except RuntimeError as exc:
        raise SandboxUnavailable(str(exc)) from exc


def _where(exc: BaseException) -> str:
    """The exception's type and the grader's line it came from: enough for an instructor, nothing of the notebook."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    return f"{type(exc).__name__} at {Path(frames[-1].filename).name}:{frames[-1].lineno}"


def _path_text(path: Path | None) -> str:
    """The path as text UTF-8 can encode (a file name need not be valid UTF-8)."""
    return os.fsencode(path).decode("utf-8", "replace") if path else ""
