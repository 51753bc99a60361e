"""`coursekit export grades`: the counted attempt per student, as a plain CSV and in Canvas's import layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.config import Week
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.lms import POINTS_POSSIBLE, GradesExportError, canvas_column, export_grades
from coursekit.safe_text import FORMULA_STARTS

WEEK = Week(number=6, slug="week06_transformer", title="Attention and the transformer from scratch",
            notebooks=("transformer.ipynb",), points=100, due="2026-12-11T23:59:00+00:00")


def attempt(student: str, sha: str, score: float, submitted_at: str, days_late: int = 0, week: str = WEEK.slug) -> dict:
    """A gradebook row (`GradeResult.row()`) with one check."""
    return {
        "student": student, "week": week, "sha256": sha, "notebook": "transformer.ipynb", "submitted_at": submitted_at,
        "graded_at": "2026-12-12T00:00:00+00:00", "score": score, "max_score": 100, "earned": score, "possible": 100,
        "days_late": days_late, "penalty": 0.1 * days_late, "seconds": 1.0, "problems": [],
        "checks": [{"check_name": "c", "function": "f", "visibility": "public", "points": score, "max_points": 100,
                    "passed": int(score == 100), "mistakes": []}],
    }


@pytest.fixture
def graded(tmp_path) -> Path:
    """A grade output folder: ada improved then got worse, bob submitted once, a day late; another week too."""
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(attempt("ada", "a1", 60, "2026-12-01T10:00:00+00:00"))
        book.upsert(attempt("ada", "a2", 95, "2026-12-05T10:00:00+00:00"))
        book.upsert(attempt("ada", "a3", 70, "2026-12-09T10:00:00+00:00"))
        book.upsert(attempt("bob", "b1", 81, "2026-12-12T12:00:00+00:00", days_late=1))
        book.upsert(attempt("cyd", "c1", 50, "2026-12-02T10:00:00+00:00", week="week05_encoder_decoder"))
    return tmp_path


def read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(("policy", "ada"), [("latest", "70"), ("best", "95")])
def test_csv_has_one_line_per_student_by_the_attempt_policy(graded, tmp_path, policy, ada):
    exported = export_grades(graded, WEEK, "csv", tmp_path / "out.csv", policy=policy)
    rows = read(exported.path)
    assert rows == [["student", "score", "max_score", "days_late"],
                    ["ada", f"{ada}.0", "100.0", "0"], ["bob", "81.0", "100.0", "1"]]  # cyd is another week's
    assert exported.students == 2 and exported.ungraded == []


def test_canvas_layout_with_a_roster(graded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,lms_id,sis_user_id,login,section\n"
                      "ada,\"Lovelace, Ada\",1001,S-1,ada@uni.edu,Lab A\n"
                      "bob,Bob Byte,1002,,bob@uni.edu,Lab B\n"
                      "dan,Dan Dot,1003,S-4,dan@uni.edu,Lab A\n")
    exported = export_grades(graded, WEEK, "canvas", tmp_path / "canvas.csv", roster=roster, assignment_id="5531")
    rows = read(exported.path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Week 6: Attention and the transformer from scratch (5531)"]
    assert rows[1] == [POINTS_POSSIBLE, "", "", "", "", "100"]
    assert rows[2] == ["Lovelace, Ada", "1001", "S-1", "ada@uni.edu", "Lab A", "70.0"]
    assert rows[3] == ["Bob Byte", "1002", "bob", "bob@uni.edu", "Lab B", "81.0"]  # no SIS id: the student id
    assert exported.ungraded == ["dan"]


def test_canvas_without_a_roster_or_an_assignment_id(graded, tmp_path):
    rows = read(export_grades(graded, WEEK, "canvas", tmp_path / "canvas.csv").path)
    assert rows[0][-1] == canvas_column(WEEK) == "Week 6: Attention and the transformer from scratch"
    assert rows[2] == ["ada", "", "ada", "", "", "70.0"]


def test_github_classroom_roster_export(graded, tmp_path):
    roster = tmp_path / "classroom_roster.csv"  # what `coursekit grade --at-deadline --roster` reads too
    roster.write_text("identifier,github_username,github_id,name\nada,ada-l,1,Ada Lovelace\nbob,bobb,2,\n")
    rows = read(export_grades(graded, WEEK, "canvas", tmp_path / "canvas.csv", roster=roster).path)
    assert [r[:3] for r in rows[2:]] == [["Ada Lovelace", "", "ada"], ["bob", "", "bob"]]


def test_no_cell_is_a_formula(tmp_path):
    evil = '=HYPERLINK("http://x","click")'
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(attempt(evil, "e1", 10, "2026-12-01T10:00:00+00:00"))
        book.upsert(attempt("ok", "o1", 10, "2026-12-01T10:00:00+00:00"))
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,section\nok,@SUM(A1:A9),+cmd|' /C calc'!A0\n")
    for fmt in ("csv", "canvas"):
        rows = read(export_grades(tmp_path, WEEK, fmt, tmp_path / f"{fmt}.csv", roster=roster).path)
        cells = [c for row in rows for c in row]
        assert not [c for c in cells if c.lstrip().startswith(FORMULA_STARTS)], cells
        assert "'" + evil in cells


def test_the_write_is_atomic(graded, tmp_path):
    out = tmp_path / "exports" / "grades.csv"
    export_grades(graded, WEEK, "csv", out)
    first = out.read_text()
    with pytest.raises(GradesExportError):  # a failing export leaves the last good file and no temporary
        export_grades(graded, WEEK, "csv", out, roster=tmp_path / "missing.csv")
    assert out.read_text() == first and [p.name for p in out.parent.iterdir()] == ["grades.csv"]


def test_bad_inputs_are_course_kit_errors(tmp_path):
    with pytest.raises(GradesExportError, match="no gradebook here"):
        export_grades(tmp_path, WEEK, "csv", tmp_path / "x.csv")
    (tmp_path / "gradebook.db").write_bytes(b"not sqlite at all, just text" * 100)
    with pytest.raises(GradesExportError, match="not a gradebook"):
        export_grades(tmp_path, WEEK, "csv", tmp_path / "x.csv")
    with pytest.raises(GradesExportError, match="format"):
        export_grades(tmp_path, WEEK, "xlsx", tmp_path / "x.csv")


def test_cli_writes_the_canvas_file_beside_the_gradebook(released_minicourse, in_dir, tmp_path, capsys):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(attempt("ada", "a1", 7.5, "2026-12-01T10:00:00+00:00", week="week01_mini"))
    in_dir(released_minicourse)
    assert main(["export", "grades", "1", "--from", str(tmp_path), "--format", "canvas"]) == 0
    rows = read(tmp_path / "week01_mini-canvas.csv")
    assert rows[1] == [POINTS_POSSIBLE, "", "", "", "", "10"] and rows[2][-1] == "7.5"
    assert "1 students" in capsys.readouterr().out
    assert main(["export", "grades", "1", "--from", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no gradebook here" in err
