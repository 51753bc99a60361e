"""Whose a submission is and when it came (coursekit.grading.submissions): ids, LMS zips, roster, times."""

from __future__ import annotations

import io
import unicodedata
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from coursekit.grading import submissions
from coursekit.grading.submissions import SubmissionError, find_submissions, safe_id

NOTEBOOK = "mini.ipynb"
TEXT = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
LMS_TIME = (2026, 12, 1, 12, 30, 0)  # the LMS's date of a member, local time
GRADER_FILES = {"gradebook.db", "gradebook.db-journal", "gradebook.db-wal", "gradebook.db-shm", "gradebook.csv",
                "cohort.html", "_logs"}


def folders(root: Path, *students: str) -> Path:
    """A folder per student, each holding the week's notebook."""
    for student in students:
        (root / student).mkdir(parents=True)
        (root / student / NOTEBOOK).write_text(TEXT)
    return root


def lms_zip(path: Path, members: dict[str, bytes | str], when: tuple = LMS_TIME) -> Path:
    """An LMS download: every member stored with the LMS's date `when`."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


def inner_zip(members: dict[str, str], when: tuple) -> bytes:
    """A student's own zip, with the dates the student chose."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buffer.getvalue()


def found(*inputs: Path, **options) -> dict[str, submissions.Submission]:
    """find_submissions by student id; fails on any problem."""
    result = find_submissions(list(inputs), NOTEBOOK, **options)
    assert not result.problems, result.problems
    return {s.student: s for s in result.submissions}


def local(*date_time: int) -> datetime:
    return datetime(*date_time).astimezone(UTC)


# ids


@pytest.mark.parametrize("first, second", [
    ("müller", "mäller"),
    ("张伟", "李娜"),
    ("john smith", "john_smith"),
    ("Ωmega", "omega"),
    ("a/b", "a_b"),
    ("a%2Fb", "a/b"),
    ("x\u00a0y", "x y"),  # a no-break space is not a space
])
def test_distinct_names_get_distinct_ids_that_round_trip(first, second):
    assert safe_id(first) != safe_id(second)
    for name in (first, second):
        assert unquote(safe_id(name), errors="surrogatepass") == name


def test_unicode_is_kept_nfc_normalised():
    assert safe_id("张伟") == "张伟" and safe_id("müller") == "müller" and safe_id("john smith") == "john smith"
    assert safe_id(unicodedata.normalize("NFD", "müller")) == safe_id("müller")  # one name, two spellings


@pytest.mark.parametrize("name", ["gradebook.db-journal", "gradebook.csv", "gradebook.db", "gradebook.db-wal",
                                  "cohort.html", "_logs", "Gradebook.CSV", ".hidden", ".", "..", "", "a/../b",
                                  "x\x00y", "tab\there", "con", "nul.txt", "trailing.", " leading", "e\u202egnp",
                                  "a\udcffb"])
def test_ids_are_safe_folder_names_that_never_name_a_grader_file(name):
    student = safe_id(name)
    assert student and student.casefold() not in GRADER_FILES and not student.startswith((".", " "))
    assert not student.endswith((".", " ")) and not set(student) & set('/\\<>:"|?*\x00\t\u202e')
    assert student.isprintable() and not student.casefold().startswith(("gradebook.", "cohort."))
    if name:
        assert unquote(student, errors="surrogatepass") == unicodedata.normalize("NFC", name)


def test_long_names_are_shortened_with_a_hash():
    one, other = "ü" * 300, "ü" * 299 + "u"
    assert len(safe_id(one).encode()) <= submissions.MAX_ID_BYTES and safe_id(one) != safe_id(other)
    assert safe_id(one).startswith("ü" * 50)


def test_folders_with_colliding_old_ids_stay_distinct_students(tmp_path):
    names = ["müller", "mäller", "张伟", "李娜", "john smith", "john_smith", "gradebook.db-journal", "_logs"]
    by_id = found(folders(tmp_path / "subs", *names))
    assert sorted(by_id) == sorted(safe_id(n) for n in names) and len(by_id) == len(names)
    assert "%67radebook.db-journal" in by_id and "%5Flogs" in by_id
    assert by_id["张伟"].path == tmp_path / "subs" / "张伟" / NOTEBOOK


def test_a_notebook_anywhere_in_a_students_folder_is_theirs(tmp_path):
    subs = folders(tmp_path / "subs", "alice")
    (subs / "alice" / "sub").mkdir()
    (subs / "alice" / "sub" / "bob.ipynb").write_text(TEXT)
    by_id = found(subs)
    assert list(by_id) == ["alice"] and "2 notebooks found" in by_id["alice"].note


# LMS zips


