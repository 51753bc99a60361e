"""`coursekit grade`: batch behaviour (inputs, roster, late penalty, resume, --force, atomic results,
bad inputs) and the one-submission API `grade_notebook`."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.config import LatePolicy, load_course
from coursekit.grading.batch import grade_batch
from coursekit.grading.grade import grade_notebook
from coursekit.grading.lateness import lateness

WEEK = "week01_mini"
NOTEBOOK = "mini.ipynb"


@pytest.fixture(scope="module")
def course(released_minicourse):
    return load_course(released_minicourse)


def key_text(course) -> str:
    return course.paths(course.weeks[0]).solution.read_text()


def with_cell(course, source: str, index: int | None = None, replace: bool = False) -> str:
    """The answer key with `source` added as a code cell (or replacing the cell at `index`)."""
    nb = json.loads(key_text(course))
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
    if replace:
        nb["cells"][index] = cell
    else:
        nb["cells"].insert(len(nb["cells"]) if index is None else index, cell)
    return json.dumps(nb)


def results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


@pytest.fixture(scope="module")
def batch(course, tmp_path_factory):
    """One batch over every kind of input, graded once for the tests below."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    folders = {
        "alice": key_text(course),
        "empty": "",
        "truncated": key_text(course)[:200],
        "json_not_notebook": json.dumps({"hello": "world"}),
        "syntax": with_cell(course, "def broken(:\n    pass", index=3),
        "renamed": key_text(course).replace("def softmax(", "def soft_max("),
        "signature": key_text(course).replace("def softmax(x: torch.Tensor, dim: int = -1)", "def softmax(x)"),
    }
    for student, text in folders.items():
        (subs / student).mkdir(parents=True)
        (subs / student / NOTEBOOK).write_text(text)
    (subs / "pyfile").mkdir()
    (subs / "pyfile" / "answers.py").write_text("def softmax(x): pass\n")
    (subs / "carol.ipynb").write_text(key_text(course))  # a flat file: the stem is the student
    (subs / "README.txt").write_text("not a submission")
    lms = root / "canvas.zip"  # an LMS download: names carry the LMS user id, mapped by the roster
    with zipfile.ZipFile(lms, "w") as archive:
        archive.writestr("doejane_4711_998877_mini.ipynb", key_text(course))
        archive.writestr("__MACOSX/._doejane_4711_998877_mini.ipynb", "junk")
    roster = root / "roster.csv"
    roster.write_text("student,name,email,lms_id\njdoe,Jane Doe,jane@example.org,4711\n")
    due = course.weeks[0].due_at
    manifest = root / "manifest.csv"
    manifest.write_text("student,submitted_at\n"
                        f"alice,{(due + timedelta(minutes=10)).isoformat()}\n"  # within the grace period
                        f"carol,{(due + timedelta(days=1, hours=2)).isoformat()}\n"  # 2 started days late
                        f"jdoe,{(due + timedelta(days=30)).isoformat()}\n")  # past max_days_late
    out = root / "out"
    start = time.monotonic()
    rows = grade(course, course.weeks[0], [subs, lms], out, workers=2, roster=roster, manifest=manifest,
                 progress=False)
    return {"root": root, "subs": subs, "out": out, "rows": {r["student"]: r for r in rows},
            "inputs": [subs, lms], "roster": roster, "manifest": manifest, "seconds": time.monotonic() - start}


def grade(*args, **kwargs) -> list[dict]:
    """grade_batch's gradebook rows, each marked "skipped" when an earlier run graded it."""
    return [r.row | {"skipped": r.skipped} for r in grade_batch(*args, **kwargs)]


def test_students_found_from_folders_files_zip_and_roster(batch):
    assert set(batch["rows"]) == {"alice", "empty", "truncated", "json_not_notebook", "syntax", "renamed",
                                  "signature", "pyfile", "carol", "jdoe"}
    assert not (batch["out"] / "README").exists()


def test_correct_notebook_full_marks_with_gradescope_schema(batch, course):
    r = results(batch["out"], "alice")
    assert r["score"] == pytest.approx(course.weeks[0].points)
    assert set(r) >= {"score", "execution_time", "output", "tests", "visibility", "stdout_visibility"}
    visibility = {t["name"].split(": ")[1]: t["visibility"] for t in r["tests"]}
    assert visibility["softmax_rows"] == "visible" and visibility["softmax_dim0_large"] == "after_published"
    assert all(set(t) >= {"name", "score", "max_score", "status", "output", "visibility"} for t in r["tests"])
    assert sum(t["max_score"] for t in r["tests"]) == pytest.approx(course.weeks[0].points)


@pytest.mark.parametrize("student, phrase", [
    ("empty", "is empty (0 bytes)"),
    ("truncated", "is not valid notebook JSON (line"),
    ("json_not_notebook", "is JSON but not a Jupyter notebook"),
    ("pyfile", "no notebook submitted (found: answers.py)"),
])
def test_unreadable_submissions_score_zero_with_one_line(batch, student, phrase):
    row = batch["rows"][student]
    assert row["score"] == 0 and len(row["problems"]) == 1 and phrase in row["problems"][0]
    assert phrase in (batch["out"] / student / "feedback.md").read_text()
    assert phrase in results(batch["out"], student)["output"]


def test_syntax_error_costs_only_its_cell(batch, course):
    row = batch["rows"]["syntax"]
    assert row["score"] == pytest.approx(course.weeks[0].points)
    assert any("cell 3, line 1: syntax error" in p for p in row["problems"])


