"""Course configuration: the dataclasses `course_config.py` is written in, and its loader."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coursekit.errors import ConfigError, UnknownWeekError

CONFIG_FILE = "course_config.py"

ATTEMPT_POLICIES = ("latest", "best")
CHECKS_FOLDER = "checks"  # beside a released notebook: public checks and their expected outputs


@dataclass(frozen=True)
class Week:
    number: int
    slug: str  # folder name under source/, release/, autograder/, solutions/
    title: str
    notebooks: tuple[str, ...]
    points: float  # the week's weight: raw check points are scaled to this
    due: str  # ISO 8601 with a UTC offset
    data: tuple[str, ...] = ()  # folders of data/ shipped with the release

    @property
    def due_at(self) -> datetime:
        return datetime.fromisoformat(self.due)


@dataclass
class WeekPaths:
    """Where a week's files live in the course folder."""

    root: Path
    week: Week

    @property
    def notebook_name(self) -> str:
        return self.week.notebooks[0]

    @property
    def source(self) -> Path:
        return self.root / "source" / self.week.slug / self.notebook_name

    @property
    def autograder(self) -> Path:
        return self.root / "autograder" / self.week.slug

    @property
    def release_dir(self) -> Path:
        return self.root / "release" / self.week.slug

    @property
    def release(self) -> Path:
        return self.release_dir / self.notebook_name

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions" / self.week.slug

    @property
    def solution(self) -> Path:
        return self.solutions_dir / self.notebook_name

    @property
    def cache(self) -> Path:
        return self.autograder / ".cache"

    @property
    def release_checks(self) -> Path:
        """The public checks and expected outputs shipped beside the student notebook."""
        return self.release_dir / CHECKS_FOLDER


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 60
    check_timeout_s: float = 20
    selfcheck_timeout_s: float = 10  # check("fn") in a notebook: all of one function's public checks together
    notebook_timeout_s: float = 300
    memory_mb: int = 4096
    max_processes: int = 64
    max_file_mb: int = 64
    max_output_mb: int = 64


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 15
    penalty_per_day: float = 0.10  # fraction of the score lost per started day late
    max_days_late: int = 7  # later than this scores zero


@dataclass(frozen=True)
class Course:
    title: str
    weeks: tuple[Week, ...]
    limits: Limits = field(default_factory=Limits)
    late: LatePolicy = field(default_factory=LatePolicy)
    seed: int = 1234
    min_mistakes_per_function: int = 3
    min_variants_per_function: int = 2  # validate fails a graded function with fewer accepted variants
    attempts: str = "latest"  # which attempt the gradebook counts: "latest" submitted, or "best" score
    root: Path = Path(".")  # set by load_course to the folder holding course_config.py

    def week(self, key: str | int) -> Week:
        """Find a week by slug, number or zero-padded number ("6", "06", "week06_transformer")."""
        for week in self.weeks:
            if str(key) in (week.slug, str(week.number), f"{week.number:02d}"):
                return week
        known = ", ".join(w.slug for w in self.weeks)
        raise UnknownWeekError(f"{self.root / CONFIG_FILE}: no week '{key}'; known weeks: {known}")

    def paths(self, week: Week) -> WeekPaths:
        return WeekPaths(self.root, week)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding course_config.py."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"{here}: no {CONFIG_FILE} here or above; run coursekit from the course folder")


def load_course(root: Path | None = None) -> Course:
    """Import course_config.py from the course root and check its values."""
    root = find_root(root)
    path = root / CONFIG_FILE
    spec = importlib.util.spec_from_file_location("course_config", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("course_config", module)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(f"{path}: cannot be imported ({type(exc).__name__}: {exc}); fix the line it names") from exc
    course = getattr(module, "COURSE", None)
    if not isinstance(course, Course):
        raise ConfigError(f"{path}: define COURSE = Course(...) at the top level")
    _check_types(course, path)
    return dataclasses.replace(course, root=root)


def _check_types(course: Course, path: Path) -> None:
    """Reject wrong types and impossible values with the field's name."""
    def fail(what: str) -> None:
        raise ConfigError(f"{path}: {what}")

    if not isinstance(course.limits, Limits) or not isinstance(course.late, LatePolicy):
        fail("limits must be Limits(...) and late must be LatePolicy(...)")
    for name in ("cell_timeout_s", "check_timeout_s", "selfcheck_timeout_s", "notebook_timeout_s", "memory_mb",
                 "max_processes", "max_file_mb", "max_output_mb"):
        value = getattr(course.limits, name)
        if not isinstance(value, (int, float)) or value <= 0:
            fail(f"limits.{name} must be a positive number, not {value!r}")
    if course.attempts not in ATTEMPT_POLICIES:
        fail(f"attempts must be one of {', '.join(ATTEMPT_POLICIES)}, not {course.attempts!r}")
    slugs = [w.slug for w in course.weeks]
    if len(set(slugs)) != len(slugs):
        fail(f"week slugs must be unique, got {slugs}")
    for week in course.weeks:
        if not isinstance(week, Week):
            fail(f"weeks must hold Week(...) entries, not {type(week).__name__}")
        if not isinstance(week.notebooks, tuple) or not all(n.endswith(".ipynb") for n in week.notebooks):
            fail(f"week {week.slug}: notebooks must be a tuple of .ipynb names")
        if len(week.notebooks) != 1:  # one namespace per week keeps checks unambiguous
            fail(f"week {week.slug}: give exactly one notebook; split a longer week into two weeks")
        if not isinstance(week.data, tuple):
            fail(f"week {week.slug}: data must be a tuple of folder names under data/")
        try:
            due = week.due_at
        except (TypeError, ValueError):
            fail(f"week {week.slug}: due {week.due!r} is not ISO 8601, e.g. 2026-12-11T23:59:00+00:00")
        if due.tzinfo is None:
            fail(f"week {week.slug}: due {week.due!r} needs a UTC offset, e.g. +00:00")
