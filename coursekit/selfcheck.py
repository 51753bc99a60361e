"""A mentee's self-check: the public checks of one function, or of a whole saved notebook.

`run_function` runs a function's public checks on the notebook's own namespace (`check("fn")`),
`check_notebook` runs a saved release notebook top to bottom (`coursekit check`); both compare the
outputs with the expected outputs shipped in the release's `checks/` and return records that
`coursekit.selfcheck_view` shows. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import inspect
import json
import os
import re
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from coursekit import notebook
from coursekit.arrays import group, load_npz, to_array
from coursekit.checks import Check, load_checks
from coursekit.compare import CheckResult, compare
from coursekit.config import CHECKS_FOLDER, CONFIG_FILE
from coursekit.engine.execute import Execution, execute
from coursekit.engine.runner import Job, Timeout, describe
from coursekit.errors import CourseKitError, NotebookError, ProbeError

CHECKS_ENV = "COURSEKIT_CHECKS"  # a release's checks/ folder, for a notebook kept away from it
SLOW_CHECK_S = 3.0  # a check still running after this says so, so a hang is not silent
CELL_AND_LINE = re.compile(r" \(cell (\d+), line (\d+)\)$")  # how the runner places an error in the notebook


@dataclass(frozen=True)
class Crash:
    """Where the learner's own code raised: the innermost frame in one of the notebook's cells."""

    cell: str  # "In [7]" in Jupyter, "cell 10" in a saved notebook
    line: int
    source: str  # that line of the cell
    traceback: str = ""  # the whole traceback, shown on demand ("" where the run did not keep it)


@dataclass
class FunctionReport:
    """The public checks of one graded function, as run by `check("fn")` or `coursekit check`."""

    name: str
    results: list[CheckResult] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)  # catalogued mistake -> its hint
    crashes: dict[str, Crash] = field(default_factory=dict)  # check name -> where the learner's code raised
    contract: list[str] = field(default_factory=list)  # problems of the function itself, fixed before any value
    seconds: float = 0.0
    problem: str = ""  # why no check could run (no checks folder, an unknown name)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def points(self) -> tuple[float, float]:
        """(earned, possible)."""
        return sum(r.score for r in self.results), sum(r.check.points for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.problem and self.passed == len(self.results)


@dataclass(frozen=True)
class CellError:
    """A cell of a saved notebook that raised, and why."""

    index: int
    message: str  # "SyntaxError: invalid syntax"
    line: int | None = None
    source: str = ""  # that line of the cell

    @property
    def summary(self) -> str:
        """"failed (SyntaxError at line 3)"."""
        return f"failed ({self.message.split(':')[0]}" + (f" at line {self.line})" if self.line else ")")


@dataclass
class NotebookReport:
    """`coursekit check`: the cells that raised, then each graded function's public checks."""

    path: Path
    cells: list[CellError] = field(default_factory=list)
    functions: list[FunctionReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # whole-run events: crashes, time limits

    @property
    def results(self) -> list[CheckResult]:
        return [r for f in self.functions for r in f.results]

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)


@dataclass(frozen=True)
class Release:
    """A release's checks/: its manifest, public checks, their expected outputs and the mistakes' outputs."""

    folder: Path
    manifest: dict
    checks: tuple[Check, ...]
    expected: dict
    mistakes: dict

    @classmethod
    def load(cls, folder: Path) -> Release:
        return cls(folder, json.loads((folder / "manifest.json").read_text()), load_checks(folder, hidden=False).checks,
                   load_npz(folder / "expected.npz"), load_npz(folder / "mistakes.npz"))

    @property
    def functions(self) -> list[str]:
        """The graded functions, in the order of their checks."""
        return list(dict.fromkeys(c.function for c in self.checks))

    def compare(self, check: Check, got: dict | None, error: str | None) -> CheckResult:
        """One check's verdict, naming the catalogued mistakes the outputs match."""
        names = self.manifest["mistakes"]
        wrong = {m: o for m in names if (o := group(self.mistakes, f"{m}/{check.name}"))}
        errors = self.manifest.get("mistake_errors", {}).get(check.name, {})
        return compare(check, group(self.expected, check.name), got, error, wrong, errors)

    def report(self, name: str) -> FunctionReport:
        return FunctionReport(name, hints=self.manifest["mistakes"])


