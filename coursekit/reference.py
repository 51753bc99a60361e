"""Reference outputs: every check's outputs on the solution, and on each catalogued mistake.

Computed by running the source notebook in a trusted child process, and cached per week under
`autograder/<week>/.cache/`, keyed by `fingerprint`: a hash of everything that can change them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import coursekit
from coursekit.arrays import load_npz, save_npz
from coursekit.checks import load_checks
from coursekit.config import Course, WeekPaths
from coursekit.engine.execute import execute
from coursekit.engine.runner import SUBMISSION, Job
from coursekit.files import write_atomic

# The kit's code that shapes probe outputs, relative to the package: a file, or a folder whose
# every .py file counts (sub-packages included). Docs, CLI, grading and authoring edits leave
# the cache valid; an edit here recomputes every week's references (about 40 s a week).
OUTPUT_CODE = ("engine/runner.py", "arrays.py", "checks.py", "probing.py", "notebook.py")


@dataclass
class Reference:
    outputs: dict[str, dict[str, np.ndarray]]  # check -> output name -> array
    mistakes: dict[str, dict[str, dict[str, np.ndarray]]]  # mistake -> check -> outputs
    errors: dict[str, str] = field(default_factory=dict)  # "alternative/check" -> why no outputs
    cell_errors: list[dict] = field(default_factory=list)
    variants: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)  # variant -> check -> outputs

    def mistake_outputs(self, check: str) -> dict[str, dict[str, np.ndarray]]:
        """Each mistake's outputs on `check`, where they differ from the reference's."""
        return {m: by_check[check] for m, by_check in self.mistakes.items() if check in by_check}

    def mistake_errors(self, check: str) -> dict[str, str]:
        """Each mistake's error on `check` where it produced no outputs (a broken contract: "returned a
        Tensor; expected a tuple"), so that a learner's identical error names it; timeouts name nothing."""
        found = {}
        for mistake in self.mistakes:
            error = self.errors.get(f"{mistake}/{check}")
            if error and not error.startswith("timed out"):
                found[mistake] = error
        return found

    def alternative(self, name: str, check: str) -> dict[str, np.ndarray] | None:
        """A mistake's or variant's outputs on `check`: stored where they differ from the reference's,
        the reference's where nothing is stored (equal, or not run: another function's check on the
        grading inputs), None where it produced none (`errors` says why)."""
        stored = self.mistakes.get(name, self.variants.get(name, {})).get(check)
        if stored is not None or f"{name}/{check}" in self.errors:
            return stored
        return self.outputs.get(check)

    def save(self, arrays: Path, meta: Path) -> None:
        """Write the outputs as one `.npz` ("variant/check/output" keys) and the rest as JSON."""
        flat = {f"{SUBMISSION}/{c}/{o}": a for c, outs in self.outputs.items() for o, a in outs.items()}
        for name, by_check in (self.mistakes | self.variants).items():
            flat.update({f"{name}/{c}/{o}": a for c, outs in by_check.items() for o, a in outs.items()})
        save_npz(arrays, flat)
        write_atomic(meta, json.dumps({"errors": self.errors, "cell_errors": self.cell_errors,
                                       "variants": sorted(self.variants), "mistakes": sorted(self.mistakes)}))

    @classmethod
    def load(cls, arrays: Path, meta: Path) -> Reference:
        """Read what `save` wrote."""
        nested: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for key, array in load_npz(arrays).items():
            variant, check, output = key.split("/", 2)
            nested.setdefault(variant, {}).setdefault(check, {})[output] = array
        info = json.loads(meta.read_text())
        variants = {name: nested.pop(name, {}) for name in info.get("variants", [])}
        outputs = nested.pop(SUBMISSION, {})
        mistakes = {name: nested.pop(name, {}) for name in info.get("mistakes", [])} | nested
        return cls(outputs, mistakes, info["errors"], info["cell_errors"], variants)


