"""`coursekit grade WEEK SUBMISSIONS... --out DIR`: grade notebooks in sandboxes; feedback and a gradebook.

Per submission, in `DIR/<student>/`: results.json (Gradescope's schema), feedback.md,
feedback.html and grade.json (what the gradebook holds; written last, it marks the
submission as done). In `DIR`: gradebook.db (SQLite, every attempt) and gradebook.csv.

The parent process never runs learner code. It reads the notebook as JSON, finds syntax errors,
missing functions and changed signatures itself, and hands a clean copy to a sandboxed fork
server (coursekit.forkserver); it compares the outputs that come back with the reference
(coursekit.validate.score). A batch runs N workers, each a process driving its own sandbox;
results are written atomically, and a rerun skips what is done (unless --force).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.util import Finalize
from pathlib import Path

from coursekit import notebook
from coursekit.bundle import reference_for
from coursekit.checks import WeekChecks, load_checks
from coursekit.compare import CheckResult
from coursekit.config import Course, Week, WeekPaths
from coursekit.errors import CourseKitError
from coursekit.feedback import write_atomic, write_feedback
from coursekit.forkserver import ForkServer
from coursekit.gradebook import Gradebook, Lateness, lateness
from coursekit.reference import Reference
from coursekit.submissions import Submission, find_submissions, safe_id
from coursekit.validate import score

MAX_NOTEBOOK_BYTES = 50 << 20  # larger files are not graded (outputs with images are stripped first)
DONE = "grade.json"


class GradingError(CourseKitError):
    """The grader itself failed (not the submission): nothing is scored for it."""


# --- the week ---------------------------------------------------------------------------------

@dataclass
class WeekGrader:
    """Everything about a week that grading needs, loaded once per batch."""

    course: Course
    week: Week
    paths: WeekPaths
    checks: WeekChecks
    ref: Reference
    signatures: dict[str, tuple[str, list[str]]]  # graded name -> (shown form, parameter names) in the release
    preload: tuple[str, ...]  # modules the release imports: the fork server imports them once

    @classmethod
    def load(cls, course: Course, week: Week) -> WeekGrader:
        paths = course.paths(week)
        checks = load_checks(paths.autograder)
        ref = reference_for(course, paths)
        graded = {c.function for c in checks.checks}
        signatures, preload = {}, set()
        release = paths.release if paths.release.is_file() else None
        if release is not None:
            for _, source in notebook.code_cells(release):
                tree = _parse(source)
                if tree is not None:
                    signatures.update({k: v for k, v in _signatures(tree).items() if k in graded})
                    preload |= _imports(tree)
        return cls(course, week, paths, checks, ref, signatures, tuple(sorted(preload)))

    @property
    def hints(self) -> dict[str, str]:
        return {m.name: m.hint for m in self.checks.mistakes}

    @property
    def possible(self) -> float:
        return sum(c.points for c in self.checks.checks)

    def server(self, worker: int = 0) -> ForkServer:
        return ForkServer(self.course, self.paths, self.checks, worker=worker, preload=self.preload)


def _signatures(tree: ast.Module) -> dict[str, tuple[str, list[str]]]:
    """Top-level functions (and classes, by __init__) with their parameter names."""
    found = {}
    for node in tree.body:
        function = node
        if isinstance(node, ast.ClassDef):
            inits = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
            if not inits:
                continue
            function = inits[0]
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = function.args
            names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
            names += [f"*{a.vararg.arg}"] if a.vararg else []
            names += [f"**{a.kwarg.arg}"] if a.kwarg else []
            shown = [n for n in names if n != "self"]
            found[node.name] = (f"{node.name}({', '.join(shown)})", names)
    return found


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _bound(tree: ast.Module) -> set[str]:
    """Every name a cell binds anywhere (defs, classes, assignments, imports): enough to say one is missing."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


# --- one submission -----------------------------------------------------------------------------

@dataclass
class GradeResult:
    """One graded submission: what results.json, the feedback and the gradebook are made of."""

    student: str
    week: str
    notebook: str
    sha256: str
    submitted_at: datetime | None
    checks: list[CheckResult]
    hints: dict[str, str]
    max_score: float  # the week's points
    possible: float  # raw check points
    lateness: Lateness = field(default_factory=lambda: Lateness(0, 0.0))
    problems: list[str] = field(default_factory=list)  # one line each: what went wrong and where
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    graded_at: str = ""

    @property
    def scale(self) -> float:
        return self.max_score / self.possible if self.possible else 0.0

    @property
    def earned(self) -> float:
        return sum(r.score for r in self.checks)

    @property
    def score(self) -> float:
        return self.earned * self.scale * (1 - self.lateness.penalty)

    def row(self) -> dict:
        """The gradebook's record of this attempt (also stored as grade.json)."""
        return {
            "student": self.student, "week": self.week, "sha256": self.sha256, "notebook": self.notebook,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "graded_at": self.graded_at, "score": round(self.score, 4), "max_score": self.max_score,
            "earned": self.earned, "possible": self.possible, "days_late": self.lateness.days,
            "penalty": self.lateness.penalty, "seconds": round(self.seconds, 3), "problems": self.problems,
            "checks": [{"check_name": r.check.name, "function": r.check.function, "visibility": r.check.visibility,
                        "points": r.score * self.scale, "max_points": r.check.points * self.scale,
                        "passed": int(r.passed), "mistakes": r.mistakes} for r in self.checks],
        }


