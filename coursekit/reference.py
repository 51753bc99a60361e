"""Reference outputs: every check's outputs on the solution, and on each catalogued mistake.

Computed by running the source notebook in a trusted child process, and cached per week under
`autograder/<week>/.cache/`, keyed by a hash of everything that can change them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coursekit.arrays import load_npz, save_npz
from coursekit.config import Course, WeekPaths
from coursekit.execute import execute
from coursekit.runner import SUBMISSION, Job


@dataclass
class Reference:
    outputs: dict[str, dict[str, np.ndarray]]  # check -> output name -> array
    mistakes: dict[str, dict[str, dict[str, np.ndarray]]]  # mistake -> check -> outputs
    errors: dict[str, str] = field(default_factory=dict)  # "variant/check" -> why no outputs
    cell_errors: list[dict] = field(default_factory=list)

    def mistake_outputs(self, check: str) -> dict[str, dict[str, np.ndarray]]:
        """Each mistake's outputs on `check`, where they differ from being absent."""
        return {m: by_check[check] for m, by_check in self.mistakes.items() if check in by_check}


def _fingerprint(paths: WeekPaths, course: Course) -> str:
    digest = hashlib.sha256()
    files = [paths.source, *sorted(paths.autograder.glob("*.py")), *sorted(Path(__file__).parent.glob("*.py"))]
    for folder in paths.week.data:
        files += sorted(p for p in (paths.root / "data" / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(paths.root) if path.is_relative_to(paths.root) else path.name).encode())
        digest.update(path.read_bytes())
    digest.update(f"{course.seed}/{course.limits}".encode())
    return digest.hexdigest()[:16]


def _flatten(ref: Reference) -> dict[str, np.ndarray]:
    flat = {f"{SUBMISSION}/{c}/{o}": a for c, outs in ref.outputs.items() for o, a in outs.items()}
    for mistake, by_check in ref.mistakes.items():
        flat.update({f"{mistake}/{c}/{o}": a for c, outs in by_check.items() for o, a in outs.items()})
    return flat


def _unflatten(flat: dict[str, np.ndarray], meta: dict) -> Reference:
    nested: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for key, array in flat.items():
        variant, check, output = key.split("/", 2)
        nested.setdefault(variant, {}).setdefault(check, {})[output] = array
    outputs = nested.pop(SUBMISSION, {})
    return Reference(outputs, nested, meta["errors"], meta["cell_errors"])


def compute(course: Course, paths: WeekPaths, *, mistakes: bool = True) -> Reference:
    """Run the source notebook (and, if asked, each mistake) in a trusted child process."""
    limits = course.limits
    job = Job(
        notebook=str(paths.source), checks_folder=str(paths.autograder), out="", hidden=True,
        mistakes=mistakes, cell_timeout_s=limits.cell_timeout_s, check_timeout_s=limits.check_timeout_s,
        seed=course.seed,
    )
    deadline = limits.notebook_timeout_s * (4 if mistakes else 1)  # mistakes rerun every probe
    run = execute(job, deadline_s=deadline, workdir=paths.source.parent)
    ref = Reference(outputs={}, mistakes={}, cell_errors=run.cell_errors + [{"error": p} for p in run.problems])
    for variant, records in run.variants.items():
        for check, record in records.items():
            if record.outputs is None:
                ref.errors[f"{variant}/{check}"] = record.error or record.status
            elif variant == SUBMISSION:
                ref.outputs[check] = record.outputs
            else:
                ref.mistakes.setdefault(variant, {})[check] = record.outputs
    return ref


def load_reference(course: Course, paths: WeekPaths, *, refresh: bool = False) -> Reference:
    """The week's reference outputs, from the cache when nothing they depend on has changed."""
    key = _fingerprint(paths, course)
    arrays, meta = paths.cache / f"reference-{key}.npz", paths.cache / f"reference-{key}.json"
    if not refresh and arrays.is_file() and meta.is_file():
        return _unflatten(load_npz(arrays), json.loads(meta.read_text()))
    ref = compute(course, paths)
    for stale in paths.cache.glob("reference-*"):
        stale.unlink()
    save_npz(arrays, _flatten(ref))
    meta.write_text(json.dumps({"errors": ref.errors, "cell_errors": ref.cell_errors}))
    return ref