def _output_code() -> list[Path]:
    package = Path(coursekit.__file__).parent
    files = []
    for name in OUTPUT_CODE:
        path = package / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def fingerprint(paths: WeekPaths, course: Course) -> str:
    """A hash of the week's source, checks and data, the seed and limits, and the output-shaping kit code."""
    digest = hashlib.sha256()
    package = Path(coursekit.__file__).parent
    files = [paths.source, *sorted(paths.autograder.glob("*.py"))]
    for folder in paths.week.data:
        files += sorted(p for p in (paths.root / "data" / folder).rglob("*") if p.is_file())
    for path in [*files, *_output_code()]:
        base = paths.root if path.is_relative_to(paths.root) else package
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    digest.update(f"{course.seed}/{course.limits}".encode())
    return digest.hexdigest()[:16]


def grading_seed(paths: WeekPaths, course: Course) -> int:
    """The input seed grading draws probe inputs from: fixed for a version of the week (so scores
    are the same on every run and its reference is computed once), and derived from files mentees
    never see (the source notebook, hidden.py), so they cannot know it."""
    return int(fingerprint(paths, course), 16) % (2**31 - 1) + 1


def compute(course: Course, paths: WeekPaths, *, alternatives: bool = True, input_seed: int = 0) -> Reference:
    """Run the source notebook (and, if asked, each catalogued mistake and variant) in a trusted child process."""
    limits = course.limits
    job = Job(
        notebook=str(paths.source), checks_folder=str(paths.autograder), out="", hidden=True,
        alternatives=alternatives, cell_timeout_s=limits.cell_timeout_s, check_timeout_s=limits.check_timeout_s,
        seed=course.seed, input_seed=input_seed,
        alternatives_everywhere=not input_seed,  # cross-function loss is measured on the public inputs only
    )
    deadline = limits.notebook_timeout_s * (4 if alternatives else 1)  # alternatives rerun every probe
    run = execute(job, deadline_s=deadline, workdir=paths.source.parent)
    ref = Reference(outputs={}, mistakes={}, cell_errors=run.cell_errors + [{"error": p} for p in run.problems])
    week = load_checks(paths.autograder)
    variants = {v.name for v in week.variants}
    if alternatives:  # every catalogued name, with or without outputs that differ
        ref.mistakes = {m.name: {} for m in week.mistakes}
        ref.variants = {v.name: {} for v in week.variants}
    for name, records in run.variants.items():
        for check, record in records.items():
            if record.outputs is None:
                ref.errors[f"{name}/{check}"] = record.error or record.status
            elif name == SUBMISSION:
                ref.outputs[check] = record.outputs
    for name, records in run.variants.items():  # alternatives: only outputs that differ from the reference's
        for check, record in records.items():
            if name != SUBMISSION and record.outputs is not None and not _same(record.outputs, ref.outputs.get(check)):
                (ref.variants if name in variants else ref.mistakes).setdefault(name, {})[check] = record.outputs
    return ref


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray] | None) -> bool:
    """Bit for bit the same outputs (an alternative that left a check untouched gives exactly the key's)."""
    return b is not None and a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        and np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind in "fc") for k in a)


def load_reference(course: Course, paths: WeekPaths, *, input_seed: int = 0, refresh: bool = False) -> Reference:
    """The week's reference outputs on inputs drawn from `input_seed` (0: the public ones), from the
    cache when nothing they depend on has changed."""
    key = fingerprint(paths, course)
    name = f"reference-{key}" if not input_seed else f"reference-{key}-{input_seed}"
    arrays, meta = paths.cache / f"{name}.npz", paths.cache / f"{name}.json"
    if not refresh and arrays.is_file() and meta.is_file():
        return Reference.load(arrays, meta)
    ref = compute(course, paths, input_seed=input_seed)
    if not ref.outputs:  # the run failed as a whole (a broken kit or notebook): recompute next time
        return ref
    for stale in paths.cache.glob("reference-*"):
        if not stale.name.startswith(f"reference-{key}"):  # other seeds of this fingerprint stay
            stale.unlink()
    ref.save(arrays, meta)
    return ref
