"""The gradebook: every attempt of every student on every check, in SQLite, and a CSV of the latest.

    attempts(student, week, sha256, attempt, notebook, submitted_at, graded_at, score, max_score,
             earned, possible, days_late, penalty, seconds, problems)
    checks(student, week, sha256, check_name, function, visibility, points, max_points, passed, mistakes)

An attempt is one notebook content (its sha256): grading the same content again replaces its
rows (upsert); a new content is the student's next attempt. The late penalty follows
course_config.py's LatePolicy.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coursekit.config import LatePolicy

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    student TEXT NOT NULL, week TEXT NOT NULL, sha256 TEXT NOT NULL, attempt INTEGER NOT NULL,
    notebook TEXT, submitted_at TEXT, graded_at TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL,
    earned REAL NOT NULL, possible REAL NOT NULL, days_late INTEGER NOT NULL, penalty REAL NOT NULL,
    seconds REAL NOT NULL, problems TEXT NOT NULL,
    PRIMARY KEY (student, week, sha256)
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL, week TEXT NOT NULL, sha256 TEXT NOT NULL, check_name TEXT NOT NULL,
    function TEXT NOT NULL, visibility TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL,
    passed INTEGER NOT NULL, mistakes TEXT NOT NULL,
    PRIMARY KEY (student, week, sha256, check_name)
);
"""
ATTEMPT_COLUMNS = ("student", "week", "sha256", "notebook", "submitted_at", "graded_at", "score", "max_score",
                   "earned", "possible", "days_late", "penalty", "seconds", "problems")
CHECK_COLUMNS = ("check_name", "function", "visibility", "points", "max_points", "passed", "mistakes")


@dataclass(frozen=True)
class Lateness:
    days: int  # started days late, after the grace period; 0 when on time
    penalty: float  # fraction of the score taken off

    def describe(self) -> str:
        if not self.days:
            return "on time"
        return f"{self.days} day{'s' * (self.days != 1)} late: -{self.penalty:.0%}"


def lateness(submitted: datetime | None, due: datetime, policy: LatePolicy) -> Lateness:
    """How late a submission is under `policy`; unknown times count as on time."""
    if submitted is None:
        return Lateness(0, 0.0)
    minutes = (submitted - due).total_seconds() / 60
    if minutes <= policy.grace_minutes:
        return Lateness(0, 0.0)
    days = math.ceil(minutes / (24 * 60))
    if days > policy.max_days_late:
        return Lateness(days, 1.0)
    return Lateness(days, min(1.0, days * policy.penalty_per_day))


class Gradebook:
    """`gradebook.db` in the output folder; one writer (the batch's main process)."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def upsert(self, row: dict) -> None:
        """Store one graded attempt (`GradeResult.row()`), replacing an earlier grading of it."""
        key = (row["student"], row["week"], row["sha256"])
        with self.db:
            found = self.db.execute(
                "SELECT attempt FROM attempts WHERE student=? AND week=? AND sha256=?", key).fetchone()
            if found:
                attempt = found[0]
            else:
                count = self.db.execute("SELECT COUNT(*) FROM attempts WHERE student=? AND week=?", key[:2]).fetchone()
                attempt = count[0] + 1
            values = [row[c] if c != "problems" else json.dumps(row["problems"]) for c in ATTEMPT_COLUMNS]
            self.db.execute(f"INSERT OR REPLACE INTO attempts ({', '.join(ATTEMPT_COLUMNS)}, attempt) "
                            f"VALUES ({', '.join('?' * (len(ATTEMPT_COLUMNS) + 1))})", [*values, attempt])
            self.db.execute("DELETE FROM checks WHERE student=? AND week=? AND sha256=?", key)
            self.db.executemany(
                f"INSERT INTO checks (student, week, sha256, {', '.join(CHECK_COLUMNS)}) "
                f"VALUES ({', '.join('?' * (3 + len(CHECK_COLUMNS)))})",
                [[*key, *(json.dumps(c[k]) if k == "mistakes" else c[k] for k in CHECK_COLUMNS)]
                 for c in row["checks"]],
            )

    def latest(self, week: str) -> list[dict]:
        """Each student's most recently graded attempt at `week`, with points per check."""
        self.db.row_factory = sqlite3.Row
        rows = self.db.execute(
            "SELECT * FROM attempts a WHERE week=? AND graded_at = (SELECT MAX(graded_at) FROM attempts b "
            "WHERE b.student=a.student AND b.week=a.week) ORDER BY student", (week,)).fetchall()
        result = []
        for row in rows:
            checks = self.db.execute("SELECT check_name, points FROM checks WHERE student=? AND week=? AND sha256=?",
                                     (row["student"], week, row["sha256"])).fetchall()
            result.append(dict(row) | {"checks": {c["check_name"]: c["points"] for c in checks}})
        self.db.row_factory = None
        return result

    def export_csv(self, path: Path, week: str, check_names: list[str]) -> None:
        """gradebook.csv: one line per student (latest attempt), written atomically."""
        columns = ["student", "week", "attempt", "score", "max_score", "days_late", "penalty", "submitted_at",
                   "graded_at", *check_names]
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in self.latest(week):
                writer.writerow([row.get(c) if c not in check_names else row["checks"].get(c, "") for c in columns])
        os.replace(tmp, path)

    def close(self) -> None:
        self.db.close()
