"""`coursekit release WEEK`: the student notebook, its public checks, and the answer key."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
from nbformat import NotebookNode

from coursekit import notebook
from coursekit.arrays import save_npz
from coursekit.checks import Check, load_checks
from coursekit.compare import matches
from coursekit.config import Course, Week, WeekPaths
from coursekit.errors import CheckDefinitionError, NotebookError
from coursekit.grading.static import parse, signatures
from coursekit.reference import Reference, fingerprint, load_reference

STUB = "raise NotImplementedError"
# What JupyterLab writes for ipykernel's python3 kernel: a notebook that already says so is not marked
# modified on opening. JupyterLab compares language_info whole, so `version` is the course's Python
# (README: 3.11; this patch level is the kit's image and CI); another patch level only changes that field.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "mimetype": "text/x-python",
    "name": "python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3", "version": "3.11.7",
}
MENTEE_README = """# {title}

Due {due}. Open `{notebook}` in Jupyter and replace every `raise NotImplementedError`.

- Set up once, from the kit's folder (its README, "A mentee's workflow"): `pip install torch==2.13.0`,
  then `pip install ".[student]"` (coursekit with JupyterLab).
- After each function, run the `check("<name>")` cell below it: it runs the public checks offline
  and names common mistakes it recognises.
- Before submitting: `coursekit check {notebook}` runs the saved notebook top to bottom (cells
  tagged `train` are skipped) and reports every public check. Grading adds hidden checks.
- Keep this folder whole: `checks/` holds the public checks and `data/` the data the notebook reads.
"""


def student_notebook(source: NotebookNode, path: Path) -> NotebookNode:
    """Drop solution-only cells, replace solution regions with the stub, clear outputs."""
    from nbgrader.preprocessors import (
        ClearSolutions,  # heavy import, only needed by authors
    )

    notebook.solution_regions(source, path)  # one-line errors for malformed markers first
    nb = copy.deepcopy(source)
    nb.cells = [c for c in nb.cells if notebook.SOLUTION_ONLY not in notebook.tags(c)]
    clear = ClearSolutions(code_stub={"python": STUB}, enforce_metadata=False)
    nb, _ = clear.preprocess(nb, {})
    return standard_metadata(notebook.clear_outputs(nb))


def answer_key(source: NotebookNode) -> NotebookNode:
    """The source with its marker lines removed and outputs cleared."""
    nb = notebook.clear_outputs(copy.deepcopy(source))
    for cell in nb.cells:
        lines = cell.source.split("\n")
        cell.source = "\n".join(line for line in lines if notebook.BEGIN not in line and notebook.END not in line)
    return standard_metadata(nb)


def standard_metadata(nb: NotebookNode) -> NotebookNode:
    """The python3 kernelspec and language_info JupyterLab would write, so opening the notebook changes nothing."""
    nb.metadata["kernelspec"] = copy.deepcopy(KERNELSPEC)
    nb.metadata["language_info"] = copy.deepcopy(LANGUAGE_INFO)
    return nb


def stub_signatures(student: NotebookNode, graded: set[str]) -> dict[str, list[str]]:
    """Parameter names of each graded function (a class: its __init__) as the student notebook gives them."""
    found = {}
    for cell in student.cells:
        tree = parse(cell.source) if cell.cell_type == "code" else None
        if tree is not None:
            found |= {name: params for name, (_, params) in signatures(tree).items() if name in graded}
    return found


def _public_arrays(ref: Reference, public: list[Check]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Expected outputs of the public checks, and each mistake's outputs where they differ."""
    expected, wrong = {}, {}
    for check in public:
        reference = ref.outputs[check.name]
        expected.update({f"{check.name}/{o}": a for o, a in reference.items()})
        for mistake, outputs in ref.mistake_outputs(check.name).items():
            if not matches(check, reference, outputs):
                wrong.update({f"{mistake}/{check.name}/{o}": a for o, a in outputs.items()})
    return expected, wrong


@dataclass
class Built:
    student: NotebookNode
    key: NotebookNode


def build_notebooks(paths: WeekPaths) -> Built:
    source = notebook.read(paths.source)
    return Built(student_notebook(source, paths.source), answer_key(source))


def in_sync(paths: WeekPaths, built: Built) -> list[str]:
    """Whether the committed release and answer key are what `coursekit release` makes now."""
    problems = []
    for made, path in ((built.student, paths.release), (built.key, paths.solution)):
        if not path.is_file() or nbformat.writes(made) != nbformat.writes(notebook.read(path)):
            problems.append(f"{path} is out of date; run `coursekit release {paths.week.slug}`")
    return problems


def built_from(course: Course, paths: WeekPaths) -> str:
    """A one-way digest of the reference fingerprint the expected outputs come from. Never the fingerprint
    itself: the grading seed is derived from it, and the release goes to mentees."""
    return hashlib.sha256(f"release/{fingerprint(paths, course)}".encode()).hexdigest()[:16]


def is_current(course: Course, week: Week) -> bool:
    """Whether release/ and solutions/ are what `release_week` would write now: the notebooks as built,
    and the checks made from the reference the manifest names (`built_from`)."""
    paths = course.paths(week)
    try:
        manifest = json.loads((paths.release_checks / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("built_from") == built_from(course, paths) and not in_sync(paths, build_notebooks(paths))


def release_week(course: Course, week: Week) -> WeekPaths:
    """Write release/<week>/ and solutions/<week>/ from source/ and autograder/."""
    paths = course.paths(week)
    built = build_notebooks(paths)
    checks = load_checks(paths.autograder)
    ref = load_reference(course, paths)
    failed = [f"{k} ({v})" for k, v in ref.errors.items() if k.split("/")[0] == "submission"]
    if failed:
        raise CheckDefinitionError(
            f"{paths.source}: the reference fails checks: {'; '.join(failed)[:500]}; fix the solution or the probe")

    if paths.release_dir.exists():
        shutil.rmtree(paths.release_dir)
    notebook.write(built.student, paths.release)
    notebook.write(built.key, paths.solution)
    folder = paths.release_checks
    folder.mkdir(parents=True)
    shutil.copyfile(paths.autograder / "public.py", folder / "public.py")
    expected, wrong = _public_arrays(ref, list(checks.public))
    save_npz(folder / "expected.npz", expected)
    save_npz(folder / "mistakes.npz", wrong)
    manifest = {
        "week": week.slug,
        "title": week.title,
        "check_timeout_s": course.limits.check_timeout_s,
        "selfcheck_timeout_s": course.limits.selfcheck_timeout_s,
        "signatures": stub_signatures(built.student, {c.function for c in checks.public}),
        "checks": [{"name": c.name, "function": c.function, "points": c.points} for c in checks.public],
        "mistakes": {m.name: m.hint for m in checks.mistakes},
        "built_from": built_from(course, paths),
    }
    errors = {c.name: e for c in checks.public if (e := ref.mistake_errors(c.name))}
    if errors:  # contracts a mistake breaks, in the kit's words: check() names the mistake from the same error
        manifest["mistake_errors"] = errors
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    readme = MENTEE_README.format(title=week.title, due=week.due_at.strftime("%A %d %B %Y, %H:%M %Z"),
                                  notebook=paths.notebook_name)
    (paths.release_dir / "README.md").write_text(readme)
    for name in week.data:
        data = course.root / "data" / name
        if not data.is_dir():
            raise NotebookError(
                f"{course.root / 'course_config.py'}: week {week.slug} ships data/{name}, which does not exist")
        shutil.copytree(data, paths.release_dir / "data" / name, ignore=shutil.ignore_patterns("__pycache__"))
    return paths