def test_nested_zip_is_content_never_a_source_of_names_or_times(tmp_path):
    smuggled = inner_zip({"bob/mini.ipynb": "{}", "mini.ipynb": "{}"}, when=(1999, 1, 1, 0, 0, 0))
    archive = lms_zip(tmp_path / "moodle.zip", {"alice/upload.zip": smuggled, "bob/mini.ipynb": TEXT,
                                                "doejane_4711_1_upload.zip": smuggled})
    by_id = found(archive)
    assert sorted(by_id) == ["alice", "bob", "doejane_4711_1_upload"]
    assert by_id["bob"].path.read_text() == TEXT and by_id["bob"].submitted_at == local(*LMS_TIME)
    for student in ("alice", "doejane_4711_1_upload"):
        assert by_id[student].path is None and by_id[student].submitted_at is None
        assert "upload.zip" in by_id[student].source and "archives are not unpacked" in by_id[student].source
    assert not list(tmp_path.rglob("*.ipynb"))  # nothing unpacked beside the inputs


def test_a_zip_inside_a_folder_is_content_too(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    lms_zip(subs / "dave.zip", {"bob/mini.ipynb": TEXT})
    by_id = found(subs)
    assert list(by_id) == ["dave"] and by_id["dave"].path is None and by_id["dave"].source.startswith("dave.zip")


def test_zero_date_is_unknown_then_the_manifest(tmp_path):
    archive = lms_zip(tmp_path / "lms.zip", {"alice/mini.ipynb": TEXT, "bob/mini.ipynb": TEXT},
                      when=(1980, 0, 0, 0, 0, 0))
    by_id = found(archive)
    assert by_id["alice"].path is not None and by_id["alice"].submitted_at is None
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("student,submitted_at\nalice,2026-12-02T10:00:00+00:00\n")
    by_id = found(archive, manifest=manifest)
    assert by_id["alice"].submitted_at == datetime(2026, 12, 2, 10, tzinfo=UTC) and by_id["bob"].submitted_at is None


def test_manifest_names_students_by_their_name(tmp_path):
    subs = folders(tmp_path / "subs", "john smith", "john_smith")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("student,submitted_at\njohn smith,2026-12-02T10:00:00+00:00\n")
    by_id = found(subs, manifest=manifest)
    assert by_id["john smith"].submitted_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert by_id["john_smith"].submitted_at != by_id["john smith"].submitted_at


def test_manifest_file_is_the_name_the_lms_wrote_not_the_students(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,submitted_at\ndoejane_4711_1_mini.ipynb,2026-12-02T10:00:00+00:00\n")
    archive = lms_zip(tmp_path / "canvas.zip", {"doejane_4711_1_mini.ipynb": TEXT})
    subs = tmp_path / "subs"
    (subs / "eve").mkdir(parents=True)
    (subs / "eve" / "doejane_4711_1_mini.ipynb").write_text(TEXT)  # eve names her notebook like jane's upload
    by_id = found(archive, subs, manifest=manifest)
    assert by_id["doejane_4711_1_mini"].submitted_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert by_id["eve"].submitted_at != datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_duplicate_member_paths_refuse_the_archive_only(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name it writes
        archive = lms_zip(tmp_path / "lms.zip", {"alice/mini.ipynb": TEXT, "alice//mini.ipynb": "evil"})
    subs = folders(tmp_path / "subs", "carol")
    result = find_submissions([archive, subs], NOTEBOOK)
    assert [s.student for s in result.submissions] == ["carol"]
    [problem] = result.problems
    assert problem.what == "lms.zip" and "'alice/mini.ipynb' and 'alice//mini.ipynb' are the same file" in problem.why
    assert "\n" not in problem.why


@pytest.mark.parametrize("member", ["../evil.ipynb", "/abs/mini.ipynb", "alice/../../evil.ipynb"])
def test_unsafe_member_paths_refuse_the_archive(tmp_path, member):
    archive = lms_zip(tmp_path / "lms.zip", {member: TEXT, "bob/mini.ipynb": TEXT})
    result = find_submissions([archive], NOTEBOOK)
    assert not result.submissions and "unsafe path" in result.problems[0].why
    assert not (tmp_path / "evil.ipynb").exists() and not Path("/abs/mini.ipynb").exists()


def test_two_entries_with_one_id_are_refused_naming_both(tmp_path):
    subs = folders(tmp_path / "subs", "alice", "bob")
    (subs / "alice.ipynb").write_text(TEXT)
    result = find_submissions([subs], NOTEBOOK)
    assert [s.student for s in result.submissions] == ["bob"]
    [problem] = result.problems
    assert problem.what == "alice" and str(subs / "alice") in problem.why and str(subs / "alice.ipynb") in problem.why


def test_one_student_in_two_downloads_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id\njdoe,4711\n")
    first = lms_zip(tmp_path / "a.zip", {"doejane_4711_1_mini.ipynb": TEXT})
    second = lms_zip(tmp_path / "b.zip", {"doejane_4711_2_mini.ipynb": TEXT})
    result = find_submissions([first, second], NOTEBOOK, roster=roster)
    assert not result.submissions and "a.zip:doejane_4711_1_mini.ipynb and" in result.problems[0].why


def test_files_of_one_lms_id_in_one_download_are_one_students(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id\njdoe,4711\n")
    archive = lms_zip(tmp_path / "canvas.zip", {"doejane_4711_9_mini.ipynb": TEXT,
                                                "doejane_4711_9_scratch.ipynb": "{}"})
    by_id = found(archive, roster=roster)
    assert list(by_id) == ["jdoe"] and by_id["jdoe"].path.name == "doejane_4711_9_mini.ipynb"
    assert "2 notebooks found" in by_id["jdoe"].note


def test_corrupt_nested_zip_and_oversized_member_are_that_students_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(submissions, "MAX_NOTEBOOK_BYTES", 1000)
    archive = lms_zip(tmp_path / "lms.zip", {"alice/upload.zip": b"PK\x03\x04 not a zip", "bob/mini.ipynb": TEXT,
                                             "carol/mini.ipynb": TEXT + " " * 2000, "carol/notes.txt": "hi"})
    by_id = found(archive)
    assert sorted(by_id) == ["alice", "bob", "carol"] and by_id["bob"].path.read_text() == TEXT
    assert by_id["alice"].path is None and by_id["alice"].source.startswith("upload.zip")
    assert by_id["carol"].path is None
    assert "mini.ipynb is 0 MB, over the 0 MB limit per notebook, and was not unpacked" in by_id["carol"].source


def test_a_damaged_member_is_that_students_problem(tmp_path):
    archive = lms_zip(tmp_path / "lms.zip", {"alice/mini.ipynb": TEXT * 20, "bob/mini.ipynb": TEXT})
    data = bytearray(archive.read_bytes())
    start = data.index(b"alice/mini.ipynb") + len("alice/mini.ipynb") + 10
    data[start:start + 20] = b"\xff" * 20  # inside alice's stored bytes: a CRC error on reading
    archive.write_bytes(bytes(data))
    by_id = found(archive)
    assert by_id["alice"].path is None and "mini.ipynb could not be unpacked (Bad CRC-32" in by_id["alice"].source
    assert by_id["bob"].path.read_text() == TEXT


def test_corrupt_or_oversized_download_is_one_problem_and_the_rest_is_found(tmp_path, monkeypatch):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x05\x06 truncated")
    subs = folders(tmp_path / "subs", "alice")
    result = find_submissions([broken, subs], NOTEBOOK)
    assert [s.student for s in result.submissions] == ["alice"]
    assert result.problems[0].what == "broken.zip" and "not a readable zip" in result.problems[0].why
    monkeypatch.setattr(submissions, "MAX_ZIP_BYTES", 10)
    result = find_submissions([lms_zip(tmp_path / "big.zip", {"bob/mini.ipynb": TEXT}), subs], NOTEBOOK)
    assert [s.student for s in result.submissions] == ["alice"] and "over the 0 MB limit" in result.problems[0].why


# roster


def test_roster_with_lms_id_maps_by_id_not_by_the_name_in_the_file(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,email,lms_id\njdoe,Jane Doe,jane@example.org,4711\n"
                      "mallory,Mallory M,mallory@example.org,12345\n")
    archive = lms_zip(tmp_path / "canvas.zip", {"doejane_12345_67890_mini.ipynb": TEXT})
    moodle = lms_zip(tmp_path / "moodle.zip", {"Jane Doe_12345_assignsubmission_file_/mini.ipynb": TEXT})
    upload_named = lms_zip(tmp_path / "named.zip", {"smithjohn_12345_67890_4711_1_jdoe.ipynb": TEXT})
    for lms in (archive, moodle, upload_named):
        assert list(found(lms, roster=roster)) == ["mallory"], lms
    stranger = lms_zip(tmp_path / "stranger.zip", {"jdoe_99_1_mini.ipynb": TEXT, "jdoe/mini.ipynb": TEXT})
    assert sorted(found(stranger, roster=roster)) == ["jdoe", "jdoe_99_1_mini"]  # no id, no roster match by name


def test_roster_without_lms_id_matches_names(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,email\njdoe,Jane Doe,jane@example.org\njsmith,John Smith,js@example.org\n"
                      "jsmith2,John Smith,js2@example.org\n")
    subs = folders(tmp_path / "subs", "Jane Doe", "John Smith")
    assert sorted(found(subs, roster=roster)) == ["John Smith", "jdoe"]  # a shared name maps to no one


def test_roster_lms_id_on_two_rows_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id\njdoe,4711\nmallory,4711\n")
    with pytest.raises(SubmissionError, match=r"roster.csv: lms_id 4711 is on lines 2 and 3"):
        find_submissions([folders(tmp_path / "subs", "x")], NOTEBOOK, roster=roster)


# the batch


def test_batch_reports_what_it_cannot_grade_and_goes_on(released_minicourse, tmp_path):
    from coursekit.config import load_course
    from coursekit.grading.batch import grade_batch

    course = load_course(released_minicourse)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x05\x06 truncated")
    subs = tmp_path / "subs"
    (subs / "x").mkdir(parents=True)
    (subs / "x.ipynb").write_text("{}")
    rows = grade_batch(course, course.weeks[0], [broken, subs], tmp_path / "out", progress=False)
    assert [(r.student, r.row) for r in rows] == [("broken.zip", None), ("x", None)]
    assert "not a readable zip" in rows[0].error and "are both student x; neither was graded" in rows[1].error
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["gradebook.csv", "gradebook.db"]
