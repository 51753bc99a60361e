"""The gradebook: every attempt of every student on every check, in SQLite, and a CSV of the counted one.

    attempts(student, week, sha256, attempt, notebook, submitted_at, graded_at, score, max_score,
             earned, possible, days_late, penalty, seconds, problems)
    checks(student, week, sha256, check_name, function, visibility, points, max_points, passed, mistakes)

An attempt is one notebook content (its sha256): grading the same content again replaces its
rows (upsert) and keeps its attempt number; a new content is the student's next attempt.
Attempts are ordered by submission time, then attempt number, never by when they were graded;
course_config.py's `attempts` policy counts the latest submitted attempt or the best-scoring
one (`counted_attempts`, the one query behind gradebook.csv and the cohort report).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from coursekit.files import atomic_path
from coursekit.safe_text import for_csv

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


def _order(row: sqlite3.Row) -> tuple:
    """Sort key of an attempt: submitted later, then numbered later, is later. Unknown times come first."""
    try:
        when = datetime.fromisoformat(row["submitted_at"]) if row["submitted_at"] else None
    except ValueError:
        when = None
    stamp = when.astimezone(UTC).timestamp() if when is not None and when.tzinfo else float("-inf")
    return stamp, row["attempt"]


def open_read_only(path: Path) -> sqlite3.Connection:
    """The gradebook at `path` for reading only (reports and exports never write the grader's book)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def counted_attempts(db: sqlite3.Connection, week: str, policy: str = "latest") -> list[sqlite3.Row]:
    """Each student's counted attempt at `week` (one row per student, by student): the latest
    submitted one, or under policy "best" the highest score (the latest of equal scores)."""
    def key(row: sqlite3.Row) -> tuple:
        return (row["score"], *_order(row)) if policy == "best" else _order(row)

    chosen: dict[str, sqlite3.Row] = {}
    for row in db.execute("SELECT * FROM attempts WHERE week=?", (week,)):
        if row["student"] not in chosen or key(row) > key(chosen[row["student"]]):
            chosen[row["student"]] = row
    return [chosen[s] for s in sorted(chosen)]


class Gradebook:
    """`gradebook.db` in the output folder; one writer (the batch's main process)."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def upsert(self, row: dict) -> None:
        """Store one graded attempt (`GradeResult.row()`), replacing an earlier grading of it."""
        key = (row["student"], row["week"], row["sha256"])
        with self.db:
            found = self.db.execute(
                "SELECT attempt FROM attempts WHERE student=? AND week=? AND sha256=?", key).fetchone()
            if found:
                attempt = found[0]
            else:
                count = self.db.execute("SELECT MAX(attempt) FROM attempts WHERE student=? AND week=?",
                                        key[:2]).fetchone()
                attempt = (count[0] or 0) + 1
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

    def counted(self, week: str, policy: str = "latest") -> list[dict]:
        """Each student's counted attempt at `week`, with points per check."""
        result = []
        for row in counted_attempts(self.db, week, policy):
            checks = self.db.execute("SELECT check_name, points FROM checks WHERE student=? AND week=? AND sha256=?",
                                     (row["student"], week, row["sha256"])).fetchall()
            result.append(dict(row) | {"checks": {c["check_name"]: c["points"] for c in checks}})
        return result

    def export_csv(self, path: Path, week: str, check_names: list[str], policy: str = "latest") -> None:
        """gradebook.csv: one line per student (the counted attempt), written atomically; no cell is a formula."""
        columns = ["student", "week", "attempt", "score", "max_score", "days_late", "penalty", "submitted_at",
                   "graded_at", *check_names]
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([for_csv(c) for c in columns])
            for row in self.counted(week, policy):  # a student id like =HYPERLINK(...) must stay text
                writer.writerow([for_csv(row.get(c) if c not in check_names else row["checks"].get(c, ""))
                                 for c in columns])

    def close(self) -> None:
        self.db.close()
