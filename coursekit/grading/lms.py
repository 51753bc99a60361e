"""`coursekit export grades WEEK`: a week's counted grades as a file an LMS imports.

The grades come from a grade output folder's `gradebook.db`, one row per student: the attempt
course_config.py's `attempts` policy counts (`gradebook.counted_attempts`, the query behind
gradebook.csv and the cohort report), so every view of a week agrees on each student's score.

Formats:
  csv     student, score, max_score, days_late: one line per graded student.
  canvas  the layout of Canvas's gradebook import (and export): Student, ID, SIS User ID, SIS Login ID,
          Section, then one column per assignment, headed "Title (assignment id)", and under the header
          a "Points Possible" row. Canvas matches a student by one of Student, ID or SIS User ID;
          a column whose title names no existing assignment creates one. References:
          https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
          (the columns Canvas requires) and
          https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html (the column
          meanings and the "Title (id)" assignment headers of an export).

A roster (`--roster CSV`: the student ids of `coursekit grade --roster`, in a `student` column or in
GitHub Classroom's `identifier` column) fills the Canvas identity columns: `name` -> Student,
`lms_id` -> ID (the Canvas user id, as in Canvas's download names), `sis_user_id` -> SIS User ID,
`sis_login_id` or `login` -> SIS Login ID, `section` -> Section. Without one, Student and SIS User
ID are the student id. Student ids and names come from uploads and rosters: every text cell goes
through `safe_text.for_csv`, so none reads as a formula.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from coursekit.config import Week
from coursekit.errors import CourseKitError
from coursekit.files import atomic_path
from coursekit.grading.gradebook import counted_attempts, open_read_only
from coursekit.grading.submissions import safe_id
from coursekit.safe_text import for_csv

FORMATS = ("csv", "canvas")
DB = "gradebook.db"
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"  # Canvas's export writes it as the row under the header; its import reads it


class GradesExportError(CourseKitError):
    """The gradebook or the roster cannot be read."""


@dataclass(frozen=True)
class Grade:
    """A student's counted attempt at a week."""

    student: str
    score: float  # the week's points, late penalty applied
    max_score: float
    days_late: int


@dataclass(frozen=True)
class Person:
    """A roster row's identity columns for Canvas."""

    name: str = ""
    lms_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass(frozen=True)
class Exported:
    """What `export_grades` wrote: the file, its student rows, and roster students with no graded attempt."""

    path: Path
    students: int
    ungraded: list[str]


def read_grades(grade_dir: Path, week: str, policy: str = "latest") -> list[Grade]:
    """Each student's counted attempt at `week` (a slug) in `grade_dir/gradebook.db`, by student."""
    path = grade_dir / DB
    if not path.is_file():
        raise GradesExportError(f"{path}: no gradebook here; run `coursekit grade WEEK SUBMISSIONS --out DIR` first")
    db = open_read_only(path)
    try:
        rows = counted_attempts(db, week, policy)
    except sqlite3.DatabaseError as exc:
        raise GradesExportError(f"{path}: not a gradebook ({exc}); "
                                "point --from at a `coursekit grade --out` folder") from exc
    finally:
        db.close()
    return [Grade(r["student"], r["score"], r["max_score"], r["days_late"]) for r in rows]


def read_roster(path: Path) -> dict[str, Person]:
    """Student id (as `coursekit grade` names it) -> the roster's identity columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise GradesExportError(f"{path}: cannot be read ({exc}); give a UTF-8 CSV roster") from exc
    id_column = "student" if rows and "student" in rows[0] else "identifier"  # GitHub Classroom's roster export
    if not rows or id_column not in rows[0]:
        raise GradesExportError(f"{path}: needs a header row with a student column (or GitHub Classroom's identifier)")

    def cell(row: dict[str, str], *columns: str) -> str:
        return next(((row.get(c) or "").strip() for c in columns if (row.get(c) or "").strip()), "")

    people = {}
    for row in rows:
        student = cell(row, id_column)
        if student:  # the same key `coursekit grade --roster` files the student under
            people[safe_id(student)] = Person(cell(row, "name"), cell(row, "lms_id"), cell(row, "sis_user_id"),
                                              cell(row, "sis_login_id", "login"), cell(row, "section"))
    return people


def canvas_column(week: Week, assignment_id: str | None = None) -> str:
    """The assignment's column header: "Title (id)" matches an existing Canvas assignment; a bare title makes one."""
    title = f"Week {week.number}: {week.title}"
    return f"{title} ({assignment_id})" if assignment_id else title


def csv_rows(grades: list[Grade]) -> list[list[object]]:
    """The plain format: a header, then student, score, max_score, days_late."""
    return [["student", "score", "max_score", "days_late"],
            *([g.student, g.score, g.max_score, g.days_late] for g in grades)]


def canvas_rows(grades: list[Grade], week: Week, people: dict[str, Person],
                assignment_id: str | None = None) -> list[list[object]]:
    """Canvas's layout: header, the Points Possible row, one row per student."""
    rows: list[list[object]] = [[*CANVAS_IDENTITY, canvas_column(week, assignment_id)],
                                [POINTS_POSSIBLE, "", "", "", "", week.points]]
    for grade in grades:
        who = people.get(grade.student, Person())
        rows.append([who.name or grade.student, who.lms_id, who.sis_user_id or grade.student, who.sis_login_id,
                     who.section, grade.score])
    return rows


def write_rows(path: Path, rows: list[list[object]]) -> None:
    """The CSV, written atomically; text cells made safe (no controls, no formulas), numbers kept as numbers."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([for_csv(c) for c in row] for row in rows)


def export_grades(grade_dir: Path, week: Week, fmt: str, out: Path, *, policy: str = "latest",
                  roster: Path | None = None, assignment_id: str | None = None) -> Exported:
    """Write `week`'s counted grades from `grade_dir`'s gradebook to `out` in format `fmt` (see FORMATS)."""
    if fmt not in FORMATS:
        raise GradesExportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    grades = read_grades(grade_dir, week.slug, policy)
    people = read_roster(roster) if roster else {}
    rows = csv_rows(grades) if fmt == "csv" else canvas_rows(grades, week, people, assignment_id)
    write_rows(out, rows)
    graded = {g.student for g in grades}
    return Exported(out, len(grades), sorted(set(people) - graded))
