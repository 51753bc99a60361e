"""Gradescope's side of an exported autograder: grade the one submission and write results.json.

    python -m coursekit.gradescope [ROOT]      (ROOT: $AUTOGRADER_ROOT, else /autograder)

Reads what Gradescope provides under ROOT (`source/` is the unzipped autograder,
`submission/` the learner's upload, `submission_metadata.json` the submission time) and
writes `results/results.json` plus the feedback files. It grades from `source/bundle/` only.
Whatever fails, a results.json is written: a grader error becomes a zero with its reason,
never a silent "autograder failed" page.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

from coursekit.grading.bundle import load_bundle

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")


def submitted_at(root: Path) -> datetime | None:
    """The submission time from Gradescope's submission_metadata.json (`created_at`), if any."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text())
        when = datetime.fromisoformat(str(meta["created_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return when if when.tzinfo else None  # a time without a zone cannot be compared with the due date


def find_notebook(submission: Path, name: str) -> tuple[Path | None, str]:
    """The notebook to grade (the release's name wins) and a note: the choice made, or what was found instead."""
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not notebooks:
        others = ", ".join(p.name for p in sorted(submission.rglob("*")) if p.is_file())[:200]
        return None, others
    named = [p for p in notebooks if p.name == name]
    chosen = (named or notebooks)[0]
    note = ""
    if len(notebooks) > 1:
        note = f"{len(notebooks)} notebooks uploaded ({', '.join(p.name for p in notebooks)}); graded {chosen.name}"
    return chosen, note


def _failure(results: Path, message: str) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps({
        "score": 0, "output": f"The autograder could not grade this submission: {message}. "
                              "Please tell your mentor; this is not your mistake.",
        "visibility": "visible", "stdout_visibility": "hidden", "tests": []}, indent=1) + "\n")


def run(root: Path) -> Path:
    """Grade `root/submission` with the bundle in `root/source/bundle`; returns results.json's path."""
    from coursekit.grading.grade import grade_notebook

    results = root / "results"
    bundle = load_bundle(root / "source" / "bundle")
    results.mkdir(parents=True, exist_ok=True)
    path, note = find_notebook(root / "submission", bundle.paths.notebook_name)
    student = os.environ.get("COURSEKIT_STUDENT", "submission")
    grade_notebook(bundle.course, bundle.week, path, results, student=student, submitted_at=submitted_at(root),
                   notes=[note] if path is not None and note else [], source=note if path is None else "")
    return results / "results.json"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else os.environ.get(ROOT_ENV, DEFAULT_ROOT))
    try:
        path = run(root)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json whatever happens
        traceback.print_exc()  # stdout/stderr are shown to instructors only
        _failure(root / "results", f"{type(exc).__name__}: {exc}"[:500])
        return 0  # Gradescope shows the results.json just written
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