@dataclass
class Prepared:
    """A submission read and checked by the parent, before anything runs."""

    text: str | None = None  # a clean notebook (code and markdown cells, tags; no outputs) or None: not gradable
    cells: int = 0
    sha256: str = "none"
    fatal: str | None = None  # why nothing can be graded
    problems: list[str] = field(default_factory=list)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes: what makes two submissions the same attempt."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def prepare(path: Path | None, grader: WeekGrader, source: str = "") -> Prepared:
    """Read a submission as JSON and find what can be said before running it."""
    if path is None:
        found = f" (found: {source})" if source else ""
        return Prepared(fatal=f"no notebook submitted{found}: hand in the .ipynb file")
    try:
        size, digest = path.stat().st_size, file_digest(path)
    except OSError:
        return Prepared(fatal=f"{path.name}: the file cannot be read")
    if size == 0:
        return Prepared(sha256=digest, fatal=f"{path.name} is empty (0 bytes): upload the notebook again")
    if size > MAX_NOTEBOOK_BYTES:
        return Prepared(sha256=digest, fatal=f"{path.name} is {size >> 20} MB, over the {MAX_NOTEBOOK_BYTES >> 20} "
                                             "MB limit: clear the outputs and save again")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        if path.suffix != ".ipynb":
            return Prepared(sha256=digest, fatal=f"{path.name} is not a notebook: hand in the .ipynb file")
        return Prepared(sha256=digest, fatal=f"{path.name} is not valid notebook JSON{where}: it may be cut "
                                             "short or corrupt; re-save it from Jupyter and upload again")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return Prepared(sha256=digest, fatal=f"{path.name} is JSON but not a Jupyter notebook (format 4) "
                                             "with cells: re-save it from Jupyter")
    clean, problems, trees = [], [], []
    for index, cell in enumerate(cells):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        text = cell.get("source", "") if isinstance(cell, dict) else ""
        text = "".join(text) if isinstance(text, list) and all(isinstance(t, str) for t in text) else text
        if not isinstance(text, str):
            problems.append(f"cell {index} has no readable source; it was left out")
            text, kind = "", "raw"
        tags = (cell.get("metadata") or {}).get("tags", []) if isinstance(cell, dict) else []
        tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
        kind = kind if kind in ("code", "markdown") else "raw"
        clean.append({"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": text}
                     | ({"outputs": [], "execution_count": None} if kind == "code" else {}))
        if kind == "code" and not set(tags) & notebook.SKIPPED_WHEN_GRADING:
            tree, error = _syntax(text)
            if error:
                problems.append(f"cell {index}, {error}; the rest of the notebook was still run")
            trees.append((tree, text))
    sources = "\n".join(text for _, text in trees)
    unseen = [n for n in sorted({c.function for c in grader.checks.checks})
              if not re.search(rf"\b(def|class)\s+{re.escape(n)}\b", sources)]
    bound = set().union(*(_bound(t) for t, _ in trees if t is not None)) if unseen else set()
    problems += [f"`{name}` is not defined anywhere in the notebook: keep the name from the release"
                 for name in unseen if name not in bound]
    problems += _signature_problems([t for t, _ in trees if t is not None], grader)
    text = json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": clean})
    return Prepared(text=text, cells=len(clean), sha256=digest, problems=problems)


def _parse(source: str) -> ast.Module | None:
    return _syntax(source)[0]


def _syntax(source: str) -> tuple[ast.Module | None, str | None]:
    """The cell's syntax tree, or why it has none; IPython syntax (magics, !cmd) is translated first."""
    try:
        return ast.parse(source), None
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return None, "cannot be parsed"
    try:
        return ast.parse(notebook.python_source(source)), None
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: syntax error ({exc.msg})"
    except (ValueError, RecursionError, MemoryError):
        return None, "cannot be parsed"


def _signature_problems(trees: list[ast.Module], grader: WeekGrader) -> list[str]:
    found: dict[str, tuple[str, list[str]]] = {}
    for tree in trees:
        found.update(_signatures(tree))
    problems = []
    for name, (shown, params) in grader.signatures.items():
        if name in found and found[name][1] != params:
            problems.append(f"`{found[name][0]}` does not match the release's `{shown}`: keep the given "
                            "parameters, or the checks cannot call it")
    return problems


