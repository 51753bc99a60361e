"""One graded submission: the record results.json, the feedback and the gradebook are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coursekit.compare import CheckResult
from coursekit.grading.lateness import Lateness


@dataclass
class GradeResult:
    """One graded submission: what results.json, the feedback and the gradebook are made of."""

    student: str
    week: str
    notebook: str
    sha256: str
    submitted_at: datetime | None
    checks: list[CheckResult]
    hints: dict[str, str]
    max_score: float  # the week's points
    possible: float  # raw check points
    lateness: Lateness = field(default_factory=lambda: Lateness(0, 0.0))
    problems: list[str] = field(default_factory=list)  # one line each: what went wrong and where
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    graded_at: str = ""

    @property
    def scale(self) -> float:
        return self.max_score / self.possible if self.possible else 0.0

    @property
    def earned(self) -> float:
        return sum(r.score for r in self.checks)

    @property
    def score(self) -> float:
        return self.earned * self.scale * (1 - self.lateness.penalty)

    def row(self) -> dict:
        """The gradebook's record of this attempt (also stored as grade.json)."""
        return {
            "student": self.student, "week": self.week, "sha256": self.sha256, "notebook": self.notebook,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "graded_at": self.graded_at, "score": round(self.score, 4), "max_score": self.max_score,
            "earned": self.earned, "possible": self.possible, "days_late": self.lateness.days,
            "penalty": self.lateness.penalty, "seconds": round(self.seconds, 3), "problems": self.problems,
            "checks": [{"check_name": r.check.name, "function": r.check.function, "visibility": r.check.visibility,
                        "points": r.score * self.scale, "max_points": r.check.points * self.scale,
                        "passed": int(r.passed), "mistakes": r.mistakes} for r in self.checks],
        }
