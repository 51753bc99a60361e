"""Every week of the real course is a valid assessment, and its release is in sync with source/."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.authoring.validate import validate_week
from coursekit.config import load_course

ROOT = Path(__file__).parent.parent
COURSE = load_course(ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("slug", [pytest.param(w.slug, marks=getattr(pytest.mark, f"week{w.number:02d}"))
                                  for w in COURSE.weeks])
def test_week_is_valid(slug):
    report = validate_week(COURSE, COURSE.week(slug))
    summary = report.summary()
    assert report.reference_points == report.max_points > 0, summary["checks"]
    assert report.stub_points == 0 and not any(c["stub_passed"] for c in report.checks)
    assert report.mistakes_caught == report.mistakes_named == report.mistakes_total >= 11, summary["mistakes"]
    assert report.leaks == [] and report.problems == [], (report.leaks, report.problems)
