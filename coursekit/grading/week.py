"""A week as grading sees it: checks, reference outputs and the release's signatures, loaded once per batch."""

from __future__ import annotations

from dataclasses import dataclass

from coursekit import notebook
from coursekit.checks import WeekChecks, load_checks
from coursekit.config import Course, Week, WeekPaths
from coursekit.engine.forkserver import ForkServer
from coursekit.grading.bundle import grading_secrets
from coursekit.grading.static import Signature, imports, parse, signatures
from coursekit.reference import Reference


@dataclass
class WeekGrader:
    """Everything about a week that grading needs, loaded once per batch."""

    course: Course
    week: Week
    paths: WeekPaths
    checks: WeekChecks
    ref: Reference  # on the grading inputs, drawn from input_seed
    input_seed: int
    key: dict[str, str]  # graded name -> the answer key's source of it (runner.Isolation)
    signatures: dict[str, Signature]  # graded name -> its signature in the release
    preload: tuple[str, ...]  # modules the release imports: the fork server imports them once

    @classmethod
    def load(cls, course: Course, week: Week) -> WeekGrader:
        paths = course.paths(week)
        checks = load_checks(paths.autograder)
        secrets = grading_secrets(course, paths)
        graded = {c.function for c in checks.checks}
        found, preload = {}, set()
        release = paths.release if paths.release.is_file() else None
        if release is not None:
            for _, source in notebook.code_cells(release):
                tree = parse(source)
                if tree is not None:
                    found.update({k: v for k, v in signatures(tree).items() if k in graded})
                    preload |= imports(tree)
        return cls(course, week, paths, checks, secrets.ref, secrets.input_seed, secrets.key, found,
                   tuple(sorted(preload)))

    @property
    def hints(self) -> dict[str, str]:
        return {m.name: m.hint for m in self.checks.mistakes}

    @property
    def graded(self) -> set[str]:
        return {c.function for c in self.checks.checks}

    @property
    def possible(self) -> float:
        return sum(c.points for c in self.checks.checks)

    def server(self, worker: int = 0) -> ForkServer:
        return ForkServer(self.course, self.paths, self.checks, worker=worker, preload=self.preload,
                          input_seed=self.input_seed, key=self.key or None)
