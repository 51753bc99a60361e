"""Which attempt counts: ordered by submission time and attempt number, never by when it was graded."""

from __future__ import annotations

import csv

import pytest

from coursekit.grading.cohort import read_stats
from coursekit.grading.gradebook import Gradebook

SAME_SECOND = "2026-12-01T00:00:00+00:00"


def row(student: str, sha: str, score: float, submitted_at: str | None = None, graded_at: str = SAME_SECOND) -> dict:
    return {
        "student": student, "week": "w", "sha256": sha, "notebook": "n.ipynb", "submitted_at": submitted_at,
        "graded_at": graded_at, "score": score, "max_score": 10, "earned": score, "possible": 10, "days_late": 0,
        "penalty": 0.0, "seconds": 1.0, "problems": [],
        "checks": [{"check_name": "c", "function": "f", "visibility": "public", "points": score, "max_points": 10,
                    "passed": int(score == 10), "mistakes": []}],
    }


def csv_rows(book: Gradebook, tmp_path, policy: str = "latest") -> dict[str, dict]:
    book.export_csv(tmp_path / "gradebook.csv", "w", ["c"], policy=policy)
    with open(tmp_path / "gradebook.csv") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}


def test_two_attempts_graded_in_the_same_second_give_one_row(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(row("ada", "first", 4))
        book.upsert(row("ada", "second", 7))  # same graded_at, to the second
        rows = csv_rows(book, tmp_path)
    assert list(rows) == ["ada"] and rows["ada"]["attempt"] == "2" and float(rows["ada"]["score"]) == 7
    (week,) = read_stats(tmp_path / "gradebook.db")
    assert [(s["student"], s["score"]) for s in week.students] == [("ada", 7)]


def test_regrading_an_old_attempt_with_force_keeps_the_latest(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(row("ada", "first", 4))
        book.upsert(row("ada", "second", 7))
        book.upsert(row("ada", "first", 5, graded_at="2026-12-09T00:00:00+00:00"))  # --force on the old file
        rows = csv_rows(book, tmp_path)
    assert rows["ada"]["attempt"] == "2" and float(rows["ada"]["score"]) == 7


def test_submission_time_orders_attempts_across_time_zones(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(row("ada", "late_upload_graded_first", 9, submitted_at="2026-12-02T10:00:00+02:00"))
        book.upsert(row("ada", "earlier_graded_second", 3, submitted_at="2026-12-02T07:30:00+00:00"))
        rows = csv_rows(book, tmp_path)
    assert float(rows["ada"]["score"]) == 9  # 10:00+02:00 is 08:00 UTC, after 07:30 UTC
    assert rows["ada"]["attempt"] == "1"


@pytest.mark.parametrize(("policy", "score"), [("latest", 4), ("best", 9)])
def test_attempt_policy(tmp_path, policy, score):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(row("ada", "good", 9, submitted_at="2026-12-01T00:00:00+00:00"))
        book.upsert(row("ada", "worse", 4, submitted_at="2026-12-02T00:00:00+00:00"))
        assert float(csv_rows(book, tmp_path, policy)["ada"]["score"]) == score
    (week,) = read_stats(tmp_path / "gradebook.db", policy)
    assert week.students[0]["score"] == score
