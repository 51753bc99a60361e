"""`cohort.html`: how a cohort did on a week, from a grade output folder's gradebook.db.

For each week graded there: the score histogram, the pass rate of every check, the catalogued
mistakes most students made, and the students sorted by score. Each student counts once, by
their latest graded attempt. Figures are matplotlib PNGs embedded as base64, so the page is one
file a mentor can mail or open offline. It holds no learner output, only scores and names; the
names (student ids come from uploads) are HTML-escaped with their control characters stripped.
"""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from coursekit.errors import CourseKitError
from coursekit.files import write_atomic
from coursekit.grading.gradebook import counted_attempts, open_read_only
from coursekit.safe_text import for_html

DB, PAGE = "gradebook.db", "cohort.html"
PASS_COLOUR, FAIL_COLOUR = "#2e7d32", "#c62828"
TOP_MISTAKES = 15


@dataclass
class CheckStats:
    name: str
    function: str
    visibility: str
    max_points: float
    passed: int = 0
    attempted: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.attempted if self.attempted else 0.0


@dataclass
class WeekStats:
    week: str
    students: list[dict] = field(default_factory=list)  # student, score, max_score, days_late, problems
    checks: dict[str, CheckStats] = field(default_factory=dict)
    mistakes: Counter = field(default_factory=Counter)  # (mistake, function) -> students
    max_score: float = 0.0

    @property
    def fractions(self) -> list[float]:
        return [s["score"] / s["max_score"] if s["max_score"] else 0.0 for s in self.students]


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise CourseKitError(f"{path}: no gradebook here; run `coursekit grade WEEK SUBMISSIONS --out DIR` first")
    return open_read_only(path)


def read_stats(db_path: Path, policy: str = "latest") -> list[WeekStats]:
    """Every week in the gradebook, each student by their counted attempt (course_config.py's policy)."""
    db = _connect(db_path)
    try:
        weeks = [r["week"] for r in db.execute("SELECT DISTINCT week FROM attempts ORDER BY week")]
        out = []
        for week in weeks:
            stats = WeekStats(week)
            for row in counted_attempts(db, week, policy):
                problems = json.loads(row["problems"] or "[]")
                stats.students.append({"student": row["student"], "score": row["score"], "max_score": row["max_score"],
                                       "days_late": row["days_late"], "problems": problems})
                stats.max_score = max(stats.max_score, row["max_score"])
                checks = db.execute("SELECT * FROM checks WHERE student=? AND week=? AND sha256=? ORDER BY rowid",
                                    (row["student"], week, row["sha256"])).fetchall()
                for c in checks:
                    entry = stats.checks.setdefault(
                        c["check_name"], CheckStats(c["check_name"], c["function"], c["visibility"], c["max_points"]))
                    entry.attempted += 1
                    entry.passed += bool(c["passed"])
                named = {m for c in checks for m in json.loads(c["mistakes"] or "[]")}
                functions = {m: c["function"] for c in checks for m in json.loads(c["mistakes"] or "[]")}
                stats.mistakes.update((m, functions[m]) for m in named)
            out.append(stats)
        return out
    finally:
        db.close()


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def histogram(stats: WeekStats) -> str:
    """Scores as a percentage of the week's points, in 10-point bins; base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.hist([100 * f for f in stats.fractions], bins=range(0, 101, 10), color="#1565c0", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the week's points)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{stats.week}: {len(stats.students)} students")
    return _png(fig)


def pass_rates(stats: WeekStats) -> str:
    """One horizontal bar per check, in the week's order; base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    checks = list(stats.checks.values())
    fig, ax = plt.subplots(figsize=(6, 0.6 + 0.28 * max(1, len(checks))))
    labels = [f"{c.name}{' (hidden)' if c.visibility == 'hidden' else ''}" for c in checks]
    rates = [100 * c.rate for c in checks]
    colours = [PASS_COLOUR if r >= 50 else FAIL_COLOUR for r in rates]
    ax.barh(range(len(checks)), rates, color=colours)
    ax.set_yticks(range(len(checks)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students passing (%)")
    return _png(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    e = for_html
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def week_section(stats: WeekStats) -> str:
    e = for_html
    fractions = stats.fractions
    full = sum(f >= 1 - 1e-9 for f in fractions)
    late = sum(s["days_late"] > 0 for s in stats.students)
    troubled = sum(bool(s["problems"]) for s in stats.students)
    parts = [f"<h2>{e(stats.week)}</h2>"]
    if not fractions:
        return parts[0] + "<p>No graded submissions.</p>"
    parts.append(
        f"<p>{len(fractions)} students; mean {100 * statistics.fmean(fractions):.0f}%, "
        f"median {100 * statistics.median(fractions):.0f}%; full marks {full}; late {late}; "
        f"with problems while running (crashes, timeouts) {troubled}.</p>")
    parts.append(f"<img alt='score histogram' src='data:image/png;base64,{histogram(stats)}'>")
    if stats.checks:
        parts.append("<h3>Pass rate per check</h3>")
        parts.append(f"<img alt='pass rate per check' src='data:image/png;base64,{pass_rates(stats)}'>")
        parts.append(_table(["check", "function", "visibility", "points", "passed", "pass rate"], [
            [c.name, c.function, c.visibility, f"{c.max_points:g}", f"{c.passed}/{c.attempted}", f"{100 * c.rate:.0f}%"]
            for c in stats.checks.values()]))
    parts.append("<h3>Most common named mistakes</h3>")
    if stats.mistakes:
        parts.append(_table(["mistake", "function", "students", "share"], [
            [m, f, n, f"{100 * n / len(fractions):.0f}%"] for (m, f), n in stats.mistakes.most_common(TOP_MISTAKES)]))
    else:
        parts.append("<p>No catalogued mistake was matched.</p>")
    parts.append("<h3>Students</h3>")
    ranked = sorted(stats.students, key=lambda s: (s["score"], s["student"]))
    parts.append(_table(["student", "score", "late (days)", "problems"], [
        [s["student"], f"{s['score']:.4g} / {s['max_score']:g}", s["days_late"], len(s["problems"])] for s in ranked]))
    return "\n".join(parts)


STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.2em .6em;"
         "text-align:left;font-size:90%}th{background:#f3f3f3}img{max-width:100%}")


def write_cohort_report(grade_dir: Path, policy: str = "latest") -> Path:
    """Write `grade_dir/cohort.html` from `grade_dir/gradebook.db`; returns its path."""
    weeks = read_stats(grade_dir / DB, policy)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = [f"<!doctype html><meta charset='utf-8'><title>Cohort report</title><style>{STYLE}</style>",
            f"<h1>Cohort report</h1><p>From {for_html(str(grade_dir / DB))}, {when}. "
            f"Each student counts once, by their {policy} attempt.</p>"]
    page += [week_section(w) for w in weeks] or ["<p>The gradebook holds no graded attempts.</p>"]
    path = grade_dir / PAGE
    write_atomic(path, "\n".join(page) + "\n")
    return path