# ---------------------------------------------------------------- finding the release


def find_checks_folder(start: Path | None = None) -> Path:
    """The release's `checks/`: $COURSEKIT_CHECKS, else the nearest at or above `start` (as data_path searches)."""
    if os.environ.get(CHECKS_ENV):
        folder = Path(os.environ[CHECKS_ENV]).expanduser().resolve()
        if not (folder / "manifest.json").is_file():
            raise FileNotFoundError(f"{folder}: ${CHECKS_ENV} names no checks folder (no manifest.json); "
                                    "point it at the release's checks/ or unset it")
        return folder
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CHECKS_FOLDER / "manifest.json").is_file():
            return folder / CHECKS_FOLDER
        if (folder / CONFIG_FILE).is_file():
            return _built_release(folder, here)
    raise FileNotFoundError(f"{here / CHECKS_FOLDER}: not found here or above; keep the notebook in its release "
                            f"folder, next to checks/, or set {CHECKS_ENV} to that checks/ folder")


def _built_release(root: Path, here: Path) -> Path:
    """The checks of a source notebook: those `coursekit release` built for its week."""
    parts = here.relative_to(root).parts
    week = parts[1] if len(parts) > 1 and parts[0] == "source" else here.name
    built = root / "release" / week / CHECKS_FOLDER
    if not (built / "manifest.json").is_file():
        raise FileNotFoundError(f"{built}: not built yet; run `coursekit release {week}` first")
    return built


def data_path(relative: str) -> Path:
    """A shipped data file: `data/<relative>` next to the notebook, or in the course's data/."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "data" / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"data/{relative}: not found next to the notebook or above it; keep the release folder whole")


def did_you_mean(name: str, known: list[str]) -> str:
    """' (did you mean `x`?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


# ---------------------------------------------------------------- check("fn") in a notebook


def ipython_shell() -> Any:
    """The IPython shell running this code, if any."""
    from IPython import get_ipython

    return get_ipython()


def _cell_label(filename: str) -> str | None:
    """"In [7]" for the code of a notebook cell, else None (IPython names the cells it compiles)."""
    shell = ipython_shell()
    named = shell.compile.format_code_name(filename) if shell is not None else None
    return named[1].replace("[", " [") if named else None


def learner_crash(exc: BaseException) -> Crash | None:
    """The innermost frame of `exc` in a notebook cell, with the whole traceback; None if none is in a cell."""
    frames = traceback.TracebackException.from_exception(exc)
    inner = None
    for frame in frames.stack:
        label = _cell_label(frame.filename)
        if label is not None:
            frame.filename = label  # the line was read already: the traceback shows "In [7]" instead of a temp file
            inner = frame
    if inner is None:
        return None
    return Crash(inner.filename, inner.lineno or 0, (inner.line or "").strip(), "".join(frames.format()))