@pytest.mark.parametrize("student, phrase", [
    ("renamed", "`softmax` is not defined anywhere in the notebook"),
    ("signature", "`softmax(x)` does not match the release's `softmax(x, dim)`"),
])
def test_missing_or_changed_function_zeroes_only_its_checks(batch, student, phrase):
    row = batch["rows"][student]
    assert any(phrase in p for p in row["problems"]), row["problems"]
    passed = {c["check_name"]: c["passed"] for c in row["checks"]}
    assert passed == {"softmax_rows": 0, "softmax_dim0_large": 0, "causal_mask_4": 1, "causal_mask_1": 1,
                      "causal_mask_7": 1}


def test_late_penalty_from_manifest(batch, course):
    points = course.weeks[0].points
    assert batch["rows"]["alice"]["days_late"] == 0
    assert batch["rows"]["carol"]["days_late"] == 2 and batch["rows"]["carol"]["score"] == pytest.approx(points * 0.8)
    assert batch["rows"]["jdoe"]["penalty"] == 1.0 and batch["rows"]["jdoe"]["score"] == 0
    assert "2 days late: -20%" in (batch["out"] / "carol" / "feedback.md").read_text()


def test_lateness_rules():
    due = datetime.fromisoformat("2026-12-01T23:59:00+00:00")
    policy = LatePolicy(grace_minutes=15, penalty_per_day=0.1, max_days_late=3)
    assert lateness(None, due, policy).penalty == 0
    assert lateness(due + timedelta(minutes=15), due, policy).days == 0
    assert lateness(due + timedelta(minutes=16), due, policy).days == 1
    assert lateness(due + timedelta(days=3), due, policy).penalty == pytest.approx(0.3)
    assert lateness(due + timedelta(days=3, seconds=1), due, policy).penalty == 1.0


def test_gradebook_db_and_csv(batch):
    with open(batch["out"] / "gradebook.csv") as handle:
        lines = list(csv.DictReader(handle))
    assert {row["student"] for row in lines} == set(batch["rows"])
    alice = next(row for row in lines if row["student"] == "alice")
    assert float(alice["softmax_rows"]) > 0 and alice["attempt"] == "1"
    db = sqlite3.connect(batch["out"] / "gradebook.db")
    assert db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == len(batch["rows"])
    assert db.execute("SELECT COUNT(*) FROM checks WHERE student='alice'").fetchone()[0] == 5
    assert not list(batch["out"].rglob("*.tmp"))  # every file was replaced atomically


def test_resume_skips_then_new_content_is_a_new_attempt_and_force_regrades(batch, course):
    week = course.weeks[0]
    args = {"roster": batch["roster"], "manifest": batch["manifest"], "progress": False, "workers": 1}
    rows = grade(course, week, batch["inputs"], batch["out"], **args)
    assert all(r.get("skipped") for r in rows)
    (batch["subs"] / "alice" / NOTEBOOK).write_text(course.paths(week).release.read_text())  # a second attempt
    rows = {r["student"]: r for r in grade(course, week, batch["inputs"], batch["out"], **args)}
    assert not rows["alice"].get("skipped") and rows["alice"]["score"] == 0
    assert all(r.get("skipped") for s, r in rows.items() if s != "alice")
    db = sqlite3.connect(batch["out"] / "gradebook.db")
    attempts = db.execute("SELECT attempt, score FROM attempts WHERE student='alice' ORDER BY attempt").fetchall()
    assert [a for a, _ in attempts] == [1, 2] and attempts[1][1] == 0
    with open(batch["out"] / "gradebook.csv") as handle:
        assert next(r for r in csv.DictReader(handle) if r["student"] == "alice")["attempt"] == "2"
    forced = grade(course, week, [batch["subs"] / "carol.ipynb"], batch["out"], force=True, **args)
    assert not forced[0].get("skipped")


def test_killed_batch_keeps_finished_results_and_resumes(course, tmp_path):
    subs = tmp_path / "subs"
    for number in range(4):
        (subs / f"s{number}").mkdir(parents=True)
        (subs / f"s{number}" / NOTEBOOK).write_text(with_cell(course, "import time\ntime.sleep(1)"))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "coursekit.cli", "grade", WEEK, str(subs), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(argv, cwd=course.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/grade.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p.parent.name for p in out.glob("*/grade.json")}
    assert finished
    for student in finished:  # complete, valid files for everything marked done
        assert results(out, student)["score"] == pytest.approx(course.weeks[0].points)
    rows = grade(course, course.weeks[0], [subs], out, workers=2, progress=False)
    assert {r["student"] for r in rows if r.get("skipped")} == finished
    assert len(rows) == 4 and all(r["score"] == pytest.approx(course.weeks[0].points) for r in rows)


def test_grade_notebook_alone(course, tmp_path):
    path = tmp_path / "bob.ipynb"
    path.write_text(with_cell(course, "print('hello')"))
    result = grade_notebook(course, course.weeks[0], path, tmp_path / "out")
    assert result.student == "bob" and result.score == pytest.approx(course.weeks[0].points)
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == pytest.approx(result.score)
    assert (tmp_path / "out" / "feedback.html").read_text().startswith("<!doctype html>")


def test_cli_grade_and_its_errors(released_minicourse, in_dir, tmp_path, capsys):
    in_dir(released_minicourse)
    assert main(["grade", WEEK, str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "nowhere: no such file or folder" in err
    bad = tmp_path / "manifest.csv"
    bad.write_text("student,submitted_at\nalice,yesterday\n")
    (tmp_path / "subs").mkdir()
    assert main(["grade", WEEK, str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--manifest", str(bad)]) == 2
    assert "line 2: submitted_at 'yesterday' is not ISO 8601" in capsys.readouterr().err
