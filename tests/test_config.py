from pathlib import Path

import pytest

from coursekit.config import load_course
from coursekit.errors import ConfigError, UnknownWeekError

ROOT = Path(__file__).parent.parent


def test_real_course_loads():
    course = load_course(ROOT)
    numbers = [w.number for w in course.weeks]
    assert numbers == sorted(numbers) and "week06_transformer" in [w.slug for w in course.weeks]
    assert course.week("6").slug == course.week("06").slug == "week06_transformer"


def test_unknown_week_names_config_and_known_weeks():
    course = load_course(ROOT)
    with pytest.raises(UnknownWeekError, match=r"course_config.py: no week 'week99'; known weeks: week0\d"):
        course.week("week99")


def write_config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "course_config.py").write_text("from coursekit.config import Course, Limits, Week\n" + body)
    return tmp_path


WEEK = 'Week(number=1, slug="w1", title="t", notebooks=("a.ipynb",), points=1, due="{due}")'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("X = 1\n", "define COURSE = Course"),
        (f"COURSE = Course(title='t', weeks=({WEEK.format(due='2026-01-01')},))\n", "needs a UTC offset"),
        (f"COURSE = Course(title='t', weeks=({WEEK.format(due='soon')},))\n", "is not ISO 8601"),
        (f"COURSE = Course(title='t', weeks=({WEEK.format(due='2026-01-01T00:00+00:00')},),"
         " limits=Limits(cell_timeout_s=-1))\n", "limits.cell_timeout_s must be a positive number"),
        ("COURSE = Course(title='t', weeks=(\n", "cannot be imported"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, body, message):
    root = write_config(tmp_path, body)
    with pytest.raises(ConfigError, match=message) as info:
        load_course(root)
    assert "course_config.py" in str(info.value) and "\n" not in str(info.value)


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="no course_config.py here or above"):
        load_course(tmp_path)
