"""`check("<function>")`: a mentee's offline self-check inside a release notebook.

Runs the function's public checks on the notebook's own namespace and compares the outputs
with the expected outputs shipped in the release folder's `checks/`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from coursekit.arrays import group, load_npz, to_array
from coursekit.checks import Check, load_checks
from coursekit.compare import CheckResult, compare
from coursekit.config import CHECKS_FOLDER
from coursekit.engine.runner import RUNNER_ENV, describe
from coursekit.errors import NotebookError
from coursekit.explain import format_result


def find_checks_folder(start: Path | None = None) -> Path:
    """`checks/` next to the notebook (a release), or the built release of a source notebook."""
    here = (start or Path.cwd()).resolve()
    if (here / CHECKS_FOLDER / "manifest.json").is_file():
        return here / CHECKS_FOLDER
    for folder in (here, *here.parents):
        if (folder / "course_config.py").is_file():
            built = folder / "release" / here.name / CHECKS_FOLDER
            if (built / "manifest.json").is_file():
                return built
            raise FileNotFoundError(f"{built}: not built yet; run `coursekit release {here.name}` first")
    raise FileNotFoundError(
        f"{here / CHECKS_FOLDER}: not found; open the notebook from its release folder, next to checks/")


def data_path(relative: str) -> Path:
    """A shipped data file: `data/<relative>` next to the notebook, or in the course's data/."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "data" / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"data/{relative}: not found next to the notebook or above it; keep the release folder whole")


def _run_probe(check: Check, ns: dict, timeout_s: float) -> tuple[dict | None, str | None]:
    """The probe's outputs as arrays, or None and a one-line error."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"timed out after {timeout_s:g} s (an infinite loop?)")

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    except ValueError:  # not the main thread: run without a time limit
        previous = None
    try:
        outputs = check.probe(ns)
        return {k: to_array(v) for k, v in outputs.items()}, None
    except TimeoutError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure of learner code is reported, not raised
        return None, describe(exc, {})
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def run_public_checks(name: str, ns: dict, folder: Path) -> list[CheckResult]:
    manifest = json.loads((folder / "manifest.json").read_text())
    week = load_checks(folder, hidden=False)
    checks = [c for c in week.checks if name in (c.function, c.name)]
    if not checks:
        known = sorted({c.function for c in week.checks})
        raise KeyError(f"no public checks for '{name}'; graded here: {', '.join(known)}")
    expected = load_npz(folder / "expected.npz")
    mistakes = load_npz(folder / "mistakes.npz")
    results = []
    for check in checks:
        got, error = _run_probe(check, ns, check.timeout_s or manifest["check_timeout_s"])
        mistake_outputs = {m: group(mistakes, f"{m}/{check.name}") for m in manifest["mistakes"]}
        mistake_outputs = {m: o for m, o in mistake_outputs.items() if o}
        results.append(compare(check, group(expected, check.name), got, error, mistake_outputs))
    return results


def check(name: str, namespace: dict | None = None) -> None:
    """Run the public checks of `name` (a graded function or a check) and print a report.

    `namespace` defaults to the caller's globals: the notebook's variables.
    """
    if os.environ.get(RUNNER_ENV):  # grading and validation compare outputs themselves
        return
    ns = namespace if namespace is not None else sys._getframe(1).f_globals
    start = time.perf_counter()
    try:
        folder = find_checks_folder()
        manifest = json.loads((folder / "manifest.json").read_text())
        results = run_public_checks(name, ns, folder)
    except (FileNotFoundError, KeyError) as exc:
        print(f"check('{name}'): {exc.args[0]}")
        return
    hints = manifest["mistakes"]
    for result in results:
        print("\n".join(format_result(result, hints)))
    passed = sum(r.passed for r in results)
    seconds = time.perf_counter() - start
    verdict = "all passed" if passed == len(results) else f"{passed}/{len(results)} passed"
    print(f"{name}: {verdict} ({seconds:.1f} s). Hidden checks will test more cases when graded.")


def check_notebook(path: Path, function: str | None = None) -> bool:
    """Execute a saved release notebook (train cells skipped) and print its public checks."""
    from coursekit.engine.execute import execute
    from coursekit.engine.runner import Job

    path = path.resolve()
    if not path.is_file():
        raise NotebookError(f"{path}: notebook not found; give the path of your saved release notebook")
    try:
        folder = find_checks_folder(path.parent)
    except FileNotFoundError as exc:
        raise NotebookError(f"{path}: {exc}") from exc
    manifest = json.loads((folder / "manifest.json").read_text())
    job = Job(notebook=str(path), checks_folder=str(folder), out="", hidden=False,
              check_timeout_s=manifest["check_timeout_s"])
    run = execute(job, deadline_s=600, workdir=path.parent)
    for problem in run.problems:
        print(f"! {problem}")
    expected = load_npz(folder / "expected.npz")
    mistakes = load_npz(folder / "mistakes.npz")
    results = []
    for check in load_checks(folder, hidden=False).checks:
        if function and function != check.function:
            continue
        record = run.probe(check.name)
        wrong = {m: o for m in manifest["mistakes"] if (o := group(mistakes, f"{m}/{check.name}"))}
        results.append(compare(check, group(expected, check.name), record.outputs, record.error, wrong))
        print("\n".join(format_result(results[-1], manifest["mistakes"])))
    earned, total = sum(r.score for r in results), sum(r.check.points for r in results)
    print(f"{path.name}: {sum(r.passed for r in results)}/{len(results)} public checks passed, "
          f"{earned:g}/{total:g} points. Hidden checks will test more cases when graded.")
    return all(r.passed for r in results)
