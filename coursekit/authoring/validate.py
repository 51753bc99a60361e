"""`coursekit validate WEEK`: prove a week's checks are a valid assessment.

Holds only when: the answer key scores 100%; the released stub fails every check; every
catalogued mistake fails a check and is named there uniquely; every accepted variant earns
full marks; every public check's outputs change at the grading inputs; release/ matches
source/; and nothing of the solutions, hidden checks, mistakes or variants appears in release/.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import coursekit
from coursekit import notebook
from coursekit.arrays import load_npz
from coursekit.authoring.release import Built, build_notebooks, in_sync
from coursekit.checks import Variant, WeekChecks, load_checks
from coursekit.compare import compare
from coursekit.config import Course, Week, WeekPaths
from coursekit.engine.execute import Execution, execute
from coursekit.engine.runner import SUBMISSION, Job
from coursekit.errors import CheckDefinitionError, NotebookError
from coursekit.files import write_atomic
from coursekit.probing import drawing_from
from coursekit.reference import Reference, fingerprint, grading_seed, load_reference
from coursekit.scoring import score

TEXT_SUFFIXES = {".ipynb", ".py", ".json", ".md", ".txt", ".tsv", ".csv", ".html", ".yaml", ".yml"}
MIN_LEAK_LINE = 16  # shorter lines (`return x`, `x = x + 1`) are too common to call leaks
VERDICT = "validated.json"  # autograder/<week>/: the last valid verdict and what it was reached on


@dataclass
class Validation:
    week: str
    max_points: float = 0.0
    reference_points: float = 0.0
    stub_points: float = 0.0
    checks: list[dict] = field(default_factory=list)
    mistakes_total: int = 0
    mistakes_caught: int = 0
    mistakes_named: int = 0
    cross_function_loss: float = 0.0  # points mistakes lose in other functions' (non-integration) checks
    mistakes: list[dict] = field(default_factory=list)
    variants_total: int = 0
    variants_full_marks: int = 0
    variants: list[dict] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reused: bool = False  # the recorded verdict of unchanged inputs (`validate --reuse`), not a new run

    @property
    def ok(self) -> bool:
        return (
            self.max_points > 0
            and self.reference_points == self.max_points
            and not any(c["stub_passed"] for c in self.checks)
            and self.mistakes_caught == self.mistakes_named == self.mistakes_total
            and self.cross_function_loss == 0
            and self.variants_full_marks == self.variants_total
            and not self.leaks
            and not self.problems
        )

    def summary(self) -> dict:
        keys = ("week", "max_points", "reference_points", "stub_points", "checks", "mistakes_total",
                "mistakes_caught", "mistakes_named", "cross_function_loss", "variants_total", "variants_full_marks",
                "leaks", "reused")
        extra = {"mistakes": self.mistakes, "variants": self.variants, "problems": self.problems, "ok": self.ok}
        return {k: getattr(self, k) for k in keys} | extra


def structure(paths: WeekPaths, checks: WeekChecks, min_mistakes: int, min_variants: int) -> list[str]:
    """Authoring errors (raised) and shortfalls (returned) in how the notebook meets its checks."""
    source = notebook.read(paths.source)
    graded = notebook.graded_names(source, paths.source)
    if not graded:
        raise NotebookError(
            f"{paths.source}: no solution regions ({notebook.BEGIN} ... {notebook.END}); mark the answers")
    checked = {c.function for c in checks.checks}
    for name in graded:
        if name not in checked:
            raise CheckDefinitionError(
                f"{paths.source}: graded function `{name}` has no check; add a Check(..., '{name}', ...) "
                f"to {paths.autograder / 'public.py'}")
    public = {c.function for c in checks.public}
    problems = [f"`{n}` has no public check: mentees could not self-check it" for n in graded if n not in public]
    problems += [f"check {c.name} is for `{c.function}`, which the notebook does not grade"
                 for c in checks.checks if c.function not in graded]
    problems += [f"check {c.name} gives {c.points} points; every check must be worth points"
                 for c in checks.checks if c.points <= 0]
    calls = set(notebook.check_calls(source))
    problems += [f"`{n}` has no check(\"{n}\") cell after it" for n in graded if n not in calls]
    for name in graded:
        count = sum(m.function == name for m in checks.mistakes)
        if count < min_mistakes:
            problems.append(f"`{name}` has {count} catalogued mistakes; add at least {min_mistakes} to mistakes.py")
    problems += [f"mistake {m.name} is for `{m.function}`, which the notebook does not grade"
                 for m in checks.mistakes if m.function not in graded]
    for name in graded:
        count = sum(v.function == name for v in checks.variants)
        if count < min_variants:
            problems.append(f"`{name}` has {count} accepted variants; add at least {min_variants} correct "
                            "alternatives to variants.py")
    problems += [f"variant {v.name} is for `{v.function}`, which the notebook does not grade"
                 for v in checks.variants if v.function not in graded]
    return problems


def run_notebook(course: Course, paths: WeekPaths, path: Path) -> Execution:
    limits = course.limits
    job = Job(notebook=str(path), checks_folder=str(paths.autograder), out="", hidden=True,
              cell_timeout_s=limits.cell_timeout_s, check_timeout_s=limits.check_timeout_s, seed=course.seed)
    return execute(job, deadline_s=limits.notebook_timeout_s, workdir=path.parent)


def _variant_failures(checks: WeekChecks, ref: Reference, variant: Variant, input_seed: int) -> list[str]:
    """The checks a variant fails against `ref` (computed on inputs drawn from `input_seed`). On grading
    inputs the reference runs a variant on its own function's checks only (and integration checks):
    with the key's other definitions in place, the rest equal the reference's by construction."""
    failed = []
    with drawing_from(input_seed):
        for check in checks.checks:
            if input_seed and check.function != variant.function and not check.integration:
                continue
            outputs = ref.alternative(variant.name, check.name)
            error = ref.errors.get(f"{variant.name}/{check.name}")
            if not compare(check, ref.outputs.get(check.name, {}), outputs, error).passed:
                failed.append(check.name)
    return failed


def _variants(checks: WeekChecks, ref: Reference, fresh: Reference, seed: int, report: Validation) -> None:
    """Every accepted variant must pass every check, on the public inputs and on the grading ones:
    a correct answer in another style loses nothing."""
    for variant in checks.variants:
        failed = _variant_failures(checks, ref, variant, 0)
        failed += [f"{c} (grading inputs)" for c in _variant_failures(checks, fresh, variant, seed)]
        report.variants.append({"name": variant.name, "function": variant.function, "failed_checks": failed})
        report.variants_full_marks += not failed
    report.variants_total = len(checks.variants)


def _mistakes(checks: WeekChecks, ref: Reference, report: Validation) -> None:
    for mistake in checks.mistakes:
        results = []
        for check in checks.checks:
            outputs = ref.alternative(mistake.name, check.name)
            error = ref.errors.get(f"{mistake.name}/{check.name}")
            results.append(compare(check, ref.outputs.get(check.name, {}), outputs, error,
                                   ref.mistake_outputs(check.name), ref.mistake_errors(check.name)))
        failed = [r for r in results if not r.passed]
        named = [r.check.name for r in failed if r.mistakes == [mistake.name]]
        elsewhere = [r for r in failed if r.check.function != mistake.function and not r.check.integration]
        report.cross_function_loss += sum(r.check.points for r in elsewhere)
        report.mistakes.append({"name": mistake.name, "function": mistake.function,
                                "failed_checks": [r.check.name for r in failed], "named_by": named})
        report.mistakes_caught += bool(failed)
        report.mistakes_named += bool(named)
    report.mistakes_total = len(checks.mistakes)


def tabulated(checks: WeekChecks, ref: Reference, fresh: Reference) -> list[str]:
    """Public checks whose reference outputs are the same at the grading inputs: the expected outputs
    released for `check()` would answer them, so a notebook could earn their points by table lookup
    (or a constant body). Hidden checks may hold fixed edge cases: their outputs are never released."""
    found = []
    for check in checks.public:
        public, grading = ref.outputs.get(check.name), fresh.outputs.get(check.name)
        if public and grading and public.keys() == grading.keys() and all(
                public[k].shape == grading[k].shape and np.array_equal(public[k], grading[k]) for k in public):
            found.append(f"public check {check.name} has the same outputs at the grading inputs, so its released "
                         "outputs answer it; draw its inputs with probing.Sizes/choose and return values that "
                         "depend on them")
    return found


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def _release_lines(path: Path) -> set[str]:
    if path.suffix == ".ipynb":
        return {line for cell in notebook.read(path).cells for line in _lines(cell.source)}
    return _lines(path.read_text(errors="replace"))


def leaks(paths: WeekPaths, checks: WeekChecks, built: Built) -> list[str]:
    """Solution lines, hidden-check or mistake code, and hidden check names found in release/."""
    source = notebook.read(paths.source)
    secret = {line for r in notebook.solution_regions(source, paths.source) for line in _lines(r.text)}
    for name in ("hidden.py", "mistakes.py", "variants.py"):
        if (paths.autograder / name).is_file():
            secret |= _lines((paths.autograder / name).read_text())
    given = _lines((paths.autograder / "public.py").read_text())  # lines mentees are meant to see
    given |= {line for cell in built.student.cells for line in _lines(cell.source)}
    secret = {s for s in secret - given if len(s) >= MIN_LEAK_LINE and not s.startswith("#")}
    hidden = {c.name for c in checks.checks if c.visibility == "hidden"}
    found = []
    for path in sorted(p for p in paths.release_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(paths.root)
        if path.name in ("hidden.py", "mistakes.py", "variants.py") or path.suffix in (".pkl", ".pickle", ".pt"):
            found.append(f"{rel}: must not be released")
        elif path.suffix == ".npz":
            keys = {part for key in load_npz(path) for part in key.split("/")}
            found += [f"{rel}: holds outputs of hidden check {k}" for k in sorted(keys & hidden)]
        elif path.suffix in TEXT_SUFFIXES:
            lines = _release_lines(path)
            found += [f"{rel}: contains secret line `{s[:60]}`" for s in sorted(secret & lines)]
            text = "\n".join(lines)
            found += [f"{rel}: names hidden check {n}" for n in sorted(hidden) if n in text]
    return found


def validate_week(course: Course, week: Week) -> Validation:
    paths = course.paths(week)
    checks = load_checks(paths.autograder)
    report = Validation(week=week.slug)
    report.problems += structure(paths, checks, course.min_mistakes_per_function, course.min_variants_per_function)
    built = build_notebooks(paths)  # what `release` would write now: compared and scanned once
    report.problems += in_sync(paths, built)
    if not (paths.release_checks / "manifest.json").is_file():
        report.problems.append(f"{paths.release_checks} is missing; run `coursekit release {week.slug}`")

    seed = grading_seed(paths, course)
    with ThreadPoolExecutor(max_workers=4) as pool:  # four independent child processes
        ref_job = pool.submit(load_reference, course, paths)
        fresh_job = pool.submit(load_reference, course, paths, input_seed=seed)  # also warms grading's cache
        key_job = pool.submit(run_notebook, course, paths, paths.solution)
        stub_job = pool.submit(run_notebook, course, paths, paths.release)
        ref = ref_job.result()
        key, stub = score(checks, ref, key_job.result()), score(checks, ref, stub_job.result())
    for inputs, reference in (("", ref), (" at the grading inputs", fresh_job.result())):
        report.problems += [f"the reference fails {k.split('/', 1)[1]}{inputs}: {v}"
                            for k, v in reference.errors.items() if k.startswith(SUBMISSION + "/")]
    for k, s in zip(key, stub, strict=True):
        report.checks.append({"name": k.check.name, "function": k.check.function, "points": k.check.points,
                              "visibility": k.check.visibility, "reference_passed": k.passed,
                              "stub_passed": s.passed})
    report.max_points = sum(c.points for c in checks.checks)
    report.reference_points = sum(r.score for r in key)
    report.stub_points = sum(r.score for r in stub)
    _mistakes(checks, ref, report)
    _variants(checks, ref, fresh_job.result(), seed, report)
    report.problems += tabulated(checks, ref, fresh_job.result())
    report.leaks = leaks(paths, checks, built)
    return report


def verdict_fingerprint(course: Course, paths: WeekPaths) -> str:
    """A hash of everything a verdict depends on: the reference's inputs (`reference.fingerprint`), the
    release as built, and every file of the kit (comparison and validation rules included)."""
    digest = hashlib.sha256(fingerprint(paths, course).encode())
    package = Path(coursekit.__file__).parent
    files = [(p, package) for p in sorted(package.rglob("*.py"))]
    release = [p for p in sorted(paths.release_dir.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    files += [(p, paths.root) for p in release]
    for path, base in files:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def record_verdict(course: Course, week: Week, report: Validation) -> None:
    """Keep a valid verdict with the fingerprint it was reached on (`validate --reuse` reads it)."""
    if report.ok and not report.reused:
        paths = course.paths(week)
        data = {"fingerprint": verdict_fingerprint(course, paths), "report": asdict(report)}
        write_atomic(paths.autograder / VERDICT, json.dumps(data, indent=1, sort_keys=True) + "\n")


def reused_verdict(course: Course, week: Week) -> Validation | None:
    """The recorded valid verdict if nothing it depends on has changed since, else None."""
    paths = course.paths(week)
    try:
        data = json.loads((paths.autograder / VERDICT).read_text())
        if data["fingerprint"] != verdict_fingerprint(course, paths):
            return None
        return Validation(**(data["report"] | {"reused": True}))
    except (OSError, ValueError, KeyError, TypeError):
        return None