@contextlib.contextmanager
def _time_limit(seconds: float, on_slow: Callable[[], None]) -> Iterator[None]:
    """Raise Timeout after `seconds`, calling `on_slow` first if the block runs past SLOW_CHECK_S."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    end = time.monotonic() + seconds
    note_due = seconds > SLOW_CHECK_S

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal note_due
        if note_due:
            note_due = False
            on_slow()
            signal.setitimer(signal.ITIMER_REAL, max(end - time.monotonic(), 0.01), 1.0)
            return
        raise Timeout()  # a BaseException: learner code's `except Exception` does not swallow it

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # re-fires every second in case learner code swallows the first Timeout
    signal.setitimer(signal.ITIMER_REAL, SLOW_CHECK_S if note_due else seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


SlowNote = Callable[[str, float], None]  # (check, seconds it may still run): a check is taking long


def _run_probe(check: Check, ns: Mapping, seconds: float,
               on_slow: SlowNote) -> tuple[dict | None, str | None, Crash | None]:
    """The probe's outputs as arrays, or None, a one-line error and where the learner's code raised."""
    try:
        with _time_limit(seconds, lambda: on_slow(check.name, seconds - SLOW_CHECK_S)):
            outputs = check.probe(ns)
        return {k: to_array(v) for k, v in outputs.items()}, None, None
    except Timeout:
        return None, f"timed out after {seconds:g} s (an infinite loop?)", None
    except ProbeError as exc:  # a contract message: the learner's code did not crash
        return None, str(exc), None
    except NotImplementedError as exc:  # the stub: nothing to locate
        return None, describe(exc, {}), None
    except Exception as exc:  # noqa: BLE001 - any failure of learner code is reported, not raised
        return None, describe(exc, {}), learner_crash(exc)


def _parameters(obj: Any) -> list[str] | None:
    """Parameter names as the release lists them (a class: its __init__'s), or None if they cannot be read."""
    target = obj.__init__ if isinstance(obj, type) else obj
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return None
    star = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    named = [p.name for p in params if p.kind not in star]
    return named + [star[p.kind] + p.name for p in params if p.kind in star]


def signature_problem(name: str, obj: Any, expected: list[str] | None) -> str | None:
    """A contract message when the learner changed the parameters the notebook gave `name`."""
    mine = _parameters(obj) if expected is not None and obj is not None else None
    if mine is None or mine == expected:
        return None
    shown = [p for p in mine if p != "self"]
    given = [p for p in expected if p != "self"]
    return (f"`{name}({', '.join(shown)})` does not match the notebook's `{name}({', '.join(given)})`: keep the "
            "given parameters, or the checks pass arguments to the wrong ones")


def run_function(name: str, ns: Mapping, folder: Path, on_slow: SlowNote) -> FunctionReport:
    """Run the public checks of `name` (a graded function or one check) on `ns`, within one time limit.

    `folder` is the release's checks/; `on_slow` is called when a check runs past SLOW_CHECK_S.
    Raises KeyError for an unknown name.
    """
    start = time.perf_counter()
    release = Release.load(folder)
    checks = [c for c in release.checks if name in (c.function, c.name)]
    if not checks:
        known = sorted(release.functions)
        raise KeyError(f"no public checks for '{name}'{did_you_mean(name, known)}; graded here: {', '.join(known)}")
    function = checks[0].function
    report = release.report(name)
    problem = signature_problem(function, ns.get(function), release.manifest["signatures"].get(function))
    report.contract += [problem] if problem else []
    limit = release.manifest["selfcheck_timeout_s"]
    deadline = time.monotonic() + limit
    for check in checks:
        left = deadline - time.monotonic()
        if left <= 0:
            got, error, crash = None, f"not run: the {limit:g} s limit for `{function}`'s checks ran out", None
        else:
            got, error, crash = _run_probe(check, ns, left, on_slow)
        report.results.append(release.compare(check, got, error))
        if crash is not None:
            report.crashes[check.name] = crash
    report.seconds = time.perf_counter() - start
    return report


# ---------------------------------------------------------------- coursekit check NOTEBOOK


def definition_cell(nb: NotebookNode, name: str) -> int | None:
    """Index of the last code cell defining `name` at the top level (found even in a cell with a syntax error)."""
    pattern = re.compile(rf"^(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b", re.MULTILINE)
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and pattern.search(c.source)]
    return found[-1] if found else None


def _line(nb: NotebookNode, index: int, line: int | None) -> str:
    lines = nb.cells[index].source.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else ""