def _run_problems(execution, grader: WeekGrader, prepared: Prepared) -> list[str]:
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
    prepared = prepare(notebook_path, grader, source)
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


# --- a batch ------------------------------------------------------------------------------------

_worker: dict = {}  # in each pool process: its WeekGrader and ForkServer


def _init_worker(grader: WeekGrader, indices) -> None:
    index = indices.get()
    server = grader.server(worker=index)
    _worker.update(grader=grader, server=server)
    Finalize(server, server.close, exitpriority=10)
    with contextlib.suppress(RuntimeError):  # said by the first submission's grading, which tries again
        server.start()  # warm up while the pool fills


def _grade_in_worker(submission: Submission, out: Path) -> dict:
    grader, server = _worker["grader"], _worker["server"]
    try:
        result = grade_notebook(grader.course, grader.week, submission.path, out / submission.student,
                                student=submission.student, submitted_at=submission.submitted_at, grader=grader,
                                server=server, notes=[submission.note] if submission.note else [],
                                source=submission.source)
    except RuntimeError as exc:  # the sandbox cannot start: a grader problem, not the student's
        raise GradingError(f"grading {submission.student} failed: {exc}") from exc
    return result.row()


def _already_graded(submission: Submission, out: Path, week: Week) -> dict | None:
    """The gradebook row of an earlier grading of this very content (same week, same sha256)."""
    try:
        row = json.loads((out / submission.student / DONE).read_text())
        digest = file_digest(submission.path) if submission.path else "none"
    except (OSError, ValueError):
        return None
    return row if row.get("week") == week.slug and row.get("sha256") == digest else None


def grade(
    course: Course, week: Week, inputs: list[Path], out: Path, *, workers: int = 0, force: bool = False,
    roster: Path | None = None, manifest: Path | None = None, progress: bool = True,
) -> list[dict]:
    """Grade every submission under `inputs` into `out`; returns each one's gradebook row.

    Already graded submissions (same notebook content) are skipped unless `force`.
    """
    grader = WeekGrader.load(course, week)
    submissions = find_submissions(inputs, grader.paths.notebook_name, roster=roster, manifest=manifest)
    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / "gradebook.db")
    rows, todo = [], []
    for submission in submissions:
        row = None if force else _already_graded(submission, out, week)
        if row is None:
            todo.append(submission)
        else:
            row["skipped"] = True
            book.upsert(row)
            rows.append(row)
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    if todo:
        rows += _run_pool(grader, todo, out, workers, book, progress)
    book.export_csv(out / "gradebook.csv", week.slug, [c.name for c in grader.checks.checks])
    book.close()
    return sorted(rows, key=lambda r: r["student"])


def _run_pool(grader: WeekGrader, todo: list[Submission], out: Path, workers: int, book: Gradebook,
              progress: bool) -> list[dict]:
    from tqdm import tqdm

    context = multiprocessing.get_context("fork")  # workers inherit the loaded week: nothing to pickle
    indices = context.SimpleQueue()
    for index in range(workers):
        indices.put(index)
    rows = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(grader, indices)) as pool:
        futures = [pool.submit(_grade_in_worker, s, out) for s in todo]
        bar = tqdm(total=len(todo), desc=f"grading {grader.week.slug}", unit="nb", disable=not progress)
        try:
            for future in as_completed(futures):
                row = future.result()
                book.upsert(row)
                rows.append(row)
                bar.update()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()
    return rows


def print_summary(rows: list[dict], week: Week, seconds: float) -> None:
    """A rich table: one line per student, then totals."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"grade {week.slug}")
    for column in ("student", "score", "late", "checks passed", "problems", "s"):
        table.add_column(column)
    for row in rows:
        passed = sum(c["passed"] for c in row["checks"])
        problem = row["problems"][0][:70] if row["problems"] else ""
        late = f"{row['days_late']} d -{row['penalty']:.0%}" if row["days_late"] else ""
        table.add_row(row["student"], f"{row['score']:.4g}/{row['max_score']:g}", late,
                      f"{passed}/{len(row['checks'])}", problem,
                      "skipped" if row.get("skipped") else f"{row['seconds']:.2f}")
    console = Console()
    console.print(table)
    graded = [r for r in rows if not r.get("skipped")]
    mean = sum(r["score"] for r in rows) / len(rows) if rows else 0.0
    console.print(f"{len(graded)} graded, {len(rows) - len(graded)} already done; mean score {mean:.3g}; "
                  f"{seconds:.1f} s wall ({seconds / max(1, len(graded)):.2f} s per graded notebook)")
