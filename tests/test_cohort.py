"""cohort.html from a gradebook: histogram, pass rates, named mistakes, latest attempt only."""

from __future__ import annotations

import base64
import re

from coursekit.grading.cohort import read_stats, write_cohort_report
from coursekit.grading.gradebook import Gradebook

CHECKS = [("softmax_rows", "softmax", "public", 2.0), ("causal_mask_4", "causal_mask", "public", 1.0),
          ("causal_mask_7", "causal_mask", "hidden", 1.0)]


def _row(student: str, sha: str, passed: list[bool], mistakes: dict[str, list[str]] | None = None,
         graded_at: str = "2026-12-01T00:00:00+00:00") -> dict:
    earned = sum(p for (_, _, _, p), ok in zip(CHECKS, passed, strict=True) if ok)
    return {
        "student": student, "week": "week01_mini", "sha256": sha, "notebook": "mini.ipynb",
        "submitted_at": None, "graded_at": graded_at, "score": 10 * earned / 4, "max_score": 10,
        "earned": earned, "possible": 4, "days_late": 0, "penalty": 0.0, "seconds": 1.0, "problems": [],
        "checks": [{"check_name": n, "function": f, "visibility": v, "points": p if ok else 0, "max_points": p,
                    "passed": ok, "mistakes": (mistakes or {}).get(n, [])}
                   for (n, f, v, p), ok in zip(CHECKS, passed, strict=True)],
    }


def _gradebook(folder):
    book = Gradebook(folder / "gradebook.db")
    book.upsert(_row("ada", "a1", [True, True, True]))
    book.upsert(_row("bob", "b1", [False, True, True], {"softmax_rows": ["softmax_not_normalised"]}))
    book.upsert(_row("cy", "c1", [False, False, False], {"causal_mask_4": ["causal_mask_inverted"],
                                                         "causal_mask_7": ["causal_mask_inverted"]}))
    # cy's second attempt replaces the first in the report
    book.upsert(_row("cy", "c2", [False, True, True], {"softmax_rows": ["softmax_not_normalised"]},
                     graded_at="2026-12-02T00:00:00+00:00"))
    book.close()


def test_stats_count_each_student_once_by_latest_attempt(tmp_path):
    _gradebook(tmp_path)
    (week,) = read_stats(tmp_path / "gradebook.db")
    assert sorted(s["student"] for s in week.students) == ["ada", "bob", "cy"]
    assert {n: (c.passed, c.attempted) for n, c in week.checks.items()} == {
        "softmax_rows": (1, 3), "causal_mask_4": (3, 3), "causal_mask_7": (3, 3)}
    # a mistake named by two checks of one student counts once; cy's first attempt is gone
    assert week.mistakes == {("softmax_not_normalised", "softmax"): 2}


def test_report_is_one_self_contained_page(tmp_path):
    _gradebook(tmp_path)
    path = write_cohort_report(tmp_path)
    assert path == tmp_path / "cohort.html"
    page = path.read_text()
    assert "week01_mini" in page and "softmax_not_normalised" in page
    images = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(images) == 2  # histogram and pass rates
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "33%" in page  # softmax_rows: 1 of 3 passed
    assert "src='http" not in page and "<script" not in page


def test_missing_gradebook_is_a_one_line_error(tmp_path):
    import pytest

    from coursekit.errors import CourseKitError

    with pytest.raises(CourseKitError, match="no gradebook"):
        write_cohort_report(tmp_path)


def test_cli_report(tmp_path, capsys):
    from coursekit.cli import main

    _gradebook(tmp_path)
    assert main(["report", str(tmp_path)]) == 0
    assert str(tmp_path / "cohort.html") in capsys.readouterr().out