def cell_error(nb: NotebookNode, record: dict) -> CellError:
    """A cell record of the run, with the line and source line that raised (a syntax error is found by parsing)."""
    index = record["index"]
    try:
        compile(notebook.python_source(nb.cells[index].source), f"cell {index}", "exec")
    except SyntaxError as exc:
        return CellError(index, f"{type(exc).__name__}: {exc.msg}", exc.lineno, _line(nb, index, exc.lineno))
    error = (record.get("error") or record["status"]).removeprefix(f"cell {index} ")  # "cell 4 ran past 60 s"
    match = CELL_AND_LINE.search(error)
    if match is None:
        return CellError(index, error)
    line = int(match.group(2))
    return CellError(index, error[:match.start()], line, _line(nb, index, line))


def _probe_crash(nb: NotebookNode, error: str | None) -> tuple[str | None, Crash | None]:
    """A probe's error without its "(cell N, line L)", and that place as a Crash."""
    match = CELL_AND_LINE.search(error or "")
    if match is None:
        return error, None
    index, line = int(match.group(1)), int(match.group(2))
    return error[:match.start()], Crash(f"cell {index}", line, _line(nb, index, line))


def _up_to(nb: NotebookNode, last: int) -> NotebookNode:
    """The notebook with the code after cell `last` emptied: indices stay, later cells cost nothing."""
    trimmed = copy.deepcopy(nb)
    for cell in trimmed.cells[last + 1:]:
        if cell.cell_type == "code":
            cell.source = ""
    return trimmed


def _execute(path: Path, nb: NotebookNode, release: Release, last_cell: int | None) -> Execution:
    """Run the notebook's cells (up to `last_cell` when given) and its public probes, in a child process."""
    with tempfile.TemporaryDirectory(prefix="coursekit-check-") as tmp:
        run_path = path
        if last_cell is not None:
            run_path = Path(tmp) / path.name
            notebook.write(_up_to(nb, last_cell), run_path)
        job = Job(notebook=str(run_path), checks_folder=str(release.folder), out="", hidden=False,
                  check_timeout_s=release.manifest["check_timeout_s"])
        return execute(job, deadline_s=600, workdir=path.parent)


def _function_report(name: str, nb: NotebookNode, run: Execution, release: Release,
                     failed_cells: dict[int, CellError]) -> FunctionReport:
    """One function's checks from a run of the whole notebook; a failed cell defining it is named first."""
    report = release.report(name)
    cell = definition_cell(nb, name)
    if cell in failed_cells:
        report.contract.append(f"cell {cell}, which defines `{name}`, {failed_cells[cell].summary}: fix it first")
    for check in (c for c in release.checks if c.function == name):
        record = run.probe(check.name)
        error, crash = _probe_crash(nb, record.error)
        report.results.append(release.compare(check, record.outputs, error))
        if crash is not None:
            report.crashes[check.name] = crash
    return report


def check_notebook(path: Path, function: str | None = None) -> NotebookReport:
    """Execute a saved release notebook (train cells skipped) and check it: every function, or `function`.

    With `function`, only the cells up to its definition run. Raises NotebookError for a missing
    notebook or checks folder, CourseKitError for an unknown function.
    """
    path = path.resolve()
    if not path.is_file():
        raise NotebookError(f"{path}: notebook not found; give the path of your saved release notebook")
    if path.suffix != ".ipynb":
        raise NotebookError(f"{path}: not a notebook; give the .ipynb file you saved from Jupyter")
    try:
        release = Release.load(find_checks_folder(path.parent))
    except FileNotFoundError as exc:
        raise NotebookError(f"{path}: {exc}") from exc
    functions = release.functions
    if function is not None and function not in functions:
        raise CourseKitError(f"{path}: no graded function '{function}'{did_you_mean(function, functions)}; "
                             f"give --function one of: {', '.join(functions)}")
    nb = notebook.read(path)
    run = _execute(path, nb, release, definition_cell(nb, function) if function else None)
    report = NotebookReport(path, problems=list(run.problems))
    report.cells = [cell_error(nb, record) for record in run.cell_errors]
    failed = {c.index: c for c in report.cells}
    names = [function] if function else functions
    report.functions = [_function_report(name, nb, run, release, failed) for name in names]
    return report
